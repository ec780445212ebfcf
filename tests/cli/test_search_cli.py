import json

from typer.testing import CliRunner

from e2nas.cli.main import app

runner = CliRunner()


def test_search_smoke_writes_results(tmp_path, gt):
    out = tmp_path / "r"
    res = runner.invoke(
        app, ["search", "--method", "gdas", "--preset", "smoke", "--seed", "0", "--out", str(out), "-q"]
    )
    assert res.exit_code == 0, res.output
    results = json.loads((out / "results.json").read_text())
    assert results["final"]["ground_truth"] == gt.summary(results["final"]["index"])
    assert gt.table.arch_str[results["final"]["index"]] == results["final"]["cell"]
    assert "final cell #" in res.stdout
    # the run's figures: the search curve and the D-VAE latent map with the visited cells
    for name in ("search_curve.png", "latent_map.png"):
        assert (out / "plots" / name).stat().st_size > 10_000 and name in res.stdout
    # a second run into the same directory needs --resume
    again = runner.invoke(app, ["search", "--preset", "smoke", "--out", str(out), "-q"])
    assert again.exit_code == 2 and "--resume" in again.output


def test_search_options_and_epsilon_reach_the_searcher(tmp_path):
    out = tmp_path / "r"
    args = ["search", "-m", "gdas-a", "-p", "smoke", "--epochs", "1", "--epsilon", "0.5", "--opt", "tau_max=4"]
    res = runner.invoke(app, [*args, "--out", str(out), "-q", "--json", "--no-plots"])
    assert res.exit_code == 0, res.output
    results = json.loads(res.stdout)
    assert results["epsilon"] == 0.5 and results["searcher_options"]["tau_max"] == 4.0
    assert results["config"]["epochs"] == 1


def test_unknown_method_is_one_line_exit_2(tmp_path):
    res = runner.invoke(app, ["search", "--method", "nope", "--out", str(tmp_path)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "choose one of" in lines[0] and "gdas" in lines[0]


def test_bad_option_and_missing_data_exit_2(tmp_path):
    res = runner.invoke(app, ["search", "-p", "smoke", "--opt", "tau_max", "--out", str(tmp_path / "a")])
    assert res.exit_code == 2 and "key=value" in res.output
    res = runner.invoke(app, ["search", "-p", "smoke", "--opt", "warp=9", "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "unknown option 'warp'" in res.output
    res = runner.invoke(app, ["search", "-p", "paper", "--data-dir", str(tmp_path), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "cifar10 data not found in" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_methods_lists_registry():
    res = runner.invoke(app, ["methods"])
    assert res.exit_code == 0
    names = [line.split()[0] for line in res.stdout.strip().splitlines()]
    assert {"random", "gdas", "gdas-a"} <= set(names)
    reg = json.loads(runner.invoke(app, ["methods", "--json"]).stdout)
    assert "GDAS" in reg["gdas"]["description"]
    assert reg["gdas"]["spaces"] == ["nb201", "darts"] and reg["e2nas"]["spaces"] == ["nb201"]
    line = next(line for line in res.stdout.splitlines() if line.startswith("setn "))
    assert line.split()[1] == "nb201"


def test_cuda_without_gpu_is_a_clear_error(tmp_path):
    import torch

    if torch.cuda.is_available():
        return
    res = runner.invoke(app, ["search", "-p", "smoke", "--device", "cuda", "--out", str(tmp_path / "g"), "-q"])
    assert res.exit_code == 2 and "no CUDA device" in res.output


def test_resume_needs_only_the_run_directory(tmp_path):
    from e2nas.engine import SearchEngine, make_config

    cfg = make_config("smoke", "e2nas", seed=3, epochs=3, options={"variant": "reference", "gamma": "0.3"})
    whole = SearchEngine(cfg, tmp_path / "whole", progress=False).run()
    part = tmp_path / "part"
    assert SearchEngine(cfg, part, progress=False).run(stop_after_epochs=1) is None  # "killed" after epoch 1

    wrong = runner.invoke(app, ["search", "--resume", "--out", str(part), "-m", "gdas", "-q"])
    assert wrong.exit_code == 2 and "does not match the run being resumed" in wrong.output
    clash = runner.invoke(app, ["search", "--resume", "--out", str(part), "--seed", "4", "-q"])
    assert clash.exit_code == 2 and "seed" in clash.output

    res = runner.invoke(app, ["search", "--resume", "--out", str(part), "--threads", "1", "-q", "--json", "--no-plots"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got["config"]["seed"] == 3 and got["searcher_options"]["variant"] == "reference"
    assert got["final"] == whole["final"] and got["best"] == whole["best"]


def test_no_plots_and_a_failing_plot_is_only_a_warning(tmp_path, monkeypatch):
    args = ["search", "-m", "random", "-p", "smoke", "-q"]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "a"), "--no-plots"])
    assert res.exit_code == 0 and not (tmp_path / "a" / "plots").exists()

    import e2nas.experiments.plots as plots

    def broken(*args, **kwargs):
        raise RuntimeError("no display")

    monkeypatch.setattr(plots, "make_plots", broken)
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert res.exit_code == 0 and (tmp_path / "b" / "results.json").exists()
    assert "warning: no plots (RuntimeError: no display)" in res.output
