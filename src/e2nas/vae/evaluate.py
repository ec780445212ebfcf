"""Reconstruction, injectivity and prior-sample quality of a trained D-VAE (what `e2nas vae eval` prints)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from e2nas.spaces.nb201 import NUM_CELLS, NUM_OPS
from e2nas.vae.data import all_ops, make_split
from e2nas.vae.model import DVAE, count_params
from e2nas.vae.quality import latent_quality


@torch.no_grad()
def _argmax_roundtrip(model: DVAE, ops: torch.Tensor, batch_size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """(μ of every cell, whether argmax-decode(μ) == cell) for (N, 6) ops."""
    mus, hits = [], []
    for s in range(0, ops.shape[0], batch_size):
        o = ops[s : s + batch_size]
        mu, _ = model.encode(o)
        mus.append(mu)
        hits.append((model.decode_argmax(mu) == o).all(dim=1))
    return torch.cat(mus).numpy(), torch.cat(hits).numpy()


@torch.no_grad()
def evaluate_model(
    model: DVAE,
    record: dict[str, Any] | None = None,
    prior_samples: int = 1000,
    seed: int = 0,
    subset: int | None = None,
    quality_pairs: int = 20000,
) -> dict[str, Any]:
    """All metrics as one JSON-ready dict. ``subset`` (tests) evaluates a seeded sample of that many cells."""
    model.eval()
    ops = all_ops()
    split = make_split()
    idx = np.arange(NUM_CELLS)
    if subset is not None and subset < NUM_CELLS:
        idx = np.sort(np.random.default_rng(seed).choice(NUM_CELLS, size=subset, replace=False))
    mu, hit = _argmax_roundtrip(model, ops[torch.from_numpy(idx)])
    pos = {int(c): k for k, c in enumerate(idx)}

    def acc_on(cells: np.ndarray) -> float | None:
        sel = [pos[int(c)] for c in cells if int(c) in pos]
        return float(hit[sel].mean()) if sel else None

    distinct = int(np.unique(mu, axis=0).shape[0])
    from scipy.spatial import cKDTree

    nearest = cKDTree(mu.astype(np.float64)).query(mu.astype(np.float64), k=2)[0][:, 1]
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(prior_samples, model.nz, generator=gen)
    dec = model.decode_argmax(z).numpy()
    valid = ((dec >= 0) & (dec < NUM_OPS)).all(axis=1)
    codes = (dec.astype(np.int64) * (NUM_OPS ** np.arange(dec.shape[1]))).sum(axis=1)
    train_codes = set(
        (ops[torch.from_numpy(split.train)].numpy() * (NUM_OPS ** np.arange(dec.shape[1]))).sum(axis=1).tolist()
    )
    from e2nas.spaces.nb201 import load_table

    acc = load_table().column("cifar10_valid")[idx]
    record = record or {}
    quality = latent_quality(mu, acc, pairs=quality_pairs, seed=seed)
    if idx.size == NUM_CELLS:
        from e2nas.vae.quality import hamming1_acc_spread

        quality["hamming1_acc_spread"] = hamming1_acc_spread(ops.numpy(), acc)
    return {
        "cells": int(idx.size),
        "recon_acc_test": acc_on(split.test),
        "recon_acc_valid": acc_on(split.valid),
        "recon_acc_train": acc_on(split.train),
        "recon_acc_all": float(hit.mean()),
        "injective": bool(distinct == idx.size and hit.all()),
        "distinct_means": distinct,
        "min_mean_distance": float(nearest.min()),
        "median_nn_distance": float(np.median(nearest)),
        "prior_samples": int(prior_samples),
        "prior_validity": float(valid.mean()),
        "prior_uniqueness": float(np.unique(codes).size / max(1, prior_samples)),
        "prior_novelty": float(np.mean([c not in train_codes for c in codes.tolist()])),
        "nz": model.nz,
        "hidden": model.config.hidden,
        "params": count_params(model),
        "train_seconds": record.get("train_seconds"),
        "epochs_run": record.get("epochs_run"),
        "quality": quality,
    }
