"""The searcher interface: a searcher holds the method (architecture state, its optimizers, how a cell is
chosen); the engine (:mod:`e2nas.engine.loop`) holds the loop, the supernet weights and their optimizer.

One training step of the engine, for every searcher::

    searcher.epoch_start(ctx)                              # once per epoch
    loss = searcher.weight_loss(train_batch, ctx)          # engine: backward, clip 5, SGD step
    info = searcher.arch_step(train_batch, valid_batch, ctx)   # searcher updates its own arch state
    searcher.epoch_end(ctx)                                # once per epoch, then the engine logs
                                                           # current_cell() and extra_log()
    cell = searcher.final_cell(ctx)                        # once, after the last epoch

See docs/searchers.md for a worked example.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import torch
from torch import nn

from e2nas.spaces.base import Arch as Cell
from e2nas.spaces.base import SearchSpace

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from e2nas.spaces.base import SupernetLike as Supernet

Batch = tuple[torch.Tensor, torch.Tensor]
"""(images float32 (B,3,H,W) normalised, labels int64 (B,)), both already on the training device."""


class SearchSettings(Protocol):
    """The run settings a searcher may read (``ctx.config``; the engine's ``SearchConfig`` has them all)."""

    arch_lr: float
    arch_betas: tuple[float, float]
    arch_weight_decay: float
    eval_batches: int
    epochs: int
    seed: int


class SearcherError(ValueError):
    """Bad searcher name, option or option value (a user error: the CLI prints it as one line)."""


@dataclass
class SearcherOptions:
    """Base of every searcher's options dataclass. Fields must be int, float, bool or str (CLI ``--opt k=v``)."""


@dataclass
class SearchContext:
    """What the engine lends a searcher at every call. Attributes are updated in place by the engine."""

    supernet: Supernet
    config: SearchSettings
    space: SearchSpace  # the search space: architecture type, sampling, derivation (never its constants)
    device: torch.device
    w_optimizer: torch.optim.Optimizer  # SGD over supernet.weights(); read lr/momentum/wd from param_groups[0]
    criterion: nn.Module  # cross-entropy
    generator: torch.Generator  # the searcher's own RNG (CPU); checkpointed by the engine
    valid_batches: Callable[[int], Iterator[Batch]]  # valid_batches(n): n fixed, unaugmented valid batches
    epochs: int
    steps_per_epoch: int
    #: valid_images(n): the first n valid images (None: all), unaugmented, in fixed order (ranking, monitors)
    valid_images: Callable[[int | None], Iterator[Batch]] | None = None
    #: train_images(n): the first n search-train images, unaugmented, in fixed order (BN recalibration)
    train_images: Callable[[int | None], Iterator[Batch]] | None = None
    epoch: int = 0  # 0-based
    step: int = 0  # step within the epoch, 0-based
    global_step: int = 0
    #: an ``e2nas.engine.graphs.StepGraphs`` (not imported here: the engine sits above the searchers)
    graphs: Any = None  # CUDA-graph replay of the loss passes below (None: eager)
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext  # bf16 autocast or nothing
    #: the run's ``e2nas.searchers.budget.Budget`` (--max-params/--max-flops), or None
    budget: Any = None

    # -- budgets (docs/searchers.md#budgets) ---------------------------------------------------------------
    def within_budget(self, cell: Cell) -> bool:
        """Whether ``cell`` meets the run's budget (always, without one)."""
        return self.budget is None or self.budget.allows(cell)

    def random_candidate(self) -> Cell:
        """A uniformly random architecture, within the budget when there is one (rejection sampling)."""
        if self.budget is not None:
            cell = self.budget.sample(self.generator)
            if cell is not None:
                return cell
        return self.space.random_arch(self.generator)

    def budget_penalty(self, probs: torch.Tensor) -> torch.Tensor | None:
        """The expected-cost penalty of per-edge op probabilities ``probs`` (None without a budget): what the
        differentiable methods add to their arch loss."""
        return None if self.budget is None else self.budget.penalty(probs)

    @property
    def lr(self) -> float:
        """The weight optimizer's current learning rate (cosine schedule, set per step by the engine)."""
        return float(self.w_optimizer.param_groups[0]["lr"])

    @property
    def progress(self) -> float:
        """Fraction of the search done, in [0, 1): epoch + step/steps over epochs."""
        return (self.epoch + self.step / max(self.steps_per_epoch, 1)) / max(self.epochs, 1)

    def make_arch_optimizer(self, params: Any) -> torch.optim.Adam:
        """Adam with the config's arch hyperparameters (docs/reference/hyperparameters.md: lr 3e-4, betas
        (0.5, 0.999), wd 1e-3)."""
        c = self.config
        return torch.optim.Adam(params, lr=c.arch_lr, betas=tuple(c.arch_betas), weight_decay=c.arch_weight_decay)

    # -- the supernet's loss passes: eager, or replayed from CUDA graphs (engine/graphs.py) -----------------
    def cell_loss(self, batch: Batch, cell: Cell) -> tuple[torch.Tensor, torch.Tensor]:
        """(cross-entropy, logits) of the supernet's single path ``cell`` on ``batch``."""
        x, y = batch

        def fn(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            with self.autocast():
                logits = self.supernet.forward_cell(x, cell)
            return self.criterion(logits, y), logits

        if self.graphs is None or not torch.is_grad_enabled():
            return fn(x, y)
        key = ("cell", cell.ops, self.supernet.training)
        return self.graphs.loss(key, fn, (x, y), params=self._weights())

    def st_loss(self, batch: Batch, cell: Cell, H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(cross-entropy, logits) of the single path ``cell`` with straight-through op weights ``H`` (6x5); the
        gradient reaches ``H`` (not the supernet weights when graphs are on: arch steps need only ``H``'s)."""
        x, y = batch

        def fn(x: torch.Tensor, y: torch.Tensor, H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            with self.autocast():
                logits = self.supernet.forward_st(x, cell, H)
            return self.criterion(logits, y), logits

        if self.graphs is None or not (torch.is_grad_enabled() and H.requires_grad):
            return fn(x, y, H)
        return self.graphs.loss(("st", cell.ops, self.supernet.training), fn, (x, y), arch=(H,))

    def mixture_loss(
        self, batch: Batch, W: torch.Tensor, weight_grads: bool | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(cross-entropy, logits) of the DARTS mixture with op weights ``W`` (6x5). Gradients go to ``W`` when
        it requires them and to the supernet weights when ``weight_grads`` (default: when ``W`` does not)."""
        x, y = batch

        def fn(x: torch.Tensor, y: torch.Tensor, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            with self.autocast():
                logits = self.supernet.forward_mixture(x, W)
            return self.criterion(logits, y), logits

        if self.graphs is None or not torch.is_grad_enabled():
            return fn(x, y, W)
        weight_grads = not W.requires_grad if weight_grads is None else weight_grads
        params = self._weights() if weight_grads else ()
        key = ("mixture", self.supernet.training)
        if W.requires_grad:
            return self.graphs.loss(key, fn, (x, y), params=params, arch=(W,))
        return self.graphs.loss(key, fn, (x, y, W), params=params)

    def _weights(self) -> tuple[torch.Tensor, ...]:
        return tuple(self.supernet.weights())

    def evaluate(self, cells: list[Cell], batches: int | None = None) -> list[tuple[float, float]]:
        """(valid loss, valid accuracy %) of each cell with its inherited weights, on the same fixed batches
        (:func:`e2nas.inherited.evaluate_cells`: the config's ``eval_bn`` statistics, no trace left on
        the supernet)."""
        from e2nas.inherited import evaluate_cells

        n = self.config.eval_batches if batches is None else batches
        return evaluate_cells(
            self.supernet, cells, self.valid_batches(n), self.criterion, bn=self.config.eval_bn, calib=self.calib()
        )

    def calib(self) -> list[Batch] | None:
        """The training batches BN is recalibrated on per cell (``eval_bn="recal"``), else None."""
        if self.config.eval_bn != "recal":
            return None
        if self.train_images is None:
            raise RuntimeError("eval_bn recal needs a SearchContext with a train_images source")
        return list(self.train_images(getattr(self.config, "bn_calib_images", 256)))

    def evaluate_images(self, cells: list[Cell], images: int | None = None) -> tuple[list[tuple[float, float]], int]:
        """Like :meth:`evaluate` on the first ``images`` valid images (None: all), and how many that were; what
        ranking checks and monitors use, since a batch or two of 64 is noise."""
        from e2nas.inherited import evaluate_cells

        if self.valid_images is None:
            raise RuntimeError("this SearchContext has no valid_images source")
        batches = list(self.valid_images(images))
        scores = evaluate_cells(
            self.supernet, cells, batches, self.criterion, bn=self.config.eval_bn, calib=self.calib()
        )
        return scores, sum(len(y) for _, y in batches)

    def best_of(self, cells: list[Cell], by: str = "acc") -> tuple[Cell, dict[str, float]]:
        """The cell of ``cells`` the supernet scores best (:meth:`evaluate`) and its ``valid_loss``/``valid_acc``:
        highest accuracy, ties to the lower loss; with ``by="loss"`` lowest loss, ties to the higher accuracy.
        The first of equal candidates wins. Under a budget, candidates over it are dropped first (unless all are:
        then the engine replaces the answer)."""
        if self.budget is not None:
            cells = [c for c in cells if self.budget.allows(c)] or cells
        scores = self.evaluate(cells)
        if by == "loss":
            i = min(range(len(cells)), key=lambda k: (scores[k][0], -scores[k][1]))
        else:
            i = max(range(len(cells)), key=lambda k: (scores[k][1], -scores[k][0]))
        return cells[i], {"valid_loss": scores[i][0], "valid_acc": scores[i][1]}


class Searcher:
    """Base class of every search method. Subclass it, set ``name``/``description``/``Options`` and decorate the
    class with :func:`e2nas.searchers.register_searcher`.

    State listed in ``state_attrs`` is checkpointed automatically: tensors are cloned, anything with
    ``state_dict``/``load_state_dict`` (modules, optimizers) goes through those, other values are deep-copied.
    Values must be tensors, numbers, strings, None, cells or lists/tuples/dicts of them: checkpoints are read
    with the weights-only unpickler (``e2nas.engine.state_codec``), which rebuilds nothing else.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Options: ClassVar[type[SearcherOptions]] = SearcherOptions
    #: False if the method never uses validation batches during search (the engine then skips fetching them)
    needs_valid_batch: ClassVar[bool] = True
    #: True if the method trains one cell per step and so supports the complementation loss (``epsilon``)
    supports_epsilon: ClassVar[bool] = True
    #: True if the method's cells repeat from step to step (GDAS, E²NAS, DARTS' one mixture): CUDA graphs pay off
    #: (``cuda_graphs: auto`` turns them on); False for uniform sampling (RandomNAS), where captures would not
    cells_repeat: ClassVar[bool] = False
    #: epsilon used when the user gives none (E²NAS: 0.5, docs/reference/method.md#architecture-complementation);
    #: 0 = complementation off
    default_epsilon: ClassVar[float] = 0.0
    #: config fields the ``paper`` preset changes for this method (e.g. DARTS: {"epochs": 50})
    paper_overrides: ClassVar[dict[str, Any]] = {}
    #: search spaces the method works on (``e2nas methods`` lists them; others are refused with one line)
    spaces: ClassVar[tuple[str, ...]] = ("nb201",)
    #: True: the method needs nothing but the SearchSpace interface, so it also runs on every other registered
    #: space (a new space needs no searcher edits); ``spaces`` then names the built-in ones it is tested on
    any_space: ClassVar[bool] = False
    #: attribute names saved by the default state_dict()/load_state_dict()
    state_attrs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, options: SearcherOptions | None = None, epsilon: float = 0.0) -> None:
        self.options = options if options is not None else self.Options()
        if not 0.0 <= epsilon <= 1.0:
            raise SearcherError(f"epsilon must be in [0, 1], got {epsilon}")
        if epsilon and not self.supports_epsilon:
            raise SearcherError(f"{self.name} trains a mixture, not one cell per step: epsilon must be 0")
        self.epsilon = float(epsilon)

    # -- lifecycle -----------------------------------------------------------------------------------
    def setup(self, ctx: SearchContext) -> None:
        """Create architecture parameters (on ``ctx.device``) and their optimizers. Called once, before any
        checkpoint is restored; use ``ctx.generator`` for random initialisation."""

    def epoch_start(self, ctx: SearchContext) -> None:
        """Per-epoch schedules (e.g. GDAS' tau)."""

    def weight_loss(self, batch: Batch, ctx: SearchContext) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The loss on a train batch whose gradient trains the supernet weights: ``loss`` or ``(loss, logits)``
        (logits feed the logged train accuracy). The engine zeroes grads before, then backward, clip, SGD step."""
        raise NotImplementedError

    def arch_step(self, train_batch: Batch, valid_batch: Batch | None, ctx: SearchContext) -> dict[str, float]:
        """Update the architecture state (the searcher zeroes, backprops and steps its own optimizers).
        ``valid_batch`` is None if ``needs_valid_batch`` is False. Returned numbers are averaged per epoch
        into the log (e.g. ``{"arch_loss": ...}``)."""
        return {}

    def epoch_end(self, ctx: SearchContext) -> None:
        """End-of-epoch work (archive updates, periodic candidate evaluation, ...)."""

    def current_cell(self) -> Cell:
        """The architecture the method currently believes in (logged each epoch)."""
        raise NotImplementedError

    def final_cell(self, ctx: SearchContext) -> Cell:
        """The answer after the last epoch; may evaluate candidates with ``ctx.evaluate``."""
        return self.current_cell()

    def extra_log(self) -> dict[str, Any]:
        """JSON-serialisable extra fields for this epoch's log line (e.g. tau, gamma, novelty)."""
        return {}

    # -- checkpointing -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for attr in self.state_attrs:
            v = getattr(self, attr)
            if isinstance(v, torch.Tensor):
                out[attr] = v.detach().clone()
            elif hasattr(v, "state_dict") and hasattr(v, "load_state_dict"):
                out[attr] = copy.deepcopy(v.state_dict())
            else:
                out[attr] = copy.deepcopy(v)
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        missing = [a for a in self.state_attrs if a not in state]
        if missing:
            raise KeyError(f"searcher state lacks {missing}")
        for attr in self.state_attrs:
            cur, v = getattr(self, attr), state[attr]
            if isinstance(cur, torch.Tensor):
                with torch.no_grad():
                    cur.copy_(v)
            elif hasattr(cur, "state_dict") and hasattr(cur, "load_state_dict"):
                cur.load_state_dict(v)
            else:
                setattr(self, attr, copy.deepcopy(v))


# -- options parsing -------------------------------------------------------------------------------------
def parse_options(cls: type[SearcherOptions], values: dict[str, Any] | None) -> SearcherOptions:
    """Build ``cls`` from ``{key: value}`` where values may be strings from the CLI (``--opt tau_max=5``)."""
    values = dict(values or {})
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields)) or "(none)"
        raise SearcherError(f"unknown option {unknown[0]!r}; options of this method: {known}")
    kwargs = {}
    for key, raw in values.items():
        kwargs[key] = _convert(key, raw, hints[key])
    return cls(**kwargs)


def _convert(key: str, raw: Any, hint: Any) -> Any:
    base = hint
    if typing.get_origin(hint) is typing.Union or type(hint).__name__ == "UnionType":
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if raw is None or (isinstance(raw, str) and raw.lower() in ("none", "null")):
            return None
        base = args[0]
    if not isinstance(raw, str):
        return raw
    try:
        if base is bool:
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if base in (int, float, str):
            return base(raw)
    except ValueError:
        tname = getattr(base, "__name__", base)
        raise SearcherError(f"option {key}={raw!r}: expected a value of type {tname}") from None
    return raw
