"""The resumable loop of a run directory, shared by ``e2nas search`` (:class:`~e2nas.engine.SearchEngine`) and
``e2nas train`` (:class:`~e2nas.train.Trainer`), so every kind of run keeps one contract: one writer under the
directory's lock; an occupied directory refused unless resuming; ``config.json`` at the start; a ``log.jsonl``
line and an atomic checkpoint per epoch; ``results.json`` last (it means finished). A resume restores the
checkpoint (every RNG included), rewrites the log to the checkpointed epochs, and returns a finished run's stored
results. The first Ctrl-C or SIGTERM finishes the step, checkpoints and makes ``run`` return None; a second aborts.

A subclass keeps its model and data and fills in the hooks: ``_build`` (sets ``device`` and ``steps``),
``_fresh``, ``_loop_state`` / ``_restore_state`` (its part of the checkpoint), ``_run_epoch`` (asks
``should_stop`` before each step, calls ``_append_log`` and ``_save`` at the epoch's end), ``_finish`` and,
for a progress bar, ``_running``.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
import torch

import e2nas
from e2nas.engine.checkpoint import CheckpointError, load_checkpoint, rng_state, save_checkpoint, set_rng_state
from e2nas.engine.signals import on_stop_signals
from e2nas.provenance import code_version
from e2nas.rundir import RunPaths
from e2nas.safeio import (
    FileAccessError,
    atomic_write_json,
    atomic_write_text,
    describe_os_error,
    ensure_dir,
    hold_run_dir,
)

Results = dict[str, Any]  # a run's results.json


class LoopConfig(Protocol):
    """What the loop reads from a run's settings (SearchConfig and TrainConfig both have it)."""

    device: str
    threads: int | None
    seed: int
    epochs: int

    def validate(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...
    def fingerprint(self) -> dict[str, Any]: ...


def cosine_lr(lr: float, lr_min: float, t: float, epochs: float) -> float:
    """The learning rate ``t`` epochs (fractional) into a cosine schedule from ``lr`` to ``lr_min`` over
    ``epochs``; set every step, as NB201 trains and searches."""
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + math.cos(math.pi * t / epochs))


def seed_globals(seed: int) -> None:
    """Seed torch's, Python's and numpy's global RNGs. Only network initialisation (and drop-path) draws from
    them; data order and augmentation use their own streams (:func:`e2nas.data.stream_seed`)."""
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def versions() -> dict[str, Any]:
    """The versions a results.json records: e2nas, torch and the code (git commit or source digest)."""
    return {"e2nas": e2nas.__version__, "torch": torch.__version__, **code_version()}


def pick_device(name: str, threads: int | None, error: type[Exception]) -> torch.device:
    """The run's device, refusing CUDA that torch cannot see with ``error``; sets torch's CPU threads if given."""
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise error("--device cuda was asked for but torch sees no CUDA device; use --device cpu")
    if threads is not None:
        torch.set_num_threads(threads)
    return dev


class RunLoop:
    """Runs epochs of steps in ``out_dir`` under the contract of the module docstring; ``run()`` returns the
    results dict, or None when stopped early. ``hold_lock=False``: the caller already holds the directory's
    lock (a sweep's run holds it around its own setup)."""

    #: the CLI command that resumes this kind of run (``e2nas COMMAND --resume``)
    command: ClassVar[str] = "run"
    #: what the refusal of an occupied directory calls a run of this kind
    noun: ClassVar[str] = "run"
    #: the checkpoint's ``format``, so one kind of run is never resumed as another (each subclass names its own)
    checkpoint_format: ClassVar[str]
    #: fingerprint fields newer than old checkpoints, with the value a checkpoint without them had
    later_fields: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        config: LoopConfig,
        out_dir: str | Path,
        resume: bool = False,
        progress: bool = True,
        hold_lock: bool = True,
    ) -> None:
        config.validate()
        self.config = config
        self.out = Path(out_dir)
        self.paths = RunPaths(self.out)
        self.resume = resume
        self.show_progress = progress
        self.hold_lock = hold_lock
        self._stop_requested = False

    # -- hooks -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        """Set ``self.device`` and build data, model and optimisers (fresh weights; a resume replaces them)."""
        raise NotImplementedError

    def _fresh(self) -> None:
        """Reset the subclass's own counters for a run that starts at epoch 0."""

    def _fingerprint(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed by this run."""
        return self.config.fingerprint()

    def _loop_state(self) -> dict[str, Any]:
        """The subclass's part of the checkpoint (weights, optimisers, its counters)."""
        raise NotImplementedError

    def _restore_state(self, state: dict[str, Any]) -> None:
        """Load the subclass's part of a checkpoint (before the RNGs and the loop's counters are restored)."""
        raise NotImplementedError

    def _run_epoch(self, stop_at_step: int | None) -> bool:
        """Run (the rest of) ``self.epoch``; False when :meth:`should_stop` said so (state at a step boundary)."""
        raise NotImplementedError

    def _finish(self, resumed: bool) -> Results:
        """The results dict of the finished run (the loop writes it)."""
        raise NotImplementedError

    def _running(self) -> AbstractContextManager[Any]:
        """A context around the epochs (a progress bar)."""
        return contextlib.nullcontext()

    # -- what subclasses call --------------------------------------------------------------------------
    @property
    def interrupted(self) -> bool:
        """Whether a Ctrl-C / SIGTERM stopped the run."""
        return self._stop_requested

    def done_steps(self) -> int:
        """Steps finished over the whole run (the global step)."""
        return self.epoch * self.steps + self.step

    def should_stop(self, stop_at_step: int | None) -> bool:
        """Whether to stop before the next step: Ctrl-C, or (tests) the global step ``stop_at_step`` reached."""
        return self._stop_requested or (stop_at_step is not None and self.done_steps() >= stop_at_step)

    def elapsed_s(self) -> float:
        """Seconds this run has worked, over all its resumed parts."""
        return self.elapsed + (time.perf_counter() - self.t_start)

    def _resume_hint(self) -> str:
        return f"then continue with `e2nas {self.command} --resume --out {self.out}`"

    def _append_log(self, record: dict[str, Any]) -> None:
        """Add an epoch's line to log.jsonl; on an OS error the previous checkpoint is intact and a resume rewrites
        the log, which the message says."""
        try:
            with open(self.paths.log, "a") as fh:
                fh.write(json.dumps(record) + "\n")
        except OSError as err:
            raise FileAccessError(describe_os_error(err, "write", self.paths.log, self._resume_hint())) from None

    def _state(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "fingerprint": self._fingerprint(),
            "epoch": self.epoch,
            "step": self.step,
            **self._loop_state(),
            "history": self.history,
            "elapsed": self.elapsed_s(),
            "rng": rng_state(self.device),
            "finished": self.finished,
        }

    def _save(self) -> None:
        """Checkpoint atomically: a full disk or a kill leaves the previous checkpoint as it was."""
        save_checkpoint(self.paths.checkpoint, self._state(), self._resume_hint(), fmt=self.checkpoint_format)

    # -- the loop --------------------------------------------------------------------------------------
    def run(self, stop_after_epochs: int | None = None, stop_at_step: int | None = None) -> Results | None:
        """Run to the end and return the results, or checkpoint and return None when stopped early (Ctrl-C, or
        for tests: after ``stop_after_epochs`` epochs / at global step ``stop_at_step``)."""
        ensure_dir(self.out, "run directory (--out)")
        # a second process on this directory is refused (RunDirBusyError), not mixed in
        with hold_run_dir(self.out) if self.hold_lock else contextlib.nullcontext():
            return self._run_locked(stop_after_epochs, stop_at_step)

    def _run_locked(self, stop_after_epochs: int | None, stop_at_step: int | None) -> Results | None:
        paths = self.paths
        if not self.resume and (paths.checkpoint.exists() or paths.finished):
            raise CheckpointError(
                f"{self.out} already holds a {self.noun}; pass --resume to continue it or use another --out"
            )
        self._build()
        self.epoch, self.step, self.elapsed, self.finished = 0, 0, 0.0, False
        self.history: list[dict[str, Any]] = []
        self._fresh()
        resumed = False
        if self.resume and paths.checkpoint.exists():
            state = load_checkpoint(paths.checkpoint, self._fingerprint(), self.checkpoint_format, self.later_fields)
            self._restore(state)
            resumed = True
            if self.finished and paths.finished:
                with contextlib.suppress(ValueError):  # a damaged results.json is written again below
                    return json.loads(paths.results.read_text())
        atomic_write_json(paths.config, self.config.to_dict())
        # exactly the checkpointed epochs: a killed run may have written one more line
        atomic_write_text(paths.log, "".join(json.dumps(r) + "\n" for r in self.history))
        self.t_start = time.perf_counter()
        with on_stop_signals(self._on_stop_signal), self._running():
            while self.epoch < self.config.epochs:
                if not self._run_epoch(stop_at_step):
                    self._save()
                    return None
                if stop_after_epochs is not None and self.epoch >= stop_after_epochs:
                    return None
            results = self._finish(resumed)
            self.finished = True
            self._save()
            atomic_write_json(paths.results, results)
        return results

    def _restore(self, state: dict[str, Any]) -> None:
        try:
            self._restore_state(state)
            set_rng_state(state["rng"])
            self.epoch, self.step = state["epoch"], state["step"]
            self.history, self.elapsed = list(state["history"]), state["elapsed"]
            self.finished = state.get("finished", False)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as err:
            first = (str(err).splitlines() or [""])[0]
            what = f"lacks {err}" if isinstance(err, KeyError) else f"{type(err).__name__}: {first}"
            raise CheckpointError(
                f"checkpoint {self.paths.checkpoint} does not fit this run ({what[:200]}); delete it or pass "
                "another --out"
            ) from None

    def _on_stop_signal(self, signum: int, frame: Any) -> None:  # noqa: ARG002
        """First Ctrl-C (or SIGTERM, what schedulers and `kill` send): finish the step, checkpoint, return.
        A second one aborts immediately."""
        if self._stop_requested:
            raise KeyboardInterrupt
        self._stop_requested = True
