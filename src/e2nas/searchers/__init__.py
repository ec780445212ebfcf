"""Search methods, one module each, registered by name (see docs/searchers.md)."""

from e2nas.searchers.base import (
    Batch,
    SearchContext,
    Searcher,
    SearcherError,
    SearcherOptions,
    parse_options,
)
from e2nas.searchers.registry import (
    check_space,
    create_searcher,
    get_searcher_class,
    list_searchers,
    register_searcher,
)

__all__ = [
    "Batch",
    "SearchContext",
    "Searcher",
    "SearcherError",
    "SearcherOptions",
    "check_space",
    "create_searcher",
    "get_searcher_class",
    "list_searchers",
    "parse_options",
    "register_searcher",
]
