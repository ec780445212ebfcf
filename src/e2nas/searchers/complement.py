"""Architecture complementation (E²NAS Section 3.2, Eq. 7), shared by every single-path searcher.

complement(prev, cur): per edge, if prev_e == cur_e pick an op != prev_e uniformly among the other four,
else keep cur_e. With op weights ω(cell) = {(e, cell_e)}: ω_prev ∩ ω_c = ∅ and ω_cur ⊆ ω_prev ∪ ω_c.

L_c = (1 - ε)·CE(cur) + ε·(CE(complement) + CE(prev)); the weight-decay term η‖ω‖² is the SGD optimizer's.
ε = 0 is exactly the plain loss and draws nothing from the generator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch

from e2nas.searchers.base import Batch, SearchContext, Searcher, SearcherOptions
from e2nas.spaces.base import Arch as Cell


def op_weights(cell: Cell) -> frozenset[tuple[int, int]]:
    """The set of (edge, op) pairs whose weights a single-path step on ``cell`` trains."""
    return frozenset(enumerate(cell.ops))


def complement(prev: Cell, cur: Cell, generator: torch.Generator) -> Cell:
    """The complement cell of ``cur`` w.r.t. ``prev`` (draws one number per edge that ``prev`` and ``cur`` share)."""
    ops = []
    for e in range(len(cur.ops)):
        if prev.ops[e] == cur.ops[e]:
            k = int(torch.randint(0, cur.num_ops - 1, (1,), generator=generator))
            ops.append(k if k < prev.ops[e] else k + 1)
        else:
            ops.append(cur.ops[e])
    return type(cur)(tuple(ops))


def complement_loss(
    cell_loss: Callable[[Cell], torch.Tensor],
    cur: Cell,
    prev: Cell | None,
    epsilon: float,
    generator: torch.Generator,
    cur_loss: torch.Tensor | None = None,
) -> tuple[torch.Tensor, Cell | None]:
    """L_c for one step. ``cell_loss(cell)`` returns the CE of the supernet path ``cell`` on the train batch;
    ``cur_loss`` may pass CE(cur) when it was already computed (e.g. with straight-through weights).

    Returns (loss, complement cell or None). With ``epsilon == 0`` or no previous cell the loss is CE(cur).
    """
    loss_cur = cell_loss(cur) if cur_loss is None else cur_loss
    if epsilon == 0.0 or prev is None:
        return loss_cur, None
    comp = complement(prev, cur, generator)
    loss = (1.0 - epsilon) * loss_cur + epsilon * (cell_loss(comp) + cell_loss(prev))
    return loss, comp


class SinglePathSearcher(Searcher):
    """Base for methods that train one cell per weight step: implements ``weight_loss`` with L_c.

    Subclasses implement ``train_cell(ctx)`` (the cell trained at this step) and the rest of the interface.
    ``prev_cell`` (the cell trained at the previous step) is checkpointed; extend ``state_attrs`` with
    ``SinglePathSearcher.state_attrs + (...)``.
    """

    state_attrs: ClassVar[tuple[str, ...]] = ("prev_cell",)

    def __init__(self, options: SearcherOptions | None = None, epsilon: float = 0.0) -> None:
        super().__init__(options, epsilon)
        self.prev_cell: Cell | None = None

    def train_cell(self, ctx: SearchContext) -> Cell:
        raise NotImplementedError

    def weight_loss(self, batch: Batch, ctx: SearchContext) -> tuple[torch.Tensor, torch.Tensor]:
        cur = self.train_cell(ctx)
        loss_cur, logits = ctx.cell_loss(batch, cur)
        loss, _ = complement_loss(
            lambda c: ctx.cell_loss(batch, c)[0], cur, self.prev_cell, self.epsilon, ctx.generator, loss_cur
        )
        self.prev_cell = cur
        return loss, logits
