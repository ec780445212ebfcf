"""The DARTS cell space (Liu, Simonyan & Yang, ICLR 2019; docs/reference/darts.md): genotypes, their string
format and the per-edge view searchers work with.

A cell has two inputs (states 0 and 1: the outputs of the two previous cells) and four intermediate nodes;
node k (state k + 2) may read every earlier state, so there are 2 + 3 + 4 + 5 = 14 edges, ordered by node and
then by input. The cell's output is the concatenation of the four nodes. A network has a *normal* and a
*reduction* cell, so an architecture is 28 edge choices: ``ops[0:14]`` normal, ``ops[14:28]`` reduction.

A *genotype* keeps two inputs per node, each with one op other than ``none``:
``Genotype(normal=[(op, input) x 8], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])``,
the two pairs of node k at positions 2k and 2k + 1. :class:`Genotype` holds that text exactly (order and
repeated inputs included); :class:`DartsCell` is the 28-edge view (``none`` on the edges a genotype leaves out).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar

import torch

from e2nas.spaces.base import ArchParseError

OPS: tuple[str, ...] = (
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
NUM_OPS = len(OPS)
NONE_OP = OPS.index("none")
NUM_NODES = 4  # intermediate nodes per cell
NUM_INPUTS = 2  # cell inputs (states 0 and 1)
#: (node, input state) of each of a cell's 14 edges
CELL_EDGES: tuple[tuple[int, int], ...] = tuple(
    (node, src) for node in range(NUM_NODES) for src in range(NUM_INPUTS + node)
)
EDGES_PER_CELL = len(CELL_EDGES)
NUM_EDGES = 2 * EDGES_PER_CELL  # normal, then reduction
CONCAT: tuple[int, ...] = tuple(range(NUM_INPUTS, NUM_INPUTS + NUM_NODES))
FORMAT = "Genotype(normal=[(op, input) x 8], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])"
_OP_INDEX = {name: i for i, name in enumerate(OPS)}
_EDGE_INDEX = {edge: e for e, edge in enumerate(CELL_EDGES)}
_FIELDS = ("normal", "normal_concat", "reduce", "reduce_concat")

Pairs = tuple[tuple[str, int], ...]


def edge_index(node: int, src: int) -> int:
    """Position (0..13) of the edge ``src -> node`` within a cell."""
    return _EDGE_INDEX[(node, src)]


@dataclass(frozen=True)
class Genotype:
    """A DARTS architecture exactly as its string states it (the evaluation network is built from this)."""

    normal: Pairs
    normal_concat: tuple[int, ...]
    reduce: Pairs
    reduce_concat: tuple[int, ...]

    def __post_init__(self) -> None:
        for kind in ("normal", "reduce"):
            pairs = tuple((str(op), int(src)) for op, src in getattr(self, kind))
            object.__setattr__(self, kind, pairs)
            _check_pairs(kind, pairs)
            concat = tuple(int(c) for c in getattr(self, f"{kind}_concat"))
            object.__setattr__(self, f"{kind}_concat", concat)
            _check_concat(kind, concat)

    @classmethod
    def parse(cls, text: str) -> Genotype:
        """Read ``Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])`` (concats may
        also be written ``range(2, 6)``, as DARTS' own genotypes are). Never evaluates the text."""
        s = text.strip()
        if s.startswith("|") or s.lstrip("-").isdigit():
            raise ArchParseError(f"{s[:60]!r} is an NB201 cell, not a DARTS genotype; use --space nb201")
        try:
            tree = ast.parse(s, mode="eval").body
        except SyntaxError:
            raise ArchParseError(f"cannot read {s[:60]!r} as a DARTS genotype; format: {FORMAT}") from None
        if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "Genotype"):
            raise ArchParseError(f"a DARTS genotype is written {FORMAT}; got {s[:60]!r}")
        if tree.args:
            raise ArchParseError(f"write the genotype's fields by name: {FORMAT}")
        values = {}
        for kw in tree.keywords:
            if kw.arg not in _FIELDS:
                raise ArchParseError(f"unknown genotype field {kw.arg!r}; fields: {', '.join(_FIELDS)}")
            values[kw.arg] = _literal(kw.arg, kw.value)
        missing = [f for f in _FIELDS if f not in values]
        if missing:
            raise ArchParseError(f"the genotype lacks {missing[0]}; format: {FORMAT}")
        for kind in ("normal", "reduce"):
            pairs = values[kind]
            if not isinstance(pairs, list | tuple) or not all(
                isinstance(p, list | tuple) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], int)
                for p in pairs
            ):
                raise ArchParseError(f"{kind} must be a list of (op name, input index) pairs; format: {FORMAT}")
        for kind in ("normal_concat", "reduce_concat"):
            if not isinstance(values[kind], list | tuple) or not all(isinstance(c, int) for c in values[kind]):
                raise ArchParseError(f"{kind} must be a list of state indices such as [2, 3, 4, 5]")
        return cls(**{k: tuple(tuple(p) if isinstance(p, list) else p for p in v) for k, v in values.items()})

    def to_string(self) -> str:
        def pairs(p: Pairs) -> str:
            return "[" + ", ".join(f"({op!r}, {src})" for op, src in p) + "]"

        return (
            f"Genotype(normal={pairs(self.normal)}, normal_concat={list(self.normal_concat)}, "
            f"reduce={pairs(self.reduce)}, reduce_concat={list(self.reduce_concat)})"
        )

    def __str__(self) -> str:
        return self.to_string()

    def op_counts(self) -> dict[str, dict[str, int]]:
        """``{"normal": {op: count}, "reduce": {...}}`` over the genotype's 8 + 8 ops."""
        out = {}
        for kind in ("normal", "reduce"):
            counts: dict[str, int] = {}
            for op, _ in getattr(self, kind):
                counts[op] = counts.get(op, 0) + 1
            out[kind] = dict(sorted(counts.items()))
        return out

    def to_cell(self) -> DartsCell:
        """The 28-edge view. A node that reads the same input twice has no such view (one edge per pair)."""
        ops = [NONE_OP] * NUM_EDGES
        for offset, kind in ((0, "normal"), (EDGES_PER_CELL, "reduce")):
            for k, (op, src) in enumerate(getattr(self, kind)):
                e = offset + edge_index(k // 2, src)
                if ops[e] != NONE_OP:
                    raise ArchParseError(
                        f"{kind}: node {k // 2 + 2} reads state {src} twice; the search supernet has one edge per "
                        "(node, input), so this genotype can be trained (`e2nas train`) but not searched"
                    )
                ops[e] = _OP_INDEX[op]
        if self.normal_concat != CONCAT or self.reduce_concat != CONCAT:
            raise ArchParseError(f"the search space's cells concatenate states {list(CONCAT)}; this genotype does not")
        return DartsCell(tuple(ops))


def _literal(field: str, node: ast.expr) -> object:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        try:
            return list(range(*[ast.literal_eval(a) for a in node.args]))
        except (ValueError, TypeError):
            raise ArchParseError(f"{field}: range() takes integer bounds") from None
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ArchParseError(f"{field} must be a literal list; format: {FORMAT}") from None


def _check_pairs(kind: str, pairs: Pairs) -> None:
    if len(pairs) != 2 * NUM_NODES:
        raise ArchParseError(
            f"{kind} has {len(pairs)} (op, input) pairs; a DARTS cell needs {2 * NUM_NODES} (2 inputs for each of "
            f"its {NUM_NODES} nodes)"
        )
    for k, (op, src) in enumerate(pairs):
        if op not in _OP_INDEX or op == "none":
            known = ", ".join(o for o in OPS if o != "none")
            raise ArchParseError(f"unknown op {op!r} in {kind}[{k}]; a genotype's ops are {known}")
        node = k // 2
        if not 0 <= src < NUM_INPUTS + node:
            raise ArchParseError(
                f"{kind}[{k}] ({op!r}, {src}): input {src} out of range; node {node + 2} (pairs {2 * node} and "
                f"{2 * node + 1}) reads states 0..{NUM_INPUTS + node - 1}"
            )


def _check_concat(kind: str, concat: tuple[int, ...]) -> None:
    top = NUM_INPUTS + NUM_NODES - 1
    if not concat or len(set(concat)) != len(concat) or not all(0 <= c <= top for c in concat):
        raise ArchParseError(f"{kind}_concat {list(concat)} must list distinct states in 0..{top}, e.g. [2, 3, 4, 5]")


@dataclass(frozen=True, order=True)
class DartsCell:
    """A DARTS architecture as 28 edge choices (normal cell, then reduction cell): what searchers sample,
    derive and train. ``none`` edges carry nothing; a genotype has exactly two other edges per node."""

    ops: tuple[int, ...]
    num_ops: ClassVar[int] = NUM_OPS
    #: the registered space this architecture belongs to (checkpoints store it by this name)
    space_name: ClassVar[str] = "darts"

    def __post_init__(self) -> None:
        ops = tuple(int(o) for o in self.ops)
        if len(ops) != NUM_EDGES:
            raise ArchParseError(f"a DARTS architecture has {NUM_EDGES} edge choices, got {len(ops)}")
        bad = [o for o in ops if not 0 <= o < NUM_OPS]
        if bad:
            raise ArchParseError(f"op index {bad[0]} out of range; valid op indices are 0..{NUM_OPS - 1}")
        object.__setattr__(self, "ops", ops)

    @property
    def is_genotype(self) -> bool:
        """Whether every node has exactly two non-``none`` inputs."""
        return all(len(self.inputs(cell, node)) == 2 for cell in range(2) for node in range(NUM_NODES))

    def inputs(self, cell: int, node: int) -> list[tuple[int, int]]:
        """(input state, op index) of the non-``none`` edges into ``node`` of cell 0 (normal) or 1 (reduce)."""
        base = cell * EDGES_PER_CELL
        return [
            (src, self.ops[base + e])
            for e, (n, src) in enumerate(CELL_EDGES)
            if n == node and self.ops[base + e] != NONE_OP
        ]

    def genotype(self) -> Genotype:
        """The genotype (inputs of a node in ascending order); raises if a node has not exactly two inputs."""
        kinds = []
        for cell, kind in enumerate(("normal", "reduce")):
            pairs = []
            for node in range(NUM_NODES):
                ins = self.inputs(cell, node)
                if len(ins) != 2:
                    raise ArchParseError(f"{kind} node {node + 2} has {len(ins)} inputs; a genotype has 2 per node")
                pairs += [(OPS[op], src) for src, op in ins]
            kinds.append(tuple(pairs))
        return Genotype(kinds[0], CONCAT, kinds[1], CONCAT)

    def to_string(self) -> str:
        return self.genotype().to_string()

    def __str__(self) -> str:
        return self.to_string()


def parse_cell(value: str | Genotype | DartsCell) -> DartsCell:
    """A genotype string, :class:`Genotype` or :class:`DartsCell` as the 28-edge view."""
    if isinstance(value, DartsCell):
        return value
    if isinstance(value, Genotype):
        return value.to_cell()
    return Genotype.parse(value).to_cell()


def derive_genotype(logits: torch.Tensor) -> Genotype:
    """DARTS' rule on arch logits (28 x 8): per edge softmax; per node the two edges with the largest non-``none``
    weight (the earlier edge on ties), each with its strongest non-``none`` op, the stronger edge first."""
    if tuple(logits.shape) != (NUM_EDGES, NUM_OPS):
        raise ValueError(f"DARTS arch weights must have shape ({NUM_EDGES}, {NUM_OPS}), got {tuple(logits.shape)}")
    w = torch.softmax(logits.detach().float().cpu(), dim=-1)
    w[:, NONE_OP] = -1.0
    kinds = []
    for cell in range(2):
        pairs = []
        for node in range(NUM_NODES):
            edges = [cell * EDGES_PER_CELL + edge_index(node, src) for src in range(NUM_INPUTS + node)]
            strength = [float(w[e].max()) for e in edges]
            best = sorted(range(len(edges)), key=lambda j: -strength[j])[:2]
            pairs += [(OPS[int(w[edges[j]].argmax())], j) for j in best]
        kinds.append(tuple(pairs))
    return Genotype(kinds[0], CONCAT, kinds[1], CONCAT)


def random_cell(generator: torch.Generator) -> DartsCell:
    """A uniformly random genotype (two distinct inputs per node, each with a random non-``none`` op), as
    random search on the DARTS space samples architectures."""
    ops = [NONE_OP] * NUM_EDGES
    for cell in range(2):
        for node in range(NUM_NODES):
            n_in = NUM_INPUTS + node
            srcs = torch.randperm(n_in, generator=generator)[:2].tolist()
            for src in srcs:
                op = 1 + int(torch.randint(0, NUM_OPS - 1, (1,), generator=generator))
                ops[cell * EDGES_PER_CELL + edge_index(node, src)] = op
    return DartsCell(tuple(ops))
