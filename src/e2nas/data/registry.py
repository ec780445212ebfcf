"""The dataset registry: every name ``--dataset`` accepts, how its search-train/search-valid halves are read, and
whether NB201 ground truth applies to it.

A dataset is one :class:`DatasetSpec`; ``search_split`` reads it and applies the generic subset and resize
requests (``train_size``/``valid_size``: the first images of every class, class-balanced; ``image_size``:
Pillow BOX resampling to S x S) unless the reader does them itself (image folders decode only what is asked for).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from e2nas.data.datasets import (
    ArrayDataset,
    DataMissingError,
    embedded_split,
    load_embedded16,
    nb201_split,
)
from e2nas.data.folder import CIFAR10_CLASSES, FolderDataError, load_folder
from e2nas.plugins import Registry


@dataclass(frozen=True)
class DataRequest:
    """What a run asks of its dataset beyond the name (config fields of the same names)."""

    data_dir: str | None = None
    image_size: int | None = None
    train_size: int | None = None
    valid_size: int | None = None


Reader = Callable[[DataRequest], tuple[ArrayDataset, ArrayDataset]]


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    description: str
    read: Reader
    #: NB201's table scores cells found on it (CIFAR-10 images, or CIFAR-100 / ImageNet16-120 for those columns)
    ground_truth: bool = True
    #: ``read`` applies train_size/valid_size/image_size itself
    handles_request: bool = False


def _folder(req: DataRequest) -> tuple[ArrayDataset, ArrayDataset]:
    if req.data_dir is None:
        raise DataMissingError("dataset folder needs --data-dir DIR (DIR/train/<class>/*.jpg, optional DIR/val/)")
    s = load_folder(req.data_dir, req.image_size, req.train_size, req.valid_size)
    return s.train, s.valid


def _cifar10_jpeg(req: DataRequest) -> tuple[ArrayDataset, ArrayDataset]:
    if req.data_dir is None:
        raise DataMissingError(
            "dataset cifar10-jpeg needs --data-dir: the CIFAR-10 JPEG release in ImageFolder layout, unpacked or as "
            "its .zip (e.g. shared/data/cifar10_jpeg_60k.zip)"
        )
    s = load_folder(req.data_dir, req.image_size, req.train_size, req.valid_size)
    if s.class_names != CIFAR10_CLASSES:
        raise FolderDataError(
            f"{req.data_dir} is not CIFAR-10: its classes are {', '.join(s.class_names[:12])}; CIFAR-10 has "
            f"{', '.join(CIFAR10_CLASSES)} (use --dataset folder for other images)"
        )
    # CIFAR-10 images: the published normalisation and NB201 ground truth apply
    return (
        ArrayDataset(s.train.x, s.train.y, "cifar10"),
        ArrayDataset(s.valid.x, s.valid.y, "cifar10"),
    )


def _nb201(name: str) -> Reader:
    return lambda req: nb201_split(name, req.data_dir)


#: dataset name -> its spec (``--dataset``), in the order the CLI lists them
DATASETS: Registry[DatasetSpec] = Registry("dataset", DataMissingError)
for _spec in (
    DatasetSpec(
        "embedded",
        "4,000 lossless CIFAR-10 training images shipped with e2nas (2k/2k, 32x32)",
        lambda req: embedded_split(),
    ),
    DatasetSpec(
        "embedded16",
        "CIFAR-10 JPEG images shipped with e2nas at 16x16 (class-balanced search-train/valid halves, see docs)",
        lambda req: load_embedded16(),
    ),
    DatasetSpec(
        "cifar10", "CIFAR-10 python batches in --data-dir, NB201 cifar10-valid 25k/25k split", _nb201("cifar10")
    ),
    DatasetSpec("cifar100", "CIFAR-100 python files in --data-dir (train / xvalid)", _nb201("cifar100")),
    DatasetSpec(
        "imagenet16-120", "NB201 ImageNet16-120 files in --data-dir (train / xvalid)", _nb201("imagenet16-120")
    ),
    DatasetSpec(
        "cifar10-jpeg",
        "CIFAR-10 JPEG ImageFolder (dir or .zip) in --data-dir, class-balanced 25k/25k split of train/",
        _cifar10_jpeg,
        handles_request=True,
    ),
    DatasetSpec(
        "folder",
        "your ImageFolder (dir or .zip) in --data-dir: train/<class>/*, optional val/; no NB201 ground truth",
        _folder,
        ground_truth=False,
        handles_request=True,
    ),
):
    DATASETS.add(_spec.name, _spec)
del _spec


def dataset_spec(name: str) -> DatasetSpec:
    return DATASETS.get(name)


def has_ground_truth(name: str) -> bool:
    """Whether NB201's table scores cells searched on dataset ``name``."""
    return dataset_spec(name).ground_truth


def balanced_head(data: ArrayDataset, n: int | None, what: str) -> ArrayDataset:
    """The first images of every class (in dataset order), ``n`` in all, as evenly spread over classes as possible."""
    if n is None:
        return data
    classes = np.unique(data.y)
    k = len(classes)
    want = {int(c): n // k + (1 if i < n % k else 0) for i, c in enumerate(classes)}
    keep: list[np.ndarray] = []
    for c, m in want.items():
        idx = np.flatnonzero(data.y == c)
        if len(idx) < m:
            raise DataMissingError(
                f"{what} of {n} images needs {m} of class {c} but the dataset has {len(idx)}; ask for at most "
                f"{min(int((data.y == cc).sum()) for cc in classes) * k}"
            )
        keep.append(idx[:m])
    return data.subset(np.sort(np.concatenate(keep)))


def resize(data: ArrayDataset, size: int | None) -> ArrayDataset:
    """All images resized to ``size`` x ``size`` (Pillow BOX: exact block means when shrinking by an integer)."""
    if size is None or data.x.shape[1:3] == (size, size):
        return data
    from PIL import Image

    out = np.stack(
        [np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BOX), dtype=np.uint8) for im in data.x]
    )
    return data.replace(out)


def search_split(
    dataset: str,
    data_dir: str | Path | None = None,
    image_size: int | None = None,
    train_size: int | None = None,
    valid_size: int | None = None,
) -> tuple[ArrayDataset, ArrayDataset]:
    """(search-train, search-valid) of ``dataset`` with the requested subset sizes and image size."""
    spec = dataset_spec(dataset)
    for label, v in (("train_size", train_size), ("valid_size", valid_size)):
        if v is not None and v < 1:
            raise DataMissingError(f"{label} must be a positive number of images, got {v}")
    req = DataRequest(None if data_dir is None else str(data_dir), image_size, train_size, valid_size)
    train, valid = spec.read(req)
    if not spec.handles_request:
        train = resize(balanced_head(train, train_size, "a training set"), image_size)
        valid = resize(balanced_head(valid, valid_size, "a validation set"), image_size)
    return train, valid
