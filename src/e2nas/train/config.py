"""``e2nas train`` configuration: one dataclass; the presets are each space's own recipe
(:attr:`e2nas.spaces.SearchSpace.train_presets`: NB201's 200-epoch training, DARTS' evaluation setting)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from e2nas.plugins import Registry
from e2nas.spaces import DEFAULT_SPACE, SpaceError, get_space

DEFAULT_TRAIN_PRESET = "cpu"
#: fields that may differ between a run and its resumption
RESUME_FREE_FIELDS = frozenset({"device", "data_dir", "threads"})


class TrainConfigError(ValueError):
    """An invalid training configuration (user error)."""


#: presets every space defines (its :attr:`~e2nas.spaces.SearchSpace.train_presets` holds the recipes): name -> what
#: it is for
TRAIN_PRESETS: Registry[str] = Registry("train preset", TrainConfigError)
TRAIN_PRESETS.add("paper", "the published recipe")
TRAIN_PRESETS.add("cpu", "a CPU-sized recipe")
TRAIN_PRESETS.add("smoke", "a few-second check")


@dataclass
class TrainConfig:
    """Everything that determines a training run (with the code version)."""

    arch: str  # the architecture in its space's string format
    space: str = DEFAULT_SPACE
    preset: str = "custom"
    dataset: str = "embedded"
    data_dir: str | None = None
    C: int = 16
    N: int = 5
    epochs: int = 200
    batch_size: int = 256
    steps_per_epoch: int | None = None  # None: one pass over the training set
    lr: float = 0.1
    lr_min: float = 0.0
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    grad_clip: float = 0.0  # 0 = no clipping
    auxiliary_weight: float = 0.0  # weight of the auxiliary head's loss; 0 = no auxiliary head
    drop_path: float = 0.0  # final drop-path probability (rises linearly from 0 over the epochs)
    cutout: int = 0  # side of the cutout square; 0 = off
    test_images: int | None = None  # test images scored after each epoch (None: all; the first ones otherwise)
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None

    def validate(self) -> None:
        checks = [
            (self.C >= 1 and self.N >= 1, f"C and N must be positive, got C={self.C}, N={self.N}"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch size must be >= 1, got {self.batch_size}"),
            (self.steps_per_epoch is None or self.steps_per_epoch >= 1, "steps_per_epoch must be >= 1"),
            (self.lr > 0 and self.lr_min >= 0, f"lr must be > 0 and lr_min >= 0, got {self.lr}, {self.lr_min}"),
            (self.auxiliary_weight >= 0 and self.grad_clip >= 0, "auxiliary_weight and grad_clip must be >= 0"),
            (0.0 <= self.drop_path < 1.0, f"drop_path must be in [0, 1), got {self.drop_path}"),
            (self.cutout >= 0, f"cutout must be >= 0, got {self.cutout}"),
            (self.test_images is None or self.test_images >= 1, "test_images must be >= 1"),
        ]
        for ok, msg in checks:
            if not ok:
                raise TrainConfigError(msg)
        try:
            space = get_space(self.space)
        except SpaceError as err:
            raise TrainConfigError(str(err)) from None
        if self.dataset not in space.train_datasets:
            raise TrainConfigError(
                f"the {self.space} network cannot train on {self.dataset!r}; it takes {', '.join(space.train_datasets)}"
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def fingerprint(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k not in RESUME_FREE_FIELDS}


def make_train_config(
    arch: str, space: str = DEFAULT_SPACE, preset: str = DEFAULT_TRAIN_PRESET, **overrides: Any
) -> TrainConfig:
    """The space's ``preset`` recipe for ``arch`` with ``overrides`` (``None`` values ignored). ``arch`` is
    checked and stored in the space's canonical string format."""
    TRAIN_PRESETS.get(preset)  # an unknown name: TrainConfigError naming the presets
    try:
        sp = get_space(space)
    except SpaceError as err:
        raise TrainConfigError(str(err)) from None
    parsed = sp.parse_network_arch(arch)  # ArchParseError names the bad part
    cfg = TrainConfig(arch=str(parsed), space=space, preset=preset, **sp.train_presets[preset])
    names = {f.name for f in dataclasses.fields(TrainConfig)} - {"arch", "space", "preset"}
    for k, v in overrides.items():
        if v is None:
            continue
        if k not in names:
            raise TrainConfigError(f"unknown train config field {k!r}")
        setattr(cfg, k, v)
    cfg.validate()
    return cfg
