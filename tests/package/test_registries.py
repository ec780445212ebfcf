"""Registries are restored after each test (tests/conftest.py ``_restore_registries``), so what a test registers
never reaches a later one. The first test registers throwaway entries everywhere; the next ones, run after it,
see none of them."""

from __future__ import annotations

from conftest import registry_dicts
from e2nas.experiments.sweep import parse_sweep
from e2nas.searchers import get_searcher_class, list_searchers, register_searcher
from e2nas.spaces import get_space, list_spaces, register_space

THROWAWAY = "test-throwaway-registry-entry"


def test_a_test_registers_a_throwaway_searcher_and_more():
    class _Searcher(get_searcher_class("random")):
        name = THROWAWAY
        description = "test only"

    class _Space(type(get_space("nb201"))):
        name = THROWAWAY
        description = "test only"

    register_searcher(_Searcher)
    register_space(_Space)
    for reg in registry_dicts()[2:]:  # presets, datasets, sources, monitors, layouts
        reg[THROWAWAY] = object()
    assert THROWAWAY in list_searchers() and THROWAWAY in list_spaces()
    methods = {r.method for r in parse_sweep({"method": "all", "preset": "smoke"}).runs}
    assert THROWAWAY in methods
    assert all(THROWAWAY in reg for reg in registry_dicts())


def test_a_later_test_sees_the_registries_clean():
    assert all(THROWAWAY not in reg for reg in registry_dicts())
    assert THROWAWAY not in list_searchers() and THROWAWAY not in list_spaces()
    methods = {r.method for r in parse_sweep({"method": "all", "preset": "smoke"}).runs}
    assert THROWAWAY not in methods


def test_only_the_package_registers_plugins_at_import_time():
    # a test module that registered at import time would put its plug-in into every test's snapshot, and
    # `method: all` would depend on which test modules were collected
    for reg in registry_dicts()[:2]:
        assert {n: c.__module__ for n, c in reg.items() if not c.__module__.startswith("e2nas.")} == {}
