"""Which gradient arrays share memory, so that none is counted or scaled twice.

Two entries may hold the same array object, or two views of the very same
elements (``a`` and ``a[:]``): either way they are one gradient, counted and
scaled once. Views that overlap only in part (``W`` and ``W.T[0]``) cannot be
scaled consistently and are refused. Only arrays that are views of one base
can overlap, so the search is confined to those groups, and within a group to
neighbours by address: a flat buffer of ten thousand disjoint views costs a
sort, not ten thousand squared comparisons.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.array_utils import byte_bounds
from numpy.typing import NDArray

__all__ = ["merge_shared_views"]


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
    groups: dict[int, list[int]] = {}
    for position, array in enumerate(arrays):
        if array.base is not None:
            groups.setdefault(id(_root(array)), []).append(position)
    if not groups:
        return {}
    for position, array in enumerate(arrays):
        if array.base is None and id(array) in groups:
            groups[id(array)].append(position)
    repeats: dict[int, int] = {}
    for members in groups.values():
        if len(members) > 1:
            _merge_group(arrays, label, sorted(members), repeats)
    return repeats


def _root(array: NDArray[Any]) -> object:
    """The object that owns the array's memory: its last ndarray base, or a buffer."""
    root: object = array
    while isinstance(root, np.ndarray) and root.base is not None:
        root = root.base
    return root


def _merge_group(
    arrays: Sequence[NDArray[Any]],
    label: Callable[[int], str],
    members: list[int],
    repeats: dict[int, int],
) -> None:
    bounds = sorted((byte_bounds(arrays[i]), i) for i in members)
    open_views: list[tuple[int, int]] = []  # (end, position) of views still open
    for (start, end), position in bounds:
        open_views = [(e, p) for e, p in open_views if e > start]
        for _, other in open_views:
            if np.shares_memory(arrays[other], arrays[position]):
                first, second = sorted((other, position))
                if not _same_view(arrays[first], arrays[second]):
                    raise ValueError(
                        f"{label(first)} and {label(second)} must not overlap "
                        "in memory unless they are the same view, got two views that "
                        "share some of their elements"
                    )
                repeats[second] = repeats.get(first, first)
        open_views.append((end, position))


def _same_view(a: NDArray[Any], b: NDArray[Any]) -> bool:
    return (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.shape == b.shape
        and a.strides == b.strides
        and a.dtype == b.dtype
    )
