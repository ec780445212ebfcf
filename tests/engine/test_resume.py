"""A killed run, resumed, must end exactly like an uninterrupted one (CPU)."""

import json

from e2nas.engine import SearchEngine, make_config

VOLATILE = {"time_s", "elapsed_s"}


def _log(path):
    return [
        {k: v for k, v in json.loads(line).items() if k not in VOLATILE}
        for line in (path / "log.jsonl").read_text().splitlines()
    ]


def _cfg(method):
    opts = {"candidates": "8"} if method == "random" else None
    return make_config("smoke", method, epochs=3, steps_per_epoch=3, epsilon=0.5, options=opts)


def test_resume_after_epoch_and_mid_epoch_stop_matches_uninterrupted(tmp_path):
    method = "random"  # the engine's paths; every searcher's own state: tests/searchers/test_state_roundtrip.py
    full = SearchEngine(_cfg(method), tmp_path / "full", progress=False).run()

    # killed after epoch 1, then at a step in the middle of epoch 3 (simulated Ctrl-C), then resumed
    part = tmp_path / "part"
    assert SearchEngine(_cfg(method), part, progress=False).run(stop_after_epochs=1) is None
    assert len(_log(part)) == 1
    assert SearchEngine(_cfg(method), part, resume=True, progress=False).run(stop_at_step=7) is None
    res = SearchEngine(_cfg(method), part, resume=True, progress=False).run()

    assert res["resumed"] is True
    assert res["final"] == full["final"]
    assert res["best"] == full["best"]
    assert _log(part) == _log(tmp_path / "full")


def test_resume_of_finished_run_returns_its_results(tmp_path):
    first = SearchEngine(_cfg("gdas-a"), tmp_path, progress=False).run()
    again = SearchEngine(_cfg("gdas-a"), tmp_path, resume=True, progress=False).run()
    assert again == first


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes(tmp_path):
    """The search's side of Ctrl-C (its searcher state at a checkpoint taken at the signal); SIGTERM and a
    second Ctrl-C are the loop base's, tested in test_runloop.py."""
    import os
    import signal

    sig = "SIGINT"

    from e2nas.searchers import register_searcher
    from e2nas.searchers.gdas import GDAS

    @register_searcher
    class _CtrlC(GDAS):
        name = f"test-ctrl-c-{sig}"
        armed = True

        def epoch_end(self, ctx):
            if ctx.epoch == 0 and _CtrlC.armed:
                _CtrlC.armed = False
                os.kill(os.getpid(), getattr(signal, sig))  # a user's Ctrl-C, or `kill` / a scheduler

    def cfg():
        return make_config("smoke", f"test-ctrl-c-{sig}", epochs=3, steps_per_epoch=3)

    eng = SearchEngine(cfg(), tmp_path / "a", progress=False)
    assert eng.run() is None and eng.interrupted
    assert len(_log(tmp_path / "a")) == 1  # epoch 1 finished and was logged, then the run stopped
    res = SearchEngine(cfg(), tmp_path / "a", resume=True, progress=False).run()
    full = SearchEngine(cfg(), tmp_path / "b", progress=False).run()
    assert res["final"] == full["final"] and _log(tmp_path / "a") == _log(tmp_path / "b")
