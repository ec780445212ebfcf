"""The D-VAE latent space over all NB201 cells (docs/reference/method.md#the-d-vae-over-nb201-cells): model,
training, checkpoints, evaluation.

Searcher-facing API::

    model = load_pretrained()                     # DVAE in eval mode, model.nz latent dims
    mu, logvar = model.encode_cells(cells)        # (B, nz) each; cells: list[Cell] or (B, 6) op array
    p = model.edge_probs(z)                       # (B, 6, 5) or (6, 5) for z (nz,); differentiable in z
    ops = model.decode_argmax(z)                  # (B, 6) op indices; decode_sample(z, generator) likewise
    cells = ops_to_cells(ops)                     # list[Cell]
"""

from e2nas.vae.io import (
    VAECheckpointError,
    encoder_radius,
    load_checkpoint,
    load_pretrained,
    pretrained_path,
    save_checkpoint,
)
from e2nas.vae.model import DVAE, DVAEConfig, cells_to_ops, count_params, ops_to_cells

__all__ = [
    "DVAE",
    "DVAEConfig",
    "VAECheckpointError",
    "cells_to_ops",
    "count_params",
    "encoder_radius",
    "load_checkpoint",
    "load_pretrained",
    "ops_to_cells",
    "pretrained_path",
    "save_checkpoint",
]
