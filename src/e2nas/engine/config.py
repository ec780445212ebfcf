"""Search configuration (one dataclass) and its presets.

Defaults are the AutoDL-Projects NB201 search hyperparameters (docs/reference/hyperparameters.md).
``DEFAULT_METHOD`` and ``DEFAULT_PRESET`` are the single place the CLI defaults come from.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from e2nas.plugins import Registry
from e2nas.spaces.registry import DEFAULT_SPACE, LEGACY_SPACE

#: method used when none is given (``e2nas search`` without ``--method``)
DEFAULT_METHOD = "e2nas"
#: preset used when none is given
DEFAULT_PRESET = "cpu-pretrained"
#: config fields that may differ between a run and its resumption (they do not change the result on CPU)
RESUME_FREE_FIELDS = frozenset(
    {"device", "data_dir", "threads", "cuda_graphs", "rank_cells", "rank_images", "rank_seed", "snapshot_every"}
)
#: fields added after checkpoint format 2, with the value that reproduces runs made before them: a checkpoint
#: whose fingerprint lacks such a field is read as having that value
LATER_FIELDS: dict[str, Any] = {
    "eval_bn": "batch",
    "bn_calib_images": 256,
    "lr_schedule": "cosine",
    "lr_patience": 5,
    "lr_factor": 0.5,
    "init_supernet": None,
    "warmup_epochs": 0,
    "max_params": None,
    "max_flops": None,
    "budget_weight": 1.0,
}
#: weight learning-rate schedules (``lr_schedule``): per-step cosine to lr_min, constant lr, or plateau (halve on a
#: stall of the epoch's mean training loss)
LR_SCHEDULES = ("cosine", "constant", "plateau")
#: BN statistics of inherited-weight evaluations (candidate ranking, monitors, the final ranking check)
EVAL_BN_MODES = ("batch", "running", "recal")
#: values of the GPU speed knobs (docs/engine.md): graph replay of the loss passes, autocast precision
CUDA_GRAPH_MODES = ("off", "on", "auto")
PRECISIONS = ("fp32", "bf16")


class ConfigError(ValueError):
    """An invalid configuration value (user error)."""


@dataclass
class SearchConfig:
    """Everything that determines a search run (together with the code version)."""

    method: str = DEFAULT_METHOD
    preset: str = "custom"
    space: str = DEFAULT_SPACE  # search space (see `e2nas spaces`)
    # data
    dataset: str = "embedded"  # a name of e2nas.data.DATASETS (`e2nas search --help`)
    data_dir: str | None = None
    image_size: int | None = None  # resize every image to S x S (None: as stored)
    train_size: int | None = None  # first images of every class of the search-train half (None: all)
    valid_size: int | None = None  # same for the search-valid half
    batch_size: int = 64
    steps_per_epoch: int | None = None  # None: one pass over the search-train half
    # supernet
    C: int = 16
    N: int = 5
    track_running_stats: bool = True
    # warm start: "shipped" (the package's pretrained supernet), a supernet.pt / snapshot file, or a run directory
    init_supernet: str | None = None
    # the first warmup_epochs of `epochs` train weights only, on uniformly random cells (no architecture updates)
    warmup_epochs: int = 0
    channels_last: bool | None = None  # NHWC memory format; None = on CPU only (faster convs there: docs/engine.md)
    cuda_graphs: str = "off"  # off | on | auto: replay the loss passes from CUDA graphs (CUDA only)
    precision: str = "fp32"  # fp32 | bf16 (autocast of the supernet passes)
    # weight optimisation (SGD; lr per step by lr_schedule)
    epochs: int = 250
    lr: float = 0.025
    lr_min: float = 0.001
    lr_schedule: str = "cosine"  # cosine | constant | plateau (LR_SCHEDULES)
    lr_patience: int = 5  # plateau: epochs without a 1 % better mean training loss before the lr is cut
    lr_factor: float = 0.5  # plateau: the cut (lr x factor, never below lr_min)
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    grad_clip: float = 5.0
    # architecture optimisation (defaults for searchers that use ctx.make_arch_optimizer)
    arch_lr: float = 3e-4
    arch_betas: tuple[float, float] = (0.5, 0.999)
    arch_weight_decay: float = 1e-3
    # method
    epsilon: float = 0.0  # complementation switch (docs/reference/method.md), 0 = off
    options: dict[str, Any] = field(default_factory=dict)  # searcher options (--opt key=value)
    eval_batches: int = 1  # valid batches per candidate when a searcher ranks cells
    # budget (docs/searchers.md#budgets): millions at the space's evaluation-network scale; None = no limit
    max_params: float | None = None
    max_flops: float | None = None
    budget_weight: float = 1.0  # weight of the expected-cost penalty of the differentiable methods
    # BN statistics when cells are scored with inherited weights: "batch" (the batch's own, as RSPS/SETN) or
    # "running" (the supernet's running statistics, eval mode; ranks under-trained CPU supernets better,
    # docs/results/ranking)
    eval_bn: str = "batch"
    # eval_bn "recal": BN statistics re-estimated per cell on the first bn_calib_images search-train images
    bn_calib_images: int = 256
    # final ranking check (results.json "ranking"): stratified cells x valid images; rank_cells=0 skips it
    rank_cells: int = 100
    rank_images: int | None = None  # None: every image of the search-valid half
    rank_seed: int = 0
    snapshot_every: int | None = None  # keep the supernet of every E-th epoch in snapshots/ (for `rank --epoch`)
    # run
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None  # torch CPU threads (None: leave torch's setting alone)

    def validate(self) -> None:
        checks = [
            (self.C >= 1 and self.N >= 1, f"C and N must be positive, got C={self.C}, N={self.N}"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch size must be >= 1, got {self.batch_size}"),
            (self.steps_per_epoch is None or self.steps_per_epoch >= 1, "steps_per_epoch must be >= 1"),
            (self.lr > 0 and self.lr_min >= 0, f"lr must be > 0 and lr_min >= 0, got {self.lr}, {self.lr_min}"),
            (0.0 <= self.epsilon <= 1.0, f"epsilon must be in [0, 1], got {self.epsilon}"),
            (
                self.lr_schedule in LR_SCHEDULES,
                f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}",
            ),
            (self.lr_patience >= 1, f"lr_patience must be >= 1, got {self.lr_patience}"),
            (
                0 <= self.warmup_epochs < self.epochs,
                f"warmup_epochs must be in [0, epochs) = [0, {self.epochs}), got {self.warmup_epochs}",
            ),
            (0.0 < self.lr_factor < 1.0, f"lr_factor must be in (0, 1), got {self.lr_factor}"),
            (self.eval_batches >= 1, "eval_batches must be >= 1"),
            (_positive(self.max_params), f"--max-params must be a positive number of millions, got {self.max_params}"),
            (_positive(self.max_flops), f"--max-flops must be a positive number of millions, got {self.max_flops}"),
            (self.budget_weight >= 0, f"budget_weight must be >= 0, got {self.budget_weight}"),
            (
                self.image_size is None or 4 <= self.image_size <= 512,
                f"image_size must be in [4, 512], got {self.image_size}",
            ),
            (self.train_size is None or self.train_size >= 1, f"train_size must be >= 1, got {self.train_size}"),
            (
                self.rank_cells == 0 or self.rank_cells >= 2,
                f"rank_cells must be 0 (off) or >= 2, got {self.rank_cells}",
            ),
            (self.rank_images is None or self.rank_images >= 1, f"rank_images must be >= 1, got {self.rank_images}"),
            (self.snapshot_every is None or self.snapshot_every >= 1, "snapshot_every must be >= 1"),
            (self.valid_size is None or self.valid_size >= 1, f"valid_size must be >= 1, got {self.valid_size}"),
            (
                self.cuda_graphs in CUDA_GRAPH_MODES,
                f"cuda_graphs must be one of {CUDA_GRAPH_MODES}, got {self.cuda_graphs!r}",
            ),
            (self.precision in PRECISIONS, f"precision must be one of {PRECISIONS}, got {self.precision!r}"),
            (
                self.eval_bn in EVAL_BN_MODES,
                f"eval_bn must be one of {', '.join(EVAL_BN_MODES)}, got {self.eval_bn!r}",
            ),
            (
                self.eval_bn == "batch" or self.track_running_stats,
                f"eval_bn={self.eval_bn!r} needs BN running statistics; drop track_running_stats=false or use "
                "eval_bn=batch",
            ),
            (self.bn_calib_images >= 1, f"bn_calib_images must be >= 1, got {self.bn_calib_images}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ConfigError(msg)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["arch_betas"] = list(self.arch_betas)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SearchConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        if "arch_betas" in kw:
            kw["arch_betas"] = tuple(kw["arch_betas"])
        return cls(**kw)

    def use_channels_last(self) -> bool:
        return self.channels_last if self.channels_last is not None else self.device.startswith("cpu")

    def fingerprint(self) -> dict[str, Any]:
        """The fields a resumed run must share with the checkpoint. The space is left out for the legacy space
        (NB201), so checkpoints written before spaces were plug-ins still resume."""
        fp = {k: v for k, v in self.to_dict().items() if k not in RESUME_FREE_FIELDS}
        if fp["space"] == LEGACY_SPACE:
            del fp["space"]
        return fp


#: preset name -> a fresh :class:`SearchConfig` of it (``--preset``), in the order the CLI lists them
PRESETS: Registry[Callable[[], SearchConfig]] = Registry("preset", ConfigError)


def _positive(v: float | None) -> bool:
    """None, or a finite number > 0."""
    return v is None or (isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < float("inf"))


@PRESETS.register("paper")
def _paper() -> SearchConfig:
    # docs/reference/hyperparameters.md: C=16, N=5, CIFAR-10 cifar10-valid split 25k/25k, 250 epochs, batch 64
    return SearchConfig(preset="paper", dataset="cifar10", C=16, N=5, epochs=250, batch_size=64)


@PRESETS.register("cpu")
def _cpu() -> SearchConfig:
    # the default CPU protocol: C=8, N=1 on 10k search-train / 2k search-valid images of the shipped 16x16 CIFAR-10
    # sample, lr 0.05 (twice NB201's: more ranking per step), 16 epochs = 2,496 steps, as many as the default E²NAS
    # search (its step costs several RandomNAS steps) fits into about 10 minutes on 2 cores; cells are scored with
    # BN running statistics because its supernets rank better that way. The measured step times and τ behind
    # these choices: docs/results/ranking/report.md
    return SearchConfig(
        preset="cpu",
        dataset="embedded16",
        train_size=10_000,
        C=8,
        N=1,
        epochs=16,
        batch_size=64,
        lr=0.05,
        eval_batches=4,
        eval_bn="running",
    )


@PRESETS.register("cpu-pretrained")
def _cpu_pretrained() -> SearchConfig:
    # the `cpu` protocol started from the pretrained supernet shipped in the package (docs/results/pretrain): the
    # search's steps fine-tune a supernet that already ranks cells instead of training one from scratch, so 9
    # epochs (1,404 steps) instead of 16 keep the default E²NAS search within 10 minutes on 2 cores (measured:
    # docs/pretrain.md); cells are scored with BN batch statistics, which rank long-trained supernets better
    cfg = _cpu()
    cfg.preset = "cpu-pretrained"
    cfg.epochs = 9
    cfg.init_supernet = "shipped"
    cfg.eval_bn = "batch"
    return cfg


@PRESETS.register("cpu-base")
def _cpu_base() -> SearchConfig:
    # the base protocol of the ranking study (docs/results/ranking, sweeps/ranking): all 25k search-train images,
    # NB201's lr 0.025, 16 epochs (6,240 steps); kept so the study's sweep files reproduce its runs
    return SearchConfig(preset="cpu-base", dataset="embedded16", C=8, N=1, epochs=16, batch_size=64, eval_batches=4)


@PRESETS.register("cpu-small")
def _cpu_small() -> SearchConfig:
    # reduced supernet on the embedded 2k/2k CIFAR-10 sample: one GDAS run in a few minutes on 2 cores
    return SearchConfig(preset="cpu-small", dataset="embedded", C=8, N=1, epochs=25, batch_size=64, eval_batches=2)


@PRESETS.register("smoke")
def _smoke() -> SearchConfig:
    # for tests and quick checks: a few seconds
    return SearchConfig(
        preset="smoke",
        dataset="embedded",
        C=4,
        N=1,
        epochs=2,
        batch_size=16,
        steps_per_epoch=3,
        eval_batches=1,
        rank_cells=10,
        rank_images=64,
    )


def make_config(
    preset: str = DEFAULT_PRESET, method: str = DEFAULT_METHOD, space: str | None = None, **overrides: Any
) -> SearchConfig:
    """A preset for ``method`` on ``space`` with ``overrides`` applied (``None`` values are ignored).

    The space's ``config_overrides`` for the preset come first (e.g. the DARTS space's own hyperparameters),
    then, in the ``paper`` preset, the searcher's ``paper_overrides`` (e.g. DARTS' 50 epochs), then the caller's.
    """
    cfg = PRESETS.get(preset)()
    cfg.method = method
    from e2nas.searchers import SearcherError, check_space, get_searcher_class
    from e2nas.spaces import SpaceError, get_space

    cfg.space = space or DEFAULT_SPACE
    try:
        space_cls = type(get_space(cfg.space))
    except SpaceError as err:
        raise ConfigError(str(err)) from None
    names = {f.name for f in dataclasses.fields(SearchConfig)}
    for k, v in space_cls.config_overrides.get(preset, {}).items():
        if k not in names:  # a space plug-in's mistake, not the user's
            raise TypeError(f"space {cfg.space!r} overrides unknown config field {k!r}")
        setattr(cfg, k, v)

    # the method's own default epsilon (E²NAS: 0.5); an explicit epsilon override wins below. An unknown
    # method is reported where the searcher is created.
    with contextlib.suppress(SearcherError):
        cfg.epsilon = get_searcher_class(method).default_epsilon
        try:
            check_space(method, cfg.space)
        except SearcherError as err:
            raise ConfigError(str(err)) from None
    if preset == "paper":
        for k, v in get_searcher_class(method).paper_overrides.items():
            setattr(cfg, k, v)
    for k, v in overrides.items():
        if v is None:
            continue
        if k not in names:
            raise ConfigError(f"unknown config field {k!r}")
        setattr(cfg, k, tuple(v) if k == "arch_betas" else v)
    cfg.validate()
    return cfg
