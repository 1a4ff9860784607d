"""The pytest route and ``gradclip verify`` give the same verdicts on the zoo.

Two comparisons, for every implementation in ``tests/zoo``:

- on the same cases: each invariant's cases are drawn once; the kit's
  ``check()`` runs on exactly those (``examples=``, under a profile of
  explicit examples only) inside this pytest run, whose config turns warnings
  into errors, and ``gradclip.verify.evaluate`` judges each of them as the
  command's search does. PASS, FAIL and SKIP must agree invariant by
  invariant.
- by search: the kit's ``check()`` under a derandomised profile and
  ``run_invariants`` (the command's search), which draw their cases
  independently, both fail the invariant that the zoo says catches each
  wrong implementation (in 200 cases).

On the same cases, the correct implementations pass (or skip, alike) every
core invariant.

The hostile implementations (``tests/zoo/hostile.py``: exiting, hanging,
flaky) are left to the command's worker process: the kit runs in the test's
own process, with no timeout of its own.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from tests.zoo import clippers, nets, reader_nets, readers

from gradclip.testing import InvariantCheck, Kind, invariant_checks
from gradclip.verify import Invariant, Unsupported, detect, evaluate, run_invariants

CASES = 4
"""Cases drawn per invariant for the comparison on the same cases."""

ZOO: list[tuple[Kind, Any, str | None]] = [
    *(("clip", clipper, None) for clipper in clippers.CORRECT + readers.CORRECT),
    *(("clip", clipper, name) for clipper, name in clippers.WRONG.items()),
    *(("clip", clipper, name) for clipper, name in readers.WRONG.items()),
    *(("net", net, None) for net in nets.CORRECT + reader_nets.CORRECT),
    *(("net", net, name) for net, name in nets.WRONG.items()),
    *(("net", net, name) for net, name in reader_nets.WRONG.items()),
]
"""Each implementation: its kind, and the invariant that catches it, if wrong."""


IDS = [
    f"{kind}-{impl.__module__.rpartition('.')[2]}.{impl.__name__}"
    + (f"-caught-by-{catching}" if catching else "")
    for kind, impl, catching in ZOO
]


def _compared(kind: Kind, implementation: Any, catching: str | None) -> list[str]:
    """The invariants compared: every core one, and the one that catches it;
    every one for the seed's formula, whose float16 and overflow warnings
    this run turns into errors unless the kit judges as verify does."""
    tier = "all" if implementation is clippers.seed_formula else "core"
    names = [c.invariant.name for c in _checks(kind, implementation, tier)]
    return names if catching is None or catching in names else [*names, catching]


def _checks(
    kind: Kind, implementation: Any, tier: str, **options: Any
) -> list[InvariantCheck]:
    params = invariant_checks(kind, implementation, tier="all", **options)
    return [
        p.values[0]
        for p in params
        if isinstance(p.values[0], InvariantCheck)
        and (tier == "all" or p.values[0].invariant.tier == tier)
    ]


def _skip_reason(kind: Kind, implementation: Any, name: str) -> str | None:
    """The kit's skip mark on the invariant's test, if it has one."""
    for param in invariant_checks(kind, implementation):
        check = param.values[0]
        if isinstance(check, InvariantCheck) and check.invariant.name == name:
            marks = [m for m in param.marks if m.name == "skip"]
            return str(marks[0].kwargs["reason"]) if marks else None
    raise KeyError(name)


def _drawn(invariant: Invariant[Any, Any]) -> list[Any]:
    """``CASES`` cases of the invariant, the same on every run."""
    cases: list[Any] = []

    @settings(
        max_examples=CASES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(invariant.cases)
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    return cases[:CASES]


@pytest.fixture
def profile() -> Iterator[Callable[..., None]]:
    """Load a profile of the given settings; the one before comes back after."""
    before = settings.get_current_profile_name()

    def load(**options: Any) -> None:
        settings.register_profile("zoo", database=None, **options)
        settings.load_profile("zoo")

    yield load
    settings.load_profile(before)


def _kit_verdict(check: InvariantCheck) -> str:
    """Run the kit's test body as pytest would, and read its outcome."""
    try:
        check()
    except pytest.skip.Exception:
        return "SKIP"
    except Exception:  # an AssertionError, or Hypothesis's group of failures
        return "FAIL"
    return "PASS"


def _verify_verdict(check: InvariantCheck, cases: list[Any]) -> str:
    """Judge the cases as the command's search does: FAIL on any failing
    case, SKIP when every case is unsupported or the invariant needs what the
    convention lacks."""
    if check.convention.missing(check.invariant.needs) is not None:
        return "SKIP"
    results = [evaluate(check.invariant, check.convention, case) for case in cases]
    if any(result.failed for result in results):
        return "FAIL"
    if all(result.status == "unsupported" for result in results):
        return "SKIP"
    return "PASS"


@pytest.mark.parametrize(("kind", "implementation", "catching"), ZOO, ids=IDS)
def test_same_verdicts_on_the_same_cases(
    kind: Kind,
    implementation: Any,
    catching: str | None,
    profile: Callable[..., None],
) -> None:
    names = _compared(kind, implementation, catching)
    cases = {
        c.invariant.name: _drawn(c.invariant)
        for c in _checks(kind, implementation, "all")
        if c.invariant.name in names
    }
    profile(phases=[Phase.explicit])
    checks = _checks(kind, implementation, "all", examples=cases)
    kit, verify = {}, {}
    for check in checks:
        name = check.invariant.name
        if name not in names:
            continue
        skipped = _skip_reason(kind, implementation, name) is not None
        kit[name] = "SKIP" if skipped else _kit_verdict(check)
        verify[name] = _verify_verdict(check, cases[name])
    assert kit == verify
    if catching is None:  # a functional form skips what needs clipping in place
        core = {kit[c.invariant.name] for c in _checks(kind, implementation, "core")}
        assert core <= {"PASS", "SKIP"}, kit


WRONG = [(kind, impl, catching) for kind, impl, catching in ZOO if catching]


@pytest.mark.parametrize(
    ("kind", "implementation", "catching"),
    WRONG,
    ids=[i for i, entry in zip(IDS, ZOO, strict=True) if entry[2]],
)
def test_same_verdicts_by_search(
    kind: Kind,
    implementation: Any,
    catching: str,
    profile: Callable[..., None],
) -> None:
    examples = 200
    profile(max_examples=examples, derandomize=True, phases=[Phase.generate])
    checks = [
        c for c in _checks(kind, implementation, "all") if c.invariant.name == catching
    ]
    kit = {c.invariant.name: _kit_verdict(c) for c in checks}
    outcomes = run_invariants(
        [c.invariant for c in checks],
        detect(kind, implementation),
        max_examples=examples,
        derandomize=True,
        shrink=False,
    )
    verify = {o.invariant.name: o.status for o in outcomes}
    assert kit == verify == {catching: "FAIL"}


def test_every_rejected_case_is_a_skip_on_both_routes(
    profile: Callable[..., None],
) -> None:
    """A clipper that supports no float16 skips rounded_once (float16 only)."""

    def no_half(grads: dict[str, Any], max_norm: float) -> float:
        if any(array.dtype == "float16" for array in grads.values()):
            raise Unsupported("no float16")
        return clippers.exact_formula(grads, max_norm)

    profile(max_examples=2, derandomize=True, phases=[Phase.generate])
    [check] = [
        c for c in _checks("clip", no_half, "all") if c.id.endswith("rounded_once")
    ]
    with pytest.raises(pytest.skip.Exception, match="rounded_once: no float16"):
        check()
    [outcome] = run_invariants([check.invariant], no_half, max_examples=2)
    assert (outcome.status, outcome.reason) == ("SKIP", "no float16")


def test_what_the_convention_lacks_is_skipped_on_both_routes() -> None:
    """A clipper that returns nothing has no returned norm to check."""
    reason = _skip_reason("clip", clippers.torch_formula, "exact_returned_norm")
    assert reason == "exact_returned_norm: returns no number"
    [invariant] = [
        c.invariant
        for c in _checks("clip", clippers.torch_formula, "all")
        if c.invariant.name == "exact_returned_norm"
    ]
    [outcome] = run_invariants([invariant], clippers.torch_formula, max_examples=5)
    assert (outcome.status, outcome.reason) == ("SKIP", "returns no number")
