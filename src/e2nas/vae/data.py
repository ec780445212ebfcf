"""The training data: all 15,625 NB201 cells and a deterministic 80/10/10 split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from e2nas.spaces.nb201 import NUM_CELLS

#: fixed split seed, independent of the training seed, so every model is scored on the same test cells
SPLIT_SEED = 0
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)


@dataclass(frozen=True)
class Split:
    """NB201 indices of the train / validation / test cells."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def all_ops() -> torch.Tensor:
    """(15625, 6) op indices in NB201 index order."""
    from e2nas.spaces.nb201 import load_table

    return torch.from_numpy(load_table().ops.astype(np.int64))


def make_split(seed: int = SPLIT_SEED) -> Split:
    """Seeded permutation of the 15,625 indices cut 80/10/10 (12,500 / 1,562 / 1,563)."""
    perm = torch.randperm(NUM_CELLS, generator=torch.Generator().manual_seed(seed)).numpy()
    n_train = int(round(SPLIT_FRACTIONS[0] * NUM_CELLS))
    n_valid = int(SPLIT_FRACTIONS[1] * NUM_CELLS)
    return Split(
        np.sort(perm[:n_train]), np.sort(perm[n_train : n_train + n_valid]), np.sort(perm[n_train + n_valid :])
    )
