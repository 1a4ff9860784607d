"""Clippers written the way readers write them, right and subtly wrong.

Each is checked by ``gradclip verify clip`` with no adapter: its calling
convention (a list, ``(name, array)`` pairs, objects with ``.grad``, new
arrays returned, something returned or not) is detected. The correct ones
keep the notebook's contract (core holds); each wrong one has a bug that one
named invariant must catch (``WRONG``).

References:
    Saito, "ゼロから作る Deep Learning 2", O'Reilly Japan 2018,
    ``common/util.py``: the list-based ``clip_grads`` these follow.
"""

import math
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]


class HasGrad(Protocol):
    """A parameter object whose ``.grad`` holds its gradient."""

    grad: Array | None


# Correct, in the styles found in readers' code.


def clip_grads(grads: list[Array], max_norm: float) -> None:
    """The book's vol. 2 clipper: a list, scaled in place, nothing returned."""
    total_norm = 0.0
    for grad in grads:
        total_norm += np.sum(grad**2)
    total_norm = np.sqrt(total_norm)

    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for grad in grads:
            grad *= rate


def clip_grads_returning_norm(grads: list[Array], max_norm: float) -> float:
    """A list, in place, returning the norm before clipping, as PyTorch does."""
    total_norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate
    return total_norm


def clip_named(named_grads: list[tuple[str, Array]], max_norm: float) -> None:
    """``(name, array)`` pairs, as ``model.named_parameters()`` gives them."""
    total = math.sqrt(sum(float(np.vdot(g, g)) for _, g in named_grads))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for _name, g in named_grads:
            np.multiply(g, rate, out=g)


def clip_parameters(params: list[HasGrad], max_norm: float) -> float:
    """Parameter objects with ``.grad``, skipping those without one."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    coef = max_norm / (norm + 1e-6)
    if coef < 1:
        for g in grads:
            g *= coef
    return norm


def clip_by_global_norm(grads: dict[str, Array], max_norm: float) -> dict[str, Array]:
    """Functional, as optax: returns new arrays, leaves the input alone."""
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    scale = min(1.0, max_norm / (norm + 1e-6))
    return {k: g * scale if scale < 1 else g.copy() for k, g in grads.items()}


def clip_returning_grads(grads: list[Array], max_norm: float) -> list[Array]:
    """In place on a list, and returns the list for chaining."""
    norm = np.sqrt(np.sum([np.sum(g**2) for g in grads]))
    rate = max_norm / (norm + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate
    return grads


def clip_tf_style(grads: list[Array], clip_norm: float) -> tuple[list[Array], float]:
    """As ``tf.clip_by_global_norm``: new arrays and the norm, as a pair."""
    global_norm = math.sqrt(sum(float(np.sum(t * t)) for t in grads))
    rate = clip_norm / (global_norm + 1e-6)
    if rate >= 1:
        return [t.copy() for t in grads], global_norm
    return [t * rate for t in grads], global_norm


def clip_concatenated(grads: dict[str, Array], max_norm: float) -> None:
    """A dict, the norm of all elements concatenated, ``np.linalg.norm``."""
    flat = [g.ravel() for g in grads.values()]
    norm = float(np.linalg.norm(np.concatenate(flat))) if flat else 0.0
    if norm + 1e-6 > max_norm:
        for g in grads.values():
            g *= max_norm / (norm + 1e-6)


# Wrong, each in one way a reader has written.


def norm_times_two(grads: list[Array], max_norm: float) -> None:
    """Bug: ``grad*2`` where ``grad**2`` was meant."""
    total_norm = 0.0
    for grad in grads:
        total_norm += np.sum(grad * 2)
    total_norm = np.sqrt(total_norm)
    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for grad in grads:
            grad *= rate


def clips_once_per_array(grads: list[Array], max_norm: float) -> None:
    """Bug: the scaling loop sits inside the loop over arrays, so it runs once
    per array and the rate is applied that many times."""
    total_norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    rate = max_norm / (total_norm + 1e-6)
    for _grad in grads:
        if rate < 1:
            for g in grads:
                g *= rate


def rate_inverted(named_grads: list[tuple[str, Array]], max_norm: float) -> None:
    """Bug: ``rate > 1`` where ``rate < 1`` was meant: small gradients grow."""
    total = math.sqrt(sum(float(np.sum(g * g)) for _, g in named_grads))
    rate = max_norm / (total + 1e-6)
    if rate > 1:
        for _, g in named_grads:
            g *= rate


def rebinds_grad(params: list[HasGrad], max_norm: float) -> None:
    """Bug: ``p.grad = p.grad * rate`` makes new arrays; the optimiser's are left."""
    norm = math.sqrt(
        sum(float(np.sum(p.grad**2)) for p in params if p.grad is not None)
    )
    rate = max_norm / (norm + 1e-6)
    if rate < 1:
        for p in params:
            if p.grad is not None:
                p.grad = p.grad * rate


def first_array_norm(grads: dict[str, Array], max_norm: float) -> dict[str, Array]:
    """Bug: functional, but the norm is that of the first array only."""
    first = next(iter(grads.values()), np.zeros(0))
    norm = float(np.sqrt(np.sum(first**2)))
    scale = min(1.0, max_norm / (norm + 1e-6))
    return {k: g * scale for k, g in grads.items()}


def float16_accumulator(grads: list[Array], max_norm: float) -> None:
    """Bug: sums the squares in float16, which overflows above 65504."""
    total = np.float16(0)
    for g in grads:
        total = np.float16(total + np.sum(g.astype(np.float16) ** 2))
    rate = max_norm / (float(np.sqrt(total)) + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate


def returns_max_norm(grads: list[Array], max_norm: float) -> tuple[list[Array], float]:
    """Clips right, but returns ``(grads, max_norm)``: not the norm."""
    clip_grads(grads, max_norm)
    return grads, max_norm


def replaces_entries(grads: dict[str, Array], max_norm: float) -> None:
    """Bug: ``grads[k] = grads[k] * rate`` replaces the arrays the optimiser holds."""
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads.values()))
    rate = max_norm / (norm + 1e-6)
    if rate < 1:
        for k in grads:
            grads[k] = grads[k] * rate


CORRECT = [
    clip_grads,
    clip_grads_returning_norm,
    clip_named,
    clip_parameters,
    clip_by_global_norm,
    clip_returning_grads,
    clip_tf_style,
    clip_concatenated,
    returns_max_norm,
]
"""Each keeps the notebook's contract: core holds (``returns_max_norm``
fails the return tier only)."""

CONVENTIONS = {
    clip_grads: "list",
    clip_grads_returning_norm: "list",
    clip_named: "pairs",
    clip_parameters: "params",
    clip_by_global_norm: "functional",
    clip_returning_grads: "list",
    clip_tf_style: "functional-list",
    clip_concatenated: "dict",
    returns_max_norm: "list",
    norm_times_two: "list",
    clips_once_per_array: "list",
    rate_inverted: "pairs",
    rebinds_grad: "params",
    first_array_norm: "functional",
    float16_accumulator: "list",
    replaces_entries: "dict",
}
"""The calling convention each must be detected with."""

WRONG = {
    norm_times_two: "norm_bound",
    clips_once_per_array: "clip_to_bound",
    rate_inverted: "noop_below_threshold",
    rebinds_grad: "in_place_identity",
    first_array_norm: "norm_bound",
    float16_accumulator: "clip_to_bound",
    returns_max_norm: "exact_returned_norm",
    replaces_entries: "in_place_identity",
}
"""Each wrong clipper, with the invariant that points at its bug."""
