"""Probabilistic novelty (GPND) of a latent point relative to an archive of visited cells, and gamma schedules."""

from e2nas.novelty.archive import Archive, cell_onehot
from e2nas.novelty.gennorm import GeneralizedGaussian, fit_gennorm
from e2nas.novelty.gpnd import (
    GPNDTerms,
    NoveltyConfig,
    NoveltyModel,
    decoder_jacobian,
    gpnd_terms,
    sphere_log_const,
)
from e2nas.novelty.kde import ReflectedKDE, bandwidth
from e2nas.novelty.schedules import GammaParseError, GammaSchedule, SigmoidGamma, StaticGamma, parse_gamma

__all__ = [
    "Archive",
    "cell_onehot",
    "GeneralizedGaussian",
    "fit_gennorm",
    "GPNDTerms",
    "NoveltyConfig",
    "NoveltyModel",
    "decoder_jacobian",
    "gpnd_terms",
    "sphere_log_const",
    "ReflectedKDE",
    "bandwidth",
    "GammaParseError",
    "GammaSchedule",
    "SigmoidGamma",
    "StaticGamma",
    "parse_gamma",
]
