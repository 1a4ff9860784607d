"""The types of gradclip.verify's invariants, runner and outcomes."""

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, assert_type

from gradclip import TwoLayerNet, clip_grads
from gradclip.verify import (
    CLIP_INVARIANTS,
    CLIP_PREFLIGHT,
    NET_INVARIANTS,
    NET_PREFLIGHT,
    NORM_INVARIANTS,
    NORM_PREFLIGHT,
    SHARD_INVARIANTS,
    SHARD_PREFLIGHT,
    VALUE_INVARIANTS,
    VALUE_PREFLIGHT,
    CaseResult,
    ClipFunction,
    Convention,
    ConventionError,
    Form,
    GradsCase,
    Invariant,
    Kind,
    NetFactory,
    NetProblem,
    NormFunction,
    Outcome,
    ShardFunction,
    Status,
    Tier,
    Unsupported,
    ValueFunction,
    detect,
    evaluate,
    register,
    run_invariant,
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
assert_type(first.tier, Literal["core", "return", "robust"])
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

assert_type(CLIP_PREFLIGHT, Invariant[ClipFunction, GradsCase])
assert_type(VALUE_PREFLIGHT, Invariant[ValueFunction, GradsCase])
assert_type(NORM_PREFLIGHT, Invariant[NormFunction, GradsCase])
assert_type(SHARD_PREFLIGHT, Invariant[ShardFunction, GradsCase])
assert_type(NET_PREFLIGHT, Invariant[NetFactory, NetProblem])
assert_type(first.kind, Kind)
assert_type(first.needs, frozenset[str])
assert_type(first.ordinary, tuple[str, ...])
assert_type(first.max_examples, int | None)

convention = detect("clip", clip_grads)
assert_type(convention, Convention)
assert_type(detect("net", TwoLayerNet, form="labels"), Convention)
assert_type(convention.kind, Kind)
assert_type(convention.name, str)
assert_type(convention.description, str)
assert_type(convention.adapted, Any)
assert_type(convention.offers, frozenset[str])
assert_type(convention.lacks, Mapping[str, str])
assert_type(convention.notes, tuple[str, ...])
assert_type(convention.missing(first.needs), str | None)

assert_type(evaluate(first, convention, case), CaseResult)
result = evaluate(first, convention, case)
assert_type(result.status, Literal["pass", "fail", "unsupported"])
assert_type(result.error, str | None)
assert_type(result.counterexample, str | None)
assert_type(result.warnings, tuple[str, ...])
assert_type(result.failed, bool)

assert_type(run_invariant(first, convention, max_examples=1), Outcome)
single = run_invariant(first, convention, max_examples=1, run_seed=0)
assert_type(single.status, Status)
assert_type(single.status, Literal["PASS", "FAIL", "SKIP"])
assert_type(single.reason, str | None)
assert_type(single.flaky, bool)
assert_type(single.examples, int)
assert_type(single.note, str | None)
assert_type(single.warnings, tuple[tuple[str, int], ...])

assert_type(Form("clip", "mine", "in place on mine", lambda impl: impl), Form)
form = Form("clip", "mine", "in place on my container", lambda impl: impl)
assert_type(form.wrap, Callable[[Any], Any])
assert_type(form.offers, frozenset[str])
assert_type(register(form), None)
assert_type(Unsupported("no float16").reason, str)
assert_type(
    ConventionError("clip", [("dict", "TypeError")]).attempts,
    tuple[tuple[str, str], ...],
)
