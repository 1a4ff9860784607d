"""Clipping functions with the seed's signature ``f(grads, max_norm)``.

The correct ones are the formulas the suite must accept; every other one has
a bug that someone has written, and that some invariant must catch.
"""

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

import gradclip
from gradclip.seed import clip_grads as seed_formula

__all__ = [
    "CORRECT",
    "WRONG",
    "always_scales",
    "eps_1e_9",
    "exact_formula",
    "first_array_only",
    "huge_eps",
    "max_abs_norm",
    "names_every_key",
    "no_sqrt",
    "not_in_place",
    "per_array",
    "returns_clipped_norm",
    "scales_up",
    "seed_formula",
    "torch_formula",
    "vague_errors",
]

Grads = dict[Any, NDArray[Any]]


def _norm(grads: Grads) -> float:
    return math.sqrt(
        sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values())
    )


def exact_formula(grads: Grads, max_norm: float) -> float:
    """Scale by max_norm / n when n > max_norm: no epsilon at all."""
    total = _norm(grads)
    if total > max_norm:
        for grad in grads.values():
            grad *= max_norm / total
    return total


def torch_formula(grads: Grads, max_norm: float) -> None:
    """PyTorch's clip_grad_norm_: always multiply by min(1, max_norm / (n + 1e-6))."""
    coefficient = min(1.0, max_norm / (_norm(grads) + 1e-6))
    for grad in grads.values():
        grad *= coefficient


def eps_1e_9(grads: Grads, max_norm: float) -> None:
    """The seed's formula with a smaller epsilon."""
    rate = max_norm / (_norm(grads) + 1e-9)
    if rate < 1:
        for grad in grads.values():
            grad *= rate


def no_sqrt(grads: Grads, max_norm: float) -> None:
    """Bug: takes the sum of squares for the norm."""
    rate = max_norm / (_norm(grads) ** 2 + 1e-6)
    if rate < 1:
        for grad in grads.values():
            grad *= rate


def per_array(grads: Grads, max_norm: float) -> None:
    """Bug: clips each array to max_norm on its own."""
    for grad in grads.values():
        rate = max_norm / (float(np.linalg.norm(grad)) + 1e-6)
        if rate < 1:
            grad *= rate


def not_in_place(grads: Grads, max_norm: float) -> None:
    """Bug: rebinds each key to a new array instead of scaling in place."""
    rate = max_norm / (_norm(grads) + 1e-6)
    if rate < 1:
        for key in grads:
            grads[key] = grads[key] * rate


def scales_up(grads: Grads, max_norm: float) -> None:
    """Bug: also scales small gradients up to max_norm."""
    rate = max_norm / (_norm(grads) + 1e-6)
    if rate != 1:
        for grad in grads.values():
            grad *= rate


def always_scales(grads: Grads, max_norm: float) -> None:
    """Bug: normalises to max_norm whatever the norm."""
    total = _norm(grads)
    for grad in grads.values():
        grad *= max_norm / total if total else 1.0


def max_abs_norm(grads: Grads, max_norm: float) -> None:
    """Bug: uses the largest magnitude as the norm."""
    largest = max(
        (float(np.max(np.abs(g))) for g in grads.values() if g.size), default=0.0
    )
    rate = max_norm / (largest + 1e-6)
    if rate < 1:
        for grad in grads.values():
            grad *= rate


def first_array_only(grads: Grads, max_norm: float) -> None:
    """Bug: a misplaced return scales only the first array."""
    rate = max_norm / (_norm(grads) + 1e-6)
    if rate < 1:
        for grad in grads.values():
            grad *= rate
            return


def returns_clipped_norm(grads: Grads, max_norm: float) -> float:
    """Bug: returns the norm after clipping instead of before."""
    exact_formula(grads, max_norm)
    return _norm(grads)


def huge_eps(grads: Grads, max_norm: float) -> None:
    """Bug: an epsilon of 1e-2 clips far below max_norm for small norms."""
    rate = max_norm / (_norm(grads) + 1e-2)
    if rate < 1:
        for grad in grads.values():
            grad *= rate


def vague_errors(grads: Grads, max_norm: float) -> float:
    """Bug: checks its input, but never says what is wrong."""
    try:
        return gradclip.clip_grads(grads, max_norm)
    except (TypeError, ValueError) as error:
        raise type(error)("invalid gradients") from None


def names_every_key(grads: Grads, max_norm: float) -> None:
    """Bug: refuses NaN and inf, but blames every array."""
    if not all(np.isfinite(grad).all() for grad in grads.values()):
        raise ValueError(f"NaN or inf in one of {', '.join(map(str, grads))}")
    seed_formula(grads, max_norm)


CORRECT = [seed_formula, exact_formula, torch_formula, eps_1e_9]
"""Correct on the core tier (and not written for the robust one)."""

WRONG = {
    no_sqrt: "norm_bound",
    per_array: "clip_to_bound",
    not_in_place: "in_place_identity",
    scales_up: "noop_below_threshold",
    always_scales: "noop_below_threshold",
    max_abs_norm: "norm_bound",
    first_array_only: "direction_preserved",
    returns_clipped_norm: "exact_returned_norm",
    huge_eps: "clip_to_bound",
    vague_errors: "errors_name_culprit",
    names_every_key: "nonfinite_named",
}
"""Each wrong clipper, with an invariant that must catch it."""
