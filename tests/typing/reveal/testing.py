"""The types of gradclip.testing's kit."""

from typing import Any, Literal, assert_type

import pytest

from gradclip import clip_grads
from gradclip.testing import (
    InvariantCheck,
    Kind,
    TierChoice,
    invariant_checks,
    invariant_names,
    load_implementation,
    parametrize_with_invariants,
)
from gradclip.verify import CLIP_INVARIANTS, Convention, Invariant, detect

assert_type(parametrize_with_invariants("clip", clip_grads), pytest.MarkDecorator)
assert_type(
    invariant_checks("clip", clip_grads, tier="core"), list[pytest.ParameterSet]
)
assert_type(invariant_names("net"), list[str])
assert_type(load_implementation("gradclip:clip_grads"), Any)


def options(kind: Kind, tier: TierChoice) -> None:
    # Through parameters: pyright narrows a variable to the literal assigned.
    assert_type(kind, Literal["clip", "value", "norm", "shard", "net"])
    assert_type(tier, Literal["core", "return", "robust", "all"])
    assert_type(tier, TierChoice)


check = InvariantCheck(CLIP_INVARIANTS[0], detect("clip", clip_grads))
assert_type(check, InvariantCheck)
assert_type(check.id, str)
assert_type(check.kind, Kind)
assert_type(check.invariant, Invariant[Any, Any])
assert_type(check.implementation, Any)
assert_type(check.examples, tuple[Any, ...])
assert_type(check.convention, Convention)
assert_type(check(), None)
