"""The budget study's report on real budgeted smoke searches: one row per budget and method with the final
cells' ground truth, τ beside the parameter count's τ, the best and the largest NB201 cell under the budget from
the table; runs.csv and a real figure; no budgeted runs is one clear error."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from e2nas.engine import SearchEngine, make_config
from e2nas.experiments.budget_study import main, write_report
from e2nas.experiments.report import ReportError


@pytest.fixture(scope="module")
def budget_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("budget")
    for seed in (0, 1):
        cfg = make_config("smoke", "random", seed=seed, max_flops=25.0, rank_cells=6, rank_images=32)
        SearchEngine(cfg, root / f"random-s{seed}", progress=False).run()
    # the same run as if searched without a budget (results.json without "budget"): not a budget-study run
    shutil.copytree(root / "random-s1", root / "unbudgeted")
    res = json.loads((root / "unbudgeted" / "results.json").read_text())
    del res["budget"]
    (root / "unbudgeted" / "results.json").write_text(json.dumps(res))
    return root


def test_report_rows_hold_the_finals_and_the_budgeted_yardsticks(budget_runs, tmp_path, gt):
    runs = write_report([budget_runs], tmp_path)
    assert sorted(r.dir.name for r in runs) == ["random-s0", "random-s1"]  # the unbudgeted run is not one
    rows = [line.split(" | ") for line in (tmp_path / "report.md").read_text().splitlines() if "M FLOPs |" in line]
    assert len(rows) == 1 and rows[0][1:3] == ["random", "2"]
    flops, valid = gt.table.column("flops_M"), gt.table.column("cifar10_valid")
    ok = flops <= 25.0
    best, largest = (int(cell.split()[0].lstrip("#")) for cell in rows[0][-2:])
    assert valid[best] == valid[ok].max() and flops[largest] == flops[ok].max()  # ties: any of the equal cells
    assert rows[0][-1].split(": ")[1].startswith(f"{valid[largest]:.2f} /")
    tau, params_tau = rows[0][-4:-2]
    assert tau != "–" and params_tau != "–"  # both runs ranked their supernet: mean ± std of each
    with open(tmp_path / "runs.csv") as fh:
        table = list(csv.DictReader(fh))
    assert [int(r["seed"]) for r in table] == [0, 1]
    for r in table:
        assert float(r["final_flops_M"]) <= 25.0 and float(r["max_flops_M"]) == 25.0
        assert float(r["cifar10_valid"]) == pytest.approx(valid[int(r["final_index"])])
    with Image.open(tmp_path / "accuracy_vs_flops.png") as im:
        assert im.size[0] > 500 and len(np.unique(np.asarray(im.convert("L")))) > 10


def test_no_budgeted_runs_is_one_clear_error(budget_runs, tmp_path):
    with pytest.raises(ReportError, match="no budgeted runs"):
        write_report([budget_runs / "unbudgeted"], tmp_path)
    with pytest.raises(SystemExit, match="^error: .* does not exist"):
        main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
