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
