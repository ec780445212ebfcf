import hashlib
import json

import pytest
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import SearchEngine, kept_epochs, load_supernet, make_config

runner = CliRunner()


def _tree(d):
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rank") / "run"
    opts = {"candidates": "4"}  # RandomNAS' answer (best of 4 candidates, not 100) is not what is checked here
    cfg = make_config(
        "smoke", "random", epochs=3, steps_per_epoch=4, snapshot_every=2, rank_cells=12, rank_images=96, options=opts
    )
    results = SearchEngine(cfg, out, progress=False).run()
    return out, results


@pytest.fixture(scope="module")
def rank_all(smoke_run):
    """``e2nas rank RUN --json`` with its defaults (the run's cells and images, every yardstick: the proxies cost
    seconds), run once for the two tests that read it: the output and the run directory's files before and after."""
    out, _ = smoke_run
    before = _tree(out)
    res = runner.invoke(app, ["rank", str(out), "--json"])
    return res, before, _tree(out)


def test_results_carry_the_final_ranking_and_rank_reproduces_it_without_touching_the_run(smoke_run, rank_all):
    out, results = smoke_run
    r = results["ranking"]
    assert r["cells"] == 12 and r["images"] == 96 and -1 <= r["kendall_tau"] <= 1
    assert (out / "ranking.json").is_file()
    res, before, after = rank_all
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    for key in ("kendall_tau", "spearman", "top10_precision", "cells", "images", "per_cell", "intervals"):
        assert key in d
    assert d["kendall_tau"] == pytest.approx(r["kendall_tau"]) and d["spearman"] == pytest.approx(r["spearman"])
    assert {"index", "inherited_acc", "inherited_loss"} <= set(d["per_cell"][0])
    assert after == before  # rank only reads the run directory


def test_rank_json_carries_params_tau_and_the_yardsticks_and_the_text_says_whether_it_beats_params(
    smoke_run, rank_all, gt
):
    from scipy.stats import kendalltau

    out, results = smoke_run
    assert results["ranking"]["params_tau"] is not None  # the free table yardsticks ride along at the end of a search
    assert set(results["ranking"]["yardsticks"]) == {"params", "flops", "acc12"}
    res = rank_all[0]  # every yardstick (a chosen subset: the image-folder test below, tests/ranking)
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    idx = [c["index"] for c in d["per_cell"]]
    truth = gt.table.column("cifar10_valid")[idx]
    assert d["params_tau"] == pytest.approx(kendalltau(gt.table.column("params_cifar10_M")[idx], truth).statistic)
    assert d["params_tau"] == pytest.approx(results["ranking"]["params_tau"])  # the same cells as the search's check
    assert list(d["yardsticks"]) == ["params", "flops", "acc12", "synflow", "nwot"]
    for y in d["yardsticks"].values():
        assert {"kendall_tau", "spearman", "top10_precision", "intervals", "seconds_per_cell", "source"} <= set(y)
    assert d["yardsticks"]["synflow"]["source"] == "proxy" and d["yardsticks"]["synflow"]["seconds_per_cell"] > 0
    assert set(d["vs_params"]) == {"difference", "interval", "beats"}
    res = runner.invoke(app, ["rank", str(out), "--yardsticks", "params"])
    assert "supernet tau - params tau = " in res.stdout and "counting parameters" in res.stdout


def test_rank_options_plot_and_kept_epochs(smoke_run, tmp_path):
    out, _ = smoke_run
    assert kept_epochs(out) == [2]
    plot = tmp_path / "fig" / "rank.png"
    args = ["--cells", "8", "--images", "32", "--epoch", "2", "--plot", str(plot), "--yardsticks", "none"]
    res = runner.invoke(app, ["rank", str(out), *args])
    assert res.exit_code == 0, res.output
    assert "Kendall tau" in res.stdout and "epoch 2" in res.stdout and plot.stat().st_size > 10_000
    net, cfg = load_supernet(out, epoch=2)
    final, _ = load_supernet(out)
    assert cfg.method == "random" and net.state_dict().keys() == final.state_dict().keys()


def test_rank_with_running_bn_statistics_says_so_and_differs_from_batch_statistics(smoke_run):
    out, _ = smoke_run
    runs = {}
    for bn in ("batch", "running"):
        args = ["--cells", "6", "--images", "64", "--bn", bn, "--yardsticks", "none", "--json"]
        res = runner.invoke(app, ["rank", str(out), *args])
        assert res.exit_code == 0, res.output
        runs[bn] = json.loads(res.stdout)
        assert runs[bn]["bn"] == bn
    losses = {bn: [c["inherited_loss"] for c in d["per_cell"]] for bn, d in runs.items()}
    assert [c["index"] for c in runs["batch"]["per_cell"]] == [c["index"] for c in runs["running"]["per_cell"]]
    assert losses["batch"] != losses["running"], "running statistics must give other numbers than batch ones"
    res = runner.invoke(
        app, ["rank", str(out), "--cells", "6", "--images", "64", "--bn", "running", "--yardsticks", "none"]
    )
    assert res.exit_code == 0 and "BN running statistics" in res.stdout


@pytest.mark.parametrize(
    "args, match",
    [
        (["--cells", "1"], "--cells must be between 2"),
        (["--images", "0"], "--images must be between 1"),
        (["--images", "100000"], "--images must be between 1"),
        (["--epoch", "3"], "kept no supernet of epoch 3; kept epochs: 2"),
        (["--bn", "both"], "--bn must be one of batch, running"),
        (["--yardsticks", "params,snip"], "unknown yardstick 'snip'"),
    ],
)
def test_rank_bad_input_is_one_line_exit_2(smoke_run, args, match):
    out, _ = smoke_run
    res = runner.invoke(app, ["rank", str(out), *args])
    assert res.exit_code == 2 and match in res.output and "Traceback" not in res.output


def test_rank_refuses_missing_runs_and_runs_without_checkpoint(tmp_path):
    res = runner.invoke(app, ["rank", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "does not exist" in res.output
    res = runner.invoke(app, ["rank", str(tmp_path)])
    assert res.exit_code == 2 and "not a search run directory" in res.output
    (tmp_path / "config.json").write_text(json.dumps(make_config("smoke", "random").to_dict()))
    res = runner.invoke(app, ["rank", str(tmp_path)])
    assert res.exit_code == 2 and "no checkpoint.pt" in res.output


def test_search_on_an_image_folder_says_there_is_no_ground_truth(make_image_folder, tmp_path):
    make_image_folder(tmp_path / "imgs", per_class=40)
    out = tmp_path / "run"
    args = ["search", "-p", "smoke", "-m", "gdas", "--dataset", "folder", "--data-dir", str(tmp_path / "imgs")]
    res = runner.invoke(app, [*args, "--image-size", "16", "--out", str(out), "-q", "--no-plots"])
    assert res.exit_code == 0, res.output
    assert "not available" in res.stdout and "C10 valid" not in res.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["final"]["ground_truth"] is None and results["ranking"] is None
    assert all(json.loads(x)["ground_truth"] is None for x in (out / "log.jsonl").read_text().splitlines())
    # no tau against ground truth for anyone: acc12 (the benchmark's own training) says so, the rest still print
    res = runner.invoke(app, ["rank", str(out), "--yardsticks", "params,acc12,synflow"])
    assert res.exit_code == 0, res.output
    assert "no NB201 ground truth" in res.stdout and "acc12: needs NB201 ground truth" in res.stdout
    assert "tau(supernet, params " in res.stdout and "tau(supernet, synflow" in res.stdout
    res = runner.invoke(app, ["rank", str(out), "--yardsticks", "params,acc12", "--json"])
    d = json.loads(res.stdout)
    assert d["ground_truth"] is None and d["params_tau"] is None and "unavailable" in d["yardsticks"]["acc12"]
    assert list(d["yardsticks"]) == ["params", "acc12"]  # the chosen ones only
    assert -1 <= d["yardsticks"]["params"]["tau_vs_supernet"] <= 1
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 2 and "no runs" in res.output
