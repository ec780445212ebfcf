"""Shared fixtures: the real ground-truth table, loaded once per session; registries restored after each test."""

from __future__ import annotations

import collections
import importlib

import pytest
import torch

from e2nas.spaces.nb201 import GroundTruth


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    """Files with more tests marked ``slow`` (end-to-end runs, exports, sweeps) first, each file's tests kept
    together and in file order (a module-scoped fixture is built once): with one test process per core
    (pytest-xdist, whole files per process) the long files then start first and the many short ones fill in
    around them instead of a long file ending the run alone."""
    slow = collections.Counter(item.module.__name__ for item in items if item.get_closest_marker("slow"))
    items.sort(key=lambda item: -slow[item.module.__name__])


@pytest.fixture(scope="session")
def gt() -> GroundTruth:
    return GroundTruth()


@pytest.fixture(autouse=True)
def _few_threads():
    # CI has 2 cores shared with other jobs; with 2 threads a busy machine makes every small op ~50x slower
    # (OpenMP threads wait for each other), so tests run single-threaded
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session", autouse=True)
def _few_threads_for_shared_fixtures():
    # the same for module-scoped fixtures (a shared search run): pytest builds them before a test's function-scoped
    # fixtures, so without this the first one in a process runs with torch's default thread count
    torch.set_num_threads(1)


#: every name -> plug-in registry of the package, as (module, attribute). A test that registers a throwaway
#: searcher, space, preset, dataset, monitor, layout or train preset must not change what later tests see (what
#: ``method: all`` expands to, say); a registry that moves must be listed here under its new name.
REGISTRIES = (
    ("e2nas.searchers.registry", "_PLUGINS"),
    ("e2nas.spaces.registry", "_PLUGINS"),
    ("e2nas.engine.config", "PRESETS"),
    ("e2nas.data.registry", "DATASETS"),
    ("e2nas.train.data", "_SOURCES"),
    ("e2nas.experiments.monitors.registry", "MONITORS"),
    ("e2nas.experiments.paper.layouts", "LAYOUTS"),
    ("e2nas.train.config", "TRAIN_PRESETS"),
)


def registry_dicts() -> list[dict]:
    """The dicts behind :data:`REGISTRIES` (each a :class:`~e2nas.plugins.PluginRegistry` or a
    :class:`~e2nas.plugins.Registry`). Plug-in registries are read through ``classes()`` first, so the built-in
    plug-ins are discovered before a snapshot (a restore must keep them: discovery runs only once)."""
    from e2nas.plugins import PluginRegistry

    out = []
    for module, attr in REGISTRIES:
        reg = getattr(importlib.import_module(module), attr)
        out.append(reg.classes() if isinstance(reg, PluginRegistry) else reg.entries())
    return out


@pytest.fixture(autouse=True)
def _restore_registries():
    # tests register into these at will (tests/package/test_registries.py checks that nothing leaks); register
    # test-only plug-ins in a fixture or the test itself, never at import time, or every test sees them
    regs = registry_dicts()
    saved = [dict(r) for r in regs]
    yield
    for reg, before in zip(regs, saved, strict=True):
        reg.clear()
        reg.update(before)


def _write_image_folder(root, per_class=6, classes=(0, 1, 2), names=None, fmt="png"):
    """The first ``per_class`` embedded (real CIFAR-10) images of each class as ``root/train/<name>/NNNN.<fmt>``;
    returns {class folder: [images]}."""
    import numpy as np
    from PIL import Image

    from e2nas.data import load_embedded

    d = load_embedded()
    written = {}
    for c in classes:
        name = names[c] if names else f"class{c}"
        (root / "train" / name).mkdir(parents=True, exist_ok=True)
        idx = np.flatnonzero(d.y == c)[:per_class]
        for k, i in enumerate(idx):
            Image.fromarray(d.x[i]).save(root / "train" / name / f"{k:04d}.{fmt}")
        written[name] = [d.x[i] for i in idx]
    return written


@pytest.fixture
def make_image_folder():
    """``make_image_folder(root, per_class=6, classes=(0, 1, 2), names=None, fmt="png")``: an ImageFolder of real
    CIFAR-10 images (see ``_write_image_folder``)."""
    return _write_image_folder
