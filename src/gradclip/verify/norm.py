"""Invariants of a global norm, ``f(grads) -> float``.

The ``core`` tier is ordinary contiguous float32 and float64 gradients; the
``robust`` tier adds extreme magnitudes, odd layouts, aliasing and NaN/inf.
"""

import math
import numbers
from collections.abc import Callable
from typing import Any

from gradclip.verify._grads import (
    EXTREME,
    LAYOUTS,
    GradsCase,
    arrays_of,
    assert_untouched,
    grads_cases,
    nonfinite_cases,
    restored,
)
from gradclip.verify._invariant import Invariant, invariant
from gradclip.verify._oracle import assert_exact_norm

__all__ = ["NORM_INVARIANTS", "NormFunction"]

NormFunction = Callable[[dict[str, Any]], object]
"""``f(grads)``: the 2-norm of all elements of all arrays together."""


def exact(function: NormFunction, case: GradsCase) -> None:
    """The norm equals the exact one within 1e-12 (1e-6 below float64)."""
    with restored(case) as before:
        assert_exact_norm(function(case.grads), before)


def inputs_untouched(function: NormFunction, case: GradsCase) -> None:
    """Computing the norm leaves every array bit-identical."""
    with restored(case) as before:
        function(case.grads)
        assert_untouched(before, arrays_of(case))


def exact_at_extremes(function: NormFunction, case: GradsCase) -> None:
    """From subnormals to values whose squares overflow, the norm stays exact."""
    exact(function, case)


def odd_layouts(function: NormFunction, case: GradsCase) -> None:
    """Strided, transposed, Fortran-order, 0-d and empty arrays count exactly."""
    exact(function, case)


def aliasing_counted_once(function: NormFunction, case: GradsCase) -> None:
    """An array under two keys is counted once."""
    exact(function, case)


def nonfinite_propagates(function: NormFunction, case: GradsCase) -> None:
    """A NaN element makes the norm NaN; otherwise an infinite one makes it inf."""
    arrays = arrays_of(case)
    has_nan = any(bool(math.isnan(float(x))) for a in arrays for x in a.ravel())
    returned = function(case.grads)
    assert isinstance(returned, numbers.Real), f"returned {returned!r}, not a number"
    expected = "nan" if has_nan else "inf"
    value = float(returned)
    assert math.isnan(value) if has_nan else value == math.inf, (
        f"norm {value!r} of non-finite gradients should be {expected}"
    )


NORM_INVARIANTS: tuple[Invariant[NormFunction, GradsCase], ...] = (
    invariant(exact, "core", grads_cases()),
    invariant(inputs_untouched, "core", grads_cases()),
    invariant(exact_at_extremes, "robust", grads_cases(EXTREME)),
    invariant(odd_layouts, "robust", grads_cases(LAYOUTS)),
    invariant(aliasing_counted_once, "robust", grads_cases(allow_aliasing=True)),
    invariant(nonfinite_propagates, "robust", nonfinite_cases()),
)
"""Every global-norm invariant, core tier first."""
