"""Novelty weight schedules gamma(t) (docs/reference/method.md#novelty-weight-schedules).

E²NAS minimises (1 - gamma_t) * L_val + gamma_t * log p_A(z). Two schedules:

  * static ``"0.5"``: gamma_t = 0.5 for every epoch (any value in [0, 1]);
  * sigmoid ``"sig:K"``: gamma_t = 1 - sigmoid(K * (2 t / T - 1)), t = epoch (0-based), T = epochs.
    It starts near 1 (explore: gamma_0 = sigmoid(K)), crosses 0.5 at t = T/2 and ends near 0 (exploit);
    larger K makes the switch sharper. The paper's headline setting is K = 10.

They live in ``e2nas.novelty`` because gamma only weighs the novelty term; the searcher parses the CLI
string with ``parse_gamma``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


class GammaParseError(ValueError):
    """A gamma schedule string that is neither a number in [0, 1] nor ``sig:K``."""


class GammaSchedule(Protocol):
    def __call__(self, epoch: int, epochs: int) -> float: ...

    def spec(self) -> str: ...


@dataclass(frozen=True)
class StaticGamma:
    value: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.value) and 0.0 <= self.value <= 1.0):
            raise GammaParseError(f"a static gamma must be in [0, 1], got {self.value}")

    def __call__(self, epoch: int, epochs: int) -> float:
        return self.value

    def spec(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class SigmoidGamma:
    k: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.k) and self.k > 0):
            raise GammaParseError(f"the sigmoid steepness K in sig:K must be a positive number, got {self.k}")

    def __call__(self, epoch: int, epochs: int) -> float:
        if epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {epochs}")
        u = self.k * (2.0 * epoch / epochs - 1.0)
        return 1.0 - 1.0 / (1.0 + math.exp(-u))

    def spec(self) -> str:
        return f"sig:{self.k:g}"


def parse_gamma(text: str | float | GammaSchedule) -> GammaSchedule:
    """``"0.5"`` -> StaticGamma(0.5); ``"sig:10"`` -> SigmoidGamma(10); anything else -> GammaParseError."""
    if isinstance(text, StaticGamma | SigmoidGamma):
        return text
    if isinstance(text, int | float):
        return StaticGamma(float(text))
    s = str(text).strip().lower()
    usage = "use a number in [0, 1] (static, e.g. 0.5) or sig:K with K > 0 (e.g. sig:10)"
    if s.startswith(("sig:", "sigmoid:")):
        arg = s.split(":", 1)[1]
        try:
            k = float(arg)
        except ValueError:
            raise GammaParseError(f"bad gamma schedule {text!r}: K in sig:K must be a number; {usage}") from None
        try:
            return SigmoidGamma(k)
        except GammaParseError:
            raise GammaParseError(f"bad gamma schedule {text!r}: K must be > 0; {usage}") from None
    try:
        v = float(s)
    except ValueError:
        raise GammaParseError(f"bad gamma schedule {text!r}; {usage}") from None
    try:
        return StaticGamma(v)
    except GammaParseError:
        raise GammaParseError(f"bad gamma schedule {text!r}: a static gamma must lie in [0, 1]; {usage}") from None
