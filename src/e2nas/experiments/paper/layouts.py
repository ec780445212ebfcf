"""The E²NAS paper's tables, laid out as the paper does, from run directories (``e2nas report --layout``).

A layout turns the report's groups (:func:`e2nas.experiments.report.group_runs`) into one table: rows in the
paper's order, its columns, and on every row the supernet τ of the group's runs (results.json ``ranking``) and
the search time, since a weight-sharing result means little without the ranking quality of its supernet.

- ``table1``: every method, final cell: C10 valid, C10 test (v1_0), C100 test, IN16 test (mean ± std);
- ``table2``: E²NAS per γ (and γ = 0, ε = 0) next to GDAS and GDAS-A: C10 test of the final and of the best
  cell seen during search, C100 and IN16 test of the final cell;
- ``fig1a``: final accuracy per method and ε (the data of the figure :mod:`.figures` draws);
- ``fig1b``: forgetting of the first visited cells per method and ε (forgetting monitor).

Below the rows of ``table1``, ``table2`` and ``fig1a`` stand the NB201 optimum and the yardstick rows (largest
cell, median cell, random-k oracle; :mod:`e2nas.experiments.yardsticks`), and beside each group's final cell its
largest visited cell. Layouts are registered in :data:`LAYOUTS`; ``auto`` picks them from the sweeps that wrote
the runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2nas.experiments.paper.table import LATEX, MARKDOWN, Entry, Style, Table, to_latex, to_markdown
from e2nas.experiments.report import (
    COLUMN_TITLES,
    PUBLISHED,
    Group,
    ReportError,
    code_note,
    duplicate_seeds,
    find_runs,
    fmt_stat,
    fmt_tau,
    group_runs,
    stats,
    yardsticks,
)
from e2nas.experiments.yardsticks import VISITED_NOTE
from e2nas.plugins import Registry
from e2nas.spaces.nb201 import PAPER_COLUMNS

#: paper names of the methods, in the paper's Table 1 order (E²NAS' variants after the baselines)
DISPLAY: dict[str, str] = {
    "random": "RandomNAS",
    "gdas": "GDAS",
    "gdas-a": "GDAS-A",
    "darts-v1": "DARTS-V1",
    "darts-v2": "DARTS-V2",
    "setn": "SETN",
    "enas": "ENAS",
    "nao": "NAO",
    "e2nas": "E²NAS",
}
#: published rows (report.PUBLISHED) that belong next to a method's row
PUBLISHED_FOR: dict[str, str] = {
    "random": "RSPS (NB201 paper)",
    "gdas": "GDAS (NB201 paper)",
    "darts-v1": "DARTS-V1 (NB201 paper)",
    "setn": "SETN (NB201 paper)",
    "enas": "ENAS (NB201 paper)",
    "e2nas": "E²NAS (E²NAS paper)",
}


#: a layout's table builder: groups (:meth:`Group.summary` dicts), published?, style -> Table
Layout = Callable[[list[dict[str, Any]], bool, Style], Table]
#: layout name -> its table builder (``e2nas report --layout``), in the paper's order
LAYOUTS: Registry[Layout] = Registry("layout", ReportError)


def _stat(s: dict[str, Any], st: Style, digits: int = 2) -> Entry:
    return Entry(fmt_stat(s, digits, st.pm, st.dash), {k: s[k] for k in ("mean", "std", "n")})


def _tau(g: dict[str, Any], st: Style) -> Entry:
    vals = [v for v in g["kendall_tau"]["values"] if not math.isnan(v)]
    return Entry(fmt_tau(g["kendall_tau"], st.pm, st.dash), stats(vals) if vals else None)


def _params_tau(g: dict[str, Any], st: Style) -> Entry:
    """The parameter count's τ on the same cells as the supernet τ (the yardstick it has to beat)."""
    got = g.get("params_tau") or stats([])
    vals = [v for v in got["values"] if not math.isnan(v)]
    return Entry(fmt_tau(got, st.pm, st.dash), stats(vals) if vals else None)


def _time(g: dict[str, Any], st: Style) -> Entry:
    return _stat(g["search_time_s"], st, 0)


def option(g: dict[str, Any], name: str) -> Any:
    """A searcher option of a group: the changed value, else the method's default (None if it has none)."""
    if name in g["options"]:
        return g["options"][name]
    from e2nas.searchers import SearcherError, get_searcher_class

    try:
        return getattr(get_searcher_class(g["method"]).Options(), name, None)
    except SearcherError:
        return None


def method_name(g: dict[str, Any]) -> str:
    """The paper's name of a group's method; E²NAS with its variant."""
    name = DISPLAY.get(g["method"], g["method"])
    return f"{name} ({option(g, 'variant')})" if g["method"] == "e2nas" else name


def _gamma_order(gamma: Any) -> tuple[int, float]:
    """Static γ first by value, then the Sig_k schedules by k."""
    s = str(gamma)
    if s.startswith("sig:"):
        return (1, float(s[4:]))
    try:
        return (0, float(s))
    except ValueError:
        return (2, 0.0)


def _optimum_and_published(columns: list[str | None], names: list[str], published: bool, st: Style, pad: int):
    """Reference rows: the NB201 optimum of each column and (``published``) the named published rows."""
    from e2nas.spaces.nb201 import GroundTruth

    gt = GroundTruth()
    ref = [[Entry("NB201 optimum")] + [Entry(st.dash)] * pad]
    ref[0] += [Entry(f"{gt.best(c)[1]:.2f}", gt.best(c)[1]) if c else Entry(st.dash) for c in columns]
    if published:
        for name in names:
            vals = dict(zip(PAPER_COLUMNS, PUBLISHED[name], strict=True))
            row = [Entry(name + " †")] + [Entry(st.dash)] * pad
            row += [Entry(f"{vals[c]:.2f}", vals[c]) if c in vals else Entry(st.dash) for c in columns]
            ref.append(row)
    return ref


def _yardstick_rows(
    groups: list[dict[str, Any]], columns: list[str | None], st: Style, pad: int
) -> tuple[list[list[Entry]], str]:
    """The yardstick rows (largest cell, median cell, random-k oracle) on the table's ``columns`` (None: a
    column they have no value in), and their note."""
    y = yardsticks(groups, sorted({c for c in columns if c}))
    rows = []
    for row in y["rows"]:
        vals = row["values"]
        cells = [Entry(f"{vals[c]:.2f}", vals[c]) if c else Entry(st.dash) for c in columns]
        rows.append([Entry(row["label"]), *[Entry(st.dash)] * pad, *cells])
    return rows, y["note"]


def _reference(groups, columns, yard_columns, names, published, st, pad):
    """Optimum, yardstick rows, published rows; and the notes the yardsticks need."""
    opt = _optimum_and_published(columns, names, published, st, pad)
    yard, note = _yardstick_rows(groups, yard_columns, st, pad)
    return opt[:1] + yard + opt[1:], [note, VISITED_NOTE] if yard else [note]


def _largest(g: dict[str, Any], st: Style, column: str) -> Entry:
    """The group's largest visited cell on ``column`` (mean ± std over runs); – for runs off NB201."""
    s = (g.get("largest_visited") or {}).get(column)
    return _stat(s, st) if s else Entry(st.dash)


COMMON_NOTES = [
    "NB201 ground-truth accuracy (%), mean ± sample std over seeds (ddof=1; – when n = 1). C10 test is the "
    "NB201 v1_0 column (`cifar10_test_v10`), the release the E²NAS authors used.",
    "Supernet τ: Kendall τ between the final supernet's inherited-weight accuracy and NB201 C10 valid over the "
    "run's ranking sample (results.json `ranking`, as `e2nas rank`), mean ± std over runs; ⚠ marks τ ≤ 0 (the "
    "supernet ranks cells backwards: the comparison is not evidence). Params τ: the parameter count's τ on the same "
    "cells (the yardstick a supernet has to beat; – for runs made before results.json recorded it).",
    "Search time: wall-clock seconds of a search, without the time of epoch monitors.",
]
TABLE2_PUBLISHED = (
    " The published rows are Table 1 results (E²NAS: γ = Sig_10, ε = 0.5); no Table 2 numbers are published here."
)
PUBLISHED_NOTE = (
    "† published numbers (docs/reference/published.md) for the full paper protocol (C=16, N=5, CIFAR-10, 250 epochs)."
)


@LAYOUTS.register("table1")
def table1(groups: list[dict[str, Any]], published: bool, st: Style) -> Table:
    """Every method's final cell, in the paper's method order."""
    cols = ["cifar10_valid", "cifar10_test_v10", "cifar100_test", "imagenet16_test"]
    order = list(DISPLAY)

    def key(g: dict[str, Any]) -> tuple:
        return (order.index(g["method"]) if g["method"] in order else len(order), str(option(g, "variant")), g["label"])

    rows = []
    for g in sorted(groups, key=key):
        rows.append(
            [Entry(_label(g, method_name(g), epochs=False) + _unusual_eps(g)), Entry(str(g["n"]), g["n"])]
            + [Entry(str(g["epochs"]), g["epochs"])]
            + [_stat(g["final"][c], st) for c in cols]
            + [_largest(g, st, c) for c in cols]
            + [_tau(g, st), _params_tau(g, st), _time(g, st)]
        )
    names = [PUBLISHED_FOR[m] for m in DISPLAY if m in PUBLISHED_FOR and any(g["method"] == m for g in groups)]
    header = [
        "Method",
        "n",
        "epochs",
        *(COLUMN_TITLES[c] for c in cols),
        *(f"largest visited: {COLUMN_TITLES[c]}" for c in cols),
        "supernet τ",
        "params τ",
        "search time (s)",
    ]
    notes = [*COMMON_NOTES, "epochs: search epochs (DARTS: 1/5 of the others', as the paper's 50 vs 250)."]
    blank: list[str | None] = [None] * 7
    ref, yard_notes = _reference(groups, cols + blank, cols + blank, names, published, st, 2)
    return Table(
        "table1",
        "Table 1: final architecture on NB201",
        header,
        rows,
        ref,
        notes + yard_notes + ([PUBLISHED_NOTE] if published else []),
    )


@LAYOUTS.register("table2")
def table2(groups: list[dict[str, Any]], published: bool, st: Style) -> Table:
    """E²NAS per γ (γ = 0, ε = 0 beside GDAS-A first, then the static γ, then the Sig_k schedules) and GDAS."""

    def block(g: dict[str, Any]) -> tuple:
        if g["method"] == "gdas-a":
            return (0, 0, 0.0, g["label"])
        if g["method"] == "e2nas" and not g["epsilon"]:
            return (0, 1, *_gamma_order(option(g, "gamma")), g["label"])
        if g["method"] == "gdas":
            return (1, 0, 0.0, g["label"])
        if g["method"] == "e2nas":
            kind, value = _gamma_order(option(g, "gamma"))
            return (2 + kind, 1, value, g["label"])
        return (9, 0, 0.0, g["label"])

    rows = []
    for g in sorted(groups, key=block):
        gamma = option(g, "gamma") if g["method"] == "e2nas" else None
        rows.append(
            [
                Entry(_label(g, method_name(g), skip=("gamma",))),
                Entry(st.dash if gamma is None else str(gamma), gamma),
                Entry(f"{g['epsilon']:g}", g["epsilon"]),
                Entry(str(g["n"]), g["n"]),
                _stat(g["final"]["cifar10_test_v10"], st),
                _stat(g["best"]["cifar10_test_v10"], st),
                _largest(g, st, "cifar10_test_v10"),
                _stat(g["final"]["cifar100_test"], st),
                _stat(g["final"]["imagenet16_test"], st),
                _stat(g["best_epoch"], st, 1),
                _tau(g, st),
                _params_tau(g, st),
                _time(g, st),
            ]
        )
    header = [
        "Method",
        "γ",
        "ε",
        "n",
        "C10 test (final)",
        "C10 test (best)",
        "C10 test (largest visited)",
        "C100 test",
        "IN16 test",
        "best at epoch",
        "supernet τ",
        "params τ",
        "search time (s)",
    ]
    cols = ["cifar10_test_v10", None, None, "cifar100_test", "imagenet16_test", None, None, None, None]
    yard_cols = [
        "cifar10_test_v10",
        "cifar10_test_v10",
        None,
        "cifar100_test",
        "imagenet16_test",
        None,
        None,
        None,
        None,
    ]
    names = [PUBLISHED_FOR[m] for m in ("gdas", "e2nas") if any(g["method"] == m for g in groups)]
    ref, yard_notes = _reference(groups, cols, yard_cols, names, published, st, 3)
    notes = [
        *COMMON_NOTES,
        "best: the best cell seen during search by C10 valid (each epoch's cell and the final one), "
        "its C10 test; C100 and IN16 are the final cell's. γ: static weight or Sig_k schedule of the novelty "
        "term; ε: complementation weight (E²NAS γ = 0, ε = 0 is the paper's first-block comparison with GDAS-A).",
        "Yardstick rows carry the same value under C10 test (final) and (best): the random-k oracle is the "
        "yardstick of the best cell seen, the largest and the median cell of both.",
    ]
    return Table(
        "table2",
        "Table 2: E²NAS' novelty weight γ, final and best during search",
        header,
        rows,
        ref,
        notes + yard_notes + ([PUBLISHED_NOTE + TABLE2_PUBLISHED] if published else []),
    )


@LAYOUTS.register("fig1a")
def fig1a(groups: list[dict[str, Any]], published: bool, st: Style) -> Table:  # noqa: ARG001 - one signature
    """Final accuracy per method and ε: the numbers of Fig. 1(a)."""
    order = list(DISPLAY)

    def key(g: dict[str, Any]) -> tuple:
        return (order.index(g["method"]) if g["method"] in order else len(order), g["label"], g["epsilon"])

    rows = [
        [
            Entry(_label(g, method_name(g))),
            Entry(f"{g['epsilon']:g}", g["epsilon"]),
            Entry(str(g["n"]), g["n"]),
            _stat(g["final"]["cifar10_valid"], st),
            _stat(g["final"]["cifar10_test_v10"], st),
            _largest(g, st, "cifar10_valid"),
            _largest(g, st, "cifar10_test_v10"),
            _tau(g, st),
            _params_tau(g, st),
            _time(g, st),
        ]
        for g in sorted(groups, key=key)
    ]
    header = [
        "Method",
        "ε",
        "n",
        "C10 valid",
        "C10 test (v1_0)",
        "largest visited: C10 valid",
        "largest visited: C10 test (v1_0)",
        "supernet τ",
        "params τ",
        "search time (s)",
    ]
    cols = ["cifar10_valid", "cifar10_test_v10", None, None, None, None, None]
    ref, yard_notes = _reference(groups, cols, cols, [], False, st, 2)
    return Table(
        "fig1a",
        "Fig. 1(a): final accuracy against the complementation weight ε",
        header,
        rows,
        ref,
        [
            *COMMON_NOTES,
            *yard_notes,
            "Figure: fig1a_epsilon.png (mean ± std over seeds per method and ε; right: supernet τ).",
        ],
    )


@LAYOUTS.register("fig1b")
def fig1b(groups: list[dict[str, Any]], published: bool, st: Style) -> Table:  # noqa: ARG001 - one signature
    """Forgetting of the first visited cells per method and ε (forgetting monitor): the numbers of Fig. 1(b)."""
    rows = []
    for g in sorted(groups, key=lambda g: (g["method"], g["label"], g["epsilon"])):
        f = g.get("forgetting") or {}
        rows.append(
            [
                Entry(_label(g, method_name(g))),
                Entry(f"{g['epsilon']:g}", g["epsilon"]),
                Entry(str(g["n"]), g["n"]),
                _stat(f.get("cells", stats([])), st, 1),
                _stat(f.get("first", stats([])), st),
                _stat(f.get("last", stats([])), st),
                _stat(f.get("change", stats([])), st),
                _tau(g, st),
                _params_tau(g, st),
                _time(g, st),
            ]
        )
    header = [
        "Method",
        "ε",
        "n",
        "tracked cells",
        "acc. at first visit",
        "acc. at the end",
        "change (pp)",
        "supernet τ",
        "params τ",
        "search time (s)",
    ]
    notes = [
        "Inherited-weight valid accuracy (%) of the first distinct cells each search visited (forgetting monitor), "
        "at the epoch each was first seen and at the last evaluation; change = end − first visit, mean over "
        "the tracked cells, then mean ± std over seeds. Less negative = less forgetting (ε > 0: with L_c).",
        *COMMON_NOTES[1:],
        "Figure: fig1b_forgetting.png (left: tracked cells' accuracy over training; right: change since first visit).",
        "No yardstick rows (largest cell, median cell, random-k oracle): this table's columns are inherited-weight "
        "accuracies of the supernet, which no cell outside a search has.",
    ]
    return Table("fig1b", "Fig. 1(b): multi-model forgetting with and without L_c", header, rows, [], notes)


def _label(g: dict[str, Any], name: str, skip: tuple[str, ...] = ("variant",), epochs: bool = True) -> str:
    """The paper name plus what else tells this group apart (changed options, preset, ...), from its label;
    ``skip``: options, and ``epochs=False``: the epochs, that the layout shows in columns of their own."""
    label = g["label"]
    extra = label[label.index("(") + 1 : -1].split(", ") if label.endswith(")") and "(" in label else []
    extra = [e for e in extra if not e.startswith(tuple(f"{k}=" for k in skip)) and not e.startswith("ε=")]
    extra = [e for e in extra if epochs or e != f"{g['epochs']} ep"]
    return name + (f" [{', '.join(extra)}]" if extra else "")


def _unusual_eps(g: dict[str, Any]) -> str:
    """' (ε=x)' where a group's ε is not its method's default (Table 1 has no ε column), else ''."""
    from e2nas.searchers import SearcherError, get_searcher_class

    try:
        default = get_searcher_class(g["method"]).default_epsilon
    except SearcherError:
        default = 0.0
    return "" if g["epsilon"] == default else f" (ε={g['epsilon']:g})"


def forgetting_stats(group: Group) -> dict[str, Any] | None:
    """Per run: tracked cells, their mean accuracy at first visit and at the end, and the mean change;
    stats over runs. None if no run logged the forgetting monitor."""
    per_run = []
    for run in group.runs:
        first: dict[int, float] = {}
        last: dict[int, float] = {}
        for r in run.log:
            for c, a in zip(r.get("forget_cells") or [], r.get("forget_acc") or [], strict=False):
                first.setdefault(c, a)
                last[c] = a
        if first:
            cells = list(first)
            per_run.append(
                (
                    len(cells),
                    sum(first[c] for c in cells) / len(cells),
                    sum(last[c] for c in cells) / len(cells),
                    sum(last[c] - first[c] for c in cells) / len(cells),
                )
            )
    if not per_run:
        return None
    cols = list(zip(*per_run, strict=True))
    return {k: stats(list(v)) for k, v in zip(("cells", "first", "last", "change"), cols, strict=True)}


def build_layout(name: str, dirs: list[str | Path], published: bool = False, per_dir: bool = False) -> dict[str, Any]:
    """The runs under ``dirs`` grouped as the report does, plus the layout's table (JSON-ready, both styles)."""
    LAYOUTS.get(name)  # an unknown name: ReportError naming the layouts
    runs, warnings = find_runs(dirs, with_logs=True)
    if not runs:
        raise ReportError(f"no runs (results.json) found under {', '.join(str(d) for d in dirs)}")
    groups = group_runs(runs, per_dir)
    summaries = []
    for g in groups:
        s = g.summary()
        s["forgetting"] = forgetting_stats(g)
        summaries.append(s)
    return {
        "layout": name,
        "dirs": [str(d) for d in dirs],
        "published": published,
        "groups": summaries,
        "warnings": warnings + duplicate_seeds(groups),
        "code": code_note(runs),
    }


def render_layout(data: dict[str, Any], fmt: str = "markdown") -> str:
    """``data`` from :func:`build_layout` as Markdown, LaTeX (booktabs) or JSON."""
    layout = LAYOUTS.get(data["layout"])

    def build(groups: list[dict[str, Any]], published: bool, style: Style) -> Table:
        t = layout(groups, published, style)
        if data.get("code"):
            t.notes = [*t.notes, data["code"]]
        return t

    if fmt == "json":
        table = build(data["groups"], data["published"], MARKDOWN)
        return json.dumps({**data, "table": table.to_dict()}, indent=2) + "\n"
    if fmt == "latex":
        return to_latex(build(data["groups"], data["published"], LATEX), data["warnings"])
    if fmt == "markdown":
        return to_markdown(build(data["groups"], data["published"], MARKDOWN), data["warnings"])
    raise ReportError(f"unknown format {fmt!r}; choose one of markdown, json, latex")
