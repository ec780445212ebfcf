"""Supernet ranking quality (Kendall τ, Spearman ρ, top-10 % precision, intervals) against a space's ground truth."""

from e2nas.ranking.core import (
    RANK_METRIC,
    RANKING_FILE,
    TABLE_YARDSTICKS,
    YARDSTICKS,
    RankError,
    Ranking,
    beats_params_line,
    conv_count,
    format_ranking,
    rank_scores,
    rank_supernet,
    read_ranking,
    sample_cells,
    top_precision,
)

__all__ = [
    "RANK_METRIC",
    "RANKING_FILE",
    "TABLE_YARDSTICKS",
    "YARDSTICKS",
    "RankError",
    "Ranking",
    "conv_count",
    "beats_params_line",
    "format_ranking",
    "rank_scores",
    "rank_supernet",
    "read_ranking",
    "sample_cells",
    "top_precision",
]
