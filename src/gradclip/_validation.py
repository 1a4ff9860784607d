"""Argument checks shared by the clipping functions.

Every check runs before any array is written, so a call that raises leaves the
caller's data exactly as it was. Messages follow ``<name> must <rule>, got
<name>=<value!r>``.
"""

import math
import numbers
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradclip._typing import GradArray

__all__ = [
    "GradEntries",
    "check_flag",
    "check_nonnegative",
    "check_norm_type",
    "collect_grads",
]

_SUPPORTED_DTYPES = frozenset(
    np.dtype(name)
    for name in ("float16", "float32", "float64", "complex64", "complex128")
)
_REAL_DTYPES = frozenset(dtype for dtype in _SUPPORTED_DTYPES if dtype.kind == "f")
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 40
_short = _REPR.repr


@dataclass(frozen=True)
class GradEntries:
    """The gradients of one call: its entries and their distinct arrays.

    Attributes:
        items: every ``(key, array)`` entry; a sequence's keys are indices.
        arrays: the distinct array objects, each once, in first-seen order.
    """

    items: tuple[tuple[object, GradArray], ...]
    arrays: tuple[GradArray, ...]

    def labels_of(self, array: GradArray) -> list[str]:
        """Return the labels (``grads['W1']``) of every entry holding ``array``."""
        return [_label(key) for key, value in self.items if value is array]


def collect_grads(
    grads: object, *, writeable: bool, allow_complex: bool = True
) -> GradEntries:
    """Check ``grads`` and return its entries and distinct arrays.

    Args:
        grads: a mapping of keys to arrays, or a sequence of arrays.
        writeable: require every array to be writeable (in-place functions).
        allow_complex: accept complex64 and complex128 arrays.

    Returns:
        The entries, with an array that appears under several keys kept once.

    Raises:
        TypeError: ``grads`` is not a mapping or sequence, or an entry is not
            a NumPy array of a supported floating dtype.
        ValueError: ``writeable`` is set and an array is read-only.
    """
    items = _items(grads)
    dtypes = _SUPPORTED_DTYPES if allow_complex else _REAL_DTYPES
    for key, value in items:
        if (
            not isinstance(value, np.ndarray)
            or value.dtype not in dtypes
            or (writeable and not value.flags.writeable)
        ):
            _raise_for_entry(_label(key), value, dtypes)
    distinct = {id(array): array for _, array in items}
    return GradEntries(items=items, arrays=tuple(distinct.values()))


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
    return f"grads[{key!r}]"


def _raise_for_entry(
    label: str, array: object, dtypes: frozenset[np.dtype[Any]]
) -> None:
    """Raise the error that explains why the entry ``label`` was refused."""
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{label} must be a NumPy array, "
            f"got {label}={_short(array)} of type {type(array).__name__}"
        )
    if array.dtype not in dtypes:
        names = ", ".join(sorted(str(dtype) for dtype in dtypes))
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
    return float(value)


def check_nonnegative(name: str, value: object, *, allow_inf: bool) -> float:
    """Return ``value`` as a float after checking it is a real number >= 0.

    Raises:
        TypeError: ``value`` is not a real number (bools and arrays are not).
        ValueError: ``value`` is NaN, negative, or infinite when not allowed.
    """
    number = _check_real(name, value)
    if math.isnan(number) or number < 0 or (math.isinf(number) and not allow_inf):
        rule = "a non-negative number" if allow_inf else "a finite non-negative number"
        raise ValueError(f"{name} must be {rule}, got {name}={value!r}")
    return number


def check_norm_type(value: object) -> float:
    """Return ``norm_type`` as a float after checking it is >= 1 (inf allowed).

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: ``value`` is NaN or below 1.
    """
    number = _check_real("norm_type", value)
    if not number >= 1:
        raise ValueError(
            f"norm_type must be a number >= 1 or inf, got norm_type={value!r}"
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
