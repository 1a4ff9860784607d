"""``gradclip bench``: clipping and backprop timed side by side with baselines.

Every ratio is measured in the same run, the candidates taking turns, so a
busy machine slows them alike. For clipping, four clippers run on the same
arrays: gradclip's ``clip_grads``; the seed notebook's ``clip_grads``; the
bandwidth bound (one ``np.dot`` read pass, plus one ``np.multiply(...,
out=...)`` read-write pass when scaling); and, when PyTorch is importable,
``torch.nn.utils.clip_grad_norm_(foreach=True)`` on tensors that share the
arrays' memory. The peak extra memory of a call is measured with
``tracemalloc``. For the network, ``TwoLayerNet.gradient`` runs beside the
same network in PyTorch autograd, and ``check_gradients`` in fast mode
beside full mode.

PyTorch is optional and never a dependency: without it its columns read
``n/a``.
"""

import argparse
import sys

from gradclip.bench._clipping import CASES, measure_clipping
from gradclip.bench._network import network_comparisons
from gradclip.bench._report import (
    Tally,
    blas_threads,
    clipping_table,
    machine_lines,
    network_table,
)
from gradclip.bench._torch import load_torch
from gradclip.bench._workloads import gradient_workloads
from gradclip.cli import positive_int

__all__ = ["WORKLOADS", "configure", "run"]

WORKLOADS = ("gpt2", "small", "mixed", "net", "gradcheck")
"""The workloads ``--workload`` selects from, all by default."""

_REPEAT = {False: 9, True: 3}
"""Timed runs per measurement by default, per ``--quick``."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``--quick``, ``--repeat N`` and ``--workload NAME ...``."""
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
    tally = Tally(judging=not args.quick)
    workloads = []
    results = []
    for workload in gradient_workloads(names, quick=args.quick):
        _progress(workload.name)
        workloads.append(workload.summary)
        results.extend(measure_clipping(workload, repeat=repeat, torch=torch))
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
    return 0


def _clipping_legend(workloads: list[str]) -> list[str]:
    below, above = CASES["below"], CASES["above"]
    return [
        *workloads,
        f"below: max_norm = {below:g} x the norm, nothing scaled; above: max_norm = "
        f"{above:g} x the norm, every array scaled; before each run the arrays "
        "are restored from a copy, outside the timed region",
        "bound: one np.dot read pass, plus one np.multiply(out=) read-write pass "
        "when scaling; float16 has no BLAS, so there it is NumPy's slow loops",
        "memory: peak extra memory of one call (tracemalloc), as a fraction of "
        "the gradients' bytes",
    ]


def _progress(what: str) -> None:
    print(f"measuring {what} ...", file=sys.stderr, flush=True)
