"""Properties of clipping by global norm: thin wrappers over gradclip.verify.

Each test draws the invariant's own cases and runs its check on the
implementation chosen with ``--clip-impl`` (gradclip's ``clip_grads`` by
default). Each docstring states the property.
"""

import sys

import numpy as np
from hypothesis import example, given, note

from gradclip.verify import CLIP_INVARIANTS, Convention, GradsCase
from gradclip.verify._grads import arrays_of
from gradclip.verify._oracle import exact_norm, show
from gradclip.verify.evaluation import check_case

INVARIANTS = {invariant.name: invariant for invariant in CLIP_INVARIANTS}


def _check(name: str, clip_impl: Convention, case: GradsCase) -> None:
    arrays = arrays_of(case)
    small = sum(array.size for array in arrays) < 10_000  # the oracle is slow
    if small and all(np.isfinite(array).all() for array in arrays):
        note(f"exact norm before clipping: {show(exact_norm(arrays))}")
    note(f"case: {case!r}")
    check_case(INVARIANTS[name], clip_impl, case)


@given(case=INVARIANTS["norm_bound"].cases)
def test_norm_bound(clip_impl: Convention, case: GradsCase) -> None:
    """After clipping, the norm is at most max_norm (up to rounding)."""
    _check("norm_bound", clip_impl, case)


@given(case=INVARIANTS["clip_to_bound"].cases)
@example(  # norm + 1e-6 is exactly 1.0
    case=GradsCase(threshold=0.5, grads={"W": np.array([0.999999])})
)
def test_clip_to_bound(clip_impl: Convention, case: GradsCase) -> None:
    """A norm n above max_norm ends in [max_norm * n / (n + 1e-6), max_norm]."""
    _check("clip_to_bound", clip_impl, case)


@given(case=INVARIANTS["direction_preserved"].cases)
def test_direction_preserved(clip_impl: Convention, case: GradsCase) -> None:
    """Every array becomes the original times one common factor c in (0, 1]."""
    _check("direction_preserved", clip_impl, case)


@given(case=INVARIANTS["in_place_identity"].cases)
def test_in_place_identity(clip_impl: Convention, case: GradsCase) -> None:
    """The dict keeps its keys and array objects, whose views see the new values."""
    _check("in_place_identity", clip_impl, case)


@given(case=INVARIANTS["noop_below_threshold"].cases)
def test_noop_below_threshold(clip_impl: Convention, case: GradsCase) -> None:
    """When norm + 1e-6 <= max_norm, every array stays bit-identical."""
    _check("noop_below_threshold", clip_impl, case)


@given(case=INVARIANTS["exact_returned_norm"].cases)
def test_exact_returned_norm(clip_impl: Convention, case: GradsCase) -> None:
    """A returned number is the norm before clipping, to 1e-12 (1e-6 below float64)."""
    _check("exact_returned_norm", clip_impl, case)


@given(case=INVARIANTS["returned_norm_at_extremes"].cases)
def test_returned_norm_at_extremes(clip_impl: Convention, case: GradsCase) -> None:
    """From subnormals to values whose squares overflow, a returned norm is exact."""
    _check("returned_norm_at_extremes", clip_impl, case)


@given(case=INVARIANTS["order_independence"].cases)
def test_order_independence(clip_impl: Convention, case: GradsCase) -> None:
    """Clipping the same arrays under reversed key order gives the same result."""
    _check("order_independence", clip_impl, case)


@given(case=INVARIANTS["scale_equivariance"].cases)
def test_scale_equivariance(clip_impl: Convention, case: GradsCase) -> None:
    """Scaling gradients and max_norm by 2**k scales the result by 2**k."""
    _check("scale_equivariance", clip_impl, case)


@given(case=INVARIANTS["clipping_at_extremes"].cases)
@example(  # a norm beyond float64 once zeroed float16 arrays
    case=GradsCase(
        threshold=1.5e308,
        grads={"a": np.array(1.0, np.float16), "b": np.array([1.5e308, 1.5e308])},
    )
)
@example(  # float32 squares overflow: the seed's norm becomes inf
    case=GradsCase(threshold=5.0, grads={"W": np.array([1e20, 1e20], np.float32)})
)
@example(  # subnormal norm: exact only to 2**-1074
    case=GradsCase(threshold=1.0, grads={"A": np.array([5e-324, 5e-324])})
)
def test_clipping_at_extremes(clip_impl: Convention, case: GradsCase) -> None:
    """From subnormals to values whose squares overflow, clipping stays correct."""
    _check("clipping_at_extremes", clip_impl, case)


@given(case=INVARIANTS["threshold_beyond_float64"].cases)
@example(  # 5 * 10**308 became inf: a norm of 1e309 stayed unclipped
    case=GradsCase(threshold=5 * 10**308, grads={"huge": np.full(10000, 1e307)})
)
def test_threshold_beyond_float64(clip_impl: Convention, case: GradsCase) -> None:
    """A max_norm beyond float64 (int, Fraction, longdouble) is exact, or refused."""
    _check("threshold_beyond_float64", clip_impl, case)


@given(case=INVARIANTS["odd_layouts"].cases)
def test_odd_layouts(clip_impl: Convention, case: GradsCase) -> None:
    """Strided, transposed, Fortran-order, 0-d and empty arrays clip correctly."""
    _check("odd_layouts", clip_impl, case)


@given(case=INVARIANTS["rounded_once"].cases)
def test_rounded_once(clip_impl: Convention, case: GradsCase) -> None:
    """Each float16 element becomes x * c rounded once, for one factor c."""
    _check("rounded_once", clip_impl, case)


@given(case=INVARIANTS["scaled_per_element"].cases)
def test_scaled_per_element(clip_impl: Convention, case: GradsCase) -> None:
    """Each element becomes x * c within one ulp, for one factor c, at any scale."""
    _check("scaled_per_element", clip_impl, case)


@given(case=INVARIANTS["zero_threshold"].cases)
def test_zero_threshold(clip_impl: Convention, case: GradsCase) -> None:
    """With max_norm=0, every element becomes zero, whatever the norm."""
    _check("zero_threshold", clip_impl, case)


@given(case=INVARIANTS["complex_arrays"].cases)
@example(  # |z| taken in complex64 overflowed: finite gradients were refused
    case=GradsCase(threshold=1.0, grads={"z": np.array([3e38 + 3e38j], np.complex64)})
)
def test_complex_arrays(clip_impl: Convention, case: GradsCase) -> None:
    """Complex arrays clip with |z| as the magnitude of each element."""
    _check("complex_arrays", clip_impl, case)


@given(case=INVARIANTS["large_arrays"].cases)
def test_large_arrays(clip_impl: Convention, case: GradsCase) -> None:
    """Millions of elements clip as a few do: to the bound, by one factor."""
    _check("large_arrays", clip_impl, case)


@given(case=INVARIANTS["aliasing_counted_once"].cases)
def test_aliasing_counted_once(clip_impl: Convention, case: GradsCase) -> None:
    """An array under two keys is counted once in the norm and scaled once."""
    _check("aliasing_counted_once", clip_impl, case)


@given(case=INVARIANTS["partial_overlap"].cases)
def test_partial_overlap(clip_impl: Convention, case: GradsCase) -> None:
    """Views sharing some elements are refused, naming both, or each counts once."""
    _check("partial_overlap", clip_impl, case)


@given(case=INVARIANTS["nonfinite_untouched"].cases)
def test_nonfinite_untouched(clip_impl: Convention, case: GradsCase) -> None:
    """Gradients holding NaN or inf are left bit-identical, raising or not."""
    _check("nonfinite_untouched", clip_impl, case)


@given(case=INVARIANTS["nonfinite_named"].cases)
def test_nonfinite_named(clip_impl: Convention, case: GradsCase) -> None:
    """An error for NaN or inf names every key holding them, and no other key."""
    _check("nonfinite_named", clip_impl, case)


@given(case=INVARIANTS["bad_input_atomic"].cases)
def test_bad_input_atomic(clip_impl: Convention, case: GradsCase) -> None:
    """Bad input raises TypeError or ValueError, as fits it, and changes nothing."""
    _check("bad_input_atomic", clip_impl, case)


@given(case=INVARIANTS["errors_name_culprit"].cases)
def test_errors_name_culprit(clip_impl: Convention, case: GradsCase) -> None:
    """The error for bad input names the argument or key at fault and what it got."""
    _check("errors_name_culprit", clip_impl, case)


def test_every_clip_invariant_has_a_property() -> None:
    """Each invariant of the package is wrapped here, under its own name."""
    module = sys.modules[__name__]
    missing = [name for name in INVARIANTS if not hasattr(module, f"test_{name}")]
    assert not missing, f"invariants without a property test: {missing}"
