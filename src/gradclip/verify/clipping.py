"""Invariants that every correct ``clip_grads(grads, max_norm)`` satisfies.

An implementation is any callable with the seed notebook's signature: it
scales a dict of arrays in place and may return the norm. Each invariant
draws its own cases, calls the implementation, and checks one property
against the exact oracle of ``gradclip.verify._oracle``. Checks restore every
array afterwards, so a case can be shown and replayed after a failure.

The ``core`` tier is the seed's contract on ordinary inputs: contiguous
float32 and float64 arrays with moderate values. The ``robust`` tier adds
extreme magnitudes, non-finite values, bad input, aliasing and odd memory
layouts.

References:
    Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013, arXiv:1211.5063.
"""

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from gradclip.strategies import gradient_arrays, gradient_dicts
from gradclip.verify._invariant import Invariant, Tier
from gradclip.verify._oracle import (
    absolute_tolerance,
    distinct,
    exact_norm,
    exact_square_norm,
    relative_tolerance,
    show,
)

__all__ = ["CLIP_INVARIANTS", "ClipCase", "ClipFunction"]

ClipFunction = Callable[[dict[str, Any], float], object]
"""The seed's signature: ``f(grads, max_norm)``, in place, any return value."""

EPS = 1e-6
"""The largest epsilon a correct implementation may add to the norm."""

_FLOAT64_MAX = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class ClipCase:
    """Gradients and a threshold to clip them to.

    Attributes:
        grads: the gradients; the same array may stand under two keys.
        max_norm: the threshold; for ``bad_input`` cases, possibly invalid.
    """

    grads: dict[str, Any]
    max_norm: Any

    def __repr__(self) -> str:
        first_keys: dict[int, str] = {}
        entries = []
        for key, value in self.grads.items():
            first = first_keys.setdefault(id(value), key)
            shown = f"<the array of {first!r}>" if first != key else _describe(value)
            entries.append(f"{key!r}: {shown}")
        return f"ClipCase(max_norm={self.max_norm!r}, grads={{{', '.join(entries)}}})"


def _describe(value: object) -> str:
    if not isinstance(value, np.ndarray):
        return repr(value)
    layout = (
        "C"
        if value.flags.c_contiguous
        else "F"
        if value.flags.f_contiguous
        else "strided"
    )
    flags = "" if value.flags.writeable else ", read-only"
    return f"np.{value!r} ({layout}{flags})"


def _arrays(case: ClipCase) -> list[NDArray[Any]]:
    return distinct(v for v in case.grads.values() if isinstance(v, np.ndarray))


@contextmanager
def _restored(case: ClipCase) -> Iterator[list[NDArray[Any]]]:
    """Yield copies of the case's arrays; put the originals back afterwards."""
    arrays = _arrays(case)
    before = [array.copy() for array in arrays]
    try:
        yield before
    finally:
        for array, original in zip(arrays, before, strict=True):
            if array.flags.writeable:
                np.copyto(array, original)


# The properties, each checked against the exact oracle.


def _assert_norm_bound(after: list[NDArray[Any]], max_norm: float) -> None:
    if math.isinf(max_norm):
        return
    bound = Fraction(max_norm) * (1 + Fraction(relative_tolerance(after)))
    bound += absolute_tolerance(after)
    square = exact_square_norm(after)
    assert square <= bound * bound, (
        f"norm after clipping is {show(exact_norm(after))}, above max_norm={max_norm!r}"
    )


def _assert_clipped_to_bound(
    before: list[NDArray[Any]], after: list[NDArray[Any]], max_norm: float
) -> None:
    norm = exact_norm(before)
    if norm <= max_norm:
        return
    tolerance = Fraction(relative_tolerance(before))
    low = Fraction(max_norm) * norm / (norm + Fraction(EPS)) * (1 - tolerance)
    low -= absolute_tolerance(before)
    high = Fraction(max_norm) * (1 + tolerance) + absolute_tolerance(before)
    result = exact_norm(after)
    assert low <= result <= high, (
        f"norm {show(norm)} above max_norm={max_norm!r} should be clipped to "
        f"[{show(low)}, {show(high)}], got {show(result)}"
    )


def _assert_common_factor(
    before: list[NDArray[Any]], after: list[NDArray[Any]], max_norm: float
) -> None:
    """Check after == c * before for one c in (0, 1], element by element.

    c is read off the element of largest magnitude. When even that one
    underflows below the smallest normal number of its dtype, c cannot be
    read off; then every element must keep its sign and not grow.
    """
    for old, new in zip(before, after, strict=True):
        assert not np.any(new[old == 0]), f"zeros of {old!r} changed: {new!r}"
        assert np.all(np.abs(new) <= np.abs(old)), f"{old!r} grew to {new!r}"
        assert np.all(new.real * old.real >= 0), f"{old!r} changed sign: {new!r}"
    nonempty = [i for i, array in enumerate(before) if array.size]
    if not nonempty:
        return
    position = max(nonempty, key=lambda i: float(np.max(np.abs(before[i]))))
    index = np.unravel_index(
        np.argmax(np.abs(before[position])), before[position].shape
    )
    largest, scaled = before[position][index], after[position][index]
    if abs(scaled) < np.finfo(scaled.dtype).tiny:
        return
    factor = float(abs(scaled)) / float(abs(largest))
    tolerance = 4 * relative_tolerance(before)
    assert 0 < factor <= 1 + tolerance, (
        f"arrays must be scaled by one factor in (0, 1], got factor {factor!r} "
        f"at the largest element (max_norm={max_norm!r})"
    )
    slack = float(absolute_tolerance(before))
    for old, new in zip(before, after, strict=True):
        expected = old.astype(np.complex128) * factor
        error = np.abs(new.astype(np.complex128) - expected)
        assert np.all(error <= tolerance * np.abs(expected) + slack), (
            f"array not scaled by the common factor {factor!r}: {old!r} became {new!r}"
        )


def _assert_untouched(before: list[NDArray[Any]], after: list[NDArray[Any]]) -> None:
    for old, new in zip(before, after, strict=True):
        assert old.tobytes() == new.tobytes(), f"{old!r} was changed to {new!r}"


def _assert_returned_norm(returned: object, before: list[NDArray[Any]]) -> None:
    if returned is None:
        return
    norm = exact_norm(before)
    value = float(returned)  # type: ignore[arg-type]  # a returned norm is a number
    precise = all(array.dtype.itemsize >= 8 for array in before if array.size)
    tolerance = 1e-12 if precise else 1e-6
    if math.isinf(value):
        assert norm > _FLOAT64_MAX, f"returned inf for a norm of {show(norm)}"
        return
    # A subnormal result is exact only to its spacing, 2**-1074.
    allowed = Fraction(tolerance) * norm + Fraction(2) ** -1074
    assert abs(Fraction(value) - norm) <= allowed, (
        f"returned norm {value!r} differs from the exact {show(norm)} "
        f"by more than {tolerance} relative"
    )


def _clip(function: ClipFunction, case: ClipCase) -> object:
    return function(case.grads, case.max_norm)


def norm_bound(function: ClipFunction, case: ClipCase) -> None:
    """After clipping, the norm is at most max_norm (up to rounding)."""
    with _restored(case):
        _clip(function, case)
        _assert_norm_bound(_arrays(case), case.max_norm)


def clip_to_bound(function: ClipFunction, case: ClipCase) -> None:
    """A norm n above max_norm ends in [max_norm * n / (n + 1e-6), max_norm]."""
    with _restored(case) as before:
        _clip(function, case)
        _assert_clipped_to_bound(before, _arrays(case), case.max_norm)


def direction_preserved(function: ClipFunction, case: ClipCase) -> None:
    """Every array becomes the original times one common factor c in (0, 1]."""
    with _restored(case) as before:
        _clip(function, case)
        _assert_common_factor(before, _arrays(case), case.max_norm)


def in_place_identity(function: ClipFunction, case: ClipCase) -> None:
    """The dict keeps its keys and array objects, whose views see the new values."""
    keys = list(case.grads)
    values = list(case.grads.values())
    views = [array[...] for array in values]
    layouts = [(a.shape, a.dtype, a.strides, _address(a)) for a in values]
    with _restored(case):
        _clip(function, case)
        assert list(case.grads) == keys, (
            f"keys changed from {keys} to {list(case.grads)}"
        )
        for key, value, view, layout in zip(keys, values, views, layouts, strict=True):
            now = case.grads[key]
            assert now is value, f"grads[{key!r}] was replaced by a new object"
            assert (now.shape, now.dtype, now.strides, _address(now)) == layout, (
                f"grads[{key!r}] changed shape, dtype or memory"
            )
            assert np.array_equal(view, now, equal_nan=True), (
                f"a view of grads[{key!r}] does not see the clipped values"
            )


def _address(array: NDArray[Any]) -> int:
    address: int = array.__array_interface__["data"][0]
    return address


def noop_below_threshold(function: ClipFunction, case: ClipCase) -> None:
    """When norm + 1e-6 <= max_norm, every array stays bit-identical."""
    with _restored(case) as before:
        if exact_norm(before) + Fraction(EPS) > case.max_norm:
            return
        _clip(function, case)
        _assert_untouched(before, _arrays(case))


def exact_returned_norm(function: ClipFunction, case: ClipCase) -> None:
    """A returned norm equals the exact norm within 1e-12 (1e-6 below float64)."""
    with _restored(case) as before:
        _assert_returned_norm(_clip(function, case), before)


def order_independence(function: ClipFunction, case: ClipCase) -> None:
    """Clipping the same arrays under reversed key order gives the same result."""
    forward = _copy_grads(case.grads)
    backward = dict(reversed(list(_copy_grads(case.grads).items())))
    function(forward, case.max_norm)
    function(backward, case.max_norm)
    tolerance = 4 * relative_tolerance(forward.values())
    for key, array in forward.items():
        np.testing.assert_allclose(
            backward[key],
            array,
            rtol=tolerance,
            atol=1e-300,
            err_msg=f"grads[{key!r}] depends on the order of the keys",
        )


def scale_equivariance(function: ClipFunction, case: ClipCase) -> None:
    """Scaling gradients and max_norm by 2**k scales the result by 2**k."""
    scale = 4.0
    plain = _copy_grads(case.grads)
    scaled = _copy_grads(case.grads)
    for array in distinct(scaled.values()):
        array *= scale
    norm = float(exact_norm(plain.values()))
    function(plain, case.max_norm)
    function(scaled, case.max_norm * scale)
    # eps is added to the norm before dividing, so it shifts the two rates
    # apart by up to eps / norm.
    tolerance = 4 * relative_tolerance(plain.values()) + (EPS / norm if norm else 0)
    for key, array in plain.items():
        np.testing.assert_allclose(
            scaled[key] / scale,
            array,
            rtol=tolerance,
            atol=1e-300,
            err_msg=f"grads[{key!r}] is not scaled along with max_norm",
        )


def _copy_grads(grads: dict[str, Any]) -> dict[str, Any]:
    """Copy the arrays, keeping an array under two keys one array."""
    copies: dict[int, NDArray[Any]] = {}
    return {key: copies.setdefault(id(a), a.copy()) for key, a in grads.items()}


def clipping_at_extremes(function: ClipFunction, case: ClipCase) -> None:
    """From subnormals to values whose squares overflow, clipping stays correct."""
    with _restored(case) as before:
        returned = _clip(function, case)
        after = _arrays(case)
        _assert_norm_bound(after, case.max_norm)
        _assert_clipped_to_bound(before, after, case.max_norm)
        _assert_common_factor(before, after, case.max_norm)
        _assert_returned_norm(returned, before)


def odd_layouts(function: ClipFunction, case: ClipCase) -> None:
    """Strided, transposed, Fortran-order, 0-d and empty arrays clip correctly."""
    with _restored(case) as before:
        _clip(function, case)
        after = _arrays(case)
        _assert_norm_bound(after, case.max_norm)
        _assert_clipped_to_bound(before, after, case.max_norm)
        _assert_common_factor(before, after, case.max_norm)
    in_place_identity(function, case)


def aliasing_counted_once(function: ClipFunction, case: ClipCase) -> None:
    """An array under two keys is counted once in the norm and scaled once."""
    with _restored(case) as before:
        _clip(function, case)
        after = _arrays(case)
        _assert_clipped_to_bound(before, after, case.max_norm)
        _assert_common_factor(before, after, case.max_norm)


def nonfinite_untouched(function: ClipFunction, case: ClipCase) -> None:
    """Gradients holding NaN or inf are left bit-identical, raising or not."""
    with _restored(case) as before:
        with suppress(ValueError, ArithmeticError):
            _clip(function, case)
        _assert_untouched(before, _arrays(case))


def bad_input_atomic(function: ClipFunction, case: ClipCase) -> None:
    """Bad input raises TypeError or ValueError and leaves every array as it was."""
    with _restored(case) as before:
        try:
            _clip(function, case)
        except (TypeError, ValueError):
            _assert_untouched(before, _arrays(case))
        else:
            raise AssertionError("bad input was accepted without an error")


# The cases.

_ORDINARY = gradient_arrays(dtypes=["float32", "float64"], allow_noncontiguous=False)
_EXTREME = gradient_arrays(
    dtypes=["float16", "float32", "float64"],
    allow_subnormal=True,
    allow_huge=True,
    allow_noncontiguous=False,
)
_LAYOUTS = gradient_arrays(dtypes=["float32", "float64"], allow_noncontiguous=True)


@st.composite
def _clip_cases(
    draw: st.DrawFn,
    arrays: st.SearchStrategy[NDArray[Any]],
    *,
    relation: str = "any",
    allow_aliasing: bool = False,
    min_size: int = 0,
) -> ClipCase:
    """Draw gradients, then a max_norm that relates to their norm as asked.

    ``relation`` is ``"below"`` for a norm above max_norm (clipping),
    ``"above"`` for max_norm at least the norm plus 1e-6 and the rounding of
    the least precise dtype (no clipping), or ``"any"``.
    """
    grads = draw(
        gradient_dicts(
            arrays, min_size=min_size, max_size=5, allow_aliasing=allow_aliasing
        )
    )
    norm = float(min(exact_norm(grads.values()), Fraction(_FLOAT64_MAX)))
    if relation == "any":
        relation = draw(st.sampled_from(["below", "above"]))
    if relation == "below":
        fraction = draw(st.floats(1e-3, 1.0, exclude_max=True))
        max_norm = norm * fraction
        if max_norm == 0 or not math.isfinite(max_norm):
            max_norm = draw(st.floats(1e-3, 1e3))
    else:
        margin = 1 + 64 * relative_tolerance(grads.values())
        max_norm = (norm + EPS) * margin * draw(st.floats(1.0, 4.0))
        if not math.isfinite(max_norm):
            max_norm = _FLOAT64_MAX
    return ClipCase(grads=grads, max_norm=max_norm)


@st.composite
def _bad_cases(draw: st.DrawFn) -> ClipCase:
    """Draw valid gradients with one defect, placed where it is reached last."""
    case = draw(_clip_cases(_ORDINARY, relation="below", min_size=1))
    defect = draw(
        st.sampled_from(["integer array", "list", "read-only array", "negative", "nan"])
    )
    grads = dict(case.grads)
    if defect == "negative":
        return ClipCase(grads=grads, max_norm=-case.max_norm - 1.0)
    if defect == "nan":
        return ClipCase(grads=grads, max_norm=math.nan)
    bad: object
    if defect == "integer array":
        bad = np.array([3, -4])
    elif defect == "list":
        bad = [3.0, -4.0]
    else:
        bad = np.array([3.0, -4.0])
        bad.flags.writeable = False
    grads["zz_bad"] = bad
    return ClipCase(grads=grads, max_norm=case.max_norm)


@st.composite
def _nonfinite_cases(draw: st.DrawFn) -> ClipCase:
    """Draw gradients that clip, with a NaN or inf in one entry at any position."""
    case = draw(_clip_cases(_ORDINARY, relation="below"))
    value = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    items = list(case.grads.items())
    position = draw(st.integers(0, len(items)))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    items.insert(position, ("nonfinite", np.array([1.0, value], dtype=dtype)))
    return ClipCase(grads=dict(items), max_norm=case.max_norm)


def _invariant(
    check: Callable[[ClipFunction, ClipCase], None],
    tier: Tier,
    cases: st.SearchStrategy[ClipCase],
) -> Invariant[ClipFunction, ClipCase]:
    return Invariant(name=check.__name__, tier=tier, cases=cases, check=check)


CLIP_INVARIANTS: tuple[Invariant[ClipFunction, ClipCase], ...] = (
    _invariant(norm_bound, "core", _clip_cases(_ORDINARY)),
    _invariant(clip_to_bound, "core", _clip_cases(_ORDINARY, relation="below")),
    _invariant(direction_preserved, "core", _clip_cases(_ORDINARY)),
    _invariant(in_place_identity, "core", _clip_cases(_ORDINARY)),
    _invariant(noop_below_threshold, "core", _clip_cases(_ORDINARY, relation="above")),
    _invariant(exact_returned_norm, "core", _clip_cases(_ORDINARY)),
    _invariant(order_independence, "core", _clip_cases(_ORDINARY)),
    _invariant(scale_equivariance, "core", _clip_cases(_ORDINARY)),
    _invariant(clipping_at_extremes, "robust", _clip_cases(_EXTREME)),
    _invariant(odd_layouts, "robust", _clip_cases(_LAYOUTS)),
    _invariant(
        aliasing_counted_once,
        "robust",
        _clip_cases(_ORDINARY, relation="below", allow_aliasing=True),
    ),
    _invariant(nonfinite_untouched, "robust", _nonfinite_cases()),
    _invariant(bad_input_atomic, "robust", _bad_cases()),
)
"""Every clipping invariant, core tier first."""
