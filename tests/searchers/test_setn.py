"""SETN: uniform weight sampling and the template step."""

import pytest
import torch

from e2nas.engine import SearchEngine, make_config
from e2nas.searchers import create_searcher
from e2nas.spaces import get_space
from e2nas.spaces.nb201 import NUM_EDGES, NUM_OPS, Cell


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_template_samples_follow_the_arch_distribution():
    s = create_searcher("setn")
    alpha = torch.full((NUM_EDGES, NUM_OPS), -5.0)
    alpha[:, 3] = 5.0  # nearly all mass on nor_conv_3x3
    s.alpha, s.space = alpha, get_space("nb201")  # what setup() sets
    cells = s.sample_cells(50, torch.Generator().manual_seed(0))
    conv = sum(op == 3 for c in cells for op in c.ops)
    assert conv >= 0.95 * 50 * NUM_EDGES


def test_setn_answer_is_the_lowest_valid_loss_candidate(tmp_path):
    cfg = make_config("smoke", "setn", epochs=1, steps_per_epoch=2, options={"candidates": "6"})
    eng = SearchEngine(cfg, tmp_path, progress=False)
    res = eng.run()
    info = res["final_extra"]
    assert info["candidates"] == 6 and 1 <= info["distinct_candidates"] <= 6
    # the reported loss is the winner's inherited-weight valid loss
    final = Cell.parse(res["final"]["cell"])
    assert eng.ctx.evaluate([final])[0][0] == pytest.approx(info["valid_loss"])
