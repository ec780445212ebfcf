"""Search under a parameter and/or FLOPs budget (``--max-params``, ``--max-flops``; millions, at the space's
evaluation-network scale, in the units of :meth:`e2nas.spaces.SearchSpace.cost`).

Two mechanisms, chosen by what a method optimises:

- **Candidate filtering** (RandomNAS, SETN, ENAS, NAO): the architectures a method ranks for its answer are
  restricted to those within budget (:meth:`SearchContext.best_of` drops the others; RandomNAS draws its
  candidates from the budget by rejection, :meth:`Budget.sample`).
- **Expected-cost penalty** (GDAS, GDAS-A, DARTS-V1/V2, E²NAS): the arch loss gains
  ``weight · Σ_metric relu(E[cost] / limit − 1)``, where ``E[cost] = base + Σ_e Σ_o p(e, o) · cost(e, o)`` is the
  cost expected under the method's per-edge op probabilities (E²NAS: the decoder's edge probabilities at z). The
  expected cost is ProxylessNAS' differentiable latency term (Cai et al., ICLR 2019, Eq. 2: E[latency] =
  Σ_i Σ_j p_j^i F(o_j^i)); FBNet (Wu et al., CVPR 2019) uses the same per-op sum. We follow ProxylessNAS' additive
  form and make it a hinge, so it pushes only while the expected architecture is over the budget and leaves the
  method unchanged inside it.

Either way the engine makes sure the answer is within budget (:mod:`e2nas.engine.loop`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from e2nas.spaces.base import Arch, ArchCost, SearchSpace, SpaceError

#: how many random draws :meth:`Budget.sample` tries before giving up on a tight budget
SAMPLE_TRIES = 2000


class BudgetError(ValueError):
    """A budget that cannot be met or used (a user error: one line, exit 2)."""


@dataclass
class Budget:
    """``max_params`` / ``max_flops`` in millions (None: no limit on that metric) on ``space``."""

    space: SearchSpace
    max_params: float | None = None
    max_flops: float | None = None
    weight: float = 1.0  # of the expected-cost penalty

    def __post_init__(self) -> None:
        for name, v in (("--max-params", self.max_params), ("--max-flops", self.max_flops)):
            if v is not None and not (v > 0 and v == v and v != float("inf")):
                raise BudgetError(f"{name} must be a positive number of millions, got {v}")
        if not self.space.has_eval_network:
            raise BudgetError(
                f"the {self.space.name} space has no evaluation network, so --max-params/--max-flops cannot be "
                "counted there; drop them"
            )
        smallest = self.space.smallest_cost()
        if smallest is not None and not smallest[1].within(self.max_params, self.max_flops):
            arch, cost = smallest
            raise BudgetError(
                f"no {self.space.name} architecture meets {self.describe()}: the smallest, "
                f"{self.space.format(arch)}{_index(self.space, arch)}, has {cost.params_M:.6f} M params and "
                f"{cost.flops_M:.6f} M FLOPs; raise the budget"
            )

    @property
    def active(self) -> bool:
        return self.max_params is not None or self.max_flops is not None

    def describe(self) -> str:
        parts = []
        if self.max_params is not None:
            parts.append(f"params <= {self.max_params:g} M")
        if self.max_flops is not None:
            parts.append(f"FLOPs <= {self.max_flops:g} M")
        return " and ".join(parts) or "no budget"

    def cost(self, arch: Arch) -> ArchCost:
        return self.space.cost(arch)

    def allows(self, arch: Arch) -> bool:
        return self.cost(arch).within(self.max_params, self.max_flops)

    def filter(self, archs: list[Arch]) -> list[Arch]:
        return [a for a in archs if self.allows(a)]

    def sample(self, generator: torch.Generator) -> Arch | None:
        """A random architecture within budget (rejection sampling from the space's uniform sampler), or None
        when ``SAMPLE_TRIES`` draws found none."""
        for _ in range(SAMPLE_TRIES):
            arch = self.space.random_arch(generator)
            if self.allows(arch):
                return arch
        return None

    def penalty(self, probs: torch.Tensor) -> torch.Tensor:
        """``weight · Σ relu(E[cost] / limit − 1)`` under per-edge op probabilities ``probs`` (num_edges x
        num_ops, rows summing to 1); differentiable in ``probs``, 0 inside the budget."""
        try:
            model = self.space.edge_costs()
        except SpaceError as err:
            raise BudgetError(str(err)) from None
        total = probs.new_zeros(())
        for metric, limit in (("params", self.max_params), ("flops", self.max_flops)):
            if limit is None:
                continue
            expected = model.expected(metric, probs)
            total = total + F.relu(expected / limit - 1.0)
        return self.weight * total

    def expected(self, probs: torch.Tensor) -> dict[str, float]:
        """The expected cost (log fields) under ``probs``."""
        model = self.space.edge_costs()
        with torch.no_grad():
            return {
                "expected_params_M": float(model.expected("params", probs)),
                "expected_flops_M": float(model.expected("flops", probs)),
            }

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_params_M": self.max_params,
            "max_flops_M": self.max_flops,
            "penalty_weight": self.weight,
            "flops_convention": self.space.flops_convention,
        }


def _index(space: SearchSpace, arch: Arch) -> str:
    index = space.describe(arch).get("index")
    return f" (index {index})" if index is not None else ""
