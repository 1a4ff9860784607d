"""Invariants of a global norm, ``f(grads) -> float``.

The ``core`` tier is ordinary contiguous float32 and float64 gradients; the
``robust`` tier adds extreme magnitudes, odd layouts, aliasing, NaN/inf and
other p-norms, asked for as ``f(grads, norm_type=p)``.

PYTEST_DONT_REWRITE: the messages of these checks say what was expected and
got; pytest, which rewrites the asserts of a package with a pytest plugin,
would only add its own noise to them.
"""

import math
import numbers
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis.strategies import SearchStrategy
from numpy.typing import NDArray

from gradclip.verify._grads import (
    COMPLEX,
    EXTREME,
    FLOAT64_MAX,
    LAYOUTS,
    GradsCase,
    arrays_of,
    assert_untouched,
    edge_cases,
    grads_cases,
    nonfinite_cases,
    restored,
    themed_cases,
)
from gradclip.verify._invariant import Invariant, Tier, invariant
from gradclip.verify._oracle import assert_exact_norm, exact_moduli, show

__all__ = ["NORM_INVARIANTS", "NORM_PREFLIGHT", "NormFunction"]

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


def read_only_inputs(function: NormFunction, case: GradsCase) -> None:
    """Read-only arrays are accepted, and their norm is exact."""
    arrays = arrays_of(case)
    with restored(case) as before:
        for array in arrays:
            array.flags.writeable = False
        try:
            assert_exact_norm(function(case.grads), before)
        finally:
            for array in arrays:
                array.flags.writeable = True


_P_NORMS = (1.0, 3.0)
"""The p-norms checked besides the 2-norm: the sum, and an odd power."""


def p_norms(function: NormFunction, case: GradsCase) -> None:
    """With norm_type=p for p in 1 and 3, the norm is the exact p-norm."""
    ask: Callable[..., object] = function  # norm_type is asked for by keyword
    with restored(case) as before:
        for p in _P_NORMS:
            _assert_exact_p_norm(ask(case.grads, norm_type=p), before, p)


def largest_magnitude(function: NormFunction, case: GradsCase) -> None:
    """With norm_type=inf, the norm is the largest magnitude, 0 for no elements."""
    ask: Callable[..., object] = function  # norm_type is asked for by keyword
    with restored(case) as before:
        _assert_exact_p_norm(ask(case.grads, norm_type=math.inf), before, math.inf)


def _assert_exact_p_norm(
    returned: object, arrays: list[NDArray[Any]], p: float
) -> None:
    """Check a p-norm against the exact one, with ``assert_exact_norm``'s tolerances."""
    assert isinstance(returned, numbers.Real), f"returned {returned!r}, not a number"
    value = float(returned)
    magnitudes = exact_moduli(arrays)
    precise = all(np.finfo(array.dtype).bits >= 64 for array in arrays if array.size)
    tolerance = Fraction(1e-12 if precise else 1e-6)
    if p == math.inf:
        real = all(array.dtype.kind == "f" for array in arrays)
        largest = max(magnitudes, default=Fraction(0))
        _assert_largest(value, largest, Fraction(0) if real else tolerance)
        return
    power = sum((m ** int(p) for m in magnitudes), Fraction(0))
    if math.isinf(value):
        assert power > Fraction(FLOAT64_MAX) ** int(p), (
            f"norm_type={p!r} gave inf for a norm within float64's range"
        )
        return
    # |value - norm| <= tolerance * norm, compared as p-th powers; a subnormal
    # result is exact only to its spacing, 2**-1074.
    spacing = Fraction(2) ** -1074
    low = max(Fraction(value) * (1 - tolerance) - spacing, Fraction(0))
    high = Fraction(value) * (1 + tolerance) + spacing
    assert low ** int(p) <= power <= high ** int(p), (
        f"norm_type={p!r} gave {value!r}, not the exact p-norm "
        f"(its p-th power is {show(power)})"
    )


def _assert_largest(value: float, largest: Fraction, tolerance: Fraction) -> None:
    """Check the inf-norm against the largest magnitude, to ``tolerance``.

    A real magnitude is a float, to be returned exactly (tolerance 0); a
    complex modulus is irrational, rounded to the norm's tolerance; inf only
    beyond float64's range.
    """
    if math.isinf(value):
        assert largest > FLOAT64_MAX, (
            f"norm_type=inf gave inf for a largest magnitude of {show(largest)}"
        )
        return
    spacing = Fraction(2) ** -1074 if tolerance else Fraction(0)
    allowed = tolerance * largest + spacing
    assert abs(Fraction(value) - largest) <= allowed, (
        f"norm_type=inf gave {value!r}, not the largest magnitude {show(largest)}"
    )


def exact_at_extremes(function: NormFunction, case: GradsCase) -> None:
    """From subnormals to values whose squares overflow, the norm stays exact.

    Complex parts reach their dtype's largest value, so that a modulus taken
    in the array's own precision would overflow.
    """
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


def _norm_invariant(
    check: Callable[[NormFunction, GradsCase], None],
    tier: Tier,
    cases: SearchStrategy[GradsCase],
    **options: Any,
) -> Invariant[NormFunction, GradsCase]:
    return invariant(check, "norm", tier, cases, **options)


def runs_on_ordinary_input(function: NormFunction, case: GradsCase) -> None:
    """The norm of ordinary gradients is computed without an error."""
    with restored(case):
        function(case.grads)


NORM_PREFLIGHT = _norm_invariant(runs_on_ordinary_input, "core", grads_cases())
"""Run before the invariants: an implementation that raises here passes nothing."""

_EXTREME_CASES = (
    themed_cases("extreme", EXTREME) | themed_cases("complex", COMPLEX) | edge_cases()
)
"""Extreme values in real arrays, complex ones, and whole gradients at an edge."""

NORM_INVARIANTS: tuple[Invariant[NormFunction, GradsCase], ...] = (
    _norm_invariant(exact, "core", grads_cases()),
    _norm_invariant(inputs_untouched, "core", grads_cases()),
    _norm_invariant(read_only_inputs, "core", grads_cases()),
    _norm_invariant(
        exact_at_extremes,
        "robust",
        _EXTREME_CASES,
        ordinary=("exact",),
    ),
    _norm_invariant(
        odd_layouts, "robust", themed_cases("layout", LAYOUTS), ordinary=("exact",)
    ),
    _norm_invariant(
        aliasing_counted_once, "robust", themed_cases("alias"), ordinary=("exact",)
    ),
    _norm_invariant(nonfinite_propagates, "robust", nonfinite_cases()),
    _norm_invariant(p_norms, "robust", _EXTREME_CASES),
    _norm_invariant(largest_magnitude, "robust", _EXTREME_CASES),
)
"""Every global-norm invariant, core tier first."""
