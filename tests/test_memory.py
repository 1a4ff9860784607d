"""Arrays sharing memory are told apart by the memory they cover."""

import ctypes
from collections.abc import Callable
from multiprocessing import shared_memory

import numpy as np
import pytest
from numpy.typing import NDArray

import gradclip._memory as memory
from gradclip import clip_grads, global_norm

Aliases = Callable[[], tuple[NDArray[np.float64], NDArray[np.float64]]]


def _frombuffer_views() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    buffer = bytearray(np.array([3.0, 4.0]).tobytes())
    return np.frombuffer(buffer), np.frombuffer(buffer)


def _ctypes_views() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    block = (ctypes.c_double * 2)(3.0, 4.0)
    return np.ctypeslib.as_array(block), np.ctypeslib.as_array(block)


def _memoryview_of_an_array() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    array = np.array([3.0, 4.0])
    return array, np.frombuffer(array.data)


@pytest.mark.parametrize(
    "aliases",
    [_frombuffer_views, _ctypes_views, _memoryview_of_an_array],
    ids=["two frombuffer of a bytearray", "two ctypeslib.as_array", "memoryview"],
)
def test_regression_buffer_aliases_counted_and_scaled_once(aliases: Aliases) -> None:
    a, b = aliases()
    assert clip_grads({"a": a, "b": b}, 1.0) == 5.0
    np.testing.assert_allclose(a, [0.6, 0.8], rtol=1e-6)
    assert global_norm([a, b]) == pytest.approx(1.0, rel=1e-6)


def test_regression_shared_memory_aliases_counted_and_scaled_once() -> None:
    block = shared_memory.SharedMemory(create=True, size=16)
    try:
        assert block.buf is not None
        a, b = np.frombuffer(block.buf), np.frombuffer(block.buf)
        a[:] = [3.0, 4.0]
        total = clip_grads({"a": a, "b": b}, 1.0)
        after = b.tolist()
        del a, b  # the block cannot close while views export its buffer
    finally:
        block.close()
        block.unlink()
    assert total == 5.0
    np.testing.assert_allclose(after, [0.6, 0.8], rtol=1e-6)


def test_regression_buffer_views_overlapping_in_part_are_refused() -> None:
    buffer = bytearray(np.arange(4.0).tobytes())
    whole, tail = np.frombuffer(buffer), np.frombuffer(buffer, offset=8)
    with pytest.raises(ValueError, match=r"grads\['a'\] and grads\['b'\] must not"):
        clip_grads({"a": whole, "b": tail}, 1.0)
    assert whole.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_regression_many_views_of_the_same_elements_are_hashed_not_compared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """8,000 ``buf[0:1]`` views took minutes: each was compared with every other."""
    calls = 0
    shares_memory = np.shares_memory

    def counted(a: NDArray[np.float64], b: NDArray[np.float64]) -> bool:
        nonlocal calls
        calls += 1
        return bool(shares_memory(a, b))

    monkeypatch.setattr(np, "shares_memory", counted)
    buffer = np.array([3.0, 4.0, 12.0])
    views = [buffer[0:1] for _ in range(2000)] + [buffer[1:3]]
    assert global_norm(views) == 13.0  # sqrt(3**2 + 4**2 + 12**2)
    assert calls == 0


def test_merge_shared_views_compares_only_overlapping_ranges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Disjoint slices of one buffer never reach the exact overlap test."""
    monkeypatch.setattr(np, "shares_memory", pytest.fail)
    buffer = np.arange(4000.0)
    views = [buffer[i : i + 1] for i in range(0, 4000, 2)]
    assert memory.merge_shared_views(views, str) == {}


def test_merge_shared_views_keeps_interleaved_views_apart() -> None:
    """Interleaved views have overlapping ranges but no common element."""
    buffer = np.arange(12.0)
    views = [buffer[0::3], buffer[1::3], buffer[2::3], buffer[0::3][:]]
    assert memory.merge_shared_views(views, str) == {3: 0}
