"""Clippers that try to fool or wedge ``gradclip verify``, each as someone wrote it.

None may make verify exit 0 without a verdict per invariant, crash it, or
hang it: ``EXPECTED`` says what verify must report for each.
"""

import math
import sys
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]


def _norm(grads: list[Array]) -> float:
    return math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))


def exits_when_exploding(grads: list[Array], max_norm: float) -> None:
    """A training script's clipper that stops the run when the norm is not finite."""
    total = _norm(grads)
    if not math.isfinite(total):
        sys.exit(f"gradient exploded: norm {total}")
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate


_step = 0


def clips_every_other_call(grads: list[Array], max_norm: float) -> None:
    """Clips on every other call only (a step counter for gradient
    accumulation): its verdict on one case changes from call to call."""
    global _step
    _step += 1
    if _step % 2:
        return
    rate = max_norm / (_norm(grads) + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate


def retries_until_finite(grads: list[Array], max_norm: float) -> None:
    """Recomputes the norm until it is finite: forever, for NaN or inf."""
    total = _norm(grads)
    while not math.isfinite(total):
        total = _norm(grads)
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate


def not_implemented(grads: list[Array], max_norm: float) -> None:
    """A stub: raises on every input."""
    raise NotImplementedError("clip_grads is left as an exercise")


def float64_only(grads: list[Array], max_norm: float) -> None:
    """Asserts float64 gradients: raises on ordinary float32 ones."""
    for g in grads:
        assert g.dtype == np.float64, f"expected float64, got {g.dtype}"
    rate = max_norm / (_norm(grads) + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate
