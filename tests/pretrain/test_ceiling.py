"""The proxy ceiling: cells trained standalone at the cpu scale, their valid accuracy, resume, the summary."""

import numpy as np
import torch
from scipy.stats import kendalltau

from e2nas.pretrain.ceiling import CeilingSetup, load_data, run_cells, summarise, train_standalone
from e2nas.pretrain.study import read_records
from e2nas.ranking import sample_cells
from e2nas.spaces.nb201 import GroundTruth

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
