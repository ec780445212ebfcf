"""Every shipped searcher's state round-trips through the checkpoint: a run killed mid-epoch and resumed ends
exactly like an uninterrupted one, and the checkpoint it leaves holds plain types only (it loads with the
weights-only unpickler). One small run each; the engine's own resume paths (after an epoch, mid-epoch, twice in
a row, Ctrl-C) are tests/engine/test_resume.py's and tests/engine/test_runloop.py's."""

import json

import pytest
import torch

from e2nas.engine import SearchEngine, make_config
from e2nas.engine.checkpoint import FORMAT, VERSION, load_checkpoint
from e2nas.searchers import get_searcher_class, list_searchers
from e2nas.spaces.nb201 import Cell

#: the shipped methods (test modules register toy searchers of their own)
METHODS = sorted(n for n in list_searchers() if get_searcher_class(n).__module__.startswith("e2nas."))
#: options that make every part of a searcher's state exist within 4 steps (E2NAS: a fitted novelty model)
SMALL = {
    "random": {"candidates": "6"},
    "setn": {"candidates": "6"},
    "enas": {"candidates": "6"},
    "nao": {"pool_init": "6", "update_every": "1", "train_steps": "5", "new_per_update": "3", "seeds": "3"},
    "e2nas": {"min_archive": "2", "refit_every": "1", "archive_size": "4"},
}
VOLATILE = {"time_s", "elapsed_s"}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _log(path):
    return [
        {k: v for k, v in json.loads(line).items() if k not in VOLATILE}
        for line in (path / "log.jsonl").read_text().splitlines()
    ]


def _cfg(method):
    eps = 0.0 if method.startswith("darts") else 0.5
    # no final ranking: it reads the supernet only, whose round trip every run here already compares through the
    # log (losses of the steps after the resume) and the final cell; its own tests are tests/ranking's
    return make_config(
        "smoke", method, epochs=2, steps_per_epoch=2, epsilon=eps, options=SMALL.get(method), rank_cells=0
    )


def test_every_shipped_method_is_covered():
    assert {"random", "gdas", "gdas-a", "darts-v1", "darts-v2", "setn", "enas", "nao", "e2nas"} <= set(METHODS)


@pytest.mark.parametrize("method", METHODS)
def test_killed_and_resumed_equals_uninterrupted_and_the_checkpoint_is_weights_only(tmp_path, method):
    full = SearchEngine(_cfg(method), tmp_path / "full", progress=False).run()

    raw = torch.load(tmp_path / "full" / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert raw["format"] == FORMAT and raw["version"] == VERSION and raw["finished"] is True
    state = load_checkpoint(tmp_path / "full" / "checkpoint.pt", raw["fingerprint"])
    assert isinstance(state["rng"]["numpy"][1], torch.Tensor)
    cells = [v for v in state["searcher"].values() if isinstance(v, Cell)]
    assert method.startswith("darts") or cells  # single-path searchers checkpoint their previous cell

    # killed mid-epoch 2 (step 3 of 4), then resumed: the searcher's state round-trips through the checkpoint
    part = tmp_path / "part"
    assert SearchEngine(_cfg(method), part, progress=False).run(stop_at_step=3) is None
    res = SearchEngine(_cfg(method), part, resume=True, progress=False).run()
    assert res["resumed"] is True
    assert res["final"] == full["final"] and res["best"] == full["best"]
    assert res["final_extra"] == full["final_extra"]
    assert _log(part) == _log(tmp_path / "full")
