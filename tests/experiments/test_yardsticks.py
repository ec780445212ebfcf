"""Yardsticks (largest cell, median cell, random-k oracle, largest visited cell) against the shipped NB201 table,
and the rows every report layout carries."""

import json
import statistics
from types import SimpleNamespace

import numpy as np
import pytest

from e2nas.experiments import yardsticks as ys
from e2nas.experiments.paper.layouts import build_layout, render_layout
from e2nas.experiments.report import build_report, render
from e2nas.spaces.nb201 import PAPER_COLUMNS

from .test_report import write_run


def _log(d, rows):
    (d / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_largest_and_median_cell_are_the_tables(gt):
    params = gt.table.column("params_M")
    big = ys.largest_cell(gt)
    assert big == int(np.argmax(params)) == 1462  # all six edges nor_conv_3x3, the only cell with 1.53 M
    assert gt.table.arch_str[big].count("nor_conv_3x3") == 6 and np.sum(params == params[big]) == 1
    assert gt.value(big, "cifar10_valid") == pytest.approx(90.20, abs=0.005)
    assert gt.value(big, "cifar10_test_v10") == pytest.approx(93.76, abs=0.005)
    med = ys.median_cell(PAPER_COLUMNS, gt)
    for c in PAPER_COLUMNS:
        assert med[c] == statistics.median(gt.table.column(c).tolist())


def test_oracle_probabilities_by_hand_with_ties():
    fake = SimpleNamespace(table=SimpleNamespace(column=lambda name: np.array([1.0, 2.0, 2.0])))
    # two draws from {a, b, b'}: the max is a only if both are a (1/9); b and b' share the rest
    assert ys.oracle_probabilities(2, gt=fake) == pytest.approx([1 / 9, 4 / 9, 4 / 9])
    assert ys.oracle_probabilities(1, gt=fake) == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError):
        ys.oracle_probabilities(0, gt=fake)


def test_random_oracle_exact_against_one_draw_and_monte_carlo(gt):
    one = ys.expected_random_oracle(1, PAPER_COLUMNS, gt=gt)
    for c in PAPER_COLUMNS:  # one random cell picked by an oracle is a random cell
        col = gt.table.column(c)
        assert one[c]["mean"] == pytest.approx(col.mean()) and one[c]["std"] == pytest.approx(col.std())
    exact = ys.expected_random_oracle(8, ["cifar10_test_v10"], gt=gt)["cifar10_test_v10"]
    mc = ys.sample_random_oracle([8], "cifar10_test_v10", draws=100_000, seed=1)
    assert exact["mean"] == pytest.approx(mc.mean(), abs=0.05) and exact["std"] == pytest.approx(mc.std(), rel=0.05)
    assert ys.expected_random_oracle(64, ["cifar10_valid"], gt=gt)["cifar10_valid"]["mean"] > 90.0


def test_visited_cells_from_every_logged_field_and_the_params_pick(gt):
    log = [
        {"epoch": 1, "cell_index": 5, "cell": gt.table.arch_str[5], "archive": [7, gt.table.arch_str[9], "junk"]},
        {"epoch": 2, "cell_index": 11, "step_cell": gt.table.arch_str[13], "decoded_cell": None, "z": [0.1]},
        {"epoch": 3, "cell": "|not_an_op~0|+|none~0|none~1|+|none~0|none~1|none~2|", "archive": [99999, -1]},
    ]
    results = {"final": {"index": 20}, "best": {"index": 1462}}
    assert ys.visited_cells(log, results) == {5, 7, 9, 11, 13, 20, 1462}
    assert ys.seen_cells(log, results) == {5, 11, 20}  # what "best seen" picks from: epoch cells and the final
    assert ys.largest_visited({5, 7, 1462}, gt) == 1462
    params = gt.table.column("params_M")
    tied = sorted(np.flatnonzero(params == params[6]).tolist())[:3]
    assert ys.largest_visited(tied[::-1], gt) == tied[0]  # same op counts, same parameters: lowest index
    assert ys.largest_visited([], gt) is None


def _tree(tmp_path, gt):
    """Two GDAS seeds that visited known cells, one RandomNAS run."""
    a = write_run(tmp_path, "gdas_s0", gt, "gdas", 0, 6111)
    _log(a, [{"epoch": 1, "cell_index": 1}, {"epoch": 2, "cell_index": 2581}])
    b = write_run(tmp_path, "gdas_s1", gt, "gdas", 1, 1)
    _log(b, [{"epoch": 1, "cell_index": 1}, {"epoch": 2, "archive": [1462, 3]}])
    r = write_run(tmp_path, "random_s0", gt, "random", 0, 1835)
    _log(r, [{"epoch": 1, "cell_index": 7}, {"epoch": 2, "cell_index": 8}])
    params = gt.table.column("params_M")
    pick = [max((6111, 1, 2581), key=lambda i: (params[i], -i)), 1462]
    return pick


def test_report_yardstick_rows_and_largest_visited_equal_the_table(tmp_path, gt):
    pick = _tree(tmp_path, gt)
    rep = build_report([tmp_path])
    by = {g["label"]: g for g in rep["groups"]}
    g = by["gdas"]
    assert g["largest_visited_index"] == pick and g["cells_visited"]["values"] == [
        3.0,
        3.0,
    ]  # {6111, 1, 2581}; {1, 1462, 3}
    for c in PAPER_COLUMNS:
        vals = [gt.value(i, c) for i in pick]
        assert g["largest_visited"][c]["mean"] == pytest.approx(statistics.fmean(vals))
        assert g["largest_visited"][c]["std"] == pytest.approx(statistics.stdev(vals))
    params = gt.table.column("params_M")
    assert by["random"]["largest_visited_index"] == [max((7, 8, 1835), key=lambda i: (params[i], -i))]

    y = rep["yardsticks"]
    assert y["k"] == 3  # distinct epoch cells and final per run: {1, 2581, 6111}, {1}, {7, 8, 1835}: median 3
    rows = {r["name"]: r for r in y["rows"]}
    big = int(np.argmax(gt.table.column("params_M")))
    for c in PAPER_COLUMNS:
        col = gt.table.column(c)
        assert rows["largest_cell"]["values"][c] == col[big]
        assert rows["median_cell"]["values"][c] == float(np.median(col))
        assert rows["random_oracle"]["values"][c] == pytest.approx(float(ys.oracle_probabilities(y["k"], gt=gt) @ col))
    md = render(rep, "markdown")
    line = next(x for x in md.splitlines() if x.startswith("| largest cell"))
    assert line.split(" | ")[2:6] == [f"{gt.value(big, c):.2f}" for c in PAPER_COLUMNS]
    assert "## Largest visited cell" in md and "counting parameters" in md
    assert "largest cell" in render(rep, "latex")


def test_layouts_carry_the_rows_on_their_own_columns(tmp_path, gt):
    _tree(tmp_path, gt)
    big = int(np.argmax(gt.table.column("params_M")))
    for layout, cols in (
        ("table1", {"C10 valid": "cifar10_valid", "IN16 test": "imagenet16_test"}),
        ("table2", {"C10 test (final)": "cifar10_test_v10", "C100 test": "cifar100_test"}),
        ("fig1a", {"C10 valid": "cifar10_valid", "C10 test (v1_0)": "cifar10_test_v10"}),
    ):
        data = json.loads(render_layout(build_layout(layout, [tmp_path]), "json"))
        ref = {r["Method"]: r for r in data["table"]["reference"]}
        largest = next(r for name, r in ref.items() if name.startswith("largest cell"))
        median = next(r for name, r in ref.items() if name.startswith("median cell"))
        assert any(name.startswith("random-k oracle") for name in ref)
        for header, c in cols.items():
            assert largest[header] == gt.value(big, c)
            assert median[header] == float(np.median(gt.table.column(c)))
        assert any("counting parameters" in n for n in data["table"]["notes"])
        assert "largest cell" in render_layout(build_layout(layout, [tmp_path]), "latex")
    t1 = json.loads(render_layout(build_layout("table1", [tmp_path]), "json"))["table"]
    gdas = next(r for r in t1["rows"] if r["Method"] == "GDAS")
    assert gdas["largest visited: C10 valid"]["n"] == 2
    fig1b = render_layout(build_layout("fig1b", [tmp_path]))
    assert "largest cell (#" not in fig1b and "No yardstick rows" in fig1b


def test_no_yardsticks_off_nb201(tmp_path, gt):
    d = write_run(tmp_path, "x", gt, "gdas", 0, 5)
    res = json.loads((d / "results.json").read_text())
    res["space"] = "darts"  # as if another space had a ground-truth table
    (d / "results.json").write_text(json.dumps(res))
    rep = build_report([tmp_path])
    assert rep["yardsticks"]["rows"] == [] and "darts" in rep["yardsticks"]["note"]
    md = render(rep, "markdown")
    assert "largest cell (#" not in md and "No yardstick rows" in md and "## Largest visited" not in md
    t1 = render_layout(build_layout("table1", [tmp_path]))
    assert "largest cell (#" not in t1 and "No yardstick rows" in t1
