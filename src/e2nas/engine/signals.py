"""Ctrl-C and SIGTERM handled alike by long-running commands (a search, a sweep)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

#: what stops a run: a terminal's Ctrl-C, and `kill` / a cluster scheduler's warning
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def on_stop_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """Install ``handler`` for SIGINT and SIGTERM while the block runs, then restore the previous handlers.
    Setting SIGINT explicitly matters: a shell without job control starts background jobs with it ignored.
    Signal handlers can only be set from the main thread; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)
