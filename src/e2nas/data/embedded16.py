"""Build ``src/e2nas/_data/cifar10_jpeg16.npz``, the 16x16 CIFAR-10 sample the ``cpu`` preset searches on.

Source: ``cifar10_jpeg_60k.zip`` (all 60,000 CIFAR-10 images as JPEG q75 in ImageFolder layout, file name = the
image's rank within its class in the official order; source: docs/data.md). The 50,000 training images are
split as e2nas splits any image folder (``e2nas.data.load_folder``): within each class, even ranks form the
search-train half (25,000) and odd ranks the search-valid half (25,000). Shipped: the whole train half and the
first 200 images per class of the valid half (2,000), each decoded with Pillow and shrunk 32 -> 16 with BOX
resampling (every output pixel is the mean of a 2x2 block). Deterministic: the same zip gives the same bytes.

    python scripts/make_embedded16.py ../shared/data/cifar10_jpeg_60k.zip   (a thin entry to :func:`main`)
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from e2nas.data.folder import CIFAR10_CLASSES, FolderSplit, load_folder

TRAIN, VALID, SIZE = 25_000, 2_000, 16


def build_embedded16(source: str | Path, out: Path, train_size: int = TRAIN, valid_size: int = VALID) -> FolderSplit:
    """Write the sample from a CIFAR-10 image folder or ZIP to ``out``; the split it holds."""
    s = load_folder(source, image_size=SIZE, train_size=train_size, valid_size=valid_size)
    if s.class_names != CIFAR10_CLASSES:
        raise ValueError(f"{source} has classes {s.class_names}, not CIFAR-10's {CIFAR10_CLASSES}")
    np.savez_compressed(
        out,
        x_train=s.train.x,
        y_train=s.train.y.astype(np.uint8),
        x_valid=s.valid.x,
        y_valid=s.valid.y.astype(np.uint8),
        class_names=np.array(CIFAR10_CLASSES),
    )
    return s


def main(argv: Sequence[str] | None = None, default_out: Path | None = None) -> None:
    """The command line of ``scripts/make_embedded16.py``; ``default_out`` is ``--out``'s default (the script
    passes its checkout's ``src/e2nas/_data/cifar10_jpeg16.npz``)."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("source", help="cifar10_jpeg_60k.zip (or its unpacked folder)")
    ap.add_argument("--out", type=Path, default=default_out, required=default_out is None)
    args = ap.parse_args(argv)
    s = build_embedded16(args.source, args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]
    print(f"{args.out}: train {s.train.x.shape}, valid {s.valid.x.shape}, sha256 {digest}")
