"""``e2nas search`` (run or resume one architecture search) and ``e2nas methods`` (list the searchers)."""

from __future__ import annotations

import typer

from e2nas.cli.common import fail, print_json
from e2nas.engine.config import DEFAULT_METHOD, DEFAULT_PRESET


def _parse_opts(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"--opt expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def search(
    method: str = typer.Option(DEFAULT_METHOD, "--method", "-m", help="search method (see `e2nas methods`)"),
    preset: str = typer.Option(DEFAULT_PRESET, "--preset", "-p", help="paper | cpu-small | smoke"),
    dataset: str = typer.Option(None, "--dataset", help="embedded | cifar10 | cifar100 | imagenet16-120"),
    data_dir: str = typer.Option(None, "--data-dir", help="directory with the dataset's files"),
    epochs: int = typer.Option(None, "--epochs", help="override the preset's epochs"),
    batch_size: int = typer.Option(None, "--batch-size", help="override the preset's batch size"),
    steps_per_epoch: int = typer.Option(None, "--steps-per-epoch", help="cap the steps per epoch"),
    channels: int = typer.Option(None, "--C", help="supernet channels C"),
    cells: int = typer.Option(None, "--N", help="cells per stage N"),
    lr: float = typer.Option(None, "--lr", help="initial weight learning rate"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    epsilon: float = typer.Option(None, "--epsilon", help="complementation weight ε in [0, 1] (0 = off)"),
    opt: list[str] = typer.Option([], "--opt", help="searcher option key=value (repeatable)"),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda"),
    threads: int = typer.Option(None, "--threads", help="torch CPU threads (1 is fastest on a busy machine)"),
    out: str = typer.Option(None, "--out", "-o", help="run directory (default runs/<method>-<preset>-s<seed>)"),
    resume: bool = typer.Option(False, "--resume", help="continue the run in --out from its checkpoint"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    as_json: bool = typer.Option(False, "--json", help="print results.json to stdout when done"),
) -> None:
    """Run (or --resume) one architecture search and write results.json to --out."""
    from e2nas.data import DataMissingError
    from e2nas.engine import CheckpointError, ConfigError, SearchEngine, SearchError, make_config
    from e2nas.searchers import SearcherError, get_searcher_class

    try:
        get_searcher_class(method)
        cfg = make_config(
            preset,
            method,
            dataset=dataset,
            data_dir=data_dir,
            epochs=epochs,
            batch_size=batch_size,
            steps_per_epoch=steps_per_epoch,
            C=channels,
            N=cells,
            lr=lr,
            seed=seed,
            epsilon=epsilon,
            options=_parse_opts(opt) or None,
            device=device,
            threads=threads,
        )
        run_dir = out or f"runs/{method}-{preset}-s{seed}"
        engine = SearchEngine(cfg, run_dir, resume=resume, progress=not quiet)
        results = engine.run()
    except (SearcherError, ConfigError, CheckpointError, DataMissingError, SearchError) as err:
        fail(str(err))
    if results is None:
        typer.echo(f"interrupted: checkpoint saved in {run_dir}; continue with --resume --out {run_dir}", err=True)
        raise typer.Exit(130)
    if as_json:
        print_json(results)
        return
    f, b = results["final"], results["best"]
    typer.echo(f"final cell #{f['index']} {f['cell']}  C10 valid {f['ground_truth']['cifar10_valid']:.2f}")
    typer.echo(f"best seen  #{b['index']} {b['cell']}  C10 valid {b['ground_truth']['cifar10_valid']:.2f}")
    typer.echo(f"wall {results['wall_time_s']:.1f}s; results in {run_dir}/results.json")


def methods(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """List the registered search methods."""
    from e2nas.searchers import list_searchers

    registry = list_searchers()
    if as_json:
        print_json(registry)
        return
    width = max(len(n) for n in registry)
    for name, desc in registry.items():
        mark = " (default)" if name == DEFAULT_METHOD else ""
        typer.echo(f"{name.ljust(width)}  {desc}{mark}")
