"""Argument checks shared by the clipping functions, the network and gradcheck.

Every check runs before any array is written, so a call that raises leaves the
caller's data exactly as it was. Messages follow ``<name> must <rule>, got
<name>=<value!r>``.
"""

import math
import numbers
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from gradclip._memory import merge_shared_views, overlaps_itself
from gradclip._norms import ScaledNorm
from gradclip._typing import GradArray

__all__ = [
    "GradEntries",
    "check_flag",
    "check_nonnegative",
    "check_norm_type",
    "check_positive",
    "check_rng",
    "check_threshold",
    "collect_grads",
]

_SUPPORTED_DTYPES = frozenset(
    np.dtype(name)
    for name in ("float16", "float32", "float64", "complex64", "complex128")
)
_SUPPORTED_DTYPES |= frozenset(dtype.newbyteorder() for dtype in _SUPPORTED_DTYPES)
"""In either byte order: the norm reads swapped copies, scaling writes in place."""
_REAL_DTYPES = frozenset(dtype for dtype in _SUPPORTED_DTYPES if dtype.kind == "f")
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40
_short = _REPR.repr


@dataclass(frozen=True)
class GradEntries:
    """The gradients of one call: its entries and their distinct arrays.

    Attributes:
        items: every ``(key, value)`` entry; a sequence's keys are indices.
        arrays: the distinct arrays, each once, in first-seen order, as plain
            ``ndarray`` views (of ``np.matrix`` or ``np.memmap`` entries too).
        sources: the ``id`` of the entry value behind each array.
        repeats: for a value that views the same elements as an earlier
            one, the ``id`` of that earlier value.
    """

    items: tuple[tuple[object, GradArray], ...]
    arrays: tuple[GradArray, ...]
    sources: tuple[int, ...]
    repeats: dict[int, int]

    def labels_of(self, position: int) -> list[str]:
        """Return the labels (``grads['W1']``) of the entries holding an array."""
        source = self.sources[position]
        return [
            _label(key)
            for key, value in self.items
            if self.repeats.get(id(value), id(value)) == source
        ]


def collect_grads(
    grads: object, *, writeable: bool, allow_complex: bool = True
) -> GradEntries:
    """Check ``grads`` and return its entries and distinct arrays.

    An array object under two keys, or two views of the very same elements,
    is one gradient: it appears once in ``arrays``.

    Args:
        grads: a mapping of keys to arrays, or a sequence of arrays.
        writeable: require every array to be writeable (in-place functions).
        allow_complex: accept complex64 and complex128 arrays.

    Returns:
        The entries and their distinct arrays.

    Raises:
        TypeError: ``grads`` is not a mapping or sequence, or an entry is not
            a NumPy array of a supported floating dtype (masked arrays are
            not: their mask would be ignored).
        ValueError: ``writeable`` is set and an array is read-only or
            overlaps itself (its in-place change would need a full-size
            copy), or two arrays overlap in memory without being the same
            view.
    """
    items = _items(grads)
    dtypes = _SUPPORTED_DTYPES if allow_complex else _REAL_DTYPES
    objects: dict[int, GradArray] = {}
    for key, value in items:
        if (
            (type(value) is not np.ndarray and not _is_plain_array(value))
            or value.dtype not in dtypes
            or (writeable and not value.flags.writeable)
        ):
            _raise_for_entry(_label(key), value, dtypes)
        if writeable and not value.flags.forc and overlaps_itself(value):
            name = _label(key)
            raise ValueError(
                f"{name} must not overlap itself to be changed in place, got a "
                "view whose elements share memory (a zero stride or a sliding "
                f"window); clip a copy instead: np.array({name})"
            )
        objects[id(value)] = value
    identities = list(objects)
    arrays = [
        a if type(a) is np.ndarray else a.view(np.ndarray) for a in objects.values()
    ]

    def label(position: int) -> str:
        return next(_label(k) for k, v in items if id(v) == identities[position])

    repeats = merge_shared_views(arrays, label)
    if not repeats:
        return GradEntries(items, tuple(arrays), tuple(identities), {})
    return GradEntries(
        items=items,
        arrays=tuple(a for i, a in enumerate(arrays) if i not in repeats),
        sources=tuple(x for i, x in enumerate(identities) if i not in repeats),
        repeats={identities[i]: identities[j] for i, j in repeats.items()},
    )


def _is_plain_array(value: object) -> bool:
    """An ndarray or a subclass that keeps its data plain (not a masked array)."""
    return type(value) is np.ndarray or (
        isinstance(value, np.ndarray) and not isinstance(value, np.ma.MaskedArray)
    )


def _items(grads: object) -> tuple[tuple[Any, Any], ...]:
    if isinstance(grads, Mapping):
        return tuple(grads.items())
    if isinstance(grads, Sequence) and not isinstance(grads, str | bytes):
        return tuple(enumerate(grads))
    hint = " (wrap a single array in a list)" if isinstance(grads, np.ndarray) else ""
    raise TypeError(
        "grads must be a mapping or sequence of NumPy arrays, "
        f"got grads={_short(grads)} of type {type(grads).__name__}{hint}"
    )


def _label(key: object) -> str:
    """``grads[<key>]``, the key shortened as values are, even if its repr raises."""
    return f"grads[{_short(key)}]"


def _raise_for_entry(
    label: str, array: object, dtypes: frozenset[np.dtype[Any]]
) -> None:
    """Raise the error that explains why the entry ``label`` was refused."""
    if isinstance(array, np.ma.MaskedArray):
        raise TypeError(
            f"{label} must be a plain NumPy array, got a masked array "
            "(its mask would be ignored; pass array.filled(0) to clip its data)"
        )
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{label} must be a NumPy array, "
            f"got {label}={_short(array)} of type {type(array).__name__}"
        )
    if array.dtype not in dtypes:
        names = ", ".join(sorted(str(dtype) for dtype in dtypes if dtype.isnative))
        raise TypeError(
            f"{label} must have a floating dtype ({names}), "
            f"got {label}.dtype={array.dtype}"
        )
    raise ValueError(
        f"{label} must be writeable to be clipped in place, "
        f"got {label}.flags.writeable=False"
    )


def _check_real(name: str, value: object) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, "
            f"got {name}={_short(value)} of type {type(value).__name__}"
        )
    try:
        number = float(value)
    except OverflowError:  # an int beyond float64's range
        number = -math.inf if value < 0 else math.inf
    return number + 0.0  # -0.0 becomes 0.0


def check_nonnegative(name: str, value: object, *, allow_inf: bool) -> float:
    """Return ``value`` as a float after checking it is a real number >= 0.

    Raises:
        TypeError: ``value`` is not a real number (bools and arrays are not).
        ValueError: ``value`` is NaN, negative, or infinite when not allowed.
    """
    number = _check_real(name, value)
    if math.isnan(number) or number < 0 or (math.isinf(number) and not allow_inf):
        rule = "a non-negative number" if allow_inf else "a finite non-negative number"
        raise ValueError(f"{name} must be {rule}, got {name}={_short(value)}")
    return number


def check_threshold(name: str, value: object, *, allow_inf: bool) -> ScaledNorm:
    """Return a real number >= 0 as ``mantissa * 2**exponent``.

    A finite number beyond the float64 range (``5 * 10**308``, a
    ``Fraction``, a ``longdouble``) keeps its value rather than becoming inf,
    so that it compares rightly with a norm beyond that range.

    Raises:
        TypeError: ``value`` is not a real number (bools and arrays are not).
        ValueError: ``value`` is NaN, negative, or infinite when not allowed.
    """
    finite = _is_finite(value)
    number = check_nonnegative(name, value, allow_inf=allow_inf or finite)
    if number < math.inf or not finite:
        return ScaledNorm(number)
    if isinstance(value, np.floating):
        mantissa, exponent = np.frexp(value)
        return ScaledNorm(float(mantissa), int(exponent))
    rational: numbers.Rational = value  # type: ignore[assignment]  # by _is_finite
    exact = Fraction(rational)
    exponent = exact.numerator.bit_length() - exact.denominator.bit_length()
    return ScaledNorm(float(exact / Fraction(2) ** exponent), exponent)


def _is_finite(value: object) -> bool:
    """Whether a real number is finite, even beyond the float64 range."""
    if isinstance(value, numbers.Rational):  # NumPy's integers are too
        return True
    if isinstance(value, np.floating):
        return bool(np.isfinite(value))
    return isinstance(value, float) and math.isfinite(value)


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as a float after checking it is a finite real number > 0.

    Raises:
        TypeError: ``value`` is not a real number (bools and arrays are not).
        ValueError: ``value`` is NaN, zero, negative or infinite.
    """
    number = _check_real(name, value)
    if not 0 < number < math.inf:
        raise ValueError(
            f"{name} must be a finite positive number, got {name}={_short(value)}"
        )
    return number


def check_rng(rng: object) -> np.random.Generator:
    """Return a Generator from ``rng``: a Generator, an int seed >= 0, or ``None``.

    A Generator is returned as it is; ``None`` draws fresh entropy.

    Raises:
        TypeError: ``rng`` is none of those (bools are not seeds).
        ValueError: ``rng`` is a negative int.
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise TypeError(
            "rng must be None, an int seed or a numpy.random.Generator, "
            f"got rng={rng!r}"
        )
    if rng < 0:
        raise ValueError(f"rng must be >= 0 as a seed, got rng={rng!r}")
    return np.random.default_rng(rng)


def check_norm_type(value: object) -> float:
    """Return ``norm_type`` as a float after checking it is >= 1 (inf allowed).

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: ``value`` is NaN or below 1.
    """
    number = _check_real("norm_type", value)
    if not number >= 1:
        raise ValueError(
            f"norm_type must be a number >= 1 or inf, got norm_type={_short(value)}"
        )
    return number


def check_flag(name: str, value: object) -> bool:
    """Return ``value`` after checking it is a bool.

    Raises:
        TypeError: ``value`` is not a bool.
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(
            f"{name} must be a bool, "
            f"got {name}={_short(value)} of type {type(value).__name__}"
        )
    return bool(value)
