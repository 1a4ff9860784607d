"""Search each invariant for a failing case with Hypothesis, outside pytest.

Each case is judged by :func:`gradclip.verify.evaluate`; a failing one is
shrunk by Hypothesis to a minimal one, which is what the report shows. An
implementation whose verdict on a case changes between calls is reported as
flaky, with the first failure kept. Cases the implementation does not
support are rejected; when every case is, the invariant is skipped.

References:
    Hypothesis, ``given`` and ``settings``:
    https://hypothesis.readthedocs.io/en/latest/reference/api.html
"""

import time
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.errors import Flaky

from gradclip.verify._invariant import ImplT, Invariant
from gradclip.verify.conventions import Convention, detect
from gradclip.verify.evaluation import CaseResult, evaluate, format_error

__all__ = ["Outcome", "Status", "ordinary_note", "run_invariant", "run_invariants"]

Status = Literal["PASS", "FAIL", "SKIP"]


@dataclass(frozen=True)
class Outcome:
    """The result of checking one invariant.

    Attributes:
        invariant: the invariant checked.
        seconds: how long the search took.
        counterexample: the minimal failing case, as it was before the call;
            None unless it failed.
        error: what the check said about that case (expected and got);
            None unless it failed.
        status: PASS, FAIL or SKIP.
        examples: how many cases were tried.
        reason: why it was skipped; None unless it was.
        flaky: whether a failing case passed when tried again.
        warnings: each distinct warning raised, with how often.
        note: ``"fails on ordinary input too: see <name>"`` for a robust
            failure whose property fails on ordinary input as well.
    """

    invariant: Invariant[Any, Any]
    seconds: float
    counterexample: str | None = None
    error: str | None = None
    status: Status = "PASS"
    examples: int = 0
    reason: str | None = None
    flaky: bool = False
    warnings: tuple[tuple[str, int], ...] = ()
    note: str | None = None

    @property
    def passed(self) -> bool:
        """Whether no failing case was found (skipped counts as not failed)."""
        return self.status != "FAIL"


class _Failed(Exception):
    """Raised inside the search on a failing case, for Hypothesis to shrink."""


@dataclass
class _Search:
    examples: int = 0
    rejected: int = 0
    reason: str | None = None
    first: CaseResult | None = None
    last: CaseResult | None = None
    last_case: Any = None
    warnings: Counter[str] = field(default_factory=Counter)

    def record(self, result: CaseResult, case: Any) -> None:
        self.examples += 1
        self.warnings.update(result.warnings)
        if result.status == "unsupported":
            self.rejected += 1
            self.reason = self.reason or result.error
        elif result.failed:
            self.first = self.first or result
            self.last, self.last_case = result, case


_REPLAYS = 2
"""How many more times the minimal failing case is tried, to tell flaky."""


def _seed_for(run_seed: int, name: str) -> int:
    """Each invariant's own seed, so that ``--only NAME`` replays its cases."""
    return run_seed ^ zlib.crc32(name.encode())


def run_invariant(
    invariant: Invariant[Any, Any],
    convention: Convention,
    *,
    max_examples: int,
    run_seed: int | None = None,
    derandomize: bool = False,
    shrink: bool = True,
    on_example: Callable[[int], None] = lambda examples: None,
) -> Outcome:
    """Search one invariant for a failing case and return its outcome.

    Args:
        invariant: the property to check.
        convention: the implementation, as detected.
        max_examples: how many cases to try (at most ``invariant.max_examples``).
        run_seed: the run's seed; None for a random one.
        derandomize: draw the same cases on every run, whatever the seed.
        shrink: shrink a failing case to a minimal one (slower).
        on_example: called with the number of cases tried after each one.
    """
    started = time.perf_counter()
    reason = convention.missing(invariant.needs)
    if reason is not None:
        return Outcome(invariant, 0.0, status="SKIP", reason=reason)
    search = _Search()

    def check(case: Any) -> None:
        result = evaluate(invariant, convention, case)
        search.record(result, case)
        on_example(search.examples)
        if result.failed:
            raise _Failed(result.error)

    budget = min(max_examples, invariant.max_examples or max_examples)
    test = settings(
        max_examples=budget,
        database=None,
        deadline=None,
        derandomize=derandomize,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
    )(given(invariant.cases)(check))
    if run_seed is not None and not derandomize:
        test = seed(_seed_for(run_seed, invariant.name))(test)
    flaky = False
    failure: CaseResult | None = None
    try:
        test()
    except _Failed:
        failure = search.last
        # Hypothesis replays the minimal case once; a verdict that changes
        # on further calls is flaky too.
        for _ in range(_REPLAYS):
            if not evaluate(invariant, convention, search.last_case).failed:
                flaky, failure = True, search.first
                break
    except Flaky:
        flaky, failure = True, search.first
    except Exception as error:  # the search itself broke, on the case it was trying
        failure = search.first or CaseResult(
            "fail", f"the search failed: {format_error(error)}"
        )
    outcome = Outcome(
        invariant,
        time.perf_counter() - started,
        examples=search.examples,
        warnings=tuple(search.warnings.most_common()),
    )
    if failure is not None:
        return replace(
            outcome,
            status="FAIL",
            counterexample=failure.counterexample,
            error=failure.error,
            flaky=flaky,
        )
    if search.rejected and search.rejected == search.examples:
        return replace(outcome, status="SKIP", reason=search.reason)
    return outcome


def ordinary_note(
    invariant: Invariant[Any, Any], failed: Collection[str]
) -> str | None:
    """The note for a failure whose property fails on ordinary input too."""
    for name in invariant.ordinary:
        if name in failed:
            return f"fails on ordinary input too: see {name}"
    return None


def run_invariants(
    invariants: Iterable[Invariant[ImplT, Any]],
    implementation: ImplT | Convention,
    *,
    max_examples: int,
    derandomize: bool = False,
    shrink: bool = True,
    run_seed: int | None = None,
    on_start: Callable[[Invariant[ImplT, Any]], None] = lambda invariant: None,
) -> Iterator[Outcome]:
    """Check each invariant in turn, yielding its outcome as soon as it is known.

    Args:
        invariants: the invariants to check, of one kind.
        implementation: the implementation, whose calling convention is
            detected, or a convention already detected.
        max_examples: how many cases to try per invariant before passing it.
        derandomize: draw the same cases on every run.
        shrink: shrink a failing case to a minimal one (slower); without it
            the first failing case found is reported.
        run_seed: the run's seed; None for a random one.
        on_start: called with each invariant before its search begins.

    Yields:
        One outcome per invariant, in order.

    Raises:
        ConventionError: no calling convention works for the implementation.
    """
    convention: Convention | None = (
        implementation if isinstance(implementation, Convention) else None
    )
    failed: set[str] = set()
    for invariant in invariants:
        if convention is None:
            convention = detect(invariant.kind, implementation)
        on_start(invariant)
        outcome = run_invariant(
            invariant,
            convention,
            max_examples=max_examples,
            run_seed=run_seed,
            derandomize=derandomize,
            shrink=shrink,
        )
        if not outcome.passed:
            failed.add(invariant.name)
            note = ordinary_note(invariant, failed)
            if note is not None:
                outcome = replace(outcome, note=note)
        yield outcome
