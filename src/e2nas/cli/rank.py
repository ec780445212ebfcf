"""``e2nas rank RUN_DIR``: how well a search's supernet ranks NB201 cells (Kendall τ & co. with intervals)."""

from __future__ import annotations

from pathlib import Path

import typer

from e2nas.cli.common import fail, print_json


def rank(
    run_dir: Path = typer.Argument(..., help="a search's --out directory"),
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
    device: str = typer.Option("cpu", "--device", help="cpu or cuda"),
    threads: int = typer.Option(None, "--threads", help="torch CPU threads"),
    plot: Path = typer.Option(None, "--plot", help="write the scatter plot (ground truth vs inherited accuracy) here"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object (with per_cell)"),
) -> None:
    """Rank K cells with the run's inherited weights on N valid images and compare with NB201 ground truth.
    Only reads the run directory (a finished search already has plots/ranking.png of its final supernet)."""
    import torch

    from e2nas.data import DataMissingError, DeviceLoader, has_ground_truth, search_split
    from e2nas.engine import CheckpointError, load_supernet
    from e2nas.ranking import RankError, format_ranking, rank_supernet

    if device.startswith("cuda") and not torch.cuda.is_available():
        fail("--device cuda was asked for but torch sees no CUDA device; use --device cpu")
    if threads is not None:
        if threads < 1:
            fail(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    try:
        net, cfg = load_supernet(run_dir, epoch, device)
        if cfg.space != "nb201":
            fail(f"{run_dir} searched the {cfg.space} space, which has no ground truth to rank against (NB201 only)")
        if not has_ground_truth(cfg.dataset):
            fail(f"{run_dir} searched on dataset {cfg.dataset!r}, which has no NB201 ground truth to rank against")
        k = cfg.rank_cells if cells is None and cfg.rank_cells else (cells if cells is not None else 100)
        n = images if images is not None else cfg.rank_images
        s = seed if seed is not None else cfg.rank_seed
        train, valid = search_split(cfg.dataset, cfg.data_dir, cfg.image_size, cfg.train_size, cfg.valid_size)
        loader = DeviceLoader(valid, cfg.batch_size, device, cfg.seed, stream=1, channels_last=cfg.use_channels_last())
        if cfg.use_channels_last():
            net = net.to(memory_format=torch.channels_last)
        mode = bn or cfg.eval_bn
        calib = None
        if mode == "recal":
            m = calib_images if calib_images is not None else cfg.bn_calib_images
            if m < 1:
                fail(f"--calib-images must be >= 1, got {m}")
            tl = DeviceLoader(train, cfg.batch_size, device, cfg.seed, stream=0, channels_last=cfg.use_channels_last())
            calib = list(tl.images(m))
        result = rank_supernet(net, loader, k, n, s, bn=mode, calib=calib)
    except (CheckpointError, DataMissingError, RankError) as err:
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


def _plot(result, plot: Path | None) -> Path | None:
    if plot is None:
        return None
    from e2nas.experiments.plots import plot_ranking

    try:
        return plot_ranking(result, plot)
    except OSError as err:
        fail(f"cannot write the plot {plot} ({err.strerror}); pass another --plot")
