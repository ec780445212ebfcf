"""The proxy ceiling: cells trained standalone at the cpu scale, their valid accuracy, resume, the summary; the
command line summarises the committed cells into the committed summary."""

from pathlib import Path

import numpy as np
import torch
from scipy.stats import kendalltau

from e2nas.pretrain.ceiling import (
    CeilingSetup,
    load_data,
    main,
    run_cells,
    study_cells,
    summarise,
    train_standalone,
)
from e2nas.pretrain.study import read_records
from e2nas.ranking import sample_cells
from e2nas.spaces.nb201 import GroundTruth

ROOT = Path(__file__).parents[2]
SETUP = CeilingSetup(epochs=2, steps_per_epoch=3, train_size=1_000, valid_size=256)


def test_standalone_training_is_seeded_and_leaves_the_global_rng_alone():
    cell = sample_cells(10, 0)[-1]
    train, valid = load_data(SETUP)
    state = torch.random.get_rng_state()
    a = train_standalone(cell, SETUP, train, valid)
    assert torch.equal(state, torch.random.get_rng_state())
    b = train_standalone(cell, SETUP, train, valid)
    assert 0.0 <= a["valid_acc"] <= 100.0 and a["valid_images"] == 256 and a["steps"] == 6
    assert (a["valid_acc"], a["valid_loss"]) == (b["valid_acc"], b["valid_loss"])


def test_run_cells_appends_resumes_and_the_summary_counts_parameters_as_scipy(tmp_path):
    cells = sample_cells(4, 0)[::2]
    out = tmp_path / "ceiling.jsonl"
    first = run_cells(cells[:1], SETUP, out, progress=False)
    both = run_cells(cells, SETUP, out, progress=False)
    assert both[0] == first[0] and len(read_records(out)) == 2  # the first cell was not trained again
    assert [r["index"] for r in both] == [c.index for c in cells]
    s = summarise(both, sample_seed=0, bootstrap=50)
    gt = GroundTruth()
    params = np.array([gt.value(c, "params_cifar10_M") for c in cells])
    truth = np.array([gt.value(c, "cifar10_valid") for c in cells])
    assert s["params_tau"] == kendalltau(params, truth).statistic
    acc = np.array([r["valid_acc"] for r in both])
    expected = 0.0 if np.ptp(acc) == 0 else kendalltau(acc, truth).statistic
    assert s["kendall_tau"] == expected and s["cells"] == 2 and s["epochs"] == 2


def test_the_study_cells_are_every_second_stratified_cell_in_a_seeded_order():
    cells, order = study_cells(5, 0)
    assert [c.index for c in cells] == [c.index for c in sample_cells(10, 0)[::2]]
    assert sorted(order) == list(range(5)) and study_cells(5, 0)[1] == order


def test_summary_only_rewrites_the_committed_summary_from_the_committed_cells(tmp_path, monkeypatch, capsys):
    committed = ROOT / "docs" / "results" / "pretrain" / "ceiling.json"
    monkeypatch.chdir(ROOT)  # --out as the committed summary's command names it (it only reads it)
    argv = "--summary-only --sample-seed 0 --cells 50 --epochs 2 --threads 1 --out docs/results/pretrain/ceiling.jsonl"
    main([*argv.split(), "--summary", str(tmp_path / "ceiling.json")])
    assert (tmp_path / "ceiling.json").read_bytes() == committed.read_bytes()
    assert '"cells": 50, "epochs": 2' in capsys.readouterr().out
