"""results.json says which code made it: a digest of the sources that ran and, in a checkout, the git commit."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

from e2nas.engine import SearchEngine, make_config
from e2nas.provenance import code_version, git_commit, package_dir, source_digest


def test_digest_is_of_the_sources_and_changes_with_them(tmp_path):
    copy = tmp_path / "e2nas"
    shutil.copytree(package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__", "_data"))
    assert source_digest(copy) == source_digest()  # the data files and byte code are not code
    h = hashlib.sha256()
    for f in sorted(copy.rglob("*.py")):
        h.update(f.relative_to(copy).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    assert source_digest(copy) == h.hexdigest()[:16]
    (copy / "engine" / "loop.py").write_text((copy / "engine" / "loop.py").read_text() + "\n# edited\n")
    assert source_digest(copy) != source_digest()
    assert git_commit(copy) is None  # a copy outside any git work tree


def test_a_checkout_records_its_commit():
    head = subprocess.run(["git", "-C", str(package_dir()), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("the package is not in a git checkout here")
    got = code_version()
    assert got["git_commit"].split("+")[0] == head.stdout.strip()
    assert got["e2nas_source"] == source_digest()


def test_results_json_carries_it(tmp_path):
    cfg = make_config("smoke", "random", epochs=1, steps_per_epoch=1, rank_cells=0)
    SearchEngine(cfg, tmp_path / "run", progress=False).run()
    versions = json.loads((tmp_path / "run" / "results.json").read_text())["versions"]
    assert versions["e2nas_source"] == source_digest() and "torch" in versions


def test_reports_name_the_code_of_their_runs(tmp_path):
    from e2nas.experiments.paper.layouts import build_layout, render_layout
    from e2nas.experiments.report import build_report, render

    cfg = make_config("smoke", "random", epochs=1, steps_per_epoch=1, rank_cells=0)
    SearchEngine(cfg, tmp_path / "new", progress=False).run()
    old = tmp_path / "old"
    old.mkdir()
    res = json.loads((tmp_path / "new" / "results.json").read_text())
    res["versions"] = {"e2nas": res["versions"]["e2nas"], "torch": res["versions"]["torch"]}  # as before a3abae5
    (old / "results.json").write_text(json.dumps({**res, "seed": 1}))
    v = code_version()
    made_by = f"git {v['git_commit'][:7]}" if "git_commit" in v else f"source digest {v['e2nas_source']}"
    want = f"Code: {made_by}{'+dirty' if v.get('git_commit', '').endswith('+dirty') else ''} (1 run); "
    want += "1 run made before results.json recorded its code."
    assert build_report([tmp_path])["code"] == want
    assert f"- {want}" in render(build_report([tmp_path]), "markdown")
    assert f"- {want}" in render_layout(build_layout("table1", [tmp_path]), "markdown")
