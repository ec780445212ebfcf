"""e2nas.experiments.paper.readme_blocks (scripts/readme_tables.py is its command line): the Table 1 of README
and of the cpu analysis is what the committed run records give, not a hand copy."""

import shutil
from pathlib import Path

import pytest

from e2nas.experiments.paper import readme_blocks as rb

ROOT = Path(__file__).parents[2]


def test_readme_and_analysis_table1_match_the_committed_records():
    for name, preset, columns in rb.TARGETS:
        text = (ROOT / name).read_text()
        block = rb.table1(rb.runs_dir(ROOT, preset), columns, preset)
        assert block in text, f"{name}'s {preset} Table 1 is out of date: run python scripts/readme_tables.py"
        assert rb.update(text, block, preset) == text
    lines = rb.table1(rb.runs_dir(ROOT)).splitlines()
    assert any(x.startswith("| largest cell (#1462") for x in lines) and any(
        x.startswith("| median cell") for x in lines
    )
    assert "largest visited: C10 valid" in lines[1]


def test_update_replaces_only_the_block_and_needs_the_markers():
    text = f"intro\n{rb.BEGIN}\nold table\n{rb.END}\noutro\n"
    assert rb.update(text, f"{rb.BEGIN}\nnew\n{rb.END}") == f"intro\n{rb.BEGIN}\nnew\n{rb.END}\noutro\n"
    with pytest.raises(SystemExit):
        rb.update("no markers", "x")


def test_check_names_a_stale_block_and_a_rewrite_restores_the_committed_file(tmp_path, capsys):
    # a checkout elsewhere: the committed records, and the target files with one block gone stale
    (tmp_path / "results").symlink_to(ROOT / "results")
    for name in {t[0] for t in rb.TARGETS}:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, tmp_path / name)
    analysis = tmp_path / "docs/results/cpu/analysis.md"
    committed = analysis.read_text()
    analysis.write_text(rb.update(committed, f"{rb.BEGIN}\nhand edit\n{rb.END}"))
    with pytest.raises(SystemExit) as exit_:
        rb.main(["--check"], root=tmp_path)
    assert exit_.value.code == 1
    assert "docs/results/cpu/analysis.md (cpu)" in capsys.readouterr().out
    assert "hand edit" in analysis.read_text()  # --check writes nothing
    rb.main(["--root", str(tmp_path)])
    assert analysis.read_text() == committed
    assert (tmp_path / "README.md").read_bytes() == (ROOT / "README.md").read_bytes()


def test_readme_budget_table_matches_the_committed_budget_records():
    for name, preset in rb.BUDGET_TARGETS:
        runs = ROOT / "results" / preset / "runs" / "budget"
        assert runs.is_dir(), f"{runs}: the budget study's records are not committed"
        block = rb.budget_block(runs, preset)
        assert block in (ROOT / name).read_text(), f"{name}'s budget table is out of date: run scripts/readme_tables.py"
        rows = [line for line in block.splitlines() if " M FLOPs | " in line]
        budgets = {line.split(" | ")[0].lstrip("| ") for line in rows}
        assert budgets == {"25 M FLOPs", "50 M FLOPs", "100 M FLOPs"}
        assert {line.split(" | ")[1] for line in rows} == {"random", "gdas", "e2nas"}
