"""``e2nas vae``: train and evaluate the D-VAE latent space over all NB201 cells."""

from __future__ import annotations

from pathlib import Path

import typer

from e2nas.cli.common import fail, file_errors_as_one_line, print_json

vae_app = typer.Typer(help="The D-VAE latent space over NB201 cells: train, evaluate.", no_args_is_help=True)


@vae_app.command("train")
@file_errors_as_one_line
def vae_train(
    out: Path = typer.Option(..., "--out", help="where to write the checkpoint (.pt)"),
    seed: int = typer.Option(0, "--seed", help="training seed (init, batches, reparameterisation noise)"),
    epochs: int = typer.Option(None, "--epochs", help="maximum epochs (early stopping may end sooner)"),
    hidden: int = typer.Option(None, "--hidden", help="GRU hidden size"),
    nz: int = typer.Option(None, "--nz", help="latent dimension (< 30 for the novelty term)"),
    batch_size: int = typer.Option(None, "--batch-size"),
    lr: float = typer.Option(None, "--lr"),
    beta: float = typer.Option(None, "--beta", help="KL weight"),
    threads: int = typer.Option(1, "--threads", help="torch CPU threads (1 is fastest for this small model)"),
    as_json: bool = typer.Option(False, "--json", help="print the training record as one JSON object"),
) -> None:
    """Train a D-VAE on the 80% train split, early-stopping on validation reconstruction."""
    import dataclasses

    import torch

    from e2nas.safeio import writable_dir
    from e2nas.vae.io import save_checkpoint
    from e2nas.vae.model import DVAEConfig
    from e2nas.vae.train import TrainConfig, train_dvae

    base = TrainConfig()
    model_cfg = DVAEConfig(
        hidden=hidden if hidden is not None else base.model.hidden, nz=nz if nz is not None else base.model.nz
    )
    if model_cfg.nz < 1 or model_cfg.hidden < 1:
        fail(f"--nz and --hidden must be positive, got nz={model_cfg.nz}, hidden={model_cfg.hidden}")
    overrides = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "beta": beta}
    bad = {k: v for k, v in overrides.items() if v is not None and v <= 0 and k != "beta"}
    if bad or (beta is not None and beta < 0):
        fail(f"options must be positive: {bad or {'beta': beta}}")
    writable_dir(out.parent, "directory of --out")  # fail now, not after the training
    cfg = dataclasses.replace(base, model=model_cfg, seed=seed, **{k: v for k, v in overrides.items() if v is not None})
    torch.set_num_threads(threads)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]D-VAE"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),  # progress on stderr keeps stdout clean for --json
        transient=as_json,
    ) as progress:
        task = progress.add_task("train", total=cfg.epochs, info="")

        def on_epoch(log) -> None:
            info = f"nll {log.nll:.3f} kl {log.kl:.1f} valid recon {log.valid_recon_acc:.4f}"
            progress.update(task, completed=log.epoch, info=info)

        model, record = train_dvae(cfg, on_epoch=on_epoch)
    save_checkpoint(model, out, record)
    summary = {k: v for k, v in record.items() if k != "history"}
    summary["out"] = str(out)
    if as_json:
        print_json(summary)
    else:
        typer.echo(
            f"saved {out}: {record['epochs_run']} epochs, {record['train_seconds']:.1f} s, "
            f"valid recon {record['valid_recon_acc']:.4f}"
        )


@vae_app.command("eval")
@file_errors_as_one_line
def vae_eval(
    model_path: Path = typer.Option(None, "--model", help="checkpoint to evaluate (default: the shipped weights)"),
    prior_samples: int = typer.Option(1000, "--prior-samples", help="z ~ N(0, I) draws to decode"),
    seed: int = typer.Option(0, "--seed", help="seed for prior draws, subset and quality pairs"),
    subset: int = typer.Option(None, "--subset", help="evaluate a seeded sample of this many cells (faster)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Reconstruction, injectivity, prior validity and latent smoothness of a D-VAE."""
    from e2nas.vae.evaluate import evaluate_model
    from e2nas.vae.io import VAECheckpointError, load_checkpoint, pretrained_path

    if prior_samples < 1 or (subset is not None and subset < 2):
        fail("--prior-samples must be >= 1 and --subset >= 2")
    try:
        model, record = load_checkpoint(model_path or pretrained_path())
    except VAECheckpointError as err:
        fail(str(err))
    res = evaluate_model(model, record, prior_samples=prior_samples, seed=seed, subset=subset)
    res["model"] = str(model_path) if model_path else "shipped"
    if as_json:
        print_json(res)
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"D-VAE ({res['model']}, nz={res['nz']}, hidden={res['hidden']})", show_header=False)
    for k, v in res.items():
        if k == "quality":
            for qk, qv in v.items():
                t.add_row(f"quality.{qk}", f"{qv:.4g}" if isinstance(qv, float) else str(qv))
        else:
            t.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    Console().print(t)
