"""`e2nas search` runs E²NAS by default; --variant/--gamma/--epsilon reach the searcher; bad input is one line."""

import json

import pytest
from typer.testing import CliRunner

from e2nas.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize("variant", ["paper", "reference"])
def test_default_method_is_e2nas_and_both_variants_run(tmp_path, gt, variant):
    out = tmp_path / variant
    res = runner.invoke(app, ["search", "-p", "smoke", "--variant", variant, "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    results = json.loads((out / "results.json").read_text())
    assert results["method"] == "e2nas" and results["epsilon"] == 0.5
    assert results["searcher_options"]["variant"] == variant and results["searcher_options"]["gamma"] == "sig:10"
    idx = results["final"]["index"]
    assert gt.table.arch_str[idx] == results["final"]["cell"]
    assert results["final"]["ground_truth"] == gt.summary(idx)
    assert "final cell #" in res.stdout and "C10 test(v1_0)" in res.stdout


def test_gamma_and_epsilon_flags(tmp_path):
    args = ["search", "-p", "smoke", "--epochs", "1", "--gamma", "0.25", "--epsilon", "0", "--json", "--no-plots"]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "r"), "-q"])
    assert res.exit_code == 0, res.output
    results = json.loads(res.stdout)
    assert results["epsilon"] == 0.0 and results["searcher_options"]["gamma"] == "0.25"
    log = json.loads((tmp_path / "r" / "log.jsonl").read_text().splitlines()[0])
    assert log["gamma"] == 0.25


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--gamma", "sig:x"], "gamma"),
        (["--gamma", "1.5"], "gamma"),
        (["--variant", "fancy"], "variant"),
        (["--variant", "paper", "--opt", "variant=reference"], "contradicts"),
        (["--method", "gdas", "--variant", "paper"], "unknown option 'variant'"),
    ],
)
def test_bad_e2nas_flags_are_one_line_exit_2(tmp_path, args, needle):
    res = runner.invoke(app, ["search", "-p", "smoke", *args, "--out", str(tmp_path / "x"), "-q"])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
