"""``e2nas export``: the written ONNX / torch.export files run in a fresh interpreter that cannot import e2nas and
give the e2nas network's logits on real CIFAR-10 images; a trained run's export keeps its weights; bad input is
one line, exit 2."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine.checkpoint import read_checkpoint
from e2nas.export import export_model, load_metadata, spec_from_arch, spec_from_run
from e2nas.export.core import CHECK_START, PT2_METADATA_FILE, real_images
from e2nas.spaces import get_space
from e2nas.spaces.darts import Genotype
from e2nas.train import Trainer, make_train_config

# find_spec, not importorskip: importing onnxscript costs seconds in every test process that collects this file
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("onnx", "onnxruntime", "onnxscript")),
    reason="the export extra (onnx, onnxruntime, onnxscript) is not installed",
)

runner = CliRunner()
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)

#: run in ``python -I``: e2nas is made unimportable, then each file is run by onnxruntime or torch alone
_RUNNER = textwrap.dedent(
    """
    import json, sys
    sys.modules["e2nas"] = None  # any import of e2nas now fails: the file must run without it
    import numpy as np
    x = np.load(sys.argv[1])
    infos = []
    for i, path in enumerate(sys.argv[2:]):
        if path.endswith(".onnx"):
            import onnx, onnxruntime as ort
            meta = json.loads({p.key: p.value for p in onnx.load(path).metadata_props}["e2nas"])
            s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            y = s.run(None, {s.get_inputs()[0].name: x})[0]
        else:
            import torch
            extra = {"e2nas.json": ""}
            program = torch.export.load(path, extra_files=extra)
            meta = json.loads(extra["e2nas.json"])
            with torch.no_grad():
                y = program.module()(torch.from_numpy(x)).numpy()
        np.save(f"{sys.argv[1]}.{i}.npy", y)
        loaded = sorted(k for k, m in sys.modules.items() if k.startswith("e2nas") and m is not None)
        infos.append({"space": meta["space"], "params": meta["params"], "e2nas_loaded": bool(loaded)})
    print(json.dumps(infos))
    """
)


def _run_fresh(paths: list[Path], x: torch.Tensor, tmp: Path) -> list[tuple[np.ndarray, dict]]:
    """Each exported file's logits on ``x`` and its metadata, from one interpreter that cannot import e2nas."""
    np.save(tmp / "x.npy", x.numpy())
    script = tmp / "run_exported.py"
    script.write_text(_RUNNER)
    done = subprocess.run(
        [sys.executable, "-I", str(script), str(tmp / "x.npy"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    infos = json.loads(done.stdout.strip().splitlines()[-1])
    return [(np.load(tmp / f"x.npy.{i}.npy"), info) for i, info in enumerate(infos)]


def _no_network(*args, **kwargs):
    raise AssertionError("the network was built before the bad input was rejected")


def _metadata_only_pt2(net, x, dynamic, meta) -> bytes:  # noqa: ARG001
    """A .pt2-shaped zip with the metadata file where torch.export.save puts extra files, and no program."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"model/extra/{PT2_METADATA_FILE}", json.dumps(meta))
    return buf.getvalue()


def _logits(spec, x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return spec.net(x).numpy()


def _built_by_cli(monkeypatch, name: str) -> list:
    """The specs the CLI gets from ``e2nas.export.<name>`` (the real function, its results recorded): a test
    compares the exported file with the very network that was exported, without building it again."""
    import e2nas.export as api

    real = getattr(api, name)
    built = []

    def record(*args, **kwargs):
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(api, name, record)
    return built


def _assert_nb201_1462_metadata(meta: dict, classes: int) -> None:
    assert meta["architecture"] == get_space("nb201").format(get_space("nb201").parse("1462"))
    assert meta["params"] == 1_531_546 + (classes - 10) * (64 + 1)  # another number of classes: a wider classifier
    assert meta["eval_scale_cost"]["flops_M"] == pytest.approx(222.860992)
    assert meta["input"]["shape"] == ["batch", 3, 32, 32] and meta["num_classes"] == classes
    assert meta["ground_truth"]["cifar10_test_v10"] == pytest.approx(93.76, abs=0.01)
    assert meta["input"]["mean"][0] == pytest.approx(125.3 / 255)


@pytest.mark.slow
def test_nb201_cell_runs_without_e2nas_and_equals_the_network(tmp_path, monkeypatch):
    """NB201's C=16, N=5 network as ONNX through the CLI with --check (BN statistics from 32 real images, so the
    logits depend on the image), run again in a fresh interpreter that cannot import e2nas: the network the CLI
    built. (The .pt2 format runs in a fresh interpreter in the trained-run test below.)"""
    built = _built_by_cli(monkeypatch, "spec_from_arch")
    onnx_path = tmp_path / "m.onnx"
    args = ["export", "1462", "--format", "onnx", "--out", str(onnx_path), "--calibrate-bn", "32", "--check"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "check ok" in res.stdout and "ONNX opset" in res.stdout
    (spec,) = built
    x = real_images(spec, 8, start=CHECK_START)
    ref = _logits(spec, x)
    assert ref.std(axis=0).max() > 1e-3  # the logits depend on the image: the comparison means something
    ((got, info),) = _run_fresh([onnx_path], x, tmp_path)
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)
    assert info == {"space": "nb201", "params": 1_531_546, "e2nas_loaded": False} and got.shape == (8, 10)
    _assert_nb201_1462_metadata(load_metadata(onnx_path), 10)


def test_nb201_network_with_other_classes_has_a_wider_classifier():
    """Another number of classes widens the classifier only (64 features + bias each); the metadata says so and
    keeps the rest. (Writing the file does not depend on the number of classes: the test above.)"""
    wide = spec_from_arch("1462", num_classes=100, calibrate=0)
    _assert_nb201_1462_metadata(wide.metadata, 100)
    assert (wide.net.classifier.in_features, wide.net.classifier.out_features) == (64, 100)
    assert _logits(wide, real_images(wide, 2)).shape == (2, 100)


def test_darts_evaluation_network_is_darts_retraining_network_with_other_classes():
    """An architecture exports DARTS' evaluation network: C=36, 20 cells, no auxiliary head, here 100 classes.
    (Exporting it takes ~10 s and loading the .pt2 in a fresh interpreter ~11 s more; the same ops and export
    path are taken through both formats on the trained, smaller network below.)"""
    spec = spec_from_arch(DARTS_V2, "darts", num_classes=100, calibrate=0)
    assert spec.metadata["params"] == 3_349_342 + (100 - 10) * (576 + 1)  # a wider classifier only
    assert len(spec.net.cells) == 20 and spec.net.auxiliary is None
    assert spec.metadata["architecture"] == DARTS_V2 and spec.metadata["num_classes"] == 100


@pytest.mark.slow
def test_trained_run_keeps_its_weights_through_onnx_with_a_fixed_batch(tmp_path, monkeypatch):
    """A DARTS genotype trained with the smoke preset (auxiliary head on; one epoch, 16 test images: a finished
    run is all this needs): the ONNX export (every op of the genotype, a fixed batch of 4, --check) and the .pt2
    program (run in a fresh interpreter that cannot import e2nas) are the trained network."""
    g = str(Genotype.parse(DARTS_V2))
    run = tmp_path / "train"
    Trainer(make_train_config(g, "darts", "smoke", epochs=1, test_images=16), run, progress=False).run()
    built = _built_by_cli(monkeypatch, "spec_from_run")
    res = runner.invoke(app, ["export", str(run), "--format", "onnx", "--batch", "4", "--check", "--json"])
    assert res.exit_code == 0, res.output
    (spec,) = built  # the network the CLI exported
    assert spec.metadata["weights"] == "trained" and spec.note is None
    state = read_checkpoint(run / "checkpoint.pt", "e2nas-train-checkpoint")["net"]
    own = {k: v for k, v in spec.net.state_dict().items()}
    assert all(torch.equal(own[k], state[k]) for k in own)  # weights and BN statistics, auxiliary head dropped
    assert not any(k.startswith("auxiliary") for k in own)
    out = json.loads(res.stdout)
    assert out["path"] == str(run / "model.onnx") and out["check"]["ok"] and out["metadata"]["run"]["finished"]
    assert out["metadata"]["input"]["shape"] == [4, 3, spec.image_size, spec.image_size]
    assert out["check"]["images"] == 4  # a fixed-batch file is checked at its batch
    # the PyTorch program of the same weights, dynamic batch, run on 4 images (its example batch is 2) in the
    # fresh interpreter; the ONNX file ran there in the NB201 test (here --check ran it in onnxruntime)
    pt2 = export_model(spec, tmp_path / "trained.pt2", "pt2")
    assert load_metadata(pt2)["weights"] == "trained" and load_metadata(pt2)["batch"] == "dynamic"
    x = real_images(spec, 4, start=CHECK_START)
    ref = _logits(spec, x)
    ((got, info),) = _run_fresh([pt2], x, tmp_path)
    assert info == {"space": "darts", "params": spec.metadata["params"], "e2nas_loaded": False}
    np.testing.assert_allclose(got, ref, atol=1e-4 * max(1.0, np.abs(ref).max()), rtol=0)
    fresh = spec_from_run(run, weights="fresh", calibrate=0)
    assert fresh.metadata["weights"] == "fresh"
    assert not np.allclose(_logits(fresh, x), _logits(spec, x), atol=1e-3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["|nor_conv_9x9~0|"], "invalid nb201 architecture"),
        (["2581", "--weights", "trained"], "--weights trained needs an `e2nas train` run directory"),
        (["2581", "--format", "tflite"], "unknown --format 'tflite'"),
        (["runs/does-not-exist"], "no such run directory"),
        (["2581", "--batch", "0"], "--batch must be >= 1"),
    ],
)
def test_bad_input_is_one_line(args, message, monkeypatch):
    """Rejected before the network is built (building it fails here)."""
    monkeypatch.setattr(type(get_space("nb201")), "eval_network", _no_network)
    res = runner.invoke(app, ["export", *args])
    assert res.exit_code == 2, (res.output, res.exception)
    assert message in res.output and len(res.output.strip().splitlines()) == 1


def test_search_run_has_no_trained_weights_and_unwritable_out(tmp_path, monkeypatch):
    run = tmp_path / "search"
    run.mkdir()
    (run / "results.json").write_text(json.dumps({"space": "nb201", "final": {"cell": "2581"}}))
    with monkeypatch.context() as m:  # both refused before the network is built
        m.setattr(type(get_space("nb201")), "eval_network", _no_network)
        res = runner.invoke(app, ["export", str(run), "--weights", "trained"])
        assert res.exit_code == 2 and "has no trained weights" in res.output, (res.output, res.exception)
        assert "e2nas train --from" in res.output and len(res.output.strip().splitlines()) == 1
        blocker = tmp_path / "file"
        blocker.write_text("")
        for out in (blocker / "m.pt2", blocker / "sub" / "m.pt2"):
            res = runner.invoke(app, ["export", "2581", "--format", "pt2", "--out", str(out)])
            assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, (res.output, res.exception)
            assert str(blocker) in res.output and "a file is in the way" in res.output
    # exported with fresh weights, the user told so; the torch.export step is replaced by a .pt2 archive holding
    # only the metadata (what load_metadata reads): writing real .pt2 files is the trained-run test's
    monkeypatch.setattr("e2nas.export.core._pt2_bytes", _metadata_only_pt2)
    res = runner.invoke(
        app, ["export", str(run), "--format", "pt2", "--calibrate-bn", "0", "--out", str(tmp_path / "m.pt2")]
    )
    assert res.exit_code == 0, (res.output, res.exception)
    assert "note: exporting fresh (untrained) weights: a search run holds the supernet" in res.output
    assert "fresh weights" in res.output and load_metadata(tmp_path / "m.pt2")["weights"] == "fresh"
    assert load_metadata(tmp_path / "m.pt2")["architecture"] == get_space("nb201").format(
        get_space("nb201").parse("2581")
    )
