"""The printed report: the machine, the tables, and each target met or missed."""

import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradclip.bench._clipping import MEMORY_OF, ClipResult
from gradclip.bench._network import Comparison
from gradclip.bench._targets import CLIP_TARGETS, Target
from gradclip.bench._torch import Torch

__all__ = [
    "Tally",
    "blas_threads",
    "clipping_table",
    "load_average",
    "machine_lines",
    "network_table",
]

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
"""What OpenBLAS reads for its thread count, first found first."""

_CLIPPERS = ("gradclip", "seed", "torch", "limit")
_RATIOS = (
    ("gradclip", "limit"),
    ("torch", "limit"),
    ("gradclip", "torch"),
    ("seed", "gradclip"),
)


@dataclass
class Tally:
    """The targets met and missed so far, and which were missed.

    Attributes:
        judging: whether to judge targets at all; tiny sizes are not judged.
        met: how many targets were met.
        missed: a description of each target missed.
        unmeasured: how many targets had no measurement (no torch).
    """

    judging: bool = True
    met: int = 0
    missed: list[str] = field(default_factory=list)
    unmeasured: int = 0

    def cell(
        self,
        where: str,
        value: float | None,
        target: Target | None,
        form: Callable[[float], str] = "{:.3g}".format,
    ) -> str:
        """Return ``value`` as a table cell, marked against ``target`` if any.

        Args:
            where: names the cell in the list of missed targets.
            value: the measured ratio, None when it could not be measured.
            target: the bound it must meet, if any.
            form: formats the value and the target's limit.
        """
        if not self.judging:
            target = None
        if value is None:
            self.unmeasured += target is not None
            return "n/a"
        text = form(value)
        if target is None:
            return text
        bound = target.describe(form)
        if target.met(value):
            self.met += 1
            return f"{text} (met {bound})"
        self.missed.append(f"{where} {text} (target {bound})")
        return f"{text} (MISSED {bound})"

    def summary(self) -> str:
        """Return one line: how many targets were met, and which were missed."""
        if not self.judging:
            return "targets: not judged at these sizes"
        line = f"targets: {self.met} met, {len(self.missed)} missed"
        if self.unmeasured:
            line += f", {self.unmeasured} not measured (torch not importable)"
        return line + "".join(f"\n  missed: {miss}" for miss in self.missed)


def blas_threads() -> tuple[int, str]:
    """Return the thread count of NumPy's OpenBLAS and where it comes from."""
    for name in _THREAD_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value), f"from {name}"
    return _usable_cores(), "OpenBLAS's default: one per core"


def machine_lines(threads: tuple[int, str], torch: Torch | None) -> list[str]:
    """Return the lines that say what machine and software the run used."""
    count, source = threads
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    torch_version = "not importable" if torch is None else torch.version
    return [
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, "
        f"{_memory_gib():.0f} GiB memory, {platform.platform()}",
        f"software: Python {platform.python_version()}, NumPy {np.__version__} "
        f"with {blas['name']} {blas['version']}, torch {torch_version}",
        f"threads: {count} for NumPy's BLAS ({source})"
        + ("" if torch is None else f" and {torch.threads} for torch"),
        f"load average at start: {load_average()} "
        "(above 0 means other processes share the cores)",
    ]


def clipping_table(results: Sequence[ClipResult], tally: Tally) -> str:
    """Return the clipping table in Markdown, its ratios marked in ``tally``."""
    header = [
        "workload",
        "case",
        *_CLIPPERS,
        *(f"{top}/{bottom}" for top, bottom in _RATIOS),
        *(f"{name} memory" for name in MEMORY_OF),
        "load",
    ]
    return _markdown(header, [_clipping_row(result, tally) for result in results])


def _clipping_row(result: ClipResult, tally: Tally) -> list[str]:
    where = f"{result.workload} {result.case}"
    targets = CLIP_TARGETS.get(where, {})
    times = result.times
    ratios = [
        tally.cell(
            f"{where} {top}/{bottom}",
            times[top] / times[bottom] if bottom in times and top in times else None,
            targets.get(f"{top}/{bottom}"),
        )
        for top, bottom in _RATIOS
    ]
    cells = [_seconds(times[name]) if name in times else "n/a" for name in _CLIPPERS]
    if "gradclip seconds" in targets:
        cells[0] = tally.cell(
            f"{where} gradclip",
            times["gradclip"],
            targets["gradclip seconds"],
            _seconds,
        )
    return [
        result.workload,
        result.case,
        *cells,
        *ratios,
        *(
            "n/a"
            if name not in result.memory
            else tally.cell(
                f"{where} {name} memory",
                result.memory[name],
                targets.get("memory") if name == "gradclip" else None,
                "{:.2%}".format,
            )
            for name in MEMORY_OF
        ),
        f"{result.load:.2f}",
    ]


def network_table(comparisons: Sequence[Comparison], tally: Tally) -> str:
    """Return the network table in Markdown, its ratios marked in ``tally``."""
    header = ["workload", "gradclip", "time", "reference", "time", "ratio"]
    rows = [
        [
            item.workload,
            item.measured,
            _seconds(item.seconds),
            item.reference,
            "n/a"
            if item.reference_seconds is None
            else _seconds(item.reference_seconds),
            f"{item.ratio_name} "
            + tally.cell(f"{item.workload} {item.ratio_name}", item.ratio, item.target),
        ]
        for item in comparisons
    ]
    return _markdown(header, rows)


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    """Lay out a Markdown table with padded columns, readable as plain text."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _seconds(value: float) -> str:
    """Format a time with three significant digits in s, ms or us."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-6:.3g} us"


def _usable_cores() -> int:
    """The cores this process may run on (Linux), else all of them."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def load_average() -> str:
    """The one-minute load average, where the system reports one."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "unknown"


def _cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    """Total memory from /proc/meminfo, 0 where there is none."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0
