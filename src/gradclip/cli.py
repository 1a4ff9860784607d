"""The ``gradclip`` command: ``demo``, ``verify`` and ``bench``.

Each subcommand lives in its own module, which exposes ``configure(parser)``
to declare its arguments and ``run(args) -> int`` to execute. Modules that
need optional dependencies (Hypothesis) import them inside ``run``, so
``gradclip demo`` works with NumPy alone.
"""

import argparse
import importlib
from collections.abc import Sequence

__all__ = ["main", "positive_int"]

_COMMANDS = {
    "demo": ("gradclip.demo", "print the seed notebook's examples"),
    "verify": ("gradclip.verify.command", "check an implementation's invariants"),
    "bench": ("gradclip.bench", "time clipping and backprop against baselines"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gradclip`` command line and return its exit status."""
    parser = argparse.ArgumentParser(prog="gradclip", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, summary) in _COMMANDS.items():
        module = importlib.import_module(module_name)
        subparser = subparsers.add_parser(name, help=summary, description=summary)
        module.configure(subparser)
        subparser.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status


def positive_int(text: str) -> int:
    """Parse a command-line count: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
