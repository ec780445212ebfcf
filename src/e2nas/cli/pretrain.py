"""``e2nas pretrain``: train a supernet once by a recipe; write supernet.pt (weights only) and supernet.json."""

from __future__ import annotations

from pathlib import Path

import typer

from e2nas.cli.common import fail


def pretrain(
    out: Path = typer.Option(Path("runs/pretrain"), "--out", "-o", help="run directory"),
    preset: str = typer.Option(None, "--preset", "-p", help="search preset to pretrain [default: cpu]"),
    seed: int = typer.Option(None, "--seed", help="random seed (same seed, same weights on CPU) [default: 0]"),
    epochs: int = typer.Option(None, "--epochs", help="epochs over the search-train images [default: the recipe's]"),
    lr: float = typer.Option(None, "--lr", help="weight learning rate [default: the recipe's, 0.05]"),
    schedule: str = typer.Option(None, "--schedule", help="lr schedule: constant | cosine | plateau"),
    sampler: str = typer.Option(
        None, "--sampler", help="cells trained: fair | uniform | connected | iso [default: the recipe's, fair]"
    ),
    train_size: int = typer.Option(None, "--train-size", help="search-train images [default: 25000, all]"),
    snapshot_every: int = typer.Option(None, "--snapshot-every", help="also keep the supernet every E epochs"),
    samples: str = typer.Option("0,1,2", "--samples", help="cell-sample seeds the final supernet is ranked on"),
    bn: str = typer.Option(None, "--bn", help="BN statistics of that ranking: batch | running | recal"),
    threads: int = typer.Option(None, "--threads", help="torch CPU threads"),
    resume: bool = typer.Option(False, "--resume", help="continue the pretraining in --out"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:
    """Pretrain a supernet (RandomNAS weight training by a recipe; docs/results/pretrain), then rank it on several
    cell samples beside the parameter count. `e2nas search --init-supernet OUT` starts a search from it."""
    from e2nas.data import DataMissingError
    from e2nas.engine import CheckpointError, ConfigError, SearchError
    from e2nas.pretrain.recipe import DEFAULT_BN, PretrainRecipe, read_recipe
    from e2nas.pretrain.recipe import pretrain as run_pretrain
    from e2nas.safeio import RunDirBusyError
    from e2nas.searchers import SearcherError
    from e2nas.spaces import SpaceError

    given = {
        "preset": preset,
        "seed": seed,
        "epochs": epochs,
        "lr": lr,
        "lr_schedule": schedule,
        "train_size": train_size,
        "snapshot_every": snapshot_every,
        "sampler": None if sampler in (None, "fair") else sampler,
        "fair": None if sampler is None else sampler == "fair",
    }
    given = {k: v for k, v in given.items() if v is not None}
    stored = read_recipe(out) if resume else None
    if stored is not None:  # `--resume --out DIR` continues DIR's recipe; a different flag is a different run
        for k, v in given.items():
            if k not in ("preset", "seed") and getattr(stored, k) != v:
                fail(f"--{k.replace('_', '-')} {v} does not match the pretraining being resumed ({getattr(stored, k)})")
        recipe = stored
    else:
        recipe = PretrainRecipe(**given)
    try:
        seeds = tuple(int(s) for s in samples.split(",") if s.strip())
    except ValueError:
        fail(f"--samples expects comma-separated integers, got {samples!r}")
    if not seeds:
        fail("--samples needs at least one cell-sample seed")
    if threads is not None and threads < 1:
        fail(f"--threads must be >= 1, got {threads}")
    mode = bn or DEFAULT_BN
    from e2nas.inherited import BN_MODES

    if mode not in BN_MODES:
        fail(f"--bn must be one of {', '.join(BN_MODES)}, got {mode!r}")
    try:
        record = run_pretrain(recipe, out, resume=resume, threads=threads, progress=not quiet, samples=seeds, bn=mode)
    except (SearcherError, SpaceError, ConfigError, CheckpointError, DataMissingError, SearchError) as err:
        fail(str(err))
    except RunDirBusyError as err:
        fail(str(err))
    if record is None:
        typer.echo(f"interrupted: checkpoint saved in {out}; continue with `e2nas pretrain --resume --out {out}`")
        raise typer.Exit(130)
    r = record["ranking"]
    verdict = "beats" if r["tau_minus_params_tau"] > 0 else "does not beat"
    typer.echo(
        f"supernet: {out / 'supernet.pt'} ({record['bytes'] / 1e6:.2f} MB, {record['steps']:,} steps); "
        f"Kendall tau {r['kendall_tau']:+.3f} (params {r['params_tau']:+.3f}) over {len(r['samples'])} samples "
        f"of {r['cells']} cells, BN {r['bn']}: {verdict} counting parameters"
    )
    typer.echo(f"record: {out / 'supernet.json'}; search from it with `e2nas search --init-supernet {out}`")
