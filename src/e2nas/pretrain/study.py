"""The pretraining recipe study: rank many kept supernets (snapshots of pretraining runs, and averages of them)
on several cell samples with several BN modes, next to the parameter count on the same cells.

Each (supernet, sample, BN mode) ranking is one JSON line of the study's result file, written as soon as it is
measured; a rerun skips the lines it already has, so a killed study resumes where it stopped.

    python scripts/pretrain_rank.py runs/pretrain/RUN ... --out docs/results/pretrain/rankings.jsonl \
        [--every 1] [--samples 0,1,2] [--bn batch,recal] [--average 4]

(a thin entry to :func:`main`). ``--average K`` also ranks the average of each run's last K snapshots
(checkpoint averaging).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from e2nas.engine.config import SearchConfig
from e2nas.engine.load import kept_epochs, read_run_config, read_snapshot, snapshot_path
from e2nas.safeio import atomic_write_text

#: the table column the parameter-count yardstick reads (parameters of the evaluation network, NB201 C=16, N=5)
PARAMS_COLUMN = "params_cifar10_M"


@dataclass(frozen=True)
class Candidate:
    """One supernet to rank: a run's snapshot of ``epoch``, or the average of several (``average`` epochs)."""

    run_dir: Path
    epoch: int
    average: tuple[int, ...] = ()
    file: Path | None = None  # weights from this file instead of a snapshot (the run's config still applies)

    @property
    def label(self) -> str:
        if self.file is not None:
            return f"{self.run_dir.name}@{self.file.name}"
        if self.average:
            return f"{self.run_dir.name}@avg{self.average[0]}-{self.average[-1]}x{len(self.average)}"
        return f"{self.run_dir.name}@{self.epoch}"


def snapshot_candidates(run_dir: Path, every: int = 1) -> list[Candidate]:
    """Every ``every``-th kept snapshot of a run, as candidates."""
    epochs = kept_epochs(run_dir)
    return [Candidate(run_dir, e) for e in epochs[every - 1 :: every]]


def study_candidates(
    runs: Iterable[Path], every: int = 1, epochs: Iterable[int] = (), average: int = 0
) -> list[Candidate]:
    """The supernets the study ranks: every ``every``-th kept snapshot of each run (only ``epochs`` when given)
    and, with ``average`` K, the average of the run's last K kept snapshots (a run with fewer gets none)."""
    wanted = set(epochs)
    out: list[Candidate] = []
    for run in runs:
        out += [c for c in snapshot_candidates(run, every) if not wanted or c.epoch in wanted]
        kept = kept_epochs(run)
        if average and len(kept) >= average:
            last = tuple(kept[-average:])
            out.append(Candidate(run, last[-1], last))
    return out


def average_weights(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Uniform average of supernet weights (checkpoint averaging, as ``torch.optim.swa_utils`` would average them
    over the same points); BN running statistics are averaged too, integer buffers take the last value."""
    out: dict[str, torch.Tensor] = {}
    for k, v in states[-1].items():
        if v.is_floating_point():
            out[k] = torch.stack([s[k].float() for s in states]).mean(0).to(v.dtype)
        else:
            out[k] = v.clone()
    return out


def load_candidate(c: Candidate) -> tuple[torch.nn.Module, SearchConfig]:
    """The candidate's supernet (weights of its snapshot, or the average of its snapshots) and its run config."""
    from e2nas.spaces import get_space

    cfg = read_run_config(c.run_dir)
    epochs = c.average or (c.epoch,)
    paths = [c.file] if c.file is not None else [snapshot_path(c.run_dir, e) for e in epochs]
    states = [read_snapshot(p) for p in paths]
    weights = states[0] if len(states) == 1 else average_weights(states)
    net = get_space(cfg.space).supernet(cfg.C, cfg.N, int(weights["classifier.weight"].shape[0]), True)
    net.load_state_dict(weights)
    return net, cfg


def _done(path: Path) -> set[tuple[str, int, str]]:
    if not path.is_file():
        return set()
    keys = set()
    for line in path.read_text().splitlines():
        try:
            r = json.loads(line)
            keys.add((r["supernet"], int(r["sample_seed"]), r["bn"]))
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line of a killed study
    return keys


def params_tau(cells: Iterable[Any], metric: str, space: str) -> float:
    """Kendall τ of the parameter count against ground truth ``metric`` on ``cells`` (architectures of ``space``
    or what its benchmark reads, such as NB201 indices)."""
    from scipy.stats import kendalltau

    from e2nas.spaces import SpaceError, get_space

    gt = get_space(space).ground_truth()
    if gt is None:
        raise SpaceError(f"params τ needs ground truth, and the {space} space has no benchmark table")
    cells = list(cells)
    p = np.array([gt.value(c, PARAMS_COLUMN) for c in cells])
    g = np.array([gt.value(c, metric) for c in cells])
    return float(kendalltau(p, g).statistic)


def rank_candidates(
    candidates: Sequence[Candidate],
    out: Path,
    samples: Sequence[int] = (0, 1, 2),
    bn_modes: Sequence[str] = ("batch", "recal"),
    cells: int = 100,
    images: int | None = None,
    calib_images: int = 256,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Rank every candidate on every sample with every BN mode; append each result to ``out`` (JSONL) and skip
    what ``out`` already holds. Returns the new records."""
    from e2nas.data import DeviceLoader, Stream, search_split
    from e2nas.ranking import rank_supernet

    done = _done(out)
    new: list[dict[str, Any]] = []
    data_cache: dict[tuple[Any, ...], tuple[Any, Any]] = {}
    for c in candidates:
        todo = [(s, bn) for s in samples for bn in bn_modes if (c.label, s, bn) not in done]
        if not todo:
            continue
        net, cfg = load_candidate(c)
        key = (cfg.dataset, cfg.data_dir, cfg.image_size, cfg.train_size, cfg.valid_size, cfg.batch_size)
        if key not in data_cache:
            train, valid = search_split(cfg.dataset, cfg.data_dir, cfg.image_size, cfg.train_size, cfg.valid_size)
            cl = cfg.use_channels_last()
            valid_loader = DeviceLoader(valid, cfg.batch_size, "cpu", cfg.seed, stream=Stream.VALID, channels_last=cl)
            train_loader = DeviceLoader(train, cfg.batch_size, "cpu", cfg.seed, stream=Stream.TRAIN, channels_last=cl)
            data_cache[key] = (valid_loader, list(train_loader.images(calib_images)))
        valid_loader, calib = data_cache[key]
        if cfg.use_channels_last():
            net = net.to(memory_format=torch.channels_last)
        for s, bn in todo:
            t0 = time.perf_counter()
            r = rank_supernet(
                net, valid_loader, cells, images, s, bn=bn, calib=calib if bn == "recal" else None, space=cfg.space
            )
            sampled = [c2["index"] for c2 in r.per_cell]
            rec = {
                "supernet": c.label,
                "run": c.run_dir.name,
                "epoch": c.epoch,
                "average": list(c.average),
                "steps": c.epoch * _steps_per_epoch(cfg),
                "sample_seed": s,
                "bn": bn,
                "calib_images": calib_images if bn == "recal" else 0,
                "kendall_tau": r.kendall_tau,
                "spearman": r.spearman,
                "top10_precision": r.top10_precision,
                "intervals": {k: list(v) for k, v in r.intervals.items()},
                "params_tau": params_tau(sampled, r.metric, cfg.space),
                "mean_inherited_acc": r.mean_inherited_acc,
                "images": r.images,
                "cells": r.cells,
                "per_cell_acc": [round(p["inherited_acc"], 3) for p in r.per_cell],
                "per_cell_index": sampled,
                "time_s": round(time.perf_counter() - t0, 1),
            }
            with out.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            new.append(rec)
            if progress:
                print(
                    f"{c.label} sample {s} bn {bn}: tau {r.kendall_tau:+.3f} (params {rec['params_tau']:+.3f}) "
                    f"top10 {r.top10_precision:.2f} mean acc {r.mean_inherited_acc:.1f} [{rec['time_s']} s]",
                    flush=True,
                )
    return new


def _steps_per_epoch(cfg: SearchConfig) -> int:
    if cfg.steps_per_epoch:
        return cfg.steps_per_epoch
    train = cfg.train_size or 25_000
    return -(-train // cfg.batch_size)


def read_records(path: Path) -> list[dict[str, Any]]:
    """The study's JSONL records (a torn last line is skipped)."""
    out = []
    for line in path.read_text().splitlines() if path.is_file() else []:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    """The command line of ``scripts/pretrain_rank.py``: rank the runs' candidates into ``--out``."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--every", type=int, default=1, help="rank every E-th kept snapshot")
    ap.add_argument("--epochs", default="", help="only these kept epochs (comma list)")
    ap.add_argument("--samples", default="0", help="cell-sample seeds (comma list)")
    ap.add_argument("--bn", default="batch,recal", help="BN modes (comma list of batch, running, recal)")
    ap.add_argument("--average", type=int, default=0, help="also rank the average of the last K snapshots")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--calib-images", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    epochs = [int(e) for e in a.epochs.split(",") if e]
    cands = study_candidates(a.runs, a.every, epochs, a.average)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    rank_candidates(
        cands,
        a.out,
        samples=[int(s) for s in a.samples.split(",")],
        bn_modes=a.bn.split(","),
        images=a.images,
        calib_images=a.calib_images,
    )
