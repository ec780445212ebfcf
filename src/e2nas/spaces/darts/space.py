"""The DARTS space as a plug-in (docs/reference/darts.md): 28 edge choices over eight ops, genotypes derived by
DARTS' rule, the 8-cell search network and the 20-cell evaluation network. There is no benchmark, so no ground truth:
a found genotype is judged by retraining it (``e2nas train``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import torch
from torch import nn

from e2nas.spaces.base import ArchCost, ArchParseError, EdgeCosts, SearchSpace, Shown
from e2nas.spaces.darts.genotype import (
    CELL_EDGES,
    EDGES_PER_CELL,
    NONE_OP,
    NUM_EDGES,
    NUM_INPUTS,
    NUM_NODES,
    NUM_OPS,
    OPS,
    DartsCell,
    Genotype,
    derive_genotype,
    parse_cell,
    random_cell,
)
from e2nas.spaces.darts.network import DartsNetwork
from e2nas.spaces.darts.supernet import DartsSupernet
from e2nas.spaces.registry import register_space

#: DARTS' search hyperparameters (Liu et al. 2019; docs/reference/darts.md#search-setting) on top of every preset:
#: plain momentum, wd 3e-4
_DARTS_OPTIMISER = {"nesterov": False, "momentum": 0.9, "weight_decay": 3e-4, "lr": 0.025, "lr_min": 0.001}


#: DARTS's retraining hyperparameters common to every train preset
_DARTS_RECIPE: dict[str, Any] = {
    "lr": 0.025,
    "lr_min": 0.0,
    "momentum": 0.9,
    "nesterov": False,
    "weight_decay": 3e-4,
    "grad_clip": 5.0,
    "auxiliary_weight": 0.4,
    "drop_path": 0.2,
    "cutout": 16,
}


@register_space
class DARTSSpace(SearchSpace):
    name = "darts"
    display_name = "DARTS"
    description = "DARTS (Liu et al. 2019): normal + reduction cell, 4 nodes, 14 edges x 8 ops each; no ground truth"
    ops: ClassVar[tuple[str, ...]] = OPS
    num_edges = NUM_EDGES
    none_op = NONE_OP
    config_overrides: ClassVar[dict[str, dict[str, Any]]] = {
        # 8 cells (N=2 normal cells per stage), C=16, 50 epochs, batch 64, CIFAR-10 train half / valid half
        "paper": {**_DARTS_OPTIMISER, "dataset": "cifar10", "C": 16, "N": 2, "epochs": 50, "batch_size": 64},
        "cpu": {**_DARTS_OPTIMISER, "C": 8, "N": 1, "epochs": 10, "batch_size": 32, "steps_per_epoch": 20},
        "cpu-small": {**_DARTS_OPTIMISER, "C": 8, "N": 1, "epochs": 10, "batch_size": 32, "steps_per_epoch": 20},
        "smoke": {
            **_DARTS_OPTIMISER,
            "C": 4,
            "N": 1,
            "epochs": 2,
            "batch_size": 8,
            "steps_per_epoch": 2,
        },
    }

    # DARTS' CIFAR evaluation recipe (Liu et al. 2019): 20 cells, C=36, 600 epochs, batch 96, SGD 0.025 cosine,
    # momentum 0.9, wd 3e-4, grad clip 5, cutout 16, auxiliary weight 0.4, drop-path 0.2
    train_presets: ClassVar[dict[str, dict[str, Any]]] = {
        "paper": {**_DARTS_RECIPE, "dataset": "cifar10", "C": 36, "N": 6, "epochs": 600, "batch_size": 96},
        "cpu": {**_DARTS_RECIPE, "dataset": "embedded", "C": 8, "N": 1, "epochs": 10, "batch_size": 32},
        "smoke": {
            **_DARTS_RECIPE,
            "dataset": "embedded",
            "C": 4,
            "N": 1,
            "epochs": 2,
            "batch_size": 8,
            "test_images": 200,
            "steps_per_epoch": 2,
        },
    }
    # the auxiliary head pools 8x8 features: 32x32 images only
    train_datasets: ClassVar[tuple[str, ...]] = ("embedded", "cifar10", "cifar100")

    def arch(self, ops: Sequence[int]) -> DartsCell:
        return DartsCell(tuple(int(o) for o in ops))

    def parse(self, text: str) -> DartsCell:
        return parse_cell(text)

    def format(self, arch: DartsCell) -> str:
        return self.validate(arch).to_string()

    def validate(self, arch: object) -> DartsCell:
        if not isinstance(arch, DartsCell):
            raise ArchParseError(f"{arch} is not a DARTS architecture (an architecture of another search space?)")
        return arch

    def random_arch(self, generator: torch.Generator) -> DartsCell:
        return random_cell(generator)

    def derive(self, weights: torch.Tensor) -> DartsCell:
        """DARTS' genotype rule (two strongest non-``none`` inputs per node, their strongest non-``none`` op)."""
        return derive_genotype(weights).to_cell()

    def supernet(self, C: int, N: int, num_classes: int, track_running_stats: bool = True) -> DartsSupernet:
        return DartsSupernet(C, N, num_classes, track_running_stats)

    def parse_network_arch(self, text: str) -> Genotype:
        """The genotype exactly as written (pair order kept, a node may read one input twice)."""
        return Genotype.parse(text)

    def network(self, arch: Any, C: int = 36, N: int = 6, num_classes: int = 10, auxiliary: bool = True) -> nn.Module:
        genotype = arch if isinstance(arch, Genotype) else self.validate(arch).genotype()
        return DartsNetwork(genotype, C=C, N=N, num_classes=num_classes, auxiliary=auxiliary)

    def show_arch(self, text: str) -> Shown:
        """A genotype, its op counts and the parameters of its evaluation network (20 cells, C=36, CIFAR-10), with
        and without the auxiliary head, and its cost."""
        try:
            genotype = Genotype.parse(text)
        except ArchParseError as err:
            raise ArchParseError(f"invalid DARTS genotype: {err}") from None
        net = DartsNetwork(genotype, C=self.EVAL_C, N=self.EVAL_N, num_classes=self.eval_num_classes, auxiliary=True)
        counted = self.count_cost(genotype)
        try:
            budget = self.cost(genotype).to_dict()
        except Exception:  # a genotype reading one input twice has no 28-edge view: use the full count
            budget = ArchCost(counted["params"] / 1e6, counted["macs"] / 1e6).to_dict()
        info = {
            "space": self.name,
            "genotype": genotype.to_string(),
            "op_counts": genotype.op_counts(),
            "eval_network": {"C": self.EVAL_C, "cells": len(net.cells), "num_classes": self.eval_num_classes},
            "params": net.num_parameters(auxiliary=True),
            "params_without_aux": net.num_parameters(auxiliary=False),
            # the network without the auxiliary head (what is deployed), counted by FlopCounterMode
            "cost": {**budget, "flops_convention": self.flops_convention, "counted": counted},
        }
        lines = [info["genotype"]]
        lines += [f"{kind}: " + ", ".join(f"{op} x{n}" for op, n in c.items()) for kind, c in info["op_counts"].items()]
        c = info["cost"]
        lines += [
            f"evaluation network (20 cells, C=36, CIFAR-10): {info['params_without_aux'] / 1e6:.6f} M parameters, "
            f"{info['params'] / 1e6:.6f} M with the auxiliary head",
            f"cost: {c['params_M']:.6f} M parameters, {c['flops_M']:.6f} M FLOPs ({c['flops_convention']}); "
            f"FlopCounterMode: {counted['flops'] / 1e6:.6f} M FLOPs = {counted['macs'] / 1e6:.6f} M multiply-adds",
        ]
        return Shown(info, "\n".join(lines))

    # -- costs: the evaluation network without the auxiliary head (what is deployed) -----------------------
    #: DARTS' CIFAR evaluation scale
    EVAL_C: ClassVar[int] = 36
    EVAL_N: ClassVar[int] = 6

    def eval_network(self, arch: Any, num_classes: int | None = None) -> nn.Module:
        """DARTS' CIFAR evaluation network: C=36, 20 cells, no auxiliary head (inference only)."""
        genotype = arch if isinstance(arch, Genotype) else self.validate(arch).genotype()
        return DartsNetwork(
            genotype, C=self.EVAL_C, N=self.EVAL_N, num_classes=num_classes or self.eval_num_classes, auxiliary=False
        )

    def cost(self, arch: Any) -> ArchCost:
        """Parameters and multiply-adds of the evaluation network, from the exact additive model of
        :meth:`edge_costs` (FlopCounterMode counts, built once per process)."""
        if isinstance(arch, Genotype):
            arch = arch.to_cell()
        return self.edge_costs().of(self.validate(arch).ops)

    def edge_costs(self) -> EdgeCosts:
        """Per (edge, op): the op's parameters and multiply-adds summed over the 20 cells that hold it, each
        counted by FlopCounterMode on the meta device at that cell's channels and resolution; the base is a
        reference genotype's network count minus its edges, so ``base + sum`` equals a full count (tested).
        Built once per process (a few seconds)."""
        return _edge_costs(self.EVAL_C, self.EVAL_N, self.eval_input_shape[1], self.eval_num_classes)

    def smallest_cost(self) -> tuple[DartsCell, ArchCost]:
        """Per node, the two inputs whose cheapest non-``none`` op costs least (FLOPs, then parameters): the
        cost model is additive and nodes are independent, so this is the cheapest genotype."""
        ec = self.edge_costs()
        ops = [NONE_OP] * NUM_EDGES
        for kind in range(2):
            for node in range(NUM_NODES):
                edges = [kind * EDGES_PER_CELL + e for e, (n, _) in enumerate(CELL_EDGES) if n == node]
                options = []
                for e in edges:
                    op = min(
                        (o for o in range(NUM_OPS) if o != NONE_OP),
                        key=lambda o, e=e: (float(ec.flops[e, o]), float(ec.params[e, o])),
                    )
                    options.append((float(ec.flops[e, op]), float(ec.params[e, op]), e, op))
                for _, _, e, op in sorted(options)[:2]:
                    ops[e] = op
        cell = DartsCell(tuple(ops))
        return cell, self.cost(cell)


@lru_cache(maxsize=4)
def _edge_costs(C: int, N: int, side: int, num_classes: int) -> EdgeCosts:
    """Per (edge, op): the op's parameters and multiply-adds summed over the 20 cells that hold it, each
    counted by FlopCounterMode on the meta device at that cell's channels and resolution; the base is a
    reference genotype's network count minus its edges, so ``base + sum`` equals a full count (tested)."""
    from e2nas.netcost import count_network
    from e2nas.spaces.darts.ops import cell_layout, layers_for, make_darts_op

    params = torch.zeros(NUM_EDGES, NUM_OPS, dtype=torch.float64)
    flops = torch.zeros(NUM_EDGES, NUM_OPS, dtype=torch.float64)
    single: dict[tuple[int, int, int, int], tuple[int, int]] = {}
    c, size = C, side
    for reduction in cell_layout(layers_for(N)):
        if reduction:
            c *= 2
        kind = 1 if reduction else 0
        for e, (_node, src) in enumerate(CELL_EDGES):
            stride = 2 if reduction and src < NUM_INPUTS else 1
            in_size = size if stride == 2 or not reduction else size // 2
            for op in range(NUM_OPS):
                key = (op, c, stride, in_size)
                if key not in single:
                    got = count_network(
                        lambda op=op, c=c, s=stride: make_darts_op(OPS[op], c, s), (c, in_size, in_size)
                    )
                    single[key] = (got["params"], got["macs"])
                p, m = single[key]
                params[kind * EDGES_PER_CELL + e, op] += p / 1e6
                flops[kind * EDGES_PER_CELL + e, op] += m / 1e6
        if reduction:
            size //= 2
    reference = Genotype.parse(_REFERENCE_GENOTYPE).to_cell()
    full = count_network(
        lambda: DartsNetwork(reference.genotype(), C=C, N=N, num_classes=num_classes, auxiliary=False), (3, side, side)
    )
    idx = torch.arange(NUM_EDGES)
    ops = torch.tensor(reference.ops)
    base = ArchCost(
        full["params"] / 1e6 - float(params[idx, ops].sum()), full["macs"] / 1e6 - float(flops[idx, ops].sum())
    )
    # a genotype keeps 2 of a node's inputs and never derives ``none``
    keep = torch.tensor([2.0 / (NUM_INPUTS + node) for node, _ in CELL_EDGES] * 2, dtype=torch.float64)
    return EdgeCosts(base, params, flops, keep, NONE_OP)


#: any genotype will do as the reference of the additive cost model; this one is DARTS-V2 (Liu et al. 2019)
_REFERENCE_GENOTYPE = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
