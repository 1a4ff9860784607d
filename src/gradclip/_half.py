"""float16 scaled by a float64 factor, rounded once, through a lookup table.

NumPy has no SIMD loops for float16, so ``np.multiply`` on it is slow, and
computing ``float16(x * c)`` through a float64 product rounds twice (to
float64, then to float16), which can land one ulp off in a tie. Here the
product is formed exactly as the sum of two float64 numbers (Dekker's
splitting: ``x`` has 11 significant bits, each half of ``c`` 26), added with
rounding to odd, then rounded to float16 once: rounding to odd at 53 bits
followed by rounding to nearest at 11 bits gives the correctly rounded
product. There are only 65,536 float16 values, so for large arrays the
results are computed once per call into a table and looked up with
``np.take``, in chunks of at most ``CHUNK`` elements.

References:
    Dekker, "A floating-point technique for extending the available
    precision", Numerische Mathematik 18, 1971 (exact products and sums).
    Boldo, Melquiond, "Emulation of FMA and correctly rounded sums: proved
    algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008.
"""

from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from gradclip._norms import CHUNK
from gradclip._typing import GradArray

__all__ = ["TABLE_FROM", "scale_half", "scaled_half", "table"]

TABLE_FROM = 1 << 16
"""float16 elements from which a table pays for itself: it has this many."""

_SPLITTER = 2.0**27 + 1
"""Veltkamp's constant: splits a float64 into two halves of 26 bits."""

_F64 = NDArray[np.float64]


def scaled_half(values: _F64, factor: float) -> NDArray[np.float16]:
    """Return ``float16(values * factor)``, each product rounded once.

    Args:
        values: float16 values, exactly, as float64.
        factor: the factor, with ``|factor| <= 1``.
    """
    with np.errstate(all="ignore"):  # non-finite table entries are never used
        split = factor * _SPLITTER
        high = split - (split - factor)
        low = factor - high
        top = values * high  # exact: 11 + 26 bits
        bottom = values * low  # exact, or far below float16's range
        total = top + bottom
        virtual = total - top
        error = (top - (total - virtual)) + (bottom - virtual)
        bits = total.view(np.uint64)
        even = (bits & 1) == 0
        inexact = error != 0
        toward = np.where(error > 0, np.inf, -np.inf)
        odd = np.where(even & inexact, np.nextafter(total, toward), total)
        # The product's sign is top's; -0 + 0 would lose it for x = -0.
        return np.copysign(odd, top).astype(np.float16)


def table(factor: float) -> NDArray[np.uint16]:
    """Return the bits of ``float16(v * factor)`` for the 65,536 float16 ``v``.

    Computed a slice at a time, so that its float64 temporaries stay small.
    """
    lookup = np.empty(1 << 16, np.uint16)
    for start in range(0, 1 << 16, _TABLE_SLICE):
        bits = np.arange(start, start + _TABLE_SLICE, dtype=np.uint16)
        values = bits.view(np.float16).astype(np.float64)
        lookup[start : start + _TABLE_SLICE] = scaled_half(values, factor).view(
            np.uint16
        )
    return lookup


_TABLE_SLICE = 1 << 13
"""Entries of the table computed at once."""


def scale_half(array: GradArray, lookup: NDArray[np.uint16]) -> None:
    """Replace each element of a float16 ``array`` by its entry in ``lookup``."""
    words: NDArray[Any] = array.view(np.uint16)
    if words.flags.c_contiguous or words.flags.f_contiguous:
        flat = words.ravel(order="K")
        for start in range(0, flat.size, CHUNK):
            chunk = flat[start : start + CHUNK]
            np.take(lookup, chunk, out=chunk, mode="clip")
        return
    with np.nditer(
        words,
        flags=["external_loop", "buffered", "zerosize_ok"],
        op_flags=["readwrite"],
        buffersize=CHUNK,
    ) as iterator:
        for buffered in iterator:
            step = cast("NDArray[Any]", buffered)  # one operand: an array, no tuple
            np.take(lookup, step, out=step, mode="clip")
