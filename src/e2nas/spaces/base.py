"""The search-space interface: everything a searcher and the engine may know about a space.

A space fixes a set of *edges*, each choosing one of ``ops``; an architecture as searchers see it (``Arch``) is
one op index per edge (``arch.ops``), so per-edge logits are ``(num_edges, num_ops)`` tensors in every space.
What differs between spaces lives behind the methods below: the string format, how an architecture is sampled,
how the final one is derived from arch weights, the weight-sharing supernet, the discrete network and whether
a benchmark can judge it. Searchers never import a space's constants; they ask ``ctx.space``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import torch
from torch import nn


class SpaceError(ValueError):
    """Unknown space name, or a method/space combination that does not exist (a user error)."""


class ArchParseError(ValueError):
    """An architecture description (string, op list, index) that is not valid in its space, or an architecture of
    another space (every space raises this one, so callers catch one error)."""


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


@dataclass(frozen=True)
class ArchCost:
    """What an architecture costs at the space's evaluation-network scale, in millions: the numbers
    ``--max-params`` and ``--max-flops`` are compared with (``flops_M`` in the space's convention, see
    :attr:`SearchSpace.flops_convention`)."""

    params_M: float  # noqa: N815 (the unit is part of the name, as in the NB201 table)
    flops_M: float  # noqa: N815

    def within(self, max_params: float | None = None, max_flops: float | None = None) -> bool:
        """Whether this cost meets both budgets (None: no budget)."""
        return (max_params is None or self.params_M <= max_params + 1e-9) and (
            max_flops is None or self.flops_M <= max_flops + 1e-9
        )

    def to_dict(self) -> dict[str, float]:
        return {"params_M": round(self.params_M, 6), "flops_M": round(self.flops_M, 6)}


@dataclass(frozen=True)
class EdgeCosts:
    """An additive cost model: ``cost(arch) = base + sum_e table[e, arch.ops[e]]`` (per metric, in millions).

    Exact in both built-in spaces (tested), so the expected cost under per-edge op probabilities ``p`` is
    ``base + (p * table).sum()``: what the differentiable budget penalties use."""

    base: ArchCost
    params: torch.Tensor  # (num_edges, num_ops), millions
    flops: torch.Tensor  # (num_edges, num_ops), millions
    #: (num_edges,) share of the edge an architecture keeps (DARTS: 2 of a node's inputs); None: every edge
    edge_weight: torch.Tensor | None = None
    #: an op derivation never picks (DARTS' ``none``): its probability is spread over the others
    never_derived: int | None = None

    def expected(self, metric: str, probs: torch.Tensor) -> torch.Tensor:
        """The cost expected under per-edge op probabilities ``probs`` (num_edges x num_ops), differentiable."""
        base, table = self.table(metric)
        p = probs
        if self.never_derived is not None:
            keep = torch.ones(p.shape[-1], dtype=p.dtype, device=p.device)
            keep[self.never_derived] = 0.0
            p = p * keep
            p = p / p.sum(-1, keepdim=True).clamp_min(1e-12)
        per_edge = (p * table.to(device=p.device, dtype=p.dtype)).sum(-1)
        if self.edge_weight is not None:
            per_edge = per_edge * self.edge_weight.to(device=p.device, dtype=p.dtype)
        return base + per_edge.sum()

    def table(self, metric: str) -> tuple[float, torch.Tensor]:
        """(base, per-edge-op table) of ``metric``: ``params`` or ``flops``."""
        if metric == "params":
            return self.base.params_M, self.params
        if metric == "flops":
            return self.base.flops_M, self.flops
        raise ValueError(f"unknown cost metric {metric!r}; expected params or flops")

    def of(self, ops: Sequence[int]) -> ArchCost:
        idx = torch.arange(len(ops))
        o = torch.tensor(list(ops), dtype=torch.long)
        return ArchCost(
            self.base.params_M + float(self.params[idx, o].sum()), self.base.flops_M + float(self.flops[idx, o].sum())
        )


@dataclass(frozen=True)
class Shown:
    """What a command shows about a space or an architecture (``e2nas arch``, ``e2nas space stats``), built by
    the space so the CLI needs no space-specific code: ``data`` is printed for ``--json``, ``text`` for people
    (a ``str`` echoed as is, or a rich renderable such as a table)."""

    data: dict[str, Any]
    text: Any


def _lines(data: dict[str, Any]) -> str:
    """``key: value`` lines of ``data`` (lists comma-joined): the default human form of a :class:`Shown`."""
    return "\n".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in data.items())


class GroundTruthLike(Protocol):
    """A benchmark that judges an architecture (NB201's table); spaces without one return None."""

    def summary(self, arch: Any) -> dict[str, float]: ...

    def value(self, arch: Any, metric: str) -> float: ...

    def best(self, metric: str) -> tuple[Any, float]:
        """(the best architecture by ``metric``, its value)."""
        ...


class SearchSpace:
    """Base class of every search space. Subclass it, set the class attributes, implement the abstract
    methods and decorate the class with :func:`e2nas.spaces.register_space`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: how prose and figures name the space (NB201's is "NB201"); empty: the registry name
    display_name: ClassVar[str] = ""
    #: candidate op names, in op-index order
    ops: ClassVar[tuple[str, ...]] = ()
    #: op choices per architecture (the rows of a searcher's logits)
    num_edges: ClassVar[int] = 0
    #: index of the op that carries nothing (``none``)
    none_op: ClassVar[int] = 0
    #: metric ``best`` is judged by when the space has ground truth (and supernets are ranked against)
    judge_metric: ClassVar[str] = ""
    #: yardsticks read free from the ground truth: name -> ground-truth metric (``e2nas rank --yardsticks``,
    #: the final ranking); empty: the space's benchmark has no such columns
    table_yardsticks: ClassVar[dict[str, str]] = {}
    #: preset name -> SearchConfig fields this space sets before the method's own (space-specific defaults)
    config_overrides: ClassVar[dict[str, dict[str, Any]]] = {}
    #: preset name -> TrainConfig fields: the space's recipe for retraining a found architecture (``e2nas train``)
    train_presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: datasets whose images the space's discrete network can take
    train_datasets: ClassVar[tuple[str, ...]] = ()
    #: the evaluation network's input (channels, height, width) and classes: the scale costs are quoted at
    eval_input_shape: ClassVar[tuple[int, int, int]] = (3, 32, 32)
    eval_num_classes: ClassVar[int] = 10
    #: what ``ArchCost.flops_M`` counts (shown by ``e2nas arch`` and recorded in results)
    flops_convention: ClassVar[str] = "multiply-adds of convolutions and linear layers (FlopCounterMode / 2)"

    @property
    def num_ops(self) -> int:
        return len(self.ops)

    @property
    def title(self) -> str:
        """:attr:`display_name`, or the registry name when the space sets none."""
        return self.display_name or self.name

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

    @property
    def has_ground_truth(self) -> bool:
        """Whether the space has a benchmark (a space overriding :meth:`ground_truth`), without loading it."""
        return type(self).ground_truth is not SearchSpace.ground_truth

    # -- ranking a supernet against ground truth (e2nas.ranking) -------------------------------------------
    #: what :meth:`ranking_pool` holds, in words: the range ``e2nas rank --cells`` takes is worded with it
    ranking_pool_note: ClassVar[str] = "distinct architectures"

    def ranking_pool(self) -> list[Arch]:
        """The architectures a supernet's ranking samples from (stratified by ground truth), in a fixed order
        that breaks ties in it: distinct networks only, so no two sampled architectures are the same network.
        A space without ground truth (or without a pool) raises :class:`SpaceError`."""
        if not self.has_ground_truth:
            raise SpaceError(
                f"the {self.name} space has no ground truth, so there is nothing to rank supernets against"
            )
        raise SpaceError(f"the {self.name} space has ground truth but no ranking pool (SearchSpace.ranking_pool)")

    def conv_count(self, arch: Arch) -> int:
        """How many of ``arch``'s ops are convolutions (op names containing ``conv``): the ops an under-trained
        supernet penalises, so τ of inherited accuracy against this count diagnoses it (``tau_conv_ops``)."""
        return sum("conv" in self.ops[o] for o in arch.ops)

    # -- what the CLI shows --------------------------------------------------------------------------------
    def show_arch(self, text: str) -> Shown:
        """What ``e2nas arch`` prints for the architecture ``text`` names. By default: the space, the string
        format, the op of every edge, :meth:`describe`, the cost report (with an evaluation network) and the
        ground truth (with a benchmark), as ``key: value`` lines. Raises ``ArchParseError`` whose message is
        the line the CLI prints."""
        try:
            arch = self.parse(text)
        except ArchParseError as err:
            raise ArchParseError(f"invalid {self.name} architecture {text!r}: {err}") from None
        data: dict[str, Any] = {
            "space": self.name,
            "arch": self.format(arch),
            "ops": [self.ops[o] for o in arch.ops],
            **self.describe(arch),
        }
        if self.has_eval_network:
            data["cost"] = self.cost_report(arch)
        gt = self.ground_truth()
        if gt is not None:
            data["ground_truth"] = gt.summary(arch)
        return Shown(data, _lines(data))

    def show_space(self) -> Shown:
        """What ``e2nas space stats`` prints: by default the space's name, description, edges and ops."""
        data = {
            "space": self.name,
            "description": self.description,
            "edges": self.num_edges,
            "ops": list(self.ops),
            "num_ops": self.num_ops,
        }
        return Shown(data, _lines(data))

    # -- the evaluation network and what it costs ----------------------------------------------------------
    def eval_network(self, arch: Any, num_classes: int | None = None) -> nn.Module:
        """The network an architecture is deployed as (costs, ``e2nas export``): the space's evaluation
        scale, no auxiliary head. Raises :class:`SpaceError` in a space without a network."""
        raise SpaceError(f"the {self.name} space has no evaluation network, so it has no parameter or FLOPs count")

    @property
    def has_eval_network(self) -> bool:
        return type(self).eval_network is not SearchSpace.eval_network

    def count_cost(self, arch: Any, num_classes: int | None = None) -> dict[str, int]:
        """``params``, ``flops`` (FlopCounterMode: 2 per multiply-add) and ``macs`` of the evaluation network for
        one image of ``eval_input_shape``, counted on the meta device (about a second for DARTS)."""
        from e2nas.netcost import count_network

        got = count_network(lambda: self.eval_network(arch, num_classes), self.eval_input_shape)
        return {k: got[k] for k in ("params", "flops", "macs")}

    def cost(self, arch: Any) -> ArchCost:
        """The architecture's cost in the units budgets use (millions; ``flops_M`` per ``flops_convention``).
        By default the FlopCounterMode count; spaces with a faster exact source override it."""
        cache = self.__dict__.setdefault("_count_cache", {})
        key = tuple(self.validate(arch).ops)
        if key not in cache:
            cache[key] = self.count_cost(arch)
        got = cache[key]
        return ArchCost(got["params"] / 1e6, got["macs"] / 1e6)

    def smallest_cost(self) -> tuple[Arch, ArchCost] | None:
        """The cheapest architecture (fewest FLOPs, then parameters) and its cost, so a budget no architecture
        meets can be refused with a name; None when the space cannot tell."""
        return None

    def budget_yardstick(self, max_params: float | None, max_flops: float | None) -> dict[str, Any] | None:
        """What ground truth says about a budget: the best and the largest architecture within it (NB201's
        table), or None in a space without a benchmark."""
        return None

    def cost_report(self, arch: Any) -> dict[str, Any]:
        """What ``e2nas arch``, results and exported files show: the budget-unit cost, its convention and the
        FlopCounterMode count of the evaluation network (``flops`` = 2 per multiply-add, ``macs``)."""
        return {
            **self.cost(arch).to_dict(),
            "flops_convention": self.flops_convention,
            "counted": self.count_cost(arch),
        }

    def edge_costs(self) -> EdgeCosts:
        """The additive per-edge cost model of :class:`EdgeCosts`; spaces without one raise :class:`SpaceError`."""
        raise SpaceError(f"the {self.name} space has no per-edge cost model, so it cannot penalise expected cost")
