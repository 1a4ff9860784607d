"""The clipping measurements: gradclip, the seed, PyTorch and the machine's limit."""

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradclip._typing import GradArray
from gradclip.bench._baselines import seed_clip_grads
from gradclip.bench._limit import MachineLimit
from gradclip.bench._timing import median_times, peak_extra_bytes
from gradclip.bench._torch import Torch
from gradclip.bench._workloads import GradientWorkload
from gradclip.clipping import clip_grads, global_norm

__all__ = ["CASES", "MEMORY_OF", "ClipResult", "measure_clipping"]

CASES = {"below": 2.0, "above": 0.5}
"""Each case's ``max_norm`` as a multiple of the gradients' norm."""

MEMORY_OF = ("gradclip", "seed")
"""The clippers whose peak extra memory is measured."""


@dataclass(frozen=True)
class ClipResult:
    """One workload clipped in one case.

    Attributes:
        workload: the workload's name.
        case: ``below`` (nothing scaled) or ``above`` (every array scaled).
        times: median seconds per clipper (gradclip, seed, torch), and the
            machine's ``limit``: the fastest read pass, plus the fastest
            read-write pass when the case scales.
        memory: peak extra bytes over the gradients' bytes, per clipper.
        load: the one-minute load average when the case was measured.
    """

    workload: str
    case: str
    times: dict[str, float]
    memory: dict[str, float]
    load: float


def measure_clipping(
    workload: GradientWorkload, *, repeat: int, torch: Torch | None, threads: int
) -> list[ClipResult]:
    """Time every clipper and the machine's limit on ``workload``, per case.

    Each clipper is called once untimed and must bring the global norm to
    ``min(norm, max_norm)``. Before every call the arrays are restored from
    a pristine copy, outside the timed region, so that every run clips the
    same values. The limit's passes take turns with the clippers.
    """
    grads = workload.grads
    arrays = list(grads.values())
    pristine = [array.copy() for array in arrays]

    def restore() -> None:
        for array, original in zip(arrays, pristine, strict=True):
            np.copyto(array, original)

    clippers = _clippers(grads, torch, baselines=workload.with_baselines)
    limit = MachineLimit(arrays, threads, thorough=workload.with_baselines)
    norm = global_norm(grads)
    nbytes = sum(array.nbytes for array in arrays)
    results = []
    try:
        for case, multiple in CASES.items():
            max_norm = norm * multiple
            for name, clip in clippers.items():
                restore()
                clip(max_norm)
                _check_clipped(name, grads, expected=min(norm, max_norm))
            candidates = {
                **{name: _bind(clip, max_norm) for name, clip in clippers.items()},
                **limit.candidates(),
            }
            times = median_times(
                candidates, repeat=min(repeat, workload.max_repeat), before=restore
            )
            passes = limit.passes(times)
            measured = {name: times[name] for name in clippers}
            measured["limit"] = passes.of_case(scales=multiple < 1)
            memory = {
                name: _peak_fraction(candidates[name], restore, nbytes)
                for name in MEMORY_OF
                if name in clippers
            }
            results.append(
                ClipResult(workload.name, case, measured, memory, os.getloadavg()[0])
            )
    finally:
        limit.close()
        restore()
    return results


def _clippers(
    grads: dict[str, GradArray], torch: Torch | None, *, baselines: bool
) -> dict[str, Callable[[float], object]]:
    """gradclip; with ``baselines``, the seed and torch (when importable) too."""
    clippers: dict[str, Callable[[float], object]] = {
        "gradclip": lambda max_norm: clip_grads(grads, max_norm),
    }
    if baselines:
        clippers["seed"] = lambda max_norm: seed_clip_grads(grads, max_norm)
        if torch is not None:
            clippers["torch"] = torch.clipper(list(grads.values()))
    return clippers


def _bind(clip: Callable[[float], object], max_norm: float) -> Callable[[], object]:
    return lambda: clip(max_norm)


def _check_clipped(name: str, grads: dict[str, GradArray], *, expected: float) -> None:
    """Refuse a baseline that does not clip: it would not be a fair one."""
    actual = global_norm(grads)
    if not math.isclose(actual, expected, rel_tol=1e-2):
        raise RuntimeError(
            f"{name} must clip the global norm to {expected:.6g}, got {actual:.6g}"
        )


def _peak_fraction(
    call: Callable[[], object], restore: Callable[[], None], nbytes: int
) -> float:
    restore()
    return peak_extra_bytes(call) / nbytes
