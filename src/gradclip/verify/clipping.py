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

``SHARD_INVARIANTS`` check the other half of data-parallel clipping,
``f(grads, max_norm, total_norm)`` as ``gradclip.clip_grads_with_norm``: each
worker scales its shard by the factor of a global norm computed elsewhere.

References:
    Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013, arXiv:1211.5063.

PYTEST_DONT_REWRITE: the messages of these checks say what was expected and
got; pytest, which rewrites the asserts of a package with a pytest plugin,
would only add its own noise to them.
"""

import math
import re
from collections.abc import Callable
from contextlib import suppress
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis.strategies import SearchStrategy
from numpy.typing import NDArray

from gradclip.verify._grads import (
    COMPLEX,
    EPS,
    EXTREME,
    HALF,
    LAYOUTS,
    OVERLAP_KEY,
    SELF_OVERLAP_VIEWS,
    GradsCase,
    arrays_of,
    assert_in_place,
    assert_untouched,
    bad_cases,
    bad_entry,
    beyond_float64_cases,
    copy_grads,
    culprit_cases,
    edge_cases,
    exact_threshold,
    factor_cases,
    float_norm,
    footprint,
    grads_cases,
    large_cases,
    nonfinite_cases,
    overlap_cases,
    restored,
    self_overlap_cases,
    self_overlapping_view,
    themed_cases,
)
from gradclip.verify._invariant import Invariant, Tier, invariant
from gradclip.verify._oracle import (
    absolute_tolerance,
    assert_exact_norm,
    distinct,
    exact_norm,
    exact_square_norm,
    relative_tolerance,
    show,
)
from gradclip.verify.interrupt import interrupt_cases, interrupt_leaves_no_late_writes

__all__ = [
    "CLIP_INVARIANTS",
    "CLIP_PREFLIGHT",
    "SHARD_INVARIANTS",
    "SHARD_PREFLIGHT",
    "ClipFunction",
    "ShardFunction",
]

ClipFunction = Callable[[dict[str, Any], float], object]
"""The seed's signature: ``f(grads, max_norm)``, in place, any return value."""

ShardFunction = Callable[[dict[str, Any], float, float], object]
"""``f(grads, max_norm, total_norm)``: scale a shard by a given norm's factor."""


# The properties, each checked against the exact oracle.


def _assert_norm_bound(after: list[NDArray[Any]], max_norm: float | Fraction) -> None:
    for array in after:  # finite gradients in, so finite out
        assert np.all(np.isfinite(array)), f"clipping made non-finite values: {array!r}"
    if max_norm == math.inf:
        return
    bound = Fraction(max_norm) * (1 + Fraction(relative_tolerance(after)))
    bound += absolute_tolerance(after)
    square = exact_square_norm(after)
    assert square <= bound * bound, (
        f"norm after clipping is {show(exact_norm(after))}, "
        f"above max_norm={_shown(max_norm)}"
    )


def _shown(max_norm: float | Fraction) -> str:
    return repr(max_norm) if isinstance(max_norm, float) else show(max_norm)


def _assert_clipped_to_bound(
    before: list[NDArray[Any]], after: list[NDArray[Any]], max_norm: float | Fraction
) -> None:
    norm = exact_norm(before)
    if norm <= max_norm:
        return
    tolerance = Fraction(relative_tolerance(before))
    low = Fraction(max_norm) * norm / (norm + Fraction(EPS)) * (1 - tolerance)
    low = max(low - absolute_tolerance(before), Fraction(0))
    high = Fraction(max_norm) * (1 + tolerance) + absolute_tolerance(before)
    result = exact_norm(after)
    assert low <= result <= high, (
        f"norm {show(norm)} above max_norm={_shown(max_norm)} should be clipped to "
        f"[{show(low)}, {show(high)}], got {show(result)}"
    )


def _assert_common_factor(
    before: list[NDArray[Any]], after: list[NDArray[Any]], max_norm: float | Fraction
) -> None:
    """Check after == c * before for one c in (0, 1], element by element.

    c is read off the real or imaginary part of largest magnitude. When even
    that one underflows below the smallest normal number of its dtype, c
    cannot be read off; then every element must keep its sign and not grow.
    """
    for old, new in zip(before, after, strict=True):
        assert not np.any(new[old == 0]), f"zeros of {old!r} changed: {new!r}"
        # Part by part: NumPy's complex abs may round |z| up by an ulp.
        for part in (np.real, np.imag):
            grown = np.abs(part(new)) > np.abs(part(old))
            assert not np.any(grown), (
                f"expected no element to grow, got {old!r} becoming {new!r}"
            )
            same_sign = (part(new) == 0) | (  # a zero part may lose its sign
                np.signbit(part(new)) == np.signbit(part(old))
            )
            assert np.all(same_sign), (
                f"expected every element to keep its sign, got {old!r} becoming {new!r}"
            )
    nonempty = [i for i, array in enumerate(before) if array.size]
    if not nonempty:
        return
    # c is read off the largest real or imaginary part: a part is scaled by c
    # and rounded once, and its magnitude, unlike a modulus, cannot overflow.
    position = max(nonempty, key=lambda i: float(np.max(_part_magnitudes(before[i]))))
    index = np.argmax(_part_magnitudes(before[position]))
    largest = _parts(before[position])[index]
    scaled = _parts(after[position])[index]
    if abs(scaled) < np.finfo(scaled.dtype).tiny:
        return
    factor = float(abs(scaled)) / float(abs(largest))
    # Each array is held to its own dtype's rounding, plus that of the
    # element the factor was read off.
    read_off = 4 * relative_tolerance([before[position]])
    assert 0 < factor <= 1 + read_off, (
        f"arrays must be scaled by one factor in (0, 1], got factor {factor!r} "
        f"at the largest element (max_norm={_shown(max_norm)})"
    )
    slack = float(absolute_tolerance(before))
    for old, new in zip(before, after, strict=True):
        tolerance = read_off + 4 * relative_tolerance([old])
        expected = _parts(old).astype(np.float64) * factor
        error = np.abs(_parts(new).astype(np.float64) - expected)
        assert np.all(error <= tolerance * np.abs(expected) + slack), (
            f"expected {old!r} times the common factor {factor!r}, got {new!r}"
        )


def _parts(array: NDArray[Any]) -> NDArray[Any]:
    """The real and imaginary parts of every element, flat; a real array itself."""
    if array.dtype.kind != "c":
        return array.ravel()
    return np.concatenate([array.real.ravel(), array.imag.ravel()])


def _part_magnitudes(array: NDArray[Any]) -> NDArray[Any]:
    magnitudes: NDArray[Any] = np.abs(_parts(array))
    return magnitudes


def _assert_clipped(
    before: list[NDArray[Any]], after: list[NDArray[Any]], max_norm: float | Fraction
) -> None:
    """Check the norm bound, the clip to it, and the one common factor."""
    _assert_norm_bound(after, max_norm)
    _assert_clipped_to_bound(before, after, max_norm)
    _assert_common_factor(before, after, max_norm)


def _assert_returned_norm(returned: object, before: list[NDArray[Any]]) -> None:
    if returned is not None:
        assert_exact_norm(returned, before)


def _clip(function: ClipFunction, case: GradsCase) -> object:
    return function(case.grads, case.threshold)


def runs_on_ordinary_input(function: ClipFunction, case: GradsCase) -> None:
    """Ordinary gradients are clipped without an error."""
    with restored(case):
        _clip(function, case)


def norm_bound(function: ClipFunction, case: GradsCase) -> None:
    """After clipping, the norm is at most max_norm (up to rounding)."""
    with restored(case):
        _clip(function, case)
        _assert_norm_bound(arrays_of(case), case.threshold)


def clip_to_bound(function: ClipFunction, case: GradsCase) -> None:
    """A norm n above max_norm ends in [max_norm * n / (n + 1e-6), max_norm]."""
    with restored(case) as before:
        _clip(function, case)
        _assert_clipped_to_bound(before, arrays_of(case), case.threshold)


def direction_preserved(function: ClipFunction, case: GradsCase) -> None:
    """Every array becomes the original times one common factor c in (0, 1]."""
    with restored(case) as before:
        _clip(function, case)
        _assert_common_factor(before, arrays_of(case), case.threshold)


def in_place_identity(function: ClipFunction, case: GradsCase) -> None:
    """The dict keeps its keys and array objects, whose views see the new values."""
    assert_in_place(function, case)


def noop_below_threshold(function: ClipFunction, case: GradsCase) -> None:
    """When norm + 1e-6 <= max_norm, every array stays bit-identical."""
    with restored(case) as before:
        if exact_norm(before) + Fraction(EPS) > case.threshold:
            return
        _clip(function, case)
        assert_untouched(before, arrays_of(case))


def exact_returned_norm(function: ClipFunction, case: GradsCase) -> None:
    """A returned number is the norm before clipping, to 1e-12 (1e-6 below float64)."""
    with restored(case) as before:
        _assert_returned_norm(_clip(function, case), before)


def order_independence(function: ClipFunction, case: GradsCase) -> None:
    """Clipping the same arrays under reversed key order gives the same result."""
    forward = copy_grads(case.grads)
    backward = dict(reversed(list(copy_grads(case.grads).items())))
    function(forward, case.threshold)
    function(backward, case.threshold)
    tolerance = 4 * relative_tolerance(forward.values())
    for key, array in forward.items():
        np.testing.assert_allclose(
            backward[key],
            array,
            rtol=tolerance,
            atol=1e-300,
            err_msg=f"grads[{key!r}] depends on the order of the keys",
        )


def scale_equivariance(function: ClipFunction, case: GradsCase) -> None:
    """Scaling gradients and max_norm by 2**k scales the result by 2**k."""
    scale = 4.0
    plain = copy_grads(case.grads)
    scaled = copy_grads(case.grads)
    for array in distinct(scaled.values()):
        array *= scale
    norm = float(exact_norm(plain.values()))
    function(plain, case.threshold)
    function(scaled, case.threshold * scale)
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


def clipping_at_extremes(function: ClipFunction, case: GradsCase) -> None:
    """From subnormals to values whose squares overflow, clipping stays correct."""
    with restored(case) as before:
        _clip(function, case)
        _assert_clipped(before, arrays_of(case), case.threshold)


def returned_norm_at_extremes(function: ClipFunction, case: GradsCase) -> None:
    """From subnormals to values whose squares overflow, a returned norm is exact."""
    with restored(case) as before:
        _assert_returned_norm(_clip(function, case), before)


def threshold_beyond_float64(function: ClipFunction, case: GradsCase) -> None:
    """A max_norm beyond float64 (int, Fraction, longdouble) is exact, or refused.

    The norm is beyond float64's range too. An implementation may refuse such
    a threshold with an error and change nothing; one that takes it must
    compare it with the norm exactly rather than as inf.
    """
    with restored(case) as before:
        try:
            _clip(function, case)
        except (TypeError, ValueError, ArithmeticError):
            assert_untouched(before, arrays_of(case))
            return
        limit = exact_threshold(case.threshold)
        if exact_norm(before) + Fraction(EPS) <= limit:
            assert_untouched(before, arrays_of(case))
            return
        _assert_clipped(before, arrays_of(case), limit)


def odd_layouts(function: ClipFunction, case: GradsCase) -> None:
    """Strided, transposed, Fortran-order, 0-d and empty arrays clip correctly."""
    with restored(case) as before:
        _clip(function, case)
        after = arrays_of(case)
        _assert_clipped(before, after, case.threshold)
    assert_in_place(function, case)


def rounded_once(function: ClipFunction, case: GradsCase) -> None:
    """Each float16 element becomes x * c rounded once, for one factor c."""
    with restored(case) as before:
        _clip(function, case)
        _assert_each_scaled(before, arrays_of(case), case.threshold, ulps=0)


def scaled_per_element(function: ClipFunction, case: GradsCase) -> None:
    """Each element becomes x * c within one ulp, for one factor c, at any scale."""
    with restored(case) as before:
        _clip(function, case)
        _assert_each_scaled(before, arrays_of(case), case.threshold, ulps=1)


def _assert_each_scaled(
    before: list[NDArray[Any]], after: list[NDArray[Any]], max_norm: float, ulps: int
) -> None:
    """Check each y == x * c rounded to its dtype, give or take ``ulps`` ulps.

    c is max_norm / (n + eps) for some eps in [0, 1e-6] and a norm n computed
    to 1e-6 relative; a float16 ulp is far wider than that range of c.
    """
    norm = exact_norm(before)
    if norm == 0:
        return
    slack = Fraction(1, 10**6)
    low = Fraction(max_norm) / (norm + Fraction(EPS)) * (1 - slack)
    high = Fraction(max_norm) / norm * (1 + slack)
    for old, new in zip(before, after, strict=True):
        kind = old.dtype.type
        pairs = zip(old.ravel().tolist(), new.ravel().tolist(), strict=True)
        for x, y in pairs:
            with np.errstate(over="ignore"):  # x * c may round up past the max
                least, most = (
                    kind(end)
                    for end in sorted(float(Fraction(x) * c) for c in (low, high))
                )
            for _ in range(ulps):
                least, most = (
                    np.nextafter(least, -kind(np.inf)),
                    np.nextafter(most, kind(np.inf)),
                )
            assert least <= y <= most, (
                f"{x!r} became {y!r}, not x * c rounded to {old.dtype} within "
                f"{ulps} ulp (between {least!r} and {most!r})"
            )


def zero_threshold(function: ClipFunction, case: GradsCase) -> None:
    """With max_norm=0, every element becomes zero, whatever the norm."""
    with restored(case):
        _clip(function, case)
        for key, array in case.grads.items():
            assert not np.any(array), f"expected grads[{key!r}] all zero, got {array!r}"


def complex_arrays(function: ClipFunction, case: GradsCase) -> None:
    """Complex arrays clip with |z| as the magnitude of each element."""
    with restored(case) as before:
        _clip(function, case)
        after = arrays_of(case)
        _assert_clipped(before, after, case.threshold)


def large_arrays(function: ClipFunction, case: GradsCase) -> None:
    """Millions of elements clip as a few do: to the bound, by one factor."""
    with restored(case) as before:
        norm = float_norm(before)
        _clip(function, case)
        after = arrays_of(case)
        if norm + EPS <= case.threshold:
            assert_untouched(before, after)
            return
        tolerance = relative_tolerance(before)
        slack = float(absolute_tolerance(before))  # results among subnormals
        result = float_norm(after)
        low = max(case.threshold * norm / (norm + EPS) * (1 - tolerance) - slack, 0.0)
        high = case.threshold * (1 + tolerance) + slack
        assert low <= result <= high, (
            f"norm {norm!r} above max_norm={case.threshold!r} should be clipped "
            f"to [{low!r}, {high!r}], got {result!r}"
        )
        wide = [array.astype(np.float64) for array in before]
        position = max(range(len(wide)), key=lambda i: float(np.max(np.abs(wide[i]))))
        index = np.unravel_index(
            np.argmax(np.abs(wide[position])), wide[position].shape
        )
        factor = float(after[position][index]) / wide[position][index]
        for old, new, key in zip(wide, after, case.grads, strict=True):
            expected = old * factor
            error = np.abs(new - expected)
            assert np.all(error <= 8 * tolerance * np.abs(expected) + 1e-45), (
                f"expected grads[{key!r}] times the common factor {factor!r}, "
                f"got elements off by up to {float(np.max(error, initial=0.0))!r}"
            )


def aliasing_counted_once(function: ClipFunction, case: GradsCase) -> None:
    """An array under two keys is counted once in the norm and scaled once."""
    with restored(case) as before:
        _clip(function, case)
        after = arrays_of(case)
        _assert_clipped_to_bound(before, after, case.threshold)
        _assert_common_factor(before, after, case.threshold)


def partial_overlap(function: ClipFunction, case: GradsCase) -> None:
    """Views sharing some elements are refused, naming both, or each counts once."""
    base = case.grads[OVERLAP_KEY].base  # the two views cover it exactly
    with restored(case) as before:
        base_before = base.copy()
        try:
            _clip(function, case)
        except ValueError as error:
            refused: str | None = str(error)
        else:
            refused = None
        if refused is not None:
            for key in ("zz_part", OVERLAP_KEY):
                assert re.search(rf"\b{key}\b", refused), (
                    f"the error {refused!r} does not name {key!r}"
                )
            assert_untouched(before, arrays_of(case))
            return
        # Accepted: the views' elements must clip as one array, their base.
        after = arrays_of(case)
        kept = [i for i, array in enumerate(after) if array.base is not base]
        olds = [before[i] for i in kept] + [base_before]
        news = [after[i] for i in kept] + [base]
        _assert_clipped_to_bound(olds, news, case.threshold)
        _assert_common_factor(olds, news, case.threshold)


def nonfinite_untouched(function: ClipFunction, case: GradsCase) -> None:
    """Gradients holding NaN or inf are left bit-identical, raising or not."""
    with restored(case) as before:
        with suppress(ValueError, ArithmeticError):
            _clip(function, case)
        assert_untouched(before, arrays_of(case))


def bad_input_atomic(function: ClipFunction, case: GradsCase) -> None:
    """Bad input raises TypeError or ValueError, as fits it, and changes nothing.

    The bad entry's key may be one whose repr raises or is a megabyte long:
    the error must still be the one that fits, and its message short.
    """
    expected = _expected_error(case)
    with restored(case) as before:
        try:
            _clip(function, case)
        except (TypeError, ValueError) as error:
            raised: Exception = error
        else:
            changed = [
                f"{old!r} became {new!r}"
                for old, new in zip(before, arrays_of(case), strict=True)
                if old.tobytes() != new.tobytes()
            ]
            raise AssertionError(
                "expected a TypeError or ValueError for bad input, got no error"
                + "".join(f"; {change}" for change in changed)
            )
        message = str(raised)
        assert isinstance(raised, expected), (
            f"{type(raised).__name__} raised where {expected.__name__} fits: "
            f"{message[:1000]}"
        )
        assert len(message) <= _LONGEST_MESSAGE, (
            f"the error's message is {len(message)} characters long: {message[:200]}..."
        )
        assert_untouched(before, arrays_of(case))


_LONGEST_MESSAGE = 10_000
"""Longer than any message that names a few keys and values, shortened."""


def errors_name_culprit(function: ClipFunction, case: GradsCase) -> None:
    """The error for bad input names the argument or key at fault and what it got."""
    assert_error_names_culprit(function, case, "max_norm")


def assert_error_names_culprit(
    function: ClipFunction, case: GradsCase, argument: str
) -> None:
    """Check that bad input raises an error naming its culprit and what it got.

    The culprit is ``argument`` (the threshold's name) or the key ``"zz_bad"``,
    each matched as a whole word; what it got is the threshold's value, or the
    bad entry's type, dtype or read-only flag.
    """
    with restored(case):
        try:
            _clip(function, case)
        except (TypeError, ValueError) as error:
            message = str(error)
        else:
            raise AssertionError(
                "expected a TypeError or ValueError for bad input, got no error"
            )
    for what, pattern in _culprit_patterns(case, argument):
        assert re.search(pattern, message), (
            f"expected an error naming {what}, got {message!r}"
        )


def _culprit_patterns(case: GradsCase, argument: str) -> list[tuple[str, str]]:
    """What the error must name, and the pattern that finds it: the culprit's
    name, and what it got."""
    if "zz_bad" not in case.grads:
        return [
            (argument, rf"\b{argument}\b"),
            (f"the value {case.threshold!r}", re.escape(repr(case.threshold))),
        ]
    bad = case.grads["zz_bad"]
    if not isinstance(bad, np.ndarray):
        got = (f"the type {type(bad).__name__}", rf"\b{type(bad).__name__}\b")
    elif bad.flags.writeable:
        got = (f"the dtype {bad.dtype}", rf"\b{bad.dtype}\b")
    else:
        got = ("that it is read-only", r"writ|read-?only")
    return [("the key 'zz_bad'", r"\bzz_bad\b"), got]


def nonfinite_named(function: ClipFunction, case: GradsCase) -> None:
    """An error for NaN or inf names every key holding them, and no other key."""
    with restored(case), np.errstate(all="ignore"):  # errors, not NumPy's warnings
        try:
            _clip(function, case)
        except (ValueError, ArithmeticError) as error:
            message = str(error)
        else:
            return  # clipping may skip non-finite gradients without raising
    for key in case.grads:
        named = re.search(rf"\b{re.escape(key)}\b", message) is not None
        culprit = key.startswith("nonfinite")
        assert named == culprit, (
            f"the error {message!r} {'omits' if culprit else 'names'} {key!r}"
        )


def _expected_error(case: GradsCase) -> type[Exception]:
    """ValueError for a bad threshold or a read-only array, else TypeError."""
    bad = bad_entry(case)
    wrong_type = not isinstance(bad, np.ndarray) or bad.dtype.kind not in "f"
    if bad is None or not wrong_type:
        return ValueError
    return TypeError


def _at_zero(case: GradsCase) -> GradsCase:
    return GradsCase(grads=case.grads, threshold=0.0)


_CLIPPED = ("norm_bound", "clip_to_bound", "direction_preserved")
"""The core invariants that check clipping itself on ordinary input."""

_IN_PLACE = frozenset({"in place"})


def _clip_invariant(
    check: Callable[[ClipFunction, GradsCase], None],
    tier: Tier,
    cases: SearchStrategy[GradsCase],
    **options: Any,
) -> Invariant[ClipFunction, GradsCase]:
    return invariant(check, "clip", tier, cases, **options)


CLIP_PREFLIGHT = _clip_invariant(runs_on_ordinary_input, "core", grads_cases())
"""Run before the invariants: an implementation that raises here passes nothing."""

CLIP_INVARIANTS: tuple[Invariant[ClipFunction, GradsCase], ...] = (
    _clip_invariant(norm_bound, "core", grads_cases()),
    _clip_invariant(clip_to_bound, "core", grads_cases(relation="below")),
    _clip_invariant(direction_preserved, "core", grads_cases()),
    _clip_invariant(in_place_identity, "core", grads_cases(), needs=_IN_PLACE),
    _clip_invariant(noop_below_threshold, "core", grads_cases(relation="above")),
    _clip_invariant(order_independence, "core", grads_cases()),
    _clip_invariant(scale_equivariance, "core", grads_cases()),
    _clip_invariant(
        exact_returned_norm,
        "return",
        grads_cases(),
        needs=frozenset({"returned norm"}),
    ),
    _clip_invariant(
        clipping_at_extremes,
        "robust",
        themed_cases("extreme", EXTREME) | edge_cases(),
        ordinary=_CLIPPED,
    ),
    _clip_invariant(
        returned_norm_at_extremes,
        "robust",
        themed_cases("extreme", EXTREME),
        needs=frozenset({"returned norm"}),
        ordinary=("exact_returned_norm",),
    ),
    _clip_invariant(
        threshold_beyond_float64,
        "robust",
        beyond_float64_cases(),
        ordinary=_CLIPPED,
    ),
    _clip_invariant(
        odd_layouts,
        "robust",
        themed_cases("layout", LAYOUTS),
        ordinary=(*_CLIPPED, "in_place_identity"),
    ),
    _clip_invariant(
        rounded_once,
        "robust",
        grads_cases(HALF, relation="below", min_size=1),
        ordinary=_CLIPPED,
    ),
    _clip_invariant(scaled_per_element, "robust", factor_cases(), ordinary=_CLIPPED),
    _clip_invariant(
        zero_threshold,
        "robust",
        grads_cases(EXTREME).map(_at_zero),
        ordinary=_CLIPPED,
    ),
    _clip_invariant(
        complex_arrays, "robust", themed_cases("complex", COMPLEX), ordinary=_CLIPPED
    ),
    _clip_invariant(
        large_arrays,
        "robust",
        large_cases(),
        ordinary=(*_CLIPPED, "noop_below_threshold"),
        max_examples=10,
    ),
    _clip_invariant(
        interrupt_leaves_no_late_writes,
        "robust",
        interrupt_cases(),
        needs=_IN_PLACE,
        max_examples=3,
    ),
    _clip_invariant(
        aliasing_counted_once,
        "robust",
        themed_cases("alias", relation="below"),
        ordinary=_CLIPPED,
    ),
    _clip_invariant(partial_overlap, "robust", overlap_cases(), ordinary=_CLIPPED),
    _clip_invariant(nonfinite_untouched, "robust", nonfinite_cases()),
    _clip_invariant(nonfinite_named, "robust", culprit_cases()),
    _clip_invariant(bad_input_atomic, "robust", bad_cases(odd_keys=True)),
    _clip_invariant(errors_name_culprit, "robust", bad_cases()),
)
"""Every clipping invariant, core tier first."""


# Shards clipped with a global norm computed elsewhere.


def _shards(grads: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Cut the gradients into two shards by key order, as two workers hold them."""
    items = list(grads.items())
    half = (len(items) + 1) // 2
    return dict(items[:half]), dict(items[half:])


def shards_clip_as_whole(function: ShardFunction, case: GradsCase) -> None:
    """Shards clipped with their global norm end as the whole clipped at once."""
    with restored(case) as before:
        total = float(exact_norm(before))
        for shard in _shards(case.grads):
            function(shard, case.threshold, total)
        after = arrays_of(case)
        _assert_clipped(before, after, case.threshold)


_BAD_TOTALS = (-1.0, math.nan, math.inf)


def bad_total_norm_atomic(function: ShardFunction, case: GradsCase) -> None:
    """A negative, NaN or infinite total_norm raises, naming it, and changes nothing."""
    with restored(case) as before:
        for total in _BAD_TOTALS:
            try:
                function(case.grads, case.threshold, total)
            except (TypeError, ValueError) as error:
                message = str(error)
            else:
                raise AssertionError(f"total_norm={total!r} was accepted")
            assert re.search(r"\btotal_norm\b", message), (
                f"the error {message!r} does not name total_norm"
            )
            assert_untouched(before, arrays_of(case))


def assert_self_overlap_atomic(
    call: Callable[[dict[str, Any]], object],
    case: GradsCase,
    done: Callable[[list[NDArray[Any]], list[NDArray[Any]]], None],
) -> None:
    """Check a call on ``self_overlap_cases``: refused changing nothing, or done.

    ``call`` gets the gradients with the view in place of its base. Done,
    ``done(before, after)`` checks the arrays, the view's elements as one of
    them; a view of 2**58 elements can only be refused.
    """
    key = next(k for k in case.grads if k in SELF_OVERLAP_VIEWS)
    base = case.grads[key]
    view = self_overlapping_view(key, base)
    grads = {**case.grads, key: view}
    others = [a for a in arrays_of(case) if a is not base]
    before = [footprint(array) for array in [*others, view]]
    copies = [array.copy() for array in others]
    elements = view.copy() if view.size <= 1 << 16 else None
    try:
        call(grads)
    except (TypeError, ValueError, ArithmeticError, MemoryError):
        changed = [footprint(array) for array in [*others, view]] != before
        assert not changed, (
            f"the call raised, but changed gradients: the view {key!r} overlaps "
            "itself and must be refused before anything is written"
        )
        return
    assert elements is not None, f"a view of {view.size} elements was accepted"
    done([*copies, elements], [*others, view.copy()])


def shard_self_overlap(function: ShardFunction, case: GradsCase) -> None:
    """A view whose elements share memory is refused changing nothing, or scaled."""
    total = float(exact_norm(arrays_of(case))) + 1.0  # about the view's norm
    assert_self_overlap_atomic(
        lambda grads: function(grads, case.threshold, total),
        case,
        lambda before, after: _assert_common_factor(before, after, case.threshold),
    )


def shard_bad_input_atomic(function: ShardFunction, case: GradsCase) -> None:
    """Bad input raises TypeError or ValueError, as fits it, and changes nothing."""
    bad_input_atomic(lambda grads, max_norm: function(grads, max_norm, 1.0), case)


def shard_errors_name_culprit(function: ShardFunction, case: GradsCase) -> None:
    """The error for bad input names the argument or key at fault and what it got."""
    assert_error_names_culprit(
        lambda grads, max_norm: function(grads, max_norm, 1.0), case, "max_norm"
    )


def _shard_invariant(
    check: Callable[[ShardFunction, GradsCase], None],
    tier: Tier,
    cases: SearchStrategy[GradsCase],
) -> Invariant[ShardFunction, GradsCase]:
    return invariant(check, "shard", tier, cases)


def shard_runs_on_ordinary_input(function: ShardFunction, case: GradsCase) -> None:
    """Ordinary shards are clipped without an error."""
    with restored(case) as before:
        function(case.grads, case.threshold, float(exact_norm(before)))


SHARD_PREFLIGHT = _shard_invariant(shard_runs_on_ordinary_input, "core", grads_cases())
"""Run before the invariants: an implementation that raises here passes nothing."""

SHARD_INVARIANTS: tuple[Invariant[ShardFunction, GradsCase], ...] = (
    _shard_invariant(shards_clip_as_whole, "core", grads_cases()),
    _shard_invariant(bad_total_norm_atomic, "robust", grads_cases(relation="below")),
    _shard_invariant(shard_bad_input_atomic, "robust", bad_cases(odd_keys=True)),
    _shard_invariant(shard_self_overlap, "robust", self_overlap_cases()),
    _shard_invariant(shard_errors_name_culprit, "robust", bad_cases()),
)
"""Every invariant of clipping shards by a given norm, core tier first."""
