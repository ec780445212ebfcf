"""The paper layouts on hand-written run directories (results.json as the engine writes it, NB201 ground truth of
real cells): row order, labels, published rows, τ, and the forgetting numbers computed by hand."""

import json

import pytest

from e2nas.experiments.paper.layouts import build_layout, render_layout


def write_run(root, name, gt, method, seed, final, epsilon=0.0, options=None, tau=None, log=()):
    d = root / name
    d.mkdir(parents=True)
    res = {
        "method": method,
        "preset": "cpu",
        "seed": seed,
        "epsilon": epsilon,
        "final": {"index": final, "ground_truth": gt.summary(final)},
        "best": {"index": final, "epoch": 2, "ground_truth": gt.summary(final)},
        "epochs": 10,
        "wall_time_s": 50.0 + seed,
        "config": {"method": method, "preset": "cpu", "dataset": "embedded16", "epochs": 10, "epsilon": epsilon},
        "searcher_options": options or {},
    }
    if tau is not None:
        res["ranking"] = {"kendall_tau": tau}
    (d / "results.json").write_text(json.dumps(res))
    (d / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))


def rows(md):
    return [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines() if line.startswith("| ")][1:]


def test_table1_paper_order_names_tau_and_unusual_eps(tmp_path, gt):
    write_run(tmp_path, "e", gt, "e2nas", 0, 6111, 0.5, {"variant": "reference"}, tau=0.4)
    write_run(tmp_path, "g0", gt, "gdas", 0, 1, tau=0.2)
    write_run(tmp_path, "g1", gt, "gdas", 1, 2581, tau=0.3)
    write_run(tmp_path, "g2", gt, "gdas", 2, 2581, 0.5, tau=-0.1)
    write_run(tmp_path, "r", gt, "random", 0, 1835)
    md = render_layout(build_layout("table1", [tmp_path], published=True))
    table = rows(md)
    assert [r[0] for r in table[:4]] == ["RandomNAS", "GDAS", "GDAS (ε=0.5)", "E²NAS (reference)"]
    by = {r[0]: r for r in table}
    v = [gt.summary(c)["cifar10_valid"] for c in (1, 2581)]
    assert by["GDAS"][1] == "2" and by["GDAS"][3] == f"{sum(v) / 2:.2f} ± {abs(v[0] - v[1]) / 2**0.5:.2f}"
    assert by["GDAS"][11] == "+0.25 ± 0.07" and by["GDAS (ε=0.5)"][11] == "-0.10 ± – ⚠" and by["RandomNAS"][11] == "n/a"
    assert by["GDAS"][12] == "n/a"  # params τ: these runs have no ranked cells on disk
    assert by["GDAS"][13] == "50 ± 1"
    assert by["RSPS (NB201 paper) †"][3:7] == ["80.42", "84.07", "52.31", "26.28"]
    assert "E²NAS (E²NAS paper) †" in by and "NB201 optimum" in by
    assert "DARTS-V1 (NB201 paper) †" not in by  # published rows only for the methods present


def test_table2_blocks_and_gamma_order(tmp_path, gt):
    for g in ("sig:10", "0.5", "sig:2", "0"):
        write_run(tmp_path, f"e{g}", gt, "e2nas", 0, 6111, 0.5, {"gamma": g})
    write_run(tmp_path, "e00", gt, "e2nas", 0, 1, 0.0, {"gamma": "0"})
    write_run(tmp_path, "ga", gt, "gdas-a", 0, 2)
    write_run(tmp_path, "g", gt, "gdas", 0, 3)
    table = rows(render_layout(build_layout("table2", [tmp_path])))
    assert [(r[0], r[1], r[2]) for r in table[:7]] == [
        ("GDAS-A", "–", "0"),
        ("E²NAS (paper)", "0", "0"),
        ("GDAS", "–", "0"),
        ("E²NAS (paper)", "0", "0.5"),
        ("E²NAS (paper)", "0.5", "0.5"),
        ("E²NAS (paper)", "sig:2", "0.5"),
        ("E²NAS (paper)", "sig:10", "0.5"),
    ]
    assert table[1][4] == f"{gt.summary(1)['cifar10_test_v10']:.2f} ± –"
    data = json.loads(render_layout(build_layout("table2", [tmp_path]), "json"))
    assert data["table"]["header"][4:6] == ["C10 test (final)", "C10 test (best)"]


def test_fig1b_forgetting_numbers_by_hand(tmp_path, gt):
    log = [
        {"epoch": 1, "cell_index": 5, "forget_cells": [5], "forget_acc": [40.0]},
        {"epoch": 2, "cell_index": 9, "forget_cells": [5, 9], "forget_acc": [35.0, 50.0]},
        {"epoch": 3, "cell_index": 9, "forget_cells": [5, 9], "forget_acc": [30.0, 46.0]},
    ]
    write_run(tmp_path, "r0", gt, "random", 0, 6111, log=log)
    write_run(
        tmp_path, "r1", gt, "random", 1, 6111, log=[{**r, "forget_acc": [a + 2 for a in r["forget_acc"]]} for r in log]
    )
    g = build_layout("fig1b", [tmp_path])["groups"][0]["forgetting"]
    # tracked 2 cells; first visits 40 and 50, ends 30 and 46: change (−10 − 4) / 2 = −7 in both runs
    assert g["cells"]["mean"] == 2 and g["first"]["mean"] == pytest.approx(46.0)
    assert g["change"]["values"] == [pytest.approx(-7.0), pytest.approx(-7.0)]
    assert rows(render_layout(build_layout("fig1b", [tmp_path])))[0][6] == "-7.00 ± 0.00"


def test_fig1b_figure_names_its_lines_as_the_table_does(tmp_path, gt, monkeypatch):
    import e2nas.experiments.plots as plots
    from e2nas.experiments.paper.figures import plot_fig1b
    from e2nas.experiments.report import find_runs, group_runs

    log = [{"epoch": 1, "cell_index": 5, "forget_cells": [5], "forget_acc": [40.0]}]
    write_run(tmp_path, "g", gt, "gdas", 0, 6111, 0.5, log=log)
    write_run(tmp_path, "e", gt, "e2nas", 0, 6111, 0.0, {"variant": "paper"}, log=log)
    seen = []
    monkeypatch.setattr(plots, "plot_forgetting", lambda groups, path: seen.extend(g.label for g in groups))
    plot_fig1b(group_runs(find_runs([tmp_path])[0]), tmp_path / "f.png")
    assert sorted(seen) == ["E²NAS (paper), ε = 0", "GDAS, ε = 0.5"]
