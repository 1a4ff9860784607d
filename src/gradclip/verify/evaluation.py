"""Evaluate one case of one invariant: the single policy every route shares.

``gradclip verify``, ``run_invariants`` and the pytest kit all judge a case
with :func:`evaluate`, so that they give the same verdicts on the same
cases: warnings raised during the call are counted, never turned into
failures (nor let through to a caller that turns them into errors); any
exception but ``KeyboardInterrupt``, ``SystemExit`` included, is a failure
with its type and message; ``Unsupported`` rejects the case; and the case is
put back as it was before the call, entries and array contents, so that the
counterexample shown is the input the implementation was given.
"""

import dataclasses
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np

from gradclip.verify._invariant import Invariant
from gradclip.verify.conventions import Convention, Unsupported

__all__ = ["CaseResult", "check_case", "evaluate", "format_error"]

CaseT = TypeVar("CaseT")

_SHOWN_ELEMENTS = 64
"""Arrays larger than this are summarised in counterexamples and messages."""


@dataclass(frozen=True)
class CaseResult:
    """The verdict on one case.

    Attributes:
        status: ``"pass"``, ``"fail"``, or ``"unsupported"`` when the case
            does not apply to the implementation (rejected, not failed).
        error: on failure, the error's type and message; when unsupported,
            the reason; otherwise None.
        counterexample: on failure, the case as it was before the call.
        warnings: each warning raised during the call, as ``"Category: message"``.
    """

    status: Literal["pass", "fail", "unsupported"]
    error: str | None = None
    counterexample: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """Whether the implementation violated the property on this case."""
        return self.status == "fail"


def format_error(error: BaseException) -> str:
    """An exception as ``Type: message``, saying what ``SystemExit`` means."""
    message = str(error).strip() or "(no message)"
    if isinstance(error, SystemExit):
        return f"SystemExit: {message} (the implementation called sys.exit)"
    return f"{type(error).__name__}: {message}"


def evaluate(
    invariant: Invariant[Any, CaseT], convention: Convention, case: CaseT
) -> CaseResult:
    """Check one case of ``invariant`` on the implementation of ``convention``.

    Args:
        invariant: the property to check.
        convention: the implementation, as detected by
            ``gradclip.verify.detect``.
        case: one of ``invariant.cases``.

    Returns:
        The verdict; the case is as it was before the call.

    Raises:
        KeyboardInterrupt: only that is let through.
    """
    reason = convention.missing(invariant.needs)
    if reason is not None:
        return CaseResult("unsupported", error=reason)
    with (
        warnings.catch_warnings(record=True) as caught,
        np.printoptions(threshold=_SHOWN_ELEMENTS, edgeitems=3),
    ):
        warnings.simplefilter("always")
        with _kept(case):
            try:
                invariant.check(convention.adapted, case)
            except Unsupported as unsupported:
                status: Literal["pass", "fail", "unsupported"] = "unsupported"
                error: str | None = unsupported.reason
            except KeyboardInterrupt:
                raise
            except BaseException as raised:  # SystemExit too: the implementation's
                status, error = "fail", format_error(raised)
            else:
                status, error = "pass", None
        counterexample = repr(case) if status == "fail" else None
    shown = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
    return CaseResult(status, error, counterexample, shown)


@contextmanager
def _kept(case: object) -> Iterator[None]:
    """Put the case's dicts and arrays back as they were, whatever happens.

    Walks the case's dataclass fields: a dict gets its entries back, an
    array (also one in a dict) its contents.
    """
    values = (
        [getattr(case, f.name) for f in dataclasses.fields(case)]
        if dataclasses.is_dataclass(case)
        else [case]
    )
    entries = [(value, dict(value)) for value in values if isinstance(value, dict)]
    arrays: dict[int, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}
    for value in [*values, *(v for _, saved in entries for v in saved.values())]:
        if isinstance(value, np.ndarray) and id(value) not in arrays:
            arrays[id(value)] = (value, value.copy())
    try:
        yield
    finally:
        for mapping, saved in entries:
            mapping.clear()
            mapping.update(saved)
        for array, copy in arrays.values():
            if array.flags.writeable:
                np.copyto(array, copy)


def check_case(
    invariant: Invariant[Any, CaseT], convention: Convention, case: CaseT
) -> None:
    """Judge one case with :func:`evaluate` and raise on anything but a pass.

    For test suites: a failure becomes one ``AssertionError`` with the error
    and the case as it was before the call; a warning never fails a case.

    Raises:
        AssertionError: the implementation violates the property on ``case``.
        Unsupported: the case does not apply to the implementation.
    """
    result = evaluate(invariant, convention, case)
    if result.status == "unsupported":
        raise Unsupported(result.error or "not applicable")
    if result.failed:
        # A failed assertion is raised as one: its type need not be said twice.
        error = (result.error or "").removeprefix("AssertionError: ")
        raise AssertionError(
            f"{error}\ncounterexample, as it was before the call: "
            f"{result.counterexample}"
        )
