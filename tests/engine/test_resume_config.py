"""resume_config: a run directory's stored settings with the given ones on top, and what it refuses."""

import json

import pytest

from e2nas.engine import CheckpointError, ConfigError, ResumeError, SearchEngine, make_config, resume_config
from e2nas.rundir import RunPaths


@pytest.fixture(scope="module")
def stopped(tmp_path_factory):
    """A random-search smoke run stopped after its first of two epochs (a checkpoint, no results)."""
    run = tmp_path_factory.mktemp("resume") / "run"
    cfg = make_config("smoke", "random", seed=3, epochs=2, steps_per_epoch=1, options={"candidates": "4"})
    assert SearchEngine(cfg, run, progress=False).run(stop_after_epochs=1) is None
    paths = RunPaths(run)
    assert paths.checkpoint.is_file() and paths.config.is_file() and not paths.finished
    return run


def test_nothing_given_is_the_stored_config(stopped):
    cfg = resume_config(stopped)
    assert cfg.to_dict() == json.loads(RunPaths(stopped).config.read_text())
    assert (cfg.method, cfg.seed, cfg.options) == ("random", 3, {"candidates": "4"})


def test_free_fields_and_the_same_values_may_be_given(stopped):
    given = {"threads": 1, "snapshot_every": 1, "method": "random", "space": "nb201", "seed": 3, "device": None}
    cfg = resume_config(str(stopped), {**given, "options": {"extra": "1"}})
    assert (cfg.threads, cfg.snapshot_every, cfg.device, cfg.seed) == (1, 1, "cpu", 3)
    assert cfg.options == {"candidates": "4", "extra": "1"}  # merged into the stored options


def test_the_resumed_run_finishes(stopped, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(stopped, run)
    res = SearchEngine(resume_config(run, {"threads": 1}), run, resume=True, progress=False).run()
    assert res is not None and res["resumed"] is True and RunPaths(run).finished


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("method", "gdas", "method random"),
        ("preset", "paper", "preset smoke"),
        ("space", "darts", "space nb201"),
        ("init_supernet", "shipped", "it started from fresh weights"),
    ],
)
def test_a_different_identity_is_refused(stopped, field, value, detail):
    with pytest.raises(ResumeError, match="does not match the run being resumed") as info:
        resume_config(stopped, {field: value})
    err = info.value
    assert (err.field, err.given, err.detail) == (field, value, detail)
    assert "\n" not in str(err) and isinstance(err, ConfigError)


def test_another_seed_is_applied_and_the_checkpoint_refuses_it(stopped):
    cfg = resume_config(stopped, {"seed": 4})
    assert cfg.seed == 4
    with pytest.raises(CheckpointError, match="seed"):
        SearchEngine(cfg, stopped, resume=True, progress=False).run()


def test_unknown_fields_and_invalid_values_are_config_errors(stopped):
    with pytest.raises(ConfigError, match="unknown config field"):
        resume_config(stopped, {"epochz": 3})
    with pytest.raises(ConfigError, match="epochs must be >= 1"):
        resume_config(stopped, {"epochs": 0})


def test_a_directory_without_a_readable_config(tmp_path):
    with pytest.raises(ResumeError, match="no config.json") as info:
        resume_config(tmp_path)
    assert info.value.field is None
    RunPaths(tmp_path).config.write_text("{not json")
    with pytest.raises(ResumeError, match="not a readable run config"):
        resume_config(tmp_path)
