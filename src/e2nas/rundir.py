"""The files of a run directory, named once.

A search (``e2nas search``, :class:`e2nas.engine.SearchEngine`), a retraining (``e2nas train``) and a sweep's
runs all write into one directory (``--out``). Every module finds those files through this one: the names
below, or :class:`RunPaths`. The names on disk never change, so old run directories still read.

| file                    | what it holds                                           | written by                  |
|-------------------------|---------------------------------------------------------|-----------------------------|
| config.json             | the run's settings (SearchConfig / TrainConfig)         | engine / trainer, at start  |
| log.jsonl               | one JSON line per finished epoch                        | engine / trainer, per epoch |
| checkpoint.pt           | all a resume needs (weights, optimisers, RNG, searcher) | engine / trainer, per epoch |
| results.json            | the final answer; its presence means finished           | engine / trainer, last      |
| ranking.json            | the final supernet's ranking check, per cell            | engine (rank_cells > 0)     |
| snapshots/epoch-NNNN.pt | the supernet kept every snapshot_every epochs           | engine                      |
| plots/                  | PNG figures                                             | e2nas search, e2nas report  |
| .e2nas.lock             | the lock of the process working in the directory        | e2nas.safeio.lock           |
| error.json              | why a sweep's run failed                                | sweep                       |
| sweep_run.json          | the sweep entry the run was made from                   | sweep                       |
| sweep_placement.json    | where the run executed (host, Ray node, GPU)            | sweep (the run's process)   |
| reused.json             | the finished run a sweep copied this one from           | sweep (reuse)               |

This module imports nothing (no torch): light tools such as the sweep driver use it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONFIG = "config.json"
LOG = "log.jsonl"
CHECKPOINT = "checkpoint.pt"
RESULTS = "results.json"
RANKING = "ranking.json"
SNAPSHOTS = "snapshots"
PLOTS = "plots"
LOCK = ".e2nas.lock"
ERROR = "error.json"
SWEEP_RUN = "sweep_run.json"
PLACEMENT = "sweep_placement.json"
REUSED = "reused.json"


def snapshot_name(epoch: int) -> str:
    """The file name of the supernet snapshot of ``epoch`` inside :data:`SNAPSHOTS`."""
    return f"epoch-{epoch:04d}.pt"


@dataclass(frozen=True)
class RunPaths:
    """The paths of the files of the run directory ``root`` (see the module's table)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def log(self) -> Path:
        return self.root / LOG

    @property
    def checkpoint(self) -> Path:
        return self.root / CHECKPOINT

    @property
    def results(self) -> Path:
        return self.root / RESULTS

    @property
    def ranking(self) -> Path:
        return self.root / RANKING

    @property
    def snapshots(self) -> Path:
        return self.root / SNAPSHOTS

    def snapshot(self, epoch: int) -> Path:
        return self.root / SNAPSHOTS / snapshot_name(epoch)

    @property
    def plots(self) -> Path:
        return self.root / PLOTS

    @property
    def lock(self) -> Path:
        return self.root / LOCK

    @property
    def error(self) -> Path:
        return self.root / ERROR

    @property
    def sweep_run(self) -> Path:
        return self.root / SWEEP_RUN

    @property
    def placement(self) -> Path:
        return self.root / PLACEMENT

    @property
    def reused(self) -> Path:
        return self.root / REUSED

    @property
    def finished(self) -> bool:
        """Whether the run finished (its ``results.json`` exists)."""
        return self.results.exists()
