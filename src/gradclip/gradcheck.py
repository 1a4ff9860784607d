"""Gradient checking: backprop against central differences, for any model.

A model is anything with the book's protocol (``Model``): a ``params`` dict
of arrays that ``loss`` reads by reference, ``loss(x, t)`` and
``gradient(x, t)``. ``check_gradients`` perturbs those arrays in place,
always restoring them, and compares.

References:
    Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 4.4 and 5.7.
    PyTorch, ``torch.autograd.gradcheck``, fast mode (Jacobian-vector products).
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, Protocol, SupportsFloat, TypeVar

import numpy as np
from numpy.typing import NDArray

from gradclip._kinks import (
    Judge,
    Tolerance,
    central_difference,
    losses_along,
    probe_direction,
    probe_element,
)
from gradclip._memory import merge_shared_views
from gradclip._typing import RealNumber
from gradclip._validation import check_nonnegative, check_positive, check_rng

__all__ = [
    "ErrorSummary",
    "GradientCheck",
    "Model",
    "assert_gradients_close",
    "check_gradients",
    "numerical_gradient",
]

FloatT = TypeVar("FloatT", bound=np.floating[Any])

_FAST_DIRECTIONS = 4
"""Directional derivatives compared in fast mode."""
_FAST_MAX_DRAWS = 5 * _FAST_DIRECTIONS
"""Directions drawn at most in fast mode, counting those lost to kinks."""


class Model(Protocol):
    """What ``check_gradients`` needs: the book's network protocol.

    ``loss`` must read the arrays in ``params`` by reference, so that changing
    them in place changes the loss; ``gradient`` returns one array per key of
    ``params``, with the same shape.
    """

    @property
    def params(self) -> Mapping[str, NDArray[Any]]:
        """The parameter arrays, by name."""
        ...

    def loss(self, x: NDArray[Any], t: NDArray[Any]) -> SupportsFloat:
        """Return the scalar loss: a float, or anything ``float()`` takes."""
        ...

    def gradient(self, x: NDArray[Any], t: NDArray[Any]) -> Mapping[str, NDArray[Any]]:
        """Return the gradient of the loss with respect to each parameter."""
        ...


@dataclass(frozen=True)
class ErrorSummary:
    """How backprop and central differences agree on one parameter.

    In fast mode there is one summary for all parameters jointly, whose
    "elements" are the random directions drawn, in order.

    Attributes:
        name: The parameter's key, or ``"all parameters"`` in fast mode.
        checked: Elements compared.
        failed: Elements that disagree beyond the tolerance.
        skipped: Elements not compared because they disagree on a kink of
            the loss, where central differences are no derivative (see
            ``check_gradients``).
        max_abs_error: Largest ``|analytic - numerical|`` over the compared
            elements (NaN if none).
        max_rel_error: Largest ``|analytic - numerical| / max(|analytic|,
            |numerical|)``, 0 where both are 0 (NaN if none compared).
        worst_index: Index of the compared element furthest beyond (or
            closest to) its tolerance; ``()`` if none.
        analytic: Backprop's value at ``worst_index``.
        numerical: The central difference at ``worst_index`` (at a step
            below ``h`` for a value that failed near a kink).
    """

    name: str
    checked: int
    failed: int
    skipped: int
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numerical: float


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of ``check_gradients``; ``str()`` gives a readable table.

    Attributes:
        mode: ``"full"`` or ``"fast"``.
        h: Step of the central differences.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        summaries: One per parameter (full mode) or one for all (fast mode).
    """

    mode: Literal["full", "fast"]
    h: float
    rtol: float
    atol: float
    summaries: tuple[ErrorSummary, ...]

    @property
    def ok(self) -> bool:
        """Whether something was compared and nothing failed."""
        return sum(s.checked for s in self.summaries) > 0 and not any(
            s.failed for s in self.summaries
        )

    def __getitem__(self, name: str) -> ErrorSummary:
        """Return the summary called ``name``."""
        for summary in self.summaries:
            if summary.name == name:
                return summary
        raise KeyError(name)

    def __str__(self) -> str:
        header = (
            f"check_gradients(mode={self.mode!r}, h={self.h:g}, rtol={self.rtol:g}, "
            f"atol={self.atol:g}): {'ok' if self.ok else 'FAILED'}"
        )
        rows = [
            (
                "param",
                "checked",
                "failed",
                "skipped",
                "max abs err",
                "max rel err",
                "worst",
                "analytic",
                "numerical",
            )
        ] + [
            (
                s.name,
                str(s.checked),
                str(s.failed),
                str(s.skipped),
                f"{s.max_abs_error:.3e}",
                f"{s.max_rel_error:.3e}",
                str(s.worst_index),
                f"{s.analytic:.6e}",
                f"{s.numerical:.6e}",
            )
            for s in self.summaries
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [header] + [
            "  ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in rows
        ]
        if any(s.skipped for s in self.summaries):
            lines.append(
                "skipped: a mismatch on a kink of the loss, "
                "where central differences are no derivative"
            )
        if not any(s.checked for s in self.summaries):
            lines.append("nothing compared: every perturbation crossed a kink")
        if self.mode == "fast" and not self.ok:
            lines.append(
                "mode='fast' tells whether, not where: run mode='full' to see where"
            )
        return "\n".join(lines)


def numerical_gradient(
    f: Callable[[NDArray[FloatT]], SupportsFloat],
    x: NDArray[FloatT],
    *,
    h: RealNumber = 1e-4,
) -> NDArray[FloatT]:
    """Return the gradient of the scalar function ``f`` at ``x`` by central differences.

    Each element of ``x`` is moved in place to ``x[i] + h`` and ``x[i] - h``
    and restored in ``finally``, so ``x`` ends as it began even if ``f``
    raises. The difference of the two values of ``f`` is divided by the step
    actually taken after rounding to ``x``'s dtype. ``f`` receives ``x``
    itself; it may instead read ``x`` by reference, as the book's
    ``lambda W: net.loss(x, t)`` does.

    Args:
        f: The function; its result is converted with ``float``.
        x: The point, a writeable floating array; perturbed and restored.
        h: The step.

    Returns:
        An array like ``x``.

    Raises:
        TypeError: If ``x`` is not a floating NumPy array or ``h`` is not real.
        ValueError: If ``x`` is read-only, or ``h`` is not finite and > 0, or
            too small to change an element of ``x``.

    Example:
        >>> numerical_gradient(lambda x: float(np.sum(x**2)), np.array([1.0, -2.0]))
        array([ 2., -4.])

    References:
        Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 4.4.
    """
    _check_writeable_float("x", x)
    step = check_positive("h", h)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        grad[index] = central_difference(lambda: float(f(x)), x, index, step)[0]
    return grad


def check_gradients(
    model: Model,
    x: NDArray[Any],
    t: NDArray[Any],
    *,
    mode: Literal["full", "fast"] = "full",
    rtol: RealNumber = 1e-3,
    atol: RealNumber = 1e-5,
    h: RealNumber = 1e-6,
    rng: np.random.Generator | int | None = None,
) -> GradientCheck:
    """Compare ``model.gradient(x, t)`` with central differences of ``model.loss``.

    ``mode="full"`` compares every element of every parameter: two losses per
    element. ``mode="fast"`` compares a few directional derivatives,
    ``<gradient, v>`` against ``(L(p + h v) - L(p - h v)) / 2h``, each along a
    random unit vector ``v`` over all parameters jointly: a handful of losses
    in all, at the price of telling only whether, not where, backprop is
    wrong. A value passes when ``|analytic - numerical| <= atol + rtol *
    |numerical|``.

    Kinks (a ReLU switching inside ``[p - h, p + h]``) make a central
    difference no derivative, so a value that fails is failed only where the
    loss is shown smooth around it; one that sits on a kink is skipped
    (counted in ``skipped``), and one near a kink is compared at a finer step.
    This needs nothing but ``loss``, so it works for any model, and costs
    nothing for values that pass; in fast mode a direction lost to a kink is
    replaced. The method, and its cost, is explained in ``gradclip._kinks``.

    The default ``h``, ``rtol`` and ``atol`` are PyTorch's. They pass the
    book's ``-log(y + 1e-7)``, whose gradient is off by about ``1e-7 / y``
    relative, while the target's probability ``y`` stays above about 1e-2,
    and they fail backprop bugs, which are off by factors, not by 1e-3.

    Tied parameters, one array under two keys, are one parameter in both
    modes: each key's gradient must be the loss's derivative with respect to
    that array. Fast mode refuses parameters that share only some elements.

    Only float64 is checked: float32 central differences carry errors near
    ``1e-7 / h``, far beyond any useful tolerance. Build a float64 model with
    the same values instead (for ``TwoLayerNet``: ``dtype=np.float64``, then
    ``params[k][...] = other.params[k]``).

    Args:
        model: The model; its ``params`` are perturbed in place and restored.
        x: Inputs, passed to the model unchanged.
        t: Targets, passed to the model unchanged.
        mode: ``"full"`` or ``"fast"``.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        h: Step of the central differences.
        rng: Generator or seed for fast mode's directions; ``None`` for fresh
            entropy.

    Returns:
        The per-parameter comparison; ``.ok`` tells whether it passed.

    Raises:
        TypeError: If an argument has the wrong type or a parameter is not a
            float64 array.
        ValueError: If an argument is out of range, a parameter is read-only,
            the loss is not finite, the gradient's keys or shapes do not
            match ``params``, or, in fast mode, two parameters share some of
            their elements without being the same array.

    References:
        Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 5.7.3.
        PyTorch, ``torch.autograd.gradcheck`` (``fast_mode=True``).
    """
    if mode not in ("full", "fast"):
        raise ValueError(f"mode must be 'full' or 'fast', got mode={mode!r}")
    relative = check_nonnegative("rtol", rtol, allow_inf=False)
    absolute = check_nonnegative("atol", atol, allow_inf=False)
    step = check_positive("h", h)
    generator = check_rng(rng)
    params = model.params
    if not params:
        raise ValueError(f"model.params must not be empty, got model.params={params!r}")
    for name, param in params.items():
        _check_writeable_float(f"model.params[{name!r}]", param)
        if param.dtype != np.float64:
            raise TypeError(
                f"model.params[{name!r}] must have dtype float64 to be checked, "
                f"got model.params[{name!r}].dtype={param.dtype}; "
                "build the model in float64 with the same values"
            )
    tied = _tied_groups(params) if mode == "fast" else []
    analytic = _analytic(model, x, t)

    def loss() -> float:
        return float(model.loss(x, t))

    base = loss()
    if not math.isfinite(base):
        raise ValueError(f"model.loss(x, t) must be finite, got loss={base!r}")
    judge = Judge(
        Tolerance(relative, absolute, step, base), loss, list(params.values())
    )
    if mode == "full":
        summaries = tuple(
            _check_parameter(name, param, analytic[name], loss, judge)
            for name, param in params.items()
        )
    else:
        summaries = (_check_directions(params, tied, analytic, loss, judge, generator),)
    return GradientCheck(mode, step, relative, absolute, summaries)


def assert_gradients_close(
    model: Model,
    x: NDArray[Any],
    t: NDArray[Any],
    *,
    mode: Literal["full", "fast"] = "full",
    rtol: RealNumber = 1e-3,
    atol: RealNumber = 1e-5,
    h: RealNumber = 1e-6,
    rng: np.random.Generator | int | None = None,
) -> GradientCheck:
    """Run ``check_gradients`` and raise if it fails; return its result.

    Args and Raises as ``check_gradients``, and:

    Raises:
        AssertionError: If the check fails, with the check's table.

    References:
        PyTorch, ``torch.autograd.gradcheck`` (``raise_exception=True``).
    """
    result = check_gradients(model, x, t, mode=mode, rtol=rtol, atol=atol, h=h, rng=rng)
    if not result.ok:
        raise AssertionError(str(result))
    return result


def _check_parameter(
    name: str,
    param: NDArray[np.float64],
    analytic: NDArray[np.float64],
    loss: Callable[[], float],
    judge: Judge,
) -> ErrorSummary:
    """Compare every element of one parameter (full mode)."""
    tolerance = judge.tolerance
    numerical = np.empty_like(analytic)
    compared = np.ones(analytic.shape, dtype=bool)
    h = tolerance.h
    for index in np.ndindex(param.shape):
        value, upper, lower = central_difference(loss, param, index, h)
        numerical[index] = value
        if tolerance.passes(float(analytic[index]), value):
            continue
        below, above = (float(param[index] + step - param[index]) for step in (-h, h))
        compared[index], numerical[index] = judge(
            float(analytic[index]),
            (below, lower),
            (above, upper),
            partial(probe_element, loss, param, index),
        )
    return _summarize(name, analytic, numerical, compared, tolerance)


def _tied_groups(params: Mapping[str, NDArray[np.float64]]) -> list[list[str]]:
    """Group the keys of ``params`` by the array they hold, in first-seen order.

    Tied weights, one array (or views of its very same elements) under two
    keys, are one parameter: fast mode moves it once per direction.

    Raises:
        ValueError: two parameters share only some of their elements.
    """
    objects: dict[int, list[str]] = {}
    for key, array in params.items():
        objects.setdefault(id(array), []).append(key)
    groups = list(objects.values())
    arrays = [params[group[0]] for group in groups]
    try:
        repeats = merge_shared_views(
            arrays, lambda index: f"model.params[{groups[index][0]!r}]"
        )
    except ValueError as error:
        raise ValueError(
            f"{error}; mode='fast' cannot move them, use mode='full'"
        ) from None
    merged: dict[int, list[str]] = {}
    for index, group in enumerate(groups):
        merged.setdefault(repeats.get(index, index), []).extend(group)
    return list(merged.values())


def _check_directions(
    params: Mapping[str, NDArray[np.float64]],
    tied: list[list[str]],
    analytic: Mapping[str, NDArray[np.float64]],
    loss: Callable[[], float],
    judge: Judge,
    rng: np.random.Generator,
) -> ErrorSummary:
    """Compare directional derivatives along random unit vectors (fast mode).

    A direction lost to a kink is replaced, and from then on each direction
    moves one parameter in turn, as a kink is often reached through a few
    parameters only (a zero input row with zero biases puts hidden units on
    their kink through ``b1`` alone). Tied parameters (``tied``: keys holding
    one array) move as one, with each key's gradient used in turn, so that,
    as in full mode, every key's gradient must be the loss's derivative.
    """
    tolerance = judge.tolerance
    arrays = [params[keys[0]] for keys in tied]
    analytic_values: list[float] = []
    numerical_values: list[float] = []
    compared: list[bool] = []
    while compared.count(True) < _FAST_DIRECTIONS and len(compared) < _FAST_MAX_DRAWS:
        # After a kink, move one parameter at a time: a kink is often in a few only.
        moved = range(len(arrays)) if all(compared) else [len(compared) % len(arrays)]
        direction = [
            rng.standard_normal(array.shape) if i in moved else np.zeros(array.shape)
            for i, array in enumerate(arrays)
        ]
        norm = math.sqrt(sum(float(np.vdot(v, v)) for v in direction))
        direction = [v / norm for v in direction]
        grads = [analytic[keys[len(compared) % len(keys)]] for keys in tied]
        along = sum(float(np.vdot(g, v)) for g, v in zip(grads, direction, strict=True))
        h = tolerance.h
        upper, lower = losses_along(loss, arrays, direction, (h, -h))
        numerical = (upper - lower) / (2 * h)
        analytic_values.append(along)
        numerical_values.append(numerical)
        if tolerance.passes(along, numerical):
            compared.append(True)
            continue
        judged, numerical_values[-1] = judge(
            along,
            (-h, lower),
            (h, upper),
            partial(probe_direction, loss, arrays, direction),
        )
        compared.append(judged)
    return _summarize(
        "all parameters",
        np.array(analytic_values),
        np.array(numerical_values),
        np.array(compared, dtype=bool),
        tolerance,
    )


def _summarize(
    name: str,
    analytic: NDArray[np.float64],
    numerical: NDArray[np.float64],
    compared: NDArray[np.bool_],
    tolerance: Tolerance,
) -> ErrorSummary:
    with np.errstate(divide="ignore", invalid="ignore"):  # inf and 0 / 0 are handled
        error = np.abs(analytic - numerical)
        scale = np.maximum(np.abs(analytic), np.abs(numerical))
        relative = np.where(
            scale > 0, error / scale, np.where(np.isnan(error), np.nan, 0.0)
        )
        allowed = tolerance.atol + tolerance.rtol * np.abs(numerical)
        ratio = np.nan_to_num(np.where(error == 0, 0.0, error / allowed), nan=np.inf)
    failed = compared & ~(error <= allowed)
    checked = int(compared.sum())
    if checked == 0:
        return ErrorSummary(
            name, 0, 0, int(compared.size), math.nan, math.nan, (), math.nan, math.nan
        )
    # The worst element is the one furthest beyond its tolerance; NaN is worst of all.
    worst = np.unravel_index(
        int(np.argmax(np.where(compared, ratio, -np.inf))), analytic.shape
    )
    return ErrorSummary(
        name,
        checked=checked,
        failed=int(failed.sum()),
        skipped=int(compared.size) - checked,
        max_abs_error=float(np.max(error, where=compared, initial=0.0)),
        max_rel_error=float(np.max(relative, where=compared, initial=0.0)),
        worst_index=tuple(int(i) for i in worst),
        analytic=float(analytic[worst]),
        numerical=float(numerical[worst]),
    )


def _analytic(
    model: Model, x: NDArray[Any], t: NDArray[Any]
) -> dict[str, NDArray[np.float64]]:
    """Return a float64 copy of ``model.gradient(x, t)``, checked against ``params``."""
    grads = model.gradient(x, t)
    params = model.params
    if set(grads) != set(params):
        raise ValueError(
            "model.gradient(x, t) must have the keys of model.params "
            f"{sorted(params)!r}, got keys={sorted(grads)!r}"
        )
    copies = {}
    for name, param in params.items():
        grad = np.array(grads[name], dtype=np.float64)
        if grad.shape != param.shape:
            raise ValueError(
                f"grads[{name!r}] must have the shape of params[{name!r}] "
                f"{param.shape!r}, got grads[{name!r}].shape={grad.shape!r}"
            )
        copies[name] = grad
    return copies


def _check_writeable_float(name: str, array: object) -> None:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {name}={array!r}")
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name} must have a floating dtype, got {name}.dtype={array.dtype}"
        )
    if not array.flags.writeable:
        raise ValueError(
            f"{name} must be writeable (it is perturbed in place), "
            f"got {name}.flags.writeable=False"
        )
