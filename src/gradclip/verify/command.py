"""``gradclip verify``: check any implementation's invariants from the shell.

``gradclip verify clip MODULE:ATTR`` checks a clipper by global norm,
``net`` a class with the book's ``TwoLayerNet`` API, ``value``, ``norm`` and
``shard`` an element-wise clipper, a global norm and a shard clipper given
the norm; without ``MODULE:ATTR``, gradclip's own; without a kind, all five.
The implementation's calling convention is detected first (a dict or a list,
pairs, objects with ``.grad``, new arrays returned; class labels or one-hot
targets) and printed; ``--form`` chooses one instead.

Each invariant prints ``PASS|FAIL|SKIP <tier> <name> <seconds> <statement>``;
each kind ends with a summary per tier. Exit status: 0 when every core
invariant holds, 1 when one fails (with ``--strict``, when any fails), 2 for
a usage error (a bad command line, a target that cannot be imported, no
calling convention that works).

The implementation runs in a worker process, so that one that exits,
crashes or hangs (``--timeout``) fails the invariant it was running and the
others still run.
"""

import argparse
import json
import os
import random
import shlex
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from gradclip.cli import positive_int, whole_number
from gradclip.verify._invariant import Invariant
from gradclip.verify._suites import PREFLIGHT, SUITES
from gradclip.verify._supervisor import Died, Pool, TimedOut
from gradclip.verify._target import UsageError, load
from gradclip.verify._worker import Request
from gradclip.verify.conventions import Kind, forms
from gradclip.verify.frameworks import FRAMEWORK_FORMS, TARGETS
from gradclip.verify.report import KindReport, json_report, summary, verdict_lines
from gradclip.verify.runner import Outcome, ordinary_note

__all__ = ["UsageError", "configure", "load", "run"]

_OWN: dict[Kind, str] = {
    "clip": "gradclip:clip_grads",
    "net": "gradclip:TwoLayerNet",
    "value": "gradclip:clip_grads_value",
    "norm": "gradclip:global_norm",
    "shard": "gradclip:clip_grads_with_norm",
}
_TIERS = {
    "core": ("core",),
    "return": ("return",),
    "robust": ("robust",),
    "all": ("core", "return", "robust"),
}
_DEFAULT_EXAMPLES = 100
_DEFAULT_TIMEOUT = 60.0
_PREFLIGHT_EXAMPLES = 20
_DEFAULT_JOBS = min(2, os.cpu_count() or 1)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds, got {text!r}"
        ) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _seed(text: str) -> int:
    value = whole_number(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32), got {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``verify``'s arguments."""
    parser.add_argument(
        "kind",
        nargs="?",
        choices=sorted(_OWN),
        help="what to check (default: all five): clip, f(grads, max_norm); "
        "net, a class with the book's TwoLayerNet API; value, f(grads, "
        "clip_value); norm, f(grads) -> float; shard, f(grads, max_norm, "
        "total_norm)",
    )
    parser.add_argument(
        "target",
        nargs="?",
        metavar="MODULE:ATTR",
        help="the implementation to check (default: gradclip's own), or a "
        "framework's own: torch, optax, tensorflow (clip, value and norm; "
        "torch shard too)",
    )
    parser.add_argument(
        "--framework",
        choices=sorted(FRAMEWORK_FORMS),
        help="MODULE:ATTR is written for this framework's tensors: detect "
        "among its calling conventions only (torch: Parameters with .grad, "
        "or tensors; jax: a pytree returned anew; tensorflow: a list of "
        "tensors returned anew)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE.md",
        help="write the conformance table instead: every built-in framework "
        "target, gradclip, the notebook's and the book's clip_grads, against "
        "every clip, value and norm invariant (derandomized)",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        metavar="FILE.md",
        help="with --report, also put the short table in FILE.md between its "
        "conformance markers",
    )
    parser.add_argument(
        "--form",
        metavar="NAME",
        help="the calling convention to use instead of detecting one: for "
        "clip, value and shard dict, list, pairs, params, functional, "
        "functional-list; for norm dict, list, pairs, params; for net "
        "labels, one-hot",
    )
    parser.add_argument(
        "--max-examples",
        type=positive_int,
        default=_DEFAULT_EXAMPLES,
        metavar="N",
        help=f"cases to try per invariant (default: {_DEFAULT_EXAMPLES})",
    )
    parser.add_argument(
        "--tier",
        choices=sorted(_TIERS),
        default="all",
        help="core: the notebook's contract on ordinary inputs; return: a "
        "returned norm; robust: the rest (default: all)",
    )
    parser.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        help="check only these invariants, whatever their tier",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        metavar="N",
        help="the run's seed, printed by every run (default: a random one)",
    )
    parser.add_argument(
        "--derandomize",
        action="store_true",
        help="draw the same cases on every run, whatever the seed",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=_DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"fail an invariant that runs longer (default: {_DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=_DEFAULT_JOBS,
        metavar="N",
        help="worker processes checking invariants side by side "
        f"(default: {_DEFAULT_JOBS})",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when any invariant fails, not only a core one",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write the report as JSON to FILE",
    )


class _Progress:
    """One line on a terminal's stderr: the invariants running and their
    examples so far; nothing when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._on = stream.isatty()
        self._running: dict[str, int] = {}

    def show(self, name: str, examples: int) -> None:
        self._running[name] = examples
        if self._on:
            running = ", ".join(f"{n}: {e} examples" for n, e in self._running.items())
            self._stream.write(f"\r\x1b[K  ... {running}")
            self._stream.flush()

    def clear(self, name: str) -> None:
        self._running.pop(name, None)
        if self._on:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def run(args: argparse.Namespace) -> int:
    """Check the invariants, print one line each, and return the exit status."""

    if args.report is not None:
        return _report(args)
    if args.readme is not None:
        return _usage("--readme needs --report")
    seed = (
        args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    )
    try:
        kinds, only = _chosen(args, SUITES)
    except UsageError as error:
        return _usage(str(error))

    reports: list[KindReport] = []
    status = 0
    try:
        for kind in kinds:
            report = _check_kind(kind, args, seed, only)
            reports.append(report)
            if report.error is not None:
                status = 2
                break
            if not report.core_holds() or (args.strict and not report.all_hold()):
                status = 1
    except KeyboardInterrupt:
        print("gradclip verify: interrupted", file=sys.stderr)
        return 130
    if status != 2:
        print(f"verdict: {_verdict(status, args.strict)} (exit {status})")
    if args.json is not None:
        document = json_report(
            reports, seed=seed, exit_status=status, command=_command_line()
        )
        args.json.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
    return status


def _chosen(
    args: argparse.Namespace, suites: dict[Kind, tuple[Invariant[Any, Any], ...]]
) -> tuple[list[Kind], set[str] | None]:
    """The kinds to check and the invariant names asked for, validated."""
    if args.target is not None and args.kind is None:
        raise UsageError(f"give the kind ({', '.join(_OWN)}) before MODULE:ATTR")
    if args.form is not None and args.kind is None:
        raise UsageError("--form needs a kind")
    if args.framework is not None:
        if args.target is None or args.form is not None:
            raise UsageError("--framework needs a kind and MODULE:ATTR, and no --form")
        args.form = ",".join(_framework_forms(args.kind, args.framework))
    kinds: list[Kind] = [args.kind] if args.kind else list(_OWN)
    if args.only is None:
        return kinds, None
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    known = {i.name for kind in kinds for i in suites[kind]} | {"preflight"}
    unknown = sorted(only - known)
    if unknown or not only:
        raise UsageError(
            f"--only names no invariant of {', '.join(kinds)}: got {args.only!r}; "
            f"known: {', '.join(sorted(known))}"
        )
    return kinds, only


def _check_kind(
    kind: Kind, args: argparse.Namespace, seed: int, only: set[str] | None
) -> KindReport:
    """Check one kind in workers and print its report; return the report."""
    target = args.target or _OWN[kind]
    report = KindReport(kind, target)
    try:
        pool = Pool(target, kind, args.form, args.timeout, args.jobs)
    except UsageError as error:
        report.error = str(error)
        _usage(str(error))
        return report
    report.convention = pool.convention
    tiers = _TIERS[args.tier]
    chosen = [
        i
        for i in SUITES[kind]
        if (i.name in only if only is not None else i.tier in tiers)
    ]
    _print_header(kind, target, args, seed, pool.convention)
    run = _Run(pool, args, seed, report)
    try:
        [preflight] = run.check([PREFLIGHT[kind]], _PREFLIGHT_EXAMPLES)
        if preflight.passed:
            run.check(chosen, args.max_examples)
        else:
            for invariant in chosen:
                reason = "not run: the implementation fails the preflight"
                run.emit(Outcome(invariant, 0.0, status="SKIP", reason=reason))
    finally:
        pool.close()
    print(f"summary: {summary(report.outcomes)}")
    failures = [o.invariant.name for o in report.outcomes if o.status == "FAIL"]
    replay = _replay(kind, target, args, seed, failures)
    print(f"seed {seed}" + (f"; replay the failures: {replay}" if failures else ""))
    return report


class _Run:
    """Invariants checked side by side, their verdicts printed in order."""

    def __init__(
        self, pool: Pool, args: argparse.Namespace, seed: int, report: KindReport
    ) -> None:
        self._pool = pool
        self._args = args
        self._seed = seed
        self._report = report
        self._failed: set[str] = set()
        self._progress = _Progress(sys.stderr)

    def check(
        self, invariants: list[Invariant[Any, Any]], examples: int
    ) -> list[Outcome]:
        """Check the invariants; print and return their outcomes, in order."""
        requests = [
            Request(
                i.name,
                min(examples, self._args.max_examples),
                self._seed,
                self._args.derandomize,
            )
            for i in invariants
        ]
        done: dict[int, Outcome] = {}
        shown: list[Outcome] = []
        for index, result in self._pool.run(requests, self._progress.show):
            done[index] = self._outcome(invariants[index], result)
            while len(shown) in done:
                shown.append(self.emit(done.pop(len(shown))))
        return shown

    def _outcome(
        self, invariant: Invariant[Any, Any], result: dict[str, Any] | Exception
    ) -> Outcome:
        """The outcome a worker sent; a timeout or a dead worker is a FAIL."""
        timeout = self._args.timeout
        if isinstance(result, TimedOut):
            error = (
                f"timeout: no verdict within {timeout:g} s (--timeout); "
                "the implementation may hang on some input"
            )
            return Outcome(invariant, timeout, status="FAIL", error=error)
        if isinstance(result, Died):
            error = f"the implementation ended the worker: {result}"
            return Outcome(invariant, 0.0, status="FAIL", error=error)
        if isinstance(result, Exception):
            error = f"the worker could not restart: {result}"
            return Outcome(invariant, 0.0, status="FAIL", error=error)
        return Outcome(invariant, **result)

    def emit(self, outcome: Outcome) -> Outcome:
        """Note a failure seen on ordinary input too, then print the outcome."""
        if outcome.status == "FAIL":
            self._failed.add(outcome.invariant.name)
            note = ordinary_note(outcome.invariant, self._failed)
            if note is not None:
                outcome = replace(outcome, note=note)
        self._progress.clear(outcome.invariant.name)
        _emit(self._report, outcome)
        return outcome


def _emit(report: KindReport, outcome: Outcome) -> None:
    report.outcomes.append(outcome)
    print("\n".join(verdict_lines(outcome)), flush=True)


def _print_header(
    kind: str,
    target: str,
    args: argparse.Namespace,
    seed: int,
    convention: dict[str, Any],
) -> None:
    tiers = ", ".join(_TIERS[args.tier]) if args.only is None else "as --only names"
    print(f"gradclip verify {kind} {target}")
    hint = "" if target in TARGETS else f" (--form {convention['name']})"
    print(f"  calling convention: {convention['description']}{hint}")
    for note in convention["notes"]:
        print(f"  note: {note}")
    print(
        f"  tiers {tiers}; {args.max_examples} examples per invariant; seed {seed}"
        f"{' (derandomized)' if args.derandomize else ''}; timeout "
        f"{args.timeout:g} s per invariant"
    )


def _framework_forms(kind: Kind, framework: str) -> list[str]:
    """The names of a framework's forms of ``kind``, in the order tried."""
    registered = {form.name for form in forms(kind)}
    names = [name for name in FRAMEWORK_FORMS[framework] if name in registered]
    if not names:
        raise UsageError(f"{framework} has no calling convention for {kind}")
    return names


def _report(args: argparse.Namespace) -> int:
    """Write the conformance table (``--report``) and print one line per row."""
    from gradclip.verify.conformance import write_report

    if args.kind is not None or args.target is not None:
        return _usage("--report checks every implementation: give no kind or target")

    def show(result: Any) -> None:
        counts = Counter(cell.status for cell in result.cells.values())
        tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        print(
            f"{result.label} ({result.kind}, {result.version}): {tally} "
            f"[{result.seconds:.0f} s]",
            flush=True,
        )

    try:
        write_report(
            args.report,
            readme=args.readme,
            max_examples=args.max_examples,
            on_result=show,
        )
    except ValueError as error:
        return _usage(str(error))
    print(f"wrote {args.report}" + (f" and {args.readme}" if args.readme else ""))
    return 0


def _verdict(status: int, strict: bool) -> str:
    if status == 0:
        return "every invariant holds" if strict else "core holds"
    return "an invariant fails" if strict else "core fails"


def _replay(
    kind: str, target: str, args: argparse.Namespace, seed: int, names: list[str]
) -> str:
    parts = ["gradclip", "verify", kind, target, "--seed", str(seed)]
    parts += ["--only", ",".join(names)]
    if args.framework is not None:
        parts += ["--framework", args.framework]
    elif args.form is not None:
        parts += ["--form", args.form]
    if args.max_examples != _DEFAULT_EXAMPLES:
        parts += ["--max-examples", str(args.max_examples)]
    if args.derandomize:
        parts.append("--derandomize")
    return shlex.join(parts)


def _command_line() -> str:
    return shlex.join(["gradclip", *sys.argv[1:]])


def _usage(message: str) -> int:
    print(f"gradclip verify: error: {message}", file=sys.stderr)
    return 2
