"""Properties of clipping shards by a global norm: wrappers over gradclip.verify.

Each test draws the invariant's own cases and runs its check on the
implementation chosen with ``--shard-impl`` (gradclip's
``clip_grads_with_norm`` by default). Each docstring states the property.
"""

import sys

from hypothesis import given, note

from gradclip.verify import SHARD_INVARIANTS, Convention, GradsCase
from gradclip.verify.evaluation import check_case

INVARIANTS = {invariant.name: invariant for invariant in SHARD_INVARIANTS}


def _check(name: str, shard_impl: Convention, case: GradsCase) -> None:
    note(f"case: {case!r}")
    check_case(INVARIANTS[name], shard_impl, case)


@given(case=INVARIANTS["shards_clip_as_whole"].cases)
def test_shards_clip_as_whole(shard_impl: Convention, case: GradsCase) -> None:
    """Shards clipped with their global norm end as the whole clipped at once."""
    _check("shards_clip_as_whole", shard_impl, case)


@given(case=INVARIANTS["bad_total_norm_atomic"].cases)
def test_bad_total_norm_atomic(shard_impl: Convention, case: GradsCase) -> None:
    """A negative, NaN or infinite total_norm raises, naming it, and changes nothing."""
    _check("bad_total_norm_atomic", shard_impl, case)


@given(case=INVARIANTS["shard_bad_input_atomic"].cases)
def test_shard_bad_input_atomic(shard_impl: Convention, case: GradsCase) -> None:
    """Bad input raises TypeError or ValueError, as fits it, and changes nothing."""
    _check("shard_bad_input_atomic", shard_impl, case)


@given(case=INVARIANTS["shard_errors_name_culprit"].cases)
def test_shard_errors_name_culprit(shard_impl: Convention, case: GradsCase) -> None:
    """The error for bad input names the argument or key at fault and what it got."""
    _check("shard_errors_name_culprit", shard_impl, case)


def test_every_shard_invariant_has_a_property() -> None:
    """Each invariant of the package is wrapped here, under its own name."""
    module = sys.modules[__name__]
    missing = [name for name in INVARIANTS if not hasattr(module, f"test_{name}")]
    assert not missing, f"invariants without a property test: {missing}"
