"""The one table renderer of the reports: a header and rows of cell strings as Markdown or LaTeX (booktabs) lines.

The sweep report, the paper layouts and the studies (budget, ranking, contrasts) format their cells themselves
and leave the table syntax here, so every table of the project is written the same way. A row shorter than the
header is padded with empty cells; a longer one is written as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

#: LaTeX for the characters the reports' labels and notes use
_TEX_SYMBOLS = (("ε", r"$\epsilon$"), ("²", r"$^2$"), ("†", r"$^\dagger$"))


def _padded(cells: Sequence[str], width: int) -> list[str]:
    return [*cells, *[""] * (width - len(cells))]


def markdown_rule(align: str, spaced: bool = False) -> str:
    """The rule under a Markdown header; ``align`` has one letter per column, ``l`` (left) or ``r`` (right).
    ``spaced``: ``| --- | --- |`` (plain, left-aligned) instead of ``|---|---:|``."""
    marks = ["---:" if a == "r" else "---" for a in align]
    return "| " + " | ".join(marks) + " |" if spaced else "|" + "|".join(marks) + "|"


def markdown_row(cells: Sequence[str], width: int = 0) -> str:
    """One Markdown table line, padded to ``width`` cells."""
    return "| " + " | ".join(_padded(cells, width)) + " |"


def markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None, spaced: bool = False
) -> list[str]:
    """Header, rule and rows as Markdown lines; ``align`` defaults to the first column left, the others right
    (a name, then numbers)."""
    n = len(header)
    rule = markdown_rule(align if align is not None else "l" + "r" * (n - 1), spaced)
    return [markdown_row(header), rule, *(markdown_row(r, n) for r in rows)]


def latex_table(
    caption: str, header: Sequence[str], rows: Sequence[Sequence[str]], extra: Sequence[Sequence[str]] = ()
) -> list[str]:
    """A booktabs ``table`` float: the first column left, the others right; ``extra`` (reference rows) below a
    second rule. Cells, header and caption are LaTeX already (see :func:`tex`)."""
    n = len(header)

    def line(cells: Sequence[str]) -> str:
        return " & ".join(_padded(cells, n)) + r" \\"

    out = [r"\begin{table}[t]", r"\centering", rf"\caption{{{caption}}}", rf"\begin{{tabular}}{{l{'r' * (n - 1)}}}"]
    out += [r"\toprule", line(header), r"\midrule", *(line(r) for r in rows)]
    if extra:
        out += [r"\midrule", *(line(r) for r in extra)]
    return [*out, r"\bottomrule", r"\end{tabular}", r"\end{table}"]


def tex(s: str) -> str:
    """``s`` with LaTeX's special characters escaped and the reports' symbols (ε, ², †) in math mode."""
    s = s.replace("\\", r"\textbackslash{}")
    for ch in "_&%$#{}":
        s = s.replace(ch, "\\" + ch)
    for symbol, latex in _TEX_SYMBOLS:
        s = s.replace(symbol, latex)
    return s
