"""The D-VAE over NB201 cells: config, encoder + decoder, and the API the E²NAS searcher uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from e2nas.spaces.nb201 import NUM_EDGES, NUM_OPS, Cell, cells_to_dag_types
from e2nas.vae.decoder import DAGDecoder
from e2nas.vae.encoder import DAGEncoder


@dataclass(frozen=True)
class DVAEConfig:
    """Architecture of the D-VAE (what a checkpoint must match to load)."""

    hidden: int = 64
    nz: int = 12

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def cells_to_ops(cells: Iterable[Cell] | np.ndarray | torch.Tensor) -> torch.Tensor:
    """Cells, or an op-index array (B, 6), -> (B, 6) long tensor."""
    if isinstance(cells, torch.Tensor):
        ops = cells.long()
    elif isinstance(cells, np.ndarray):
        ops = torch.from_numpy(cells.astype(np.int64))
    else:
        ops = torch.tensor([c.ops for c in cells], dtype=torch.long).reshape(-1, NUM_EDGES)
    if ops.ndim != 2 or ops.shape[1] != NUM_EDGES:
        raise ValueError(f"expected op indices of shape (B, {NUM_EDGES}), got {tuple(ops.shape)}")
    return ops


def ops_to_cells(ops: torch.Tensor | np.ndarray) -> list[Cell]:
    """(B, 6) op indices -> list of :class:`Cell`."""
    arr = ops.detach().cpu().numpy() if isinstance(ops, torch.Tensor) else np.asarray(ops)
    return [Cell(tuple(int(o) for o in row)) for row in arr.reshape(-1, NUM_EDGES)]


class DVAE(nn.Module):
    """Graph VAE whose latent space covers all 15,625 NB201 cells.

    Shapes: z is (B, nz) or a single (nz,) (then outputs drop the batch axis). Ops/cells are (B, 6) op
    indices in the NB201 edge order (``Cell.ops``).
    """

    def __init__(self, config: DVAEConfig | None = None) -> None:
        super().__init__()
        self.config = config or DVAEConfig()
        self.encoder = DAGEncoder(self.config.hidden, self.config.nz)
        self.decoder = DAGDecoder(self.config.hidden, self.config.nz)

    @property
    def nz(self) -> int:
        return self.config.nz

    # -- encoding ----------------------------------------------------------------------------------
    def encode(self, ops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 6) op indices -> (mu, logvar), each (B, nz)."""
        types = torch.from_numpy(cells_to_dag_types(ops.cpu().numpy())).to(ops.device)
        return self.encoder(types)

    @torch.no_grad()
    def encode_cells(
        self, cells: Sequence[Cell] | np.ndarray | torch.Tensor, batch_size: int = 4096
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode cells (or an op array (B, 6)) without gradient -> (mu, logvar), each (B, nz)."""
        ops = cells_to_ops(cells).to(self._device())
        outs = [self.encode(ops[i : i + batch_size]) for i in range(0, ops.shape[0], batch_size)]
        return torch.cat([o[0] for o in outs]), torch.cat([o[1] for o in outs])

    # -- decoding ----------------------------------------------------------------------------------
    def type_log_probs(self, z: torch.Tensor, ops: torch.Tensor | None = None) -> torch.Tensor:
        """Log-probs over all 8 DAG types at the 6 op vertices, (B, 6, 8); START/ADD/END are -inf."""
        return self.decoder(z, ops=ops, mode="argmax")[0]

    def edge_probs(self, z: torch.Tensor, ops: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """Per-edge op probabilities p_e(z), (B, 6, 5) (or (6, 5) for z of shape (nz,)).

        Differentiable in z. Each vertex's distribution is conditioned on the ops chosen at earlier edges:
        the argmax decode path by default, or the given ``ops`` (B, 6) / (6,) (e.g. a sampled cell).
        Works under ``torch.func.jacrev``/``jacfwd`` on a single z of shape (nz,).
        The trained decoder is very confident at encoder means (median max prob ≈ 0.99997), so ∂p/∂z is tiny
        there; ``temperature`` > 1 softens p (and enlarges ∂p/∂z) without changing the argmax path.
        """
        single = z.ndim == 1
        zb = z.unsqueeze(0) if single else z
        opsb = ops.unsqueeze(0) if (ops is not None and ops.ndim == 1) else ops
        logp, _ = self.decoder(zb, ops=opsb, mode="argmax", temperature=temperature)
        p = logp[..., :NUM_OPS].exp()
        return p.squeeze(0) if single else p

    @torch.no_grad()
    def decode_argmax(self, z: torch.Tensor) -> torch.Tensor:
        """Most likely cell of each z: (B, 6) op indices (or (6,) for z of shape (nz,))."""
        single = z.ndim == 1
        _, ops = self.decoder(z.unsqueeze(0) if single else z, mode="argmax")
        return ops.squeeze(0) if single else ops

    @torch.no_grad()
    def decode_sample(
        self, z: torch.Tensor, generator: torch.Generator | None = None, uniforms: torch.Tensor | None = None
    ) -> torch.Tensor:
        """A cell drawn from p(cell | z), op by op: (B, 6) or (6,). Seed it with ``generator`` (multinomial), or
        give ``uniforms`` (B, 6) / (6,) in [0, 1) on z's device (inverse CDF, no host round trip)."""
        single = z.ndim == 1
        u = uniforms.unsqueeze(0) if (uniforms is not None and uniforms.ndim == 1) else uniforms
        _, ops = self.decoder(z.unsqueeze(0) if single else z, mode="sample", generator=generator, uniforms=u)
        return ops.squeeze(0) if single else ops

    # -- training ----------------------------------------------------------------------------------
    def loss(
        self, ops: torch.Tensor, beta: float, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mean over the batch of (NLL + β·KL, NLL, KL); NLL of the 6 op types under teacher forcing."""
        mu, logvar = self.encode(ops)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        z = mu + eps * torch.exp(0.5 * logvar)
        logp = self.decoder(z, ops=ops)[0]
        nll = -logp.gather(-1, ops.unsqueeze(-1)).squeeze(-1).sum(dim=1).mean()
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()
        return nll + beta * kl, nll, kl

    def _device(self) -> torch.device:
        return next(self.parameters()).device


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
