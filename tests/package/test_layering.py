"""Each search space is one folder, reached through the registry.

Nothing outside ``e2nas/spaces/<name>/`` imports ``e2nas.spaces.<name>`` (or anything under it): generic code
asks ``get_space(name)`` and the :class:`~e2nas.spaces.SearchSpace` interface. Modules that genuinely need a
space's internals are listed in :data:`ALLOWED` with the reason; the list may only shrink (an entry that no
longer imports a space fails the test). Nothing in the package or the tests imports the deprecated shims
(``e2nas.space``, ``e2nas.benchmark``, ``e2nas.nn``, ``e2nas.supernet``), except the test that checks them.
Every import counts: top level, inside functions and under ``TYPE_CHECKING`` (as in test_imports.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import e2nas

ROOT = Path(e2nas.__file__).parent
TESTS = Path(__file__).resolve().parents[1]
SPACES = sorted(p.name for p in (ROOT / "spaces").iterdir() if (p / "__init__.py").is_file())
SHIMS = ("e2nas.space", "e2nas.benchmark", "e2nas.nn", "e2nas.supernet")

#: module (or package, covering its modules) -> (space it may reach into, why). Shrink it, do not grow it.
ALLOWED: dict[str, tuple[str, str]] = {
    "e2nas.vae": ("nb201", "the D-VAE is trained over all 15,625 NB201 cells through their 12-vertex DAG view"),
    "e2nas.novelty.archive": ("nb201", "E2NAS's novelty archive one-hot encodes NB201 cells (6 edges x 5 ops)"),
    "e2nas.experiments.monitors.nb201": ("nb201", "the kendall/forgetting monitors track NB201 cells by index"),
    "e2nas.experiments.latent_map": ("nb201", "maps the D-VAE latent space of NB201 cells, coloured by the table"),
    "e2nas.experiments.yardsticks": ("nb201", "the paper's reference lines are read from NB201's table"),
    "e2nas.experiments.report": ("nb201", "sweep reports judge runs by NB201's table columns (PAPER_COLUMNS)"),
    "e2nas.experiments.paper.layouts": ("nb201", "the paper's tables and figures are NB201 table columns"),
    "e2nas.pretrain.ceiling": ("nb201", "the pretraining ceiling study trains NB201 cells standalone vs the table"),
}
ALLOWED_DARTS: dict[str, str] = {}


def _module_name(path: Path, root: Path, prefix: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([prefix, *parts]) if prefix else ".".join(parts)


def _imported(path: Path, name: str) -> set[str]:
    """Every absolute module path ``path`` imports (``from a import b`` gives ``a`` and ``a.b``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _package_modules() -> dict[str, Path]:
    return {_module_name(p, ROOT.parent, ""): p for p in sorted(ROOT.rglob("*.py"))}


def _allowed(module: str, space: str) -> bool:
    if space == "darts":
        return module in ALLOWED_DARTS
    return any(_under(module, key) and allowed == space for key, (allowed, _) in ALLOWED.items())


def test_the_builtin_spaces_are_packages():
    assert {"nb201", "darts"} <= set(SPACES)


def test_no_module_reaches_into_a_space_it_does_not_belong_to():
    bad = []
    for name, path in _package_modules().items():
        imported = _imported(path, name)
        for space in SPACES:
            home = f"e2nas.spaces.{space}"
            if _under(name, home) or _allowed(name, space) or name in SHIMS:  # shims re-export the old names
                continue
            hits = sorted(m for m in imported if _under(m, home))
            if hits:
                bad.append(f"{name} imports {hits[0]} (use e2nas.spaces.get_space({space!r}) or a SearchSpace hook)")
    assert bad == [], "\n".join(bad)


def test_the_allowlist_only_shrinks():
    """Every allowlisted module exists and still imports the space it is allowed (drop entries that do not)."""
    modules = _package_modules()
    stale = []
    entries = [(k, s) for k, (s, _) in ALLOWED.items()] + [(k, "darts") for k in ALLOWED_DARTS]
    for key, space in entries:
        covered = [n for n in modules if _under(n, key)]
        home = f"e2nas.spaces.{space}"
        if not any(_under(m, home) for n in covered for m in _imported(modules[n], n)):
            stale.append(f"{key} ({space})")
    assert stale == [], "allowlisted but no longer importing the space: " + ", ".join(stale)
    assert all(reason.strip() for _, reason in ALLOWED.values()) and all(r.strip() for r in ALLOWED_DARTS.values())


def test_spaces_do_not_import_each_other():
    modules = _package_modules()
    for space in SPACES:
        for name, path in modules.items():
            if _under(name, f"e2nas.spaces.{space}"):
                others = [o for o in SPACES if o != space]
                assert not any(_under(m, f"e2nas.spaces.{o}") for m in _imported(path, name) for o in others), name


def test_nothing_imports_the_deprecated_shims():
    """The shims are for users; the package and its tests import the new homes (test_shims.py checks the shims)."""
    files = {n: p for n, p in _package_modules().items() if n not in SHIMS}
    files.update(
        {
            _module_name(p, TESTS, "tests"): p
            for p in sorted(TESTS.rglob("*.py"))
            if p.name != "test_shims.py" and p.resolve() != Path(__file__).resolve()
        }
    )
    bad = []
    for name, path in files.items():
        hits = sorted(m for m in _imported(path, name) if any(m == s or m.startswith(s + ".") for s in SHIMS))
        if hits:
            bad.append(f"{name} imports {hits[0]}")
    assert bad == [], "\n".join(bad)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from e2nas.spaces.nb201 import Cell\n    from . import x\n")
    got = _imported(f, "e2nas.pkg.m")
    assert "e2nas.spaces.nb201" in got and "e2nas.pkg.x" in got
