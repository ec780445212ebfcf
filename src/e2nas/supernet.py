"""Deprecated: the NB201 supernet moved to :mod:`e2nas.spaces.nb201` as ``NB201Supernet`` (DARTS' to
:mod:`e2nas.spaces.darts`, inherited-weight evaluation to :mod:`e2nas.inherited`).

Kept so that code written against ``e2nas.supernet`` keeps running; it re-exports ``Supernet`` and
``SearchCell`` under their old names and warns once on import. Nothing inside e2nas imports this module
(tests/package).
"""

import warnings

from e2nas.spaces.nb201 import NB201SearchCell as SearchCell
from e2nas.spaces.nb201 import NB201Supernet as Supernet

warnings.warn(
    "e2nas.supernet is deprecated; use e2nas.spaces.nb201 (or e2nas.spaces.get_space('nb201').supernet(...))",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["SearchCell", "Supernet"]
