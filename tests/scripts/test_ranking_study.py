"""e2nas.experiments.ranking_study (scripts/ranking_report.py is its command line): the committed τ-vs-budget
report is what the committed run records give, found through the reports' run-record reader."""

import json
from pathlib import Path

import pytest

from e2nas.experiments import ranking_study

ROOT = Path(__file__).parents[2]
RUNS = ROOT / "results" / "ranking" / "runs"
DOCS = ROOT / "docs" / "results" / "ranking"


@pytest.mark.skipif(not RUNS.is_dir(), reason="needs the committed run records")
def test_the_committed_study_table_is_what_the_records_give():
    runs = ranking_study.find_study_runs(RUNS, ROOT / "results" / "ranking" / "bn")
    assert runs and all(str(r["dir"]).startswith(str(RUNS)) for r in runs)
    rows = ranking_study.summarise(runs, ROOT / ranking_study.STEP_COST)
    assert ranking_study.table(rows) == (DOCS / "table.md").read_text().splitlines()
    committed = json.loads((DOCS / "study.json").read_text())["rows"]
    drop = "dirs"  # the records moved from docs/results/ranking/runs to results/ranking/runs since
    got = json.loads(json.dumps(rows, default=str))
    assert [{k: v for k, v in r.items() if k != drop} for r in got] == [
        {k: v for k, v in r.items() if k != drop} for r in committed
    ]


def test_a_missing_runs_folder_is_one_line(tmp_path):
    with pytest.raises(SystemExit, match="does not exist"):
        ranking_study.main([str(tmp_path / "nowhere"), str(tmp_path / "out")])
