"""The search-space interface: everything a searcher and the engine may know about a space.

A space fixes a set of *edges*, each choosing one of ``ops``; an architecture as searchers see it (``Arch``) is
one op index per edge (``arch.ops``), so per-edge logits are ``(num_edges, num_ops)`` tensors in every space.
What differs between spaces lives behind the methods below: the string format, how an architecture is sampled,
how the final one is derived from arch weights, the weight-sharing supernet, the discrete network and whether
a benchmark can judge it. Searchers never import a space's constants; they ask ``ctx.space``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Protocol

import torch
from torch import nn


class SpaceError(ValueError):
    """Unknown space name, or a method/space combination that does not exist (a user error)."""


class Arch(Protocol):
    """An architecture of some space: one op index per edge. Frozen and hashable (archives, dedup, caches);
    ``type(arch)(ops)`` builds another of the same space and ``num_ops`` is the ops per edge."""

    ops: tuple[int, ...]
    num_ops: ClassVar[int]


class SupernetLike(Protocol):
    """The weight-sharing network of a space: one module, three forward modes over the same weights."""

    def forward_cell(self, x: torch.Tensor, arch: Any) -> torch.Tensor:
        """Single path: only the chosen op of every edge runs."""
        ...

    def forward_st(self, x: torch.Tensor, arch: Any, weights: torch.Tensor) -> torch.Tensor:
        """Single path scaled by straight-through op weights (num_edges x num_ops), gradients reach them all."""
        ...

    def forward_mixture(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """DARTS relaxation: every edge is the weighted sum of its ops."""
        ...

    def weights(self) -> Iterator[nn.Parameter]: ...

    def discrete_network(self, arch: Any) -> nn.Module:
        """A stand-alone network of ``arch`` holding the weights it inherits."""
        ...


class GroundTruthLike(Protocol):
    """A benchmark that judges an architecture (NB201's table); spaces without one return None."""

    def summary(self, arch: Any) -> dict[str, float]: ...

    def value(self, arch: Any, metric: str) -> float: ...


class SearchSpace:
    """Base class of every search space. Subclass it, set the class attributes, implement the abstract
    methods and decorate the class with :func:`e2nas.spaces.register_space`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: candidate op names, in op-index order
    ops: ClassVar[tuple[str, ...]] = ()
    #: op choices per architecture (the rows of a searcher's logits)
    num_edges: ClassVar[int] = 0
    #: index of the op that carries nothing (``none``)
    none_op: ClassVar[int] = 0
    #: metric ``best`` is judged by when the space has ground truth
    judge_metric: ClassVar[str] = ""
    #: preset name -> SearchConfig fields this space sets before the method's own (space-specific defaults)
    config_overrides: ClassVar[dict[str, dict[str, Any]]] = {}
    #: preset name -> TrainConfig fields: the space's recipe for retraining a found architecture (``e2nas train``)
    train_presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: datasets whose images the space's discrete network can take
    train_datasets: ClassVar[tuple[str, ...]] = ()

    @property
    def num_ops(self) -> int:
        return len(self.ops)

    # -- the architecture type ------------------------------------------------------------------------
    def arch(self, ops: Sequence[int]) -> Arch:
        """The architecture with these op indices (one per edge)."""
        raise NotImplementedError

    def parse(self, text: str) -> Arch:
        """Read the space's string format; raises ``ArchParseError`` naming the bad part."""
        raise NotImplementedError

    def format(self, arch: Arch) -> str:
        """The space's string format (``parse(format(a)) == a``)."""
        raise NotImplementedError

    def validate(self, arch: object) -> Arch:
        """``arch`` if it belongs to this space, else ``ArchParseError`` (an architecture of another space)."""
        raise NotImplementedError

    def describe(self, arch: Arch) -> dict[str, Any]:
        """Extra JSON fields that identify ``arch`` in logs and results (e.g. NB201's benchmark index)."""
        return {}

    # -- sampling, encoding, derivation -----------------------------------------------------------------
    def random_arch(self, generator: torch.Generator) -> Arch:
        """A uniformly random architecture drawn from ``generator`` (what RandomNAS trains and ranks)."""
        raise NotImplementedError

    #: names of :meth:`arch_pool` sampling pools besides uniform (e.g. one architecture per isomorphism class)
    sampling_pools: ClassVar[tuple[str, ...]] = ()

    def arch_pool(self, kind: str) -> list[Arch]:
        """The architectures a sampler draws uniformly from instead of the whole space (``kind`` one of
        :attr:`sampling_pools`); a space with none raises :class:`SpaceError`."""
        pools = ", ".join(("uniform",) + self.sampling_pools)
        raise SpaceError(f"the {self.name} space has no sampling pool {kind!r}; choose one of {pools}")

    def encode(self, archs: Sequence[Arch]) -> torch.Tensor:
        """(B, num_edges) int64 op indices: the token sequence controllers and predictors read."""
        return torch.tensor([a.ops for a in archs], dtype=torch.long).reshape(len(archs), self.num_edges)

    def derive(self, weights: torch.Tensor) -> Arch:
        """The architecture a relaxation's arch weights (num_edges x num_ops) stand for."""
        raise NotImplementedError

    # -- networks and judges ----------------------------------------------------------------------------
    def supernet(self, C: int, N: int, num_classes: int, track_running_stats: bool = True) -> nn.Module:
        """The weight-sharing search network (a :class:`SupernetLike` module). ``N``: cells per stage."""
        raise NotImplementedError

    def parse_network_arch(self, text: str) -> Any:
        """What ``e2nas train`` builds a network from (by default the architecture ``parse`` reads; a space
        may keep more, e.g. the order of a DARTS genotype's pairs)."""
        return self.parse(text)

    def network(self, arch: Any, C: int, N: int, num_classes: int, auxiliary: bool = False) -> nn.Module:
        """The discrete network of ``arch`` trained from scratch (``e2nas train``); ``auxiliary`` adds an
        auxiliary head where the space has one (its forward then returns (logits, aux logits) in training)."""
        raise NotImplementedError

    def ground_truth(self) -> GroundTruthLike | None:
        """The benchmark that judges architectures of this space, or None."""
        return None
