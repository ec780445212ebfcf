"""The training loop of ``e2nas train``: SGD with a per-step cosine lr, optional auxiliary loss, drop-path
and cutout; one JSONL line, test accuracy and an atomic checkpoint per epoch; ``results.json`` at the end.

As in the search engine, data order and augmentation depend only on (seed, epoch, step) and the global RNGs
(network init, drop-path) are checkpointed, so a resumed run continues to the same result on CPU. The run
directory, resume and Ctrl-C are :class:`e2nas.engine.runloop.RunLoop`'s, shared with the search.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from e2nas.data import NUM_CLASSES, ArrayDataset, DeviceLoader, Stream, seeded_generator
from e2nas.data.datasets import NORMALISATION
from e2nas.engine.runloop import RunLoop, cosine_lr, pick_device, seed_globals, versions
from e2nas.spaces import get_space
from e2nas.train.augment import cutout
from e2nas.train.config import TrainConfig
from e2nas.train.data import train_test_sets

FORMAT = "e2nas-train-checkpoint"


class TrainError(RuntimeError):
    """Training itself failed (the loss became NaN); the message says where and what to try."""


class Trainer(RunLoop):
    """``Trainer(config, out_dir).run()`` trains ``config.arch`` and returns the results dict (None if stopped)."""

    command, noun, checkpoint_format = "train", "run", FORMAT

    def __init__(self, config: TrainConfig, out_dir: str | Path, resume: bool = False, progress: bool = True):
        super().__init__(config, out_dir, resume, progress)
        self.config: TrainConfig = config

    # -- setup -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        cfg = self.config
        self.device = pick_device(cfg.device, cfg.threads, TrainError)
        train, self.test = train_test_sets(cfg.dataset, cfg.data_dir)
        if cfg.test_images is not None:
            self.test = self.test.subset(np.arange(min(cfg.test_images, len(self.test))))
        self.num_classes = NUM_CLASSES[train.family]
        self.loader = DeviceLoader(train, cfg.batch_size, self.device, cfg.seed, Stream.TRAIN)
        self.steps = cfg.steps_per_epoch or len(self.loader)
        seed_globals(cfg.seed)
        self.space = get_space(cfg.space)
        arch = self.space.parse_network_arch(cfg.arch)
        self.net = self.space.network(arch, cfg.C, cfg.N, self.num_classes, auxiliary=cfg.auxiliary_weight > 0)
        self.net = self.net.to(self.device)
        self.optimizer = torch.optim.SGD(
            self.net.parameters(),
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.nesterov,
            weight_decay=cfg.weight_decay,
        )
        self.criterion = nn.CrossEntropyLoss()

    def _lr(self, t: float) -> float:
        return cosine_lr(self.config.lr, self.config.lr_min, t, self.config.epochs)

    def _parameters(self) -> dict[str, int]:
        total = sum(p.numel() for p in self.net.parameters())
        aux = getattr(self.net, "auxiliary", None)
        without = total - (sum(p.numel() for p in aux.parameters()) if aux is not None else 0)
        return {"params": total, "params_without_aux": without}

    # -- state -----------------------------------------------------------------------------------------
    def _fresh(self) -> None:
        self.sums: dict[str, tuple[float, int]] = {}

    def _loop_state(self) -> dict[str, Any]:
        return {"sums": dict(self.sums), "net": self.net.state_dict(), "optimizer": self.optimizer.state_dict()}

    def _restore_state(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.sums = dict(state["sums"])

    # -- the loop --------------------------------------------------------------------------------------
    def _run_epoch(self, stop_at_step: int | None) -> bool:
        cfg, net = self.config, self.net
        if hasattr(net, "drop_path_prob"):
            net.drop_path_prob = cfg.drop_path * self.epoch / cfg.epochs  # DARTS: linear from 0
        order = self.loader.order(self.epoch)
        net.train()
        t0 = time.perf_counter()
        while self.step < self.steps:
            if self.should_stop(stop_at_step):
                return False
            for g in self.optimizer.param_groups:
                g["lr"] = self._lr(self.epoch + self.step / self.steps)
            x, y = self.loader.batch(self.epoch, self.step, order)
            if cfg.cutout:
                gen = seeded_generator(cfg.seed, Stream.CUTOUT, self.epoch, self.step, device=self.device)
                x = cutout(x, cfg.cutout, gen)
            out = net(x)
            logits, aux = out if isinstance(out, tuple) else (out, None)
            loss = self.criterion(logits, y)
            if aux is not None:
                loss = loss + cfg.auxiliary_weight * self.criterion(aux, y)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise TrainError(
                    f"training loss became {value} at epoch {self.epoch} step {self.step}; try a lower --lr"
                )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            self.optimizer.step()
            self._add("train_loss", value)
            self._add("train_acc", float((logits.detach().argmax(1) == y).float().mean()) * 100.0)
            self.step += 1
        self._end_epoch(time.perf_counter() - t0)
        return True

    def _add(self, key: str, value: float) -> None:
        s, n = self.sums.get(key, (0.0, 0))
        self.sums[key] = (s + value, n + 1)

    def _end_epoch(self, seconds: float) -> None:
        test_loss, test_acc = evaluate(self.net, self.test, self.config.batch_size, self.device, self.criterion)
        record = {
            "epoch": self.epoch + 1,
            **{k: s / max(n, 1) for k, (s, n) in self.sums.items()},
            "test_loss": test_loss,
            "test_acc": test_acc,
            "lr": self.optimizer.param_groups[0]["lr"],
            "drop_path": float(getattr(self.net, "drop_path_prob", 0.0)),
            "time_s": seconds,
            "elapsed_s": self.elapsed_s(),
        }
        self.history.append(record)
        self._append_log(record)
        self.epoch, self.step, self.sums = self.epoch + 1, 0, {}
        if self.show_progress:
            print(
                f"train {self.config.space} epoch {self.epoch}/{self.config.epochs} loss {record['train_loss']:.3f} "
                f"test acc {test_acc:.2f}",
                file=sys.stderr,
                flush=True,
            )
        self._save()

    def _finish(self, resumed: bool) -> dict[str, Any]:
        cfg = self.config
        last = self.history[-1]
        results = {
            "kind": "train",
            "space": cfg.space,
            "arch": cfg.arch,
            "preset": cfg.preset,
            "dataset": cfg.dataset,
            "seed": cfg.seed,
            "epochs": cfg.epochs,
            "steps_per_epoch": self.steps,
            "final": {"test_acc": last["test_acc"], "test_loss": last["test_loss"], "train_loss": last["train_loss"]},
            "test_images": len(self.test),
            **self._parameters(),
            "ground_truth": _ground_truth(self.space, cfg.arch),
            "wall_time_s": self.elapsed_s(),
            "device": str(self.device),
            "resumed": resumed,
            "config": cfg.to_dict(),
            "versions": versions(),
        }
        return results


def _ground_truth(space: Any, arch: str) -> dict[str, float] | None:
    """What the space's benchmark says about the architecture (NB201's 200-epoch numbers), if it has one."""
    gt = space.ground_truth()
    return gt.summary(space.parse(arch)) if gt is not None else None


@torch.no_grad()
def evaluate(
    net: nn.Module, data: ArrayDataset, batch_size: int, device: torch.device, criterion: nn.Module
) -> tuple[float, float]:
    """(loss, accuracy %) over every image of ``data`` (eval mode, no augmentation); training mode restored."""
    was_training = net.training
    net.eval()
    mean, std = NORMALISATION[data.family]
    m = torch.tensor(mean, device=device).view(1, 3, 1, 1) * 255.0
    s = torch.tensor(std, device=device).view(1, 3, 1, 1) * 255.0
    loss_sum, correct = 0.0, 0
    for i in range(0, len(data), batch_size):
        x = torch.from_numpy(data.x[i : i + batch_size]).to(device).permute(0, 3, 1, 2).float()
        y = torch.from_numpy(data.y[i : i + batch_size]).to(device)
        logits = net((x - m) / s)
        loss_sum += float(criterion(logits, y)) * len(y)
        correct += int((logits.argmax(1) == y).sum())
    net.train(was_training)
    return loss_sum / len(data), 100.0 * correct / len(data)
