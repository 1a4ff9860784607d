"""``gradclip bench``: clipping and backprop timed side by side with baselines.

Every ratio is measured in the same run, the candidates taking turns, so a
busy machine slows them alike. For clipping, three clippers run on the same
arrays: gradclip's ``clip_grads``; the seed notebook's ``clip_grads``; and,
when PyTorch is importable, ``torch.nn.utils.clip_grad_norm_(foreach=True)``
on tensors that share the arrays' memory. Beside them the machine's limit is
measured on the same memory (``gradclip.bench._limit``): the fastest pure
read pass, plus the fastest pure read-write pass when the case scales. The
peak extra memory of a call is measured with ``tracemalloc``. For the
network, ``TwoLayerNet.gradient`` runs beside the same network in PyTorch
autograd, and ``check_gradients`` in fast mode beside full mode.
``--scaling`` instead times how the cost of a clip grows (see
``gradclip.bench._scaling``).

PyTorch and matplotlib are optional and never dependencies: without torch
its columns read ``n/a``, without matplotlib no plot is drawn.
"""

import argparse
import sys

from gradclip.bench._clipping import CASES, measure_clipping
from gradclip.bench._network import network_comparisons
from gradclip.bench._report import (
    Tally,
    blas_threads,
    clipping_table,
    load_average,
    machine_lines,
    network_table,
)
from gradclip.bench._scaling import scaling_report
from gradclip.bench._torch import load_torch
from gradclip.bench._workloads import gradient_workloads
from gradclip.cli import positive_int

__all__ = ["WORKLOADS", "configure", "run"]

WORKLOADS = ("gpt2", "small", "mixed", "tiny", "net", "gradcheck")
"""The workloads ``--workload`` selects from, all by default."""

_REPEAT = {False: 9, True: 3}
"""Timed runs per measurement by default, per ``--quick``."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``--quick``, ``--repeat N``, ``--workload NAME ...``, ``--scaling``
    and ``--plot PATH``."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, for a run of seconds; the targets are for full sizes",
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        metavar="N",
        help="timed runs of each candidate, of which the median is shown "
        f"(default: {_REPEAT[False]}, or {_REPEAT[True]} with --quick)",
    )
    parser.add_argument(
        "--workload",
        nargs="+",
        choices=WORKLOADS,
        default=list(WORKLOADS),
        metavar="NAME",
        help=f"run only these workloads, of {', '.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="instead, time clip_grads and torch over the number of arrays and "
        "over the total size",
    )
    parser.add_argument(
        "--plot",
        metavar="PATH",
        help="with --scaling, also draw a log-log plot to this PNG (needs matplotlib)",
    )


def run(args: argparse.Namespace) -> int:
    """Measure the selected workloads, print the report and return 0."""
    repeat: int = args.repeat or _REPEAT[args.quick]
    names = set(args.workload)
    threads = blas_threads()
    torch = load_torch(threads[0])
    print(*machine_lines(threads, torch), sep="\n")
    if torch is None:
        print("torch not importable: skipped")
    sizes = "tiny sizes (--quick), " if args.quick else ""
    print(f"{sizes}median of {repeat} timed runs after an untimed, checked one\n")
    if args.scaling:
        print(
            scaling_report(quick=args.quick, repeat=repeat, torch=torch, plot=args.plot)
        )
        print(f"load average at the end: {load_average()}")
        return 0
    tally = Tally(judging=not args.quick)
    workloads = []
    results = []
    for workload in gradient_workloads(names, quick=args.quick):
        _progress(workload.name)
        workloads.append(workload.summary)
        results.extend(
            measure_clipping(workload, repeat=repeat, torch=torch, threads=threads[0])
        )
    if results:
        print(clipping_table(results, tally))
        print(*_clipping_legend(workloads), sep="\n", end="\n\n")
    if names & {"net", "gradcheck"}:
        _progress("net, gradcheck")
    comparisons = list(
        network_comparisons(names, quick=args.quick, repeat=repeat, torch=torch)
    )
    if comparisons:
        print(network_table(comparisons, tally), end="\n\n")
    print(tally.summary())
    print(f"load average at the end: {load_average()}")
    return 0


def _clipping_legend(workloads: list[str]) -> list[str]:
    below, above = CASES["below"], CASES["above"]
    return [
        *workloads,
        f"below: max_norm = {below:g} x the norm, nothing scaled; above: max_norm = "
        f"{above:g} x the norm, every array scaled; before each run the arrays "
        "are restored from a copy, outside the timed region",
        "limit: the fastest pure read pass over the same memory (BLAS dot or "
        "integer add.reduce, 1 to N threads), plus the fastest pure read-write "
        "pass (multiply by 1 or bitwise_or with 0) when the case scales",
        "memory: peak extra memory of one call (tracemalloc), as a fraction of "
        "the gradients' bytes; load: the one-minute load average after the row",
        "tiny: no seed or torch (their Python loops over a million arrays would "
        "take most of the run), the limit on one thread with the integer kernels",
    ]


def _progress(what: str) -> None:
    print(f"measuring {what} ...", file=sys.stderr, flush=True)
