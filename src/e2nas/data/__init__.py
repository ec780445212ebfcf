"""Datasets (embedded CIFAR-10 samples, CIFAR-10/100, ImageNet16-120, image folders), their registry, and the
on-device batch loader."""

from e2nas.data.datasets import (
    NUM_CLASSES,
    ArrayDataset,
    DataMissingError,
    embedded_split,
    load_cifar10,
    load_cifar100,
    load_embedded,
    load_embedded16,
    load_imagenet16,
    load_split_file,
)
from e2nas.data.folder import FolderDataError, load_folder
from e2nas.data.loader import DeviceLoader, Stream, seeded_generator, stream_seed
from e2nas.data.pickled import DataFormatError
from e2nas.data.registry import DATASETS, DatasetSpec, dataset_spec, has_ground_truth, search_split

__all__ = [
    "DATASETS",
    "NUM_CLASSES",
    "ArrayDataset",
    "DataFormatError",
    "DataMissingError",
    "DatasetSpec",
    "DeviceLoader",
    "FolderDataError",
    "Stream",
    "dataset_spec",
    "embedded_split",
    "has_ground_truth",
    "load_cifar10",
    "load_cifar100",
    "load_embedded",
    "load_embedded16",
    "load_folder",
    "load_imagenet16",
    "load_split_file",
    "search_split",
    "seeded_generator",
    "stream_seed",
]
