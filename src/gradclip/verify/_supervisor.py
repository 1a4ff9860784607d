"""Run invariants in a worker process, replaced whenever it hangs or dies.

``gradclip verify`` cannot be fooled or wedged by what it checks: an
implementation that exits, crashes or hangs takes down its worker only. An
invariant that runs past its time limit is a failure (timeout), one whose
worker died is a failure naming the exit status, and the next invariant
runs in a new worker.
"""

import contextlib
import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from gradclip.verify._target import UsageError
from gradclip.verify._worker import Request, serve
from gradclip.verify.conventions import Kind

__all__ = ["Died", "Supervisor", "TimedOut"]

_CONTEXT = multiprocessing.get_context("spawn")
"""A fresh interpreter for each worker: forking a process whose thread pools
have run can deadlock the child."""


class TimedOut(Exception):
    """The worker gave no outcome within the time limit."""


class Died(Exception):
    """The worker ended without an outcome."""


class Supervisor:
    """One worker for one implementation, restarted after a timeout or a death.

    Attributes:
        convention: the detected convention's name, description and notes.
    """

    def __init__(self, target: str, kind: Kind, form: str | None, timeout: float):
        self._arguments = (target, kind, form)
        self._timeout = timeout
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self.convention: dict[str, Any] = {}
        self._start()

    def _start(self) -> None:
        """Start a worker and wait for it to load the target and detect its form.

        Raises:
            UsageError: the target cannot be loaded, no convention works, or
                the worker ended or hung while trying.
        """
        ours, theirs = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=serve, args=(theirs, *self._arguments), daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        target = self._arguments[0]
        try:
            kind, payload = self._receive(self._timeout)
        except TimedOut:
            self.close()
            raise UsageError(
                f"{target}: loading it and detecting its calling convention took "
                f"over {self._timeout:g} s (see --timeout)"
            ) from None
        except Died as died:
            self.close()
            raise UsageError(f"{target}: {died} while being loaded") from None
        if kind == "usage":
            self.close()
            raise UsageError(payload)
        self.convention = payload

    def _receive(self, timeout: float) -> tuple[str, Any]:
        assert self._connection is not None, "the worker is running"
        assert self._process is not None, "the worker is running"
        if not self._connection.poll(timeout):
            raise TimedOut
        try:
            message: tuple[str, Any] = self._connection.recv()
        except (EOFError, OSError):
            self._process.join(1)
            status = self._process.exitcode
            raise Died(f"the process ended (exit status {status})") from None
        return message

    def run(
        self, request: Request, on_progress: Callable[[int], None]
    ) -> dict[str, Any]:
        """Check one invariant in the worker and return its outcome's fields.

        Raises:
            TimedOut: no outcome within the time limit; a new worker is started.
            Died: the worker ended; a new worker is started.
        """
        assert self._connection is not None
        deadline = time.monotonic() + self._timeout
        try:
            self._connection.send(request)
            while True:
                kind, payload = self._receive(max(0.0, deadline - time.monotonic()))
                if kind == "progress":
                    on_progress(payload)
                    continue
                result: dict[str, Any] = payload
                return result
        except (TimedOut, Died, BrokenPipeError, EOFError) as error:
            self.close()
            self._start()
            if isinstance(error, TimedOut | Died):
                raise
            raise Died("the process ended") from None

    def close(self) -> None:
        """Stop the worker."""
        if self._connection is not None:
            with contextlib.suppress(OSError, ValueError):  # it may have gone
                self._connection.send(None)
            self._connection.close()
        if self._process is not None:
            self._process.join(0.5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
        self._process = self._connection = None
