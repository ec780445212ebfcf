import pytest

from e2nas.spaces.nb201 import Cell, GroundTruth


def test_paper_seed0_cell(gt):
    s = gt.summary(2581)
    assert s["cifar10_test_v10"] == pytest.approx(94.219, abs=1e-3)
    assert s["cifar100_test"] == pytest.approx(73.166, abs=1e-3)
    assert s["imagenet16_test"] == pytest.approx(46.477, abs=1e-3)


def test_known_rows_from_data_readme(gt):
    q0 = gt.query(0)
    assert q0["cifar10_valid_acc"] == pytest.approx(81.98267, abs=1e-5)
    assert q0["cifar10_test_acc"] == pytest.approx(85.86333, abs=1e-5)
    assert q0["cifar100_test_acc"] == pytest.approx(52.91333, abs=1e-5)
    assert q0["imagenet16_test_acc"] == pytest.approx(26.63333, abs=1e-5)
    skip = gt.summary(Cell.from_ops(["skip_connect"] * 6))
    assert (round(skip["cifar10_valid"], 2), round(skip["cifar10_test_v10"], 2)) == (39.77, 54.30)


def test_best_and_rank(gt):
    cell, v = gt.best("cifar10_valid")
    assert cell.index == 6111 and v == pytest.approx(91.60667, abs=1e-5)
    assert gt.best("cifar100_test")[0].index == 9930
    assert gt.best("imagenet16_test")[0].index == 857
    assert round(gt.best("cifar10_test")[1], 2) == 94.37
    assert gt.rank(6111) == 1
    assert gt.percentile(6111) == pytest.approx(100 * 15624 / 15625)
    worst = int(gt.table.column("cifar10_valid").argmin())
    assert gt.rank(worst) > 15000 and gt.percentile(worst) == 0.0


def test_lookup_by_every_form_agrees(gt):
    c = Cell.from_index(1234)
    assert gt.query(1234) == gt.query(c) == gt.query(c.to_string())


def test_unknown_metric_lists_known(gt):
    with pytest.raises(KeyError, match="cifar10_valid"):
        gt.value(0, "cifar11_valid")


def test_query_returns_every_column(gt):
    q = gt.query(7)
    assert len(q) == 22 and q["index"] == 7 and q["arch_str"] == Cell.from_index(7).to_string()


def test_missing_table_file_is_clear(tmp_path):
    from e2nas.spaces.nb201 import load_table

    with pytest.raises(FileNotFoundError, match="ground-truth table not found"):
        load_table(tmp_path / "nope.csv.gz")


def test_instances_share_one_load():
    assert GroundTruth().table is GroundTruth().table
