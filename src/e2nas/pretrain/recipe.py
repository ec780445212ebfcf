"""``e2nas pretrain``: train a supernet once, by a recipe, and keep it as a weights-only file with its record.

Pretraining is RandomNAS weight training (no answer is picked) run by the search engine, so it has the engine's
progress, checkpoints, resume, run-directory lock and CPU reproducibility (same seed, same weights). At the end
the supernet is written as ``supernet.pt`` (tensors only) and ranked on several cell samples; ``supernet.json``
records the recipe, the data, the code and that ranking beside the parameter count's on the same cells.

A study run's snapshot is shipped in the package (issue 22) by

    python scripts/ship_pretrained.py RUN_DIR --epoch 48 --rankings docs/results/pretrain/rankings.jsonl \
        --sweep sweeps/pretrain/stage1.yaml --commit dc2e81b

(a thin entry to :func:`main`): the recipe stored is the run's config plus where it came from (sweep file,
commit); the ranking is the study's ranking of that snapshot on cell samples 0, 1 and 2 (recomputed if the file
lacks one).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from e2nas.engine import SearchConfig, SearchEngine, make_config
from e2nas.engine.init_weights import RECORD_FILE, WEIGHTS_FILE
from e2nas.rundir import RunPaths
from e2nas.safeio import atomic_write_bytes, atomic_write_json

#: BN statistics the record's ranking is scored with (docs/results/pretrain: batch statistics rank the long-trained
#: supernets best; running ones break cells)
DEFAULT_BN = "batch"


@dataclass
class PretrainRecipe:
    """How a supernet is pretrained: the study's knobs on top of a search preset's supernet and data."""

    preset: str = "cpu"  # supernet (C, N), data and batch size come from this search preset
    seed: int = 0
    epochs: int = 48
    lr: float = 0.05
    lr_schedule: str = "constant"  # cosine | constant | plateau
    lr_min: float = 0.001  # cosine's end and plateau's floor
    sampler: str = "uniform"  # uniform | connected | iso (RandomNAS sampler); fair: strictly fair sampling
    fair: bool = True
    train_size: int | None = 25_000
    snapshot_every: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # any other SearchConfig field

    def config(self, threads: int | None = None, device: str = "cpu") -> SearchConfig:
        options: dict[str, Any] = {"candidates": 0, "sampler": self.sampler, "fair": self.fair}
        kw: dict[str, Any] = {
            "seed": self.seed,
            "epochs": self.epochs,
            "lr": self.lr,
            "lr_schedule": self.lr_schedule,
            "lr_min": self.lr_min,
            "train_size": self.train_size,
            "snapshot_every": self.snapshot_every,
            "rank_cells": 0,  # ranked on several samples at the end instead (record)
            "threads": threads,
            "device": device,
            **self.overrides,
        }
        return make_config(self.preset, "random", options=options, **kw)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: the recipe of a pretraining run, beside its config.json (what `e2nas pretrain --resume` continues)
RECIPE_FILE = "recipe.json"


def read_recipe(out: Path) -> PretrainRecipe | None:
    """The recipe a pretraining run in ``out`` was started with (None if there is none)."""
    import json

    p = Path(out) / RECIPE_FILE
    if not p.is_file():
        return None
    try:
        d = json.loads(p.read_text())
        known = {f.name for f in dataclasses.fields(PretrainRecipe)}
        return PretrainRecipe(**{k: v for k, v in d.items() if k in known})
    except (OSError, ValueError, TypeError) as err:
        from e2nas.engine import CheckpointError

        raise CheckpointError(f"{p} is not a readable pretraining recipe ({err}); restore it or start afresh") from None


def write_weights(path: Path, supernet: torch.nn.Module) -> None:
    """The supernet's tensors only (loadable with ``weights_only=True``), written atomically."""
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu().clone() for k, v in supernet.state_dict().items()}, buf)
    atomic_write_bytes(path, buf.getvalue())


def summarise_rankings(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean τ, ρ, top-10 % precision and params τ over the samples, and the per-sample values."""
    import numpy as np

    def mean(key: str) -> float:
        return float(np.mean([r[key] for r in records]))

    return {
        "kendall_tau": mean("kendall_tau"),
        "spearman": mean("spearman"),
        "top10_precision": mean("top10_precision"),
        "params_tau": mean("params_tau"),
        "tau_minus_params_tau": mean("kendall_tau") - mean("params_tau"),
        "samples": [
            {k: r[k] for k in ("sample_seed", "kendall_tau", "spearman", "top10_precision", "params_tau")}
            for r in records
        ],
        "bn": records[0]["bn"] if records else None,
        "cells": records[0]["cells"] if records else 0,
        "images": records[0]["images"] if records else 0,
    }


def export_supernet(
    run_dir: Path,
    epoch: int | None,
    recipe: dict[str, Any] | None,
    samples: tuple[int, ...] = (0, 1, 2),
    bn: str = DEFAULT_BN,
    progress: bool = True,
    cells: int = 100,
    images: int | None = None,
    rankings: list[dict[str, Any]] | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """Write ``supernet.pt`` (the final supernet of ``run_dir``, or its snapshot of ``epoch``) and its record
    ``supernet.json`` into ``out_dir`` (default ``run_dir``): recipe, config, data, code, and its ranking on
    ``samples`` beside the params τ. ``rankings``: the study's records of this very supernet (same cells, images
    and BN mode), used instead of ranking it again."""
    import tempfile

    from e2nas.engine.load import load_supernet
    from e2nas.pretrain.study import Candidate, rank_candidates
    from e2nas.provenance import code_version

    net, cfg = load_supernet(run_dir, epoch)
    dest = out_dir or run_dir
    dest.mkdir(parents=True, exist_ok=True)
    weights = dest / WEIGHTS_FILE
    write_weights(weights, net)
    if rankings is not None:
        recs = sorted(rankings, key=lambda r: r["sample_seed"])
    else:
        with tempfile.TemporaryDirectory() as tmp:  # rank the exact file just written
            cand = Candidate(run_dir, epoch or cfg.epochs, file=weights)
            recs = rank_candidates(
                [cand], Path(tmp) / "r.jsonl", samples, (bn,), cells=cells, images=images, progress=progress
            )
    ranking = summarise_rankings(recs)
    steps = (epoch if epoch is not None else cfg.epochs) * _steps(cfg)
    record = {
        "format": 1,
        "space": cfg.space,
        "C": cfg.C,
        "N": cfg.N,
        "num_classes": int(net.state_dict()["classifier.weight"].shape[0]),
        "dataset": cfg.dataset,
        "image_size": cfg.image_size,
        "train_size": cfg.train_size,
        "epoch": epoch if epoch is not None else cfg.epochs,
        "steps": steps,
        "recipe": recipe,
        # the training run's config, scored as the record's ranking was (what `e2nas rank` defaults to)
        "config": {**cfg.to_dict(), "eval_bn": bn},
        "kendall_tau": ranking["kendall_tau"],
        "params_tau": ranking["params_tau"],
        "ranking": ranking,
        "bytes": weights.stat().st_size,
        **code_version(),
    }
    atomic_write_json(dest / RECORD_FILE, record)
    return record


def _steps(cfg: SearchConfig) -> int:
    from e2nas.pretrain.study import _steps_per_epoch

    return _steps_per_epoch(cfg)


def pretrain(
    recipe: PretrainRecipe,
    out: Path,
    resume: bool = False,
    threads: int | None = None,
    progress: bool = True,
    samples: tuple[int, ...] = (0, 1, 2),
    bn: str = DEFAULT_BN,
    cells: int = 100,
    images: int | None = None,
) -> dict[str, Any] | None:
    """Train by ``recipe`` into ``out`` (a run directory), then export and rank ``cells`` cells on ``images``
    valid images (None: the preset's ``rank_images``, else all) per sample; None if interrupted."""
    cfg = recipe.config(threads)
    engine = SearchEngine(cfg, out, resume=resume, progress=progress)
    if not resume:
        from e2nas.safeio import ensure_dir

        ensure_dir(out, "pretraining directory (--out)")
        if not RunPaths(out).checkpoint.exists():
            atomic_write_json(out / RECIPE_FILE, recipe.to_dict())
    results = engine.run()
    if results is None:
        return None
    n = images if images is not None else cfg.rank_images
    return export_supernet(out, None, recipe.to_dict(), samples, bn, progress, cells, n)


#: the cell samples a shipped supernet's record is ranked on
SHIP_SAMPLES = (0, 1, 2)


def study_rankings(records: Sequence[dict[str, Any]], label: str, bn: str = DEFAULT_BN) -> list[dict[str, Any]] | None:
    """The study's rankings of supernet ``label`` with BN mode ``bn`` on :data:`SHIP_SAMPLES`, in sample order;
    None unless every sample is there (the snapshot is then ranked again)."""
    recs = {r["sample_seed"]: r for r in records if r["supernet"] == label and r["bn"] == bn}
    return [recs[s] for s in SHIP_SAMPLES] if all(s in recs for s in SHIP_SAMPLES) else None


def shipping_recipe(run: str, epoch: int, cfg: dict[str, Any], sweep: str = "", commit: str = "") -> dict[str, Any]:
    """The recipe a shipped supernet's record states: the study run ``run``'s config (``config.json``), where
    it came from, and the ``e2nas pretrain`` command that trains the same recipe."""
    return {
        "from": {"run": run, "epoch": epoch, "sweep": sweep, "trained_at_commit": commit},
        "method": cfg["method"],
        "options": cfg["options"],
        "lr": cfg["lr"],
        "lr_min": cfg["lr_min"],
        "train_size": cfg["train_size"],
        "seed": cfg["seed"],
        "reproduce": f"e2nas pretrain --epochs {epoch} --threads 1 --seed {cfg['seed']}"
        + (" --sampler fair" if cfg["options"].get("fair") else ""),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """The command line of ``scripts/ship_pretrained.py``: write supernet.pt and supernet.json into ``--out``."""
    from e2nas.engine.init_weights import shipped_path
    from e2nas.pretrain.study import read_records

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path)
    ap.add_argument("--epoch", type=int, required=True)
    ap.add_argument("--rankings", type=Path, required=True)
    ap.add_argument("--bn", default="batch")
    ap.add_argument("--sweep", default="", help="the sweep file the run came from (recorded)")
    ap.add_argument("--commit", default="", help="the commit the run trained at (recorded)")
    ap.add_argument("--out", type=Path, default=None, help="[default: the package's _data/pretrained]")
    a = ap.parse_args(argv)
    rankings = study_rankings(read_records(a.rankings), f"{a.run.name}@{a.epoch}", a.bn)
    cfg = json.loads((a.run / "config.json").read_text())
    recipe = shipping_recipe(a.run.name, a.epoch, cfg, a.sweep, a.commit)
    out = a.out or shipped_path().parent
    rec = export_supernet(a.run, a.epoch, recipe, bn=a.bn, rankings=rankings, out_dir=out)
    print(f"{out}: tau {rec['kendall_tau']:+.3f} (params {rec['params_tau']:+.3f}), {rec['bytes'] / 1e6:.2f} MB")
