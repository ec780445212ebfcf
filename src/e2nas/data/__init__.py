"""Datasets (embedded CIFAR-10 sample, CIFAR-10/100, ImageNet16-120) and the on-device batch loader."""

from e2nas.data.datasets import (
    DATASETS,
    NUM_CLASSES,
    ArrayDataset,
    DataMissingError,
    embedded_split,
    load_cifar10,
    load_cifar100,
    load_embedded,
    load_imagenet16,
    load_split_file,
    search_split,
)
from e2nas.data.loader import DeviceLoader
from e2nas.data.pickled import DataFormatError

__all__ = [
    "DATASETS",
    "NUM_CLASSES",
    "ArrayDataset",
    "DataFormatError",
    "DataMissingError",
    "DeviceLoader",
    "embedded_split",
    "load_cifar10",
    "load_cifar100",
    "load_embedded",
    "load_imagenet16",
    "load_split_file",
    "search_split",
]
