"""Kink-aware comparison of backprop with central differences.

``gradcheck.check_gradients`` compares each value (an element's derivative, or
a directional derivative in fast mode) with the central difference at step
``h``. Values that pass are done. Those that fail go to ``Judge``, which
decides whether they fail or are skipped, using nothing but the loss, so that
it works for any model.

Kinks (a ReLU switching inside ``[p - h, p + h]``): a central difference
across a kink averages the slopes on either side, and a correct backprop need
not match that average, nor even a one-sided slope at step ``h``: with
several kinks within ``h`` (one per sample, say) its value may be the slope
of a sliver far narrower than ``h``, and exactly on a kink it follows the
convention for ReLU's derivative at 0 (matching neither side when samples
cross the kink in opposite senses). So a value that fails is failed only
where the loss is shown smooth around it. The loss is measured at
``p +- s/2``, for ``s = h`` first, and the slopes of the four half-steps
between ``p - s`` and ``p + s`` are taken; their largest second difference
is the roughness. Where the loss is smooth the roughness is about
``(s/2)**2 * L'''`` plus rounding, and shrinks fourfold as ``s`` is halved; a
kink within ``+-s/2`` adds at least a third of its jump in slope, and keeps
adding it while ``s`` is halved. Hence:

- The loss is smooth within ``+-s`` once the roughness is within the losses'
  rounding error and, after a halving, at most half what it was (curvature,
  or a kink left behind). The value is then compared with the central
  difference at step ``s``: it passes, or is skipped if the mismatch is
  within the tolerance plus twice the roughness (what a slight kink can do),
  or fails, subject to the last point below.
- Otherwise ``s`` is halved. Roughness that fails to halve three times marks
  a kink on which the value sits: it is skipped (counted in
  ``ErrorSummary.skipped``), not failed. A value near a kink is thus compared
  at a finer step, so kinks hide only the values on them.
- Kinks can coincide and cancel along ``p``: two samples of opposite labels
  on one hidden unit's kink, with two classes, leave the loss smooth along
  that unit's bias, while backprop returns the slope of one sample alone. So
  before a value fails, the line is measured again moved off ``p`` by a fixed
  random displacement of every parameter, of sizes ``s/2``, ``s/32`` and
  ``s/512``: coinciding kinks part there, and if the roughness exceeds twice
  that through ``p`` plus rounding, the value is skipped. Kinks that cancel
  on every such line (as in ``relu(p) - relu(-p)``, which is ``p``) stay
  unseen, and fail.

This costs nothing for values that pass and two losses per halving for values
that fail: eight for a value on a kink. The displaced lines cost fifteen, and
only until one value has failed: the check has failed then, and later values
fail without them.

Every function here that moves a parameter restores it in ``finally``.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Judge",
    "Point",
    "Tolerance",
    "central_difference",
    "losses_along",
    "probe_direction",
    "probe_element",
]

_KINK_HALVINGS = 3
"""Halvings of the step that leave the roughness unhalved, marking a kink."""
_MAX_HALVINGS = 16
"""Halvings of the step at most, while roughness shrinks but stays above rounding."""
_SHIFTS = (1 / 2, 1 / 32, 1 / 512)
"""Sizes of the displacements of the line, per parameter, in units of the step."""
_SHIFT_SEED = 0
"""Seed of the random displacement, the same in every check."""
_ROUNDING = 2**10 * float(np.finfo(np.float64).eps)
"""Bound on a stencil's roughness from rounding alone, per unit of scale / step.

Losses off by 64 units in the last place of their scale each move a second
difference of half-step slopes by up to ``16 * 64 * eps * scale / step``. The
scale is ``max(|loss|, 1)``: a loss near 0 is still made of terms near 1
(probabilities, their logs), which set its rounding error.
"""

Point = tuple[float, float]
"""An offset from the parameter's value, and the loss there."""


@dataclass(frozen=True)
class Tolerance:
    """When a value passes: ``|analytic - numerical| <= atol + rtol * |numerical|``."""

    rtol: float
    atol: float
    h: float
    base: float
    """The unperturbed loss."""

    def allowed(self, numerical: float) -> float:
        """Return the largest mismatch allowed against ``numerical``."""
        return self.atol + self.rtol * abs(numerical)

    def passes(self, analytic: float, numerical: float) -> bool:
        """Return whether ``analytic`` is within the tolerance of ``numerical``."""
        return abs(analytic - numerical) <= self.allowed(numerical)


class Judge:
    """Decides the values whose central difference at step ``h`` failed.

    See the module docstring for the method. One judge serves one check:
    ``arrays`` are the model's parameters, which ``loss`` reads.
    """

    def __init__(
        self,
        tolerance: Tolerance,
        loss: Callable[[], float],
        arrays: Sequence[NDArray[np.float64]],
    ) -> None:
        self.tolerance = tolerance
        self._loss = loss
        self._arrays = arrays
        self._shift: list[NDArray[np.float64]] | None = None
        self._failed = False
        """Whether a value failed at a smooth point with no kink nearby."""

    def __call__(
        self,
        analytic: float,
        lower: Point,
        upper: Point,
        probe: Callable[[float], tuple[Point, Point]],
    ) -> tuple[bool, float]:
        """Return whether the value is compared (else skipped), and with what.

        ``lower`` and ``upper`` are the loss at ``-h`` and ``+h`` from the
        value's point; ``probe(s)`` returns it at ``-s`` and ``+s``.
        """
        tolerance = self.tolerance
        numerical = _slope(lower, upper)
        if not math.isfinite(analytic):
            return True, numerical  # no kink explains a NaN or an infinite gradient
        scale = max(1.0, abs(lower[1]), abs(tolerance.base), abs(upper[1]))
        step, previous, kinks = tolerance.h, math.inf, 0
        for _ in range(_MAX_HALVINGS + 1):
            half_lower, half_upper = probe(step / 2)
            roughness = _roughness(
                (lower, half_lower, (0.0, tolerance.base), half_upper, upper)
            )
            if roughness is None:  # too fine a step to move the parameter
                return math.isinf(previous), numerical  # compared unless rough
            shrinking = not roughness > previous / 2
            if shrinking and not roughness > _ROUNDING * scale / step:
                # Smooth on +-step: the central difference is the derivative.
                if tolerance.passes(analytic, numerical):
                    return True, numerical
                mismatch = abs(analytic - numerical)
                if mismatch <= tolerance.allowed(numerical) + 2 * roughness:
                    return False, numerical  # as much as a slight kink explains
                return not self._kinks_off_the_line(probe, step, roughness), numerical
            kinks += not shrinking
            if kinks == _KINK_HALVINGS:
                break
            previous, step = roughness, step / 2
            lower, upper = half_lower, half_upper
            numerical = _slope(lower, upper)
        return False, numerical

    def _kinks_off_the_line(
        self,
        probe: Callable[[float], tuple[Point, Point]],
        step: float,
        roughness: float,
    ) -> bool:
        """Whether the loss, smooth on the line through ``p``, is rough beside it.

        The line is moved off ``p`` by a random displacement of the size of
        ``step`` and smaller, and tested for roughness with the same step.
        """
        if self._failed:
            return False  # the check has failed already: spare the losses
        if self._shift is None:
            rng = np.random.default_rng(_SHIFT_SEED)
            self._shift = [rng.standard_normal(array.shape) for array in self._arrays]
        for fraction in _SHIFTS:
            originals = [array.copy() for array in self._arrays]
            try:
                for array, v in zip(self._arrays, self._shift, strict=True):
                    array += fraction * step * v
                base = self._loss()
                lower, upper = probe(step)
                half_lower, half_upper = probe(step / 2)
            finally:
                for array, original in zip(self._arrays, originals, strict=True):
                    array[...] = original
            points = (lower, half_lower, (0.0, base), half_upper, upper)
            beside = _roughness(points)
            scale = max(1.0, *(abs(loss) for _, loss in points))
            if beside is not None and beside > 2 * roughness + _ROUNDING * scale / step:
                return True
        self._failed = True
        return False


def central_difference(
    loss: Callable[[], float], x: NDArray[Any], index: tuple[int, ...], h: float
) -> tuple[float, float, float]:
    """Return the central difference at ``x[index]``, and the losses at +-h."""
    original = x[index]
    upper, lower = x.dtype.type(original + h), x.dtype.type(original - h)
    if upper == lower:
        raise ValueError(
            f"h must be large enough to change x[{', '.join(map(str, index))}]"
            f"={original.item()!r} in {x.dtype}, got h={h!r}"
        )
    loss_upper, loss_lower = _losses_at(loss, x, index, (upper, lower))
    return (
        (loss_upper - loss_lower) / (float(upper) - float(lower)),
        loss_upper,
        loss_lower,
    )


def _losses_at(
    loss: Callable[[], float],
    x: NDArray[Any],
    index: tuple[int, ...],
    values: Sequence[Any],
) -> list[float]:
    """Return ``loss()`` with ``x[index]`` set to each value; restore in ``finally``."""
    original = x[index]
    try:
        losses = []
        for value in values:
            x[index] = value
            losses.append(loss())
        return losses
    finally:
        x[index] = original


def losses_along(
    loss: Callable[[], float],
    arrays: Sequence[NDArray[np.float64]],
    direction: Sequence[NDArray[np.float64]],
    steps: Sequence[float],
) -> list[float]:
    """Return ``loss()`` with the arrays moved by each step along ``direction``.

    The arrays are restored from copies in ``finally``.
    """
    originals = [array.copy() for array in arrays]
    try:
        losses = []
        for step in steps:
            for array, original, v in zip(arrays, originals, direction, strict=True):
                np.add(original, step * v, out=array)
            losses.append(loss())
        return losses
    finally:
        for array, original in zip(arrays, originals, strict=True):
            array[...] = original


def probe_element(
    loss: Callable[[], float],
    param: NDArray[np.float64],
    index: tuple[int, ...],
    step: float,
) -> tuple[Point, Point]:
    """Return the loss with ``param[index]`` moved by ``-step`` and ``+step``."""
    original = param[index]
    points = (original - step, original + step)
    lower, upper = _losses_at(loss, param, index, points)
    below, above = (float(point - original) for point in points)
    return (below, lower), (above, upper)


def probe_direction(
    loss: Callable[[], float],
    arrays: Sequence[NDArray[np.float64]],
    direction: Sequence[NDArray[np.float64]],
    step: float,
) -> tuple[Point, Point]:
    """Return the loss with the arrays moved by ``-+step`` along ``direction``."""
    lower, upper = losses_along(loss, arrays, direction, (-step, step))
    return (-step, lower), (step, upper)


def _roughness(points: Sequence[Point]) -> float | None:
    """Return the largest second difference of the slopes between the points.

    ``None`` if the points are too close to tell apart.
    """
    offsets, losses = zip(*points, strict=True)
    widths = np.diff(offsets)
    if not np.all(widths > 0):
        return None
    slopes = np.diff(losses) / widths
    return float(np.max(np.abs(np.diff(slopes, n=2))))


def _slope(lower: Point, upper: Point) -> float:
    """Return the slope of the loss between two points."""
    return (upper[1] - lower[1]) / (upper[0] - lower[0])
