"""The ceiling of the CPU ranking proxy (issue 22): train each sampled cell's own discrete network standalone at a
search preset's scale and rank the cells by the accuracy they reach.

A supernet's inherited accuracy can at best approach what the cells reach when each is trained alone at the same
scale (C, N, image size, data); if that standalone ranking does not beat counting parameters, no supernet at this
scale can. Results: docs/results/pretrain/ceiling.md.

The optimiser is NB201's retraining recipe as the ``nb201`` space's train presets give it (SGD, Nesterov momentum,
weight decay, per-step cosine lr to its minimum, random crop + flip), on the search split a search trains and
validates on; accuracy is measured on the whole search-valid half in eval mode (BN running statistics).
Deterministic: the network's initialisation, the data order and the augmentation depend only on ``seed``, and
the global RNGs are left as they were. The thread count is the caller's (``torch.set_num_threads``).

    python scripts/pretrain_ceiling.py --sample-seed 0 --cells 50 --epochs 1 --threads 1 \
        --out docs/results/pretrain/ceiling.jsonl --summary docs/results/pretrain/ceiling.json

(a thin entry to :func:`main`). The cells are every second cell of ``e2nas rank``'s stratified sample of 2K cells
(seed ``--sample-seed``), so they span its accuracy strata; they are trained in a seeded shuffled order, so a run
stopped part-way still spans them. One JSON line per trained cell is appended to ``--out``; a rerun skips the
cells it holds. ``--summary-only`` summarises the cells already in ``--out`` without training any.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from e2nas.data import DeviceLoader, Stream, search_split
from e2nas.engine.runloop import cosine_lr
from e2nas.pretrain.study import read_records, write_json
from e2nas.spaces.nb201 import Cell, NB201Space
from e2nas.train.loop import TrainError

#: the optimiser fields taken from a train preset of the nb201 space
RECIPE_KEYS = ("lr", "lr_min", "momentum", "nesterov", "weight_decay")
#: table yardsticks ranked on the same cells in the summary
SUMMARY_YARDSTICKS = ("params", "flops", "acc12")


@dataclass(frozen=True)
class CeilingSetup:
    """The scale and recipe of a standalone training: the ``cpu`` search preset's network and data by default."""

    C: int = 8
    N: int = 1
    epochs: int = 2
    batch_size: int = 64
    dataset: str = "embedded16"
    train_size: int | None = 25_000
    valid_size: int | None = None  # None: the dataset's whole search-valid half (embedded16: 2,000 images)
    image_size: int | None = None
    seed: int = 0
    recipe: str = "cpu"  # the nb201 train preset whose optimiser settings (RECIPE_KEYS) are used
    steps_per_epoch: int | None = None  # None: one pass over the training images (tests use a few steps)

    def optimiser(self) -> dict[str, Any]:
        preset = NB201Space.train_presets[self.recipe]
        return {k: preset[k] for k in RECIPE_KEYS}

    def key(self) -> dict[str, Any]:
        """What makes two trainings of one cell the same measurement (resume skips a cell with the same key)."""
        return {**asdict(self), **self.optimiser()}


def load_data(setup: CeilingSetup) -> tuple[DeviceLoader, DeviceLoader]:
    """(train, valid) loaders of the setup's search split; the train loader augments, the valid one is read
    unaugmented in fixed order."""
    train, valid = search_split(setup.dataset, None, setup.image_size, setup.train_size, setup.valid_size)
    return (
        DeviceLoader(train, setup.batch_size, "cpu", setup.seed, stream=Stream.TRAIN),
        DeviceLoader(valid, setup.batch_size, "cpu", setup.seed, stream=Stream.VALID, augment=False),
    )


@torch.no_grad()
def evaluate(net: nn.Module, loader: DeviceLoader) -> tuple[float, float, int]:
    """(mean loss, accuracy %, images) over every image of ``loader`` in eval mode."""
    net.eval()
    loss_sum, correct, n = 0.0, 0, 0
    for x, y in loader.images():
        logits = net(x)
        loss_sum += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(1) == y).sum())
        n += len(y)
    return loss_sum / n, 100.0 * correct / n, n


def train_standalone(
    cell: Cell, setup: CeilingSetup, train: DeviceLoader, valid: DeviceLoader, num_classes: int = 10
) -> dict[str, Any]:
    """Train ``cell``'s discrete network from scratch and return its valid accuracy and loss, last-epoch train
    loss/accuracy, steps, seconds and parameter count. Raises TrainError if the loss becomes NaN."""
    opt = setup.optimiser()
    steps = setup.steps_per_epoch or len(train)
    t0 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.seed)
        net = NB201Space().network(cell, setup.C, setup.N, num_classes)
        sgd = torch.optim.SGD(
            net.parameters(),
            lr=opt["lr"],
            momentum=opt["momentum"],
            nesterov=opt["nesterov"],
            weight_decay=opt["weight_decay"],
        )
        for epoch in range(setup.epochs):
            net.train()
            order = train.order(epoch)
            loss_sum = acc_sum = 0.0
            for step in range(steps):
                for g in sgd.param_groups:
                    g["lr"] = cosine_lr(opt["lr"], opt["lr_min"], epoch + step / steps, setup.epochs)
                x, y = train.batch(epoch, step, order)
                logits = net(x)
                loss = nn.functional.cross_entropy(logits, y)
                value = float(loss.detach())
                if not math.isfinite(value):
                    raise TrainError(f"cell {cell.to_string()}: loss became {value} at epoch {epoch} step {step}")
                sgd.zero_grad(set_to_none=True)
                loss.backward()
                sgd.step()
                loss_sum += value
                acc_sum += float((logits.detach().argmax(1) == y).float().mean()) * 100.0
        valid_loss, valid_acc, images = evaluate(net, valid)
    return {
        "valid_acc": valid_acc,
        "valid_loss": valid_loss,
        "valid_images": images,
        "train_loss": loss_sum / steps,
        "train_acc": acc_sum / steps,
        "steps": steps * setup.epochs,
        "seconds": time.perf_counter() - t0,
        "params": sum(p.numel() for p in net.parameters()),
    }


def run_cells(cells: Sequence[Cell], setup: CeilingSetup, out: Path, progress: bool = True) -> list[dict[str, Any]]:
    """Train every cell standalone, appending one JSON line per cell to ``out`` as soon as it is trained; cells
    ``out`` already holds with the same setup are skipped (a killed run resumes). Returns every record of
    ``out`` with this setup, in ``cells`` order."""
    from e2nas.spaces.nb201 import GroundTruth

    key = setup.key()
    done = {r["index"]: r for r in read_records(out) if r.get("setup") == key}
    todo = [c for c in cells if c.index not in done]
    if todo:
        gt = GroundTruth()
        train, valid = load_data(setup)
        out.parent.mkdir(parents=True, exist_ok=True)
        for cell in todo:
            r = train_standalone(cell, setup, train, valid)
            rec = {
                "index": cell.index,
                "cell": cell.to_string(),
                **{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()},
                "ground_truth": gt.value(cell, "cifar10_valid"),
                "setup": key,
            }
            with out.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            done[cell.index] = rec
            if progress:
                print(
                    f"[{len(done)}/{len(cells)}] #{cell.index} valid acc {r['valid_acc']:.2f} "
                    f"(NB201 {rec['ground_truth']:.2f}) {r['seconds']:.0f} s",
                    flush=True,
                )
    return [done[c.index] for c in cells if c.index in done]


def summarise(records: Sequence[dict[str, Any]], sample_seed: int, bootstrap: int = 1000) -> dict[str, Any]:
    """Kendall τ / Spearman ρ / top-10 % of standalone valid accuracy against NB201 ``cifar10_valid`` (with
    bootstrap intervals), the table yardsticks' on the same cells, standalone τ − params τ (paired), and cost."""
    from scipy.stats import kendalltau

    from e2nas.ranking import rank_scores
    from e2nas.ranking.yardsticks import yardstick_scores

    if len(records) < 2:
        raise ValueError(f"a ranking needs at least 2 trained cells, got {len(records)}")
    cells = [Cell.from_index(r["index"]) for r in records]
    scores = [(r["valid_loss"], r["valid_acc"]) for r in records]
    ys = yardstick_scores(SUMMARY_YARDSTICKS, cells)
    seconds = [r["seconds"] for r in records]
    ranking = rank_scores(
        cells,
        scores,
        images=records[0]["valid_images"],
        seed=sample_seed,
        eval_time_s=sum(seconds),
        bootstrap=bootstrap,
        bn="running",
        yardsticks=ys,
        space="nb201",
    )
    s = ranking.summary()
    acc = [r["valid_acc"] for r in records]
    agreement = {name: kendalltau(acc, ys[name][0]).statistic for name in SUMMARY_YARDSTICKS}
    return {
        "kendall_tau": s["kendall_tau"],
        "spearman": s["spearman"],
        "top10_precision": s["top10_precision"],
        "intervals": s["intervals"],
        "params_tau": s["params_tau"],
        "yardsticks": {
            k: {m: v[m] for m in ("kendall_tau", "spearman", "intervals")} for k, v in s["yardsticks"].items()
        },
        "vs_params": s["vs_params"],
        "tau_conv_ops": s["tau_conv_ops"],
        # Kendall τ between standalone accuracy and each yardstick: how much of the standalone ranking is size
        "agreement": {k: float(v) for k, v in agreement.items()},
        "cells": len(records),
        "sample_seed": sample_seed,
        "mean_valid_acc": s["mean_inherited_acc"],
        "top1_gt": s["top1_gt"],
        "epochs": records[0]["setup"]["epochs"],
        "steps_per_cell": records[0]["steps"],
        "seconds_per_cell": sum(seconds) / len(seconds),
        "seconds_total": sum(seconds),
        "setup": records[0]["setup"],
    }


def study_cells(n: int, sample_seed: int) -> tuple[list[Cell], list[int]]:
    """The study's ``n`` cells, every second of ``e2nas rank``'s stratified sample of ``2n`` (so they span its
    accuracy strata), and the seeded order they are trained in (a run stopped part-way still spans them)."""
    from e2nas.ranking import sample_cells

    cells = sample_cells(2 * n, sample_seed, space="nb201")[::2]
    order = np.random.default_rng(sample_seed).permutation(len(cells))
    return cells, [int(i) for i in order]


def ceiling_study(
    n: int, sample_seed: int, setup: CeilingSetup, out: Path, summary_only: bool = False
) -> dict[str, Any]:
    """Train the study's cells not yet in ``out`` (none when ``summary_only``) and summarise those it holds,
    in strata order."""
    cells, order = study_cells(n, sample_seed)
    if summary_only:
        have = {r["index"]: r for r in read_records(out) if r.get("setup") == setup.key()}
    else:
        have = {r["index"]: r for r in run_cells([cells[i] for i in order], setup, out)}
    summary = summarise([have[c.index] for c in cells if c.index in have], sample_seed)
    summary["cells_planned"] = len(cells)
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    """The command line of ``scripts/pretrain_ceiling.py``: train, write the summary JSON, print its headline."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample-seed", type=int, default=0)
    ap.add_argument("--cells", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--train-size", type=int, default=25_000)
    ap.add_argument("--seed", type=int, default=0, help="initialisation and data-order seed of every cell")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help="JSONL, one line per trained cell")
    ap.add_argument("--summary", type=Path, default=None, help="summary JSON (default: --out with .json)")
    ap.add_argument("--summary-only", action="store_true", help="summarise the cells in --out, train none")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    setup = CeilingSetup(epochs=a.epochs, train_size=a.train_size, seed=a.seed)
    summary = ceiling_study(a.cells, a.sample_seed, setup, a.out, a.summary_only)
    summary["command"] = (
        f"python scripts/pretrain_ceiling.py --sample-seed {a.sample_seed} --cells {a.cells} --epochs {a.epochs} "
        f"--train-size {a.train_size} --seed {a.seed} --threads {a.threads} --out {a.out}"
    )
    write_json(a.summary or a.out.with_suffix(".json"), summary)
    iv = summary["intervals"]["kendall_tau"]
    vp = summary["vs_params"]
    print(
        json.dumps(
            {
                "cells": summary["cells"],
                "epochs": summary["epochs"],
                "kendall_tau": round(summary["kendall_tau"], 3),
                "tau_interval": [round(v, 3) for v in iv],
                "spearman": round(summary["spearman"], 3),
                "params_tau": round(summary["params_tau"], 3),
                "acc12_tau": round(summary["yardsticks"]["acc12"]["kendall_tau"], 3),
                "tau_minus_params": [round(vp["difference"], 3), [round(v, 3) for v in vp["interval"]]],
                "mean_valid_acc": round(summary["mean_valid_acc"], 2),
                "seconds_per_cell": round(summary["seconds_per_cell"], 1),
            }
        )
    )
