"""Exact p-norms over many arrays, without overflow or full-size temporaries.

The 2-norm, the one every training step pays for, takes one read pass. A
contiguous array is read in long slices (views, no copies), any other in
copied chunks of at most ``CHUNK`` elements; each piece is cut into rows
(256 float32 or 4096 float64 elements) whose dot products BLAS computes at
memory speed, and the row sums are added in float64. For float64 data the
result is within a few ulps of the exact norm. For float32 data the error is
the float32 rounding of each row's sum: with the SIMD kernels of OpenBLAS,
which spread a row over 8 or more lanes, it stays far below 1e-6 relative
(the tests check 1e-6 on adversarial input); a BLAS summing a row strictly in
sequence could reach 256 float32 ulps, about 1.5e-5.
Small arrays are concatenated into chunks so that ten thousand tiny arrays
cost a handful of BLAS calls.

The squares of float64 values above about 1e154 overflow, those below about
1e-154 underflow (float32: 1.8e19 and 1e-19). When an array's fast sum is
infinite, NaN or too small to be exact, that array is read again scaled by a
power of two, and the norm is kept as ``mantissa * 2**exponent``: a norm beyond
the float64 range still gives the right clipping factor.

A complex element counts by its modulus: the 2-norm sums the squares of its
parts; other p-norms take moduli in float64 after scaling by a power of two
set by the largest part, so that neither parts near the dtype's largest value
(``3e38+3e38j`` in complex64, whose modulus it cannot hold) nor subnormal
parts lose anything.

References:
    Blue, "A portable Fortran program to find the Euclidean norm of a
    vector", ACM TOMS 4(1), 1978 (scaling against overflow and underflow).
    Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., SIAM
    2002, ch. 4 (error of blocked summation).
"""

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradclip._parallel import run_pieces, split
from gradclip._typing import GradArray

__all__ = [
    "CHUNK",
    "REAL_DTYPES",
    "ScaledNorm",
    "is_finite",
    "largest_part",
    "norm",
    "power_sums",
    "scaled_modulus_max",
    "square_sums",
]

CHUNK = 1 << 16
"""Elements per copied chunk: the bound on every temporary array."""

_VIEW_CHUNK = 1 << 20
"""Elements per slice of a contiguous array in the 2-norm's one read pass.

Slices are views, not copies: their only temporaries are the row sums, one
per ``_ROW`` elements, so they can be long, which saves Python overhead.
"""

_NATIVE_REAL_DTYPES: dict[np.dtype[Any], np.dtype[np.floating[Any]]] = {
    np.dtype(np.float16): np.dtype(np.float16),
    np.dtype(np.float32): np.dtype(np.float32),
    np.dtype(np.float64): np.dtype(np.float64),
    np.dtype(np.complex64): np.dtype(np.float32),
    np.dtype(np.complex128): np.dtype(np.float64),
}

REAL_DTYPES = {
    **_NATIVE_REAL_DTYPES,
    **{key.newbyteorder(): real for key, real in _NATIVE_REAL_DTYPES.items()},
}
"""The native dtype of the real and imaginary parts of each supported dtype,
in either byte order (``>f8`` as FITS, HDF5 and network data often are)."""

_ROW = {np.dtype(np.float32): 256, np.dtype(np.float64): 4096}
"""Row length per dtype: float32 rows are short, as BLAS sums them in float32."""

_FAST_SUM_MIN = {np.dtype(np.float32): 2.0**-60, np.dtype(np.float64): 2.0**-900}
"""Below this, squares may have underflowed enough to matter: rescale."""

_MIN_SCALE_EXPONENT = -1000
"""2**1000 is the largest power of two the scale may be: 2**1073 overflows."""

_Real = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class ScaledNorm:
    """A norm kept as ``mantissa * 2**exponent``, so that it cannot overflow.

    Attributes:
        mantissa: a finite non-negative float, or NaN/inf for non-finite input.
        exponent: the power of two the mantissa is scaled by.
    """

    mantissa: float
    exponent: int = 0

    @property
    def is_finite(self) -> bool:
        """Whether every input element was finite."""
        return math.isfinite(self.mantissa)

    def __float__(self) -> float:
        """Return the norm as a float: inf when it exceeds the float64 range."""
        try:
            return math.ldexp(self.mantissa, self.exponent)
        except OverflowError:
            return math.inf


def norm(arrays: Sequence[GradArray], norm_type: float) -> ScaledNorm:
    """Return the ``norm_type``-norm of all elements of ``arrays`` together.

    Args:
        arrays: distinct arrays of a supported floating dtype.
        norm_type: p >= 1, or inf for the largest absolute value.

    Returns:
        The norm; NaN if any element is NaN, else inf if any element is inf.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if norm_type == 2:
            return _two_norm(arrays)
        part = _largest_part(arrays)
        if part == 0 or not math.isfinite(part):
            return ScaledNorm(part)
        largest = _largest_modulus(arrays, part)
        if norm_type == math.inf:
            return largest
        return _p_norm(arrays, norm_type, largest)


def _two_norm(arrays: Sequence[GradArray]) -> ScaledNorm:
    sums = [_batch_sum_of_squares(batch) for batch in _batches(arrays)]
    large = [array for array in arrays if array.size > CHUNK]
    sums.extend(run_pieces(_sum_of_squares, split(large, _VIEW_CHUNK)))
    if any(not math.isfinite(total) for total, _ in sums):
        return ScaledNorm(_nan_or_max(total for total, _ in sums))
    exponent = max((exponent for total, exponent in sums if total > 0), default=0)
    total = math.fsum(math.ldexp(s, 2 * (e - exponent)) for s, e in sums)
    return ScaledNorm(math.sqrt(total), exponent)


def _batch_sum_of_squares(batch: list[GradArray]) -> tuple[float, int]:
    """The sum of squares of small arrays, read together as one."""
    joined = _concatenate(batch)
    fast = _fast_sum_of_squares(joined)
    if _is_exact(fast, _work_dtype(batch[0].dtype)):
        return fast, 0
    return _sum_of_squares(joined)  # rescaled: its CHUNK elements read again


def _batches(arrays: Sequence[GradArray]) -> Iterator[list[GradArray]]:
    """Group arrays of at most ``CHUNK`` elements by dtype, ``CHUNK`` per group.

    The cuts are found on the running sizes with ``np.searchsorted``, so
    that a million tiny arrays cost a few operations each.
    """
    by_dtype: dict[np.dtype[Any], list[GradArray]] = {}
    for array in arrays:
        if array.size <= CHUNK:
            by_dtype.setdefault(array.dtype, []).append(array)
    for group in by_dtype.values():
        sizes = np.fromiter((a.size for a in group), np.int64, len(group))
        ends = np.cumsum(sizes)
        start = 0
        while start < len(group):
            before = int(ends[start - 1]) if start else 0
            stop = int(np.searchsorted(ends, before + CHUNK, side="right"))
            yield group[start:stop]
            start = stop


def _concatenate(batch: list[GradArray]) -> GradArray:
    return np.concatenate(batch, axis=None, dtype=_chunk_dtype(batch[0].dtype))


def _sum_of_squares(array: GradArray) -> tuple[float, int]:
    """Return ``(s, e)`` with the sum of squares of ``array`` equal to s * 4**e."""
    if array.dtype == np.float16 and _is_flat(array):
        fast = math.fsum(_fast_sum_of_squares(chunk) for chunk in _magnitudes(array))
    else:
        fast = math.fsum(
            _fast_sum_of_squares(chunk)
            for chunk in _chunks(array, view_size=_VIEW_CHUNK)
        )
    if _is_exact(fast, _work_dtype(array.dtype)):
        return fast, 0
    largest = _largest_part([array])
    if largest == 0 or not math.isfinite(largest):
        return largest * largest, 0
    exponent = _scale_exponent(largest)
    scale = math.ldexp(1.0, -exponent)
    total = math.fsum(
        _fast_sum_of_squares(np.multiply(_as_real(chunk), scale, dtype=np.float64))
        for chunk in _chunks(array)
    )
    return total, exponent


def _fast_sum_of_squares(chunk: GradArray) -> float:
    """Sum the squares of a 1-d chunk: BLAS row dot products added in float64."""
    chunk = _as_real(chunk)
    row = _ROW[chunk.dtype]
    rows = chunk.shape[0] // row
    head = chunk[: rows * row].reshape(rows, row)
    tail = chunk[rows * row :]
    return float(np.add.reduce(np.vecdot(head, head), dtype=np.float64)) + float(
        np.dot(tail, tail)
    )


def _is_exact(total: float, dtype: np.dtype[Any]) -> bool:
    return _FAST_SUM_MIN[dtype] <= total < math.inf


def _largest_part(arrays: Sequence[GradArray]) -> float:
    """The largest magnitude of any real or imaginary part: always finite for
    finite input, where a complex modulus may overflow."""
    return _nan_or_max(
        float(np.max(np.abs(_as_real(chunk))))
        for array in arrays
        for chunk in _chunks(array)
        if chunk.size
    )


def _largest_modulus(arrays: Sequence[GradArray], part: float) -> ScaledNorm:
    """The largest ``|x|``, given the largest part, finite and nonzero.

    Real magnitudes are exact: the largest part is the answer. Complex moduli
    are taken in float64 after scaling by a power of two that brings the
    largest part near 1, so that they neither overflow nor lose the precision
    of subnormals (Blue 1978).
    """
    if all(array.dtype.kind == "f" for array in arrays):
        return ScaledNorm(part)
    shift = _scale_exponent(part)
    return ScaledNorm(scaled_modulus_max(arrays, shift), shift)


def scaled_modulus_max(arrays: Sequence[GradArray], shift: int) -> float:
    """Return the largest ``|x| * 2**-shift``, each modulus rounded once; 0 if none.

    With ``shift`` set by the largest part of all arrays, as in
    ``_largest_modulus``, for ``gradclip.distributed``.
    """
    return max(
        (
            float(np.max(_moduli(chunk, shift)))
            for array in arrays
            for chunk in _chunks(array)
            if chunk.size
        ),
        default=0.0,
    )


def _moduli(chunk: GradArray, shift: int) -> NDArray[np.float64]:
    """``|chunk| * 2**-shift`` in float64, each modulus rounded once."""
    scale = math.ldexp(1.0, -shift)
    if chunk.dtype.kind == "c":
        return np.abs(np.multiply(chunk, scale, dtype=np.complex128))
    return np.multiply(np.abs(chunk), scale, dtype=np.float64)


def _nan_or_max(values: Iterable[float]) -> float:
    """Return the largest value, or NaN if any is NaN (``max`` ignores it)."""
    collected = list(values)
    if any(math.isnan(value) for value in collected):
        return math.nan
    return max(collected, default=0.0)


def _p_norm(
    arrays: Sequence[GradArray], norm_type: float, largest: ScaledNorm
) -> ScaledNorm:
    """Return ``largest * (sum |x / largest|**p)**(1/p)``: no overflow for any p.

    The largest term is exactly 1, so the sum is at least 1 and cannot
    underflow however large p is; terms that do underflow are below 2**-1074
    of it.
    """
    terms = power_sums(arrays, norm_type, largest.mantissa, largest.exponent)
    mantissa, exponent = math.frexp(largest.mantissa)
    return ScaledNorm(
        mantissa * math.fsum(terms) ** (1 / norm_type), exponent + largest.exponent
    )


def power_sums(
    arrays: Sequence[GradArray], norm_type: float, largest: float, exponent: int = 0
) -> list[float]:
    """Return the sums of ``|x / largest|**norm_type``, one per chunk of each array.

    ``largest`` stands for ``largest * 2**exponent``, for a complex modulus
    beyond the float64 range.

    Each sum depends on its own chunk and ``largest`` alone, so that
    ``gradclip.distributed`` can add them up exactly across processes. Like
    ``square_sums`` and ``largest_part``, call it under the ``np.errstate`` that
    ``norm`` sets.
    """
    terms: list[float] = []
    for array in arrays:
        for chunk in _chunks(array):
            scaled = _moduli(chunk, exponent)
            np.divide(scaled, largest, out=scaled)
            terms.append(float(np.add.reduce(np.power(scaled, norm_type, out=scaled))))
    return terms


def square_sums(arrays: Sequence[GradArray]) -> list[tuple[float, int]]:
    """Return sums of squares ``(s, e)``, ``s * 4**e`` each, of each array on its own.

    The 2-norm's terms, each depending on one array (or one slice of a large
    one) alone, whatever other arrays there are, so that
    ``gradclip.distributed`` can add them up exactly across processes. Large
    arrays are read as ``norm`` reads them. Small ones are read in batches
    too, but each starts a row of its own, zero-padded to whole rows of
    ``_PADDED_ROW``: its row dot products and their float64 sum are its own.
    """
    sums = [term for batch in _padded_batches(arrays) for term in _padded_sums(batch)]
    large = [array for array in arrays if array.size > CHUNK]
    return sums + run_pieces(_sum_of_squares, split(large, _VIEW_CHUNK))


_PADDED_ROW = 64
"""Row length of ``square_sums``' batches: short, as little is padded."""


def _padded_batches(arrays: Sequence[GradArray]) -> Iterator[list[GradArray]]:
    """Group non-empty arrays of at most ``CHUNK`` elements by the dtype whose
    squares are summed, about ``CHUNK`` padded values per group."""
    groups: dict[np.dtype[Any], tuple[list[GradArray], int]] = {}
    for array in arrays:
        if not 0 < array.size <= CHUNK:
            continue
        dtype = _work_dtype(array.dtype)
        values = array.size * (2 if array.dtype.kind == "c" else 1)
        width = -(-values // _PADDED_ROW) * _PADDED_ROW
        group, size = groups.get(dtype, ([], 0))
        if group and size + width > CHUNK:
            yield group
            group, size = [], 0
        group.append(array)
        groups[dtype] = (group, size + width)
    for group, _ in groups.values():
        yield group


def _padded_sums(batch: list[GradArray]) -> list[tuple[float, int]]:
    """Each array's sum of squares, read in one padded block (see ``square_sums``)."""
    reals = [
        _as_real(np.ascontiguousarray(array, dtype=_chunk_dtype(array.dtype))).reshape(
            -1
        )
        for array in batch
    ]
    rows = [-(-real.size // _PADDED_ROW) for real in reals]
    starts = np.cumsum([0, *rows[:-1]])
    block = np.zeros((sum(rows), _PADDED_ROW), dtype=reals[0].dtype)
    flat = block.reshape(-1)
    for real, start in zip(reals, starts, strict=True):
        flat[start * _PADDED_ROW : start * _PADDED_ROW + real.size] = real
    # In float64 before the sums, so that no cast buffer cuts a segment: each
    # array's row sums are added in order, the same wherever it sits.
    dots = np.vecdot(block, block).astype(np.float64)
    sums = np.add.reduceat(dots, starts)
    work = reals[0].dtype
    return [
        (total, 0) if _is_exact(total, work) else _sum_of_squares(array)
        for array, total in zip(batch, sums.tolist(), strict=True)
    ]


def largest_part(arrays: Sequence[GradArray]) -> float:
    """Return the largest magnitude of any real or imaginary part, NaN if any is NaN.

    With ``scaled_modulus_max``, what ``gradclip.distributed`` needs to find
    the largest modulus of all ranks' arrays as ``norm`` does.
    """
    return _largest_part(arrays)


def _scale_exponent(largest: float) -> int:
    """The power of two that brings ``largest`` near 1, within float64's range."""
    return max(math.frexp(largest)[1], _MIN_SCALE_EXPONENT)


def _chunks(array: GradArray, view_size: int = CHUNK) -> Iterator[GradArray]:
    """Yield the elements of ``array`` as contiguous 1-d chunks.

    Slices of a contiguous array have at most ``view_size`` elements; copies
    of a non-contiguous one at most ``CHUNK``.

    float16 comes as float32. Contiguous aligned arrays are sliced without
    copying; others (unaligned ones too) are copied chunk by chunk through
    NumPy's buffered iterator.
    """
    dtype = _chunk_dtype(array.dtype)
    if array.dtype == dtype and _is_flat(array):  # unaligned: BLAS copies it whole
        flat = array.ravel(order="K")
        for start in range(0, flat.size, view_size):
            yield flat[start : start + view_size]
        return
    iterator = np.nditer(  # type: ignore[call-overload]  # the stubs lack "contig"
        array,
        flags=["external_loop", "buffered", "zerosize_ok"],
        op_flags=["readonly", "aligned", "contig"],
        op_dtypes=[dtype],
        casting="safe",
        buffersize=CHUNK,
        order="K",
    )
    yield from iterator


def _is_flat(array: GradArray) -> bool:
    """Whether ``array``'s elements can be sliced as one aligned flat view."""
    return array.flags.aligned and (
        array.flags.c_contiguous or array.flags.f_contiguous
    )


_HALF_TO_SINGLE = np.float32(2.0**112)
"""float16 bits shifted into a float32 give the value times 2**-112."""

_HALF_INFINITY = np.float32(2.0**16)
"""float16 inf and NaN, shifted into float32, come out at or above this."""


def _magnitudes(array: GradArray) -> Iterator[_Real]:
    """Yield ``|x|`` of a flat float16 array as float32 chunks of ``CHUNK``.

    Exact, and much faster than NumPy's float16 cast: the 15 bits of
    exponent and mantissa, shifted into a float32's, give ``|x| * 2**-112``
    (subnormals too), which one multiplication by a power of two undoes.
    inf and NaN come out as an inf chunk, for the caller's slow path.
    """
    words = array.ravel(order="K").view(np.uint16)
    bits = np.empty(min(CHUNK, words.size), np.uint32)
    for start in range(0, words.size, CHUNK):
        part = bits[: min(CHUNK, words.size - start)]
        np.left_shift(words[start : start + CHUNK], 13, out=part, dtype=np.uint32)
        np.bitwise_and(part, 0x0FFFE000, out=part)
        values = part.view(np.float32)
        np.multiply(values, _HALF_TO_SINGLE, out=values)
        if values.max() >= _HALF_INFINITY:
            values[0] = np.inf
        yield values


def _chunk_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The native dtype chunks come in: float16 as float32, and a
    non-native byte order swapped as it is copied."""
    native = dtype if dtype.isnative else dtype.newbyteorder("=")
    return np.dtype(np.float32) if native == np.float16 else native


def _work_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The real dtype whose squares the fast path sums."""
    return _chunk_dtype(REAL_DTYPES[dtype])


def _as_real(chunk: GradArray) -> _Real:
    """View a contiguous complex chunk as its (real, imag) pairs."""
    if chunk.dtype.kind == "c":
        return chunk.view(REAL_DTYPES[chunk.dtype])
    return chunk  # type: ignore[return-value]  # real by the check above


def is_finite(array: GradArray) -> bool:
    """Return whether every element of ``array`` is finite, chunk by chunk."""
    return all(bool(np.isfinite(chunk).all()) for chunk in _chunks(array))
