import json
import math
import statistics

import pytest

from e2nas.experiments.report import PUBLISHED, ReportError, build_report, render, stats
from e2nas.spaces.nb201 import PAPER_COLUMNS


def write_run(root, name, gt, method, seed, final, best=None, epsilon=0.0, options=None, preset="cpu-small"):
    """A results.json as the engine writes it, for cells given by NB201 index."""
    d = root / name
    d.mkdir(parents=True)
    best = final if best is None else best
    res = {
        "method": method,
        "preset": preset,
        "seed": seed,
        "epsilon": epsilon,
        "final": {"cell": gt.table.arch_str[final], "index": final, "ground_truth": gt.summary(final)},
        "best": {"cell": gt.table.arch_str[best], "index": best, "epoch": 3, "ground_truth": gt.summary(best)},
        "epochs": 40,
        "wall_time_s": 100.0 + seed,
        "peak_memory_mb": 500.0 + 10 * seed,
        "peak_memory_kind": "peak_rss",
        "config": {"method": method, "preset": preset, "dataset": "embedded", "epochs": 40, "epsilon": epsilon},
        "searcher_options": options or {},
    }
    (d / "results.json").write_text(json.dumps(res))
    return d


def test_stats_sample_std_and_single_value():
    s = stats([1.0, 2.0, 4.0])
    assert s["mean"] == pytest.approx(7 / 3) and s["std"] == pytest.approx(statistics.stdev([1, 2, 4]))
    assert stats([5.0]) == {"mean": 5.0, "std": None, "n": 1, "values": [5.0]}


def test_table1_exact_mean_and_sample_std(tmp_path, gt):
    cells = [6111, 1, 2581]
    for seed, c in enumerate(cells):
        write_run(tmp_path / "a", f"gdas_s{seed}", gt, "gdas", seed, c, best=6111)
    write_run(tmp_path / "b", "random_s0", gt, "random", 0, 1835)
    rep = build_report([tmp_path / "a", tmp_path / "b"], published=True)
    by = {g["label"]: g for g in rep["groups"]}
    assert set(by) == {"gdas", "random"}
    g = by["gdas"]
    assert g["n"] == 3 and g["seeds"] == [0, 1, 2]
    for col in PAPER_COLUMNS:
        vals = [gt.summary(c)[col] for c in cells]
        assert g["final"][col]["mean"] == pytest.approx(statistics.fmean(vals), abs=1e-12)
        assert g["final"][col]["std"] == pytest.approx(statistics.stdev(vals), abs=1e-12)
        assert g["best"][col]["std"] == pytest.approx(0.0, abs=1e-12)
    assert g["search_time_s"]["mean"] == pytest.approx(101.0)
    assert by["random"]["final"]["cifar10_valid"]["std"] is None  # n = 1: undefined, not 0
    assert rep["optimum"]["cifar10_valid"]["index"] == 6111
    assert rep["optimum"]["cifar100_test"]["value"] == pytest.approx(73.51333, abs=1e-4)

    md = render(rep, "markdown")
    vals = [gt.summary(c)["cifar10_valid"] for c in cells]
    assert f"{statistics.fmean(vals):.2f} ± {statistics.stdev(vals):.2f}" in md
    assert "| random | 1 | 39.77 ± – |" in md  # the DARTS-collapse cell; n = 1 shows no std
    assert "| NB201 optimum | – | 91.61 | 94.37 | 73.51 | 47.31 |" in md
    assert all(name in md for name in PUBLISHED)
    assert "Table 2" in md and "ddof=1" in md
    tex = render(rep, "latex")
    assert r"\begin{tabular}" in tex and r"$\pm$" in tex and "--" in tex
    for table in tex.split(r"\begin{tabular}")[1:]:  # every row has as many cells as the header and the spec
        spec = table[1 : table.index("}")]
        rows = [line for line in table.split("\n") if line.endswith(r"\\")]
        assert rows and all(row.count(" & ") == len(spec) - 1 for row in rows), (spec, rows[0])
    assert r"params $\tau$" in tex
    assert json.loads(render(rep, "json"))["groups"][0]["n"] == 3


def test_groups_by_options_and_epsilon(tmp_path, gt):
    write_run(tmp_path, "g1", gt, "gdas", 0, 1, options={"tau_max": 10.0, "tau_min": 0.1, "init_std": 1e-3})
    write_run(tmp_path, "g2", gt, "gdas", 0, 2, options={"tau_max": 5.0, "tau_min": 0.1, "init_std": 1e-3})
    write_run(tmp_path, "g3", gt, "gdas", 0, 3, epsilon=0.5)
    labels = sorted(g["label"] for g in build_report([tmp_path])["groups"])
    assert labels == ["gdas (tau_max=5.0, ε=0)", "gdas (ε=0)", "gdas (ε=0.5)"]


def test_no_runs_and_unreadable_runs(tmp_path, gt):
    with pytest.raises(ReportError, match="no runs"):
        build_report([tmp_path])
    with pytest.raises(ReportError, match="does not exist"):
        build_report([tmp_path / "nope"])
    write_run(tmp_path, "ok", gt, "gdas", 0, 1)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "results.json").write_text("{truncated")
    rep = build_report([tmp_path])
    assert len(rep["groups"]) == 1 and "bad" in rep["warnings"][0]
    assert not math.isnan(rep["groups"][0]["final"]["cifar10_valid"]["mean"])


def test_search_time_excludes_monitor_time(tmp_path, gt):
    d = write_run(tmp_path, "g", gt, "gdas", 0, 1)  # wall_time_s 100
    lines = [{"epoch": 1, "time_s": 50.0, "kendall_time_s": 4.0}, {"epoch": 2, "time_s": 50.0, "forget_time_s": 1.5}]
    (d / "log.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    g = build_report([tmp_path])["groups"][0]
    assert g["search_time_s"]["mean"] == pytest.approx(94.5) and g["monitor_time_s"]["mean"] == pytest.approx(5.5)


def test_same_setting_in_two_dirs_warns_and_per_dir_separates(tmp_path, gt):
    write_run(tmp_path / "mine", "g0", gt, "gdas", 0, 1)
    write_run(tmp_path / "theirs", "g0", gt, "gdas", 0, 2)
    merged = build_report([tmp_path / "mine", tmp_path / "theirs"])
    assert [g["n"] for g in merged["groups"]] == [2] and "seed(s) 0" in merged["warnings"][0]
    apart = build_report([tmp_path / "mine", tmp_path / "theirs"], per_dir=True)
    assert sorted(g["label"] for g in apart["groups"]) == ["gdas (mine)", "gdas (theirs)"]
    assert not apart["warnings"]


def test_params_tau_is_recorded_or_recomputed_from_the_ranked_cells(tmp_path):
    """Runs made before results.json recorded ``params_tau`` get the same number from ranking.json's cells."""
    import shutil
    from pathlib import Path

    from e2nas.experiments.report import find_runs

    src = Path(__file__).parents[2] / "results" / "cpu-pretrained" / "runs" / "table1"
    run = next(p for p in sorted(src.iterdir()) if (p / "ranking.json").is_file())
    recorded = json.loads((run / "results.json").read_text())["ranking"]["params_tau"]
    old = tmp_path / "old"
    shutil.copytree(run, old)
    res = json.loads((old / "results.json").read_text())
    del res["ranking"]["params_tau"]
    (old / "results.json").write_text(json.dumps(res))
    (runs, _), (olds, _) = find_runs([run], with_logs=False), find_runs([old], with_logs=False)
    assert runs[0].params_tau() == recorded and olds[0].params_tau() == pytest.approx(recorded, abs=1e-12)
    (old / "ranking.json").unlink()
    assert math.isnan(olds[0].params_tau())
    groups = build_report([run])["groups"]
    assert groups[0]["params_tau"]["values"] == [recorded]
