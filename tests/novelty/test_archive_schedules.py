"""Archive FIFO behaviour and gamma schedules."""

from __future__ import annotations

import math

import pytest
import torch

from e2nas.novelty import Archive, GammaParseError, SigmoidGamma, StaticGamma, cell_onehot, parse_gamma
from e2nas.spaces.nb201 import Cell


def _cells(n: int) -> list[Cell]:
    return [Cell.from_code(i * 97 % 15625) for i in range(n)]


def test_archive_is_fifo_with_capacity():
    a = Archive(capacity=3)
    cs = _cells(5)
    for c in cs[:2]:
        a.add(c)
    assert len(a) == 2 and not a.full
    a.extend(cs[2:])
    assert a.full and len(a) == 3 and a.cells == cs[2:]  # oldest two dropped, order kept
    a.add(cs[2])  # duplicates are visits and are kept
    assert a.cells == [cs[3], cs[4], cs[2]]
    with pytest.raises(ValueError, match="capacity"):
        Archive(capacity=0)


def test_archive_onehots_latents_and_cache():
    calls: list[int] = []

    def encode(cells):
        calls.append(len(cells))
        return torch.tensor([[float(c.code), 1.0] for c in cells])

    a = Archive(capacity=4, encode=encode)
    cs = _cells(3)
    a.extend([cs[0], cs[1], cs[0]])
    lat = a.latents()
    assert lat.shape == (3, 2) and calls == [2]  # distinct cells encoded once
    assert lat[:, 0].tolist() == [cs[0].code, cs[1].code, cs[0].code]
    a.add(cs[2])
    a.latents()
    assert calls == [2, 1]
    oh = a.onehots()
    assert oh.shape == (4, 30) and torch.all(oh.reshape(4, 6, 5).sum(-1) == 1)
    assert torch.equal(oh[1], cell_onehot(cs[1]))
    assert cell_onehot(Cell((0, 1, 2, 3, 4, 0))).reshape(6, 5).argmax(-1).tolist() == [0, 1, 2, 3, 4, 0]
    b = Archive(capacity=1, encode=encode)
    b.load_state_dict(a.state_dict())
    assert b.cells == a.cells and b.capacity == 4
    assert torch.equal(b.latents(), a.latents()) and calls == [2, 1]  # latents restored, not re-encoded
    with pytest.raises(RuntimeError, match="encode"):
        Archive().latents()


def test_sigmoid_schedule_values_and_monotone():
    s = parse_gamma("sig:10")
    T = 50
    assert s(0, T) == pytest.approx(1 - 1 / (1 + math.exp(10)))  # = sigmoid(10) ~ 1: explore first
    assert s(T // 2, T) == pytest.approx(0.5)
    assert s(T, T) == pytest.approx(1 / (1 + math.exp(10)))  # ~ 0: exploit at the end
    vals = [s(t, T) for t in range(T + 1)]
    assert all(a > b for a, b in zip(vals, vals[1:], strict=False))
    assert all(0 < v < 1 for v in vals)
    # smaller k: flatter
    assert parse_gamma("sig:1")(0, T) < s(0, T)
    assert s.spec() == "sig:10" and isinstance(s, SigmoidGamma)


def test_static_schedule_and_parse_errors():
    s = parse_gamma("0.5")
    assert isinstance(s, StaticGamma) and all(s(t, 10) == 0.5 for t in range(11))
    assert parse_gamma("0")(3, 10) == 0.0 and parse_gamma("1")(3, 10) == 1.0 and parse_gamma(0.25).spec() == "0.25"
    for bad in ("sig:x", "1.5", "-0.1", "sig:0", "sig:-2", "abc", "", "nan"):
        with pytest.raises(GammaParseError, match="gamma"):
            parse_gamma(bad)
