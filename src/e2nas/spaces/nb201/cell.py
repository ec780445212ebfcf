"""NB201 cells: six ops on the fixed 4-node DAG, with the official string format.

Edge order (e0..e5) is 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2, the order the official string lists them in.
Op indices follow NB201's ``str2matrix`` convention: none=0, skip_connect=1, nor_conv_1x1=2,
nor_conv_3x3=3, avg_pool_3x3=4.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from e2nas.spaces.base import ArchParseError
from e2nas.spaces.nb201.indexing import index_table, index_to_ops, ops_to_index
from e2nas.spaces.nb201.layout import EDGES, NONE_OP, NUM_CELLS, NUM_EDGES, NUM_NODES, NUM_OPS, OPS

__all__ = [
    "EDGES",
    "NONE_OP",
    "NUM_CELLS",
    "NUM_EDGES",
    "NUM_NODES",
    "NUM_OPS",
    "OPS",
    "STRING_FORMAT",
    "ArchParseError",
    "Cell",
    "all_cells",
    "all_cells_product",
]

STRING_FORMAT = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"
_OP_INDEX = {name: i for i, name in enumerate(OPS)}


@dataclass(frozen=True, order=True)
class Cell:
    """One NB201 cell, stored as the six op indices in edge order."""

    ops: tuple[int, ...]
    #: ops per edge (the search-space interface's ``Arch.num_ops``)
    num_ops: ClassVar[int] = NUM_OPS
    #: the registry name of the space (how checkpoints name an architecture's space)
    space_name: ClassVar[str] = "nb201"

    def __post_init__(self) -> None:
        ops = tuple(int(o) for o in self.ops)
        if len(ops) != NUM_EDGES:
            raise ArchParseError(f"a cell has {NUM_EDGES} edges, got {len(ops)} op indices: {list(ops)}")
        bad = [o for o in ops if not 0 <= o < NUM_OPS]
        if bad:
            raise ArchParseError(f"op index {bad[0]} out of range; valid op indices are 0..{NUM_OPS - 1} ({OPS})")
        object.__setattr__(self, "ops", ops)

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def from_ops(cls, ops: Sequence[int | str]) -> Cell:
        """Build from six op indices or op names in edge order."""
        idx = []
        for o in ops:
            if isinstance(o, str):
                if o not in _OP_INDEX:
                    raise ArchParseError(f"unknown op {o!r}; expected one of {', '.join(OPS)}")
                idx.append(_OP_INDEX[o])
            else:
                idx.append(int(o))
        return cls(tuple(idx))

    @classmethod
    def from_string(cls, text: str) -> Cell:
        """Parse the official string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``."""
        s = text.strip()
        groups = s.split("+")
        if len(groups) != NUM_NODES - 1:
            raise ArchParseError(
                f"expected {NUM_NODES - 1} '+'-separated node groups, got {len(groups)} in {s!r}; "
                f"format: {STRING_FORMAT}"
            )
        ops: list[int] = []
        for node, group in enumerate(groups, start=1):
            if not (group.startswith("|") and group.endswith("|")) or len(group) < 2:
                raise ArchParseError(f"node group {group!r} must be wrapped in '|'; format: {STRING_FORMAT}")
            items = group[1:-1].split("|")
            if len(items) != node:
                raise ArchParseError(
                    f"node {node} needs {node} incoming edge(s), got {len(items)} in {group!r}; format: {STRING_FORMAT}"
                )
            for src, item in enumerate(items):
                name, sep, inp = item.partition("~")
                if not sep:
                    raise ArchParseError(f"edge {item!r} lacks '~input'; write it as op~{src}")
                if name not in _OP_INDEX:
                    raise ArchParseError(f"unknown op {name!r} in {item!r}; expected one of {', '.join(OPS)}")
                if inp != str(src):
                    raise ArchParseError(
                        f"edge {item!r} into node {node} must read from node {src} (write {name}~{src})"
                    )
                ops.append(_OP_INDEX[name])
        return cls(tuple(ops))

    @classmethod
    def parse(cls, value: str | int | Sequence[int | str] | Cell) -> Cell:
        """Accept a Cell, an official string, an NB201 index (int or digit string) or an op list."""
        if isinstance(value, Cell):
            return value
        if isinstance(value, int):
            return cls.from_index(value)
        if isinstance(value, str):
            v = value.strip()
            if v.lstrip("-").isdigit():
                return cls.from_index(int(v))
            if v.startswith("|"):
                return cls.from_string(v)
            if v.startswith("Genotype("):
                raise ArchParseError("that is a DARTS genotype, not an NB201 cell; use --space darts")
            if v.startswith("[") or "," in v:
                parts = [p.strip().strip("'\"") for p in v.strip("[]()").split(",") if p.strip()]
                return cls.from_ops([int(p) if p.isdigit() else p for p in parts])
            raise ArchParseError(
                f"cannot read {value!r} as a cell; give an NB201 index 0..{NUM_CELLS - 1}, "
                f"an op list like 3,2,3,1,3,3 or the official string {STRING_FORMAT}"
            )
        return cls.from_ops(value)

    @classmethod
    def from_index(cls, index: int) -> Cell:
        """The cell with this NB201 benchmark index (the benchmark's own order, not mixed radix)."""
        return cls(index_to_ops(index))

    # -- views --------------------------------------------------------------------------------
    @property
    def index(self) -> int:
        """NB201 / NATS-tss benchmark index of this cell."""
        return ops_to_index(self.ops)

    @property
    def op_names(self) -> tuple[str, ...]:
        return tuple(OPS[o] for o in self.ops)

    def to_string(self) -> str:
        parts, k = [], 0
        for node in range(1, NUM_NODES):
            items = []
            for src in range(node):
                items.append(f"{OPS[self.ops[k]]}~{src}")
                k += 1
            parts.append("|" + "|".join(items) + "|")
        return "+".join(parts)

    def __str__(self) -> str:
        return self.to_string()

    @property
    def code(self) -> int:
        """Mixed-radix code sum(ops[e] * 5**e): a dense 0..15624 id independent of the benchmark order."""
        return sum(o * NUM_OPS**e for e, o in enumerate(self.ops))

    @classmethod
    def from_code(cls, code: int) -> Cell:
        if not 0 <= code < NUM_CELLS:
            raise ArchParseError(f"cell code {code} out of range 0..{NUM_CELLS - 1}")
        return cls(tuple((code // NUM_OPS**e) % NUM_OPS for e in range(NUM_EDGES)))

    @property
    def connected(self) -> bool:
        """Whether some path of non-``none`` ops leads from the cell's input to its output. A disconnected
        cell outputs zeros whatever its input, so every network built from it scores chance level, and a
        straight-through gradient through it is zero (nothing to learn from)."""
        reach = [True] + [False] * (NUM_NODES - 1)
        for e, (dst, src) in enumerate(EDGES):  # edges are ordered by destination, so one pass suffices
            if self.ops[e] != NONE_OP and reach[src]:
                reach[dst] = True
        return reach[-1]

    def edges_into(self, node: int) -> list[tuple[int, int]]:
        """(edge id, source node) of every edge entering ``node``."""
        return [(e, src) for e, (dst, src) in enumerate(EDGES) if dst == node]


def all_cells() -> Iterator[Cell]:
    """All 15,625 cells in NB201 index order."""
    for ops in index_table():
        yield Cell(ops)


def all_cells_product() -> Iterator[Cell]:
    """All cells in mixed-radix order (itertools.product over edges, last edge fastest)."""
    for ops in itertools.product(range(NUM_OPS), repeat=NUM_EDGES):
        yield Cell(ops)
