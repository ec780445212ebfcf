"""NAO: the encoder/decoder reconstructs cells, the embedding step raises predicted accuracy."""

import pytest
import torch

from e2nas.searchers.nao import NAOModel, _ops
from e2nas.spaces import get_space


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    space = get_space("nb201")
    cells = list(dict.fromkeys(space.random_arch(g) for _ in range(32)))
    ops = _ops(cells)
    target = torch.rand(len(cells), generator=g)
    model = NAOModel(space)
    model.reset_parameters(torch.Generator().manual_seed(1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(150):
        loss, mse, ce = model.loss(ops, target, 0.8)
        first = first or (mse, ce)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, ops, target, first, (mse, ce)


def test_encoder_decoder_reconstructs_cells_after_short_training(trained):
    model, ops, _, first, last = trained
    recon = (model.decode(model.encode(ops)) == ops).all(1).float().mean()
    assert float(recon) >= 0.9
    assert last[1] < 0.2 * first[1]  # reconstruction CE fell
    assert last[0] < 0.5 * first[0]  # and the predictor fits the targets


def test_embedding_step_raises_predicted_accuracy(trained):
    model, ops, *_ = trained
    z = model.encode(ops).detach()
    with torch.no_grad():
        before = model.predict(z)
        after = model.predict(model.ascend(z, 0.01))
    assert bool((after > before).all())
    # larger steps move the embedding further and decode to other cells
    far = model.decode(model.ascend(z, 3.0))
    assert bool((far != ops).any(1).any())
