"""Warm starts: the supernet weights a search starts from (``init_supernet``) instead of a fresh initialisation.

A source is ``shipped`` (the pretrained supernet inside the package, docs/results/pretrain), a weights file
(``e2nas pretrain``'s ``supernet.pt`` or a kept ``snapshots/epoch-NNNN.pt``), or a run directory (its final
checkpoint's supernet). Files are read weights-only (no code runs). A ``supernet.pt`` comes with a record
(``supernet.json``) that names the space, C, N, classes and data it was trained on; the record, or the run's
config.json, is checked against the search before any weight is copied, so a mismatch is one clear line.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from e2nas.engine.checkpoint import CheckpointError, read_checkpoint
from e2nas.engine.config import SearchConfig
from e2nas.engine.load import read_run_config, read_snapshot
from e2nas.rundir import CHECKPOINT

#: the name of the shipped supernet as ``init_supernet`` / ``e2nas rank`` take it
SHIPPED = "shipped"
#: file names of a pretrained supernet and its record
WEIGHTS_FILE = "supernet.pt"
RECORD_FILE = "supernet.json"
#: the fields a supernet's record must share with a search that starts from it
FIT_FIELDS = ("space", "C", "N", "num_classes")


def shipped_path() -> Path:
    """The pretrained supernet inside the package (``e2nas/_data/pretrained/supernet.pt``)."""
    return Path(str(resources.files("e2nas") / "_data" / "pretrained" / WEIGHTS_FILE))


def record_path(weights: Path) -> Path:
    """The record beside a weights file: ``supernet.pt`` -> ``supernet.json``."""
    return weights.with_suffix(".json")


def read_record(weights: Path) -> dict[str, Any] | None:
    """The record beside a weights file (None if there is none)."""
    p = record_path(weights)
    if not p.is_file():
        return None
    try:
        rec = json.loads(p.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{p} is not a readable supernet record ({err}); restore it or drop it") from None
    if not isinstance(rec, dict):
        raise CheckpointError(f"{p} is not a supernet record (a JSON object)")
    return rec


def _read_weights(path: Path) -> dict[str, torch.Tensor]:
    return read_snapshot(path)


def is_pretrained(source: str | Path) -> bool:
    """Whether ``source`` names one pretrained supernet (``shipped`` or a file) rather than a run directory."""
    return str(source) == SHIPPED or Path(source).is_file()


def load_pretrained(source: str | Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, SearchConfig]:
    """A pretrained supernet (``shipped`` or a ``supernet.pt`` with its record) and the config its record holds
    (how it was trained and scored), ready for evaluation on ``device``."""
    from e2nas.spaces import get_space

    weights, info, what = resolve(str(source))
    if "config" not in info:
        raise CheckpointError(
            f"{what} has no record (supernet.json) saying how it was trained; pass the run directory it came from"
        )
    cfg = SearchConfig.from_dict(info["config"])
    net = get_space(cfg.space).supernet(cfg.C, cfg.N, int(info["num_classes"]), cfg.track_running_stats)
    try:
        net.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(f"{what} does not fit its record's supernet ({str(err).splitlines()[0]})") from None
    return net.to(device), cfg


def resolve(source: str) -> tuple[dict[str, torch.Tensor], dict[str, Any], str]:
    """(weights, what they were trained as — space/C/N/num_classes and more where known —, a description)."""
    path = shipped_path() if source == SHIPPED else Path(source)
    if source == SHIPPED and not path.is_file():
        raise CheckpointError("this installation ships no pretrained supernet; pass a file or run directory")
    if path.is_dir():
        if (path / WEIGHTS_FILE).is_file():
            path = path / WEIGHTS_FILE
        else:
            cfg = read_run_config(path)
            if not (path / CHECKPOINT).is_file():
                raise CheckpointError(f"{path} has no {CHECKPOINT}: its search has not finished an epoch")
            weights = read_checkpoint(path / CHECKPOINT)["supernet"]
            info = {"space": cfg.space, "C": cfg.C, "N": cfg.N, "num_classes": _classes(weights, path)}
            return weights, {**info, "config": cfg.to_dict()}, f"the final supernet of {path}"
    if not path.is_file():
        raise CheckpointError(
            f"--init-supernet {source}: no such file or run directory; pass 'shipped', a supernet.pt or a run"
        )
    weights = _read_weights(path)
    rec = read_record(path) or {}
    info = {k: rec[k] for k in FIT_FIELDS if k in rec}
    info.setdefault("num_classes", _classes(weights, path))
    what = "the shipped supernet" if source == SHIPPED else str(path)
    return weights, {**rec, **info}, what


def _classes(weights: dict[str, torch.Tensor], path: Path) -> int:
    head = weights.get("classifier.weight")
    if head is None:
        raise CheckpointError(f"{path} holds no supernet weights (no classifier)")
    return int(head.shape[0])


def load_into(net: torch.nn.Module, cfg: SearchConfig, num_classes: int) -> dict[str, Any]:
    """Copy the weights of ``cfg.init_supernet`` into ``net`` after checking they fit; returns their description
    (what results.json records)."""
    source = cfg.init_supernet
    assert source is not None
    weights, info, what = resolve(source)
    want = {"space": cfg.space, "C": cfg.C, "N": cfg.N, "num_classes": num_classes}
    bad = [f"{k}={info[k]} (this search: {want[k]})" for k in FIT_FIELDS if k in info and info[k] != want[k]]
    if bad:
        raise CheckpointError(
            f"--init-supernet: {what} was trained as {', '.join(bad)}; start from a supernet of this space, C, N "
            "and dataset, or drop --init-supernet"
        )
    try:
        net.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(
            f"--init-supernet: {what} does not fit this search's supernet ({str(err).splitlines()[0][:160]})"
        ) from None
    out = {"source": source, "description": what}
    for k in ("kendall_tau", "params_tau", "recipe", "git_commit"):
        if k in info:
            out[k] = info[k]
    return out
