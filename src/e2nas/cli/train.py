"""``e2nas train``: retrain an architecture from scratch with its space's recipe (NB201's 200-epoch training,
DARTS' evaluation network), given directly or as a finished search's final architecture (``--from``)."""

from __future__ import annotations

import typer

from e2nas.cli.common import fail, print_json
from e2nas.rundir import RunPaths
from e2nas.spaces.registry import DEFAULT_SPACE, LEGACY_SPACE


def _from_run(run_dir: str) -> tuple[str, str]:
    """(space, architecture) of the final answer of the search in ``run_dir``."""
    import json

    path = RunPaths(run_dir).results
    if not path.is_file():
        fail(f"--from {run_dir}: no results.json there (is it a finished `e2nas search` run directory?)")
    try:
        results = json.loads(path.read_text())
        return str(results.get("space", LEGACY_SPACE)), str(results["final"]["cell"])
    except (ValueError, KeyError, TypeError):
        fail(f"--from {run_dir}: results.json is not a search's results (no final architecture)")


def train(
    architecture: str = typer.Argument(
        None, metavar="[ARCH]", help="NB201 cell (index, string, op ids) or DARTS Genotype(...); or use --from"
    ),
    space: str = typer.Option(
        None, "--space", help=f"search space (see `e2nas methods`) [default: {DEFAULT_SPACE}, or the --from run's]"
    ),
    from_run: str = typer.Option(None, "--from", help="retrain the final architecture of this search run directory"),
    preset: str = typer.Option("cpu", "--preset", "-p", help="paper | cpu | smoke"),
    dataset: str = typer.Option(None, "--dataset", help="embedded | cifar10 | cifar100 | imagenet16-120"),
    data_dir: str = typer.Option(None, "--data-dir", help="directory with the dataset's files"),
    epochs: int = typer.Option(None, "--epochs", help="override the preset's epochs"),
    batch_size: int = typer.Option(None, "--batch-size", help="override the preset's batch size"),
    steps_per_epoch: int = typer.Option(None, "--steps-per-epoch", help="cap the steps per epoch"),
    channels: int = typer.Option(None, "--C", help="initial channels C"),
    cells: int = typer.Option(None, "--N", help="cells per stage N (DARTS: normal cells per stage)"),
    lr: float = typer.Option(None, "--lr", help="initial learning rate"),
    seed: int = typer.Option(None, "--seed", help="random seed [default: 0]"),
    device: str = typer.Option(None, "--device", help="cpu or cuda [default: cpu]"),
    threads: int = typer.Option(None, "--threads", help="torch CPU threads"),
    out: str = typer.Option(None, "--out", "-o", help="run directory (default runs/train-<space>-<preset>-s<seed>)"),
    resume: bool = typer.Option(False, "--resume", help="continue the run in --out from its checkpoint"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no per-epoch lines"),
    as_json: bool = typer.Option(False, "--json", help="print results.json to stdout when done"),
) -> None:
    """Train an architecture from scratch and write results.json (test accuracy, parameters) to --out."""
    from e2nas.data import DataMissingError
    from e2nas.data.pickled import DataFormatError
    from e2nas.engine import CheckpointError
    from e2nas.safeio import RunDirBusyError
    from e2nas.spaces import ArchParseError, SpaceError
    from e2nas.train import TrainConfigError, Trainer, TrainError, make_train_config

    if (architecture is None) == (from_run is None):
        fail("give the architecture to train, or --from RUN_DIR (one of them)")
    if from_run is not None:
        run_space, architecture = _from_run(from_run)
        if space is not None and space != run_space:
            fail(f"--space {space} contradicts the --from run, which searched the {run_space} space")
        space = run_space
    space = space or DEFAULT_SPACE
    overrides = {
        "dataset": dataset,
        "data_dir": data_dir,
        "epochs": epochs,
        "batch_size": batch_size,
        "steps_per_epoch": steps_per_epoch,
        "C": channels,
        "N": cells,
        "lr": lr,
        "seed": seed,
        "device": device,
        "threads": threads,
    }
    try:
        cfg = make_train_config(architecture, space, preset, **overrides)
        run_dir = out or f"runs/train-{cfg.space}-{cfg.preset}-s{cfg.seed}"
        results = Trainer(cfg, run_dir, resume=resume, progress=not quiet).run()
    except ArchParseError as err:
        fail(f"invalid {space} architecture: {err}")
    except (
        TrainConfigError,
        SpaceError,
        CheckpointError,
        DataMissingError,
        DataFormatError,
        TrainError,
        RunDirBusyError,
    ) as err:
        fail(str(err))
    if results is None:
        typer.echo(f"interrupted: checkpoint saved in {run_dir}; continue with --resume --out {run_dir}", err=True)
        raise typer.Exit(130)
    if as_json:
        print_json(results)
        return
    typer.echo(f"trained {results['arch']}")
    typer.echo(
        f"  test acc {results['final']['test_acc']:.2f} % after {results['epochs']} epochs; "
        f"{results['params_without_aux'] / 1e6:.6f} M parameters ({results['params'] / 1e6:.6f} M with auxiliary head)"
    )
    typer.echo(f"wall {results['wall_time_s']:.1f}s; results in {run_dir}/results.json")
