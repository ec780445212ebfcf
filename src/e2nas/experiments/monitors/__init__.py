"""Epoch-end monitors of the supernet, one registry for every space: Kendall τ against NB201's ground truth
(``kendall``), the forgetting of visited NB201 cells (``forgetting``) and of the first reported architectures
on any space (``arch-forgetting``, Fig. 1(b) on DARTS). A sweep names them under ``monitors:``; each monitor
declares the spaces it works on (:class:`Monitor`), and a sweep that puts one on another space fails when it is
parsed, not after an epoch of training.
"""

from e2nas.experiments.monitors.arch_forgetting import ArchForgettingMonitor
from e2nas.experiments.monitors.base import Monitor, MonitorError, due
from e2nas.experiments.monitors.nb201 import ForgettingMonitor, KendallMonitor
from e2nas.experiments.monitors.registry import (
    MONITORS,
    build_monitors,
    check_spaces,
    get_monitor_class,
    list_monitors,
    register_monitor,
)

__all__ = [
    "MONITORS",
    "ArchForgettingMonitor",
    "ForgettingMonitor",
    "KendallMonitor",
    "Monitor",
    "MonitorError",
    "build_monitors",
    "check_spaces",
    "due",
    "get_monitor_class",
    "list_monitors",
    "register_monitor",
]
