"""Dataset pickles in the official formats, built from real CIFAR-10 images: good ones load, hostile ones run
nothing, damaged ones end in one line naming the file and what was expected."""

import pickle

import numpy as np
import pytest
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.data import DataFormatError, load_cifar10, load_cifar100, load_embedded, load_imagenet16

runner = CliRunner()


class _Touch:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def sample():
    return load_embedded()


def _rows(x):
    return x.transpose(0, 3, 1, 2).reshape(len(x), -1)


def _cifar10_dir(root, sample, protocol=2):
    d = root / "cifar-10-batches-py"
    d.mkdir()
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        sl = slice(i * 50, (i + 1) * 50)
        batch = {"batch_label": f"batch {i}", "data": _rows(sample.x[sl]), "labels": sample.y[sl].tolist()}
        batch["filenames"] = [f"img_{j}.png" for j in range(50)]
        (d / name).write_bytes(pickle.dumps(batch, protocol=protocol))
    return d


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_official_layouts_load_through_the_allow_list(tmp_path, sample, protocol):
    d = _cifar10_dir(tmp_path, sample, protocol)
    train, test = load_cifar10(d)
    assert np.array_equal(train.x, sample.x[:250]) and np.array_equal(test.y, sample.y[250:300])


def _damaged(sample, marker):
    rows, labels = _rows(sample.x[:50]), sample.y[:50].tolist()
    good = pickle.dumps({"data": rows, "labels": labels})
    return {
        "truncated": (good[: len(good) // 2], "corrupt or truncated"),
        "garbage": (b"\x00not a pickle" * 10, "corrupt or truncated"),
        "empty": (b"", "corrupt or truncated"),
        "hostile": (pickle.dumps({"data": _Touch(marker), "labels": labels}), "unsafe content.*io.open"),
        "wrong shape": (pickle.dumps({"data": rows[:, :1024], "labels": labels}), "rows of 3072 values"),
        "float pixels": (pickle.dumps({"data": rows.astype(np.float32), "labels": labels}), "expected uint8"),
        "label range": (pickle.dumps({"data": rows, "labels": [lab + 10 for lab in labels]}), "expected 0..9"),
        "label count": (pickle.dumps({"data": rows, "labels": labels[:-1]}), "50 images but 49"),
        "missing key": (pickle.dumps({"data": rows}), "lacks key.*labels"),
        "not a dict": (pickle.dumps([rows, labels]), "holds a list, expected a dict"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "truncated",
        "garbage",
        "empty",
        "hostile",
        "wrong shape",
        "float pixels",
        "label range",
        "label count",
        "missing key",
        "not a dict",
    ],
)
def test_damaged_cifar10_batch_is_one_line_naming_the_file(tmp_path, sample, case):
    d = _cifar10_dir(tmp_path, sample)
    marker = tmp_path / "ran"
    data, expected = _damaged(sample, marker)[case]
    (d / "data_batch_3").write_bytes(data)
    with pytest.raises(DataFormatError, match=expected) as err:
        load_cifar10(d)
    msg = str(err.value)
    assert "\n" not in msg and str(d / "data_batch_3") in msg and "intact copy of the official cifar10" in msg
    assert not marker.exists()


def test_cifar100_and_imagenet16_labels_are_checked(tmp_path, sample):
    d = tmp_path / "c100"
    d.mkdir()
    rows = _rows(sample.x[:20])
    (d / "train").write_bytes(pickle.dumps({"data": rows, "fine_labels": list(range(80, 100))}))
    (d / "test").write_bytes(pickle.dumps({"data": rows, "fine_labels": list(range(81, 101))}))
    with pytest.raises(DataFormatError, match=r"c100/test: 'fine_labels' range 81\.\.100, expected 0\.\.99"):
        load_cifar100(d)
    (d / "test").write_bytes(pickle.dumps({"data": rows, "labels": list(range(20))}))  # CIFAR-10 keys
    with pytest.raises(DataFormatError, match="lacks key.*fine_labels"):
        load_cifar100(d)

    small = _rows(sample.x[:10, ::2, ::2])
    for i in range(1, 11):
        (tmp_path / f"train_data_batch_{i}").write_bytes(pickle.dumps({"data": small, "labels": list(range(1, 11))}))
    (tmp_path / "val_data").write_bytes(pickle.dumps({"data": small, "labels": [0] * 10}))  # 0: not 1-based
    with pytest.raises(DataFormatError, match=r"val_data: 'labels' range 0\.\.0, expected 1\.\.1000"):
        load_imagenet16(tmp_path)
    (tmp_path / "val_data").write_bytes(pickle.dumps({"data": _rows(sample.x[:10]), "labels": [1] * 10}))
    with pytest.raises(DataFormatError, match="rows of 768 values"):
        load_imagenet16(tmp_path)


def test_cli_hostile_and_corrupt_cifar_batch_exit_2(tmp_path, sample):
    d = _cifar10_dir(tmp_path, sample)
    marker = tmp_path / "ran"
    for case in ("hostile", "truncated"):
        (d / "data_batch_1").write_bytes(_damaged(sample, marker)[case][0])
        args = ["search", "-p", "smoke", "--dataset", "cifar10", "--data-dir", str(d), "-q", "--no-plots"]
        res = runner.invoke(app, [*args, "--out", str(tmp_path / f"run-{case}")])
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and str(d / "data_batch_1") in lines[0]
    assert not marker.exists()
