"""``e2nas arch`` and ``e2nas space``: inspect cells and the search space."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from e2nas.cli.common import fail, print_json
from e2nas.spaces.registry import DEFAULT_SPACE

if TYPE_CHECKING:
    from e2nas.spaces import SearchSpace, Shown

space_app = typer.Typer(help="Facts about a search space.", no_args_is_help=True)
SPACE_HELP = "search space (see `e2nas methods`)"


def arch(
    architecture: str = typer.Argument(
        ..., metavar="ARCH", help="NB201 index, official string or 6 op ids; with --space darts a Genotype(...)"
    ),
    space: str = typer.Option(DEFAULT_SPACE, "--space", help=SPACE_HELP),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Show an architecture: NB201 cell (index, ops, isomorphism key, parameters, ground truth) or DARTS
    genotype (op counts, evaluation-network parameters)."""
    # each space says what it shows (SearchSpace.show_arch), so a new space needs no edit here
    from e2nas.spaces import ArchParseError

    try:
        shown = _space(space).show_arch(architecture)
    except ArchParseError as err:
        fail(str(err))
    _print(shown, as_json)


@space_app.command("stats")
def space_stats(
    space: str = typer.Option(DEFAULT_SPACE, "--space", help=SPACE_HELP),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Counts and optima of a search space."""
    _print(_space(space).show_space(), as_json)


def _space(name: str) -> SearchSpace:
    """The registered space ``name``; an unknown name is a one-line error."""
    from e2nas.spaces import SpaceError, get_space

    try:
        return get_space(name)
    except SpaceError as err:
        fail(str(err))


def _print(shown: Shown, as_json: bool) -> None:
    """``shown.data`` as JSON, or its text: echoed when a string, else rendered by rich (a table)."""
    if as_json:
        print_json(shown.data)
    elif isinstance(shown.text, str):
        typer.echo(shown.text)
    else:
        from rich.console import Console

        Console().print(shown.text)
