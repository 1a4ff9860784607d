"""An interrupted clip: what it may leave, and that it writes nothing afterwards.

A ``KeyboardInterrupt`` can stop a clip part way; what it must not do is
leave an element anything but as it was or scaled by the one factor, or let
a thread of the call write after the exception has reached the caller (who
may be restoring a backup). The check times one whole call, then interrupts
the main thread from a timer at fractions of that time into the call; it
applies only where the check itself runs in the main thread, the one Python
delivers interrupts to, and where SIGINT raises ``KeyboardInterrupt``. The
cases are a few arrays of millions of elements, so that an implementation's
threads are busy when the interrupt comes.
"""

import _thread
import signal
import threading
import time
from typing import Any

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from gradclip.verify._grads import EPS, GradsCase, arrays_of, float_norm, restored

__all__ = ["FRACTIONS", "interrupt_cases", "interrupt_leaves_no_late_writes"]

FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)
"""When the interrupt arrives, as fractions of an uninterrupted call's time."""

_SETTLE = 0.1
"""Seconds to watch the arrays after the call has returned or raised."""

_ENDS = 4096
"""Last elements of each array compared first: the last to be written."""


def interrupt_leaves_no_late_writes(function: Any, case: GradsCase) -> None:
    """Interrupted, a clip leaves elements kept or scaled, and writes no more after.

    Each element is as it was or scaled by one factor, and nothing changes
    after the call has returned or raised."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        return
    with restored(case):
        start = time.perf_counter()
        function(case.grads, case.threshold)
        whole = time.perf_counter() - start
    for delay in (whole * fraction for fraction in FRACTIONS):
        with restored(case) as before:
            _interrupted(function, case, delay)
            after = arrays_of(case)
            # The ends first, at once: a full copy takes long enough for a
            # late thread to finish.
            ends = [array.flat[-_ENDS:] for array in after]
            settled = [array.copy() for array in after]
            time.sleep(_SETTLE)
            for key, end, old, new in zip(
                case.grads, ends, settled, after, strict=True
            ):
                assert end.tobytes() == new.flat[-_ENDS:].tobytes(), (
                    f"grads[{key!r}] changed after the interrupted call had "
                    f"raised or returned (interrupt {delay * 1e3:.3g} ms in)"
                )
                assert old.tobytes() == new.tobytes(), (
                    f"grads[{key!r}] changed after the interrupted call had "
                    f"raised or returned (interrupt {delay * 1e3:.3g} ms in)"
                )
            _assert_scaled_or_kept(case, before, after)


@st.composite
def interrupt_cases(draw: st.DrawFn) -> GradsCase:
    """Draw two float32 arrays of 2 to 4 million elements (together past the
    size at which gradclip shares a pass among threads), C-ordered or every
    other element of a base, and a threshold that clips them."""
    values = st.floats(-1e3, 1e3, width=32, allow_subnormal=False)
    grads: dict[str, NDArray[Any]] = {}
    for i in range(2):
        pattern = np.array(draw(st.lists(values, min_size=1, max_size=8)), np.float32)
        size = draw(st.integers(1 << 21, 1 << 22))
        if draw(st.booleans()):
            grads[f"strided{i}"] = np.resize(pattern, 2 * size)[::2]
        else:
            grads[f"contiguous{i}"] = np.resize(pattern, size)
    norm = float_norm(grads.values())
    fraction = draw(st.floats(0.1, 0.9))
    return GradsCase(grads=grads, threshold=norm * fraction if norm else 1.0)


def _interrupted(function: Any, case: GradsCase, delay: float) -> None:
    """Call the clip with an interrupt due after ``delay``; absorb the interrupt."""
    timer = threading.Timer(delay, _interrupt_main)
    try:
        try:
            timer.start()
            function(case.grads, case.threshold)
        finally:
            timer.cancel()
            timer.join()  # a pending interrupt is raised here at the latest
    except KeyboardInterrupt:
        pass


def _interrupt_main() -> None:
    """Send the main thread a real SIGINT, as Ctrl-C does: it also cuts short a
    wait the main thread is blocked in, which ``_thread.interrupt_main`` does
    not."""
    if hasattr(signal, "pthread_kill"):
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
    else:
        _thread.interrupt_main()


def _assert_scaled_or_kept(
    case: GradsCase, before: list[NDArray[Any]], after: list[NDArray[Any]]
) -> None:
    """Each element is as it was, or x * c for a c the seed's eps allows."""
    norm = float_norm(before)
    if norm + EPS <= case.threshold:
        return
    least, most = case.threshold / (norm + EPS), case.threshold / norm
    for key, old, new in zip(case.grads, before, after, strict=True):
        wide, result = old.astype(np.float64), new.astype(np.float64)
        low = np.minimum(wide * least, wide * most)
        high = np.maximum(wide * least, wide * most)
        slack = 1e-6 * np.abs(wide) * most + 1e-38  # float32 rounding
        scaled = (result >= low - slack) & (result <= high + slack)
        bad = ~((result == wide) | scaled)
        assert not bad.any(), (
            f"grads[{key!r}] has elements neither as they were nor scaled by "
            f"one factor, e.g. {wide[bad][:3].tolist()} became "
            f"{result[bad][:3].tolist()}"
        )
