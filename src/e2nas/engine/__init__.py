"""The search engine: configs/presets, the bilevel loop, checkpoints, logging and results."""

from e2nas.engine.checkpoint import CheckpointError
from e2nas.engine.config import (
    DEFAULT_METHOD,
    DEFAULT_PRESET,
    PRESETS,
    ConfigError,
    SearchConfig,
    make_config,
)
from e2nas.engine.load import kept_epochs, load_supernet, read_run_config
from e2nas.engine.loop import SearchEngine, SearchError, cosine_lr, plateau_lr, run_search, scheduled_lr
from e2nas.engine.resume import ResumeError, resume_config

__all__ = [
    "DEFAULT_METHOD",
    "DEFAULT_PRESET",
    "PRESETS",
    "CheckpointError",
    "ConfigError",
    "ResumeError",
    "SearchConfig",
    "SearchEngine",
    "SearchError",
    "cosine_lr",
    "plateau_lr",
    "scheduled_lr",
    "kept_epochs",
    "load_supernet",
    "make_config",
    "read_run_config",
    "resume_config",
    "run_search",
]
