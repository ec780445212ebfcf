"""Helpers shared by CLI commands: one-line errors with exit code 2, JSON printing."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

#: exit code for bad user input (same as argparse/click usage errors)
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one line to stderr and exit; never a traceback for user errors."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=None, sort_keys=False) + "\n")
