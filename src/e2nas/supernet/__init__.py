"""The weight-sharing NB201 supernet and its forward modes."""

from e2nas.supernet.network import SearchCell, Supernet

__all__ = ["SearchCell", "Supernet"]
