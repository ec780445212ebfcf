"""Golden smoke runs: every NB201 searcher finds the same cells with the same per-epoch losses as the code
recorded in ``golden_smoke.json`` did (exact float equality on CPU).

The fixture was recorded before search spaces became plug-ins (issue 14), so this test is what shows that the
NB201 space behaves byte for byte as before. Re-record only for an intended behaviour change::

    PYTHONPATH=src python tests/searchers/test_golden_smoke.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import torch

from e2nas.engine import SearchEngine, make_config

FIXTURE = Path(__file__).with_name("golden_smoke.json")
#: (run name, method, searcher options)
RUNS: list[tuple[str, str, dict[str, str]]] = [
    ("random", "random", {}),
    ("gdas", "gdas", {}),
    ("gdas-a", "gdas-a", {}),
    ("darts-v1", "darts-v1", {}),
    ("darts-v2", "darts-v2", {}),
    ("setn", "setn", {}),
    ("enas", "enas", {}),
    ("nao", "nao", {}),
    ("e2nas-paper", "e2nas", {"variant": "paper"}),
    ("e2nas-reference", "e2nas", {"variant": "reference"}),
]
SEEDS = (0, 1)
#: log fields that depend on the machine, not on the search
VOLATILE = {"time_s", "elapsed_s"}


def run_once(method: str, options: dict[str, str], seed: int, out: Path) -> dict[str, Any]:
    """The smoke preset run as ``e2nas search -m METHOD -p smoke --seed SEED`` does: per-epoch log, final, best."""
    cfg = make_config("smoke", method, options=options or None, seed=seed, device="cpu")
    results = SearchEngine(cfg, out, progress=False).run()
    assert results is not None
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    epochs = [{k: v for k, v in rec.items() if k not in VOLATILE} for rec in log]
    return {"epochs": epochs, "final": results["final"]["cell"], "best": results["best"]["cell"]}


def _cases() -> list[tuple[str, str, dict[str, str], int]]:
    return [(name, method, opts, seed) for name, method, opts in RUNS for seed in SEEDS]


@pytest.mark.parametrize(("name", "method", "options", "seed"), _cases(), ids=[f"{c[0]}-s{c[3]}" for c in _cases()])
def test_smoke_run_matches_the_recorded_run(tmp_path, name, method, options, seed):
    torch.set_num_threads(1)
    expected = json.loads(FIXTURE.read_text())[f"{name}/s{seed}"]
    got = run_once(method, options, seed, tmp_path)
    assert got["final"] == expected["final"]
    assert got["best"] == expected["best"]
    assert len(got["epochs"]) == len(expected["epochs"])
    for epoch, (g, e) in enumerate(zip(got["epochs"], expected["epochs"], strict=True), start=1):
        # fields added to the log after recording are allowed; every recorded one must be identical
        assert {k: g.get(k) for k in e} == e, f"{name} seed {seed} epoch {epoch} differs"


def _record() -> None:
    torch.set_num_threads(1)
    data: dict[str, Any] = {}
    for name, method, opts, seed in _cases():
        with tempfile.TemporaryDirectory() as tmp:
            data[f"{name}/s{seed}"] = run_once(method, opts, seed, Path(tmp))
        print(name, seed, data[f"{name}/s{seed}"]["final"], file=sys.stderr)
    FIXTURE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    _record()
