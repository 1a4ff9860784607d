"""The shape every invariant has: a name, a tier, its cases, and a check."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from hypothesis import strategies as st

from gradclip.verify.conventions import Kind

__all__ = ["ImplT", "Invariant", "Tier", "invariant"]

Tier = Literal["core", "return", "robust"]
"""``core``: the seed's contract on ordinary inputs; ``return``: a returned
norm, which the seed's contract does not ask for; ``robust``: the rest."""

ImplT = TypeVar("ImplT")
CaseT = TypeVar("CaseT")


@dataclass(frozen=True)
class Invariant(Generic[ImplT, CaseT]):
    """A property that every correct implementation satisfies.

    Attributes:
        name: the check's name, used for test ids and report lines.
        kind: what it checks: ``clip``, ``value``, ``norm``, ``shard`` or ``net``.
        tier: ``core``, ``return`` or ``robust``.
        cases: the strategy that draws the cases to check.
        check: raises ``AssertionError`` when an implementation violates the
            property on a case; its docstring's first line states the property.
        needs: what the implementation's calling convention must offer for
            the check to apply (``"in place"``, ``"returned norm"``,
            ``"labels"``, ``"numerical_gradient"``); otherwise it is skipped.
        ordinary: the core invariants that check the same property on
            ordinary input: a robust failure says when one of them fails too.
        max_examples: at most this many cases, whatever the run asks for
            (cases of millions of elements); None for no limit.
    """

    name: str
    kind: Kind
    tier: Tier
    cases: st.SearchStrategy[CaseT]
    check: Callable[[ImplT, CaseT], None]
    needs: frozenset[str] = field(default_factory=frozenset)
    ordinary: tuple[str, ...] = ()
    max_examples: int | None = None

    @property
    def statement(self) -> str:
        """The property in one sentence."""
        return (self.check.__doc__ or self.name).strip().splitlines()[0]


def invariant(
    check: Callable[[ImplT, CaseT], None],
    kind: Kind,
    tier: Tier,
    cases: st.SearchStrategy[CaseT],
    *,
    needs: frozenset[str] = frozenset(),
    ordinary: tuple[str, ...] = (),
    max_examples: int | None = None,
) -> Invariant[ImplT, CaseT]:
    """Name an invariant after its check."""
    return Invariant(
        name=check.__name__,
        kind=kind,
        tier=tier,
        cases=cases,
        check=check,
        needs=needs,
        ordinary=ordinary,
        max_examples=max_examples,
    )
