"""Search methods, one module each, registered by name (see docs/searchers.md)."""

from e2nas.searchers.base import (
    Batch,
    SearchContext,
    Searcher,
    SearcherError,
    SearcherOptions,
    parse_options,
    random_cell,
)
from e2nas.searchers.registry import create_searcher, get_searcher_class, list_searchers, register_searcher

__all__ = [
    "Batch",
    "SearchContext",
    "Searcher",
    "SearcherError",
    "SearcherOptions",
    "create_searcher",
    "get_searcher_class",
    "list_searchers",
    "parse_options",
    "random_cell",
    "register_searcher",
]
