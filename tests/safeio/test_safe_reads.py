"""Hostile and damaged files are refused before anything in them runs."""

import io
import os
import pickle

import numpy as np
import pytest
import torch

from e2nas.safeio import UnsafeFileError, load_torch_file, pickle_globals, restricted_load
from e2nas.safeio.torch_files import CorruptFileError, pickle_scan


class _Touch:
    """Unpickling this calls ``open(marker, "w")``: the marker file appears iff the payload ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


class _System:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("payload", [_Touch, _System])
def test_hostile_torch_files_run_nothing(tmp_path, payload):
    marker = tmp_path / "ran"
    zipped, raw = tmp_path / "zip.pt", tmp_path / "raw.pt"
    torch.save({"weights": torch.zeros(2), "x": payload(marker)}, zipped)
    raw.write_bytes(pickle.dumps({"x": payload(marker)}))
    for f in (zipped, raw):
        with pytest.raises(UnsafeFileError) as err:
            load_torch_file(f)
        expected = "io.open" if payload is _Touch else "posix.system"
        assert err.value.names == [expected] and str(f) in str(err.value)
    assert not marker.exists()
    # the scan names the globals without importing or calling them
    assert pickle_globals(raw) == [expected] and expected in pickle_globals(zipped)
    assert not marker.exists()


def test_env_override_cannot_turn_weights_only_off(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker, f = tmp_path / "ran", tmp_path / "x.pt"
    torch.save({"x": _Touch(marker)}, f)
    with pytest.raises(UnsafeFileError):
        load_torch_file(f)
    assert not marker.exists()


def test_damaged_torch_files_are_corrupt_not_unsafe(tmp_path):
    good = tmp_path / "good.pt"
    torch.save({"format": "f", "version": 7, "w": torch.arange(3)}, good)
    assert torch.equal(load_torch_file(good)["w"], torch.arange(3))
    assert pickle_scan(good).constants[:4] == ["format", "f", "version", 7]
    for name, data in {"trunc": good.read_bytes()[:200], "garbage": b"hello" * 20, "empty": b""}.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(CorruptFileError, match=name):
            load_torch_file(p)
        pickle_scan(p)  # never raises on damage


def _dumps(obj, protocol):
    return pickle.dumps(obj, protocol=protocol)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_restricted_unpickler_reads_what_dataset_files_hold(protocol):
    rows = np.arange(2 * 12, dtype=np.uint8).reshape(2, 12)
    batch = {"data": rows, "labels": [3, 4], "batch_label": "training batch 1 of 5", "filenames": [b"a.png", b"b"]}
    batch["mean"] = np.linspace(0, 1, 12)
    out = restricted_load(io.BytesIO(_dumps(batch, protocol)))
    assert np.array_equal(out["data"], rows) and out["data"].dtype == np.uint8
    assert out["labels"] == [3, 4] and out["filenames"] == [b"a.png", b"b"]
    assert np.allclose(out["mean"], batch["mean"])


@pytest.mark.parametrize("payload", [_Touch, _System])
def test_restricted_unpickler_refuses_calls_and_object_arrays(tmp_path, payload):
    marker = tmp_path / "ran"
    for obj in ({"data": payload(marker)}, {"data": np.array([payload(marker)], dtype=object)}):
        with pytest.raises(pickle.UnpicklingError, match="refused"):
            restricted_load(io.BytesIO(pickle.dumps(obj)))
    assert not marker.exists()
    # an object array of harmless values is refused too (the official files hold none)
    with pytest.raises(pickle.UnpicklingError, match="object array"):
        restricted_load(io.BytesIO(pickle.dumps({"data": np.array([1, "a"], dtype=object)})))


def _py2_str(b: bytes) -> bytes:
    return b"U" + bytes([len(b)]) + b  # SHORT_BINSTRING: a Python 2 str


def test_python2_pickle_as_the_official_cifar_files_were_written():
    """The official CIFAR batches were pickled by Python 2: array bytes and dict keys are py2 ``str``
    (decoded as latin-1). Built opcode by opcode, since Python 3 cannot write them."""
    raw = bytes([0, 128, 200, 255, 7, 9])  # bytes above 127 exercise the latin-1 round trip
    dtype = b"cnumpy\ndtype\n" + _py2_str(b"u1") + b"K\x00K\x01\x87R"  # dtype('u1', 0, 1)
    dtype += b"(K\x03" + _py2_str(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"  # its __setstate__
    array = b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + _py2_str(b"b") + b"\x87R"
    array += b"(K\x01K\x02K\x03\x86" + dtype + b"\x89" + _py2_str(raw) + b"tb"  # (1, (2, 3), dtype, False, raw)
    data = b"\x80\x02}(" + _py2_str(b"data") + array + _py2_str(b"labels") + b"]K\x01aK\x09a"
    data += _py2_str(b"batch_label") + _py2_str(b"training batch 1 of 5") + b"u."
    out = restricted_load(io.BytesIO(data))
    assert out["data"].dtype == np.uint8 and out["data"].tolist() == [[0, 128, 200], [255, 7, 9]]
    assert out["labels"] == [1, 9] and out["batch_label"] == "training batch 1 of 5"
