import pickle

import numpy as np
import pytest
import torch

from e2nas.data import (
    DataMissingError,
    DeviceLoader,
    embedded_split,
    load_cifar10,
    load_cifar100,
    load_embedded,
    load_imagenet16,
    load_split_file,
    search_split,
)


@pytest.fixture(scope="module")
def sample():
    return load_embedded()


def test_embedded_split_sizes_and_labels(sample):
    train, valid = embedded_split()
    assert len(train) == len(valid) == 2000
    assert train.x.shape == (2000, 32, 32, 3) and train.x.dtype == np.uint8
    # real CIFAR-10 data_batch_1 label sequence 6,9,9,4,1,1,2,7,8,3: even rows train, odd rows valid
    assert train.y[:5].tolist() == [6, 9, 1, 2, 8]
    assert valid.y[:5].tolist() == [9, 4, 1, 7, 3]
    assert sample.x[0, 0, 0].tolist() == [59, 62, 63]
    assert np.array_equal(train.x[1], sample.x[2])
    assert set(np.unique(train.y)) == set(range(10)) == set(np.unique(valid.y))
    assert search_split("embedded")[0].y.tolist() == train.y.tolist()


def test_nb201_split_file():
    split = load_split_file("cifar-split.txt")
    assert len(split["train"]) == len(split["valid"]) == 25000
    both = np.concatenate([split["train"], split["valid"]])
    assert np.array_equal(np.sort(both), np.arange(50000))


def test_augmentation_shapes_and_determinism():
    train, _ = embedded_split()
    L = DeviceLoader(train, 32, seed=3)
    x, y = L.batch(0, 0)
    assert x.shape == (32, 3, 32, 32) and x.dtype == torch.float32 and y.shape == (32,)
    x2, y2 = L.batch(0, 0)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x3, _ = L.batch(0, 1)
    assert not torch.equal(x, x3)
    assert not torch.equal(L.order(0), L.order(1))
    assert not torch.equal(DeviceLoader(train, 32, seed=4).order(0), L.order(0))
    assert len(L) == 2000 // 32
    # one epoch visits every image at most once
    seen = torch.cat([L.order(2)[k * 32 : (k + 1) * 32] for k in range(len(L))])
    assert len(set(seen.tolist())) == len(seen)


def test_augmentation_is_crop_and_flip_of_the_real_image():
    train, _ = embedded_split()
    L = DeviceLoader(train, 16, seed=0)
    x, _ = L.batch(0, 0)
    idx = L.order(0)[:16]
    raw = (x * L.std + L.mean).round()  # back to 0..255 pixel values
    flips = 0
    for i in range(16):
        img = torch.from_numpy(train.x[int(idx[i])]).permute(2, 0, 1).float()
        padded = torch.nn.functional.pad(img, (4, 4, 4, 4))
        matches = [
            (dy, dx, f)
            for dy in range(9)
            for dx in range(9)
            for f in (False, True)
            if torch.equal(
                raw[i], padded[:, dy : dy + 32, dx : dx + 32].flip(2) if f else padded[:, dy : dy + 32, dx : dx + 32]
            )
        ]
        assert matches, f"image {i} is not a crop/flip of its source"
        flips += matches[0][2]
    assert 0 < flips < 16


def test_fixed_batches_are_normalised_unaugmented():
    _, valid = embedded_split()
    L = DeviceLoader(valid, 50)
    ((x, y),) = list(L.fixed(1))
    ref = (
        torch.from_numpy(valid.x[:50]).permute(0, 3, 1, 2).float() / 255
        - torch.tensor([0.4914, 0.4822, 0.4467]).view(1, 3, 1, 1)
    ) / torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)
    assert torch.allclose(x, ref, atol=2e-3)
    assert y.tolist() == valid.y[:50].tolist()


@pytest.mark.parametrize(
    ("dataset", "names"),
    [
        ("cifar10", ["data_batch_1", "test_batch"]),
        ("cifar100", ["train", "test"]),
        ("imagenet16-120", ["train_data_batch_1", "val_data"]),
    ],
)
def test_missing_data_is_one_clear_error(tmp_path, dataset, names):
    with pytest.raises(DataMissingError) as err:
        search_split(dataset, tmp_path)
    msg = str(err.value)
    assert str(tmp_path) in msg and all(n in msg for n in names) and ("download" in msg or "get" in msg)
    assert "\n" not in msg
    with pytest.raises(DataMissingError, match="needs --data-dir"):
        search_split(dataset, None)


def _rows(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 3, 1, 2).reshape(len(x), -1)


def test_cifar_pickle_readers_on_real_images(tmp_path, sample):
    d = tmp_path / "cifar-10-batches-py"
    d.mkdir()
    for i in range(5):
        sl = slice(i * 100, (i + 1) * 100)
        batch = {"data": _rows(sample.x[sl]), "labels": sample.y[sl].tolist()}
        (d / f"data_batch_{i + 1}").write_bytes(pickle.dumps(batch))
    (d / "test_batch").write_bytes(
        pickle.dumps({"data": _rows(sample.x[500:600]), "labels": sample.y[500:600].tolist()})
    )
    train, test = load_cifar10(tmp_path)  # the parent directory is accepted too
    assert np.array_equal(train.x, sample.x[:500]) and np.array_equal(train.y, sample.y[:500])
    assert np.array_equal(test.x, sample.x[500:600])
    with pytest.raises(ValueError, match="needs 50000"):
        search_split("cifar10", d)

    d100 = tmp_path / "c100"
    d100.mkdir()
    for name, sl in (("train", slice(0, 300)), ("test", slice(300, 400))):
        (d100 / name).write_bytes(
            pickle.dumps({"data": _rows(sample.x[sl]), "fine_labels": (sample.y[sl] * 7).tolist()})
        )
    tr, te = load_cifar100(d100)
    assert np.array_equal(tr.x, sample.x[:300]) and tr.y.tolist() == (sample.y[:300] * 7).tolist()
    assert tr.family == "cifar100" and len(te) == 100


def test_imagenet16_reader_keeps_first_120_classes(tmp_path, sample):
    small = sample.x[:, ::2, ::2]  # real images at 16x16
    labels = np.arange(1, 201)  # 1-based, 200 distinct classes
    for i in range(10):
        sl = slice(i * 200, (i + 1) * 200)
        (tmp_path / f"train_data_batch_{i + 1}").write_bytes(
            pickle.dumps({"data": _rows(small[sl]), "labels": labels.tolist()})
        )
    (tmp_path / "val_data").write_bytes(pickle.dumps({"data": _rows(small[:200]), "labels": labels.tolist()}))
    train, val = load_imagenet16(tmp_path)
    assert len(train) == 1200 and len(val) == 120
    assert train.x.shape[1:] == (16, 16, 3) and train.y.min() == 0 and train.y.max() == 119
    assert np.array_equal(val.x, small[:120])
    L = DeviceLoader(train, 8)
    assert L.pad == 2 and L.batch(0, 0)[0].shape == (8, 3, 16, 16)
