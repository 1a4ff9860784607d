"""Which gradient arrays share memory, so that none is counted or scaled twice.

Two entries may hold the same array object, or two views of the very same
elements (``a`` and ``a[:]``, or two ``np.frombuffer`` views of one
``bytearray``): either way they are one gradient, counted and scaled once.
Views that overlap only in part (``W`` and ``W.T[0]``) cannot be scaled
consistently and are refused.

Arrays are told apart by the memory they cover, not by the objects they came
from: buffers, ``shared_memory`` blocks and ctypes pointers give views with
no common base. The very same elements have the same address, shape, strides
and dtype, found by hashing; any other pair can only overlap if their address
ranges do, found by sorting the ranges. Thousands of views cost a sort, not
thousands squared comparisons.
"""

import heapq
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["merge_shared_views", "overlaps_itself"]

_Elements = tuple[int, tuple[int, ...], tuple[int, ...], np.dtype[Any]]


def merge_shared_views(
    arrays: Sequence[NDArray[Any]], label: Callable[[int], str]
) -> dict[int, int]:
    """Find the arrays that are views of the very same elements as earlier ones.

    Args:
        arrays: distinct array objects.
        label: how the caller wrote the array at a position (``grads['W1']``),
            for errors.

    Returns:
        For each array that repeats an earlier one, its position mapped to
        the earlier one's; empty when every array stands for itself.

    Raises:
        ValueError: two arrays overlap in memory without being the same view.
    """
    if all(array.flags.owndata for array in arrays):
        return {}  # each array owns its buffer, so none can share one
    first: dict[_Elements, int] = {}
    repeats: dict[int, int] = {}
    for position, array in enumerate(arrays):
        if array.size:
            earlier = first.setdefault(_elements(array), position)
            if earlier != position:
                repeats[position] = earlier
    _refuse_partial_overlaps(arrays, label, first)
    return repeats


def _elements(array: NDArray[Any]) -> _Elements:
    """What identifies an array's elements: address, shape, strides and dtype."""
    address: int = array.__array_interface__["data"][0]
    return address, array.shape, array.strides, array.dtype


def _refuse_partial_overlaps(
    arrays: Sequence[NDArray[Any]],
    label: Callable[[int], str],
    first: dict[_Elements, int],
) -> None:
    """Raise if two of the distinct views ``first`` names share memory.

    A sweep over the address ranges sorted by start: each range is compared
    only with the earlier ones still open at its start.
    """
    ranges = sorted((_byte_range(elements), p) for elements, p in first.items())
    open_ranges: list[tuple[int, int]] = []  # a heap of (end, position)
    for (start, end), position in ranges:
        while open_ranges and open_ranges[0][0] <= start:
            heapq.heappop(open_ranges)
        for _, other in open_ranges:
            if np.shares_memory(arrays[other], arrays[position]):
                one, two = sorted((other, position))
                raise ValueError(
                    f"{label(one)} and {label(two)} must not overlap "
                    "in memory unless they are the same view, got two views that "
                    "share some of their elements"
                )
        heapq.heappush(open_ranges, (end, position))


def _byte_range(elements: _Elements) -> tuple[int, int]:
    """The first byte and one past the last byte of a non-empty array's elements."""
    address, shape, strides, dtype = elements
    low = high = address
    for side, stride in zip(shape, strides, strict=True):
        extent = (side - 1) * stride
        if extent < 0:
            low += extent
        else:
            high += extent
    return low, high + dtype.itemsize


_EXACT_OVERLAP_CHECK = 1 << 16
"""Elements up to which a layout that may overlap itself is checked exactly."""


def overlaps_itself(array: NDArray[Any]) -> bool:
    """Whether two elements of ``array`` share memory (a zero stride, a window).

    Contiguous arrays, and any array made by slicing or transposing one, nest
    their strides: sorted by size, each stride spans all the axes below it.
    A layout that does not is checked element by element when small, and
    taken as overlapping when large.
    """
    if array.flags.forc:
        return False
    axes = sorted(
        (abs(stride), side)
        for side, stride in zip(array.shape, array.strides, strict=True)
        if side > 1
    )
    extent = array.itemsize
    for stride, side in axes:
        if stride < extent:
            return array.size > _EXACT_OVERLAP_CHECK or _offsets_overlap(array)
        extent += stride * (side - 1)
    return False


def _offsets_overlap(array: NDArray[Any]) -> bool:
    """Whether any two elements' byte ranges meet, from all their offsets."""
    offsets = np.zeros((), dtype=np.int64)
    for side, stride in zip(array.shape, array.strides, strict=True):
        offsets = np.add.outer(offsets, np.arange(side, dtype=np.int64) * stride)
    starts = np.sort(offsets, axis=None)
    return bool(np.any(np.diff(starts) < array.itemsize))
