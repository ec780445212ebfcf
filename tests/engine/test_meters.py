"""Per-step meters: host numbers add up as before; device values add up on the device and are read once."""

import math

import pytest
import torch

import e2nas.engine.meters as meters
from e2nas.engine.meters import NonFiniteError, StepMeters


def test_host_values_add_up_in_python_floats():
    m = StepMeters()
    for v in (0.1, 0.2, torch.tensor(0.3)):
        m.add("loss", v)
    assert m.means() == {"loss": (0.1 + 0.2 + float(torch.tensor(0.3))) / 3}


def test_device_values_are_summed_there_and_read_once(monkeypatch):
    # stand-in for a GPU: every tensor counts as a device value, so it takes the deferred path
    monkeypatch.setattr(meters, "on_device", lambda v: isinstance(v, torch.Tensor))
    reads = []
    real_stack = torch.stack
    monkeypatch.setattr(torch, "stack", lambda ts: reads.append(len(ts)) or real_stack(ts))
    m = StepMeters()
    values = [torch.tensor(v, dtype=torch.float32) for v in (0.25, 1.5, 3.0)]
    for v in values:
        m.add("loss", v)
        m.add("acc", v * 100)
    assert m.sums == {} and set(m.pending) == {"loss", "acc"}
    means = m.means()
    assert reads == [2]  # one read for both keys and all steps
    assert means["loss"] == pytest.approx(sum(float(v) for v in values) / 3)
    assert means["acc"] == pytest.approx(100 * sum(float(v) for v in values) / 3)
    m.add("loss", torch.tensor(float("nan")))
    with pytest.raises(NonFiniteError, match="loss became nan") as err:
        m.flush()
    assert err.value.key == "loss" and math.isnan(err.value.value)
