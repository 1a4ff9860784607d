"""``gradclip verify``: check any implementation's invariants from the shell.

``gradclip verify clip MODULE:ATTR`` checks a clipping function with the
seed's signature ``f(grads, max_norm)``; ``gradclip verify net MODULE:ATTR``
checks a class with the book's ``TwoLayerNet`` constructor and methods;
``value``, ``norm`` and ``shard`` check element-wise clipping, a global norm,
and clipping a shard by a given norm. Without ``MODULE:ATTR`` it checks
gradclip's own; without a kind, every kind. One
line per invariant: PASS or FAIL, its tier, and on failure the minimal
counterexample Hypothesis found. Exit status: 0 when everything passes, 1
when an invariant fails, 2 on a usage error.
"""

import argparse
import importlib
import os
import sys
import textwrap
from typing import Any

from gradclip.cli import positive_int

__all__ = ["configure", "run"]

_OWN = {
    "clip": "gradclip:clip_grads",
    "net": "gradclip:TwoLayerNet",
    "value": "gradclip:clip_grads_value",
    "norm": "gradclip:global_norm",
    "shard": "gradclip:clip_grads_with_norm",
}
_TIERS = {"core": ("core",), "robust": ("robust",), "all": ("core", "robust")}


class UsageError(Exception):
    """A bad command line, reported in one line with exit status 2."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``verify``'s arguments."""
    parser.add_argument(
        "kind",
        nargs="?",
        choices=sorted(_OWN),
        help="what to check (default: all five): clip, a function f(grads, "
        "max_norm); net, a class with the book's TwoLayerNet API; value, "
        "f(grads, clip_value); norm, f(grads) -> float; shard, f(grads, "
        "max_norm, total_norm)",
    )
    parser.add_argument(
        "target",
        nargs="?",
        metavar="MODULE:ATTR",
        help="the implementation to check (default: gradclip's own)",
    )
    parser.add_argument(
        "--max-examples",
        type=positive_int,
        default=100,
        metavar="N",
        help="cases to try per invariant (default: 100)",
    )
    parser.add_argument(
        "--tier",
        choices=sorted(_TIERS),
        default="all",
        help="core: the seed's contract on ordinary inputs; robust: the rest",
    )
    parser.add_argument(
        "--derandomize",
        action="store_true",
        help="draw the same cases on every run",
    )


def run(args: argparse.Namespace) -> int:
    """Check the invariants, print one line each, and return the exit status."""
    from gradclip.verify._invariant import Invariant
    from gradclip.verify.clipping import CLIP_INVARIANTS, SHARD_INVARIANTS
    from gradclip.verify.net import NET_INVARIANTS
    from gradclip.verify.norm import NORM_INVARIANTS
    from gradclip.verify.runner import run_invariants
    from gradclip.verify.value import VALUE_INVARIANTS

    if args.target is not None and args.kind is None:
        return _usage(f"give the kind ({', '.join(_OWN)}) before MODULE:ATTR")
    kinds = [args.kind] if args.kind else list(_OWN)
    suites: dict[str, tuple[Invariant[Any, Any], ...]] = {
        "clip": CLIP_INVARIANTS,
        "net": NET_INVARIANTS,
        "norm": NORM_INVARIANTS,
        "value": VALUE_INVARIANTS,
        "shard": SHARD_INVARIANTS,
    }
    failed = 0
    for kind in kinds:
        target = args.target or _OWN[kind]
        try:
            implementation = load(target)
        except UsageError as error:
            return _usage(str(error))
        print(
            f"gradclip verify {kind} {target} (tier {args.tier}, "
            f"{args.max_examples} examples per invariant)"
        )
        chosen = [i for i in suites[kind] if i.tier in _TIERS[args.tier]]
        outcomes = run_invariants(
            chosen,
            implementation,
            max_examples=args.max_examples,
            derandomize=args.derandomize,
            on_start=lambda invariant: print(
                f"  ... {invariant.name}", end="\r", file=sys.stderr, flush=True
            ),
        )
        for outcome in outcomes:
            invariant = outcome.invariant
            verdict = "PASS" if outcome.passed else "FAIL"
            print(
                f"{verdict} {invariant.tier:<6} {invariant.name:<28} "
                f"{outcome.seconds:6.1f}s  {invariant.statement}",
                flush=True,
            )
            if not outcome.passed:
                failed += 1
                print(f"     counterexample: {outcome.counterexample}")
                print(textwrap.indent(str(outcome.error), "     "))
    print(f"{failed} invariant(s) failed" if failed else "all invariants hold")
    return 1 if failed else 0


def load(target: str) -> Any:
    """Import ``MODULE:ATTR`` (ATTR may be dotted) from the current directory too.

    Raises:
        UsageError: the target is malformed, cannot be imported, or lacks ATTR.
    """
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise UsageError(f"target must look like MODULE:ATTR, got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: Any = importlib.import_module(module_name)
    except Exception as error:  # any failure to import is the target's fault
        raise UsageError(
            f"cannot import module {module_name!r}: {type(error).__name__}: {error}"
        ) from None
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise UsageError(
                f"module {module_name!r} has no attribute {attribute!r}"
            ) from None
    if not callable(value):
        raise UsageError(f"{target} must be callable, got {type(value).__name__}")
    return value


def _usage(message: str) -> int:
    print(f"gradclip verify: error: {message}", file=sys.stderr)
    return 2
