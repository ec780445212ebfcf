"""Datasets for search: the embedded real CIFAR-10 sample, and CIFAR-10/100 and ImageNet16-120 read from the
standard files in a user-given directory. Everything is held as uint8 NHWC arrays; batching and augmentation
happen on the training device (:mod:`e2nas.data.loader`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from e2nas.data.pickled import DataFormatError, read_batch

#: per-channel mean/std in [0, 1] units (NB201 / AutoDL-Projects constants)
NORMALISATION: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "cifar10": ((125.3 / 255, 123.0 / 255, 113.9 / 255), (63.0 / 255, 62.1 / 255, 66.7 / 255)),
    "cifar100": ((129.3 / 255, 124.1 / 255, 112.4 / 255), (68.2 / 255, 65.4 / 255, 70.4 / 255)),
    "imagenet16-120": ((122.68 / 255, 116.66 / 255, 104.01 / 255), (63.22 / 255, 61.26 / 255, 65.09 / 255)),
}
NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "imagenet16-120": 120}
#: dataset names ``nb201_split`` reads (``embedded`` = the 4k CIFAR-10 sample shipped with e2nas)
NB201_DATASETS = ("embedded", "cifar10", "cifar100", "imagenet16-120")
#: the 16x16 CIFAR-10 JPEG sample shipped with e2nas (built by e2nas.data.embedded16, scripts/make_embedded16.py)
EMBEDDED16 = "cifar10_jpeg16.npz"

_HOW_TO_GET = {
    "cifar10": "download and extract https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz into it",
    "cifar100": "download and extract https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz into it",
    "imagenet16-120": (
        "get the NB201 ImageNet16 files (Chrabaszcz et al. 2017 downsampled ImageNet 16x16, as linked from the "
        "NAS-Bench-201 README) and put them there"
    ),
}


class DataMissingError(FileNotFoundError):
    """Dataset files are not where the user said (the message names the directory, files and remedy)."""


Stats = tuple[tuple[float, ...], tuple[float, ...]]


@dataclass(frozen=True)
class ArrayDataset:
    """Images uint8 (N, H, W, 3) and labels int64 (N,), plus the normalisation family name.

    ``num_classes`` and ``stats`` (per-channel mean/std in [0, 1]) default to the family's published values;
    user image folders carry their own.
    """

    x: np.ndarray
    y: np.ndarray
    family: str = "cifar10"
    num_classes: int | None = None
    stats: Stats | None = None

    def __post_init__(self) -> None:
        if self.x.dtype != np.uint8 or self.x.ndim != 4 or self.x.shape[-1] != 3:
            raise ValueError(f"images must be uint8 (N, H, W, 3), got {self.x.dtype} {self.x.shape}")
        if len(self.x) != len(self.y):
            raise ValueError(f"{len(self.x)} images but {len(self.y)} labels")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def classes(self) -> int:
        return self.num_classes if self.num_classes is not None else NUM_CLASSES[self.family]

    @property
    def normalisation(self) -> Stats:
        return self.stats if self.stats is not None else NORMALISATION[self.family]

    def subset(self, index: np.ndarray) -> ArrayDataset:
        return ArrayDataset(self.x[index], self.y[index], self.family, self.num_classes, self.stats)

    def replace(self, x: np.ndarray) -> ArrayDataset:
        """The same labels and metadata with other images (e.g. resized)."""
        return ArrayDataset(x, self.y, self.family, self.num_classes, self.stats)


def _data_file(name: str) -> Path:
    return Path(str(resources.files("e2nas") / "_data" / name))


def load_embedded() -> ArrayDataset:
    """The 4,000 real CIFAR-10 training images (data_batch_1 rows 0..3999) shipped with the package."""
    with np.load(_data_file("cifar10_lossless_4k.npz")) as z:
        return ArrayDataset(np.ascontiguousarray(z["x"]), z["y"].astype(np.int64), "cifar10")


def embedded_split() -> tuple[ArrayDataset, ArrayDataset]:
    """Deterministic half/half split of the embedded sample: even positions train, odd positions valid."""
    d = load_embedded()
    idx = np.arange(len(d))
    return d.subset(idx[0::2]), d.subset(idx[1::2])


def load_embedded16() -> tuple[ArrayDataset, ArrayDataset]:
    """(search-train, search-valid) of the shipped 16x16 CIFAR-10 JPEG sample (docs/data.md says which images)."""
    with np.load(_data_file(EMBEDDED16)) as z:
        return (
            ArrayDataset(np.ascontiguousarray(z["x_train"]), z["y_train"].astype(np.int64), "cifar10"),
            ArrayDataset(np.ascontiguousarray(z["x_valid"]), z["y_valid"].astype(np.int64), "cifar10"),
        )


def load_split_file(name: str) -> dict[str, np.ndarray]:
    """An NB201 split file (``cifar-split.txt`` ...): ``{subset: indices}``."""
    with open(_data_file(f"nb201_splits/{name}")) as fh:
        raw = json.load(fh)
    return {k: np.asarray([int(i) for i in v[1]], dtype=np.int64) for k, v in raw.items()}


def _require(directory: Path, files: list[str], family: str) -> None:
    missing = [f for f in files if not (directory / f).is_file()]
    if missing:
        raise DataMissingError(
            f"{family} data not found in {directory}: expected {', '.join(files)} (missing {', '.join(missing)}); "
            f"{_HOW_TO_GET[family]}"
        )


def _read(path: Path, family: str, label_key: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """(CHW rows, labels) of one official batch file, read without running code and checked (one line naming
    the file on any fault)."""
    side, classes, first = (16, 1000, 1) if family == "imagenet16-120" else (32, NUM_CLASSES[family], 0)
    fix = f"replace it with an intact copy of the official {family} file"
    return read_batch(path, label_key, side, classes, first, fix=fix)


def _chw_rows_to_nhwc(rows: np.ndarray, side: int) -> np.ndarray:
    return np.ascontiguousarray(rows.reshape(-1, 3, side, side).transpose(0, 2, 3, 1)).astype(np.uint8, copy=False)


def _resolve(data_dir: str | Path, subdir: str, first_file: str) -> Path:
    d = Path(data_dir).expanduser()
    # accept both the extracted folder itself and its parent
    return d / subdir if not (d / first_file).is_file() and (d / subdir).is_dir() else d


def load_cifar10(data_dir: str | Path) -> tuple[ArrayDataset, ArrayDataset]:
    """(train 50k, test 10k) from ``cifar-10-batches-py`` (``data_batch_1..5``, ``test_batch``)."""
    d = _resolve(data_dir, "cifar-10-batches-py", "data_batch_1")
    train_files = [f"data_batch_{i}" for i in range(1, 6)]
    _require(d, train_files + ["test_batch"], "cifar10")
    parts = [_read(d / f, "cifar10") for f in train_files]
    test = _read(d / "test_batch", "cifar10")
    train = ArrayDataset(
        _chw_rows_to_nhwc(np.concatenate([p[0] for p in parts]), 32),
        np.concatenate([p[1] for p in parts]),
        "cifar10",
    )
    return train, ArrayDataset(_chw_rows_to_nhwc(test[0], 32), test[1], "cifar10")


def load_cifar100(data_dir: str | Path) -> tuple[ArrayDataset, ArrayDataset]:
    """(train 50k, test 10k) from ``cifar-100-python`` (``train``, ``test``; fine labels)."""
    d = _resolve(data_dir, "cifar-100-python", "train")
    _require(d, ["train", "test"], "cifar100")
    out = []
    for f in ("train", "test"):
        rows, labels = _read(d / f, "cifar100", "fine_labels")
        out.append(ArrayDataset(_chw_rows_to_nhwc(rows, 32), labels, "cifar100"))
    return out[0], out[1]


def load_imagenet16(data_dir: str | Path, num_classes: int = 120) -> tuple[ArrayDataset, ArrayDataset]:
    """(train, val) of ImageNet16-``num_classes`` from ``train_data_batch_1..10`` and ``val_data`` (NB201 format:
    pickled dicts with ``data`` (N, 768) CHW rows and 1-based ``labels``; classes 1..num_classes kept)."""
    d = _resolve(data_dir, "ImageNet16", "train_data_batch_1")
    train_files = [f"train_data_batch_{i}" for i in range(1, 11)]
    _require(d, train_files + ["val_data"], "imagenet16-120")

    def read(files: list[str]) -> ArrayDataset:
        xs, ys = [], []
        for f in files:
            rows, y = _read(d / f, "imagenet16-120")
            keep = (y >= 1) & (y <= num_classes)
            xs.append(rows[keep])
            ys.append(y[keep] - 1)
        return ArrayDataset(_chw_rows_to_nhwc(np.concatenate(xs), 16), np.concatenate(ys), "imagenet16-120")

    return read(train_files), read(["val_data"])


def nb201_split(dataset: str, data_dir: str | Path | None = None) -> tuple[ArrayDataset, ArrayDataset]:
    """(search-train, search-valid) for an NB201 ``dataset`` as NB201 searches it.

    embedded: 2k/2k halves of the shipped sample; cifar10: the ``cifar10-valid`` 25k/25k split of the training
    set (``cifar-split.txt``); cifar100: train 50k / ``xvalid`` 5k of the test set; imagenet16-120: train / ``xvalid``
    3k of the val set.
    """
    if dataset == "embedded":
        return embedded_split()
    if dataset not in NB201_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(NB201_DATASETS)}")
    if data_dir is None:
        raise DataMissingError(
            f"dataset {dataset} needs --data-dir (a directory with its files); {_HOW_TO_GET[dataset]}"
        )
    if dataset == "cifar10":
        train, _ = load_cifar10(data_dir)
        split = load_split_file("cifar-split.txt")
        if len(train) != 50000:
            raise DataFormatError(
                f"CIFAR-10 training set in {data_dir} has {len(train)} images, the NB201 split needs 50000"
            )
        return train.subset(split["train"]), train.subset(split["valid"])
    if dataset == "cifar100":
        train, test = load_cifar100(data_dir)
        return train, test.subset(load_split_file("cifar100-test-split.txt")["xvalid"])
    train, val = load_imagenet16(data_dir)
    return train, val.subset(load_split_file("imagenet-16-120-test-split.txt")["xvalid"])
