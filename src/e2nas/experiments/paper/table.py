"""A table of strings with the numbers behind them, rendered as Markdown or LaTeX (booktabs): what the paper
layouts (:mod:`e2nas.experiments.paper.layouts`) produce."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from e2nas.experiments.report.tables import latex_table, markdown_table, tex


@dataclass
class Entry:
    """One table cell: its text, and the number(s) behind it for JSON."""

    text: str
    value: Any = None


@dataclass
class Table:
    """A layout's result: a title, a header, rows of cells, reference rows (optimum, published) and notes."""

    layout: str
    title: str
    header: list[str]
    rows: list[list[Entry]]
    reference: list[list[Entry]]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        def row(r: list[Entry]) -> dict[str, Any]:
            return {h: (c.value if c.value is not None else c.text) for h, c in zip(self.header, r, strict=False)}

        return {
            "layout": self.layout,
            "title": self.title,
            "header": self.header,
            "rows": [row(r) for r in self.rows],
            "reference": [row(r) for r in self.reference],
            "notes": self.notes,
        }

    def select(self, headers: list[str]) -> Table:
        """The same table with only the named columns, in the given order (the first one, the row name, is
        always kept); an unknown name is a ValueError naming the known ones."""
        unknown = [h for h in headers if h not in self.header]
        if unknown:
            raise ValueError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(self.header)}")
        keep = [0] + [self.header.index(h) for h in headers if h != self.header[0]]

        def pick(rows: list[list[Entry]]) -> list[list[Entry]]:
            return [[r[i] if i < len(r) else Entry("") for i in keep] for r in rows]

        return Table(
            self.layout, self.title, [self.header[i] for i in keep], pick(self.rows), pick(self.reference), self.notes
        )

    def markdown_lines(self) -> list[str]:
        """The header, the rule and every row (reference rows last) as Markdown table lines."""
        return markdown_table(self.header, [[c.text for c in r] for r in self.rows + self.reference])


@dataclass(frozen=True)
class Style:
    """How numbers print: ± and the placeholder for undefined values (Markdown or LaTeX)."""

    pm: str = " ± "
    dash: str = "–"


MARKDOWN, LATEX = Style(), Style(r" $\pm$ ", "--")


def to_markdown(t: Table, warnings: list[str]) -> str:
    """The table, its reference rows and notes; warnings as notes."""
    out = [f"## {t.title}", "", *t.markdown_lines()]
    out += [""] + [f"- {n}" for n in t.notes] + [f"- warning: {w}" for w in warnings]
    return "\n".join(out) + "\n"


def _tex(s: str) -> str:
    return tex(s).replace("τ", r"$\tau$").replace("γ", r"$\gamma$").replace("⚠", r"$^\ast$")


def to_latex(t: Table, warnings: list[str]) -> str:
    """A booktabs table; the notes and warnings as comments."""

    def cells(rows: list[list[Entry]]) -> list[list[str]]:
        return [[_tex(r[0].text)] + [c.text for c in r[1:]] for r in rows]

    out = latex_table(_tex(t.title), [_tex(h) for h in t.header], cells(t.rows), cells(t.reference))
    out += [f"% {_tex(n)}" for n in t.notes + [f"warning: {w}" for w in warnings]]
    return "\n".join(out) + "\n"
