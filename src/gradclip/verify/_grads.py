"""What the gradient invariants share: their case, its cases, and helpers.

A case is a dict of gradients and a threshold (``max_norm`` for norm
clipping, ``clip_value`` for value clipping). Checks run the implementation
inside ``restored``, which puts every array back afterwards, so that a
failing case can be shown and replayed as it was drawn.

PYTEST_DONT_REWRITE: the messages of these checks say what was expected and
got; pytest, which rewrites the asserts of a package with a pytest plugin,
would only add its own noise to them.
"""

import ctypes
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st
from numpy.lib.array_utils import byte_bounds
from numpy.typing import NDArray

from gradclip.strategies import gradient_arrays, gradient_dicts
from gradclip.verify._oracle import (
    distinct,
    elements,
    exact_norm,
    relative_tolerance,
)

__all__ = [
    "COMPLEX",
    "EPS",
    "EXTREME",
    "FLOAT64_MAX",
    "HALF",
    "LARGE",
    "LAYOUTS",
    "ORDINARY",
    "OVERLAP_KEY",
    "SELF_OVERLAP_VIEWS",
    "GradsCase",
    "OddKey",
    "arrays_of",
    "assert_in_place",
    "assert_untouched",
    "bad_cases",
    "bad_entry",
    "beyond_float64_cases",
    "copy_grads",
    "culprit_cases",
    "edge_cases",
    "exact_threshold",
    "factor_cases",
    "float_norm",
    "footprint",
    "grads_cases",
    "infinite_cases",
    "large_cases",
    "nonfinite_cases",
    "overlap_cases",
    "restored",
    "self_overlap_cases",
    "self_overlapping_view",
    "themed_cases",
    "thresholds_beyond_float64",
]

EPS = 1e-6
"""The largest epsilon a correct implementation may add to the norm."""

FLOAT64_MAX = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class GradsCase:
    """Gradients and a threshold, as passed to ``f(grads, threshold)``.

    Attributes:
        grads: the gradients; the same array, or a view of the very same
            elements, may stand under two keys.
        threshold: ``max_norm`` or ``clip_value``; in bad-input cases,
            possibly invalid.
    """

    grads: dict[str, Any]
    threshold: Any

    def __repr__(self) -> str:
        first: dict[object, tuple[str, object]] = {}
        entries = []
        for key, value in self.grads.items():
            identity = elements(value) if isinstance(value, np.ndarray) else id(value)
            earlier, earlier_value = first.setdefault(identity, (key, value))
            if earlier == key:
                shown = _describe(value)
            elif earlier_value is value:
                shown = f"<the array of {earlier!r}>"
            else:
                shown = f"<a view of the array of {earlier!r}>"
            entries.append(f"{_shown_key(key)}: {shown}")
        return (
            f"GradsCase(threshold={self.threshold!r}, grads={{{', '.join(entries)}}})"
        )


def _shown_key(key: object) -> str:
    if isinstance(key, OddKey):
        return f"OddKey(raises={key.raises})"
    return repr(key)


def _describe(value: object) -> str:
    if not isinstance(value, np.ndarray):
        return repr(value)
    flags = value.flags
    layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "strided"
    access = "" if flags.writeable else ", read-only"
    return f"np.{value!r} ({layout}{access})"


def arrays_of(case: GradsCase) -> list[NDArray[Any]]:
    """The case's distinct arrays, in order."""
    return distinct(v for v in case.grads.values() if isinstance(v, np.ndarray))


@contextmanager
def restored(case: GradsCase) -> Iterator[list[NDArray[Any]]]:
    """Yield copies of the case's arrays; put the originals back afterwards.

    The dict's entries are put back too, for implementations that replace
    them rather than scale their arrays.
    """
    entries = dict(case.grads)
    arrays = arrays_of(case)
    before = [array.copy() for array in arrays]
    try:
        yield before
    finally:
        case.grads.clear()
        case.grads.update(entries)
        for array, original in zip(arrays, before, strict=True):
            if array.flags.writeable:
                np.copyto(array, original)


def assert_untouched(before: list[NDArray[Any]], after: list[NDArray[Any]]) -> None:
    """Check that every array is bit-identical to its copy from before."""
    for old, new in zip(before, after, strict=True):
        assert old.tobytes() == new.tobytes(), (
            f"{old!r} was changed to {new!r}, expected bit-identical"
        )


def assert_in_place(
    function: Callable[[dict[str, Any], Any], object], case: GradsCase
) -> None:
    """Check that ``function`` keeps keys, array objects, layouts and memory."""
    keys = list(case.grads)
    values = list(case.grads.values())
    views = [array[...] for array in values]
    layouts = [(a.shape, a.dtype, a.strides, _address(a)) for a in values]
    with restored(case):
        function(case.grads, case.threshold)
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
                f"a view of grads[{key!r}] does not see the new values"
            )


def _address(array: NDArray[Any]) -> int:
    address: int = array.__array_interface__["data"][0]
    return address


def copy_grads(grads: dict[str, Any]) -> dict[str, Any]:
    """Copy the arrays, keeping an array under two keys one array."""
    copies: dict[int, NDArray[Any]] = {}
    return {key: copies.setdefault(id(a), a.copy()) for key, a in grads.items()}


# The cases.

ORDINARY = gradient_arrays(dtypes=["float32", "float64"], allow_noncontiguous=False)
"""The core tier's arrays: contiguous float32 and float64, moderate values."""

EXTREME = gradient_arrays(
    dtypes=["float16", "float32", "float64"],
    allow_subnormal=True,
    allow_huge=True,
    allow_noncontiguous=False,
)
"""From subnormals to values whose squares overflow, in every real dtype."""

COMPLEX = gradient_arrays(
    dtypes=["float32", "complex64", "complex128"],
    allow_subnormal=True,
    allow_huge=True,
    allow_byteswapped=True,
)
"""Complex arrays, whose elements count by their modulus, among real ones:
from subnormal moduli to parts at the dtype's largest value, whose modulus
exceeds the dtype's range."""

HALF = gradient_arrays(dtypes=["float16"], allow_subnormal=True)
"""float16 arrays, whose rounding is coarse enough to see a second one."""

LAYOUTS = gradient_arrays(
    dtypes=["float32", "float64"], allow_noncontiguous=True, allow_byteswapped=True
)
"""Strided, transposed, Fortran-order, unaligned and byte-swapped arrays among
contiguous ones."""

Measure = Literal["norm", "largest"]
Relation = Literal["below", "above", "any"]


@st.composite
def grads_cases(
    draw: st.DrawFn,
    arrays: st.SearchStrategy[NDArray[Any]] = ORDINARY,
    *,
    measure: Measure = "norm",
    relation: Relation = "any",
    allow_aliasing: bool = False,
    min_size: int = 0,
) -> GradsCase:
    """Draw gradients, then a threshold that relates to them as asked.

    Args:
        draw: Hypothesis's draw function.
        arrays: where the arrays come from.
        measure: what the threshold is compared with: the exact 2-norm, or
            the largest magnitude of any element.
        relation: ``"below"`` for a threshold below the measure (something
            to clip), sometimes 0 (``factor_cases`` reaches factors below
            the normal numbers); ``"above"`` for one at least the measure
            plus 1e-6 and the rounding of the least precise dtype (nothing to
            clip), sometimes inf; or ``"any"``.
        allow_aliasing: let an array, or a view of its very same elements,
            stand under two keys.
        min_size: the fewest entries.
    """
    grads = draw(
        gradient_dicts(
            arrays, min_size=min_size, max_size=5, allow_aliasing=allow_aliasing
        )
    )
    if allow_aliasing:
        seen: set[int] = set()
        for key, array in grads.items():
            if id(array) in seen:
                grads[key] = draw(st.sampled_from(_ALIASES))(array)
            seen.add(id(array))
    threshold = draw(_thresholds(grads, measure, relation))
    return GradsCase(grads=grads, threshold=threshold)


def _through_interface(array: NDArray[Any]) -> NDArray[Any]:
    """A view of ``array``'s very same elements with no base in common with it.

    It is what ``np.frombuffer``, ``shared_memory`` or ``np.ctypeslib`` give:
    an array over an address, whose base is some other object.
    """
    interface = dict(array.__array_interface__)
    interface["strides"] = array.strides  # None for contiguous arrays otherwise
    return np.asarray(_Interface(interface, keep_alive=array))


class _Interface:
    """An object exposing memory through ``__array_interface__`` only."""

    def __init__(self, interface: dict[str, Any], *, keep_alive: object) -> None:
        self.__array_interface__ = interface
        self._keep_alive = keep_alive


_ALIASES: tuple[Callable[[NDArray[Any]], NDArray[Any]], ...] = (
    lambda array: array,  # the very same object
    lambda array: array[...],  # a new view of the very same elements
    _through_interface,
)
"""Ways an earlier entry's elements stand under another key."""


def _measure(grads: dict[str, NDArray[Any]], measure: Measure) -> float:
    if measure == "norm":
        return float(min(exact_norm(grads.values()), Fraction(FLOAT64_MAX)))
    return max(
        (float(np.max(np.abs(a))) for a in grads.values() if a.size), default=0.0
    )


class OddKey:
    """A key whose repr raises, or is a megabyte long: a label made from it
    must neither hide the error nor make a huge message."""

    def __init__(self, *, raises: bool) -> None:
        self.raises = raises

    def __repr__(self) -> str:
        if self.raises:
            raise RuntimeError("this key's repr raises")
        return "zz_bad " + "x" * (1 << 20)


def bad_entry(case: GradsCase) -> object:
    """The defective entry of a ``bad_cases`` case; None for a bad threshold."""
    for key, value in case.grads.items():
        if key == "zz_bad" or isinstance(key, OddKey):
            return value
    return None


@st.composite
def bad_cases(
    draw: st.DrawFn,
    *,
    measure: Measure = "norm",
    allow_complex: bool = True,
    odd_keys: bool = False,
) -> GradsCase:
    """Draw valid gradients with one defect, placed where it is reached last.

    The defect is in the threshold, or an entry ``"zz_bad"``: an integer
    array, a list, a read-only array, or, unless ``allow_complex``, a complex
    array. With ``odd_keys``, that entry's key may be an ``OddKey`` instead.
    """
    case = draw(grads_cases(measure=measure, relation="below", min_size=1))
    defects = ["integer array", "list", "read-only array", "negative", "nan"]
    if not allow_complex:
        defects.append("complex array")
    defect = draw(st.sampled_from(defects))
    grads = dict(case.grads)
    if defect == "negative":
        return GradsCase(grads=grads, threshold=-case.threshold - 1.0)
    if defect == "nan":
        return GradsCase(grads=grads, threshold=math.nan)
    bad: object
    if defect == "integer array":
        bad = np.array([3, -4])
    elif defect == "list":
        bad = [3.0, -4.0]
    elif defect == "complex array":
        bad = np.array([3.0, -4.0j])
    else:
        bad = np.array([3.0, -4.0])
        bad.flags.writeable = False
    key: Any = "zz_bad"
    if odd_keys:
        key = draw(
            st.sampled_from(["zz_bad", OddKey(raises=True), OddKey(raises=False)])
        )
    grads[key] = bad
    return GradsCase(grads=grads, threshold=case.threshold)


@st.composite
def factor_cases(draw: st.DrawFn) -> GradsCase:
    """Draw extreme gradients to clip, half by a factor below 2**-135 or 2**-1040.

    Such factors are below the smallest normal float32 or float64, where a
    factor rounded to the arrays' dtype, or applied in two steps, shows.
    """
    case = draw(grads_cases(EXTREME, relation="below"))
    if draw(st.booleans()):
        scale = draw(st.sampled_from([2.0**-135, 2.0**-1040]))
        case = GradsCase(grads=case.grads, threshold=case.threshold * scale)
    return case


_EVERY_DTYPE = gradient_arrays(
    dtypes=["float16", "float32", "float64", "complex64", "complex128"],
    allow_noncontiguous=False,
)


@st.composite
def edge_cases(draw: st.DrawFn) -> GradsCase:
    """Draw gradients scaled wholly to one edge of their dtypes' range.

    Each array of any dtype is scaled by a power of two so that its largest
    real or imaginary part lies among the subnormals, or, in another case,
    within a factor 256 of the dtype's largest value: there a norm or a
    modulus taken in the array's own precision underflows or overflows.
    """
    tiny = draw(st.booleans())

    @st.composite
    def at_edge(draw: st.DrawFn) -> NDArray[Any]:
        array: NDArray[Any] = draw(_EVERY_DTYPE)
        info = np.finfo(array.dtype)
        if tiny:
            low = math.frexp(float(info.smallest_subnormal))[1]
            high = math.frexp(float(info.smallest_normal))[1] - 1
        else:
            high = math.frexp(float(info.max))[1]
            low = high - 8
        return _at_edge(array, draw(st.integers(low, high)))

    return draw(grads_cases(at_edge()))


def _at_edge(array: NDArray[Any], exponent: int) -> NDArray[Any]:
    """Scale ``array`` by a power of two so that its largest part is
    ``m * 2**exponent`` with ``0.5 <= m < 1`` (rounded among subnormals)."""
    parts = [array.real, array.imag] if array.dtype.kind == "c" else [array]
    largest = max(float(np.max(np.abs(part), initial=0.0)) for part in parts)
    if largest == 0:
        return array
    shift = exponent - math.frexp(largest)[1]
    scaled = np.empty_like(array)
    with np.errstate(under="ignore"):
        if array.dtype.kind == "c":
            scaled.real = np.ldexp(array.real, shift)
            scaled.imag = np.ldexp(array.imag, shift)
        else:
            scaled[...] = np.ldexp(array, shift)
    return scaled


@st.composite
def thresholds_beyond_float64(draw: st.DrawFn, below: Fraction) -> Any:
    """Draw a threshold above float64's range: an int, a Fraction, or a
    ``longdouble`` where that has a wider range; mostly below ``below``."""
    low = Fraction(FLOAT64_MAX) * Fraction(1001, 1000)
    fraction = Fraction(draw(st.floats(1e-3, 2.0)))
    exact = max(low, below * fraction)
    kinds = ["int", "Fraction"]
    if np.finfo(np.longdouble).max > FLOAT64_MAX:
        kinds.append("longdouble")
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        return int(exact)
    if kind == "Fraction":
        return exact
    return np.longdouble(exact.numerator) / np.longdouble(exact.denominator)


def exact_threshold(threshold: Any) -> Fraction:
    """A threshold (float, int, Fraction or NumPy float) as an exact Fraction."""
    if isinstance(threshold, np.floating):
        return Fraction(*threshold.as_integer_ratio())
    return Fraction(threshold)


@st.composite
def beyond_float64_cases(draw: st.DrawFn) -> GradsCase:
    """Draw float64 gradients whose norm is beyond float64's range, and a
    threshold beyond it too: an int, a Fraction or a longdouble."""
    values = st.floats(1e307, FLOAT64_MAX).flatmap(
        lambda v: st.lists(st.sampled_from([v, -v, v / 3]), min_size=1, max_size=8)
    )
    size = draw(st.integers(400, 1000))
    grads: dict[str, NDArray[Any]] = {"huge": np.resize(np.array(draw(values)), size)}
    if draw(st.booleans()):
        grads["small"] = np.array(draw(st.lists(st.floats(-1e3, 1e3), max_size=4)))
    norm = exact_norm(grads.values())
    return GradsCase(grads=grads, threshold=draw(thresholds_beyond_float64(norm)))


@st.composite
def infinite_cases(draw: st.DrawFn) -> GradsCase:
    """Draw real gradients that may hold inf, and a clip_value beyond float64."""
    arrays = gradient_arrays(
        dtypes=["float16", "float32", "float64"], allow_huge=True, allow_infinity=True
    )
    grads = draw(gradient_dicts(arrays, min_size=1, max_size=4))
    threshold = draw(thresholds_beyond_float64(Fraction(FLOAT64_MAX)))
    return GradsCase(grads=grads, threshold=threshold)


SELF_OVERLAP_VIEWS = ("zz_self_zero_stride", "zz_self_window", "zz_self_huge")
"""Keys of ``self_overlap_cases``: each names the view its array stands for."""


@st.composite
def self_overlap_cases(
    draw: st.DrawFn, *, measure: Measure = "norm", allow_huge: bool = True
) -> GradsCase:
    """Draw gradients to clip plus, last, the base of a view that overlaps itself.

    The entry's key says which view of its 1-D array the check passes in its
    place (``self_overlapping_view``): a zero-stride view, a sliding window,
    or, with ``allow_huge``, a zero-stride view of 2**58 elements, which a
    full-size temporary cannot hold. The case keeps the base, so that it can
    be copied, shown and replayed.
    """
    case = draw(grads_cases(measure=measure, relation="below"))
    base = np.array(draw(st.lists(st.floats(-1e3, 1e3), min_size=4, max_size=8)))
    key = draw(st.sampled_from(SELF_OVERLAP_VIEWS[: 3 if allow_huge else 2]))
    return GradsCase(grads={**case.grads, key: base}, threshold=case.threshold)


def self_overlapping_view(key: str, base: NDArray[Any]) -> NDArray[Any]:
    """The view of ``base`` that a ``self_overlap_cases`` key stands for."""
    strided = np.lib.stride_tricks
    if key == "zz_self_window":
        return strided.sliding_window_view(base, 3, writeable=True)
    size = 1 << 58 if key == "zz_self_huge" else base.size
    return strided.as_strided(base, (size,), (0,))


def footprint(array: NDArray[Any]) -> bytes:
    """The bytes of the memory an array's elements span, however many times
    they view it: a snapshot that also fits a view of 2**58 elements."""
    low, high = byte_bounds(array)
    return ctypes.string_at(low, high - low)


LARGE = (1 << 16, 1 << 20, 1 << 22)
"""Sizes a large array exceeds: the blocks, pieces and thread pools that
implementations use to read millions of elements fast start about there."""

_MEDIUM = (1 << 15, 1 << 16)
"""The sizes of medium arrays: a few of them exceed any one block of 2**16."""


@st.composite
def large_cases(draw: st.DrawFn) -> GradsCase:
    """Draw float32 gradients with a large array, and a threshold.

    Each array repeats a short drawn pattern. A large array, just over one of
    the ``LARGE`` sizes and C-ordered, Fortran-ordered or strided, stands
    among optional small and medium ones.
    """
    values = st.floats(-1e3, 1e3, width=32, allow_subnormal=False)
    patterns = st.lists(values, min_size=1, max_size=8).map(
        lambda pattern: np.array(pattern, dtype=np.float32)
    )

    def repeated(size: int) -> NDArray[np.float32]:
        pattern = draw(patterns)
        # np.resize's values, by np.tile, which is many times faster.
        return np.tile(pattern, -(-size // len(pattern)))[:size]

    grads: dict[str, NDArray[np.float32]] = {}
    if draw(st.booleans()):
        grads["small"] = repeated(draw(st.integers(1, 16)))
    size = draw(st.sampled_from(LARGE)) + draw(st.integers(1, 4096))
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    if layout == "C":
        grads["large"] = repeated(size)
    elif layout == "F":
        grads["large"] = repeated(size - size % 64).reshape(-1, 64).T
    else:
        grads["large"] = repeated(2 * size)[::2]
    for key in ("medium", "medium2"):
        if draw(st.booleans()):
            grads[key] = repeated(draw(st.integers(*_MEDIUM)))
    if draw(st.booleans()):
        grads["tail"] = repeated(draw(st.integers(1, 16)))
    norm = float_norm(grads.values())
    if norm and draw(st.integers(0, 3)) != 3:  # mostly something to clip
        threshold = (
            0.0
            if draw(st.integers(0, 7)) == 7
            else norm * draw(st.floats(1e-3, 1.0, exclude_max=True))
        )
    else:
        margin = 1 + 64 * relative_tolerance(grads.values())
        threshold = (norm + EPS) * margin * draw(st.floats(1.0, 4.0))
    return GradsCase(grads=dict(grads), threshold=threshold)


def float_norm(arrays: Iterable[NDArray[np.float32]]) -> float:
    """The 2-norm of float32 arrays, to about 1e-15: their squares are exact in
    float64, and only their float64 sum rounds."""
    total = 0.0
    for array in arrays:
        flat = array.ravel(order="K").astype(np.float64)
        total += float(np.dot(flat, flat))
    return math.sqrt(total)


OVERLAP_KEY = "zz_overlap"
"""The key of a view that shares only part of the elements of ``"zz_part"``.

Together the two views cover their base, a 1-D buffer, exactly."""


@st.composite
def overlap_cases(draw: st.DrawFn) -> GradsCase:
    """Draw gradients that clip, plus two views that share some elements."""
    case = draw(grads_cases(relation="below"))
    values = st.floats(-1e3, 1e3, allow_subnormal=False)
    base = np.array(draw(st.lists(values, min_size=3, max_size=8)))
    size = len(base)
    if draw(st.booleans()):  # two views, each with elements of its own
        start = draw(st.integers(1, size - 2))
        stop = draw(st.integers(start + 1, size - 1))
        part, overlap = base[:stop], base[start:]
    else:  # one view inside the other
        start = draw(st.integers(0, size - 1))
        stop = draw(st.integers(start + 1, size))
        step = 2 if (start, stop) == (0, size) else draw(st.integers(1, 2))
        part, overlap = base[:], base[start:stop:step]
    grads = {**case.grads, "zz_part": part, OVERLAP_KEY: overlap}
    return GradsCase(grads=grads, threshold=case.threshold)


@st.composite
def nonfinite_cases(draw: st.DrawFn) -> GradsCase:
    """Draw gradients that clip, with a NaN or inf in one entry at any position."""
    case = draw(grads_cases(relation="below"))
    value = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    items = list(case.grads.items())
    position = draw(st.integers(0, len(items)))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    items.insert(position, ("nonfinite", np.array([1.0, value], dtype=dtype)))
    return GradsCase(grads=dict(items), threshold=case.threshold)


@st.composite
def culprit_cases(draw: st.DrawFn) -> GradsCase:
    """Draw ``nonfinite_cases`` with telling keys, and the culprit maybe aliased.

    The array holding NaN or inf stands under ``"nonfinite"`` and, sometimes,
    as itself or a view of its very same elements under ``"nonfinite_1"`` and
    ``"nonfinite_2"``; every other key is ``"finite_<i>"``.
    """
    case = draw(nonfinite_cases())
    grads = {
        key if key == "nonfinite" else f"finite_{i}": array
        for i, (key, array) in enumerate(case.grads.items())
    }
    culprit = grads["nonfinite"]
    for i in range(draw(st.integers(0, 2))):
        grads[f"nonfinite_{i + 1}"] = culprit[...] if draw(st.booleans()) else culprit
    return GradsCase(grads=grads, threshold=case.threshold)


# Themed cases: each robust invariant's cases always hold what it is about,
# so that its counterexample shows it.

Theme = Literal["extreme", "layout", "complex", "alias"]


def _extreme_values(dtype: np.dtype[Any]) -> st.SearchStrategy[float]:
    """Subnormal values, and values whose squares overflow, of one dtype."""
    info = np.finfo(dtype)
    width: Literal[16, 32, 64] = {16: 16, 32: 32}.get(info.bits, 64)  # type: ignore[assignment]  # mypy widens the dict's values to int
    kind = dtype.type
    tiny, largest = float(info.tiny), float(info.max)
    subnormal = st.floats(
        float(info.smallest_subnormal), tiny, exclude_max=True, width=width
    )
    # The least value of the dtype whose square overflows it.
    root = float(np.nextafter(kind(math.sqrt(largest)), kind(np.inf)))
    huge = st.floats(root, largest, width=width)
    signs = st.sampled_from([1.0, -1.0])
    return st.builds(
        lambda sign, value: sign * value, signs, st.one_of(subnormal, huge)
    )


@st.composite
def _extreme_arrays(draw: st.DrawFn) -> NDArray[Any]:
    """A short array with at least one subnormal or square-overflowing value."""
    dtype = np.dtype(draw(st.sampled_from(["float16", "float32", "float64"])))
    values = draw(st.lists(_extreme_values(dtype), min_size=1, max_size=4))
    return np.array(values, dtype=dtype)


def _odd(array: NDArray[Any]) -> bool:
    return array.ndim == 0 or array.size == 0 or not array.flags.c_contiguous


_THEMED_ARRAYS: dict[str, st.SearchStrategy[NDArray[Any]]] = {
    "extreme": _extreme_arrays(),
    "layout": LAYOUTS.filter(_odd),
    "complex": gradient_arrays(dtypes=["complex64", "complex128"]),
}


@st.composite
def themed_cases(
    draw: st.DrawFn,
    theme: Theme,
    arrays: st.SearchStrategy[NDArray[Any]] = ORDINARY,
    *,
    measure: Measure = "norm",
    relation: Relation = "any",
) -> GradsCase:
    """Draw ``grads_cases`` that always hold the theme's array.

    ``extreme``: an array with a subnormal value or one whose square
    overflows; ``layout``: a strided, transposed, Fortran-order, 0-d or empty
    array; ``complex``: a complex array; ``alias``: one array (or a view of
    its very same elements) under two keys. The threshold relates to the
    whole as ``relation`` asks.
    """
    items = list(draw(gradient_dicts(arrays, max_size=4)).items())
    if theme == "alias":
        if not items:
            items.append(("A", draw(arrays)))
        key, array = items[draw(st.integers(0, len(items) - 1))]
        alias = array[...] if draw(st.booleans()) else array
        items.insert(draw(st.integers(0, len(items))), (f"{key}_alias", alias))
    else:
        themed = draw(_THEMED_ARRAYS[theme])
        items.insert(draw(st.integers(0, len(items))), (theme, themed))
    grads = dict(items)
    threshold = draw(_thresholds(grads, measure, relation))
    return GradsCase(grads=grads, threshold=threshold)


@st.composite
def _thresholds(
    draw: st.DrawFn,
    grads: dict[str, NDArray[Any]],
    measure: Measure,
    relation: Relation,
) -> float:
    """A threshold below the gradients' measure (something to clip), sometimes
    0, or at least the measure plus 1e-6 and the rounding of the least precise
    dtype (nothing to clip), sometimes inf."""
    size = _measure(grads, measure)
    if relation == "any":
        relation = draw(st.sampled_from(["below", "above"]))
    # One case in eight takes the edge value (shrinking leads away from it).
    edge = draw(st.integers(0, 7)) == 7
    if relation == "below" and size == 0:
        return draw(st.floats(1e-3, 1e3))
    if relation == "below":
        fraction = 0.0 if edge else draw(st.floats(1e-3, 1.0, exclude_max=True))
        return size * fraction
    if edge:
        return math.inf
    margin = 1 + 64 * relative_tolerance(grads.values())
    return min((size + EPS) * margin * draw(st.floats(1.0, 4.0)), FLOAT64_MAX)
