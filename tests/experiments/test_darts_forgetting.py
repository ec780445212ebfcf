"""The space-generic forgetting monitor behind Fig. 1(b) on DARTS: it scores the first distinct architectures
from the epoch they were first reported on, and leaves the search unchanged."""

from __future__ import annotations

import json

import pytest
import torch

from e2nas.engine import SearchEngine, make_config
from e2nas.experiments.darts_forgetting import ArchForgettingMonitor, curves, write_report


@pytest.mark.slow
def test_monitor_tracks_first_architectures_without_changing_the_search(tmp_path):
    torch.set_num_threads(1)
    cfg = make_config("smoke", "gdas", "darts", epochs=3, steps_per_epoch=1, epsilon=0.5)
    plain = SearchEngine(cfg, tmp_path / "plain", progress=False).run()
    out = tmp_path / "gdas-ac-s0"
    monitored = SearchEngine(cfg, out, progress=False, epoch_hooks=[ArchForgettingMonitor(archs=2)]).run()
    assert monitored["final"]["cell"] == plain["final"]["cell"]
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[0]["fg_first_epoch"] == [1] and len(log[0]["fg_acc"]) == 1
    assert all(1 <= len(r["fg_acc"]) <= 2 and 0 <= r["fg_mean_acc"] <= 100 for r in log)
    # epoch 1's architecture stays first, scored again at every epoch
    assert all(r["fg_first_epoch"][0] == 1 for r in log)
    c = curves(tmp_path)["gdas-ac"]
    assert c["seeds"] == 1 and c["epochs"] == [1, 2, 3] and c["first_arch_acc"][0] == log[0]["fg_acc"][0]
    png, table = write_report(tmp_path)
    assert png.stat().st_size > 1000 and "gdas-ac" in table.read_text()
