"""The shape every invariant has: a name, a tier, its cases, and a check."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from hypothesis import strategies as st

__all__ = ["ImplT", "Invariant", "Tier", "invariant"]

Tier = Literal["core", "robust"]
"""``core``: the seed's contract on ordinary inputs; ``robust``: the rest."""

ImplT = TypeVar("ImplT")
CaseT = TypeVar("CaseT")


@dataclass(frozen=True)
class Invariant(Generic[ImplT, CaseT]):
    """A property that every correct implementation satisfies.

    Attributes:
        name: the check's name, used for test ids and report lines.
        tier: ``core`` or ``robust``.
        cases: the strategy that draws the cases to check.
        check: raises ``AssertionError`` when an implementation violates the
            property on a case; its docstring's first line states the property.
    """

    name: str
    tier: Tier
    cases: st.SearchStrategy[CaseT]
    check: Callable[[ImplT, CaseT], None]

    @property
    def statement(self) -> str:
        """The property in one sentence."""
        return (self.check.__doc__ or self.name).strip().splitlines()[0]


def invariant(
    check: Callable[[ImplT, CaseT], None],
    tier: Tier,
    cases: st.SearchStrategy[CaseT],
) -> Invariant[ImplT, CaseT]:
    """Name an invariant after its check."""
    return Invariant(name=check.__name__, tier=tier, cases=cases, check=check)
