"""Sweep schema extensions: per-method config overrides (epochs_scale), include blocks, {preset} in out."""

import re

import pytest

from e2nas.engine import PRESETS
from e2nas.experiments.sweep import SweepError, parse_sweep


def epochs(sweep):
    return {(r.method, r.seed): r.config().epochs for r in sweep.runs}


def test_epochs_scale_is_relative_to_the_sweeps_common_epochs():
    base = {"method": ["gdas", "darts-v1"], "seed": [0, 1], "method_overrides": {"darts-v1": {"epochs_scale": 0.2}}}
    cpu = parse_sweep({**base, "preset": "cpu"})
    e = epochs(cpu)
    assert e[("gdas", 0)] == PRESETS["cpu"]().epochs
    assert e[("darts-v1", 1)] == max(1, round(PRESETS["cpu"]().epochs * 0.2))
    # with a sweep-wide epochs override the scale applies to that
    e = epochs(parse_sweep({**base, "preset": "smoke", "overrides": {"epochs": 30}}))
    assert e[("gdas", 0)] == 30 and e[("darts-v1", 0)] == 6
    # never below one epoch; the run name states the epochs it got
    smoke = parse_sweep({**base, "preset": "smoke"})
    assert epochs(smoke)[("darts-v1", 0)] == 1
    assert "darts-v1_smoke_embedded_eps0_epochs=1_s0" in [r.name for r in smoke.runs]


def test_method_fields_replace_sweep_fields_and_lists_are_axes_for_that_method_only():
    sw = parse_sweep(
        {
            "method": ["gdas", "random"],
            "preset": "smoke",
            "overrides": {"lr": 0.1, "batch_size": 8},
            "method_overrides": {"random": {"lr": [0.01, 0.02]}},
        }
    )
    cfgs = [(r.method, r.config().lr, r.config().batch_size) for r in sw.runs]
    assert sorted(cfgs) == [("gdas", 0.1, 8), ("random", 0.01, 8), ("random", 0.02, 8)]


@pytest.mark.parametrize(
    ("ov", "message"),
    [
        ({"nao": {"epochs": 3}}, "method_overrides given for 'nao', which is not in this sweep's methods"),
        ({"gdas": {"epoch": 3}}, "unknown config field 'epoch'"),
        ({"gdas": {"epochs": 3, "epochs_scale": 0.5}}, "give 'epochs' or 'epochs_scale', not both"),
        ({"gdas": {"epochs_scale": 0}}, "must be a number in (0, 100]"),
        ({"gdas": {"epochs_scale": "half"}}, "must be a number in (0, 100]"),
        ({"gdas": {"epsilon": 0.5}}, "use the sweep key 'epsilon'"),
        ({"gdas": {}}, "non-empty mapping"),
        ([1], "must map method names"),
    ],
)
def test_method_override_errors(ov, message):
    with pytest.raises(SweepError, match=re.escape(message)):
        parse_sweep({"method": "gdas", "preset": "smoke", "method_overrides": ov})


def test_include_adds_a_block_that_inherits_the_rest():
    sw = parse_sweep(
        {
            "method": ["e2nas", "gdas"],
            "seed": [0, 1],
            "preset": "smoke",
            "options": {"e2nas": {"gamma": ["0", "sig:10"]}, "gdas": {"tau_max": 5}},
            "include": [
                {"method": "e2nas", "epsilon": 0, "options": {"e2nas": {"gamma": "0"}}},
                {"method": "gdas"},  # the same runs as the top level: not repeated
            ],
        }
    )
    names = [r.name for r in sw.runs]
    assert len(names) == len(set(names)) == (2 + 1 + 1) * 2
    assert "e2nas-gamma=0_smoke_embedded_eps0_s1" in names and "e2nas-gamma=0_smoke_embedded_eps0.5_s1" in names
    assert [r.seed for r in sw.runs] == sorted(r.seed for r in sw.runs)  # still seed-major
    with pytest.raises(SweepError, match=re.escape("include[0]: unknown key 'out'")):
        parse_sweep({"method": "gdas", "include": [{"out": "x"}]})
    with pytest.raises(SweepError, match="list of non-empty mappings"):
        parse_sweep({"method": "gdas", "include": {"method": "gdas"}})


def test_out_may_name_the_preset():
    assert parse_sweep({"method": "gdas", "preset": "smoke", "out": "runs/{preset}/t"}).out == "runs/smoke/t"
    with pytest.raises(SweepError, match="uses {preset} but the sweep has presets"):
        parse_sweep({"method": "gdas", "preset": ["smoke", "cpu"], "out": "runs/{preset}"})
