"""Hypothesis strategies for gradients, clipping thresholds and two-layer nets.

Install the extra to use them: ``pip install gradclip[hypothesis]``. This module
is not imported by ``gradclip`` itself, so the core keeps NumPy as its only
dependency.

The gradient strategies build on each other: :func:`gradient_arrays` makes one
array, and :func:`gradient_dicts` and :func:`gradient_lists` collect arrays
from it (or from any strategy you pass). By default every value is ordinary:
zero, or a magnitude between ``1e-3`` and ``1e3`` whose square is still finite
in its dtype. Extremes (subnormals, values whose squares overflow, NaN,
infinities, aliasing) are opt-in, so a property can say which it tolerates.
Non-contiguous layouts are on by default: correct in-place code must handle
them and nothing about them is exotic.

Every array is newly allocated for each example, writeable, and the caller's
to mutate. Every argument is validated when the strategy is created, raising
:class:`~hypothesis.errors.InvalidArgument`.

Example:
    >>> from hypothesis import given
    >>> from gradclip import clip_grads
    >>> from gradclip.strategies import gradient_dicts, max_norms
    >>> @given(gradient_dicts(min_size=1), max_norms())
    ... def test_clip_returns_a_float(grads, max_norm):
    ...     assert isinstance(clip_grads(grads, max_norm), float)

References:
    Hypothesis NumPy strategies, whose ``arrays``, ``array_shapes`` and
    ``from_dtype`` do the drawing here:
    https://hypothesis.readthedocs.io/en/latest/reference/strategies.html#numpy
"""

import math
import numbers
import operator
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal, NamedTuple, TypeAlias, TypeVar, overload

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp
from numpy.typing import DTypeLike, NDArray

from gradclip._typing import GradArray

__all__ = [
    "NetCase",
    "gradient_arrays",
    "gradient_dicts",
    "gradient_lists",
    "max_norms",
    "net_cases",
    "net_inputs",
    "net_params",
    "net_sizes",
    "net_targets",
]

_K = TypeVar("_K", bound=Hashable)

_Layout: TypeAlias = Literal["C", "F", "strided", "transposed", "unaligned"]
_NONCONTIGUOUS_LAYOUTS: tuple[_Layout, ...] = (
    "C",
    "F",
    "strided",
    "transposed",
    "unaligned",
)
_STEPS = (2, -1, -2, 3)
"""Slice steps for strided views; each makes a view that is not C-contiguous."""

_SUPPORTED_DTYPES = tuple(
    np.dtype(t)
    for t in (np.float16, np.float32, np.float64, np.complex64, np.complex128)
)
_REAL_DTYPES = _SUPPORTED_DTYPES[:3]
_ORDINARY_MIN = 1e-3
_ORDINARY_MAX = 1e3

_NON_FINITE: dict[tuple[str, bool], tuple[complex, ...]] = {
    ("f", True): (math.nan,),
    ("c", True): (complex(math.nan, 0.0), complex(0.0, math.nan)),
    ("f", False): (math.inf, -math.inf),
    ("c", False): (
        complex(math.inf, 0.0),
        complex(-math.inf, 0.0),
        complex(0.0, math.inf),
        complex(0.0, -math.inf),
    ),
}
"""NaN (``True``) and infinite (``False``) values for real and complex kinds."""

_KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,3}", fullmatch=True)
"""Short identifiers, such as the book's ``W1`` and ``b2``."""


def _check_bool(value: object, name: str) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be a bool, got {name}={value!r}")


def _check_int(value: object, name: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name} must be an int, got {name}={value!r}")
    if value < minimum:
        raise InvalidArgument(
            f"{name} must be at least {minimum}, got {name}={value!r}"
        )


def _check_real(value: object, name: str, *, positive: bool) -> float:
    """Return ``value`` as a float after checking it is finite (and positive)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
    ):
        raise InvalidArgument(
            f"{name} must be a finite real number, got {name}={value!r}"
        )
    if value < 0 or (positive and value == 0):
        rule = "positive" if positive else "non-negative"
        raise InvalidArgument(f"{name} must be {rule}, got {name}={value!r}")
    return float(value)


def _check_order(low: float, high: float, low_name: str, high_name: str) -> None:
    if low > high:
        raise InvalidArgument(f"{low_name}={low!r} is larger than {high_name}={high!r}")


def _check_strategy(value: object, name: str) -> None:
    if not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(f"{name} must be a strategy, got {name}={value!r}")


def _check_sizes(min_size: int, max_size: int | None, *, minimum: int) -> None:
    _check_int(min_size, "min_size", minimum=minimum)
    if max_size is not None:
        _check_int(max_size, "max_size", minimum=minimum)
        _check_order(min_size, max_size, "min_size", "max_size")


def _gradient_dtypes(dtypes: object) -> list[np.dtype[Any]]:
    """Return the distinct supported dtypes named by ``dtypes``, in order."""
    if dtypes is None:
        return list(_REAL_DTYPES)
    if isinstance(dtypes, str) or not isinstance(dtypes, Sequence) or not dtypes:
        raise InvalidArgument(
            f"dtypes must be a non-empty sequence of dtypes, got dtypes={dtypes!r}"
        )
    supported = ", ".join(str(d) for d in _SUPPORTED_DTYPES)
    result: list[np.dtype[Any]] = []
    for i, given in enumerate(dtypes):
        # np.dtype(None) is float64; reject None rather than guess.
        try:
            dtype = None if given is None else np.dtype(given)
        except (TypeError, ValueError):
            dtype = None
        if dtype is None or dtype not in _SUPPORTED_DTYPES:
            raise InvalidArgument(
                f"dtypes[{i}] must be one of {supported}, got dtypes[{i}]={given!r}"
            )
        if dtype not in result:
            result.append(dtype)
    return result


def _round_into(dtype: np.dtype[Any], value: float, *, up: bool) -> float:
    """Return the ``dtype`` value nearest ``value`` at or above (or below) it."""
    rounded = dtype.type(value)
    if float(rounded) < value if up else float(rounded) > value:
        rounded = np.nextafter(rounded, dtype.type(math.inf if up else -math.inf))
    return float(rounded)


def _square_safe_max(real: np.dtype[Any]) -> float:
    """Return the largest ``real`` value whose square is finite in ``real``."""
    x = np.sqrt(np.finfo(real).max)
    with np.errstate(over="ignore"):
        while not np.isfinite(x * x):
            x = np.nextafter(x, real.type(0))
        while np.isfinite(np.square(np.nextafter(x, real.type(math.inf)))):
            x = np.nextafter(x, real.type(math.inf))
    return float(x)


_SQUARE_SAFE_MAX = {real: _square_safe_max(real) for real in _REAL_DTYPES}
"""The largest magnitude of ordinary values: 255.875 for float16."""


def _ordinary_range(
    dtype: np.dtype[Any], min_magnitude: float | None, max_magnitude: float | None
) -> tuple[float, float]:
    """Return the ordinary magnitude range for ``dtype``, rounded into it.

    Explicit bounds must lie between the smallest normal number of the dtype
    and the largest one whose square is finite; defaults move to fit.
    """
    real = np.finfo(dtype).dtype
    smallest = float(np.finfo(real).smallest_normal)
    largest = _SQUARE_SAFE_MAX[real]
    for name, value in (
        ("min_magnitude", min_magnitude),
        ("max_magnitude", max_magnitude),
    ):
        if value is not None and value < smallest:
            raise InvalidArgument(
                f"{name} must be at least {smallest!r}, the smallest normal "
                f"{real} (subnormals come from allow_subnormal=True), "
                f"got {name}={value!r}"
            )
        if value is not None and value > largest:
            raise InvalidArgument(
                f"{name} must be at most {largest!r}, the largest {real} whose "
                f"square is finite (larger values come from allow_huge=True), "
                f"got {name}={value!r}"
            )
    if min_magnitude is None:
        ceiling = math.inf if max_magnitude is None else max_magnitude
        min_magnitude = max(smallest, min(_ORDINARY_MIN, ceiling))
    if max_magnitude is None:
        max_magnitude = min(largest, max(_ORDINARY_MAX, min_magnitude))
    low = _round_into(real, min_magnitude, up=True)
    high = _round_into(real, max_magnitude, up=False)
    if low > high:
        raise InvalidArgument(
            f"no {real} magnitude lies between min_magnitude={min_magnitude!r} "
            f"and max_magnitude={max_magnitude!r}"
        )
    return low, high


def _magnitudes(
    dtype: np.dtype[Any], low: float, high: float, *, subnormal: bool
) -> st.SearchStrategy[Any]:
    """Return finite ``dtype`` values with magnitude in ``[low, high]``."""
    if dtype.kind == "c":
        return hnp.from_dtype(
            dtype,
            min_magnitude=low,
            max_magnitude=high,
            allow_nan=False,
            allow_infinity=False,
            allow_subnormal=subnormal,
        )
    positive = hnp.from_dtype(
        dtype,
        min_value=low,
        max_value=high,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=subnormal,
    )
    return positive | positive.map(operator.neg)


def _elements(
    dtype: np.dtype[Any],
    ordinary: tuple[float, float],
    *,
    allow_subnormal: bool,
    allow_huge: bool,
    allow_nan: bool,
    allow_infinity: bool,
) -> st.SearchStrategy[Any]:
    """Return the element strategy for ``dtype``: zero first, so it shrinks there."""
    real = np.finfo(dtype).dtype
    info = np.finfo(real)
    bands = [st.just(dtype.type(0)), _magnitudes(dtype, *ordinary, subnormal=False)]
    if allow_subnormal:
        below_normal = np.nextafter(real.type(info.smallest_normal), real.type(0))
        subnormals = (float(info.smallest_subnormal), float(below_normal))
        bands.append(_magnitudes(dtype, *subnormals, subnormal=True))
    if allow_huge:
        largest = real.type(_SQUARE_SAFE_MAX[real])
        overflowing = float(np.nextafter(largest, real.type(math.inf)))
        huge = _magnitudes(real, overflowing, float(info.max), subnormal=False)
        if dtype.kind == "c":
            # Parts, not the modulus, reach the dtype's largest value: the
            # modulus of such a number is beyond the dtype's range.
            other = st.one_of(
                st.just(0.0), _magnitudes(real, *ordinary, subnormal=False), huge
            )
            huge = _complex_from_parts(dtype, huge, other)
        bands.append(huge)
    if allow_nan:
        bands.append(st.sampled_from(_NON_FINITE[dtype.kind, True]))
    if allow_infinity:
        bands.append(st.sampled_from(_NON_FINITE[dtype.kind, False]))
    return st.one_of(bands)


def _complex_from_parts(
    dtype: np.dtype[Any],
    first: st.SearchStrategy[Any],
    second: st.SearchStrategy[Any],
) -> st.SearchStrategy[Any]:
    """Return complex ``dtype`` values with one part from ``first``, one from
    ``second``, either way round."""
    pairs = st.tuples(first, second, st.booleans())
    return pairs.map(
        lambda pair: dtype.type(
            complex(pair[1], pair[0]) if pair[2] else complex(pair[0], pair[1])
        )
    )


@st.composite
def _laid_out_arrays(
    draw: st.DrawFn,
    elements: Mapping[np.dtype[Any], st.SearchStrategy[Any]],
    shapes: st.SearchStrategy[tuple[int, ...]],
    layouts: tuple[_Layout, ...],
    byteswapped: bool,
) -> GradArray:
    """Draw a dtype, a shape and a layout, then an array of them.

    With ``byteswapped``, the array may store its dtype in the other byte
    order; its values are drawn as for the native dtype.
    """
    dtype = draw(st.sampled_from(list(elements)))
    stored = dtype.newbyteorder() if byteswapped and draw(st.booleans()) else dtype
    shape = draw(shapes)
    layout = draw(st.sampled_from(layouts))
    if layout == "strided":
        steps = draw(
            st.lists(st.sampled_from(_STEPS), min_size=len(shape), max_size=len(shape))
        )
        base_shape = tuple(
            side * abs(step) for side, step in zip(shape, steps, strict=True)
        )
        base = draw(hnp.arrays(stored, base_shape, elements=elements[dtype]))
        # The leading Ellipsis keeps a 0-d result an array rather than a scalar.
        index: tuple[Any, ...] = (..., *(slice(None, None, s) for s in steps))
        view: GradArray = base[index]
        return view
    if layout == "transposed":
        axes = draw(st.permutations(range(len(shape))))
        base = draw(
            hnp.arrays(stored, tuple(shape[a] for a in axes), elements=elements[dtype])
        )
        return base.transpose(sorted(range(len(axes)), key=axes.__getitem__))
    array = draw(hnp.arrays(stored, shape, elements=elements[dtype]))
    if layout == "unaligned":
        return _unaligned_copy(array)
    return array.copy(order="F") if layout == "F" else array


def _unaligned_copy(array: GradArray) -> GradArray:
    """A copy of ``array`` one byte into a ``bytearray``: not aligned for its dtype."""
    buffer = bytearray(array.nbytes + 1)
    copy = np.frombuffer(buffer, array.dtype, count=array.size, offset=1)
    unaligned: GradArray = copy.reshape(array.shape)
    unaligned[...] = array
    return unaligned


def gradient_arrays(
    *,
    dtypes: Sequence[DTypeLike] | None = None,
    max_dims: int = 3,
    max_side: int = 4,
    min_magnitude: float | None = None,
    max_magnitude: float | None = None,
    allow_subnormal: bool = False,
    allow_huge: bool = False,
    allow_nan: bool = False,
    allow_infinity: bool = False,
    allow_noncontiguous: bool = True,
    allow_byteswapped: bool = False,
) -> st.SearchStrategy[GradArray]:
    """Return a strategy for one gradient array.

    Each element is zero or an ordinary value, with magnitude between
    ``min_magnitude`` and ``max_magnitude``, unless an ``allow_*`` option adds
    extremes. For complex dtypes the magnitude is the modulus.

    Args:
        dtypes: The dtypes to draw from, each of float16, float32, float64,
            complex64 and complex128. ``None`` means the three real ones.
        max_dims: The largest number of dimensions; 0-d arrays are included.
        max_side: The largest length of any axis; size-0 arrays are included.
        min_magnitude: The smallest magnitude of a nonzero ordinary value; at
            least the smallest normal number of every dtype. ``None`` means
            ``1e-3``, moved down to ``max_magnitude`` if that is smaller.
        max_magnitude: The largest magnitude of an ordinary value; at most the
            largest value whose square is finite in every dtype (255.875 for
            float16). ``None`` means ``1e3``, moved to fit each dtype and to be
            at least ``min_magnitude``.
        allow_subnormal: Also draw subnormal values (for complex dtypes, of
            modulus below the smallest normal number).
        allow_huge: Also draw values whose squares overflow the dtype, up to
            its largest finite value: above 255.875 for float16, about 1.8e19
            for float32 and 1.3e154 for float64. For complex dtypes a part is
            that large, and the other may be too, so that the modulus can
            exceed the dtype's range (``3e38+3e38j`` in complex64).
        allow_nan: Also draw NaN (for complex dtypes, in either part).
        allow_infinity: Also draw positive and negative infinity (for complex
            dtypes, in either part).
        allow_noncontiguous: Also draw arrays that are not C-contiguous:
            Fortran-ordered copies, views with slice steps (including
            negative ones), and transposed views, all of a larger base array;
            and copies at an odd address in a ``bytearray``, not aligned for
            their dtype. When ``False`` every array is C-contiguous and
            aligned.
        allow_byteswapped: Also draw arrays stored in the non-native byte
            order (``>f8`` on a little-endian machine), as FITS, HDF5 and
            network data often are; their ``dtype`` then differs from the
            one named in ``dtypes`` in its byte order only.

    Returns:
        A strategy for writeable NumPy arrays, newly allocated for each draw.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.

    References:
        ``hypothesis.extra.numpy.arrays``, ``array_shapes`` and
        ``from_dtype``, which draw the shapes and elements:
        https://hypothesis.readthedocs.io/en/latest/reference/strategies.html#numpy
    """
    kinds = _gradient_dtypes(dtypes)
    _check_int(max_dims, "max_dims", minimum=0)
    if max_dims > 32:
        raise InvalidArgument(f"max_dims must be at most 32, got max_dims={max_dims!r}")
    _check_int(max_side, "max_side", minimum=0)
    low = (
        None
        if min_magnitude is None
        else _check_real(min_magnitude, "min_magnitude", positive=True)
    )
    high = (
        None
        if max_magnitude is None
        else _check_real(max_magnitude, "max_magnitude", positive=True)
    )
    if low is not None and high is not None:
        _check_order(low, high, "min_magnitude", "max_magnitude")
    for name, flag in (
        ("allow_subnormal", allow_subnormal),
        ("allow_huge", allow_huge),
        ("allow_nan", allow_nan),
        ("allow_infinity", allow_infinity),
        ("allow_noncontiguous", allow_noncontiguous),
        ("allow_byteswapped", allow_byteswapped),
    ):
        _check_bool(flag, name)
    elements = {
        dtype: _elements(
            dtype,
            _ordinary_range(dtype, low, high),
            allow_subnormal=allow_subnormal,
            allow_huge=allow_huge,
            allow_nan=allow_nan,
            allow_infinity=allow_infinity,
        )
        for dtype in kinds
    }
    shapes = hnp.array_shapes(
        min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side
    )
    layouts = (
        _NONCONTIGUOUS_LAYOUTS if allow_noncontiguous else _NONCONTIGUOUS_LAYOUTS[:1]
    )
    return _laid_out_arrays(elements, shapes, layouts, allow_byteswapped)


@st.composite
def _array_lists(
    draw: st.DrawFn,
    arrays: st.SearchStrategy[GradArray],
    min_size: int,
    max_size: int | None,
    allow_aliasing: bool,
) -> list[GradArray]:
    """Draw a list of arrays, each after the first possibly an earlier one again."""
    result = draw(st.lists(arrays, min_size=min_size, max_size=max_size))
    if allow_aliasing:
        for i in range(1, len(result)):
            if draw(st.booleans()):
                result[i] = result[draw(st.integers(0, i - 1))]
    return result


def _checked_array_lists(
    arrays: st.SearchStrategy[GradArray] | None,
    min_size: int,
    max_size: int | None,
    allow_aliasing: bool,
) -> st.SearchStrategy[list[GradArray]]:
    """Validate the options shared by the dict and list forms; return lists."""
    if arrays is None:
        arrays = gradient_arrays()
    _check_strategy(arrays, "arrays")
    _check_sizes(min_size, max_size, minimum=0)
    _check_bool(allow_aliasing, "allow_aliasing")
    if allow_aliasing and max_size is not None and max_size < 2:
        raise InvalidArgument(
            f"allow_aliasing=True needs room for two entries, got max_size={max_size!r}"
        )
    return _array_lists(arrays, min_size, max_size, allow_aliasing)


@overload
def gradient_dicts(
    arrays: st.SearchStrategy[GradArray] | None = None,
    *,
    keys: None = None,
    min_size: int = 0,
    max_size: int | None = None,
    allow_aliasing: bool = False,
) -> st.SearchStrategy[dict[str, GradArray]]: ...
@overload
def gradient_dicts(
    arrays: st.SearchStrategy[GradArray] | None = None,
    *,
    keys: st.SearchStrategy[_K],
    min_size: int = 0,
    max_size: int | None = None,
    allow_aliasing: bool = False,
) -> st.SearchStrategy[dict[_K, GradArray]]: ...
def gradient_dicts(
    arrays: st.SearchStrategy[GradArray] | None = None,
    *,
    keys: st.SearchStrategy[Any] | None = None,
    min_size: int = 0,
    max_size: int | None = None,
    allow_aliasing: bool = False,
) -> st.SearchStrategy[dict[Any, GradArray]]:
    """Return a strategy for gradients as a dict, like the book's ``grads``.

    Args:
        arrays: Where the values come from. ``None`` means
            :func:`gradient_arrays` with its defaults; pass it with options
            to reach extremes.
        keys: Where the keys come from, any hashable values it can make
            distinct enough of. ``None`` means short identifiers like ``W1``.
        min_size: The fewest entries.
        max_size: The most entries; ``None`` leaves it to Hypothesis.
        allow_aliasing: Also let a key map to the very same array object as
            an earlier key. When ``False`` this strategy adds no aliasing.

    Returns:
        A strategy for dicts of arrays, in the order they were drawn.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.
    """
    if keys is None:
        keys = _KEYS
    _check_strategy(keys, "keys")
    lists = _checked_array_lists(arrays, min_size, max_size, allow_aliasing)
    return lists.flatmap(
        lambda values: st.lists(
            keys, min_size=len(values), max_size=len(values), unique=True
        ).map(lambda names: dict(zip(names, values, strict=True)))
    )


def gradient_lists(
    arrays: st.SearchStrategy[GradArray] | None = None,
    *,
    min_size: int = 0,
    max_size: int | None = None,
    allow_aliasing: bool = False,
) -> st.SearchStrategy[list[GradArray]]:
    """Return a strategy for gradients as a list, for the list-based API.

    Args:
        arrays: Where the entries come from. ``None`` means
            :func:`gradient_arrays` with its defaults.
        min_size: The fewest entries.
        max_size: The most entries; ``None`` leaves it to Hypothesis.
        allow_aliasing: Also let an entry be the very same array object as an
            earlier entry. When ``False`` this strategy adds no aliasing.

    Returns:
        A strategy for lists of arrays.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.
    """
    return _checked_array_lists(arrays, min_size, max_size, allow_aliasing)


_BeyondFloat64: TypeAlias = int | Fraction | np.longdouble
"""A threshold above the float64 range, as ``max_norms`` draws it."""


@overload
def max_norms(
    *,
    min_value: float = 0.0,
    max_value: float | None = None,
    allow_infinity: bool = False,
    allow_beyond_float64: Literal[False] = False,
) -> st.SearchStrategy[float]: ...
@overload
def max_norms(
    *,
    min_value: float = 0.0,
    max_value: None = None,
    allow_infinity: bool = False,
    allow_beyond_float64: bool,
) -> st.SearchStrategy[float | _BeyondFloat64]: ...
def max_norms(
    *,
    min_value: float = 0.0,
    max_value: float | None = None,
    allow_infinity: bool = False,
    allow_beyond_float64: bool = False,
) -> st.SearchStrategy[float] | st.SearchStrategy[float | _BeyondFloat64]:
    """Return a strategy for clipping thresholds, as Python floats.

    Args:
        min_value: The smallest threshold. A zero threshold is valid: it
            clips every nonzero gradient to zero.
        max_value: The largest threshold; ``None`` means any finite float.
        allow_infinity: Also draw ``inf``, a threshold that never clips;
            needs ``max_value=None``.
        allow_beyond_float64: Also draw finite thresholds above the float64
            range, up to ``2**1100``: an ``int``, a ``Fraction``, or a
            ``numpy.longdouble`` where that type has the range. Only for
            functions that take such numbers, as gradclip's do; needs
            ``max_value=None``.

    Returns:
        A strategy for non-negative numbers, never NaN.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.
    """
    low = _check_real(min_value, "min_value", positive=False)
    high = (
        None
        if max_value is None
        else _check_real(max_value, "max_value", positive=False)
    )
    if high is not None:
        _check_order(low, high, "min_value", "max_value")
    _check_bool(allow_infinity, "allow_infinity")
    _check_bool(allow_beyond_float64, "allow_beyond_float64")
    for name, flag in (
        ("allow_infinity", allow_infinity),
        ("allow_beyond_float64", allow_beyond_float64),
    ):
        if flag and high is not None:
            raise InvalidArgument(
                f"{name}=True needs max_value=None, got max_value={max_value!r}"
            )
    floats = st.floats(low, high, allow_nan=False, allow_infinity=allow_infinity)
    if not allow_beyond_float64:
        return floats
    return st.one_of(floats, _beyond_float64())


_FLOAT64_MAX = Fraction(float(np.finfo(np.float64).max))


def _beyond_float64() -> st.SearchStrategy[_BeyondFloat64]:
    """Finite numbers in ``(float64 max, 2**1100]``, in the types that hold them."""
    exponents = st.integers(1024, 1100)
    fractions = st.builds(
        lambda e, f: max(Fraction(2) ** e * Fraction(f), _FLOAT64_MAX * 2),
        exponents,
        st.floats(0.5, 1.0),
    )
    kinds: list[st.SearchStrategy[_BeyondFloat64]] = [
        fractions.map(int),
        fractions,
    ]
    if np.finfo(np.longdouble).max > np.finfo(np.float64).max:
        kinds.append(
            fractions.map(
                lambda f: np.longdouble(f.numerator) / np.longdouble(f.denominator)
            )
        )
    return st.one_of(kinds)


class NetCase(NamedTuple):
    """One two-layer-net problem: sizes, parameter values, inputs, targets.

    Load it into any book-style net with
    ``net = TwoLayerNet(case.input_size, case.hidden_size, case.output_size)``
    then ``net.params[key][...] = case.params[key]`` for each key.
    """

    input_size: int
    hidden_size: int
    output_size: int
    params: dict[str, NDArray[np.float64]]
    """``W1`` (input, hidden), ``b1`` (hidden,), ``W2`` (hidden, output), ``b2``."""
    x: NDArray[np.float64] | NDArray[np.int64]
    """Inputs, shape (batch, input)."""
    t: NDArray[np.int64]
    """Targets: one-hot rows, shape (batch, output), or labels, shape (batch,)."""


def net_sizes(
    *, min_size: int = 1, max_size: int | None = None
) -> st.SearchStrategy[tuple[int, int, int]]:
    """Return a strategy for ``(input_size, hidden_size, output_size)``.

    Args:
        min_size: The smallest of each size.
        max_size: The largest of each size; ``None`` means ``min_size + 3``.

    Returns:
        A strategy for triples of positive ints.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.
    """
    _check_sizes(min_size, max_size, minimum=1)
    sizes = st.integers(min_size, min_size + 3 if max_size is None else max_size)
    return st.tuples(sizes, sizes, sizes)


def net_params(
    input_size: int,
    hidden_size: int,
    output_size: int,
    *,
    max_magnitude: float = 1.0,
) -> st.SearchStrategy[dict[str, NDArray[np.float64]]]:
    """Return a strategy for a two-layer net's parameter values.

    Args:
        input_size: Rows of ``W1``.
        hidden_size: Columns of ``W1``, length of ``b1``, rows of ``W2``.
        output_size: Columns of ``W2``, length of ``b2``.
        max_magnitude: The largest magnitude of any value.

    Returns:
        A strategy for dicts with keys ``W1 b1 W2 b2``, in that order, of
        C-contiguous float64 arrays.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.
    """
    for name, size in (
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("output_size", output_size),
    ):
        _check_int(size, name, minimum=1)
    bound = _check_real(max_magnitude, "max_magnitude", positive=True)
    values = st.floats(-bound, bound, allow_subnormal=False)
    shapes = {
        "W1": (input_size, hidden_size),
        "b1": (hidden_size,),
        "W2": (hidden_size, output_size),
        "b2": (output_size,),
    }
    arrays = [
        hnp.arrays(np.float64, shape, elements=values) for shape in shapes.values()
    ]
    # Not st.fixed_dictionaries, which does not keep the keys in this order.
    return st.tuples(*arrays).map(lambda drawn: dict(zip(shapes, drawn, strict=True)))


def net_inputs(
    batch_size: int,
    input_size: int,
    *,
    max_magnitude: float = 1.0,
    allow_integer: bool = False,
) -> st.SearchStrategy[NDArray[np.float64] | NDArray[np.int64]]:
    """Return a strategy for a batch of inputs ``x``.

    Args:
        batch_size: Rows of ``x``.
        input_size: Columns of ``x``.
        max_magnitude: The largest magnitude of any value.
        allow_integer: Also draw int64 inputs, as the seed's
            ``np.array([[1, 2, 3, 4, 5]])``.

    Returns:
        A strategy for arrays of shape ``(batch_size, input_size)``.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.
    """
    _check_int(batch_size, "batch_size", minimum=1)
    _check_int(input_size, "input_size", minimum=1)
    bound = _check_real(max_magnitude, "max_magnitude", positive=True)
    _check_bool(allow_integer, "allow_integer")
    shape = (batch_size, input_size)
    floats = hnp.arrays(
        np.float64, shape, elements=st.floats(-bound, bound, allow_subnormal=False)
    )
    if not allow_integer:
        return floats
    integers = hnp.arrays(
        np.int64, shape, elements=st.integers(-int(bound), int(bound))
    )
    return st.one_of(floats, integers)


def net_targets(
    batch_size: int, output_size: int, *, one_hot: bool | None = None
) -> st.SearchStrategy[NDArray[np.int64]]:
    """Return a strategy for a batch of targets ``t``.

    Args:
        batch_size: How many targets.
        output_size: How many classes.
        one_hot: ``True`` for one-hot rows, shape ``(batch_size,
            output_size)``; ``False`` for class labels, shape
            ``(batch_size,)``; ``None`` for either.

    Returns:
        A strategy for int64 arrays.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.
    """
    _check_int(batch_size, "batch_size", minimum=1)
    _check_int(output_size, "output_size", minimum=1)
    if one_hot is not None:
        _check_bool(one_hot, "one_hot")
    labels = hnp.arrays(
        np.int64, (batch_size,), elements=st.integers(0, output_size - 1)
    )
    rows = labels.map(lambda t: np.eye(output_size, dtype=np.int64)[t])
    if one_hot is None:
        return labels | rows
    return rows if one_hot else labels


def net_cases(
    *,
    min_size: int = 1,
    max_size: int | None = None,
    min_batch_size: int = 1,
    max_batch_size: int | None = None,
    one_hot: bool | None = None,
    allow_integer_inputs: bool = False,
) -> st.SearchStrategy[NetCase]:
    """Return a strategy for whole two-layer-net problems.

    Parameters and inputs have the moderate defaults of :func:`net_params`
    and :func:`net_inputs`; compose those directly to change them.

    Args:
        min_size: The smallest input, hidden and output size.
        max_size: The largest of them; ``None`` means ``min_size + 3``.
        min_batch_size: The fewest rows of ``x``.
        max_batch_size: The most rows; ``None`` means ``min_batch_size + 3``.
        one_hot: As for :func:`net_targets`.
        allow_integer_inputs: As ``allow_integer`` for :func:`net_inputs`.

    Returns:
        A strategy for :class:`NetCase` values.

    Raises:
        InvalidArgument: If an argument is of the wrong type or out of range.
    """
    sizes = net_sizes(min_size=min_size, max_size=max_size)
    _check_int(min_batch_size, "min_batch_size", minimum=1)
    if max_batch_size is None:
        max_batch_size = min_batch_size + 3
    _check_int(max_batch_size, "max_batch_size", minimum=1)
    _check_order(min_batch_size, max_batch_size, "min_batch_size", "max_batch_size")
    if one_hot is not None:
        _check_bool(one_hot, "one_hot")
    _check_bool(allow_integer_inputs, "allow_integer_inputs")
    return _net_cases(
        sizes,
        st.integers(min_batch_size, max_batch_size),
        one_hot,
        allow_integer_inputs,
    )


@st.composite
def _net_cases(
    draw: st.DrawFn,
    sizes: st.SearchStrategy[tuple[int, int, int]],
    batch_sizes: st.SearchStrategy[int],
    one_hot: bool | None,
    allow_integer_inputs: bool,
) -> NetCase:
    input_size, hidden_size, output_size = draw(sizes)
    batch_size = draw(batch_sizes)
    return NetCase(
        input_size,
        hidden_size,
        output_size,
        draw(net_params(input_size, hidden_size, output_size)),
        draw(net_inputs(batch_size, input_size, allow_integer=allow_integer_inputs)),
        draw(net_targets(batch_size, output_size, one_hot=one_hot)),
    )
