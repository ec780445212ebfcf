"""`e2nas reproduce` end to end at the smoke preset on trimmed copies of sweeps/paper/ (one seed, a few methods:
real searches on the embedded CIFAR-10 sample), then the paper layouts of `e2nas report` on those runs."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from e2nas.cli.main import app

pytestmark = pytest.mark.slow

SWEEPS = Path(__file__).parents[2] / "sweeps" / "paper"
#: per experiment: the methods, options and epsilons kept (the parse tests check the full files), and overrides
#: that make each run cheap: one step per epoch (epochs stay the preset's: the epochs column and DARTS' fifth are
#: checked), Table 1's final ranking on few cells and images (τ is checked there), no ranking elsewhere (those
#: tables check that runs without a τ read as n/a)
ONE_STEP = {"steps_per_epoch": 1}
NO_TAU = {"overrides": {**ONE_STEP, "rank_cells": 0}}
TRIM = {
    "table1": {"method": ["darts-v1", "e2nas"], "overrides": {**ONE_STEP, "rank_cells": 4, "rank_images": 16}},
    "table2": {"method": ["e2nas", "gdas-a"], "options": {"e2nas": {"gamma": ["sig:10"]}}, **NO_TAU},
    "fig1a": {"method": ["random"], "epsilon": [0, 0.5], **NO_TAU},
    "fig1b": {"method": ["random"], **NO_TAU},
}


def _trimmed_sweeps(root: Path) -> Path:
    root.mkdir(parents=True)
    for name, keep in TRIM.items():
        data = yaml.safe_load((SWEEPS / f"{name}.yaml").read_text())
        data.update(keep)
        data["seed"] = [0]
        for key in ("options", "method_overrides"):
            for m in list(data.get(key) or {}):
                if m not in data["method"]:
                    del data[key][m]
        if "forgetting" in (data.get("monitors") or {}):
            data["monitors"]["forgetting"]["images"] = 16  # the smoke valid split is 2,000 images: keep it cheap
        (root / f"{name}.yaml").write_text(yaml.safe_dump(data))
    return root


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reproduce")
    sweeps = _trimmed_sweeps(tmp / "sweeps")
    args = ["reproduce", "--preset", "smoke", "--sweeps", str(sweeps), "--runs", str(tmp / "runs")]
    res = CliRunner().invoke(app, [*args, "--out", str(tmp / "report"), "--workers", "2", "--threads", "1"])
    assert res.exit_code == 0, res.output
    return tmp


def _table_rows(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines() if line.startswith("| ")]


def test_reproduce_writes_every_layout_with_tau_and_time(reproduced):
    report = reproduced / "report"
    assert sorted(p.name for p in report.glob("*.md")) == [
        "README.md",
        "fig1a.md",
        "fig1b.md",
        "table1.md",
        "table2.md",
    ]
    t1 = _table_rows((report / "table1.md").read_text())
    header = t1[0]
    assert header[:3] == ["Method", "n", "epochs"] and "supernet τ" in header and "search time (s)" in header
    by = {r[0]: dict(zip(header, r, strict=True)) for r in t1[1:]}
    # the paper's order and names; DARTS at a fifth of the epochs (the smoke preset's 2 -> 1)
    assert list(by)[:3] == ["DARTS-V1", "E²NAS (paper)", "E²NAS (reference)"]
    assert by["DARTS-V1"]["epochs"] == "1" and by["E²NAS (paper)"]["epochs"] == "2"
    assert "NB201 optimum" in by and "E²NAS (E²NAS paper) †" in by  # --published is the default
    for name in ("DARTS-V1", "E²NAS (paper)", "E²NAS (reference)"):
        assert re.fullmatch(r"[+-]\d\.\d\d ± –( ⚠)?", by[name]["supernet τ"]), by[name]
        assert re.fullmatch(r"\d+ ± –", by[name]["search time (s)"])
    # the JSON beside it holds the numbers: τ as results.json's ranking of each run
    data = json.loads((report / "table1.json").read_text())
    g = next(g for g in data["groups"] if g["method"] == "darts-v1")
    res = json.loads((Path(g["runs"][0]) / "results.json").read_text())
    assert g["kendall_tau"]["values"] == [pytest.approx(res["ranking"]["kendall_tau"])]
    assert data["table"]["rows"][0]["C10 valid"]["mean"] == pytest.approx(res["final"]["ground_truth"]["cifar10_valid"])

    t2 = _table_rows((report / "table2.md").read_text())
    reference = ("NB201 optimum", "largest cell (#1462", "median cell", "random-k oracle")
    assert all(any(r[0].startswith(x) for r in t2) for x in reference)  # the yardstick rows
    methods = [(r[0], r[1], r[2]) for r in t2[1:] if not r[0].endswith("†") and not r[0].startswith(reference)]
    assert methods == [("GDAS-A", "–", "0"), ("E²NAS (paper)", "0", "0"), ("E²NAS (paper)", "sig:10", "0.5")]
    assert t2[0][4:7] == ["C10 test (final)", "C10 test (best)", "C10 test (largest visited)"]
    assert t2[0][10] == "supernet τ" and [r[10] for r in t2[1:4]] == ["n/a"] * 3

    t1a = _table_rows((report / "fig1a.md").read_text())
    runs1a = [(r[0], r[1], r[7]) for r in t1a[1:] if not r[0].startswith(reference)]
    assert runs1a == [("RandomNAS", "0", "n/a"), ("RandomNAS", "0.5", "n/a")] and t1a[0][7] == "supernet τ"
    assert any(r[0].startswith("largest cell") for r in t1a) and any(r[0].startswith("largest cell") for r in t1)
    t1b = _table_rows((report / "fig1b.md").read_text())
    assert [r[1] for r in t1b[1:]] == ["0", "0.5"] and all(float(r[3].split()[0]) >= 1 for r in t1b[1:])
    index = (report / "README.md").read_text()
    assert "`smoke` preset" in index and "[table2](table2.md): 3 of 3 runs" in index


@pytest.mark.parametrize("name", ["fig1a_epsilon.png", "fig1b_forgetting.png"])
def test_figures_are_real_images(reproduced, name):
    from matplotlib.image import imread

    path = reproduced / "report" / name
    assert path.stat().st_size > 20_000
    img = imread(path)
    assert img.shape[0] > 300 and img.shape[1] > 600
    assert np.std(img[..., :3]) > 0.05  # lines, text and markers, not a blank canvas
    assert f"({name})" in (reproduced / "report" / f"{name.split('_')[0]}.md").read_text()


def test_rerun_skips_finished_runs_and_dry_run_lists_them(reproduced):
    args = ["reproduce", "--preset", "smoke", "--sweeps", str(reproduced / "sweeps"), "--runs"]
    res = CliRunner().invoke(app, [*args, str(reproduced / "runs"), "--dry-run", "--json"])
    assert res.exit_code == 0, res.output
    plan = json.loads(res.stdout)
    assert plan["preset"] == "smoke" and len(plan["runs"]) == 3 + 3 + 2 + 2
    assert {r["status"] for r in plan["runs"]} == {"finished"}


def test_no_run_writes_the_reports_of_what_is_finished_and_starts_nothing(reproduced, tmp_path):
    sweeps = tmp_path / "sweeps"
    sweeps.mkdir()
    for f in (reproduced / "sweeps").glob("*.yaml"):  # seed 1 added: those runs are pending
        data = yaml.safe_load(f.read_text())
        data["seed"] = [0, 1]
        (sweeps / f.name).write_text(yaml.safe_dump(data))
    before = sorted(p.name for p in (reproduced / "runs").rglob("*") if p.is_dir())
    args = ["reproduce", "--preset", "smoke", "--sweeps", str(sweeps), "--runs", str(reproduced / "runs")]
    res = CliRunner().invoke(app, [*args, "--no-run", "--out", str(tmp_path / "report")])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (reproduced / "runs").rglob("*") if p.is_dir()) == before
    index = (tmp_path / "report" / "README.md").read_text()
    assert "[table1](table1.md): 3 of 6 runs" in index and "[fig1b](fig1b.md): 2 of 4 runs" in index
    assert _table_rows((tmp_path / "report" / "table1.md").read_text())[1][1] == "1"  # n: the finished seed
    res = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "none"), "--no-run"])
    assert res.exit_code == 2 and res.output.count("\n") == 1 and "no run directory exists" in res.output


def test_report_layout_auto_finds_each_paper_sweep(reproduced, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["report", str(reproduced / "runs"), "--layout", "auto", "--out", str(tmp_path / "r.md")])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "r.md").read_text()
    titles = re.findall(r"^## (.+?):", md, flags=re.M)
    assert titles == ["Table 1", "Table 2", "Fig. 1(a)", "Fig. 1(b)"]
    assert (tmp_path / "fig1a_epsilon.png").is_file() and (tmp_path / "fig1b_forgetting.png").is_file()
    res = runner.invoke(app, ["report", str(reproduced / "runs" / "table2"), "--layout", "table2", "--latex"])
    assert res.exit_code == 0 and r"\begin{tabular}" in res.stdout and r"$\tau$" in res.stdout
    res = runner.invoke(app, ["report", str(reproduced / "runs" / "fig1a"), "--layout", "fig1a", "--json"])
    assert {r["ε"] for r in json.loads(res.stdout)["sections"][0]["table"]["rows"]} == {0.0, 0.5}


def test_bad_input_is_one_line_exit_2(tmp_path):
    runner = CliRunner()
    for args, msg in [
        (["reproduce", "--only", "table3"], "unknown experiment 'table3'"),
        (["reproduce", "--sweeps", str(tmp_path / "none")], "not found"),
        (["reproduce", "--seeds", "x"], "--seeds must be comma-separated integers"),
        (["reproduce", "--sweeps", str(SWEEPS), "--preset", "huge"], "unknown preset 'huge'"),
        (["report", str(tmp_path), "--layout", "table9"], "unknown layout 'table9'"),
        (["report", str(tmp_path), "--layout", "table1"], "no runs (results.json) found"),
    ]:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and msg in lines[0], res.output
    # auto without a paper sweep under the DIRs is the default report
    res = runner.invoke(app, ["report", str(tmp_path), "--layout", "auto"])
    assert res.exit_code == 2 and "no runs (results.json) found" in res.output
