"""Retraining a found architecture from scratch (Algorithm 1, line 9): configs/presets and the training loop."""

from e2nas.train.config import TRAIN_PRESETS, TrainConfig, TrainConfigError, make_train_config
from e2nas.train.loop import Trainer, TrainError

__all__ = ["TRAIN_PRESETS", "TrainConfig", "TrainConfigError", "TrainError", "Trainer", "make_train_config"]
