"""The ``e2nas`` command line. Each command group lives in its own module and registers on ``main.app``."""
