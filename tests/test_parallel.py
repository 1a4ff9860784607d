"""Sharing a pass among threads changes nothing but the time it takes."""

import _thread
import threading
import time

import numpy as np
import pytest
from numpy.typing import NDArray

import gradclip._parallel as parallel
from gradclip import clip_grads, global_norm
from gradclip._parallel import run_pieces, split
from gradclip._typing import GradArray


def _gradients() -> list[NDArray[np.floating]]:
    rng = np.random.default_rng(5)
    return [
        rng.standard_normal((300, 200)).astype(np.float32),
        rng.standard_normal(50_001),
        rng.standard_normal((150, 200))[:, ::2],
        rng.standard_normal(30_000) * 1e200,  # squares overflow: rescaled in a thread
        np.full(30_000, 1e-200),  # squares underflow
        np.asfortranarray(rng.standard_normal((100, 70))).astype(np.complex128),
    ]


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make small arrays take the threaded path, in pieces of 4096 elements."""
    monkeypatch.setattr("gradclip._norms.CHUNK", 2048)
    monkeypatch.setattr("gradclip._norms._VIEW_CHUNK", 4096)
    monkeypatch.setattr("gradclip.clipping._PIECE", 4096)
    monkeypatch.setattr(parallel, "_MIN_PARALLEL", 0)


@pytest.mark.usefixtures("small_pieces")
def test_parallel_results_do_not_depend_on_the_number_of_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = {}
    for workers in (1, 2, 3):
        monkeypatch.setattr(parallel, "_WORKERS", workers)
        grads = _gradients()
        total = clip_grads(grads, max_norm=1.0)
        results[workers] = (total, [g.tobytes() for g in grads])
    assert results[1] == results[2] == results[3]
    assert results[1][0] > 1e200


@pytest.mark.usefixtures("small_pieces")
def test_parallel_threads_keep_the_callers_errstate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Overflow in a thread's squares is expected there, not warned about."""
    monkeypatch.setattr(parallel, "_WORKERS", 2)
    huge = [np.full(20_000, 1e300), np.full(20_000, 1e300)]
    assert global_norm(huge) == pytest.approx(2e302, rel=1e-12)


def test_parallel_split_covers_every_element_once() -> None:
    arrays = _gradients()
    pieces = split(arrays, granule=1000)
    assert sum(piece.size for piece in pieces) == sum(a.size for a in arrays)
    assert all(piece.size <= 1000 for piece in pieces if piece.flags.c_contiguous)
    for piece in pieces:
        assert any(np.shares_memory(piece, array) for array in arrays)
    strided = arrays[2]
    assert any(piece is strided for piece in pieces)


def test_parallel_run_pieces_keeps_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_MIN_PARALLEL", 0)
    monkeypatch.setattr(parallel, "_WORKERS", 2)
    pieces = [np.full(3, float(i)) for i in range(20)]
    assert run_pieces(lambda piece: float(piece[0]), pieces) == list(range(20))


def test_parallel_forked_child_makes_a_new_pool() -> None:
    parallel._threads()
    assert parallel._pool is not None
    parallel._forget_threads()
    assert parallel._pool is None


def _threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_WORKERS", 2)
    monkeypatch.setattr(parallel, "_MIN_PARALLEL", 0)
    monkeypatch.setattr(parallel, "_pool", None)


def test_regression_no_thread_writes_after_an_interrupt_reached_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pool threads went on writing after the caller's KeyboardInterrupt."""
    _threaded(monkeypatch)
    written: list[int] = []

    def work(piece: GradArray) -> None:
        time.sleep(0.2)  # the interrupt arrives in the meantime
        written.append(int(piece[0]))

    pieces = [np.array([float(i)]) for i in range(8)]
    threading.Timer(0.1, _thread.interrupt_main).start()
    with pytest.raises(KeyboardInterrupt):
        run_pieces(work, pieces)
    at_raise = list(written)
    time.sleep(1.0)
    assert written == at_raise
    assert len(at_raise) < len(pieces)  # interrupted, not run to the end


def test_parallel_error_in_a_thread_waits_for_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _threaded(monkeypatch)
    finished: list[int] = []
    calls = iter(range(2))
    second = threading.Event()

    def work(piece: GradArray) -> None:
        if next(calls) == 0:
            second.wait()
            raise MemoryError("first piece")
        second.set()
        time.sleep(0.2)
        finished.append(int(piece[0]))

    with pytest.raises(MemoryError, match="first piece"):
        run_pieces(work, [np.array([0.0]), np.array([1.0])])
    assert len(finished) == 1
