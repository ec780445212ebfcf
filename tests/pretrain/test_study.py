"""The recipe study's ranking of kept supernets: averages, resumable JSONL, the params τ beside each ranking."""

import json

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau

from e2nas.engine import SearchEngine, make_config
from e2nas.pretrain.study import (
    Candidate,
    average_weights,
    rank_candidates,
    read_records,
    snapshot_candidates,
    study_candidates,
)
from e2nas.spaces.nb201 import GroundTruth


def test_average_weights_is_the_mean_of_float_tensors_and_keeps_integer_buffers():
    a = {"w": torch.tensor([1.0, 2.0]), "n": torch.tensor(3)}
    b = {"w": torch.tensor([3.0, 6.0]), "n": torch.tensor(5)}
    avg = average_weights([a, b])
    assert torch.equal(avg["w"], torch.tensor([2.0, 4.0])) and int(avg["n"]) == 5


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pre") / "run"
    cfg = make_config("smoke", "random", epochs=2, rank_cells=0, snapshot_every=1, options={"candidates": 0})
    SearchEngine(cfg, out, progress=False).run()
    return out


@pytest.mark.slow
def test_rank_candidates_writes_one_line_each_and_resumes(smoke_run, tmp_path):
    cands = snapshot_candidates(smoke_run) + [Candidate(smoke_run, 2, (1, 2))]
    assert [c.label for c in cands] == ["run@1", "run@2", "run@avg1-2x2"]
    out = tmp_path / "r.jsonl"
    new = rank_candidates(
        cands, out, samples=(0,), bn_modes=("batch", "recal"), cells=12, images=64, calib_images=32, progress=False
    )
    assert len(new) == 6 and len(read_records(out)) == 6
    # a rerun measures nothing again; a torn last line (killed study) is skipped and redone
    assert (
        rank_candidates(cands, out, samples=(0,), bn_modes=("batch", "recal"), cells=12, images=64, progress=False)
        == []
    )
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    redone = rank_candidates(
        cands, out, samples=(0,), bn_modes=("batch", "recal"), cells=12, images=64, calib_images=32, progress=False
    )
    assert [(r["supernet"], r["bn"]) for r in redone] == [("run@avg1-2x2", "recal")]
    rec = new[0]
    gt = GroundTruth()
    p = np.array([gt.value(i, "params_cifar10_M") for i in rec["per_cell_index"]])
    g = np.array([gt.value(i, "cifar10_valid") for i in rec["per_cell_index"]])
    assert rec["params_tau"] == pytest.approx(kendalltau(p, g).statistic)
    assert rec["steps"] == 3 and rec["calib_images"] == 0 and new[1]["calib_images"] == 32
    assert json.loads(lines[0])["supernet"] == "run@1"


@pytest.mark.slow
def test_study_candidates_pick_kept_epochs_and_the_average_of_the_last_k(smoke_run):
    assert [c.label for c in study_candidates([smoke_run])] == ["run@1", "run@2"]
    assert [c.label for c in study_candidates([smoke_run], every=2)] == ["run@2"]
    assert [c.label for c in study_candidates([smoke_run], epochs=[1], average=2)] == ["run@1", "run@avg1-2x2"]
    assert study_candidates([smoke_run], average=2)[-1] == Candidate(smoke_run, 2, (1, 2))
    assert [c.label for c in study_candidates([smoke_run], average=3)] == ["run@1", "run@2"]  # too few kept
