"""The DARTS evaluation network (Liu et al. 2019, CIFAR): a genotype's cells stacked ``3N + 2`` deep
(N = 6: 20 cells), reductions at 1/3 and 2/3, an auxiliary head after the second reduction and drop-path.

Defaults are DARTS' CIFAR-10 evaluation setting: C = 36, 20 cells, stem Conv3x3(3 -> 3C) + BN.
"""

from __future__ import annotations

import torch
from torch import nn

from e2nas.spaces.darts.genotype import NUM_NODES, Genotype
from e2nas.spaces.darts.ops import cell_layout, layers_for, make_darts_op, preprocess

STEM_MULTIPLIER = 3


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Zero whole samples with probability ``drop_prob`` and rescale the rest (training only)."""
    keep = 1.0 - drop_prob
    mask = torch.empty(x.size(0), 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep)
    return x.div(keep) * mask


class DartsEvalCell(nn.Module):
    """One genotype cell: node k = op(state a) + op(state b) of its two pairs; output = concat of ``concat``."""

    def __init__(self, genotype: Genotype, c_pp: int, c_p: int, C: int, reduction: bool, reduction_prev: bool) -> None:
        super().__init__()
        self.reduction = reduction
        self.pre0 = preprocess(c_pp, C, reduction_prev, affine=True)
        self.pre1 = preprocess(c_p, C, False, affine=True)
        pairs = genotype.reduce if reduction else genotype.normal
        self.concat = genotype.reduce_concat if reduction else genotype.normal_concat
        self.inputs = [src for _, src in pairs]
        self.ops = nn.ModuleList(
            make_darts_op(op, C, 2 if reduction and src < 2 else 1, affine=True) for op, src in pairs
        )
        self.multiplier = len(self.concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float = 0.0) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for node in range(NUM_NODES):
            total = None
            for k in (2 * node, 2 * node + 1):
                h = self.ops[k](states[self.inputs[k]])
                if self.training and drop_prob > 0 and not isinstance(self.ops[k], nn.Identity):
                    h = drop_path(h, drop_prob)
                total = h if total is None else total + h
            states.append(total)
        return torch.cat([states[i] for i in self.concat], dim=1)


class DartsAuxiliaryHead(nn.Module):
    """DARTS' CIFAR auxiliary classifier on the 8x8 features after the second reduction."""

    def __init__(self, C: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(C, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class DartsNetwork(nn.Module):
    """The network a genotype is retrained as. ``forward`` returns logits, or (logits, auxiliary logits) in
    training mode when the auxiliary head exists. Set ``drop_path_prob`` per epoch (DARTS: 0.2 · epoch/epochs)."""

    def __init__(
        self, genotype: Genotype, C: int = 36, N: int = 6, num_classes: int = 10, auxiliary: bool = True
    ) -> None:
        super().__init__()
        if C < 1 or N < 1 or num_classes < 1:
            raise ValueError(f"C, N and num_classes must be positive, got C={C}, N={N}, num_classes={num_classes}")
        self.genotype = genotype
        self.drop_path_prob = 0.0
        c_stem = STEM_MULTIPLIER * C
        self.stem = nn.Sequential(nn.Conv2d(3, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
        layout = cell_layout(layers_for(N))
        c_pp, c_p, c = c_stem, c_stem, C
        cells, reduction_prev = [], False
        self.aux_after = None
        self.auxiliary = None
        for i, reduction in enumerate(layout):
            if reduction:
                c *= 2
            cell = DartsEvalCell(genotype, c_pp, c_p, c, reduction, reduction_prev)
            cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, cell.multiplier * c
            if auxiliary and i == 2 * len(layout) // 3:
                self.aux_after = i
                self.auxiliary = DartsAuxiliaryHead(c_p, num_classes)
        self.cells = nn.ModuleList(cells)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        s0 = s1 = self.stem(x)
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_after and self.auxiliary is not None and self.training:
                aux = self.auxiliary(s1)
        logits = self.classifier(self.pool(s1).flatten(1))
        return (logits, aux) if aux is not None else logits

    def num_parameters(self, auxiliary: bool = True) -> int:
        """Parameter count, with or without the auxiliary head (DARTS reports it without)."""
        total = sum(p.numel() for p in self.parameters())
        if not auxiliary and self.auxiliary is not None:
            total -= sum(p.numel() for p in self.auxiliary.parameters())
        return total
