"""ENAS: the controller's REINFORCE step, its sampling, and the searcher in the engine."""

import pytest
import torch

from e2nas.engine import make_config
from e2nas.searchers import create_searcher
from e2nas.searchers.enas import Controller
from e2nas.spaces import get_space
from e2nas.spaces.nb201 import Cell


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _searcher():
    s = create_searcher("enas")
    ctrl = Controller(get_space("nb201"))
    ctrl.reset_parameters(torch.Generator().manual_seed(0))
    s.controller = ctrl
    s.controller_optimizer = torch.optim.Adam(ctrl.parameters(), lr=1e-3, betas=(0.0, 0.999), eps=1e-3)
    return s


@pytest.mark.parametrize(("advantage", "direction"), [(1.0, 1), (-1.0, -1)])
def test_reinforce_step_moves_log_probability_with_the_sign_of_the_advantage(advantage, direction):
    s = _searcher()
    cell = Cell.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|nor_conv_1x1~1|avg_pool_3x3~2|")
    other = Cell.parse("|skip_connect~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    before = float(s.controller(cell)[1].detach())
    other_before = float(s.controller(other)[1].detach())
    assert s.policy_step(cell, advantage) == pytest.approx(before)
    after = float(s.controller(cell)[1].detach())
    assert direction * (after - before) > 1e-3
    # probability mass moves: a disjoint cell goes the other way
    assert direction * (float(s.controller(other)[1].detach()) - other_before) < 0


def test_controller_scores_what_it_samples_and_is_reproducible():
    ctrl = Controller(get_space("nb201"))
    ctrl.reset_parameters(torch.Generator().manual_seed(0))
    cells = [ctrl(generator=torch.Generator().manual_seed(k))[0] for k in range(3)]
    again = [ctrl(generator=torch.Generator().manual_seed(k))[0] for k in range(3)]
    assert cells == again
    for cell in cells:
        c2, log_p, ent = ctrl(cell)
        assert c2 == cell and float(log_p.detach()) < 0 and float(ent.detach()) > 0
    # the six per-edge distributions of a fresh controller are near uniform: entropy close to 6 ln 5
    assert float(ctrl(cells[0])[2].detach()) == pytest.approx(6 * torch.log(torch.tensor(5.0)).item(), rel=0.02)


def test_enas_paper_preset_uses_batch_128():
    assert make_config("paper", "enas").batch_size == 128
