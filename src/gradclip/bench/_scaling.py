"""How the cost of a clip grows: with the number of arrays, and with their size.

``gradclip bench --scaling`` clips float32 gradients above the threshold
(every array scaled), gradclip and PyTorch taking turns on the same arrays:
once over the number of arrays at a fixed total size, once over the total
size of one array. It prints a Markdown table and, with ``--plot PATH`` and
matplotlib importable, draws both series on log-log axes into a PNG.
"""

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradclip._typing import GradArray
from gradclip.bench._timing import median_times
from gradclip.bench._torch import Torch
from gradclip.clipping import clip_grads, global_norm

__all__ = ["Point", "scaling_points", "scaling_report"]

_COUNTS = {False: (10**6, range(7)), True: (10**3, range(4))}
"""Per ``quick``: the fixed total size, and the powers of ten of the count."""

_SIZES = {False: range(3, 9), True: range(2, 5)}
"""Per ``quick``: the powers of ten of the total size."""

_MAX_REPEAT = 3
"""Timed runs per point at most: a million arrays take seconds to restore."""


@dataclass(frozen=True)
class Point:
    """One measured point of a series.

    Attributes:
        series: ``arrays`` (count varies) or ``elements`` (size varies).
        arrays: the number of arrays.
        elements: the total number of elements.
        seconds: median seconds per clipper, ``gradclip`` and maybe ``torch``.
    """

    series: str
    arrays: int
    elements: int
    seconds: dict[str, float]


def scaling_points(*, quick: bool, repeat: int, torch: Torch | None) -> list[Point]:
    """Measure both series; each point's clippers take turns on its arrays."""
    rng = np.random.default_rng(0)
    total, powers = _COUNTS[quick]
    points = [
        _point("arrays", _arrays(rng, 10**power, total), repeat, torch)
        for power in powers
    ]
    points += [
        _point("elements", _arrays(rng, 1, 10**power), repeat, torch)
        for power in _SIZES[quick]
    ]
    return points


def _arrays(rng: np.random.Generator, count: int, total: int) -> list[GradArray]:
    """``count`` float32 arrays of ``total / count`` elements each."""
    size = total // count
    return [rng.standard_normal(size, dtype=np.float32) for _ in range(count)]


def _point(
    series: str, arrays: list[GradArray], repeat: int, torch: Torch | None
) -> Point:
    pristine = [array.copy() for array in arrays]

    def restore() -> None:
        for array, original in zip(arrays, pristine, strict=True):
            np.copyto(array, original)

    max_norm = global_norm(arrays) / 2
    candidates: dict[str, Callable[[], object]] = {
        "gradclip": lambda: clip_grads(arrays, max_norm)
    }
    if torch is not None:
        clip = torch.clipper(arrays)
        candidates["torch"] = lambda: clip(max_norm)
    for call in candidates.values():  # untimed
        restore()
        call()
    # torch is not checked: it sums float32 squares in float32, a few percent
    # off at 10**8 elements, which is its own accuracy, not less work.
    restore()
    candidates["gradclip"]()
    if not math.isclose(global_norm(arrays), max_norm, rel_tol=1e-6):
        raise RuntimeError(f"gradclip must clip to {max_norm:.6g}")
    seconds = median_times(candidates, repeat=min(repeat, _MAX_REPEAT), before=restore)
    restore()
    return Point(series, len(arrays), sum(a.size for a in arrays), seconds)


def scaling_report(
    *, quick: bool, repeat: int, torch: Torch | None, plot: str | None
) -> str:
    """Measure, then return the table (and a line about the plot, if asked)."""
    points = scaling_points(quick=quick, repeat=repeat, torch=torch)
    lines = [scaling_table(points), ""]
    lines.append(
        "float32, every array scaled (max_norm = half the norm); arrays: "
        f"{points[0].elements:,} elements in all, split into 1 to "
        f"{max(p.arrays for p in points):,} arrays; elements: one array"
    )
    if plot is not None:
        lines.append(_plot(points, plot))
    return "\n".join(lines)


def scaling_table(points: Sequence[Point]) -> str:
    """Return the points as a Markdown table."""
    rows = [
        "| series | arrays | elements | gradclip | torch | gradclip/torch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for point in points:
        ours, theirs = point.seconds["gradclip"], point.seconds.get("torch")
        rows.append(
            f"| {point.series} | {point.arrays:,} | {point.elements:,} "
            f"| {_seconds(ours)} | {'n/a' if theirs is None else _seconds(theirs)} "
            f"| {'n/a' if theirs is None else f'{ours / theirs:.3g}'} |"
        )
    return "\n".join(rows)


def _seconds(value: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-6:.3g} us"


def _plot(points: Sequence[Point], path: str) -> str:
    """Draw both series on log-log axes into ``path``; say what was done."""
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return "matplotlib not importable: no plot drawn"
    matplotlib.use("Agg")
    pyplot: Any = importlib.import_module("matplotlib.pyplot")
    figure, axes = pyplot.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for axis, series, label in (
        (axes[0], "arrays", "number of arrays (total size fixed)"),
        (axes[1], "elements", "total elements (one array)"),
    ):
        chosen = [p for p in points if p.series == series]
        x = [p.arrays if series == "arrays" else p.elements for p in chosen]
        for name in ("gradclip", "torch"):
            y = [p.seconds[name] for p in chosen if name in p.seconds]
            if len(y) == len(x):
                axis.loglog(x, y, marker="o", label=name)
        axis.set_xlabel(label)
        axis.set_ylabel("seconds per clip")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.suptitle("clip_grads and torch clip_grad_norm_, float32, every array scaled")
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return f"plot: {path}"
