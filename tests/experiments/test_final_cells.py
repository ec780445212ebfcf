"""e2nas.experiments.final_cells (scripts/final_cell_ops.py is its command line): the final-cell counts the cpu
analysis quotes are what the committed run records give."""

from pathlib import Path

from e2nas.experiments.final_cells import cell_ops, final_cells, main

RUNS = Path(__file__).parents[2] / "results" / "cpu" / "runs"


def test_cell_ops_reads_the_six_edges_in_string_order():
    cell = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"
    assert cell_ops(cell) == ["nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "none", "nor_conv_1x1"]


def test_table1_final_cells_are_as_the_analysis_says(capsys):
    rows = final_cells([RUNS / "table1"])
    assert {(t.none, t.conv) for t in rows["e2nas (paper)"]} == {(3, 1)}
    assert {t.none for t in rows["random"]} <= {0, 1} and {t.conv for t in rows["random"]} <= {2, 3, 4}
    assert [t.seed for t in rows["random"]] == [0, 1, 2]
    main([str(RUNS / "table1"), "--markdown"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| method | runs |") and len(lines) == 2 + len(rows)
    assert "| e2nas (paper) | 3 | 3, 3, 3 | 1, 1, 1 | 87.13, 86.95, 71.77 |" in lines


def test_table2_and_fig1a_e2nas_cells_are_sparse_as_the_analysis_counts():
    paper = final_cells([RUNS / "table2", RUNS / "fig1a"])["e2nas (paper)"]  # a reused run counts in both
    assert len(paper) == 35
    assert sum(t.none in (2, 3) for t in paper) == 29 and sum(t.conv <= 1 for t in paper) == 13
