"""The latent search's internals in reports: exact values on a hand-written log, then real E²NAS smoke runs
(paper and reference variants) through `build_report`."""

import math

import pytest

from e2nas.engine import SearchEngine, make_config
from e2nas.experiments.internals import run_internals, total_steps
from e2nas.experiments.report import build_report, render


def test_hand_written_log():
    rows = [
        # epoch, ||z||, gamma, grad norms (val, novelty), dead steps so far, final cell, archive unique
        (1, 1.0, 1.0, 0.1, 100.0, 0, 11, 3),
        (2, 5.0, 0.5, 0.2, 2.0, 4, 12, 5),
        (3, 4.96, 0.0, 0.3, 3.0, 6, 12, 7),  # γ = 0: left out of the ratio; 4.96 >= 0.99 * 5
        (4, 3.0, 0.1, 0.0, 1.0, 10, 11, 9),  # no validation gradient: left out of the ratio
    ]
    log = [
        {
            "epoch": e,
            "z_norm": z,
            "z_radius": 5.0,
            "gamma": g,
            "grad_val_norm": gv,
            "grad_novelty_norm": gn,
            "dead_steps": d,
            "cell_index": c,
            "archive_unique": a,
        }
        for e, z, g, gv, gn, d, c, a in rows
    ]
    got = run_internals(log, total_steps({"epochs": 4, "steps_per_epoch": 10}))
    assert got == {
        "z_at_radius_from": 2.0,
        "z_at_radius_frac": 50.0,
        "dead_step_frac": 25.0,
        "distinct_cells": 2.0,
        "archive_unique": 6.0,
        "log10_grad_ratio": pytest.approx((3.0 + 1.0) / 2),  # median of log10(1000), log10(10)
    }
    assert run_internals([{"epoch": 1, "train_loss": 2.0}], 10) is None  # not a latent search
    unbounded = run_internals([{**r, "z_radius": 0.0, "grad_novelty_norm": 0.0} for r in log], None)
    assert math.isnan(unbounded["z_at_radius_from"]) and math.isnan(unbounded["z_at_radius_frac"])
    assert math.isnan(unbounded["dead_step_frac"]) and math.isnan(unbounded["log10_grad_ratio"])


@pytest.mark.parametrize("variant", ["paper", "reference"])
def test_real_e2nas_runs_in_the_report(tmp_path, variant):
    cfg = make_config("smoke", "e2nas", epochs=2, steps_per_epoch=3, rank_cells=0, options={"variant": variant})
    SearchEngine(cfg, tmp_path / variant, progress=False).run()
    rep = build_report([tmp_path])
    (group,) = rep["groups"]
    inside = group["internals"]
    assert inside["distinct_cells"]["mean"] in (1.0, 2.0)  # two epochs
    assert 0.0 <= inside["dead_step_frac"]["mean"] <= 100.0
    if variant == "paper":
        assert 0.0 <= inside["z_at_radius_frac"]["mean"] <= 100.0
    else:  # no trust radius and a novelty value without a gradient: nothing to report for those
        assert inside["z_at_radius_frac"]["n"] == 0 and inside["log10_grad_ratio"]["n"] == 0
    text = render(rep, "markdown")
    assert "## Inside the latent search" in text and "dead steps (%)" in text


def test_reports_without_a_latent_search_have_no_internals(tmp_path):
    cfg = make_config("smoke", "gdas", epochs=1, steps_per_epoch=2, rank_cells=0)
    SearchEngine(cfg, tmp_path / "gdas", progress=False).run()
    rep = build_report([tmp_path])
    assert rep["groups"][0]["internals"] is None
    assert "Inside the latent search" not in render(rep, "markdown")
