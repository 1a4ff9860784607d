"""The norm's temporaries stay within ``CHUNK`` elements per thread."""

import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

import gradclip._parallel as parallel
from gradclip import clip_grads, global_norm
from gradclip._norms import CHUNK
from gradclip._typing import GradArray


def _unaligned(size: int) -> GradArray:
    buffer = bytearray(8 * size + 1)
    array = np.frombuffer(buffer, dtype=np.float64, offset=1, count=size)
    array[:] = 0.5
    assert not array.flags.aligned
    return array


def _peak(call: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    "function",
    [global_norm, lambda grads: clip_grads(grads, 1.0)],
    ids=["global_norm", "clip_grads"],
)
def test_regression_unaligned_arrays_keep_temporaries_to_a_chunk_per_thread(
    function: Callable[[list[GradArray]], object],
    workers: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unaligned slices went to BLAS whole, which copied 16 MiB per thread."""
    monkeypatch.setattr(parallel, "_WORKERS", workers)
    monkeypatch.setattr(parallel, "_pool", None)
    grads = [_unaligned(5 << 20)]  # above the size at which threads start
    bound = workers * CHUNK * 8 + 64 * 1024  # one float64 chunk per thread
    assert _peak(lambda: function(grads)) <= bound
