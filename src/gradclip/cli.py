"""The ``gradclip`` command: ``demo``, ``verify`` and ``bench``.

Each subcommand lives in its own module, which exposes ``configure(parser)``
to declare its arguments and ``run(args) -> int`` to execute. Only the
module of the subcommand asked for is imported, and only after the command
line has named it, so ``gradclip --help``, ``gradclip demo`` and ``gradclip
bench`` work with NumPy alone; ``gradclip verify`` without the Hypothesis
extra says in one line how to install it.
"""

import argparse
import importlib
import importlib.metadata
import os
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["main", "positive_int", "whole_number"]

_COMMANDS = {
    "demo": ("gradclip.demo", "print the seed notebook's examples"),
    "verify": ("gradclip.verify.command", "check an implementation's invariants"),
    "bench": ("gradclip.bench", "time clipping and backprop against baselines"),
}

_EXTRAS = {"hypothesis": "hypothesis"}
"""The extra that brings each optional module a subcommand may need."""

_EPILOG = """\
examples:
  gradclip demo                                    the seed notebook's examples
  gradclip verify clip mypackage.train:clip_grads  check your own clip_grads
  gradclip verify net mypackage.model:TwoLayerNet  check your own TwoLayerNet
  gradclip bench --quick                           a quick timing, in seconds

Run 'gradclip COMMAND --help' for a command's own options."""
"""Shown after the top-level help, as written (RawDescriptionHelpFormatter)."""

_SIGPIPE_STATUS = 141
"""What a shell reports for a command ended by SIGPIPE (128 + 13)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gradclip`` command line and return its exit status.

    Output cut short by a closed pipe (``gradclip demo | head -1``) ends the
    command quietly with the status a shell gives SIGPIPE.
    """
    try:
        return _dispatch(sys.argv[1:] if argv is None else list(argv))
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at /dev/null so that
        # the flush cannot raise a second time (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return _SIGPIPE_STATUS


def _dispatch(argv: list[str]) -> int:
    """Find the subcommand, then parse its arguments with its own module."""
    top = argparse.ArgumentParser(
        prog="gradclip",
        description="Exact in-place gradient clipping for NumPy, and the "
        "invariants that check\nany implementation of it: gradclip's own, the "
        "book's, or yours.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"gradclip {_version()}")
    subparsers = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, summary) in _COMMANDS.items():
        # Each subcommand's own arguments (and its --help) are parsed below.
        subparsers.add_parser(name, help=summary, add_help=False)
    chosen, rest = top.parse_known_args(argv)
    module_name, summary = _COMMANDS[chosen.command]
    prog = f"gradclip {chosen.command}"
    module = _import(module_name, prog)
    if module is None:
        return 2
    parser = argparse.ArgumentParser(prog=prog, description=summary)
    module.configure(parser)
    args = parser.parse_args(rest)
    status: int = module.run(args)
    return status


def _import(module_name: str, prog: str) -> ModuleType | None:
    """Import a subcommand's module, or say which extra it needs and return None."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        extra = _EXTRAS.get((error.name or "").partition(".")[0])
        if extra is None:
            raise
        print(
            f"{prog}: error: needs {error.name}, which is not installed; "
            f"install it with: pip install 'gradclip[{extra}]'",
            file=sys.stderr,
        )
        return None


def _version() -> str:
    """The installed distribution's version."""
    try:
        return importlib.metadata.version("gradclip")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def whole_number(text: str) -> int:
    """Parse a command-line whole number, or say it is not one."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number, got {text!r}"
        ) from None


def positive_int(text: str) -> int:
    """Parse a command-line count: a whole number of at least 1."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
