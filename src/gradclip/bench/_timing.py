"""Median wall-clock times, measured side by side, and peak extra memory."""

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

__all__ = ["median_times", "peak_extra_bytes"]


def median_times(
    candidates: Mapping[str, Callable[[], object]],
    *,
    repeat: int,
    before: Callable[[], None] = lambda: None,
) -> dict[str, float]:
    """Return each candidate's median time in seconds over ``repeat`` runs.

    The candidates take turns within each repetition, starting one further
    along each time, so that a slow spell of a shared machine falls on all
    of them alike. ``before`` runs before every call, outside the timed
    region; the garbage collector is off while timing. Warming up is the
    caller's: a first call that checks the candidate's result.

    Args:
        candidates: the functions to time, by name.
        repeat: timed runs of each candidate, >= 1.
        before: restores the inputs that a candidate changes.

    Returns:
        The median time of each candidate, by name.
    """
    names = list(candidates)
    samples: dict[str, list[float]] = {name: [] for name in names}
    with _gc_disabled():
        for turn in range(repeat):
            shift = turn % len(names)
            for name in names[shift:] + names[:shift]:
                before()
                start = time.perf_counter()
                candidates[name]()
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(samples[name]) for name in names}


def peak_extra_bytes(call: Callable[[], object]) -> int:
    """Return the peak memory that ``call`` allocates beyond what it frees.

    NumPy reports its array buffers to ``tracemalloc``, so temporaries of
    any size are seen.
    """
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - start


@contextmanager
def _gc_disabled() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
