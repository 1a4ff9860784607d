"""An independent oracle for the invariants: exact norms in rational arithmetic.

Every element is converted to a ``Fraction`` exactly, so a sum of squares has
no rounding at all; comparisons are made between squares, so no square root
is taken where a bound can be squared instead.

PYTEST_DONT_REWRITE: the messages of these checks say what was expected and
got; pytest, which rewrites the asserts of a package with a pytest plugin,
would only add its own noise to them.
"""

import math
import numbers
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

_FLOAT64_MAX = float(np.finfo(np.float64).max)

__all__ = [
    "absolute_tolerance",
    "assert_exact_norm",
    "distinct",
    "elements",
    "exact_moduli",
    "exact_norm",
    "exact_square_norm",
    "relative_tolerance",
    "show",
]


def distinct(arrays: Iterable[NDArray[Any]]) -> list[NDArray[Any]]:
    """Return each array once, in first-seen order: the same object, or a view
    of the very same elements, is one array."""
    return list({elements(array): array for array in arrays}.values())


def elements(array: NDArray[Any]) -> tuple[int, tuple[int, ...], tuple[int, ...], str]:
    """What identifies an array's elements: address, shape, strides and dtype."""
    address: int = array.__array_interface__["data"][0]
    return address, array.shape, array.strides, array.dtype.str


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
    return _root(exact_square_norm(arrays))


def exact_moduli(arrays: Iterable[NDArray[Any]]) -> list[Fraction]:
    """Return the magnitude of every element of ``arrays``: exact for real
    elements, within 2**-64 relative for complex ones (``|z|`` is irrational),
    never rounded to the arrays' own precision."""
    moduli: list[Fraction] = []
    for array in distinct(arrays):
        flat = np.asarray(array).ravel()
        if flat.dtype.kind != "c":
            moduli.extend(abs(Fraction(float(x))) for x in flat)
            continue
        for z in flat.tolist():
            moduli.append(_root(Fraction(z.real) ** 2 + Fraction(z.imag) ** 2))
    return moduli


def _root(square: Fraction) -> Fraction:
    """The square root of ``square`` to within 2**-64 relative."""
    scale = 1 << 64
    root = math.isqrt(square.numerator * square.denominator * scale * scale)
    return Fraction(root, square.denominator * scale)


def relative_tolerance(arrays: Iterable[NDArray[Any]]) -> float:
    """A few units in the last place of the least precise dtype among ``arrays``."""
    return 8 * max(
        (float(np.finfo(a.dtype).eps) for a in arrays if a.size), default=0.0
    )


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


def assert_exact_norm(returned: object, arrays: list[NDArray[Any]]) -> None:
    """Check a returned norm against the exact one: 1e-12 relative for float64
    data, 1e-6 for anything less precise, and inf only beyond float64's range.
    """
    assert isinstance(returned, numbers.Real), f"returned {returned!r}, not a number"
    value = float(returned)
    norm = exact_norm(arrays)
    precise = all(np.finfo(array.dtype).bits >= 64 for array in arrays if array.size)
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
