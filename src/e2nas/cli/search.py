"""``e2nas search`` (run or resume one architecture search) and ``e2nas methods`` (list the searchers)."""

from __future__ import annotations

from typing import NoReturn

import typer

from e2nas.cli.common import fail, print_json
from e2nas.engine.config import DEFAULT_METHOD, DEFAULT_PRESET
from e2nas.spaces.registry import DEFAULT_SPACE


def _parse_opts(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"--opt expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _method_opts(items: list[str], **shortcuts: str | None) -> dict[str, str]:
    """--opt values plus the shortcut flags (--variant, --gamma) that are set; a flag and --opt may not clash."""
    out = _parse_opts(items)
    for key, value in shortcuts.items():
        if value is None:
            continue
        if key in out and out[key] != value:
            fail(f"--{key} {value} contradicts --opt {key}={out[key]}; give it once")
        out[key] = value
    return out


def search(
    method: str = typer.Option(
        None, "--method", "-m", help=f"search method (see `e2nas methods`) [default: {DEFAULT_METHOD}]"
    ),
    preset: str = typer.Option(
        None, "--preset", "-p", help=f"paper | cpu-pretrained | cpu | cpu-small | smoke [default: {DEFAULT_PRESET}]"
    ),
    space: str = typer.Option(None, "--space", help=f"search space (see `e2nas methods`) [default: {DEFAULT_SPACE}]"),
    dataset: str = typer.Option(
        None,
        "--dataset",
        help="embedded16 | embedded | cifar10 | cifar100 | imagenet16-120 | cifar10-jpeg | folder (docs/data.md)",
    ),
    data_dir: str = typer.Option(None, "--data-dir", help="directory (or .zip for image folders) with the data"),
    image_size: int = typer.Option(None, "--image-size", help="resize every image to S x S pixels"),
    train_size: int = typer.Option(None, "--train-size", help="search-train images (class-balanced first ones)"),
    valid_size: int = typer.Option(None, "--valid-size", help="search-valid images (class-balanced first ones)"),
    snapshot_every: int = typer.Option(
        None, "--snapshot-every", help="keep the supernet of every E-th epoch (for `e2nas rank --epoch`)"
    ),
    epochs: int = typer.Option(None, "--epochs", help="override the preset's epochs"),
    batch_size: int = typer.Option(None, "--batch-size", help="override the preset's batch size"),
    steps_per_epoch: int = typer.Option(None, "--steps-per-epoch", help="cap the steps per epoch"),
    channels: int = typer.Option(None, "--C", help="supernet channels C"),
    cells: int = typer.Option(None, "--N", help="cells per stage N"),
    lr: float = typer.Option(None, "--lr", help="initial weight learning rate"),
    seed: int = typer.Option(None, "--seed", help="random seed [default: 0]"),
    epsilon: float = typer.Option(None, "--epsilon", help="complementation weight ε in [0, 1] (0 = off)"),
    opt: list[str] = typer.Option([], "--opt", help="searcher option key=value (repeatable)"),
    variant: str = typer.Option(None, "--variant", help="e2nas: paper | reference (same as --opt variant=...)"),
    gamma: str = typer.Option(None, "--gamma", help="e2nas: novelty weight, a number in [0, 1] or sig:K"),
    max_params: str = typer.Option(
        None, "--max-params", help="budget: millions of parameters of the evaluation network (docs/searchers.md)"
    ),
    max_flops: str = typer.Option(
        None, "--max-flops", help="budget: millions of FLOPs of the evaluation network (NB201: the table's)"
    ),
    device: str = typer.Option(None, "--device", help="cpu or cuda [default: cpu]"),
    threads: int = typer.Option(None, "--threads", help="torch CPU threads (1 is fastest on a busy machine)"),
    cuda_graphs: str = typer.Option(
        None, "--cuda-graphs", help="off | on | auto: replay the supernet passes from CUDA graphs [default: off]"
    ),
    precision: str = typer.Option(None, "--precision", help="fp32 | bf16 autocast of the supernet [default: fp32]"),
    eval_bn: str = typer.Option(
        None, "--eval-bn", help="batch | running | recal: BN statistics when cells are scored [default: the preset's]"
    ),
    init_supernet: str = typer.Option(
        None,
        "--init-supernet",
        help="start from pretrained weights: shipped | a supernet.pt / snapshot file | a run directory "
        "[default: the preset's]",
    ),
    warmup_epochs: int = typer.Option(
        None, "--warmup-epochs", help="first E epochs train weights only, on uniformly random cells [default: 0]"
    ),
    out: str = typer.Option(None, "--out", "-o", help="run directory (default runs/<method>-<preset>-s<seed>)"),
    resume: bool = typer.Option(
        False, "--resume", help="continue the run in --out from its checkpoint (its stored settings are the defaults)"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    as_json: bool = typer.Option(False, "--json", help="print results.json to stdout when done"),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="write PNG figures to <out>/plots when done"),
) -> None:
    """Run (or --resume) one architecture search and write results.json to --out."""
    from e2nas.data import DataMissingError
    from e2nas.engine import (
        CheckpointError,
        ConfigError,
        ResumeError,
        SearchEngine,
        SearchError,
        make_config,
        resume_config,
    )
    from e2nas.rundir import RunPaths
    from e2nas.safeio import RunDirBusyError
    from e2nas.searchers import SearcherError, get_searcher_class
    from e2nas.spaces import SpaceError, get_space

    overrides = {
        "dataset": dataset,
        "data_dir": data_dir,
        "image_size": image_size,
        "train_size": train_size,
        "valid_size": valid_size,
        "snapshot_every": snapshot_every,
        "epochs": epochs,
        "batch_size": batch_size,
        "steps_per_epoch": steps_per_epoch,
        "C": channels,
        "N": cells,
        "lr": lr,
        "seed": seed,
        "epsilon": epsilon,
        "device": device,
        "threads": threads,
        "cuda_graphs": cuda_graphs,
        "precision": precision,
        "eval_bn": eval_bn,
        "init_supernet": init_supernet,
        "warmup_epochs": warmup_epochs,
        "max_params": _millions("--max-params", max_params),
        "max_flops": _millions("--max-flops", max_flops),
    }
    options = _method_opts(opt, variant=variant, gamma=gamma)
    try:
        if resume and out is not None and RunPaths(out).config.is_file():
            # `--resume --out DIR` alone continues DIR's run; given flags still apply
            given = {**overrides, "method": method, "preset": preset, "space": space, "options": options}
            try:
                cfg = resume_config(out, given)
            except ResumeError as err:
                _refuse_resume(err)
        else:
            method, preset = method or DEFAULT_METHOD, preset or DEFAULT_PRESET
            get_searcher_class(method)
            cfg = make_config(
                preset, method, space, options=options or None, **{**overrides, "device": device or "cpu"}
            )
        run_dir = out or f"runs/{cfg.method}-{cfg.preset}-s{cfg.seed}"
        engine = SearchEngine(cfg, run_dir, resume=resume, progress=not quiet)
        results = engine.run()
    except (
        SearcherError,
        SpaceError,
        ConfigError,
        CheckpointError,
        DataMissingError,
        SearchError,
        RunDirBusyError,
    ) as err:
        fail(str(err))
    if results is None:
        typer.echo(f"interrupted: checkpoint saved in {run_dir}; continue with --resume --out {run_dir}", err=True)
        raise typer.Exit(130)
    figures = _write_plots(run_dir) if plots else []
    if as_json:
        print_json(results)
        return
    f, b = results["final"], results["best"]
    if f.get("ground_truth") is None and not get_space(cfg.space).has_ground_truth:  # judged by retraining
        typer.echo(f"final architecture {f['cell']}")
        typer.echo(f"  no ground truth on the {cfg.space} space; retrain it with `e2nas train --from {run_dir}`")
    else:
        typer.echo(f"final cell #{f['index']} {f['cell']}")
        typer.echo(f"  ground truth: {_gt_line(f['ground_truth'], cfg.dataset)}")
    budget = results.get("budget")
    if budget is not None:
        c = budget["final_cost"]
        typer.echo(
            f"  budget: {c['params_M']:.3f} M params, {c['flops_M']:.2f} M FLOPs, within: {budget['final_within']}"
        )
        if budget["replaced_by"] is not None:
            typer.echo(f"  the searcher's own answer was over the budget; this is the {budget['replaced_by']['how']}")
        y = budget.get("ground_truth_under_budget")
        if y is not None:
            for key, what in (("best", "best under budget"), ("largest", "largest under budget")):
                e = y[key]
                flops = e["cost"]["flops_M"]
                typer.echo(f"  {what} #{e['index']} ({flops:.1f} M FLOPs): {_gt_line(e['ground_truth'], cfg.dataset)}")
    if b is not None:
        typer.echo(f"best seen  #{b['index']} {b['cell']}")
        typer.echo(f"  ground truth: {_gt_line(b['ground_truth'], cfg.dataset)}")
    r = results.get("ranking")
    if r is not None:
        lo, hi = r["intervals"]["kendall_tau"]
        warn = "  RANKS BACKWARDS: comparisons on this supernet are not evidence" if r["kendall_tau"] < 0 else ""
        typer.echo(
            f"supernet ranking: Kendall tau {r['kendall_tau']:+.3f} [{lo:+.3f}, {hi:+.3f}] over {r['cells']} cells x "
            f"{r['images']} valid images{warn}"
        )
        v = r.get("vs_params")
        if v:  # the free yardstick on the same cells (docs/ranking.md#yardsticks)
            verdict = "beats" if v["beats"] else "does not beat"
            typer.echo(
                f"  params tau {r['params_tau']:+.3f} on the same cells: supernet - params = {v['difference']:+.2f} "
                f"[{v['interval'][0]:+.2f}, {v['interval'][1]:+.2f}], {verdict} counting parameters"
            )
    init = results.get("init_supernet")
    if init:
        tau = f" (its tau {init['kendall_tau']:+.3f})" if "kendall_tau" in init else ""
        typer.echo(f"started from {init['description']}{tau}")
    typer.echo(f"wall {results['wall_time_s']:.1f}s; results in {run_dir}/results.json")
    if figures:
        typer.echo(f"plots: {', '.join(str(p) for p in figures)}")


def _millions(flag: str, text: str | None) -> float | None:
    """A budget in millions: a finite number > 0, else one line and exit 2."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        fail(f"{flag} expects a number of millions (e.g. {flag} 50), got {text!r}")
    if not 0 < value < float("inf"):
        fail(f"{flag} must be a positive number of millions, got {text}")
    return value


def _write_plots(run_dir: str) -> list:
    """The run's figures (search curve, D-VAE latent map with its trajectory). The results are already safe on
    disk, so a plotting failure is a warning, not an error."""
    from e2nas.experiments.plots import make_plots
    from e2nas.rundir import RunPaths

    try:
        return make_plots([run_dir], RunPaths(run_dir).plots)
    except Exception as err:  # noqa: BLE001 - never lose a finished search to a figure
        typer.echo(f"warning: no plots ({type(err).__name__}: {err}); `e2nas report {run_dir}` retries", err=True)
        return []


def _refuse_resume(err) -> NoReturn:
    """A :class:`~e2nas.engine.ResumeError` as one line in the words of the command line (its flags, --out)."""
    if err.field is None:
        fail(str(err))
    flag = "--" + err.field.replace("_", "-")
    if err.field == "init_supernet":
        fail(
            f"{flag} {err.given} does not match the run being resumed ({err.detail}); drop {flag} or use another --out"
        )
    fail(f"{flag} {err.given} does not match the run being resumed ({err.detail}); drop it or use another --out")


def _gt_line(g: dict[str, float] | None, dataset: str = "") -> str:
    """The paper's report columns (docs/reference/nb201.md#ground-truth) of one ground-truth summary."""
    if g is None:
        return f"not available (NB201 measured no cells on dataset {dataset!r})"
    return (
        f"C10 valid {g['cifar10_valid']:.2f}  C10 test(v1_0) {g['cifar10_test_v10']:.2f}  "
        f"C100 test {g['cifar100_test']:.2f}  IN16 test {g['imagenet16_test']:.2f}"
    )


def methods(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """List the registered search methods and the search spaces each works on."""
    from e2nas.searchers import list_searchers
    from e2nas.searchers.registry import searcher_spaces

    registry = {name: {"description": desc, "spaces": searcher_spaces(name)} for name, desc in list_searchers().items()}
    if as_json:
        print_json(registry)
        return
    width = max(len(n) for n in registry)
    spaces = {n: ",".join(r["spaces"]) for n, r in registry.items()}
    swidth = max(len(s) for s in spaces.values())
    for name, r in registry.items():
        mark = " (default)" if name == DEFAULT_METHOD else ""
        typer.echo(f"{name.ljust(width)}  {spaces[name].ljust(swidth)}  {r['description']}{mark}")
