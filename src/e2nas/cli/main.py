"""Entry point: ``e2nas``. Command groups register here; heavy imports happen inside the commands."""

from __future__ import annotations

import typer

from e2nas.cli.arch import arch, space_app
from e2nas.cli.common import file_errors_as_one_line
from e2nas.cli.experiments import report, sweep
from e2nas.cli.export import export
from e2nas.cli.paper import reproduce
from e2nas.cli.pretrain import pretrain
from e2nas.cli.rank import rank
from e2nas.cli.search import methods, search
from e2nas.cli.train import train
from e2nas.cli.vae import vae_app

app = typer.Typer(
    name="e2nas",
    help="Differentiable NAS on NAS-Bench-201: E²NAS and its baselines, scored by NB201 ground truth.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("arch")(arch)
app.add_typer(space_app, name="space")
app.command("search")(file_errors_as_one_line(search))
app.command("methods")(methods)
app.command("rank")(file_errors_as_one_line(rank))
app.command("train")(file_errors_as_one_line(train))
app.command("pretrain")(file_errors_as_one_line(pretrain))
app.command("export")(file_errors_as_one_line(export))
app.add_typer(vae_app, name="vae")
app.command("sweep")(file_errors_as_one_line(sweep))
app.command("report")(file_errors_as_one_line(report))
app.command("reproduce")(file_errors_as_one_line(reproduce))


if __name__ == "__main__":  # pragma: no cover
    app()
