"""``e2nas export``: an architecture or an ``e2nas train`` run as an ONNX or ``torch.export`` model file."""

from __future__ import annotations

from pathlib import Path

import typer

from e2nas.cli.common import fail, print_json
from e2nas.spaces.registry import DEFAULT_SPACE


def export(
    source: str = typer.Argument(
        ...,
        metavar="ARCH|RUN_DIR",
        help="NB201 cell / DARTS Genotype(...), or an `e2nas train` (or search) run directory",
    ),
    space: str = typer.Option(
        DEFAULT_SPACE, "--space", help="search space of ARCH (see `e2nas methods`); a run directory names its own"
    ),
    fmt: str = typer.Option("onnx", "--format", help="onnx (runs in onnxruntime) | pt2 (torch.export program)"),
    out: str = typer.Option(
        None, "--out", help="file to write (default: <space>-<index>.<format>, or RUN_DIR/model.<format>)"
    ),
    classes: int = typer.Option(None, "--classes", help="output classes (default: 10, or the run's dataset's)"),
    image_size: int = typer.Option(None, "--image-size", help="input side in pixels (default: 32, or the run's)"),
    batch: int = typer.Option(None, "--batch", help="fixed batch size (default: a dynamic batch dimension)"),
    weights: str = typer.Option("auto", "--weights", help="auto | trained (refuse without them) | fresh"),
    seed: int = typer.Option(0, "--seed", help="seed of fresh weights"),
    calibrate_bn: int = typer.Option(
        256, "--calibrate-bn", help="fresh weights: BN statistics from this many real CIFAR-10 images (0: none)"
    ),
    check: bool = typer.Option(False, "--check", help="run the written file on real images and compare logits"),
    check_images: int = typer.Option(16, "--check-images", help="images --check runs"),
    tol: float = typer.Option(
        1e-4, "--tol", help="--check: largest allowed |logit difference| (times the largest |logit| when above 1)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object (path, metadata, check)"),
) -> None:
    """Write a found architecture as a model file that runs without e2nas (ONNX or torch.export), with its
    space, architecture, params, FLOPs, input shape, classes, normalisation and ground truth inside."""
    from e2nas.export import (
        ExportError,
        check_export,
        check_writable,
        export_model,
        load_metadata,
        spec_from_arch,
        spec_from_run,
    )
    from e2nas.safeio import FileAccessError
    from e2nas.spaces import ArchParseError, SpaceError

    # bad input fails here, before the network is built (seconds for DARTS' 20 cells, plus BN calibration)
    if fmt not in ("onnx", "pt2"):
        fail(f"unknown --format {fmt!r}; choose onnx or pt2")
    if batch is not None and batch < 1:
        fail(f"--batch must be >= 1 (or left out for a dynamic batch), got {batch}")
    if calibrate_bn < 0 or check_images < 1 or tol < 0:
        fail("--calibrate-bn must be >= 0, --check-images >= 1 and --tol >= 0")
    is_path = "/" in source or _exists(source)
    try:
        if out is not None:
            check_writable(out)
        if is_path:
            if not Path(source).is_dir():
                fail(f"{source}: no such run directory (give an architecture or an `e2nas train` run directory)")
            spec = spec_from_run(source, weights, image_size, seed, calibrate_bn)
            if classes is not None and classes != spec.num_classes:
                fail(
                    f"{source} was trained for {spec.num_classes} classes; --classes {classes} does not fit its weights"
                )
            default = Path(source) / f"model.{fmt}"
        else:
            if weights == "trained":
                fail("--weights trained needs an `e2nas train` run directory; an architecture gets fresh weights")
            spec = spec_from_arch(source, space, classes or 10, image_size or 32, seed, calibrate_bn)
            name = spec.metadata["ground_truth"] and f"{spec.metadata['space']}-{_index(source, space)}"
            default = Path(f"{name or spec.metadata['space'] + '-arch'}.{fmt}")
        path = export_model(spec, out or default, fmt, batch)
        result = {"path": str(path), "metadata": load_metadata(path), "note": spec.note}
        if check:
            result["check"] = check_export(spec, path, check_images, tol)
    except ArchParseError as err:
        fail(f"invalid {space} architecture: {err}")
    except (ExportError, SpaceError, FileAccessError) as err:
        fail(str(err))
    if as_json:
        print_json(result)
    else:
        _show(result)
    if check and not result["check"]["ok"]:
        c = result["check"]
        fail(
            f"check failed: the exported file's logits differ by up to {c['max_abs_diff']:.3g} "
            f"(> --tol {tol} x {c['logit_scale']:.2f})",
            1,
        )


def _exists(source: str) -> bool:
    try:
        return Path(source).exists()
    except OSError:  # an architecture string longer than a file name
        return False


def _index(source: str, space: str) -> str:
    from e2nas.spaces import get_space

    return str(get_space(space).describe(get_space(space).parse(source)).get("index", "arch"))


def _show(result: dict) -> None:
    m = result["metadata"]
    if result["note"]:
        typer.echo(f"note: {result['note']}")
    fmt = "ONNX opset " + str(m.get("opset")) if m["format_file"] == "onnx" else "torch.export program (.pt2)"
    batch = "dynamic batch" if m["batch"] == "dynamic" else f"batch {m['batch']}"
    side = m["input"]["shape"][-1]
    typer.echo(
        f"wrote {result['path']}: {fmt}, {batch}, 3x{side}x{side} -> {m['num_classes']} logits, {m['weights']} weights"
    )
    typer.echo(
        f"  {m['space']} {m['architecture']}: {m['params'] / 1e6:.6f} M params, {m['flops'] / 1e6:.2f} M FLOPs "
        f"({m['macs'] / 1e6:.2f} M multiply-adds, FlopCounterMode)"
    )
    typer.echo(f"  input: x / 255, then (x - mean) / std with mean {m['input']['mean']} and std {m['input']['std']}")
    if "check" in result:
        c = result["check"]
        verdict = "ok" if c["ok"] else "FAILED"
        typer.echo(
            f"  check {verdict}: max |logit difference| {c['max_abs_diff']:.2e} on {c['images']} real CIFAR-10 "
            f"images (tolerance {c['tolerance']:g} x {c['logit_scale']:.2f}), "
            f"top-1 agreement {100 * c['top1_agreement']:.0f} %"
        )
