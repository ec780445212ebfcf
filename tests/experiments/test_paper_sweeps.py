"""The paper's sweep files (sweeps/paper/): together they hold every experiment of the E²NAS paper, and the
preset is the one field that switches a file between protocols."""

from pathlib import Path

import pytest

from e2nas.engine import PRESETS
from e2nas.experiments.paper.reproduce import EXPERIMENTS, OPT_IN, plan, with_preset
from e2nas.experiments.sweep import SweepError, parse_sweep, read_sweep_file
from e2nas.searchers import get_searcher_class

SWEEPS = Path(__file__).parents[2] / "sweeps" / "paper"
NINE = {"random", "gdas", "gdas-a", "darts-v1", "darts-v2", "setn", "enas", "nao", "e2nas"}
GAMMAS = {"0", "0.2", "0.5", "0.8", "sig:1", "sig:2", "sig:5", "sig:10"}


def load(name, preset=None):
    path = SWEEPS / f"{name}.yaml"
    return parse_sweep(with_preset(read_sweep_file(path), preset), str(path))


def test_one_file_per_layout_and_per_opt_in_experiment():
    assert sorted(p.stem for p in SWEEPS.glob("*.yaml")) == sorted(EXPERIMENTS + OPT_IN)


def test_table1_every_method_both_e2nas_variants_three_seeds():
    runs = load("table1").runs
    assert {r.method for r in runs} == NINE
    assert {dict(r.options).get("variant") for r in runs if r.method == "e2nas"} == {"paper", "reference"}
    for m in NINE:
        seeds = [r.seed for r in runs if r.method == m]
        assert sorted(set(seeds)) == [0, 1, 2]
    assert len(runs) == (len(NINE) + 1) * 3
    # each method at its own default ε, as the paper's Table 1
    assert all(r.config().epsilon == get_searcher_class(r.method).default_epsilon for r in runs)


def test_table2_eight_gammas_at_eps_half_plus_the_first_block():
    runs = load("table2").runs
    e2 = [r for r in runs if r.method == "e2nas"]
    at_half = {dict(r.options)["gamma"] for r in e2 if r.config().epsilon == 0.5}
    assert at_half == GAMMAS
    assert {dict(r.options)["gamma"] for r in e2 if r.config().epsilon == 0.0} == {"0"}  # vs GDAS-A
    assert {r.method for r in runs} == {"e2nas", "gdas", "gdas-a"}
    assert all(r.config().epsilon == 0.0 for r in runs if r.method != "e2nas")
    assert min(len({r.seed for r in runs if r.method == m}) for m in ("e2nas", "gdas", "gdas-a")) >= 2


def test_fig1a_twelve_epsilon_cells_and_fig1b_forgetting_monitor():
    runs = load("fig1a").runs
    cells = {(r.method, r.config().epsilon) for r in runs}
    assert cells == {(m, e) for m in ("random", "gdas", "e2nas") for e in (0.0, 0.2, 0.5, 0.8)}
    assert all(len({r.seed for r in runs if (r.method, r.config().epsilon) == c}) >= 2 for c in cells)
    runs = load("fig1b").runs
    assert {(r.method, r.config().epsilon) for r in runs} == {(m, e) for m in ("random", "gdas") for e in (0, 0.5)}
    assert all("forgetting" in r.monitor_dict() for r in runs)
    assert len({r.seed for r in runs}) >= 2


@pytest.mark.parametrize("preset", ["cpu", "paper"])
def test_darts_searches_a_fifth_of_the_epochs_at_every_preset(preset):
    runs = load("table1", preset).runs
    common = PRESETS[preset]().epochs
    for r in runs:
        cfg = r.config()
        assert cfg.preset == preset
        if r.method.startswith("darts"):
            assert cfg.epochs == max(1, round(common / 5))
        else:
            assert cfg.epochs == common
    if preset == "paper":  # the same 50 the searchers' paper_overrides give DARTS
        assert {r.config().epochs for r in runs if r.method == "darts-v1"} == {
            get_searcher_class("darts-v1").paper_overrides["epochs"]
        }


def test_switching_the_preset_changes_only_the_preset():
    for name in EXPERIMENTS:
        base, paper = load(name), load(name, "paper")
        assert {r.preset for r in paper.runs} == {"paper"}
        strip = [(r.method, r.seed, r.options, r.epsilon, r.monitors) for r in base.runs]
        assert strip == [(r.method, r.seed, r.options, r.epsilon, r.monitors) for r in paper.runs]
        assert paper.out == base.out.replace(base.runs[0].preset, "paper")


def test_plan_trims_seeds_and_rejects_bad_input(tmp_path):
    exps = plan(SWEEPS, "smoke", ["fig1b"], [0], tmp_path)
    assert [e.name for e in exps] == ["fig1b"] and {r.seed for r in exps[0].sweep.runs} == {0}
    assert exps[0].runs_dir == tmp_path / "fig1b"
    # --data-dir reaches every run, include blocks too, and does not rename runs (paper reads CIFAR-10 from it)
    paper = plan(SWEEPS, "paper", ["table2"], None, None, tmp_path)[0].sweep.runs
    assert {dict(r.overrides)["data_dir"] for r in paper} == {str(tmp_path)}
    assert [r.name for r in paper] == [r.name for r in load("table2", "paper").runs]
    with pytest.raises(SweepError, match="unknown experiment 'table3'"):
        plan(SWEEPS, None, ["table3"])
    with pytest.raises(SweepError, match="not found"):
        plan(tmp_path / "nowhere")
    with pytest.raises(SweepError, match="no run has seed 7"):
        plan(SWEEPS, None, ["fig1b"], [7])
