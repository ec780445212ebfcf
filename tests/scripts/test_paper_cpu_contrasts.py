"""e2nas.experiments.contrasts (scripts/paper_cpu_contrasts.py is its command line): the numbers the analysis of the
paper experiments quotes, on the committed run records and on a hand-built tree whose differences, spreads and
p-values are known."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

from e2nas.experiments import contrasts

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "paper_cpu_contrasts.py"
RUNS = ROOT / "results" / "cpu" / "runs"


def _contrasts(root: Path) -> dict[str, dict]:
    return {r["contrast"]: r for r in contrasts.contrasts(root)}


def _run(root: Path, exp: str, method: str, seed: int, eps: float, final: float, best: float, log=(), **opts) -> None:
    d = root / exp / f"{method}-{'-'.join(map(str, opts.values()))}-{eps}-{seed}"
    d.mkdir(parents=True)
    gt = {"cifar10_valid": final, "cifar10_test_v10": final + 3}
    rec = {
        "method": method,
        "seed": seed,
        "epsilon": eps,
        "searcher_options": opts or None,
        "final": {"index": 7, "ground_truth": gt},
        "best": {"ground_truth": {"cifar10_valid": best, "cifar10_test_v10": best + 3}},
        "ranking": {"kendall_tau": 0.1 * seed},
    }
    (d / "results.json").write_text(json.dumps(rec))
    (d / "log.jsonl").write_text("".join(json.dumps({"epoch": e, "cell_index": c}) + "\n" for e, c in enumerate(log)))


def test_known_differences_spreads_and_pvalues(tmp_path):
    for s, (e2, rnd) in enumerate([(80.0, 89.0), (84.0, 90.0), (88.0, 91.0)]):
        _run(tmp_path, "table1", "e2nas", s, 0.5, e2, e2 + 5, variant="paper")
        _run(tmp_path, "table1", "random", s, 0.0, rnd, rnd)
    for s, (fin, best) in enumerate([(85.0, 90.0), (86.0, 93.0)]):
        _run(tmp_path, "table2", "e2nas", s, 0.5, fin, best, log=[3, 3, 9, 7], variant="paper", gamma="sig:10")
    _run(tmp_path, "table2", "e2nas", 0, 0.5, 70.0, 70.0, log=[7, 7], variant="paper", gamma="sig:1")
    (tmp_path / "fig1a").mkdir()
    got = _contrasts(tmp_path)

    t1 = got["T1: E²NAS paper − RandomNAS"]
    assert t1["a"]["values"] == [80.0, 84.0, 88.0] and t1["b"]["values"] == [89.0, 90.0, 91.0]
    assert t1["diff"] == pytest.approx(84.0 - 90.0) and t1["spread"] == pytest.approx(4.0)  # std of 80, 84, 88
    assert t1["p"] == pytest.approx(stats.ttest_ind([80, 84, 88], [89, 90, 91], equal_var=False).pvalue)
    assert t1["beyond_spread"] is True and not t1["paired"]
    assert t1["a"]["taus"] == pytest.approx([0.0, 0.1, 0.2])

    paired = got["T2: γ sig:10: best seen − final"]  # C10 test: +3 on both sides
    assert paired["paired"] and paired["a"]["seeds"] == paired["b"]["seeds"] == [0, 1]
    assert paired["diff"] == pytest.approx(6.0) and paired["spread"] == pytest.approx(math.sqrt(2))  # diffs 5, 7
    assert paired["p"] == pytest.approx(stats.ttest_rel([93, 96], [88, 89]).pvalue)

    one = got["T2: γ sig:1 − γ sig:10 (ε 0.5)"]  # one seed against two: a difference, but no spread and no star
    assert one["diff"] == pytest.approx(73.0 - 88.5) and math.isnan(one["spread"]) and one["beyond_spread"] is None
    missing = got["T2: γ 0.2 − γ sig:10 (ε 0.5)"]
    assert missing["a"]["values"] == [] and math.isnan(missing["diff"])

    orc = {o["gamma"]: o for o in contrasts.oracle(tmp_path, draws=4000)}
    assert sorted(orc) == ["sig:1", "sig:10"]  # γ without runs are left out
    assert orc["sig:10"]["cells_seen"] == [3, 3] and orc["sig:1"]["cells_seen"] == [1]  # epoch cells ∪ final (#7)
    assert orc["sig:10"]["best_seen"] == pytest.approx(94.5)  # C10 test of best: 93 and 96
    # one random cell with an oracle pick is just a random cell: the mean C10 test of the table
    from e2nas.spaces.nb201 import GroundTruth

    mean_cell = float(GroundTruth().table.column("cifar10_test_v10").mean())
    assert orc["sig:1"]["random_oracle"] == pytest.approx(mean_cell, abs=0.6)
    assert orc["sig:10"]["random_oracle"] > orc["sig:1"]["random_oracle"] + 3  # best of 3 beats one draw (92.0 vs 87.2)


@pytest.mark.slow
def test_the_committed_records_give_table_1s_numbers():
    got = _contrasts(RUNS)["T1: E²NAS paper − RandomNAS"]
    want = {}
    for f in sorted((RUNS / "table1").glob("*/results.json")):
        r = json.loads(f.read_text())
        if r["method"] == "random" or (r["method"] == "e2nas" and r["searcher_options"]["variant"] == "paper"):
            want.setdefault(r["method"], []).append(r["final"]["ground_truth"]["cifar10_valid"])
    assert got["a"]["seeds"] == [0, 1, 2] and got["a"]["values"] == want["e2nas"]
    assert got["b"]["values"] == want["random"]
    assert got["diff"] == pytest.approx(sum(want["e2nas"]) / 3 - sum(want["random"]) / 3)
    for flag in ("--markdown", "--json"):
        cli = subprocess.run([sys.executable, str(SCRIPT), str(RUNS), flag], capture_output=True, text=True)
        assert cli.returncode == 0, cli.stderr
    data = json.loads(cli.stdout)
    assert data["contrasts"][0]["contrast"] == "T1: E²NAS paper − RandomNAS"
    assert {o["gamma"] for o in data["oracle"]} >= {"sig:10"} and all(o["cells_seen"] for o in data["oracle"])
