"""Matplotlib with the file-only Agg backend, imported when a figure is drawn (never at import time)."""

from __future__ import annotations

from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` set to Agg, so drawing works without a display."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt
