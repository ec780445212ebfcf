"""Reading files that may be hostile and writing files that must never be half-written.

Nothing e2nas reads can run code: torch files go through the weights-only unpickler (:mod:`.torch_files`),
dataset pickles through an allow-list unpickler (:mod:`.unpickle`), everything else is JSON, CSV or YAML
(``safe_load``). A run directory has one writer at a time (:mod:`.lock`). Every write is atomic
(:mod:`.atomic`) and every OS error on a path becomes one :class:`FileAccessError` line naming the path and
the fix (:mod:`.errors`).
"""

from e2nas.safeio.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from e2nas.safeio.errors import FileAccessError, describe_os_error, ensure_dir, writable_dir
from e2nas.safeio.lock import LOCK_NAME, RunDirBusyError, held_by_other, hold_run_dir
from e2nas.safeio.torch_files import UnsafeFileError, load_torch_file, pickle_globals
from e2nas.safeio.unpickle import restricted_load

__all__ = [
    "LOCK_NAME",
    "FileAccessError",
    "RunDirBusyError",
    "UnsafeFileError",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "describe_os_error",
    "ensure_dir",
    "held_by_other",
    "hold_run_dir",
    "load_torch_file",
    "pickle_globals",
    "restricted_load",
    "writable_dir",
]
