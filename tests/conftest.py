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
    # CI has 2 cores; keep torch from oversubscribing when pytest runs in parallel processes
    torch.set_num_threads(2)
    yield
