"""The machine's limit: the fastest pure passes over a workload's own memory.

A clip below the threshold must read every byte once; above it, it must
also read and write every byte once more. How fast that can go depends on
the machine, its load and the number of threads, so the limit is measured in
the same run, on the same arrays: each pass with 1, 2, ... up to one thread
per core, with two kernels each (the fastest counts). A read pass is a BLAS
``np.dot`` of a float32/float64 array with itself, or an integer
``np.add.reduce`` over the bytes viewed as 64-bit words; a read-write pass is
``np.multiply(x, 1, out=x)`` or ``np.bitwise_or(w, 0, out=w)`` over those
words. None of them changes a value.

References:
    McCalpin, "Memory Bandwidth and Machine Balance in Current High
    Performance Computers", IEEE TCCA Newsletter, 1995 (STREAM).
"""

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradclip._typing import GradArray

__all__ = ["PASSES", "MachineLimit", "Passes"]

PASSES = ("read", "read-write")

_PIECE_BYTES = 4 << 20
"""Bytes per piece a thread takes at a time, as gradclip's own pieces."""


@dataclass(frozen=True)
class Passes:
    """The fastest read pass and read-write pass, in seconds.

    Attributes:
        read: the fastest pure read pass over every byte.
        read_write: the fastest pure read-write pass over every byte.
    """

    read: float
    read_write: float

    def of_case(self, scales: bool) -> float:
        """The least time a clip can take: a read, plus a read-write if it scales."""
        return self.read + self.read_write if scales else self.read


class MachineLimit:
    """Timed candidates for each pure pass, kernel and thread count.

    Args:
        arrays: the workload's arrays; they must be contiguous.
        max_threads: the most threads to try, one per core.
        thorough: try every kernel and thread count; when false, only the
            word kernels on one thread (for a million tiny arrays, where each
            pass is a million Python-level calls that threads cannot share).
    """

    def __init__(
        self, arrays: Sequence[GradArray], max_threads: int, *, thorough: bool = True
    ) -> None:
        self._threads = list(range(1, (max_threads if thorough else 1) + 1))
        self._pools = {n: ThreadPoolExecutor(n) for n in self._threads if n > 1}
        words = [_words(array) for array in arrays]
        floats = [a.reshape(-1) for a in arrays if a.dtype in _BLAS]
        self._kernels: dict[tuple[str, str], list[Callable[[], object]]] = {
            ("read", "add.reduce"): _pieces(np.add.reduce, words),
            ("read-write", "bitwise_or"): _pieces(_or_zero, words),
        }
        if thorough and len(floats) == len(arrays):  # all have BLAS: dot too
            self._kernels["read", "dot"] = _pieces(_dot, floats)
            self._kernels["read-write", "multiply"] = _pieces(_times_one, floats)

    def candidates(self) -> dict[str, Callable[[], object]]:
        """Return every pass, kernel and thread count, as named timed calls."""
        return {
            _name(step, kernel, threads): self._runner(calls, threads)
            for (step, kernel), calls in self._kernels.items()
            for threads in self._threads
        }

    def passes(self, times: Mapping[str, float]) -> Passes:
        """Return the fastest time of each pass among the ``candidates``' times."""
        fastest = {
            step: min(
                times[_name(step, kernel, threads)]
                for (of, kernel) in self._kernels
                if of == step
                for threads in self._threads
            )
            for step in PASSES
        }
        return Passes(fastest["read"], fastest["read-write"])

    def close(self) -> None:
        """Stop the thread pools."""
        for pool in self._pools.values():
            pool.shutdown()

    def _runner(
        self, calls: list[Callable[[], object]], threads: int
    ) -> Callable[[], object]:
        if threads == 1:
            return lambda: [call() for call in calls]
        pool = self._pools[threads]
        return lambda: list(pool.map(_call, calls))


_BLAS = (np.dtype(np.float32), np.dtype(np.float64))


def _name(step: str, kernel: str, threads: int) -> str:
    return f"limit {step} {kernel} {threads}"


def _words(array: GradArray) -> NDArray[Any]:
    """The array's bytes as the widest unsigned words that tile them."""
    raw = array.reshape(-1).view(np.uint8)
    for width in (8, 4, 2):
        if raw.size % width == 0:
            return raw.view(f"u{width}")
    return raw


def _pieces(
    kernel: Callable[[NDArray[Any]], object], flats: Sequence[NDArray[Any]]
) -> list[Callable[[], object]]:
    """One call of ``kernel`` per piece of about ``_PIECE_BYTES`` of ``flats``."""
    calls: list[Callable[[], object]] = []
    for flat in flats:
        step = max(1, _PIECE_BYTES // flat.itemsize)
        for start in range(0, flat.size, step):
            piece = flat[start : start + step]
            calls.append(lambda piece=piece: kernel(piece))  # type: ignore[misc]
    return calls


def _call(call: Callable[[], object]) -> object:
    return call()


def _dot(flat: NDArray[Any]) -> object:
    return np.dot(flat, flat)


def _times_one(flat: NDArray[Any]) -> object:
    return np.multiply(flat, flat.dtype.type(1), out=flat)


def _or_zero(words: NDArray[Any]) -> object:
    return np.bitwise_or(words, words.dtype.type(0), out=words)
