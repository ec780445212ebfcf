"""NAS-Bench-201 as a plug-in: the six-edge cell of :mod:`e2nas.spaces.nb201.cell`, its supernet, its discrete network
and the bundled benchmark table as ground truth (docs/reference/nb201.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from e2nas.spaces.base import ArchCost, ArchParseError, EdgeCosts, SearchSpace, Shown, SpaceError
from e2nas.spaces.nb201.cell import NONE_OP, NUM_EDGES, NUM_OPS, OPS, Cell
from e2nas.spaces.nb201.ground_truth import GroundTruth
from e2nas.spaces.nb201.network import NB201Network
from e2nas.spaces.nb201.supernet import NB201Supernet
from e2nas.spaces.registry import register_space

#: NB201's retraining hyperparameters common to every train preset
_NB201_RECIPE: dict[str, Any] = {
    "lr_min": 0.0,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 5e-4,
    "grad_clip": 0.0,
    "auxiliary_weight": 0.0,
    "drop_path": 0.0,
    "cutout": 0,
}


@register_space
class NB201Space(SearchSpace):
    name = "nb201"
    display_name = "NB201"
    description = "NAS-Bench-201: 4-node cell, 6 edges x 5 ops, 15,625 cells, judged by the bundled benchmark"
    ops: ClassVar[tuple[str, ...]] = OPS
    num_edges = NUM_EDGES
    none_op = NONE_OP
    judge_metric = "cifar10_valid"
    # params, FLOPs (the table's CIFAR-10 network) and the 12-epoch accuracy are columns of the bundled table
    table_yardsticks: ClassVar[dict[str, str]] = {
        "params": "params_cifar10_M",
        "flops": "flops_cifar10_M",
        "acc12": "acc12_cifar10_valid",
    }
    # NB201's training recipe (Dong & Yang 2020): 200 epochs, batch 256, SGD nesterov 0.9, lr 0.1 cosine -> 0,
    # wd 5e-4, random crop + flip, no gradient clipping
    train_presets: ClassVar[dict[str, dict[str, Any]]] = {
        "paper": {**_NB201_RECIPE, "dataset": "cifar10", "C": 16, "N": 5, "epochs": 200, "batch_size": 256, "lr": 0.1},
        "cpu": {**_NB201_RECIPE, "dataset": "embedded", "C": 8, "N": 1, "epochs": 10, "batch_size": 64, "lr": 0.1},
        "smoke": {
            **_NB201_RECIPE,
            "dataset": "embedded",
            "C": 4,
            "N": 1,
            "epochs": 2,
            "batch_size": 16,
            "lr": 0.1,
            "test_images": 200,
            "steps_per_epoch": 3,
        },
    }
    train_datasets: ClassVar[tuple[str, ...]] = ("embedded", "cifar10", "cifar100", "imagenet16-120")
    #: the benchmark's FLOPs column, so budgets and the table's best-under-budget agree (docs/spaces.md#costs)
    flops_convention: ClassVar[str] = (
        "NB201's flops_cifar10_M: FlopCounterMode multiply-adds plus 3 per output element of every ReLU-Conv-BN"
        " edge, 9 per output element of every 3x3 average-pool edge and 0.160832 M outside the cells"
    )

    def __init__(self) -> None:
        self._gt: GroundTruth | None = None
        self._edge_costs: EdgeCosts | None = None

    def arch(self, ops: Sequence[int]) -> Cell:
        return Cell(tuple(int(o) for o in ops))

    def parse(self, text: str) -> Cell:
        return Cell.parse(text)

    def format(self, arch: Cell) -> str:
        return arch.to_string()

    def validate(self, arch: object) -> Cell:
        if not isinstance(arch, Cell):
            raise ArchParseError(f"{arch} is not an NB201 cell (an architecture of another search space?)")
        return arch

    def describe(self, arch: Cell) -> dict[str, Any]:
        return {"index": arch.index}

    def random_arch(self, generator: torch.Generator) -> Cell:
        return Cell(tuple(int(o) for o in torch.randint(0, NUM_OPS, (NUM_EDGES,), generator=generator)))

    # "connected": cells whose output depends on the input; "iso": one cell per isomorphism class of connected
    # cells, the lowest-index member, which is the member `e2nas rank` samples (de-isomorphic sampling, as the NB201
    # setting of Ning et al., "Evaluating Efficient Performance Estimators of Neural Architectures", NeurIPS 2021)
    sampling_pools: ClassVar[tuple[str, ...]] = ("connected", "iso")

    def arch_pool(self, kind: str) -> list[Cell]:
        from e2nas.spaces.nb201.cell import NUM_CELLS
        from e2nas.spaces.nb201.iso import iso_key

        if kind not in self.sampling_pools:
            return super().arch_pool(kind)
        cells = [Cell.from_index(i) for i in range(NUM_CELLS)]
        connected = [c for c in cells if c.connected]
        if kind == "connected":
            return connected
        seen: set[str] = set()
        reps = []
        for c in connected:
            key = iso_key(c)
            if key not in seen:
                seen.add(key)
                reps.append(c)
        return reps

    def derive(self, weights: torch.Tensor) -> Cell:
        """Per-edge argmax over all five ops, ``none`` included: how NB201 derives DARTS/GDAS cells."""
        return Cell(tuple(int(i) for i in weights.detach().argmax(dim=-1).tolist()))

    def supernet(self, C: int, N: int, num_classes: int, track_running_stats: bool = True) -> NB201Supernet:
        return NB201Supernet(C, N, num_classes, track_running_stats)

    def network(self, arch: Any, C: int, N: int, num_classes: int, auxiliary: bool = False) -> nn.Module:
        if auxiliary:
            raise SpaceError("the NB201 network has no auxiliary head; leave the auxiliary weight at 0")
        return NB201Network(self.validate(arch), C=C, N=N, num_classes=num_classes)

    def ground_truth(self) -> GroundTruth:
        if self._gt is None:
            self._gt = GroundTruth()
        return self._gt

    ranking_pool_note: ClassVar[str] = "connected cells of distinct classes"

    def ranking_pool(self) -> list[Cell]:
        """The connected cells, one per isomorphism class (its lowest index, as ``arch_pool("iso")``), in index
        order: the table's class representatives."""
        return list(self.ground_truth().table.class_representatives)

    def show_arch(self, text: str) -> Shown:
        """A cell by index, op list or official string: index, ops, isomorphism key, parameters, costs, its row
        of the table and its rank, as a table."""
        from e2nas.netcost import count_parameters
        from e2nas.spaces.nb201.iso import iso_key

        try:
            cell = Cell.parse(text)
        except ArchParseError as err:
            raise ArchParseError(f"invalid architecture {text!r}: {err}") from None
        gt = self.ground_truth()
        info = {
            "index": cell.index,
            "arch": cell.to_string(),
            "ops": list(cell.op_names),
            "iso_key": iso_key(cell),
            "params_M": round(count_parameters(NB201Network(cell, C=16, N=5, num_classes=10)) / 1e6, 6),
            "ground_truth": gt.summary(cell),
            "cost": self.cost_report(cell),
        }
        from rich.table import Table

        t = Table(title=f"NB201 cell #{info['index']}", show_header=False)
        t.add_row("arch", info["arch"])
        t.add_row("ops (e0..e5)", ", ".join(info["ops"]))
        t.add_row("iso key", info["iso_key"])
        t.add_row("params (M)", f"{info['params_M']:.6f}")
        t.add_row("FLOPs (M, NB201 table)", f"{info['cost']['flops_M']:.6f}")
        counted = info["cost"]["counted"]
        counted_text = f"{counted['flops'] / 1e6:.6f} FLOPs = {counted['macs'] / 1e6:.6f} multiply-adds"
        t.add_row("FlopCounterMode (M)", counted_text)
        for k, v in info["ground_truth"].items():
            t.add_row(k, f"{v:.3f}")
        t.add_row("rank (C10 valid)", f"{gt.rank(cell)} / {len(gt.table.arch_str)}")
        return Shown(info, t)

    def show_space(self) -> Shown:
        """Counts (cells, isomorphism classes, ops) and the table's best cell per paper column."""
        from e2nas.spaces.nb201.ground_truth import PAPER_COLUMNS

        gt = self.ground_truth()
        best = {}
        for m in PAPER_COLUMNS + ("cifar10_test",):
            cell, value = gt.best(m)
            best[m] = {"index": cell.index, "value": value}
        stats = {
            "cells": len(gt.table.arch_str),
            "iso_classes": len(set(gt.table.iso_unique_str)),
            "edges": NUM_EDGES,
            "ops": list(OPS),
            "num_ops": NUM_OPS,
            "best": best,
        }
        lines = [f"cells: {stats['cells']}  iso classes: {stats['iso_classes']}  ops: {', '.join(OPS)}"]
        lines += [f"best {m}: {b['value']:.3f} (index {b['index']})" for m, b in best.items()]
        return Shown(stats, "\n".join(lines))

    def eval_network(self, arch: Any, num_classes: int | None = None) -> nn.Module:
        """NB201's evaluation network: C=16, N=5 (the scale of the table's params and FLOPs)."""
        return NB201Network(self.validate(arch), C=16, N=5, num_classes=num_classes or self.eval_num_classes)

    def cost(self, arch: Any) -> ArchCost:
        """The table's ``params_cifar10_M`` (equal to the counted parameters) and ``flops_cifar10_M``."""
        gt = self.ground_truth()
        cell = self.validate(arch)
        return ArchCost(gt.value(cell, "params_M"), gt.value(cell, "flops_M"))

    def smallest_cost(self) -> tuple[Cell, ArchCost]:
        t = self.ground_truth().table
        i = int(np.lexsort((t.column("params_M"), t.column("flops_M")))[0])
        cell = Cell.from_index(i)
        return cell, self.cost(cell)

    def budget_yardstick(self, max_params: float | None, max_flops: float | None) -> dict[str, Any]:
        """The best cell within the budget by NB201's ``cifar10_valid`` (what ``best`` is judged by) and the
        largest one (most FLOPs when a FLOPs budget is set, else most parameters), from the table."""
        gt = self.ground_truth()
        params, flops = gt.table.column("params_M"), gt.table.column("flops_M")
        ok = np.ones(len(params), dtype=bool)
        if max_params is not None:
            ok &= params <= max_params + 1e-9
        if max_flops is not None:
            ok &= flops <= max_flops + 1e-9
        index = np.flatnonzero(ok)
        judge = gt.table.column(self.judge_metric)
        size = flops if max_flops is not None else params

        def entry(i: int) -> dict[str, Any]:
            cell = Cell.from_index(int(i))
            return {
                "cell": cell.to_string(),
                "index": int(i),
                "cost": self.cost(cell).to_dict(),
                "ground_truth": gt.summary(cell),
            }

        best = index[np.argmax(judge[index])]
        largest = index[np.lexsort((-judge[index], -size[index]))[0]]
        return {
            "cells_within": int(len(index)),
            "best": entry(best),
            "largest": entry(largest),
            "judged_by": self.judge_metric,
        }

    def edge_costs(self) -> EdgeCosts:
        """Exact per-edge costs from the table: every edge of a cell sees the same shapes, so a cell's cost is
        that of the all-``none`` cell plus, per edge, (cost of the all-``op`` cell - all-``none``) / 6."""
        if self._edge_costs is None:
            base = self.cost(Cell((NONE_OP,) * NUM_EDGES))
            params = torch.zeros(NUM_EDGES, NUM_OPS, dtype=torch.float64)
            flops = torch.zeros(NUM_EDGES, NUM_OPS, dtype=torch.float64)
            for op in range(NUM_OPS):
                c = self.cost(Cell((op,) * NUM_EDGES))
                params[:, op] = (c.params_M - base.params_M) / NUM_EDGES
                flops[:, op] = (c.flops_M - base.flops_M) / NUM_EDGES
            self._edge_costs = EdgeCosts(base, params, flops)
        return self._edge_costs
