"""Experiments: sweeps over methods/seeds/settings, paper-format reports, plots and supernet monitors.

Submodules are imported on use (``e2nas.experiments.sweep``, ``.report``, ``.plots``, ``.monitors``) so that
importing the package stays cheap.
"""
