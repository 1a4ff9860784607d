"""Run invariants in worker processes, each replaced whenever it hangs or dies.

``gradclip verify`` cannot be fooled or wedged by what it checks: an
implementation that exits, crashes or hangs takes down its worker only. An
invariant that runs past its time limit is a failure (timeout), one whose
worker died is a failure naming the exit status, and the next invariant
runs in a new worker. Several workers check invariants side by side, one
per core by default.
"""

import contextlib
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from gradclip.verify._target import UsageError
from gradclip.verify._worker import Request, serve
from gradclip.verify.conventions import Kind

__all__ = ["Died", "Pool", "TimedOut"]

_CONTEXT = multiprocessing.get_context("spawn")
"""A fresh interpreter for each worker: forking a process whose thread pools
have run can deadlock the child."""


class TimedOut(Exception):
    """The worker gave no outcome within the time limit."""


class Died(Exception):
    """The worker ended without an outcome."""


class _Worker:
    """One worker process and the request it is running, if any."""

    def __init__(self, arguments: tuple[str, Kind, str | None]) -> None:
        ours, theirs = _CONTEXT.Pipe()
        self.process: BaseProcess = _CONTEXT.Process(
            target=serve, args=(theirs, *arguments), daemon=True
        )
        self.process.start()
        theirs.close()
        self.connection: Connection = ours
        self.job: int | None = None
        self.deadline = 0.0

    def receive(self, timeout: float) -> tuple[str, Any]:
        """The next message, waiting at most ``timeout`` seconds."""
        if not self.connection.poll(timeout):
            raise TimedOut
        try:
            message: tuple[str, Any] = self.connection.recv()
        except (EOFError, OSError):
            self.process.join(1)
            raise Died(
                f"the process ended (exit status {self.process.exitcode})"
            ) from None
        return message

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # it may have gone
            self.connection.send(None)
        self.connection.close()
        self.process.join(0.2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


class Pool:
    """Workers for one implementation, restarted after a timeout or a death.

    Attributes:
        convention: the detected convention's name, description and notes.
    """

    def __init__(
        self, target: str, kind: Kind, form: str | None, timeout: float, jobs: int
    ) -> None:
        """Start ``jobs`` workers, each loading the target and detecting its form.

        Raises:
            UsageError: the target cannot be loaded, no convention works, or
                a worker ended or hung while trying.
        """
        self._arguments = (target, kind, form)
        self._timeout = timeout
        self._workers = [_Worker(self._arguments) for _ in range(jobs)]
        self.convention: dict[str, Any] = {}
        try:
            for worker in self._workers:
                self.convention = self._ready(worker)
        except UsageError:
            self.close()
            raise

    def _ready(self, worker: _Worker) -> dict[str, Any]:
        target = self._arguments[0]
        try:
            kind, payload = worker.receive(self._timeout)
        except TimedOut:
            raise UsageError(
                f"{target}: loading it and detecting its calling convention took "
                f"over {self._timeout:g} s (see --timeout)"
            ) from None
        except Died as died:
            raise UsageError(f"{target}: {died} while being loaded") from None
        if kind == "usage":
            raise UsageError(payload)
        convention: dict[str, Any] = payload
        return convention

    def _replace(self, worker: _Worker) -> _Worker:
        worker.close()
        new = _Worker(self._arguments)
        self._ready(new)
        self._workers[self._workers.index(worker)] = new
        return new

    def run(
        self,
        requests: Sequence[Request],
        on_progress: Callable[[str, int], None],
    ) -> Iterator[tuple[int, dict[str, Any] | Exception]]:
        """Check each request's invariant; yield its index and outcome as each ends.

        The outcome is the fields the worker sent, or ``TimedOut``, ``Died``
        or ``UsageError`` (a worker that could not be restarted).
        """
        waiting = list(range(len(requests)))
        busy: list[_Worker] = []
        while waiting or busy:
            for worker in self._workers:
                if worker.job is None and waiting:
                    worker.job = waiting.pop(0)
                    worker.deadline = time.monotonic() + self._timeout
                    # A worker found dead here is reported on receiving.
                    with contextlib.suppress(OSError, ValueError):
                        worker.connection.send(requests[worker.job])
                    busy.append(worker)
            soonest = min(w.deadline for w in busy) - time.monotonic()
            readable = wait([w.connection for w in busy], max(0.0, soonest))
            for worker in list(busy):
                job = worker.job
                assert job is not None, "a busy worker has a job"
                result: dict[str, Any] | Exception | None = None
                if worker.connection in readable:
                    try:
                        kind, payload = worker.receive(0)
                    except Died as died:
                        result = died
                    else:
                        if kind == "progress":
                            on_progress(requests[job].name, payload)
                            continue
                        result = payload
                elif time.monotonic() >= worker.deadline:
                    result = TimedOut()
                if result is None:
                    continue
                busy.remove(worker)
                worker.job = None
                if isinstance(result, Exception):
                    try:
                        self._replace(worker)
                    except UsageError as error:
                        result = error
                yield job, result

    def close(self) -> None:
        """Stop every worker."""
        for worker in self._workers:
            worker.close()
        self._workers = []
