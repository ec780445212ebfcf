"""The (train, test) sets a found architecture is retrained and scored on: the full training set and the
test set (ImageNet16-120: its validation set), or the two halves of the embedded CIFAR-10 sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from e2nas.data import ArrayDataset, DataMissingError, embedded_split, load_cifar10, load_cifar100, load_imagenet16

_SOURCES: dict[str, Callable[[str | Path], tuple[ArrayDataset, ArrayDataset]]] = {
    "cifar10": load_cifar10,
    "cifar100": load_cifar100,
    "imagenet16-120": load_imagenet16,
}


def train_test_sets(dataset: str, data_dir: str | Path | None) -> tuple[ArrayDataset, ArrayDataset]:
    if dataset == "embedded":
        return embedded_split()
    if dataset not in _SOURCES:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of embedded, {', '.join(_SOURCES)}")
    if data_dir is None:
        raise DataMissingError(f"dataset {dataset} needs --data-dir (a directory with its files)")
    return _SOURCES[dataset](data_dir)
