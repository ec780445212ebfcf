"""Helpers shared by CLI commands: one-line errors with exit code 2, JSON printing."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer

#: exit code for bad user input (same as argparse/click usage errors)
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one line to stderr and exit; never a traceback for user errors."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


F = TypeVar("F", bound=Callable[..., Any])


def file_errors_as_one_line(command: F) -> F:
    """Wrap a command so a :class:`~e2nas.safeio.FileAccessError` or any OS error on a path (disk full, permission
    denied, read-only, a file where a directory belongs) ends in one line and exit 2, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from e2nas.safeio.errors import FileAccessError, describe_os_error

        try:
            return command(*args, **kwargs)
        except FileAccessError as err:
            fail(str(err))
        except OSError as err:  # errno None: an e2nas error that already is one line (DataMissingError)
            fail(str(err) if err.errno is None else describe_os_error(err, "use"))

    return wrapper  # type: ignore[return-value]


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=None, sort_keys=False) + "\n")


def run_line(entry: dict) -> str:
    """One line of a sweep's progress: status, run name, its final cell's C10 valid or its error, wall time."""
    status = entry["status"]
    extra = ""
    if entry.get("final_cifar10_valid") is not None:
        extra = f"  final #{entry['final_index']} C10 valid {entry['final_cifar10_valid']:.2f}"
    if entry.get("error"):
        extra = f"  {entry['error']}"
    if entry.get("wall_s") is not None and status != "started":
        extra += f"  ({entry['wall_s']:.0f}s)"
    if entry.get("gpu") is not None:
        extra += f"  [GPU {entry['gpu']}]"
    return f"{status:>11}  {entry['name']}{extra}"
