"""Write a found architecture's network as a file that needs only onnxruntime (ONNX) or torch (``.pt2``, a
``torch.export`` program) to run, with what a user needs to feed it in the file itself.

The network takes float32 NCHW RGB images scaled to [0, 1] and normalised with the metadata's mean/std, and
returns logits. From an architecture, it is the space's evaluation network (NB201: C=16, N=5; DARTS: C=36,
20 cells) with fresh weights; from an ``e2nas train`` run directory, the run's network with its trained weights
and BN running statistics (in eval mode; a DARTS auxiliary head is dropped, it only serves training).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import e2nas
from e2nas.data import NUM_CLASSES, load_embedded
from e2nas.data.datasets import NORMALISATION
from e2nas.engine.checkpoint import CheckpointError, read_checkpoint
from e2nas.netcost import count_module
from e2nas.rundir import CHECKPOINT, CONFIG, RESULTS
from e2nas.safeio import FileAccessError, describe_os_error
from e2nas.spaces import DEFAULT_SPACE, LEGACY_SPACE, SpaceError, get_space
from e2nas.train.config import TrainConfig
from e2nas.train.loop import FORMAT as TRAIN_FORMAT

FORMATS = ("onnx", "pt2")
#: ``--check`` images come from here on in the embedded sample (BN calibration uses the first ones)
CHECK_START = 2000
#: ONNX ``metadata_props`` key and ``.pt2`` extra file that hold the metadata JSON
METADATA_KEY = "e2nas"
PT2_METADATA_FILE = "e2nas.json"
METADATA_FORMAT = "e2nas-export/1"
#: the dataset family whose images and normalisation a train run's dataset has
_FAMILY = {"embedded": "cifar10", "cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "imagenet16-120"}
_SIDE = {"cifar10": 32, "cifar100": 32, "imagenet16-120": 16}


class ExportError(ValueError):
    """A user error: bad architecture or run directory, a missing optional package, a failed check."""


@dataclass
class ExportSpec:
    """The network to export (eval mode, CPU) and the metadata that goes into the file."""

    net: nn.Module
    image_size: int
    num_classes: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    #: what the user should know (e.g. "fresh weights: a search run holds no trained network")
    note: str | None = None


def _cost_fields(space: Any, arch: Any, net: nn.Module, image_size: int) -> dict[str, Any]:
    counted = count_module(net, (3, image_size, image_size))
    out: dict[str, Any] = {
        "params": counted["params"],
        "flops": counted["flops"],
        "macs": counted["macs"],
        "flops_counter": "torch.utils.flop_counter.FlopCounterMode, one image; flops = 2 x multiply-adds",
    }
    with contextlib.suppress(Exception):  # a genotype reading one input twice has no 28-edge view
        out["eval_scale_cost"] = {**space.cost(arch).to_dict(), "flops_convention": space.flops_convention}
    return out


def _finish(
    net: nn.Module, space_name: str, arch_text: str, arch: Any, family: str, num_classes: int, image_size: int, **extra
) -> ExportSpec:
    space = get_space(space_name)
    if getattr(net, "auxiliary", None) is not None:  # training-only head: not part of the deployed network
        net.auxiliary = None
    net = net.cpu().eval()
    mean, std = NORMALISATION[family]
    gt = space.ground_truth()
    metadata: dict[str, Any] = {
        "format": METADATA_FORMAT,
        "space": space_name,
        "architecture": arch_text,
        "num_classes": num_classes,
        "input": {
            "shape": ["batch", 3, image_size, image_size],
            "dtype": "float32",
            "layout": "NCHW, RGB",
            "preprocess": "x / 255, then (x - mean) / std per channel",
            "mean": list(mean),
            "std": list(std),
        },
        "output": "logits (batch, num_classes); softmax gives class probabilities",
        **_cost_fields(space, arch, net, image_size),
        "ground_truth": gt.summary(arch) if gt is not None else None,
        **extra,
        "versions": {"e2nas": e2nas.__version__, "torch": torch.__version__},
    }
    return ExportSpec(net, image_size, num_classes, tuple(mean), tuple(std), metadata)


def calibrate_bn(net: nn.Module, x: torch.Tensor, batch: int = 64) -> None:
    """Set every BN's running statistics to the exact mean/variance over ``x`` (eval mode after). A freshly
    initialised network keeps mean 0 / variance 1 and then answers nearly the same logits for every image."""
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches
    net.train()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            net(x[i : i + batch])
    for m, momentum in zip(bns, saved, strict=True):
        m.momentum = momentum
    net.eval()


def spec_from_arch(
    text: str,
    space_name: str = DEFAULT_SPACE,
    num_classes: int = 10,
    image_size: int = 32,
    seed: int = 0,
    calibrate: int = 256,
) -> ExportSpec:
    """The space's evaluation network of an architecture (its string format), fresh weights from ``seed``;
    BN statistics from ``calibrate`` real CIFAR-10 images (0: left at their initial 0 / 1)."""
    try:
        space = get_space(space_name)
    except SpaceError as err:
        raise ExportError(str(err)) from None
    if num_classes < 1 or image_size < 8:
        raise ExportError(f"--classes must be >= 1 and --image-size >= 8, got {num_classes} and {image_size}")
    net_arch = space.parse_network_arch(text)
    arch = space.parse(text)
    torch.manual_seed(seed)
    net = space.eval_network(net_arch, num_classes)
    weights = {
        "weights": "fresh",
        "seed": seed,
        "bn_statistics": f"from {calibrate} embedded CIFAR-10 images" if calibrate else "initial (mean 0, var 1)",
    }
    family = "cifar10"
    spec = _finish(net, space_name, str(net_arch), arch, family, num_classes, image_size, **weights)
    if calibrate:
        calibrate_bn(spec.net, real_images(spec, calibrate))
    spec.metadata["network"] = "the space's evaluation network"
    return spec


def spec_from_run(
    run_dir: str | Path, weights: str = "auto", image_size: int | None = None, seed: int = 0, calibrate: int = 256
) -> ExportSpec:
    """The network of an ``e2nas train`` run with its trained weights; a search run (or a train run whose
    checkpoint is gone) gives its architecture with fresh weights unless ``weights == "trained"``."""
    run = Path(run_dir)
    if weights not in ("auto", "trained", "fresh"):
        raise ExportError(f"--weights must be auto, trained or fresh, got {weights!r}")
    results = _read_json(run / RESULTS)
    config = _read_json(run / CONFIG)
    is_train = (results or {}).get("kind") == "train" or (config is not None and "arch" in config)
    if not is_train:
        if results is None or "final" not in results or not isinstance(results["final"], dict):
            raise ExportError(
                f"{run} is neither an `e2nas train` nor a finished `e2nas search` run directory "
                "(no config.json with an architecture, no results.json with a final architecture)"
            )
        return _untrained(
            run,
            str(results.get("space", LEGACY_SPACE)),
            str(results["final"]["cell"]),
            weights,
            seed,
            image_size,
            "a search run holds the supernet, not a trained network of its answer",
            calibrate,
        )
    cfg = TrainConfig.from_dict(config if config is not None else results["config"])
    ckpt = run / CHECKPOINT
    if weights == "fresh" or not ckpt.exists():
        why = "--weights fresh" if weights == "fresh" else f"{run} has no {CHECKPOINT} (trained weights)"
        return _untrained(run, cfg.space, cfg.arch, weights, seed, image_size, why, calibrate)
    try:
        state = read_checkpoint(ckpt, TRAIN_FORMAT)
    except CheckpointError as err:
        raise ExportError(str(err)) from None
    space = get_space(cfg.space)
    family = _FAMILY.get(cfg.dataset, "cifar10")
    num_classes = NUM_CLASSES[family]
    net = space.network(space.parse_network_arch(cfg.arch), cfg.C, cfg.N, num_classes, cfg.auxiliary_weight > 0)
    try:
        net.load_state_dict(state["net"])
    except (KeyError, RuntimeError) as err:
        raise ExportError(f"{ckpt} does not hold the weights of its run's network ({type(err).__name__})") from None
    epochs_done = int(state.get("epoch", 0))
    finished = bool(state.get("finished", False))
    note = None if finished else f"the run is not finished: exporting its weights after epoch {epochs_done}"
    extra = {
        "weights": "trained",
        "run": {
            "dir": str(run),
            "dataset": cfg.dataset,
            "preset": cfg.preset,
            "C": cfg.C,
            "N": cfg.N,
            "epochs_done": epochs_done,
            "epochs": cfg.epochs,
            "finished": finished,
            "test_acc": (results or {}).get("final", {}).get("test_acc") if finished else None,
        },
    }
    arch = space.parse(cfg.arch)
    side = image_size or _SIDE[family]
    spec = _finish(net, cfg.space, str(space.parse_network_arch(cfg.arch)), arch, family, num_classes, side, **extra)
    spec.metadata["network"] = f"the train run's network (C={cfg.C}, N={cfg.N})"
    spec.note = note
    return spec


def _untrained(
    run: Path, space: str, arch: str, weights: str, seed: int, image_size: int | None, why: str, calibrate: int
) -> ExportSpec:
    if weights == "trained":
        raise ExportError(
            f"{run} has no trained weights ({why}); train the architecture with `e2nas train --from {run}` and "
            "export that run, or pass --weights fresh"
        )
    spec = spec_from_arch(arch, space, 10, image_size or 32, seed, calibrate)
    if weights == "auto":
        spec.note = f"exporting fresh (untrained) weights: {why}"
    return spec


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ExportError(f"cannot read {path} ({type(err).__name__}); is it an e2nas run directory?") from None
    return obj if isinstance(obj, dict) else None


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporters' warnings and progress lines are about torch, not the user's model."""
    names = ("torch.onnx", "torch.export", "torch._dynamo", "torch.fx", "onnxscript")
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)


def _example(spec: ExportSpec, batch: int | None) -> tuple[torch.Tensor, Any]:
    x = torch.zeros(batch or 2, 3, spec.image_size, spec.image_size)
    dynamic = None if batch else ({0: torch.export.Dim("batch", min=1, max=65536)},)
    return x, dynamic


def export_model(spec: ExportSpec, out: str | Path, fmt: str = "onnx", batch: int | None = None) -> Path:
    """Write ``spec``'s network to ``out`` as ``fmt`` (onnx | pt2); ``batch``: fixed batch size, None = dynamic.
    The file is written next to ``out`` first and renamed, so a failure leaves no half-written model."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if batch is not None and batch < 1:
        raise ExportError(f"--batch must be >= 1 (or left out for a dynamic batch), got {batch}")
    out = Path(out)
    meta = {**spec.metadata, "format_file": fmt}
    meta["input"] = {**meta["input"], "shape": [batch or "batch", 3, spec.image_size, spec.image_size]}
    meta["batch"] = batch if batch else "dynamic"
    parent = _writable_parent(out)  # before the export: a bad --out costs no exporter time
    x, dynamic = _example(spec, batch)
    data = _onnx_bytes(spec.net, x, dynamic, meta) if fmt == "onnx" else _pt2_bytes(spec.net, x, dynamic, meta)
    _write(out, parent, data)
    return out


def _onnx_bytes(net: nn.Module, x: torch.Tensor, dynamic: Any, meta: dict[str, Any]) -> bytes:
    onnx = _optional("onnx")
    _optional("onnxscript")
    with _quiet_exporter(), torch.no_grad():
        program = torch.onnx.export(
            net, (x,), dynamo=True, dynamic_shapes=dynamic, input_names=["images"], output_names=["logits"]
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        with _quiet_exporter():
            program.save(str(path))
        model = onnx.load(str(path))
    meta["opset"] = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    flat = {METADATA_KEY: json.dumps(meta, sort_keys=True)}
    for key in ("space", "architecture", "num_classes", "params", "flops", "macs", "weights"):
        flat[f"e2nas.{key}"] = str(meta.get(key))
    flat["e2nas.mean"] = json.dumps(meta["input"]["mean"])
    flat["e2nas.std"] = json.dumps(meta["input"]["std"])
    flat["e2nas.input_shape"] = json.dumps(meta["input"]["shape"])
    for k, v in flat.items():
        model.metadata_props.add(key=k, value=v)
    model.doc_string = f"{meta['space']} architecture {meta['architecture']} exported by e2nas {e2nas.__version__}"
    return model.SerializeToString()


def _pt2_bytes(net: nn.Module, x: torch.Tensor, dynamic: Any, meta: dict[str, Any]) -> bytes:
    with _quiet_exporter(), torch.no_grad():
        program = torch.export.export(net, (x,), dynamic_shapes=dynamic)
        buf = io.BytesIO()
        torch.export.save(program, buf, extra_files={PT2_METADATA_FILE: json.dumps(meta, sort_keys=True)})
    return buf.getvalue()


def check_writable(out: str | Path) -> None:
    """One clear error now if ``out`` could not be written, creating nothing: the CLI calls it before it builds
    the network, so a bad ``--out`` fails at once (a missing directory counts as writable when the nearest
    existing directory above it is)."""
    out = Path(out)
    try:
        if out.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(out))
        base = out.parent
        while not base.exists() and base != base.parent:
            base = base.parent
        if not base.is_dir():
            raise NotADirectoryError(20, "Not a directory", str(base))
        if not os.access(base, os.W_OK):
            raise PermissionError(13, "Permission denied", str(base))
    except OSError as err:
        raise FileAccessError(describe_os_error(err, "write", out, "pass another --out")) from None


def _writable_parent(out: Path) -> Path:
    """``out``'s directory, created if missing; one clear error if ``out`` cannot be written there."""
    parent = out.parent if str(out.parent) else Path(".")
    check_writable(out)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if not os.access(parent, os.W_OK):
            raise PermissionError(13, "Permission denied", str(parent))
    except OSError as err:
        raise FileAccessError(describe_os_error(err, "write", out, "pass another --out")) from None
    return parent


def _write(out: Path, parent: Path, data: bytes) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, out)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as err:
        raise FileAccessError(describe_os_error(err, "write", out, "pass another --out")) from None


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        raise ExportError(
            f"ONNX export needs the {name} package; install it with `pip install 'e2nas[export]'` "
            "(onnx, onnxscript, onnxruntime) or use --format pt2"
        ) from None


def load_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata an exported file carries (ONNX ``metadata_props``, ``.pt2`` extra file)."""
    p = Path(path)
    if p.suffix == ".onnx":
        onnx = _optional("onnx")
        model = onnx.load(str(p), load_external_data=False)
        props = {m.key: m.value for m in model.metadata_props}
        return json.loads(props[METADATA_KEY])
    # a .pt2 file is a zip archive with extra files under <archive>/extra/: read ours without loading the program
    # (which traces the whole network again, seconds for NB201's evaluation network)
    with contextlib.suppress(zipfile.BadZipFile, OSError, ValueError), zipfile.ZipFile(p) as z:
        name = next((n for n in z.namelist() if n.endswith(f"/extra/{PT2_METADATA_FILE}")), None)
        if name is not None:
            return json.loads(z.read(name).decode())
    extra = {PT2_METADATA_FILE: ""}
    with _quiet_exporter():
        torch.export.load(str(p), extra_files=extra)
    return json.loads(extra[PT2_METADATA_FILE])


def real_images(spec: ExportSpec, n: int, start: int = 0) -> torch.Tensor:
    """``n`` real CIFAR-10 images of the embedded sample from ``start`` on, resized to the export's side and
    normalised as the metadata says."""
    d = load_embedded()
    idx = (start + np.arange(n)) % len(d)
    x = torch.from_numpy(d.x[idx]).permute(0, 3, 1, 2).float() / 255.0
    if x.shape[-1] != spec.image_size:
        x = nn.functional.interpolate(x, size=(spec.image_size,) * 2, mode="bilinear", antialias=True)
    mean = torch.tensor(spec.mean).view(1, 3, 1, 1)
    std = torch.tensor(spec.std).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def run_exported(path: str | Path, x: torch.Tensor) -> np.ndarray:
    """Logits of an exported file on ``x`` (onnxruntime for .onnx, the torch.export program for .pt2)."""
    p = Path(path)
    if p.suffix == ".onnx":
        ort = _optional("onnxruntime")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        session = ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
        return session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with _quiet_exporter():
        program = torch.export.load(str(p))
    with torch.no_grad():
        return program.module()(x).numpy()


def check_export(spec: ExportSpec, path: str | Path, images: int = 16, tol: float = 1e-4) -> dict[str, Any]:
    """Run the exported file on ``images`` real images and compare with the e2nas network's logits: ok when
    every |difference| <= ``tol`` x max(1, largest |logit|). Float32 rounding grows with the logits' scale and
    the depth (a 20-cell DARTS network with logits near 4 differs from its own float64 result by ~8e-5), so the
    tolerance is absolute for logits up to 1 and relative above."""
    fixed = spec_batch(path)
    x = real_images(spec, fixed or images, start=CHECK_START)
    with torch.no_grad():
        ref = spec.net(x).numpy()
    got = run_exported(path, x)
    diff = float(np.abs(got - ref).max())
    scale = max(1.0, float(np.abs(ref).max()))
    agree = float((got.argmax(1) == ref.argmax(1)).mean())
    return {
        "images": len(x),
        "max_abs_diff": diff,
        "logit_scale": scale,
        "top1_agreement": agree,
        "tolerance": tol,
        "ok": diff <= tol * scale,
    }


def spec_batch(path: str | Path) -> int | None:
    batch = load_metadata(path).get("batch")
    return batch if isinstance(batch, int) else None
