"""Image folders as datasets: the ImageFolder layout (``ROOT/train/<class>/*.jpg|png``, optional ``ROOT/val/``),
read from a directory or straight from a ZIP archive of one, decoded with Pillow and optionally resized.

Images are stored with the classes interleaved (see ``_interleaved``). Without a ``val/`` folder the training
images are split deterministically and class-balanced: within each class,
files sorted by name, even positions form the search-train half and odd positions the search-valid half (the
nearest equivalent of NB201's 25k/25k ``cifar10-valid`` split for the 50k CIFAR-10 training images). Subsets of
either half take the first images of every class, so a smaller subset is always contained in a larger one.
"""

from __future__ import annotations

import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from e2nas.data.datasets import ArrayDataset, DataMissingError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
#: the official CIFAR-10 class order (folder names of the JPEG release in ``../shared/data``)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class FolderDataError(DataMissingError):
    """An image folder that cannot serve as a dataset (the message names the path and the fix)."""


@dataclass(frozen=True)
class _Source:
    """A directory or a ZIP file, addressed by POSIX paths relative to the folder that holds ``train/``."""

    root: Path
    archive: zipfile.ZipFile | None
    prefix: str  # inside the archive: the member prefix of the folder holding train/

    def classes(self, split: str) -> dict[str, list[str]]:
        """{class name: sorted image paths} of ``split`` (``train`` or ``val``); empty if the split is absent."""
        out: dict[str, list[str]] = {}
        if self.archive is None:
            base = self.root / split
            if not base.is_dir():
                return {}
            for cdir in sorted(p for p in base.iterdir() if p.is_dir()):
                files = sorted(f.name for f in cdir.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file())
                out[cdir.name] = [f"{split}/{cdir.name}/{f}" for f in files]
            return out
        head = f"{self.prefix}{split}/"
        for name in self.archive.namelist():
            if not name.startswith(head) or name.endswith("/"):
                continue
            parts = PurePosixPath(name[len(self.prefix) :]).parts
            if len(parts) == 3 and PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES:
                out.setdefault(parts[1], []).append(name[len(self.prefix) :])
        return {k: sorted(v) for k, v in sorted(out.items())}

    def read(self, rel: str) -> bytes:
        if self.archive is None:
            return (self.root / rel).read_bytes()
        return self.archive.read(self.prefix + rel)

    def where(self, rel: str) -> str:
        return str(self.root / rel) if self.archive is None else f"{self.root}:{self.prefix}{rel}"


def _open(path: Path) -> _Source:
    if not path.exists():
        raise FolderDataError(
            f"image folder {path} does not exist; pass --data-dir DIR with DIR/train/<class>/*.jpg (or a .zip of it)"
        )
    if path.is_dir():
        return _Source(path, None, "")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise FolderDataError(
            f"{path} is neither a directory nor a readable ZIP archive ({err}); pass a folder with train/<class>/ "
            "images or a .zip of one"
        ) from None
    # the folder holding train/ may sit at the top of the archive or one level down (``cifar10-jpeg/train/...``)
    prefixes = sorted({n[: n.index("train/")] for n in archive.namelist() if "train/" in n}, key=len)
    prefix = next((p for p in prefixes if p.count("/") <= 1 and (p == "" or p.endswith("/"))), None)
    if prefix is None:
        raise FolderDataError(f"ZIP archive {path} holds no train/<class>/ folder at its top or one level down")
    return _Source(path, archive, prefix)


def _decode(src: _Source, rel: str, size: int | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(src.read(rel))) as im:
            im = im.convert("RGB")
            if size is not None and im.size != (size, size):
                # BOX = mean over each source pixel's footprint: exact 2x2 averages for 32 -> 16
                im = im.resize((size, size), Image.Resampling.BOX)
            return np.asarray(im, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise FolderDataError(
            f"{src.where(rel)} is not a readable image ({type(err).__name__}); remove it or replace it with a JPEG/PNG"
        ) from None


def _take(files: dict[str, list[str]], n: int | None, what: str, root: Path) -> dict[str, list[str]]:
    """The first images of each class so that ``n`` images are taken in all (balanced; None = all)."""
    if n is None:
        return files
    k = len(files)
    counts = [n // k + (1 if i < n % k else 0) for i in range(k)]
    short = [(c, len(v), m) for (c, v), m in zip(files.items(), counts, strict=True) if len(v) < m]
    if short:
        c, have, need = short[0]
        raise FolderDataError(
            f"{what} of {n} images needs {need} of class {c!r} but {root} has {have}; ask for at most "
            f"{min(len(v) for v in files.values()) * k} images"
        )
    return {c: v[:m] for (c, v), m in zip(files.items(), counts, strict=True)}


def _interleaved(files: dict[str, list[str]], names: list[str]) -> list[tuple[int, str]]:
    """(label, path) with the classes interleaved (the k-th image of every class, then the (k+1)-th ...): the
    first n images of the set are class-balanced, and fixed-order evaluation batches mix classes, as they must for
    batch-statistics BN (a batch of one class would normalise with that class's statistics)."""
    out = []
    for k in range(max((len(v) for v in files.values()), default=0)):
        out += [(names.index(c), rels[k]) for c, rels in files.items() if k < len(rels)]
    return out


def _load(src: _Source, files: dict[str, list[str]], names: list[str], size: int | None) -> ArrayDataset:
    items = _interleaved(files, names)
    with ThreadPoolExecutor(max_workers=4) as pool:  # Pillow releases the GIL while decoding
        images = list(pool.map(lambda it: _decode(src, it[1], size), items))
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise FolderDataError(
            f"images in {src.root} have different sizes ({', '.join(sorted(str(s[:2]) for s in shapes)[:3])}); pass "
            "--image-size S to resize them all to S x S"
        )
    x = np.stack(images)
    y = np.array([label for label, _ in items], dtype=np.int64)
    return ArrayDataset(x, y, family="folder", num_classes=len(names))


def _with_stats(d: ArrayDataset, stats: tuple[tuple[float, ...], tuple[float, ...]]) -> ArrayDataset:
    return ArrayDataset(d.x, d.y, d.family, d.num_classes, stats)


@dataclass(frozen=True)
class FolderSplit:
    """What :func:`load_folder` read: the two halves and the class names (index = label)."""

    train: ArrayDataset
    valid: ArrayDataset
    class_names: tuple[str, ...]
    has_val_folder: bool


def load_folder(
    data_dir: str | Path,
    image_size: int | None = None,
    train_size: int | None = None,
    valid_size: int | None = None,
) -> FolderSplit:
    """Search-train and search-valid sets of an ImageFolder directory or ZIP (see the module docstring)."""
    root = Path(data_dir).expanduser()
    if image_size is not None and not 4 <= image_size <= 512:
        raise FolderDataError(f"--image-size must be between 4 and 512 pixels, got {image_size}")
    src = _open(root)
    train_files = src.classes("train")
    if not train_files:
        raise FolderDataError(
            f"{root} has no train/<class>/ folders with .jpg/.jpeg/.png images; lay it out as "
            f"{root}/train/<class>/<image>.jpg (and optionally {root}/val/<class>/...)"
        )
    empty = [c for c, v in train_files.items() if not v]
    if empty:
        raise FolderDataError(
            f"class folder {root}/train/{empty[0]} holds no .jpg/.jpeg/.png images; fill or remove it"
        )
    if len(train_files) < 2:
        raise FolderDataError(f"{root}/train has {len(train_files)} class folder; a classifier needs at least 2")
    names = list(train_files)
    val_files = src.classes("val")
    if val_files:
        extra = sorted(set(val_files) - set(names))
        if extra:
            raise FolderDataError(
                f"{root}/val has class {extra[0]!r} that {root}/train lacks; use the same class folders"
            )
        tr, va = train_files, {c: val_files.get(c, []) for c in names}
    else:
        small = [c for c, v in train_files.items() if len(v) < 2]
        if small:
            raise FolderDataError(
                f"class {small[0]!r} in {root}/train has 1 image; splitting train into search-train/valid needs >= 2 "
                "per class (or add a val/ folder)"
            )
        tr = {c: v[0::2] for c, v in train_files.items()}
        va = {c: v[1::2] for c, v in train_files.items()}
    tr = _take(tr, train_size, "a training set", root)
    va = _take(va, valid_size, "a validation set", root)
    if not any(va.values()):
        raise FolderDataError(f"{root}/val holds no images; fill it or remove it to split train/ instead")
    try:
        train = _load(src, tr, names, image_size)
        valid = _load(src, va, names, image_size)
    finally:
        if src.archive is not None:
            src.archive.close()
    if train.x.shape[1:] != valid.x.shape[1:]:
        raise FolderDataError(
            f"train and val images in {root} differ in size ({train.x.shape[1:3]} vs {valid.x.shape[1:3]}); pass "
            "--image-size S"
        )
    # a user's images have no published normalisation: per-channel mean/std of the search-train images
    flat = train.x.reshape(-1, 3).astype(np.float64) / 255.0
    stats = (tuple(float(v) for v in flat.mean(0)), tuple(float(max(v, 1e-3)) for v in flat.std(0)))
    return FolderSplit(_with_stats(train, stats), _with_stats(valid, stats), tuple(names), bool(val_files))
