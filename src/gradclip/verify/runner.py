"""Run invariants against an implementation with Hypothesis, outside pytest.

Each invariant is searched with ``hypothesis.find`` for a case that the
implementation fails; Hypothesis then shrinks it to a minimal one, which is
what the report shows.

References:
    Hypothesis, ``find``: https://hypothesis.readthedocs.io/en/latest/reference/api.html
"""

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample

from gradclip.verify._invariant import ImplT, Invariant

__all__ = ["Outcome", "run_invariants"]


@dataclass(frozen=True)
class Outcome:
    """The result of checking one invariant.

    Attributes:
        invariant: the invariant checked.
        seconds: how long the search took.
        counterexample: the minimal failing case, shown; None when it passed.
        error: what the check said about that case; None when it passed.
    """

    invariant: Invariant[Any, Any]
    seconds: float
    counterexample: str | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        """Whether no failing case was found."""
        return self.counterexample is None


def run_invariants(
    invariants: Iterable[Invariant[ImplT, Any]],
    implementation: ImplT,
    *,
    max_examples: int,
    derandomize: bool = False,
    shrink: bool = True,
    on_start: Callable[[Invariant[ImplT, Any]], None] = lambda invariant: None,
) -> Iterator[Outcome]:
    """Check each invariant in turn, yielding its outcome as soon as it is known.

    Args:
        invariants: the invariants to check.
        implementation: what their checks are called with.
        max_examples: how many cases to try per invariant before passing it.
        derandomize: draw the same cases on every run.
        shrink: shrink a failing case to a minimal one (slower); without it
            the first failing case found is reported.
        on_start: called with each invariant before its search begins.

    Yields:
        One outcome per invariant, in order.
    """
    search = settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=derandomize,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
    )
    for invariant in invariants:
        on_start(invariant)
        started = time.perf_counter()

        def fails(case: object, invariant: Invariant[Any, Any] = invariant) -> bool:
            return _failure(invariant, implementation, case) is not None

        try:
            case = find(invariant.cases, fails, settings=search)
        except NoSuchExample:
            yield Outcome(invariant, time.perf_counter() - started)
            continue
        yield Outcome(
            invariant,
            time.perf_counter() - started,
            counterexample=repr(case),
            error=_failure(invariant, implementation, case),
        )


def _failure(
    invariant: Invariant[Any, Any], implementation: object, case: object
) -> str | None:
    """Return what went wrong when checking ``case``, or None if nothing did."""
    try:
        invariant.check(implementation, case)
    except Exception as error:  # any exception is a failure to report
        message = str(error).strip() or "(no message)"
        return f"{type(error).__name__}: {message}"
    return None
