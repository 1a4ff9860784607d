"""gradclip's invariants as tests in your own pytest suite, one test per invariant.

Needs the ``hypothesis`` extra (``pip install 'gradclip[hypothesis]'``) and
pytest. Give a kind and your implementation; every invariant of that kind
becomes one test, with an id such as ``clip-core-norm_bound`` that
``pytest -k`` selects::

    from gradclip.testing import parametrize_with_invariants
    from mylib import clip_grads

    @parametrize_with_invariants("clip", clip_grads)
    def test_clip_grads(check):
        check()

Each ``check()`` is a Hypothesis search under the active profile
(``max_examples``, ``derandomize``, ``--hypothesis-seed``, the database), the
same invariants and checks that ``gradclip verify`` runs. A failure shows the
shrunk case's arrays and what the check expected and got. Deadlines and the
health checks for slow or large cases are off: the exact oracle is slow by
design, and a correct implementation must not fail for it. Deliberate
deviations are declared with ``expected_failures={name: reason}`` and run as
strict expected failures, so an unexpected pass is reported.

References:
    scikit-learn, ``sklearn.utils.estimator_checks.parametrize_with_checks``:
    https://scikit-learn.org/stable/modules/generated/sklearn.utils.estimator_checks.parametrize_with_checks.html
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis.errors import Unsatisfiable

from gradclip.verify import Convention, Invariant, Kind, Unsupported, detect
from gradclip.verify._suites import SUITES
from gradclip.verify._target import UsageError, load
from gradclip.verify.evaluation import check_case

__all__ = [
    "InvariantCheck",
    "Kind",
    "TierChoice",
    "invariant_checks",
    "invariant_names",
    "load_implementation",
    "parametrize_with_invariants",
]

TierChoice = Literal["core", "return", "robust", "all"]
"""``core``: the seed's contract on ordinary inputs; ``return``: a returned
norm, which the seed's contract does not ask for; ``robust``: the rest;
``all``: every tier."""

_TIERS: dict[str, tuple[str, ...]] = {
    "core": ("core",),
    "return": ("return",),
    "robust": ("robust",),
    "all": ("core", "return", "robust"),
}
# Cases whose exact oracle is slow, or whose arrays are large, are the point
# of some invariants: failing a correct implementation for them would be a
# false alarm. Cases the implementation does not support are rejected, and
# may be most of them.
_SUPPRESSED = (
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
)


@dataclass(frozen=True)
class InvariantCheck:
    """One invariant of one implementation, checked when called.

    Attributes:
        invariant: the invariant checked.
        convention: the implementation, in the calling convention that
            ``gradclip verify`` detects for it.
        examples: cases always checked before the drawn ones.
    """

    invariant: Invariant[Any, Any]
    convention: Convention
    examples: tuple[Any, ...] = field(default=())

    @property
    def kind(self) -> Kind:
        """What the implementation is."""
        return self.invariant.kind

    @property
    def implementation(self) -> Any:
        """The implementation as given."""
        return self.convention.implementation

    @property
    def id(self) -> str:
        """The test id: kind, tier and name, as ``clip-core-norm_bound``."""
        return f"{self.kind}-{self.invariant.tier}-{self.invariant.name}"

    def __call__(self) -> None:
        """Search for a case that fails; raise on the shrunk one.

        Each case is judged as ``gradclip verify`` judges it
        (``gradclip.verify.evaluate``): warnings never fail a case, and a case
        the implementation does not support is rejected; when every case is,
        the test is skipped with the reason.

        Raises:
            AssertionError: what the check expected and got, on the minimal
                failing case Hypothesis found.
        """
        __tracebackhide__ = True  # pytest shows the check's frames, not these
        invariant, convention = self.invariant, self.convention
        unsupported: list[str] = []

        def test(case: Any) -> None:
            __tracebackhide__ = True
            try:
                check_case(invariant, convention, case)
            except Unsupported as error:
                unsupported.append(error.reason)
                reject()

        test.__name__ = test.__qualname__ = invariant.name
        search = given(case=invariant.cases)(test)
        # One example database key per invariant and implementation, as
        # Hypothesis's own pytest plugin gives each parametrized test.
        key = f"{self.id} {_name(self.implementation)}".encode()
        search.hypothesis.inner_test._hypothesis_internal_add_digest = key  # type: ignore[attr-defined]  # Hypothesis reads it when hashing the test
        for case in reversed(self.examples):
            search = example(case=case)(search)
        current = settings()  # the active profile's settings
        budget = min(current.max_examples, invariant.max_examples or 1 << 62)
        try:
            settings(
                current,
                max_examples=budget,
                deadline=None,
                suppress_health_check=(*current.suppress_health_check, *_SUPPRESSED),
            )(search)()
        except Unsatisfiable:
            if not unsupported:
                raise  # rejected by the strategy, not by the implementation
            pytest.skip(f"{invariant.name}: {unsupported[-1]}")

    def __repr__(self) -> str:
        return f"InvariantCheck({self.id!r}, {_name(self.implementation)})"


def _name(implementation: object) -> str:
    module = getattr(implementation, "__module__", None) or "?"
    return f"{module}:{getattr(implementation, '__qualname__', repr(implementation))}"


def invariant_names(kind: Kind) -> list[str]:
    """The names of the invariants of ``kind``, core tier first.

    Raises:
        ValueError: an unknown kind.
    """
    _check_kind(kind)
    return [invariant.name for invariant in SUITES[kind]]


def _check_kind(kind: object) -> None:
    if kind not in SUITES:
        raise ValueError(f"kind must be one of {list(SUITES)}, got kind={kind!r}")


def invariant_checks(
    kind: Kind,
    implementation: Any,
    *,
    tier: TierChoice = "all",
    expected_failures: Mapping[str, str] | None = None,
    examples: Mapping[str, Sequence[Any]] | None = None,
    form: str | None = None,
) -> list[pytest.ParameterSet]:
    """Return one ``pytest.param`` per invariant, for ``metafunc.parametrize``.

    Args:
        kind: what the implementation is.
        implementation: the function or class to check.
        tier: ``core``, ``robust`` or ``all``.
        expected_failures: invariant names, each with the reason your
            implementation deliberately fails it; those run as strict xfails.
        examples: invariant names, each with cases to check every run, such
            as the counterexample of a bug you fixed.
        form: the calling convention's name (``gradclip verify --form``),
            instead of detecting it.

    Returns:
        The checks, each with its id; declared deviations carry a strict
        xfail mark, and invariants that the convention does not offer (a
        returned norm, say) a skip mark with the reason.

    Raises:
        ValueError: an unknown kind, tier or form, or a name that is no
            invariant of the kind.
        TypeError: a reason that is not a non-empty string.
        gradclip.verify.ConventionError: no calling convention works for the
            implementation; its message lists each attempt.
    """
    _check_kind(kind)
    if tier not in _TIERS:
        raise ValueError(f"tier must be one of {list(_TIERS)}, got tier={tier!r}")
    invariants = SUITES[kind]
    failures = _by_name("expected_failures", expected_failures, kind, invariants)
    pinned = _by_name("examples", examples, kind, invariants)
    for name, reason in failures.items():
        if not isinstance(reason, str) or not reason.strip():
            raise TypeError(
                f"expected_failures[{name!r}] must be a reason, a non-empty str, "
                f"got {reason!r}"
            )
    convention = detect(kind, implementation, form=form)
    params = []
    for invariant in invariants:
        if invariant.tier not in _TIERS[tier]:
            continue
        check = InvariantCheck(
            invariant, convention, tuple(pinned.get(invariant.name, ()))
        )
        marks = []
        missing = convention.missing(invariant.needs)
        if missing is not None:
            marks.append(pytest.mark.skip(reason=f"{invariant.name}: {missing}"))
        reason = failures.get(invariant.name)
        if reason is not None:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        params.append(pytest.param(check, id=check.id, marks=marks))
    return params


def _by_name(
    argument: str,
    mapping: Mapping[str, Any] | None,
    kind: str,
    invariants: tuple[Invariant[Any, Any], ...],
) -> Mapping[str, Any]:
    """Check that ``mapping`` names only invariants of ``kind``."""
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise TypeError(
            f"{argument} must be a mapping of invariant names, got {mapping!r}"
        )
    names = [invariant.name for invariant in invariants]
    unknown = [name for name in mapping if name not in names]
    if unknown:
        raise ValueError(
            f"{argument} must name {kind} invariants, got {unknown!r}; "
            f"the {kind} invariants are {names}"
        )
    return mapping


def parametrize_with_invariants(
    kind: Kind,
    implementation: Any,
    *,
    tier: TierChoice = "all",
    expected_failures: Mapping[str, str] | None = None,
    examples: Mapping[str, Sequence[Any]] | None = None,
    form: str | None = None,
) -> pytest.MarkDecorator:
    """Make the decorated test run once per invariant, with its ``check``.

    Arguments as for :func:`invariant_checks`.

    Example:
        >>> from gradclip import clip_grads
        >>> @parametrize_with_invariants("clip", clip_grads, tier="core")
        ... def test_clip_grads(check):
        ...     check()
    """
    checks = invariant_checks(
        kind,
        implementation,
        tier=tier,
        expected_failures=expected_failures,
        examples=examples,
        form=form,
    )
    return pytest.mark.parametrize("check", checks)


def load_implementation(target: str) -> Any:
    """Import ``MODULE:ATTR`` as ``gradclip verify`` does, for a pytest option.

    Raises:
        pytest.UsageError: the target is malformed, cannot be imported, or is
            not callable.
    """
    try:
        return load(target)
    except UsageError as error:
        raise pytest.UsageError(str(error)) from None
