import json
from dataclasses import dataclass

import pytest
import torch

from e2nas.engine import (
    CheckpointError,
    ConfigError,
    SearchConfig,
    SearchEngine,
    SearchError,
    cosine_lr,
    make_config,
)
from e2nas.searchers import Searcher, SearcherOptions, register_searcher
from e2nas.spaces.nb201 import Cell


def _smoke(method="gdas", **kw):
    return make_config("smoke", method, epochs=kw.pop("epochs", 1), steps_per_epoch=kw.pop("steps", 2), **kw)


def test_results_and_log_schema(tmp_path, gt):
    res = SearchEngine(_smoke(epochs=2), tmp_path, progress=False).run()
    assert set(res) >= {
        "method",
        "preset",
        "seed",
        "epsilon",
        "final",
        "best",
        "config",
        "wall_time_s",
        "peak_memory_mb",
        "peak_memory_kind",
        "device",
    }
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk == res
    assert res["peak_memory_kind"] == "peak_rss" and res["peak_memory_mb"] > 0
    best = Cell.parse(res["best"]["cell"])
    assert res["best"]["ground_truth"] == gt.summary(best)
    assert best.index == res["best"]["index"]
    assert res["best"]["ground_truth"]["cifar10_valid"] >= res["final"]["ground_truth"]["cifar10_valid"]
    rec = json.loads((tmp_path / "log.jsonl").read_text().splitlines()[0])
    assert {"epoch", "train_loss", "train_acc", "arch_loss", "lr", "cell", "cell_index", "ground_truth"} <= set(rec)
    assert {"time_s", "elapsed_s", "tau"} <= set(rec)
    assert rec["ground_truth"] == gt.summary(rec["cell_index"])
    assert SearchConfig.from_dict(json.loads((tmp_path / "config.json").read_text())) == _smoke(epochs=2)


def test_cosine_schedule_endpoints():
    cfg = SearchConfig(epochs=10)
    assert cosine_lr(cfg, 0) == pytest.approx(0.025)
    assert cosine_lr(cfg, 10) == pytest.approx(0.001)
    assert cosine_lr(cfg, 5) == pytest.approx(0.013)


def test_presets_and_overrides():
    assert make_config("paper", "gdas").to_dict() | {} == {
        **SearchConfig().to_dict(),
        "method": "gdas",
        "preset": "paper",
        "dataset": "cifar10",
    }
    cfg = make_config("cpu-small", "random", epochs=3, batch_size=32, seed=4)
    assert (cfg.epochs, cfg.batch_size, cfg.seed, cfg.method, cfg.C, cfg.N) == (3, 32, 4, "random", 8, 1)
    with pytest.raises(ConfigError, match="unknown preset"):
        make_config("huge")
    with pytest.raises(ConfigError, match="epochs"):
        make_config("smoke", epochs=0)


def test_corrupt_checkpoint_is_one_clear_error(tmp_path):
    assert SearchEngine(_smoke(epochs=2), tmp_path, progress=False).run(stop_after_epochs=1) is None
    ckpt = tmp_path / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="corrupt or unreadable"):
        SearchEngine(_smoke(epochs=2), tmp_path, resume=True, progress=False).run()


def test_mismatched_checkpoint_is_refused(tmp_path):
    SearchEngine(_smoke(epochs=2), tmp_path, progress=False).run(stop_after_epochs=1)
    with pytest.raises(CheckpointError, match="different run.*method: checkpoint 'gdas' vs now 'gdas-a'"):
        SearchEngine(_smoke("gdas-a", epochs=2), tmp_path, resume=True, progress=False).run()
    with pytest.raises(CheckpointError, match="epsilon"):
        SearchEngine(_smoke(epochs=2, epsilon=0.5), tmp_path, resume=True, progress=False).run()
    # a searcher option is named alone, not as two whole option dicts
    with pytest.raises(CheckpointError, match=r"searcher_options\.tau_max: checkpoint 10\.0 vs now 4\.0\)"):
        SearchEngine(_smoke(epochs=2, options={"tau_max": "4"}), tmp_path, resume=True, progress=False).run()


def test_existing_run_needs_resume(tmp_path):
    SearchEngine(_smoke(), tmp_path, progress=False).run(stop_after_epochs=1)
    with pytest.raises(CheckpointError, match="already holds a search; pass --resume"):
        SearchEngine(_smoke(), tmp_path, progress=False).run()


@dataclass
class _NaNOptions(SearcherOptions):
    after: int = 1


class _NaNSearcher(Searcher):
    """Test-only: a loss that turns NaN after ``after`` steps."""

    name = "test-nan"
    description = "test only"
    Options = _NaNOptions
    needs_valid_batch = False

    def weight_loss(self, batch, ctx):
        loss, logits = ctx.cell_loss(batch, self.current_cell())
        return (loss * float("nan") if ctx.global_step >= self.options.after else loss), logits

    def current_cell(self):
        return Cell.parse(2581)


def test_nan_loss_names_epoch_and_step(tmp_path):
    register_searcher(_NaNSearcher)  # removed again after the test (tests/conftest.py)
    cfg = _smoke("test-nan", epochs=2, steps=2, options={"after": 3})
    with pytest.raises(SearchError, match=r"became nan at epoch 1 step 1; try a lower --lr"):
        SearchEngine(cfg, tmp_path, progress=False).run()


def test_weights_and_arch_both_change(tmp_path):
    eng = SearchEngine(_smoke(), tmp_path, progress=False)
    eng._build()
    before = {k: v.clone() for k, v in eng.supernet.state_dict().items()}
    alpha0 = eng.searcher.alpha.detach().clone()
    eng2 = SearchEngine(_smoke(), tmp_path / "b", progress=False)
    eng2.run()
    after = eng2.supernet.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert not torch.equal(alpha0, eng2.searcher.alpha.detach())
