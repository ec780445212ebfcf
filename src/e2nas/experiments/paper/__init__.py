"""The E²NAS paper's experiments: its table and figure layouts (``e2nas report --layout``), their figures, and
``e2nas reproduce``, which runs the sweeps of ``sweeps/paper/`` and writes the reports."""
