"""Registries are restored after each test (tests/conftest.py ``_restore_registries``), so what a test registers
never reaches a later one. The first test registers throwaway entries everywhere; the next ones, run after it,
see none of them."""

from __future__ import annotations

import pytest

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
    for reg in registry_dicts()[2:]:  # presets, datasets, sources, monitors, layouts, train presets
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


def test_a_registry_registers_by_decorator_and_names_the_known_ones_on_a_miss():
    from e2nas.plugins import Registry

    class WidgetError(ValueError):
        pass

    reg: Registry[object] = Registry("widget", WidgetError)

    @reg.register("a")
    def make_a() -> str:
        return "a"

    reg.add("b", make_a)
    assert reg.get("a") is make_a and reg["b"] is make_a and reg.names() == ["a", "b"] and "a" in reg
    reg.add("a", make_a)  # the same object again (a module imported twice) is fine
    with pytest.raises(ValueError, match="widget name 'a' is taken"):
        reg.add("a", object())
    with pytest.raises(WidgetError, match="^unknown widget 'c'; choose one of a, b$"):
        reg.get("c")


def test_presets_datasets_and_layouts_name_the_known_ones_on_a_miss():
    from e2nas.data import DATASETS, DataMissingError, dataset_spec
    from e2nas.engine import PRESETS, ConfigError, make_config
    from e2nas.experiments.paper.layouts import LAYOUTS
    from e2nas.experiments.report import ReportError

    with pytest.raises(ConfigError, match=f"^unknown preset 'huge'; choose one of {', '.join(PRESETS.names())}$"):
        make_config("huge")
    with pytest.raises(DataMissingError, match="^unknown dataset 'mnist'; choose one of embedded, embedded16"):
        dataset_spec("mnist")
    with pytest.raises(ReportError, match="^unknown layout 'table9'; choose one of table1, table2, fig1a, fig1b$"):
        LAYOUTS.get("table9")
    assert PRESETS.names()[:2] == ["paper", "cpu"] and "folder" in DATASETS
