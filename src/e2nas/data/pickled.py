"""One dataset batch file in the official python-pickle format, read through the allow-list unpickler and
checked: a dict with the image rows and labels of the expected shape, dtype and range. Any fault is one
:class:`DataFormatError` line naming the file and what was expected."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from e2nas.safeio import FileAccessError, describe_os_error, restricted_load


class DataFormatError(FileAccessError):
    """A dataset file that exists but is corrupt, hostile, or not in the expected format."""


def read_batch(
    path: Path, label_key: str, side: int, num_classes: int, first_label: int = 0, fix: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """(rows uint8 (N, 3·side·side) in CHW order, labels int64 (N,)) of one batch file.

    Labels must lie in ``first_label .. first_label + num_classes - 1`` (ImageNet16 is 1-based over its 1,000
    classes); ``fix`` (how to get good files) ends every error line.
    """
    tail = f"; {fix}" if fix else ""
    try:
        with open(path, "rb") as fh:
            obj = restricted_load(fh)
    except OSError as err:
        raise FileAccessError(describe_os_error(err, "read dataset file", path)) from None
    except pickle.UnpicklingError as err:
        if str(err).startswith("refused"):
            raise DataFormatError(
                f"dataset file {path} is not an official dataset file / unsafe content (e2nas {err}; the official "
                f"files hold only dicts, lists, strings, ints and numpy arrays), nothing was run{tail}"
            ) from None
        raise DataFormatError(f"dataset file {path} is corrupt or truncated ({err}){tail}") from None
    except Exception as err:  # noqa: BLE001 - EOFError, ValueError, ...: all mean a damaged file
        raise DataFormatError(
            f"dataset file {path} is corrupt or truncated ({type(err).__name__}); expected a pickled dict{tail}"
        ) from None
    return _check(path, obj, label_key, side, num_classes, first_label, tail)


def _check(
    path: Path, obj: object, label_key: str, side: int, num_classes: int, first_label: int, tail: str
) -> tuple[np.ndarray, np.ndarray]:
    width = 3 * side * side
    if not isinstance(obj, dict):
        raise DataFormatError(f"dataset file {path} holds a {type(obj).__name__}, expected a dict{tail}")
    obj = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}
    missing = [k for k in ("data", label_key) if k not in obj]
    if missing:
        raise DataFormatError(
            f"dataset file {path} lacks key(s) {', '.join(missing)} (has {', '.join(map(str, list(obj)[:6]))}); "
            f"expected 'data' and '{label_key}'{tail}"
        )
    data = obj["data"]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != width or data.dtype != np.uint8:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataFormatError(
            f"dataset file {path}: 'data' is {got}, expected uint8 rows of {width} values (3x{side}x{side}){tail}"
        )
    try:
        labels = np.asarray(obj[label_key])
        ok = labels.ndim == 1 and np.issubdtype(labels.dtype, np.integer)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise DataFormatError(f"dataset file {path}: '{label_key}' must be a flat list of integers{tail}")
    labels = labels.astype(np.int64)
    if len(labels) != len(data):
        raise DataFormatError(
            f"dataset file {path} has {len(data)} images but {len(labels)} '{label_key}', expected one each{tail}"
        )
    hi = first_label + num_classes - 1
    if len(labels) and (labels.min() < first_label or labels.max() > hi):
        raise DataFormatError(
            f"dataset file {path}: '{label_key}' range {labels.min()}..{labels.max()}, expected {first_label}..{hi}"
            f"{tail}"
        )
    return data, labels
