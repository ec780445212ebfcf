"""The bilevel search loop every searcher plugs into.

Per step: the searcher's ``weight_loss`` on a train batch (the engine does backward, grad-clip, SGD with a
per-step cosine lr), then the searcher's ``arch_step`` on a valid batch. Per epoch: a JSONL log line and an
atomic checkpoint. Data order/augmentation depend only on (seed, epoch, step) and every other RNG state is
checkpointed, so ``resume`` continues a killed run to the same result on CPU. The run directory, resume and
Ctrl-C are :class:`e2nas.engine.runloop.RunLoop`'s, shared with ``e2nas train``.
"""

from __future__ import annotations

import math
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from e2nas.data import DeviceLoader, Stream, has_ground_truth, search_split, seeded_generator
from e2nas.engine.checkpoint import FORMAT
from e2nas.engine.config import LATER_FIELDS, ConfigError, SearchConfig
from e2nas.engine.graphs import speed_knobs
from e2nas.engine.init_weights import load_into
from e2nas.engine.load import save_snapshot, snapshot_path
from e2nas.engine.meters import NonFiniteError, on_device
from e2nas.engine.meters import StepMeters as _Meters
from e2nas.engine.runloop import RunLoop, pick_device, seed_globals, versions
from e2nas.engine.runloop import cosine_lr as _cosine
from e2nas.safeio import atomic_write_json
from e2nas.searchers import SearchContext, Searcher, check_space, create_searcher, get_searcher_class
from e2nas.searchers.budget import Budget, BudgetError
from e2nas.spaces import Arch, get_space

#: ``hook(ctx, record, history)`` at every epoch end: this epoch's log record (not yet written) and the earlier
#: records (restored on resume); returns extra fields for the log line, or None
EpochHook = Callable[[SearchContext, dict[str, Any], list[dict[str, Any]]], "dict[str, Any] | None"]


class SearchError(RuntimeError):
    """The search itself failed (e.g. the loss became NaN); the message says where and what to try."""


def cosine_lr(cfg: SearchConfig, t: float) -> float:
    """Cosine from ``lr`` to ``lr_min`` over ``epochs``; ``t`` is the fractional epoch."""
    return _cosine(cfg.lr, cfg.lr_min, t, cfg.epochs)


#: plateau schedule: an epoch's mean training loss must beat the best so far by this fraction to count as progress
PLATEAU_THRESHOLD = 0.01


def plateau_lr(cfg: SearchConfig, history: list[dict[str, Any]]) -> float:
    """The plateau schedule's lr after the epochs in ``history``: start at ``lr``; an epoch whose mean training
    loss is not 1 % below the best so far is a bad epoch, and after more than ``lr_patience`` bad epochs in a row
    the lr is multiplied by ``lr_factor`` (never below ``lr_min``), as ``torch.optim.lr_scheduler.ReduceLROnPlateau``
    in relative-threshold mode does. Replayed from the log, so a resumed run needs no extra state."""
    lr, best, bad = cfg.lr, math.inf, 0
    for rec in history:
        loss = rec.get("train_loss")
        if loss is None or not math.isfinite(loss):
            continue
        if loss < best * (1.0 - PLATEAU_THRESHOLD):
            best, bad = loss, 0
        else:
            bad += 1
            if bad > cfg.lr_patience:
                lr, bad = max(lr * cfg.lr_factor, cfg.lr_min), 0
    return lr


def scheduled_lr(cfg: SearchConfig, t: float, history: list[dict[str, Any]]) -> float:
    """The weight lr at fractional epoch ``t`` under ``cfg.lr_schedule``."""
    if cfg.lr_schedule == "constant":
        return cfg.lr
    if cfg.lr_schedule == "plateau":
        return plateau_lr(cfg, history)
    return cosine_lr(cfg, t)


def peak_memory(device: torch.device) -> tuple[float, str]:
    """(MB, kind): CUDA max allocated on GPU runs, process peak RSS on CPU runs."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20, "cuda_max_memory_allocated"
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (rss_kb / 1024.0 if platform.system() != "Darwin" else rss_kb / 2**20), "peak_rss"


class _Progress:
    """A rich progress bar on stderr (epoch, loss, current cell, its GT accuracy, ETA); no-op when disabled."""

    def __init__(self, enabled: bool, total: int, done: int) -> None:
        self.enabled = enabled
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task("search", total=total, completed=done)

    def __enter__(self) -> _Progress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self.progress.stop()

    def update(self, description: str, advance: int = 0) -> None:
        if self.enabled:
            self.progress.update(self.task, description=description, advance=advance)


class SearchEngine(RunLoop):
    """Runs one search: ``SearchEngine(config, out_dir).run()`` returns the results dict (None if stopped).

    ``out_dir`` receives ``config.json``, ``log.jsonl`` (one line per epoch), ``checkpoint.pt`` and, at the end,
    ``results.json``.

    ``epoch_hooks`` are observers called at every epoch end, after the searcher's ``epoch_end`` and before the
    log line is written, as ``hook(ctx, record, history)``; the fields they return are added to the line. They
    must leave the supernet, the RNGs and the searcher as they found them (``ctx.evaluate`` does), so a run with
    hooks finds the same cells as one without; their time counts in the run's wall time.
    """

    command = noun = "search"
    checkpoint_format = FORMAT
    later_fields = LATER_FIELDS

    def __init__(
        self,
        config: SearchConfig,
        out_dir: str | Path,
        resume: bool = False,
        progress: bool = True,
        epoch_hooks: Sequence[EpochHook] = (),
        hold_lock: bool = True,
    ):
        super().__init__(config, out_dir, resume, progress, hold_lock)
        self.config: SearchConfig = config
        self.epoch_hooks = tuple(epoch_hooks)

    # -- setup -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        cfg = self.config
        self.device = device = pick_device(cfg.device, cfg.threads, ConfigError)
        self.budget = _budget(cfg)  # before the data: a budget no architecture meets fails at once
        train, valid = search_split(cfg.dataset, cfg.data_dir, cfg.image_size, cfg.train_size, cfg.valid_size)
        num_classes = train.classes
        cl = cfg.use_channels_last()
        self.train_loader = DeviceLoader(train, cfg.batch_size, device, cfg.seed, Stream.TRAIN, channels_last=cl)
        self.valid_loader = DeviceLoader(valid, cfg.batch_size, device, cfg.seed, Stream.VALID, channels_last=cl)
        self.steps = cfg.steps_per_epoch or len(self.train_loader)
        seed_globals(cfg.seed)
        self.space = space = get_space(cfg.space)
        check_space(cfg.method, cfg.space)
        self.supernet = space.supernet(cfg.C, cfg.N, num_classes, cfg.track_running_stats)
        # a warm start replaces the fresh weights (a resumed run's checkpoint replaces them again below)
        self.init_info = load_into(self.supernet, cfg, num_classes) if cfg.init_supernet else None
        self.supernet = self.supernet.to(device)
        if cl:
            self.supernet = self.supernet.to(memory_format=torch.channels_last)
        self.w_optimizer = torch.optim.SGD(
            self.supernet.weights(),
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.nesterov,
            weight_decay=cfg.weight_decay,
        )
        self.searcher: Searcher = create_searcher(cfg.method, cfg.options, cfg.epsilon)
        gen = seeded_generator(cfg.seed, Stream.SEARCHER)
        graphs, autocast = speed_knobs(cfg, device, self.searcher, self.supernet)
        self.ctx = SearchContext(
            supernet=self.supernet,
            config=cfg,
            space=space,
            device=device,
            w_optimizer=self.w_optimizer,
            criterion=nn.CrossEntropyLoss(),
            generator=gen,
            valid_batches=self.valid_loader.fixed,
            valid_images=self.valid_loader.images,
            train_images=self.train_loader.images,
            epochs=cfg.epochs,
            steps_per_epoch=self.steps,
            graphs=graphs,
            autocast=autocast,
            budget=self.budget,
        )
        self.searcher.setup(self.ctx)
        # the space's benchmark scores cells only for the datasets it was measured on (not a user's image folder)
        self.gt = space.ground_truth() if has_ground_truth(cfg.dataset) else None

    def _fingerprint(self) -> dict[str, Any]:
        fp = self.config.fingerprint()
        fp["searcher_options"] = _jsonable(vars(self.searcher.options))
        return fp

    # -- state -----------------------------------------------------------------------------------------
    def _fresh(self) -> None:
        self.epoch_started, self.meters, self.epoch_time = False, _Meters(), 0.0
        self.best: dict[str, Any] | None = None

    def _loop_state(self) -> dict[str, Any]:
        return {
            "epoch_started": self.epoch_started,
            "meters": self._meter_state(),
            "epoch_time": self.epoch_time + (time.perf_counter() - self.t_mark),
            "best": self.best,
            "supernet": self.supernet.state_dict(),
            "w_optimizer": self.w_optimizer.state_dict(),
            "searcher": self.searcher.state_dict(),
            "searcher_generator": self.ctx.generator.get_state(),
        }

    def _restore_state(self, state: dict[str, Any]) -> None:
        self.supernet.load_state_dict(state["supernet"])
        self.w_optimizer.load_state_dict(state["w_optimizer"])
        self.searcher.load_state_dict(state["searcher"])
        self.ctx.generator.set_state(state["searcher_generator"])
        self.epoch_started = state["epoch_started"]
        self.meters = _Meters(dict(state["meters"]["sums"]), dict(state["meters"]["counts"]))
        self.epoch_time, self.best = state["epoch_time"], state["best"]

    def _meter_state(self) -> dict[str, Any]:
        self._flush_meters()
        return {"sums": self.meters.sums, "counts": self.meters.counts}

    def _flush_meters(self) -> None:
        """Read the per-step values still on the device (GPU runs); a NaN among them is a SearchError."""
        try:
            self.meters.flush()
        except NonFiniteError as err:
            raise SearchError(
                f"{err.key} became {err.value} during epoch {self.epoch + 1} (step {self.step} or earlier); try a "
                f"lower --lr (now {self.config.lr}) or arch lr (now {self.config.arch_lr})"
            ) from None

    # -- the loop --------------------------------------------------------------------------------------
    def _running(self) -> _Progress:
        self.t_mark = self.t_start  # the current epoch's time is counted from here
        self.bar = _Progress(self.show_progress, self.config.epochs * self.steps, self.done_steps())
        return self.bar

    def _run_epoch(self, stop_at_step: int | None) -> bool:
        """Run (the rest of) ``self.epoch``; False if a stop was requested (state is at a step boundary)."""
        cfg, ctx, s = self.config, self.ctx, self.searcher
        ctx.epoch, ctx.step = self.epoch, self.step
        if not self.epoch_started:
            s.epoch_start(ctx)
            self.epoch_started = True
        order = self.train_loader.order(self.epoch)
        vorder = self.valid_loader.order(self.epoch) if s.needs_valid_batch else None
        params = list(self.supernet.weights())
        # constant and plateau lrs are fixed for the epoch (plateau replays the log once here)
        fixed_lr = None if cfg.lr_schedule == "cosine" else scheduled_lr(cfg, float(self.epoch), self.history)
        while self.step < self.steps:
            if self.should_stop(stop_at_step):
                return False
            ctx.epoch, ctx.step, ctx.global_step = self.epoch, self.step, self.done_steps()
            lr = fixed_lr if fixed_lr is not None else cosine_lr(cfg, self.epoch + self.step / self.steps)
            for g in self.w_optimizer.param_groups:
                g["lr"] = lr
            train_batch = self.train_loader.batch(self.epoch, self.step, order)
            valid_batch = self.valid_loader.batch(self.epoch, self.step, vorder) if vorder is not None else None
            self.supernet.train()
            self.w_optimizer.zero_grad(set_to_none=True)
            warmup = self.epoch < cfg.warmup_epochs
            out = self._warmup_loss(train_batch) if warmup else s.weight_loss(train_batch, ctx)
            loss, logits = out if isinstance(out, tuple) else (out, None)
            # on a GPU the loss stays there (checked when the meters are read); on the CPU it is checked now
            loss_value = loss.detach() if on_device(loss) else float(loss.detach())
            if isinstance(loss_value, float) and not math.isfinite(loss_value):
                raise SearchError(
                    f"weight loss became {loss_value} at epoch {self.epoch} step {self.step}; try a lower --lr "
                    f"(now {cfg.lr})"
                )
            loss.backward()
            nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            self.w_optimizer.step()
            info = {} if warmup else (s.arch_step(train_batch, valid_batch, ctx) or {})
            for k, v in info.items():
                if on_device(v):
                    self.meters.add(k, v)
                    continue
                v = float(v)
                if not math.isfinite(v):
                    raise SearchError(
                        f"{k} became {v} at epoch {self.epoch} step {self.step}; try a lower arch lr "
                        f"(now {cfg.arch_lr}) or --lr"
                    )
                self.meters.add(k, v)
            self.meters.add("train_loss", loss_value)
            if logits is not None:
                hits = (logits.detach().argmax(1) == train_batch[1]).float().mean()
                self.meters.add("train_acc", hits.double() * 100 if on_device(hits) else float(hits) * 100)
            self.step += 1
            if self.bar.enabled:
                self.bar.update(self._describe(self._shown_loss(loss_value)), advance=1)
        self._end_epoch()
        return True

    def _warmup_loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight-only warm-up step: cross-entropy of a uniformly random cell drawn from its own stream (seed,
        epoch, step), so neither the searcher's RNG nor a resume changes what the warm-up trains."""
        g = seeded_generator(self.config.seed, Stream.WARMUP, self.epoch, self.step)
        x, y = batch
        logits = self.supernet.forward_cell(x, self.space.random_arch(g))
        return self.ctx.criterion(logits, y), logits

    def _shown_loss(self, loss: float | torch.Tensor) -> float:
        """The loss for the progress bar: this step's on the CPU; on a GPU the last epoch's mean (no sync)."""
        if isinstance(loss, float):
            return loss
        return self.history[-1]["train_loss"] if self.history else float("nan")

    def _describe(self, loss: float, epoch: int | None = None) -> str:
        epoch = self.epoch + 1 if epoch is None else epoch
        last = self.history[-1] if self.history else None
        cell = "cell -"
        if last and last.get("ground_truth"):
            metric = self.space.judge_metric
            cell = f"cell #{last.get('cell_index', '?')} GT {last['ground_truth'][metric]:.2f}"
        elif last and last.get("cell_index") is not None:
            cell = f"cell #{last['cell_index']} (no ground truth)"
        return f"{self.config.method} epoch {epoch}/{self.config.epochs} loss {loss:.3f} {cell}"

    def _end_epoch(self) -> None:
        ctx = self.ctx
        ctx.step = self.steps
        self.searcher.epoch_end(ctx)
        cell = self.searcher.current_cell()
        now = time.perf_counter()
        summary = self._summary(cell)
        self._flush_meters()
        record: dict[str, Any] = {"epoch": self.epoch + 1, **self.meters.means()}
        record.update(
            {
                "lr": self.w_optimizer.param_groups[0]["lr"],
                "cell": self.space.format(cell),
                **{f"cell_{k}": v for k, v in self.space.describe(cell).items()},
                "ground_truth": summary,
                "time_s": self.epoch_time + (now - self.t_mark),
                "elapsed_s": self.elapsed + (now - self.t_start),
            }
        )
        if self.budget is not None:
            record["cell_cost"] = self.space.cost(cell).to_dict()
        extra = _jsonable(self.searcher.extra_log())
        record.update({k: v for k, v in extra.items() if k not in record})
        for hook in self.epoch_hooks:
            added = _jsonable(hook(ctx, record, self.history) or {})
            record.update({k: v for k, v in added.items() if k not in record})
        self.history.append(record)
        self._consider_best(cell, f"epoch {self.epoch + 1}", self.epoch + 1)
        self._append_log(record)
        self.epoch += 1
        self.step, self.epoch_started, self.meters = 0, False, _Meters()
        self.epoch_time, self.t_mark = 0.0, now
        self.bar.update(self._describe(record.get("train_loss", float("nan")), self.epoch))
        self._save()
        if self.config.snapshot_every and self.epoch % self.config.snapshot_every == 0:
            save_snapshot(snapshot_path(self.out, self.epoch), self.supernet)

    def _summary(self, cell: Arch) -> dict[str, float] | None:
        return None if self.gt is None else self.gt.summary(cell)

    def _consider_best(self, cell: Arch, where: str, epoch: int) -> None:
        """Keep the best architecture seen by the space's judge; without ground truth there is no best."""
        if self.gt is None or (self.budget is not None and not self.budget.allows(cell)):
            return  # under a budget, the best seen is the best seen within it
        metric = self.space.judge_metric
        acc = self.gt.value(cell, metric)
        if self.best is None or acc > self.best["ground_truth"][metric]:
            self.best = {
                "cell": self.space.format(cell),
                **self.space.describe(cell),
                "epoch": epoch,
                "seen": where,
                "ground_truth": self.gt.summary(cell),
            }

    def _finish(self, resumed: bool) -> dict[str, Any]:
        ctx = self.ctx
        ctx.epoch, ctx.step = self.config.epochs, 0
        final = self.searcher.final_cell(ctx)
        budget = None
        if self.budget is not None:
            final, budget = self._within_budget(final)
        self._consider_best(final, "final", self.config.epochs)
        wall = self.elapsed_s()
        ranking = self._final_ranking()
        mem, mem_kind = peak_memory(self.device)
        results = {
            "method": self.config.method,
            "preset": self.config.preset,
            "seed": self.config.seed,
            "epsilon": self.config.epsilon,
            "space": self.config.space,
            "final": {
                "cell": self.space.format(final),
                **self.space.describe(final),
                "ground_truth": self._summary(final),
                **({"cost": self.space.cost(final).to_dict()} if self.space.has_eval_network else {}),
            },
            "best": self.best,
            **({"budget": budget} if budget is not None else {}),
            "final_extra": _jsonable(self.searcher.extra_log()),
            "epochs": self.config.epochs,
            "steps_per_epoch": self.steps,
            "wall_time_s": wall,
            "ranking": ranking,
            "init_supernet": self.init_info,
            "warmup_epochs": self.config.warmup_epochs,
            "peak_memory_mb": mem,
            "peak_memory_kind": mem_kind,
            "device": str(self.device),
            "resumed": resumed,
            "config": self.config.to_dict(),
            "searcher_options": _jsonable(vars(self.searcher.options)),
            "versions": versions(),
        }
        return results

    def _within_budget(self, pick: Arch) -> tuple[Arch, dict[str, Any]]:
        """The answer under the run's budget: the searcher's pick when it is within, else the best-scored
        (inherited weights, ``ctx.best_of``) architecture the search visited (the cells of its epoch lines) that
        is within, else the best of random architectures within. Returns it and results.json's ``budget``."""
        budget, space, ctx = self.budget, self.space, self.ctx
        assert budget is not None
        out: dict[str, Any] = {
            **budget.to_dict(),
            "searcher_pick": {"cell": space.format(pick), **space.describe(pick), "cost": budget.cost(pick).to_dict()},
            "searcher_pick_within": budget.allows(pick),
            "replaced_by": None,
        }
        final = pick
        if not out["searcher_pick_within"]:
            visited = list(dict.fromkeys(space.parse(r["cell"]) for r in self.history))
            candidates = budget.filter(visited)
            how = f"best-scored of the {len(candidates)} visited architectures within the budget"
            if not candidates:
                drawn = [budget.sample(ctx.generator) for _ in range(FALLBACK_CANDIDATES)]
                candidates = list(dict.fromkeys(a for a in drawn if a is not None))
                how = f"best-scored of {len(candidates)} random architectures within the budget (none visited was)"
            final, score = ctx.best_of(candidates)
            out["replaced_by"] = {"how": how, **score}
            print(
                f"budget: the searcher's answer {space.format(pick)} is over {budget.describe()} "
                f"({out['searcher_pick']['cost']}); returning the {how}: {space.format(final)}",
                file=sys.stderr,
                flush=True,
            )
        out["final_cost"] = budget.cost(final).to_dict()
        out["final_within"] = budget.allows(final)
        yardstick = space.budget_yardstick(budget.max_params, budget.max_flops) if self.gt is not None else None
        if yardstick is not None:
            out["ground_truth_under_budget"] = yardstick
        return final, out

    def _final_ranking(self) -> dict[str, Any] | None:
        """Kendall τ & co. of the final supernet (not counted in the search's wall time); None when off or when
        the dataset has no ground truth in the run's space."""
        cfg = self.config
        if cfg.rank_cells == 0 or self.gt is None:
            return None
        from e2nas.ranking import rank_supernet
        from e2nas.ranking.yardsticks import yardstick_scores

        images = None if cfg.rank_images is None else min(cfg.rank_images, len(self.valid_loader.y))
        # the free yardsticks (the space's benchmark columns) ride along, so results.json says how τ compares with
        # params τ; the proxies cost seconds per cell and are left to `e2nas rank`
        table = tuple(self.space.table_yardsticks)
        r = rank_supernet(
            self.supernet,
            self.valid_loader,
            cfg.rank_cells,
            images,
            cfg.rank_seed,
            bn=cfg.eval_bn,
            calib=self.ctx.calib(),
            yardsticks=(lambda cells: yardstick_scores(table, cells, space_name=cfg.space)) if table else None,
            space=self.space,
        )
        atomic_write_json(self.paths.ranking, r.to_dict())
        return r.summary()


#: random architectures within the budget the engine ranks when nothing the search visited is within it
FALLBACK_CANDIDATES = 20


def _budget(cfg: SearchConfig) -> Budget | None:
    if cfg.max_params is None and cfg.max_flops is None:
        return None
    try:
        return Budget(get_space(cfg.space), cfg.max_params, cfg.max_flops, cfg.budget_weight)
    except BudgetError as err:
        raise ConfigError(str(err)) from None


def _jsonable(obj: Any) -> Any:
    """Numbers, strings, lists and dicts as JSON takes them (tensors/numpy scalars become floats)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "ops") and hasattr(obj, "num_ops"):  # an architecture of some space: its string format
        return str(obj)
    return obj


def run_search(
    config: SearchConfig, out_dir: str | Path, resume: bool = False, progress: bool = False
) -> dict[str, Any] | None:
    """Convenience wrapper: run (or resume) a search and return its results (None if interrupted)."""
    get_searcher_class(config.method)  # fail early on unknown names
    return SearchEngine(config, out_dir, resume=resume, progress=progress).run()
