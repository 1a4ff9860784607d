"""Invariants of element-wise clipping, ``f(grads, clip_value)`` in place.

The ``core`` tier is ordinary contiguous float32 and float64 gradients, and
takes an element beyond the bound to become the bound rounded to nearest in
its dtype (as ``np.clip`` makes it); the ``robust`` tier adds that no element
ends above the bound at all, odd memory layouts and bad input.

PYTEST_DONT_REWRITE: the messages of these checks say what was expected and
got; pytest, which rewrites the asserts of a package with a pytest plugin,
would only add its own noise to them.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis.strategies import SearchStrategy
from numpy.typing import NDArray

from gradclip.verify._grads import (
    LAYOUTS,
    GradsCase,
    arrays_of,
    assert_in_place,
    assert_untouched,
    bad_cases,
    copy_grads,
    exact_threshold,
    grads_cases,
    infinite_cases,
    restored,
    self_overlap_cases,
    themed_cases,
)
from gradclip.verify._invariant import Invariant, Tier, invariant
from gradclip.verify._oracle import show
from gradclip.verify.clipping import (
    assert_error_names_culprit,
    assert_self_overlap_atomic,
    bad_input_atomic,
)

__all__ = ["VALUE_INVARIANTS", "VALUE_PREFLIGHT", "ValueFunction"]

ValueFunction = Callable[[dict[str, Any], float], object]
"""``f(grads, clip_value)``: clip every element to ``[-clip_value, clip_value]``."""


def _dtype_bounds(clip_value: float, dtype: np.dtype[Any]) -> tuple[float, float]:
    """The dtype's values nearest ``clip_value`` from below and from either side."""
    nearest = dtype.type(clip_value)
    below = nearest if float(nearest) <= clip_value else np.nextafter(nearest, 0)
    return float(below), max(clip_value, float(nearest))


def _assert_clipped(
    before: list[NDArray[Any]], after: list[NDArray[Any]], clip_value: float
) -> None:
    for old, new in zip(before, after, strict=True):
        low, high = _dtype_bounds(clip_value, old.dtype)
        inside = np.abs(old) <= low
        assert old[inside].tobytes() == new[inside].tobytes(), (
            f"elements within clip_value={clip_value!r} changed: {old!r} became {new!r}"
        )
        outside = ~inside
        magnitudes = np.abs(new[outside]).astype(np.float64)
        assert np.all((low <= magnitudes) & (magnitudes <= high)), (
            f"elements beyond clip_value={clip_value!r} must become +-{clip_value!r} "
            f"in their dtype: {old!r} became {new!r}"
        )
        signs = np.sign(new[outside])
        assert np.all((signs == 0) | (signs == np.sign(old[outside]))), (
            f"expected every element to keep its sign, got {old!r} becoming {new!r}"
        )


def elements_clipped(function: ValueFunction, case: GradsCase) -> None:
    """Elements within clip_value stay bit-identical; the rest become +-clip_value."""
    with restored(case) as before:
        function(case.grads, case.threshold)
        _assert_clipped(before, arrays_of(case), case.threshold)


def within_bound(function: ValueFunction, case: GradsCase) -> None:
    """No element ends above clip_value in magnitude, in any dtype."""
    with restored(case):
        function(case.grads, case.threshold)
        for key, array in case.grads.items():
            above = np.abs(array.astype(np.float64)) > case.threshold
            assert not np.any(above), (
                f"grads[{key!r}] holds {array[above].astype(np.float64).tolist()} "
                f"({array.dtype}) above "
                f"clip_value={case.threshold!r}: the bound must be rounded toward "
                "zero in the array's dtype"
            )


def in_place_identity(function: ValueFunction, case: GradsCase) -> None:
    """The dict keeps its keys and array objects, whose views see the new values."""
    assert_in_place(function, case)


def idempotent(function: ValueFunction, case: GradsCase) -> None:
    """Clipping twice gives bit-identically what clipping once gives."""
    once = copy_grads(case.grads)
    function(once, case.threshold)
    twice = copy_grads(once)
    function(twice, case.threshold)
    for key, array in once.items():
        assert array.tobytes() == twice[key].tobytes(), f"grads[{key!r}] changed again"


def odd_layouts(function: ValueFunction, case: GradsCase) -> None:
    """Strided, transposed, Fortran-order, 0-d and empty arrays clip correctly."""
    elements_clipped(function, case)
    assert_in_place(function, case)


def bound_beyond_float64(function: ValueFunction, case: GradsCase) -> None:
    """A clip_value beyond float64 clips inf to the dtype's max, or is refused.

    Every finite element is within such a bound and stays bit-identical; an
    infinite one is beyond it and becomes the dtype's largest value, of its
    sign. An implementation may instead refuse the bound and change nothing.
    """
    with restored(case) as before:
        try:
            function(case.grads, case.threshold)
        except (TypeError, ValueError, ArithmeticError):
            assert_untouched(before, arrays_of(case))
            return
        for old, new in zip(before, arrays_of(case), strict=True):
            largest = np.finfo(old.dtype).max
            expected = np.where(np.isinf(old), np.copysign(largest, old), old)
            assert expected.tobytes() == new.tobytes(), (
                f"clip_value={show(exact_threshold(case.threshold))} must clip inf "
                "to the dtype's max "
                f"and keep finite values: {old!r} became {new!r}"
            )


def self_overlap(function: ValueFunction, case: GradsCase) -> None:
    """A view whose elements share memory is refused changing nothing, or clipped."""
    assert_self_overlap_atomic(
        lambda grads: function(grads, case.threshold),
        case,
        lambda before, after: _assert_clipped(before, after, case.threshold),
    )


def errors_name_culprit(function: ValueFunction, case: GradsCase) -> None:
    """The error for bad input names the argument or key at fault and what it got."""
    assert_error_names_culprit(function, case, "clip_value")


def _value_invariant(
    check: Callable[[ValueFunction, GradsCase], None],
    tier: Tier,
    cases: SearchStrategy[GradsCase],
    **options: Any,
) -> Invariant[ValueFunction, GradsCase]:
    return invariant(check, "value", tier, cases, **options)


def runs_on_ordinary_input(function: ValueFunction, case: GradsCase) -> None:
    """Ordinary gradients are clipped element-wise without an error."""
    with restored(case):
        function(case.grads, case.threshold)


VALUE_PREFLIGHT = _value_invariant(
    runs_on_ordinary_input, "core", grads_cases(measure="largest")
)
"""Run before the invariants: an implementation that raises here passes nothing."""

VALUE_INVARIANTS: tuple[Invariant[ValueFunction, GradsCase], ...] = (
    _value_invariant(elements_clipped, "core", grads_cases(measure="largest")),
    _value_invariant(
        in_place_identity,
        "core",
        grads_cases(measure="largest"),
        needs=frozenset({"in place"}),
    ),
    _value_invariant(idempotent, "core", grads_cases(measure="largest")),
    _value_invariant(
        odd_layouts,
        "robust",
        themed_cases("layout", LAYOUTS, measure="largest"),
        ordinary=("elements_clipped", "in_place_identity"),
    ),
    _value_invariant(self_overlap, "robust", self_overlap_cases(measure="largest")),
    _value_invariant(
        bound_beyond_float64,
        "robust",
        infinite_cases(),
        ordinary=("elements_clipped",),
    ),
    _value_invariant(
        within_bound,
        "robust",
        grads_cases(measure="largest", relation="below", min_size=1),
        ordinary=("elements_clipped",),
    ),
    _value_invariant(
        bad_input_atomic,
        "robust",
        bad_cases(measure="largest", allow_complex=False, odd_keys=True),
    ),
    _value_invariant(
        errors_name_culprit,
        "robust",
        bad_cases(measure="largest", allow_complex=False),
    ),
)
"""Every value-clipping invariant, core tier first."""
