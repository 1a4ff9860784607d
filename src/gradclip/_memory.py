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

__all__ = ["merge_shared_views"]

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
