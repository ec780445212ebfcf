"""Shared fixtures: the real ground-truth table, loaded once per session."""

from __future__ import annotations

import pytest
import torch

from e2nas.benchmark import GroundTruth


@pytest.fixture(scope="session")
def gt() -> GroundTruth:
    return GroundTruth()


@pytest.fixture(autouse=True)
def _few_threads():
    # CI has 2 cores shared with other jobs; with 2 threads a busy machine makes every small op ~50x slower
    # (OpenMP threads wait for each other), so tests run single-threaded
    torch.set_num_threads(1)
    yield


def _write_image_folder(root, per_class=6, classes=(0, 1, 2), names=None, fmt="png"):
    """The first ``per_class`` embedded (real CIFAR-10) images of each class as ``root/train/<name>/NNNN.<fmt>``;
    returns {class folder: [images]}."""
    import numpy as np
    from PIL import Image

    from e2nas.data import load_embedded

    d = load_embedded()
    written = {}
    for c in classes:
        name = names[c] if names else f"class{c}"
        (root / "train" / name).mkdir(parents=True, exist_ok=True)
        idx = np.flatnonzero(d.y == c)[:per_class]
        for k, i in enumerate(idx):
            Image.fromarray(d.x[i]).save(root / "train" / name / f"{k:04d}.{fmt}")
        written[name] = [d.x[i] for i in idx]
    return written


@pytest.fixture
def make_image_folder():
    """``make_image_folder(root, per_class=6, classes=(0, 1, 2), names=None, fmt="png")``: an ImageFolder of real
    CIFAR-10 images (see ``_write_image_folder``)."""
    return _write_image_folder
