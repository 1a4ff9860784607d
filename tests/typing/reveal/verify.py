"""The types of gradclip.verify's invariants, runner and outcomes."""

from collections.abc import Callable, Iterator
from typing import Any, Literal, assert_type

from gradclip import TwoLayerNet, clip_grads
from gradclip.verify import (
    CLIP_INVARIANTS,
    NET_INVARIANTS,
    NORM_INVARIANTS,
    SHARD_INVARIANTS,
    VALUE_INVARIANTS,
    ClipFunction,
    GradsCase,
    Invariant,
    NetFactory,
    NetProblem,
    NormFunction,
    Outcome,
    ShardFunction,
    Tier,
    ValueFunction,
    run_invariants,
)

assert_type(CLIP_INVARIANTS, tuple[Invariant[ClipFunction, GradsCase], ...])
assert_type(VALUE_INVARIANTS, tuple[Invariant[ValueFunction, GradsCase], ...])
assert_type(NORM_INVARIANTS, tuple[Invariant[NormFunction, GradsCase], ...])
assert_type(SHARD_INVARIANTS, tuple[Invariant[ShardFunction, GradsCase], ...])
assert_type(NET_INVARIANTS, tuple[Invariant[NetFactory, NetProblem], ...])

first = CLIP_INVARIANTS[0]
assert_type(first.name, str)
assert_type(first.tier, Tier)
assert_type(first.tier, Literal["core", "robust"])
assert_type(first.statement, str)
assert_type(first.check, Callable[[ClipFunction, GradsCase], None])

outcomes = run_invariants(CLIP_INVARIANTS, clip_grads, max_examples=1)
assert_type(outcomes, Iterator[Outcome])
assert_type(
    run_invariants(NET_INVARIANTS, TwoLayerNet, max_examples=1), Iterator[Outcome]
)
outcome = next(outcomes)
assert_type(outcome.passed, bool)
assert_type(outcome.counterexample, str | None)
assert_type(outcome.error, str | None)
assert_type(outcome.seconds, float)
assert_type(outcome.invariant, Invariant[Any, Any])

case = GradsCase(grads={}, threshold=1.0)
assert_type(case.grads, dict[str, Any])
