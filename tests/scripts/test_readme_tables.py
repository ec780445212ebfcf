"""scripts/readme_tables.py: the Table 1 of README and of the cpu analysis is what the committed run records give,
not a hand copy."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "readme_tables.py"


def _module():
    spec = importlib.util.spec_from_file_location("readme_tables", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, mod)
    spec.loader.exec_module(mod)
    return mod


def test_readme_and_analysis_table1_match_the_committed_records():
    mod = _module()
    for name, preset, columns in mod.TARGETS:
        text = (ROOT / name).read_text()
        block = mod.table1(columns=columns, preset=preset)
        assert block in text, f"{name}'s {preset} Table 1 is out of date: run python scripts/readme_tables.py"
        assert mod.update(text, block, preset) == text
    lines = mod.table1().splitlines()
    assert any(x.startswith("| largest cell (#1462") for x in lines) and any(
        x.startswith("| median cell") for x in lines
    )
    assert "largest visited: C10 valid" in lines[1]


def test_update_replaces_only_the_block_and_needs_the_markers():
    mod = _module()
    text = f"intro\n{mod.BEGIN}\nold table\n{mod.END}\noutro\n"
    assert mod.update(text, f"{mod.BEGIN}\nnew\n{mod.END}") == f"intro\n{mod.BEGIN}\nnew\n{mod.END}\noutro\n"
    with pytest.raises(SystemExit):
        mod.update("no markers", "x")
