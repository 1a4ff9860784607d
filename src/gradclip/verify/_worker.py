"""The process that runs an implementation for ``gradclip verify``.

The command starts one worker per kind, in a fresh interpreter (``spawn``:
no fork of a process whose thread pools may be running). The worker imports
the implementation, detects its calling convention and then checks one
invariant per request, sending progress and the outcome back through a
pipe. Whatever the implementation does (exits, hangs, crashes), only the
worker suffers: the command replaces it and goes on.
"""

import os
import time
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from typing import Any

from gradclip.verify._target import UsageError, convention_for
from gradclip.verify.conventions import ConventionError, Kind

__all__ = ["Request", "serve"]

_PROGRESS_SECONDS = 0.25
"""How often progress is sent while an invariant runs."""


@dataclass(frozen=True)
class Request:
    """Check one invariant: its name and the run's settings."""

    name: str
    max_examples: int
    run_seed: int
    derandomize: bool


def serve(connection: Connection, target: str, kind: Kind, form: str | None) -> None:
    """Load ``target``, detect its convention, then check invariants on request.

    Sends ``("usage", message)`` and returns if the target cannot be used;
    otherwise ``("ready", convention)`` with the convention's name,
    description and notes, then for each request ``("progress", examples)``
    messages and one ``("outcome", fields)``. The implementation's own
    output is discarded, so that it cannot garble the report.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    from gradclip.verify._suites import find
    from gradclip.verify.runner import run_invariant

    try:
        convention = convention_for(target, kind, form)
    except (UsageError, ConventionError, ValueError) as error:
        connection.send(("usage", str(error)))
        return
    connection.send(
        (
            "ready",
            {
                "name": convention.name,
                "description": convention.description,
                "notes": list(convention.notes),
            },
        )
    )
    while True:
        request: Request | None = connection.recv()
        if request is None:
            return
        sent = time.monotonic()

        def progress(examples: int) -> None:
            nonlocal sent
            if time.monotonic() - sent >= _PROGRESS_SECONDS:
                connection.send(("progress", examples))
                sent = time.monotonic()

        outcome = run_invariant(
            find(kind, request.name),
            convention,
            max_examples=request.max_examples,
            run_seed=request.run_seed,
            derandomize=request.derandomize,
            on_example=progress,
        )
        sent_fields: dict[str, Any] = {
            field.name: getattr(outcome, field.name)
            for field in fields(outcome)
            if field.name != "invariant"
        }
        connection.send(("outcome", sent_fields))
