"""An allow-list unpickler for dataset files in the official CIFAR-10/100 and ImageNet16 python formats.

Those files are pickled dicts of strings, bytes, ints, lists and numpy arrays. Rebuilding an array needs
numpy's ``_reconstruct``, ``ndarray`` and ``dtype`` (``_frombuffer`` for protocol 5, ``_codecs.encode``
restricted to latin-1 for arrays pickled by Python 3 with protocol 2), each wrapped to refuse object arrays
and array subclasses. Every other global is refused before it
is imported, so a hostile file cannot call anything.
"""

from __future__ import annotations

import codecs
import pickle
from typing import IO, Any

import numpy as np

try:  # numpy >= 2 moved the implementation; pickles name either module
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct  # type: ignore[no-redef]


def _ndarray_reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError("array subclasses are not allowed")
    return _reconstruct(subtype, shape, dtype)


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    """Protocol-5 arrays: numeric data from the pickle's own buffer, never an object array."""
    dt = np.dtype(dtype)
    if dt.hasobject:
        raise pickle.UnpicklingError("refused an object array (only numeric arrays are allowed)")
    return np.frombuffer(buf, dtype=dt).reshape(shape, order="F" if order == "F" else "C").copy()


def _latin1_encode(obj: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:  # noqa: ARG001
    """``_codecs.encode`` as Python 3 protocol-2 pickles use it for bytes: str -> latin-1 bytes, nothing else."""
    if not isinstance(obj, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"_codecs.encode is only allowed for latin-1 text, not {encoding!r}")
    return codecs.encode(obj, "latin-1")


_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _ndarray_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _ndarray_reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class _DatasetUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed")


def restricted_load(fh: IO[bytes], encoding: str = "latin1") -> Any:
    """Unpickle ``fh`` admitting only dicts, lists, tuples, str, bytes, numbers and numpy arrays; raises
    ``pickle.UnpicklingError`` (``refused global ...``) on anything else. Object arrays are refused too."""
    obj = _DatasetUnpickler(fh, encoding=encoding).load()
    _refuse_object_arrays(obj)
    return obj


def _refuse_object_arrays(obj: Any, depth: int = 0) -> None:
    if depth > 4:
        return
    if isinstance(obj, np.ndarray) and obj.dtype.hasobject:
        raise pickle.UnpicklingError("refused an object array (only numeric arrays are allowed)")
    if isinstance(obj, dict):
        for v in obj.values():
            _refuse_object_arrays(v, depth + 1)
