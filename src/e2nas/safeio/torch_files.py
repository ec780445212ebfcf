"""Torch files (``torch.save`` zips) read with the weights-only unpickler, so loading one cannot run code:
only tensors, numbers, strings, bytes and lists/tuples/dicts are rebuilt; any other pickled object (a class,
a function call such as ``os.system``) is refused before it is created."""

from __future__ import annotations

import io
import pickle
import pickletools
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2nas.safeio.errors import FileAccessError, describe_os_error

_GLOBAL = re.compile(r"[Uu]nsupported (?:global|class|GLOBAL)[: ]+(?:GLOBAL )?([\w.]+)")
#: globals the weights-only unpickler itself admits (left out when listing what a refused file holds)
_TORCH_OWN = ("torch.", "collections.OrderedDict", "builtins.set", "_codecs.encode")


class UnsafeFileError(ValueError):
    """The file holds pickled Python objects beyond tensors and plain containers (``names``: the globals)."""

    def __init__(self, path: Path, names: list[str]) -> None:
        shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "") if names else "unknown objects"
        super().__init__(f"{path} holds pickled Python objects ({shown})")
        self.path, self.names = path, names


class CorruptFileError(ValueError):
    """The file is not a complete torch file (truncated, garbage, empty); ``reason`` says what failed."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} is corrupt or not a torch file ({reason})")
        self.path, self.reason = path, reason


def load_torch_file(path: str | Path, what: str = "file") -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU with the three failure kinds told apart:
    :class:`FileAccessError` (OS error), :class:`UnsafeFileError`, :class:`CorruptFileError`."""
    import torch  # here, not at import time: the CLI imports this package before it needs torch

    p = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "pickle protocol N" notes from the weights-only unpickler
            return torch.load(p, map_location="cpu", weights_only=True)
    except OSError as err:
        raise FileAccessError(describe_os_error(err, f"read {what}", p)) from None
    except pickle.UnpicklingError as err:
        text = str(err)
        names = list(dict.fromkeys(_GLOBAL.findall(text))) or [
            g for g in pickle_scan(p).globals if not g.startswith(_TORCH_OWN)
        ]
        if names:  # it refers to code (a class, a function to call): refused before anything was imported
            raise UnsafeFileError(p, names) from None
        detail = next((ln.strip() for ln in text.split("WeightsUnpickler error:")[-1].splitlines() if ln.strip()), "")
        raise CorruptFileError(p, f"UnpicklingError: {detail[:100]}" if detail else "UnpicklingError") from None
    except Exception as err:  # noqa: BLE001 - truncated zips, garbage bytes: torch raises several kinds
        raise CorruptFileError(p, type(err).__name__) from None


@dataclass
class PickleScan:
    """What a pickle refers to, read opcode by opcode without executing anything."""

    globals: list[str] = field(default_factory=list)
    #: the first constants pushed (strings and ints), in order: enough to read a small header dict
    constants: list[Any] = field(default_factory=list)


def _pickle_bytes(p: Path) -> bytes:
    data = p.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
            return zf.read(names[0]) if names else b""
    return data


def pickle_scan(path: str | Path, max_constants: int = 64) -> PickleScan:
    """Globals (``module.name``) and leading constants of a raw pickle or a torch zip, for error messages and
    format sniffing. Never raises on a damaged file: it returns what it could read."""
    out = PickleScan()
    try:
        data = _pickle_bytes(Path(path))
    except (OSError, zipfile.BadZipFile, KeyError):
        return out
    memo: dict[int, Any] = {}
    recent: list[Any] = []  # string/int constants pushed so far (STACK_GLOBAL takes the last two)
    last: Any = None  # the value the previous opcode pushed, if it was a constant
    try:
        for op, arg, _pos in pickletools.genops(data):
            name, pushed = op.name, None
            if name in ("GLOBAL", "INST") and isinstance(arg, str):
                out.globals.append(arg.replace(" ", "."))
            elif name == "STACK_GLOBAL" and len(recent) >= 2:
                out.globals.append(f"{recent[-2]}.{recent[-1]}")
            elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[int(arg)] = last
            elif name == "MEMOIZE":
                memo[len(memo)] = last
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                pushed = memo.get(int(arg))
            elif isinstance(arg, str | int) and not isinstance(arg, bool) and name not in ("PROTO", "FRAME"):
                pushed = arg
                if len(out.constants) < max_constants:
                    out.constants.append(arg)
            if pushed is not None:
                recent.append(pushed)
            if name not in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
                last = pushed
    except Exception:  # noqa: BLE001 - a truncated pickle: keep what was read
        pass
    out.globals = list(dict.fromkeys(out.globals))
    return out


def pickle_globals(path: str | Path) -> list[str]:
    """``module.name`` of every global a pickle (or torch zip) would import, without importing any."""
    return pickle_scan(path).globals
