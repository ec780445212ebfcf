"""The comparisons the analysis of the paper experiments rests on, computed from the committed run records:
for each named contrast, the per-seed values of both sides, the difference of means, the seed spread, a t-test's
p-value (n >= 2 per side; paired where both sides are the same runs) and each side's supernet τ. A difference
smaller than the seed spread is not a finding, whatever its sign.

    python scripts/paper_cpu_contrasts.py results/cpu/runs [--markdown] [--json]   (a thin entry to :func:`main`)

Values are NB201 ground truth (%) of the final cell: C10 valid for Table 1 and Fig. 1(a), C10 test (v1_0) for
Table 2, as in the paper's layouts; "best" rows use the best cell seen during the search.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from e2nas.experiments.report import markdown_table, read_log
from e2nas.experiments.yardsticks import sample_random_oracle, seen_cells

Run = dict[str, Any]
Pick = Callable[[Run], bool]
#: Table 2's γ settings (sweeps/paper/table2.yaml), sig:10 (the paper's) last
GAMMAS = ("0", "0.2", "0.5", "0.8", "sig:1", "sig:2", "sig:5", "sig:10")


def _runs(root: Path, experiment: str) -> list[Run]:
    out = []
    for f in sorted((root / experiment).glob("*/results.json")):
        r = json.loads(f.read_text())
        r["_dir"] = str(f.parent)
        out.append(r)
    return out


def _opt(r: Run, key: str, default: Any) -> Any:
    return (r.get("searcher_options") or {}).get(key, default)


def method(name: str, *, eps: float | None = None, gamma: str | None = None, variant: str | None = None) -> Pick:
    def pick(r: Run) -> bool:
        if r["method"] != name or (eps is not None and not math.isclose(r["epsilon"], eps)):
            return False
        if gamma is not None and str(_opt(r, "gamma", "sig:10")) != gamma:
            return False
        return variant is None or _opt(r, "variant", "paper") == variant

    return pick


@dataclass
class Side:
    label: str
    seeds: list[int]
    values: list[float]
    taus: list[float]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def std(self) -> float:
        return float(stats.tstd(self.values)) if len(self.values) > 1 else float("nan")


def side(runs: list[Run], pick: Pick, label: str, metric: str, best: bool = False) -> Side:
    chosen = sorted((r for r in runs if pick(r)), key=lambda r: r["seed"])
    values = [r["best" if best else "final"]["ground_truth"][metric] for r in chosen]
    taus = [r["ranking"]["kendall_tau"] for r in chosen if r.get("ranking")]
    return Side(label, [r["seed"] for r in chosen], values, taus)


def contrast(name: str, a: Side, b: Side, paired: bool = False) -> dict[str, Any]:
    """A − B. Unpaired: Welch's test, spread = the larger side's seed std (both sides need n >= 2). Paired (the
    same runs measured twice, as best-seen vs final): the per-seed differences' mean, std and paired t-test."""
    diff, spread, p = float("nan"), float("nan"), float("nan")
    if paired and a.seeds == b.seeds and a.values:
        d = [x - y for x, y in zip(a.values, b.values, strict=True)]
        diff = sum(d) / len(d)
        if len(d) > 1:
            spread = float(stats.tstd(d))
            if spread > 0:
                p = float(stats.ttest_rel(a.values, b.values).pvalue)
    elif a.values and b.values:
        diff = a.mean - b.mean
        if len(a.values) > 1 and len(b.values) > 1:
            spread = max(a.std, b.std)
            if a.std > 0 or b.std > 0:
                p = float(stats.ttest_ind(a.values, b.values, equal_var=False).pvalue)
    return {
        "contrast": name,
        "a": a.__dict__ | {"mean": a.mean if a.values else None},
        "b": b.__dict__ | {"mean": b.mean if b.values else None},
        "diff": diff,
        "spread": spread,
        "paired": paired,
        "p": p,
        "beyond_spread": bool(abs(diff) > spread) if not math.isnan(spread) else None,
    }


def contrasts(root: Path) -> list[dict[str, Any]]:
    t1, t2, f1a = _runs(root, "table1"), _runs(root, "table2"), _runs(root, "fig1a")
    v, t = "cifar10_valid", "cifar10_test_v10"
    e2 = method("e2nas", variant="paper")
    out = [
        contrast("T1: E²NAS paper − RandomNAS", side(t1, e2, "E²NAS", v), side(t1, method("random"), "RandomNAS", v)),
        contrast("T1: E²NAS paper − GDAS", side(t1, e2, "E²NAS", v), side(t1, method("gdas"), "GDAS", v)),
        contrast(
            "T1: E²NAS reference − paper",
            side(t1, method("e2nas", variant="reference"), "reference", v),
            side(t1, e2, "paper", v),
        ),
    ]
    sig10 = side(t2, method("e2nas", eps=0.5, gamma="sig:10"), "γ sig:10", t)
    for g in GAMMAS[:-1]:
        out.append(contrast(f"T2: γ {g} − γ sig:10 (ε 0.5)", side(t2, method("e2nas", eps=0.5, gamma=g), g, t), sig10))
    for g in GAMMAS:
        pick = method("e2nas", eps=0.5, gamma=g)
        best, final = side(t2, pick, "best", t, best=True), side(t2, pick, "final", t)
        out.append(contrast(f"T2: γ {g}: best seen − final", best, final, paired=True))
    out.append(
        contrast(
            "T2: D-VAE space: E²NAS γ 0 ε 0 − GDAS-A",
            side(t2, method("e2nas", eps=0.0, gamma="0"), "E²NAS γ0 ε0", t),
            side(t2, method("gdas-a"), "GDAS-A", t),
        )
    )
    out.append(
        contrast(
            "T2: L_c at γ 0: ε 0.5 − ε 0",
            side(t2, method("e2nas", eps=0.5, gamma="0"), "ε 0.5", t),
            side(t2, method("e2nas", eps=0.0, gamma="0"), "ε 0", t),
        )
    )
    for m, label in (("random", "RandomNAS"), ("gdas", "GDAS"), ("e2nas", "E²NAS")):
        base = side(f1a, method(m, eps=0.0), "ε 0", v)
        for e in (0.2, 0.5, 0.8):
            out.append(contrast(f"F1a: {label} ε {e} − ε 0", side(f1a, method(m, eps=e), f"ε {e}", v), base))
    return out


def cells_seen(r: Run) -> int:
    """Distinct cells a run's "best seen" picks from: every epoch's cell and the final one."""
    return len(seen_cells(read_log(Path(r["_dir"])), r))


def oracle(root: Path, draws: int = 20_000, seed: int = 0) -> list[dict[str, Any]]:
    """ "Best seen during search" is an oracle pick (by ground-truth C10 valid) among the cells a run visited. Its
    yardstick is the same pick among as many uniformly drawn NB201 cells: per Table 2 γ, the runs' mean best-seen
    C10 test against the mean (± std over ``draws``) of that random oracle for each run's number of cells
    (:func:`e2nas.experiments.yardsticks.sample_random_oracle`, which the reports' random-k oracle rows share)."""
    rng = np.random.default_rng(seed)
    out = []
    runs = _runs(root, "table2")
    for g in GAMMAS:
        chosen = [r for r in runs if method("e2nas", eps=0.5, gamma=g)(r)]
        if not chosen:
            continue
        ks = [cells_seen(r) for r in chosen]
        rand = sample_random_oracle(ks, "cifar10_test_v10", draws, rng)  # per draw: the mean over this γ's runs
        best = [r["best"]["ground_truth"]["cifar10_test_v10"] for r in chosen]
        out.append(
            {
                "gamma": g,
                "n": len(chosen),
                "cells_seen": ks,
                "best_seen": float(np.mean(best)),
                "random_oracle": float(rand.mean()),
                "random_oracle_std": float(rand.std()),
                "share_random_at_least": float(np.mean(rand >= np.mean(best))),
            }
        )
    return out


def _fmt(x: float, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:+.2f}" if sign else f"{x:.2f}"


def _vals(s: dict[str, Any]) -> str:
    return ", ".join(f"{x:.2f}" for x in s["values"]) or "–"


def _tau(s: dict[str, Any]) -> str:
    return f"{sum(s['taus']) / len(s['taus']):+.2f}" if s["taus"] else "–"


def main(argv: list[str] | None = None) -> None:
    """The command line of ``scripts/paper_cpu_contrasts.py``: print the contrasts (text, Markdown or JSON)."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("root", type=Path, help="the runs folder holding table1/, table2/, fig1a/")
    ap.add_argument("--markdown", action="store_true", help="a Markdown table")
    ap.add_argument("--json", action="store_true", help="the contrasts as JSON")
    a = ap.parse_args(argv)
    rows = contrasts(a.root)
    orc = oracle(a.root)
    if a.json:
        print(json.dumps({"contrasts": rows, "oracle": orc}, indent=1, ensure_ascii=False, allow_nan=True))
        return
    head = ["contrast", "A (per seed)", "B (per seed)", "A − B", "seed spread", "p", "τ A / B"]
    lines = []
    for r in rows:
        beyond = "" if not r["beyond_spread"] else " *"
        p = "–" if math.isnan(r["p"]) else f"{r['p']:.2f}" + (" (paired)" if r["paired"] else "")
        cells = [
            r["contrast"],
            _vals(r["a"]),
            _vals(r["b"]),
            _fmt(r["diff"], sign=True) + beyond,
            _fmt(r["spread"]),
            p,
            f"{_tau(r['a'])} / {_tau(r['b'])}",
        ]
        lines.append(cells)
    if not a.markdown:
        for cells in lines:
            print("  ".join(cells))
        return
    print("\n".join(markdown_table(head, lines, align="lllrrrl")))
    print()
    print(
        "\\* |A − B| exceeds the seed spread: the larger seed std of the two sides (both n >= 2), or for"
        " paired rows the std of the per-seed differences. p: Welch's t-test (paired: the paired t-test)."
        " NB201 ground truth (%); τ: mean supernet τ of each side's runs."
    )
    print()
    print("Best seen during search (Table 2, C10 test) against the same oracle pick among as many random cells:")
    print()
    head = ["γ", "n", "cells seen per run", "best seen", "random cells, oracle pick", "P(random ≥ best seen)"]
    seen = [
        [
            str(o["gamma"]),
            str(o["n"]),
            ", ".join(map(str, o["cells_seen"])),
            f"{o['best_seen']:.2f}",
            f"{o['random_oracle']:.2f} ± {o['random_oracle_std']:.2f}",
            f"{o['share_random_at_least']:.2f}",
        ]
        for o in orc
    ]
    print("\n".join(markdown_table(head, seen, align="lrlrrr")))
