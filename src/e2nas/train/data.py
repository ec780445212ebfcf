"""The (train, test) sets a found architecture is retrained and scored on: the full training set and the
test set (ImageNet16-120: its validation set), or the two halves of the embedded CIFAR-10 sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from e2nas.data import ArrayDataset, DataMissingError, embedded_split, load_cifar10, load_cifar100, load_imagenet16
from e2nas.plugins import Registry

#: dataset name -> its (train, test) reader, given the data directory
_SOURCES: Registry[Callable[[str | Path], tuple[ArrayDataset, ArrayDataset]]] = Registry("dataset", ValueError)
_SOURCES.add("embedded", lambda data_dir: embedded_split())  # shipped with e2nas: needs no directory
_SOURCES.add("cifar10", load_cifar10)
_SOURCES.add("cifar100", load_cifar100)
_SOURCES.add("imagenet16-120", load_imagenet16)


def train_test_sets(dataset: str, data_dir: str | Path | None) -> tuple[ArrayDataset, ArrayDataset]:
    read = _SOURCES.get(dataset)
    if data_dir is None and dataset != "embedded":
        raise DataMissingError(f"dataset {dataset} needs --data-dir (a directory with its files)")
    return read(data_dir)
