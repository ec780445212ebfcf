"""``e2nas rank RUN_DIR``: how well a search's supernet ranks NB201 cells (Kendall τ & co. with intervals), beside
the yardsticks (parameter count, FLOPs, 12-epoch training, zero-cost proxies) on the same cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from e2nas.cli.common import fail, print_json

#: what ``--yardsticks`` ranks by default: all of them (the table ones are free, the proxies cost seconds per cell)
DEFAULT_YARDSTICKS = "all"


def rank(
    run_dir: Path = typer.Argument(
        ..., help="a search's --out directory, a pretrained supernet.pt, or 'shipped' (the package's pretrained one)"
    ),
    cells: int = typer.Option(
        None, "--cells", "-k", help="stratified connected cells to rank [default: the run's, 100]"
    ),
    images: int = typer.Option(None, "--images", "-n", help="valid images per cell [default: the run's, all]"),
    seed: int = typer.Option(None, "--seed", help="seed of the cell sample [default: the run's, 0]"),
    epoch: int = typer.Option(None, "--epoch", help="rank the supernet kept at this epoch (search --snapshot-every)"),
    bn: str = typer.Option(
        None,
        "--bn",
        help="BN statistics of the evaluation: batch (each batch's own), running, or recal (re-estimated "
        "per cell on the run's first --calib-images training images) [default: the run's]",
    ),
    calib_images: int = typer.Option(
        None, "--calib-images", help="training images BN is recalibrated on per cell (--bn recal) [default: the run's]"
    ),
    yardsticks: str = typer.Option(
        DEFAULT_YARDSTICKS,
        "--yardsticks",
        help="rank the same cells by these too, comma-separated: params, flops, acc12 (NB201 table, free), "
        "synflow, nwot (zero-cost proxies at random init, seconds); all or none",
    ),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda"),
    threads: int = typer.Option(None, "--threads", help="torch CPU threads"),
    plot: Path = typer.Option(None, "--plot", help="write the scatter plot (ground truth vs inherited accuracy) here"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object (with per_cell)"),
) -> None:
    """Rank K cells with the run's inherited weights on N valid images and compare with NB201 ground truth, beside
    the yardsticks on the same cells. Only reads the run directory (a finished search already has
    plots/ranking.png of its final supernet)."""
    import torch

    from e2nas.data import DataMissingError, DeviceLoader, Stream, has_ground_truth, search_split
    from e2nas.engine import CheckpointError, load_supernet
    from e2nas.engine.init_weights import is_pretrained, load_pretrained
    from e2nas.ranking import RankError, format_ranking, rank_supernet
    from e2nas.ranking.proxies import ProxyError
    from e2nas.ranking.yardsticks import parse_yardsticks
    from e2nas.spaces import get_space

    try:
        names = parse_yardsticks(yardsticks)
    except RankError as err:
        fail(str(err))
    if device.startswith("cuda") and not torch.cuda.is_available():
        fail("--device cuda was asked for but torch sees no CUDA device; use --device cpu")
    if threads is not None:
        if threads < 1:
            fail(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    try:
        if is_pretrained(run_dir):
            if epoch is not None:
                fail(f"{run_dir} is one supernet, not a run with kept epochs; drop --epoch")
            net, cfg = load_pretrained(run_dir, device)
        else:
            net, cfg = load_supernet(run_dir, epoch, device)
        if not get_space(cfg.space).has_ground_truth:
            fail(f"{run_dir} searched the {cfg.space} space, which has no ground truth to rank against (NB201 only)")
        k = cfg.rank_cells if cells is None and cfg.rank_cells else (cells if cells is not None else 100)
        n = images if images is not None else cfg.rank_images
        s = seed if seed is not None else cfg.rank_seed
        train, valid = search_split(cfg.dataset, cfg.data_dir, cfg.image_size, cfg.train_size, cfg.valid_size)
        loader = DeviceLoader(
            valid, cfg.batch_size, device, cfg.seed, stream=Stream.VALID, channels_last=cfg.use_channels_last()
        )
        if cfg.use_channels_last():
            net = net.to(memory_format=torch.channels_last)
        if images is None and n is not None:  # the run's own setting, capped as its end-of-search check caps it
            n = min(n, len(valid.y))
        mode = bn or cfg.eval_bn
        calib = None
        if mode == "recal":
            m = calib_images if calib_images is not None else cfg.bn_calib_images
            if m < 1:
                fail(f"--calib-images must be >= 1, got {m}")
            tl = DeviceLoader(
                train, cfg.batch_size, device, cfg.seed, stream=Stream.TRAIN, channels_last=cfg.use_channels_last()
            )
            calib = list(tl.images(m))
        scorer = _scorer(cfg, net, loader, s)
        if not has_ground_truth(cfg.dataset):
            _without_ground_truth(run_dir, cfg, net, loader, k, n, s, mode, names, scorer, as_json)
            return
        result = rank_supernet(
            net,
            loader,
            k,
            n,
            s,
            bn=mode,
            calib=calib,
            yardsticks=(lambda c: scorer(names, c)) if names else None,
            space=cfg.space,
        )
    except (CheckpointError, DataMissingError, RankError, ProxyError) as err:
        fail(str(err))
    figure = _plot(result, plot)
    if as_json:
        d = result.to_dict()
        d.update({"run_dir": str(run_dir), "epoch": epoch, "plot": str(figure) if figure else None})
        print_json(d)
        return
    where = f"epoch {epoch}" if epoch is not None else "final checkpoint"
    typer.echo(f"{run_dir} ({cfg.method}, {cfg.preset}, {where})")
    for line in format_ranking(result):
        typer.echo(line)
    if figure:
        typer.echo(f"plot: {figure}")


def _scorer(cfg: Any, net: Any, loader: Any, seed: int):
    """``scorer(names, cells)``: the yardsticks' scores of ``cells``; proxies on each cell's untrained network at
    the run's scale (C, N, classes) and the run's first valid images, initialised with the sample seed."""
    from functools import partial

    from e2nas.ranking.yardsticks import first_images, yardstick_scores
    from e2nas.spaces import get_space

    space = get_space(cfg.space)
    device = next(net.parameters()).device
    C, N, classes = cfg.C, cfg.N, net.num_classes

    def network(cell: Any) -> Any:
        return space.network(cell, C, N, classes, auxiliary=False).to(device)

    def scorer(names: tuple[str, ...], cells: list[Any]) -> dict[str, Any]:
        needs_images = any(name in ("synflow", "nwot") for name in names)
        images = first_images(loader) if needs_images else None
        return partial(yardstick_scores, network=network, images=images, seed=seed, space_name=cfg.space)(names, cells)

    return scorer


def _without_ground_truth(run_dir, cfg, net, loader, k, n, s, bn, names, scorer, as_json) -> None:
    """A dataset without NB201 ground truth: no τ against it for anyone; the yardsticks that are the benchmark's own
    CIFAR-10 training say so, the others are compared with the supernet's ranking (Kendall τ between the two)."""
    import numpy as np

    from e2nas.inherited import bn_problem, evaluate_cells
    from e2nas.ranking import RankError, sample_cells
    from e2nas.ranking.yardsticks import agreement_with_supernet, needs_benchmark
    from e2nas.spaces import get_space

    space = get_space(cfg.space)
    problem = bn_problem(net, bn)
    if problem:
        raise RankError(f"--{problem}")
    total = len(loader.y)
    n = total if n is None else n
    if not 1 <= n <= total:
        raise RankError(f"--images must be between 1 and the run's {total} valid images, got {n}")
    sample = sample_cells(k, s, space=space)
    acc = np.array([a for _, a in evaluate_cells(net, sample, list(loader.images(n)), bn=bn)])
    unavailable = {
        name: f"needs NB201 ground truth (the benchmark's own CIFAR-10 training); dataset {cfg.dataset!r} has none"
        for name in names
        if needs_benchmark(name)
    }
    scores = scorer(tuple(x for x in names if x not in unavailable), sample)
    agreement = agreement_with_supernet(acc, scores, s)
    if as_json:
        print_json(
            {
                "run_dir": str(run_dir),
                "ground_truth": None,
                "cells": len(sample),
                "images": n,
                "seed": s,
                "bn": bn,
                "params_tau": None,
                "yardsticks": {**agreement, **{x: {"unavailable": why} for x, why in unavailable.items()}},
                "per_cell": [
                    {**space.describe(c), "cell": space.format(c), "inherited_acc": float(a),
                     "yardsticks": {x: float(scores[x][0][i]) for x in scores}}
                    for i, (c, a) in enumerate(zip(sample, acc, strict=True))
                ],
            }
        )  # fmt: skip
        return
    typer.echo(
        f"{run_dir} ({cfg.method}, {cfg.preset}): dataset {cfg.dataset!r} has no NB201 ground truth, so no tau "
        f"against it; {len(sample)} cells x {n} images: how the supernet's ranking agrees with each yardstick"
    )
    for name, why in unavailable.items():
        typer.echo(f"{name}: {why}")
    for name, a in agreement.items():
        lo, hi = a["interval"]
        typer.echo(f"tau(supernet, {name:<7}) = {a['tau_vs_supernet']:+.3f} [{lo:+.3f}, {hi:+.3f}]")


def _plot(result, plot: Path | None) -> Path | None:
    if plot is None:
        return None
    from e2nas.experiments.plots import plot_ranking

    try:
        return plot_ranking(result, plot)
    except OSError as err:
        fail(f"cannot write the plot {plot} ({err.strerror}); pass another --plot")
