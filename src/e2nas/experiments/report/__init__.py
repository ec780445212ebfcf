"""Reports from run directories, by job: :mod:`.records` reads runs, :mod:`.grouping` groups them and takes the
statistics, :mod:`.tables` writes tables (Markdown, LaTeX), :mod:`.render` lays out the sweep report
(``e2nas report``). The paper layouts (:mod:`e2nas.experiments.paper.layouts`) build on the same three.

The names below stay importable from ``e2nas.experiments.report``.
"""

from __future__ import annotations

from e2nas.experiments.report.grouping import (
    COLUMN_TITLES,
    PUBLISHED,
    Group,
    build_report,
    duplicate_seeds,
    group_runs,
    stats,
    yardsticks,
)
from e2nas.experiments.report.records import ReportError, Run, code_note, find_runs, read_log
from e2nas.experiments.report.render import (
    FORMATS,
    fmt_signed,
    fmt_stat,
    fmt_tau,
    render,
    to_latex,
    to_markdown,
)
from e2nas.experiments.report.tables import latex_table, markdown_table, tex

__all__ = [
    "COLUMN_TITLES",
    "FORMATS",
    "PUBLISHED",
    "Group",
    "ReportError",
    "Run",
    "build_report",
    "code_note",
    "duplicate_seeds",
    "find_runs",
    "fmt_signed",
    "fmt_stat",
    "fmt_tau",
    "group_runs",
    "latex_table",
    "markdown_table",
    "read_log",
    "render",
    "stats",
    "tex",
    "to_latex",
    "to_markdown",
    "yardsticks",
]
