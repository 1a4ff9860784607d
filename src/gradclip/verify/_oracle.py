"""An independent oracle for the invariants: exact norms in rational arithmetic.

Every element is converted to a ``Fraction`` exactly, so a sum of squares has
no rounding at all; comparisons are made between squares, so no square root
is taken where a bound can be squared instead.
"""

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "absolute_tolerance",
    "distinct",
    "exact_norm",
    "exact_square_norm",
    "relative_tolerance",
    "show",
]


def distinct(arrays: Iterable[NDArray[Any]]) -> list[NDArray[Any]]:
    """Return each array object once, in first-seen order."""
    return list({id(array): array for array in arrays}.values())


def exact_square_norm(arrays: Iterable[NDArray[Any]]) -> Fraction:
    """Return the exact sum of squared moduli of every element of ``arrays``."""
    total = Fraction(0)
    for array in distinct(arrays):
        flat = np.asarray(array).ravel()
        parts = (flat.real, flat.imag) if flat.dtype.kind == "c" else (flat,)
        for part in parts:
            total += sum((Fraction(float(value)) ** 2 for value in part), Fraction(0))
    return total


def exact_norm(arrays: Iterable[NDArray[Any]]) -> Fraction:
    """Return the 2-norm of ``arrays`` to within 2**-64 relative, as a Fraction."""
    square = exact_square_norm(arrays)
    scale = 1 << 64
    root = math.isqrt(square.numerator * square.denominator * scale * scale)
    return Fraction(root, square.denominator * scale)


def relative_tolerance(arrays: Iterable[NDArray[Any]]) -> float:
    """A few units in the last place of the least precise dtype among ``arrays``."""
    return 8 * max((float(np.finfo(a.dtype).eps) for a in arrays), default=0.0)


def absolute_tolerance(arrays: Iterable[NDArray[Any]]) -> Fraction:
    """The rounding of results that fall among subnormals, over all elements."""
    collected = list(arrays)
    size = sum(array.size for array in collected)
    smallest = max(
        (float(np.finfo(a.dtype).smallest_subnormal) for a in collected), default=0.0
    )
    return Fraction(smallest) * (size + 1)


def show(value: Fraction | float) -> str:
    """Format an exact value as a float, or in scientific form beyond its range."""
    try:
        return repr(float(value))
    except OverflowError:
        exponent = len(str(int(value))) - 1
        return f"{float(value / 10**exponent)!r}e+{exponent}"
