"""The resumable loop base (:mod:`e2nas.engine.runloop`), on a toy run that trains a linear model in a second:
a stopped, Ctrl-C'd, aborted or killed run resumes to exactly the uninterrupted result, the run directory's
contract holds (refusal, lock, log rewrite, results of a finished run), and checkpoints of another kind or shape
are refused with one clear error. The search and the training loops are subclasses; their own state is tested in
test_resume.py and tests/train."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import pytest
import torch
from torch import nn

from e2nas.data import Stream, seeded_generator
from e2nas.engine import CheckpointError
from e2nas.engine.runloop import RunLoop, cosine_lr, pick_device, seed_globals
from e2nas.rundir import RunPaths
from e2nas.safeio import RunDirBusyError, hold_run_dir


@dataclass
class ToyConfig:
    epochs: int = 3
    steps: int = 4
    lr: float = 0.1
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None

    def validate(self) -> None:
        if self.epochs < 1:
            raise ValueError("epochs must be positive")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def fingerprint(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "steps": self.steps, "lr": self.lr, "seed": self.seed}


class Toy(RunLoop):
    """Least squares with SGD: batches from a seeded stream, and a little noise from the global RNG, so a resume
    that lost the RNG state or a step would end elsewhere."""

    command, noun, checkpoint_format = "toy", "toy run", "e2nas-toy-checkpoint"

    def __init__(
        self, out: Any, resume: bool = False, on_step: Callable[[Toy], None] | None = None, hold_lock: bool = True, **kw
    ):
        super().__init__(ToyConfig(**kw), out, resume, progress=False, hold_lock=hold_lock)
        self.on_step = on_step

    def _build(self) -> None:
        self.device = pick_device(self.config.device, self.config.threads, ValueError)
        self.steps = self.config.steps
        seed_globals(self.config.seed)
        self.net = nn.Linear(4, 1)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=self.config.lr, momentum=0.9)

    def _fresh(self) -> None:
        self.loss_sum = 0.0

    def _loop_state(self) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "opt": self.opt.state_dict(), "loss_sum": self.loss_sum}

    def _restore_state(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        self.loss_sum = state["loss_sum"]

    def _run_epoch(self, stop_at_step: int | None) -> bool:
        cfg = self.config
        while self.step < self.steps:
            if self.should_stop(stop_at_step):
                return False
            x = torch.randn(8, 4, generator=seeded_generator(cfg.seed, Stream.TRAIN, self.epoch, self.step))
            for g in self.opt.param_groups:
                g["lr"] = cosine_lr(cfg.lr, 0.0, self.epoch + self.step / self.steps, cfg.epochs)
            loss = ((self.net(x) - x.sum(1, keepdim=True)) ** 2).mean() + 0.01 * torch.randn(())
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.loss_sum += float(loss.detach())
            self.step += 1
            if self.on_step is not None:
                self.on_step(self)
        record = {"epoch": self.epoch + 1, "loss": self.loss_sum / self.steps, "elapsed_s": self.elapsed_s()}
        self.history.append(record)
        self._append_log(record)
        self.epoch, self.step, self.loss_sum = self.epoch + 1, 0, 0.0
        self._save()
        return True

    def _finish(self, resumed: bool) -> dict[str, Any]:
        return {"weight": self.net.weight.tolist(), "bias": self.net.bias.tolist(), "resumed": resumed}


def _log(run_dir) -> list[dict[str, Any]]:
    lines = RunPaths(run_dir).log.read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "elapsed_s"} for line in lines]


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """An uninterrupted toy run: (its directory, its results)."""
    out = tmp_path_factory.mktemp("full")
    return out, Toy(out).run()


def _same_as_full(out, results, full) -> None:
    assert results["weight"] == full[1]["weight"] and results["bias"] == full[1]["bias"]
    assert results["resumed"] is True and _log(out) == _log(full[0])
    assert json.loads(RunPaths(out).results.read_text()) == results


def test_a_run_writes_the_run_directory(full):
    out, results = full
    paths = RunPaths(out)
    assert json.loads(paths.config.read_text()) == ToyConfig().to_dict()
    assert [r["epoch"] for r in _log(out)] == [1, 2, 3] and results["resumed"] is False
    assert paths.checkpoint.exists() and json.loads(paths.results.read_text()) == results


def test_stops_after_an_epoch_and_mid_epoch_resume_to_the_same_result(tmp_path, full):
    assert Toy(tmp_path).run(stop_after_epochs=1) is None
    assert len(_log(tmp_path)) == 1 and not RunPaths(tmp_path).finished
    assert Toy(tmp_path, resume=True).run(stop_at_step=6) is None  # in the middle of epoch 2
    _same_as_full(tmp_path, Toy(tmp_path, resume=True).run(), full)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_ctrl_c_finishes_the_step_checkpoints_and_resumes(tmp_path, full, sig):
    def ctrl_c(run: Toy) -> None:
        if run.done_steps() == 5:
            os.kill(os.getpid(), getattr(signal, sig))

    run = Toy(tmp_path, on_step=ctrl_c)
    assert run.run() is None and run.interrupted
    assert len(_log(tmp_path)) == 1  # epoch 1 logged; the checkpoint holds step 5 of epoch 2
    handler = signal.getsignal(signal.SIGINT)
    assert handler is not run._on_stop_signal  # the previous handlers are back
    _same_as_full(tmp_path, Toy(tmp_path, resume=True).run(), full)


def test_a_second_ctrl_c_aborts_and_the_last_checkpoint_still_resumes(tmp_path, full):
    def twice(run: Toy) -> None:
        if run.done_steps() == 6:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        Toy(tmp_path, on_step=twice).run()
    _same_as_full(tmp_path, Toy(tmp_path, resume=True).run(), full)


def test_resume_rewrites_a_log_line_the_checkpoint_does_not_hold(tmp_path, full):
    """A run killed after writing an epoch's log line but before its checkpoint."""
    assert Toy(tmp_path).run(stop_after_epochs=1) is None
    with RunPaths(tmp_path).log.open("a") as fh:
        fh.write('{"epoch": 2, "loss": "half-written"}\n')
    _same_as_full(tmp_path, Toy(tmp_path, resume=True).run(), full)


def test_an_occupied_directory_needs_resume_and_a_finished_run_is_not_run_again(tmp_path):
    out, results = tmp_path, Toy(tmp_path).run()
    with pytest.raises(CheckpointError, match="already holds a toy run; pass --resume"):
        Toy(out).run()
    stamp = RunPaths(out).checkpoint.stat().st_mtime_ns
    assert Toy(out, resume=True).run() == results
    assert RunPaths(out).checkpoint.stat().st_mtime_ns == stamp  # nothing ran, nothing written
    RunPaths(out).results.write_text("{damaged")
    again = Toy(out, resume=True).run()  # a damaged results.json is written again from the checkpoint
    assert again["weight"] == results["weight"] and json.loads(RunPaths(out).results.read_text()) == again


def test_the_run_holds_the_directory_lock(tmp_path):
    with hold_run_dir(tmp_path):
        with pytest.raises(RunDirBusyError):
            Toy(tmp_path, epochs=1).run()
        assert not RunPaths(tmp_path).config.exists()
        # hold_lock=False: the caller (a sweep) holds it
        assert Toy(tmp_path, epochs=1, hold_lock=False).run() is not None


def test_checkpoints_of_another_kind_or_run_are_refused(tmp_path):
    Toy(tmp_path, epochs=2).run(stop_after_epochs=1)
    with pytest.raises(CheckpointError, match="belongs to a different run .*lr: checkpoint 0.1 vs now 0.2"):
        Toy(tmp_path, epochs=2, lr=0.2, resume=True).run()

    class Other(Toy):
        checkpoint_format = "e2nas-other-checkpoint"

    with pytest.raises(CheckpointError, match="is not an e2nas-other-checkpoint"):
        Other(tmp_path, epochs=2, resume=True).run()

    class Wider(Toy):
        def _build(self) -> None:
            super()._build()
            self.net = nn.Linear(4, 2)

    with pytest.raises(CheckpointError, match=r"does not fit this run \(RuntimeError: "):
        Wider(tmp_path, epochs=2, resume=True).run()


def test_helpers():
    assert cosine_lr(0.1, 0.0, 0.0, 10) == 0.1 and cosine_lr(0.1, 0.01, 10.0, 10) == pytest.approx(0.01)
    assert cosine_lr(0.1, 0.0, 5.0, 10) == pytest.approx(0.05)
    seed_globals(3)
    a = torch.rand(3)
    seed_globals(3)
    assert torch.equal(a, torch.rand(3))
    if not torch.cuda.is_available():
        with pytest.raises(KeyError, match="torch sees no CUDA device"):
            pick_device("cuda", None, KeyError)
