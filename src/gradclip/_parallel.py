"""One pass over many arrays, shared among the machine's cores.

Clipping reads every gradient once and writes it once: work bound by memory
bandwidth, which one core does not saturate. NumPy releases the GIL inside
BLAS calls and ufunc loops, so threads working on disjoint pieces of the
gradients run at once. Pieces are whole multiples of a granule, cut at the
same places however many threads there are, so results never depend on the
number of cores.

References:
    NumPy, "Thread Safety": https://numpy.org/doc/stable/reference/thread_safety.html
"""

import contextvars
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from gradclip._typing import GradArray

__all__ = ["run_pieces", "split"]

_WORKERS = min(4, os.cpu_count() or 1)
"""Threads to use: one per core, up to four (more adds nothing to bandwidth)."""

_MIN_PARALLEL = 1 << 22
"""Elements below which one thread is faster than waking the others."""

_pool: ThreadPoolExecutor | None = None

T = TypeVar("T")


def split(arrays: Sequence[GradArray], granule: int) -> list[GradArray]:
    """Cut large contiguous arrays into flat views of whole ``granule``s.

    Args:
        arrays: the arrays of one pass.
        granule: the piece size's unit, in elements.

    Returns:
        Views covering every element once: small or non-contiguous arrays
        whole, large contiguous ones in pieces of ``granule`` elements each.
    """
    pieces: list[GradArray] = []
    for array in arrays:
        if array.size > granule and (
            array.flags.c_contiguous or array.flags.f_contiguous
        ):
            flat = array.ravel(order="K")
            pieces.extend(flat[i : i + granule] for i in range(0, flat.size, granule))
        else:
            pieces.append(array)
    return pieces


def run_pieces(
    function: Callable[[GradArray], T], pieces: Sequence[GradArray]
) -> list[T]:
    """Return ``[function(p) for p in pieces]``, on several threads if it pays.

    The caller and ``_WORKERS - 1`` pool threads take the pieces in order,
    each the next one not yet taken, so that a thread slowed by another
    process does not hold the others up. Each thread runs in a copy of the
    caller's context, so that settings such as ``np.errstate`` hold there as
    they do in the caller.

    Whatever is raised, in a thread or in the caller (``KeyboardInterrupt``),
    reaches the caller only after every thread has stopped: no thread touches
    the arrays once this has returned or raised. A piece is always run in
    full, so each element is either done or not.
    """
    if _WORKERS == 1 or len(pieces) < 2 or sum(p.size for p in pieces) < _MIN_PARALLEL:
        return [function(piece) for piece in pieces]
    results: list[Any] = [None] * len(pieces)
    taken = iter(range(len(pieces)))
    lock = threading.Lock()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            with lock:
                index = next(taken, None)
            if index is None:
                return
            try:
                results[index] = function(pieces[index])
            except BaseException:
                stop.set()
                raise

    pool = _threads()
    helpers: list[Future[None]] = []
    try:
        for _ in range(_WORKERS - 1):
            helpers.append(pool.submit(contextvars.copy_context().run, work))
        work()
        for helper in helpers:
            helper.result()
    except BaseException:
        stop.set()
        _wait_for(helpers)
        raise
    return results


def _wait_for(futures: Sequence[Future[Any]]) -> None:
    """Wait until no future runs; a second interrupt does not cut the wait short."""
    while True:
        try:
            wait(futures)
        except BaseException:  # the first exception is the one raised
            continue
        return


def _threads() -> ThreadPoolExecutor:
    global _pool  # one pool per process, made on first use
    if _pool is None:
        _pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="gradclip")
    return _pool


def _forget_threads() -> None:
    """A forked child has none of its parent's threads: make a new pool there."""
    global _pool  # see _threads
    _pool = None


os.register_at_fork(after_in_child=_forget_threads)
