"""A table of strings with the numbers behind them, rendered as Markdown or LaTeX (booktabs): what the paper
layouts (:mod:`e2nas.experiments.paper.layouts`) produce."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


@dataclass(frozen=True)
class Style:
    """How numbers print: ± and the placeholder for undefined values (Markdown or LaTeX)."""

    pm: str = " ± "
    dash: str = "–"


MARKDOWN, LATEX = Style(), Style(r" $\pm$ ", "--")


def to_markdown(t: Table, warnings: list[str]) -> str:
    """The table, its reference rows and notes; warnings as notes."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells + [""] * (len(t.header) - len(cells))) + " |"

    out = [f"## {t.title}", "", line(t.header), "|" + "|".join(["---"] + ["---:"] * (len(t.header) - 1)) + "|"]
    out += [line([c.text for c in r]) for r in t.rows + t.reference]
    out += [""] + [f"- {n}" for n in t.notes] + [f"- warning: {w}" for w in warnings]
    return "\n".join(out) + "\n"


def _tex(s: str) -> str:
    from e2nas.experiments.report import _tex as escape

    return escape(s).replace("τ", r"$\tau$").replace("γ", r"$\gamma$").replace("⚠", r"$^\ast$")


def to_latex(t: Table, warnings: list[str]) -> str:
    """A booktabs table; the notes and warnings as comments."""

    def line(cells: list[str]) -> str:
        return " & ".join(cells + [""] * (len(t.header) - len(cells))) + r" \\"

    out = [r"\begin{table}[t]", r"\centering", rf"\caption{{{_tex(t.title)}}}"]
    out += [rf"\begin{{tabular}}{{l{'r' * (len(t.header) - 1)}}}", r"\toprule", line([_tex(h) for h in t.header])]
    out += [r"\midrule"] + [line([_tex(r[0].text)] + [c.text for c in r[1:]]) for r in t.rows]
    if t.reference:
        out += [r"\midrule"] + [line([_tex(r[0].text)] + [c.text for c in r[1:]]) for r in t.reference]
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    out += [f"% {_tex(n)}" for n in t.notes + [f"warning: {w}" for w in warnings]]
    return "\n".join(out) + "\n"
