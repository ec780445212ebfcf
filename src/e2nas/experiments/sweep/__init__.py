"""Sweeps: a grid of searches (methods × seeds × presets × datasets × ε × options) from one YAML file.

Every run gets its own directory, named from its settings, so re-running a sweep skips finished runs
(``results.json`` present) and resumes interrupted ones (``checkpoint.pt`` present). Runs execute in separate
worker processes (one process per run, so a crash takes down only its run) or as tasks on a Ray cluster. A
failing run leaves ``error.json`` in its directory and an entry in the sweep summary; the others go on.

One job per module: :mod:`.spec` (the YAML schema, validation, expansion into runs), :mod:`.run` (one run),
:mod:`.local` (the worker-process engine), :mod:`.ray` (the Ray engine) and :mod:`.driver` (a sweep: what to
run, the engine, the summary). The names below are the package's interface; import them from here.
"""

from e2nas.experiments.sweep.driver import ENGINES, run_sweep, summary_path
from e2nas.experiments.sweep.ray import run_task
from e2nas.experiments.sweep.run import BUSY, BUSY_EXIT, execute_run, run_status
from e2nas.experiments.sweep.spec import (
    BLOCK_KEYS,
    KEYS,
    PRESET_FIELD,
    RunSpec,
    Sweep,
    SweepError,
    load_sweep,
    parse_sweep,
    read_sweep_file,
)

__all__ = [
    "BLOCK_KEYS",
    "BUSY",
    "BUSY_EXIT",
    "ENGINES",
    "KEYS",
    "PRESET_FIELD",
    "RunSpec",
    "Sweep",
    "SweepError",
    "execute_run",
    "load_sweep",
    "parse_sweep",
    "read_sweep_file",
    "run_status",
    "run_sweep",
    "run_task",
    "summary_path",
]
