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
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, example, given, note, settings

from gradclip.verify import (
    CLIP_INVARIANTS,
    NET_INVARIANTS,
    NORM_INVARIANTS,
    SHARD_INVARIANTS,
    VALUE_INVARIANTS,
    Invariant,
)
from gradclip.verify.command import UsageError, load

__all__ = [
    "InvariantCheck",
    "Kind",
    "TierChoice",
    "invariant_checks",
    "invariant_names",
    "load_implementation",
    "parametrize_with_invariants",
]

Kind = Literal["clip", "net", "value", "norm", "shard"]
"""What is checked: ``clip`` ``f(grads, max_norm)``, ``net`` a class with the
book's ``TwoLayerNet`` API, ``value`` ``f(grads, clip_value)``, ``norm``
``f(grads) -> float``, ``shard`` ``f(grads, max_norm, total_norm)``."""

TierChoice = Literal["core", "robust", "all"]
"""``core``: the seed's contract on ordinary inputs; ``robust``: the rest."""

_INVARIANTS: dict[str, tuple[Invariant[Any, Any], ...]] = {
    "clip": CLIP_INVARIANTS,
    "net": NET_INVARIANTS,
    "value": VALUE_INVARIANTS,
    "norm": NORM_INVARIANTS,
    "shard": SHARD_INVARIANTS,
}
_TIERS: dict[str, tuple[str, ...]] = {
    "core": ("core",),
    "robust": ("robust",),
    "all": ("core", "robust"),
}
# Cases whose exact oracle is slow, or whose arrays are large, are the point
# of some invariants: failing a correct implementation for them would be a
# false alarm.
_SUPPRESSED = (HealthCheck.too_slow, HealthCheck.data_too_large)


@dataclass(frozen=True)
class InvariantCheck:
    """One invariant of one implementation, checked when called.

    Attributes:
        kind: what the implementation is.
        invariant: the invariant checked.
        implementation: what its check is called with.
        examples: cases always checked before the drawn ones.
    """

    kind: Kind
    invariant: Invariant[Any, Any]
    implementation: Any
    examples: tuple[Any, ...] = ()

    @property
    def id(self) -> str:
        """The test id: kind, tier and name, as ``clip-core-norm_bound``."""
        return f"{self.kind}-{self.invariant.tier}-{self.invariant.name}"

    def __call__(self) -> None:
        """Search for a case that fails; raise the check's error on the shrunk one.

        Raises:
            AssertionError: or whatever the implementation raised, on the
                minimal failing case Hypothesis found.
        """
        __tracebackhide__ = True  # pytest shows the check's frames, not these
        invariant, implementation = self.invariant, self.implementation

        def test(case: Any) -> None:
            __tracebackhide__ = True
            note(f"case: {case!r}")
            invariant.check(implementation, case)

        test.__name__ = test.__qualname__ = invariant.name
        search = given(case=invariant.cases)(test)
        # One example database key per invariant and implementation, as
        # Hypothesis's own pytest plugin gives each parametrized test.
        key = f"{self.id} {_name(implementation)}".encode()
        search.hypothesis.inner_test._hypothesis_internal_add_digest = key  # type: ignore[attr-defined]  # Hypothesis reads it when hashing the test
        for case in reversed(self.examples):
            search = example(case=case)(search)
        current = settings()  # the active profile's settings
        settings(
            current,
            deadline=None,
            suppress_health_check=(*current.suppress_health_check, *_SUPPRESSED),
        )(search)()

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
    return [invariant.name for invariant in _INVARIANTS[kind]]


def _check_kind(kind: object) -> None:
    if kind not in _INVARIANTS:
        raise ValueError(f"kind must be one of {list(_INVARIANTS)}, got kind={kind!r}")


def invariant_checks(
    kind: Kind,
    implementation: Any,
    *,
    tier: TierChoice = "all",
    expected_failures: Mapping[str, str] | None = None,
    examples: Mapping[str, Sequence[Any]] | None = None,
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

    Returns:
        The checks, each with its id and, if declared, its xfail mark.

    Raises:
        ValueError: an unknown kind or tier, or a name that is no invariant
            of the kind.
        TypeError: a reason that is not a non-empty string.
    """
    _check_kind(kind)
    if tier not in _TIERS:
        raise ValueError(f"tier must be one of {list(_TIERS)}, got tier={tier!r}")
    invariants = _INVARIANTS[kind]
    failures = _by_name("expected_failures", expected_failures, kind, invariants)
    pinned = _by_name("examples", examples, kind, invariants)
    for name, reason in failures.items():
        if not isinstance(reason, str) or not reason.strip():
            raise TypeError(
                f"expected_failures[{name!r}] must be a reason, a non-empty str, "
                f"got {reason!r}"
            )
    params = []
    for invariant in invariants:
        if invariant.tier not in _TIERS[tier]:
            continue
        check = InvariantCheck(
            kind, invariant, implementation, tuple(pinned.get(invariant.name, ()))
        )
        reason = failures.get(invariant.name)
        marks = (
            () if reason is None else (pytest.mark.xfail(reason=reason, strict=True),)
        )
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
