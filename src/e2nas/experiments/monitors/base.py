"""What every supernet monitor is: an engine epoch hook with settings, a name and the spaces it works on."""

from __future__ import annotations

from typing import Any, ClassVar


class MonitorError(ValueError):
    """A bad monitor name or setting, or a monitor on a space it does not work on (user error)."""


class Monitor:
    """An epoch hook (``SearchEngine(..., epoch_hooks=[...])``) that a sweep names under ``monitors:``.

    Subclasses are dataclasses whose fields are the settings a sweep file may give. At the end of an epoch a
    monitor scores architectures with inherited weights through ``ctx.evaluate``/``ctx.evaluate_images`` (no
    side effects on the supernet or any RNG) and returns fields for that epoch's ``log.jsonl`` line, or None.
    Monitors keep no state apart from their settings, so a resumed run continues them unchanged.
    """

    #: the key in a sweep's ``monitors:`` mapping
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: the search spaces it works on; None: every space (it needs only the space interface)
    spaces: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def supports(cls, space: str) -> bool:
        return cls.spaces is None or space in cls.spaces

    def __call__(self, ctx: Any, record: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any] | None:
        raise NotImplementedError


def due(epoch: int, every: int, epochs: int) -> bool:
    """Epochs 1-based: every ``every``-th epoch, the first and the last."""
    return epoch == 1 or epoch % every == 0 or epoch == epochs
