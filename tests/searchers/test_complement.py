import random

import pytest
import torch

from e2nas.searchers.complement import complement, complement_loss, op_weights
from e2nas.spaces.nb201 import NUM_OPS, Cell


def _rand_cell(rng: random.Random) -> Cell:
    return Cell(tuple(rng.randrange(NUM_OPS) for _ in range(6)))


def test_complement_set_properties_over_many_pairs():
    rng = random.Random(0)
    g = torch.Generator().manual_seed(0)
    pairs = [(_rand_cell(rng), _rand_cell(rng)) for _ in range(2000)]
    pairs += [(c, c) for c, _ in pairs[:200]]  # identical cells: every edge must change
    for prev, cur in pairs:
        comp = complement(prev, cur, g)
        w_prev, w_cur, w_c = op_weights(prev), op_weights(cur), op_weights(comp)
        assert not (w_prev & w_c), (prev, cur, comp)
        assert w_cur <= (w_prev | w_c), (prev, cur, comp)


def test_complement_draws_uniformly_among_other_ops():
    g = torch.Generator().manual_seed(1)
    cell = Cell.from_ops([2] * 6)
    counts = torch.zeros(NUM_OPS)
    for _ in range(500):
        for o in complement(cell, cell, g).ops:
            counts[o] += 1
    assert counts[2] == 0
    others = counts[[0, 1, 3, 4]] / counts.sum()
    assert torch.all((others - 0.25).abs() < 0.03), others


def _fake_losses():
    table = {}

    def cell_loss(cell: Cell) -> torch.Tensor:
        return table.setdefault(cell, torch.tensor(float(sum(cell.ops)) + 0.5))

    return cell_loss


def test_epsilon_zero_is_exactly_the_plain_loss_and_draws_nothing():
    g = torch.Generator().manual_seed(5)
    before = g.get_state().clone()
    cur, prev = Cell.parse(2581), Cell.parse(7)
    plain = torch.tensor(1.2345)
    loss, comp = complement_loss(_fake_losses(), cur, prev, 0.0, g, cur_loss=plain)
    assert loss is plain and comp is None
    assert torch.equal(g.get_state(), before)


def test_no_previous_cell_is_the_plain_loss():
    loss, comp = complement_loss(_fake_losses(), Cell.parse(1), None, 0.5, torch.Generator())
    assert comp is None and float(loss) == float(sum(Cell.parse(1).ops)) + 0.5


@pytest.mark.parametrize("eps", [0.25, 0.5, 1.0])
def test_complement_loss_formula(eps):
    f = _fake_losses()
    g = torch.Generator().manual_seed(3)
    cur, prev = Cell.from_ops([3, 3, 1, 0, 2, 4]), Cell.from_ops([3, 2, 1, 4, 2, 0])
    loss, comp = complement_loss(f, cur, prev, eps, g)
    expected = (1 - eps) * f(cur) + eps * (f(comp) + f(prev))
    assert float(loss) == pytest.approx(float(expected))
    # edges 0, 2, 4 agree -> changed; the others keep cur
    assert [comp.ops[e] != cur.ops[e] for e in range(6)] == [True, False, True, False, True, False]
