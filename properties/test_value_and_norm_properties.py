"""Properties of element-wise clipping and of the global norm.

Thin wrappers over gradclip.verify, run on the implementations chosen with
``--value-impl`` and ``--norm-impl`` (gradclip's ``clip_grads_value`` and
``global_norm`` by default). Each docstring states the property.
"""

import sys

import numpy as np
from hypothesis import example, given, note

from gradclip.verify import NORM_INVARIANTS, VALUE_INVARIANTS, Convention, GradsCase
from gradclip.verify.evaluation import check_case

VALUE = {invariant.name: invariant for invariant in VALUE_INVARIANTS}
NORM = {invariant.name: invariant for invariant in NORM_INVARIANTS}


@given(case=VALUE["elements_clipped"].cases)
@example(  # 0.30004 rounds up in float16: the bound must round down
    case=GradsCase(threshold=0.30004, grads={"a": np.array([0.31], np.float16)})
)
def test_value_elements_clipped(value_impl: Convention, case: GradsCase) -> None:
    """Elements within clip_value stay bit-identical; the rest become +-clip_value."""
    note(f"case: {case!r}")
    check_case(VALUE["elements_clipped"], value_impl, case)


@given(case=VALUE["in_place_identity"].cases)
def test_value_in_place_identity(value_impl: Convention, case: GradsCase) -> None:
    """The dict keeps its keys and array objects, whose views see the new values."""
    check_case(VALUE["in_place_identity"], value_impl, case)


@given(case=VALUE["idempotent"].cases)
def test_value_idempotent(value_impl: Convention, case: GradsCase) -> None:
    """Clipping twice gives bit-identically what clipping once gives."""
    check_case(VALUE["idempotent"], value_impl, case)


@given(case=VALUE["odd_layouts"].cases)
def test_value_odd_layouts(value_impl: Convention, case: GradsCase) -> None:
    """Strided, transposed, Fortran-order, 0-d and empty arrays clip correctly."""
    note(f"case: {case!r}")
    check_case(VALUE["odd_layouts"], value_impl, case)


@given(case=VALUE["bound_beyond_float64"].cases)
@example(  # 10**400 became inf, which left inf elements unclipped
    case=GradsCase(threshold=10**400, grads={"a": np.array([np.inf, -np.inf, 1.0])})
)
def test_value_bound_beyond_float64(value_impl: Convention, case: GradsCase) -> None:
    """A clip_value beyond float64 clips inf to the dtype's max, or is refused."""
    note(f"case: {case!r}")
    check_case(VALUE["bound_beyond_float64"], value_impl, case)


@given(case=VALUE["bad_input_atomic"].cases)
def test_value_bad_input_atomic(value_impl: Convention, case: GradsCase) -> None:
    """Bad input raises TypeError or ValueError, as fits it, and changes nothing."""
    check_case(VALUE["bad_input_atomic"], value_impl, case)


@given(case=VALUE["errors_name_culprit"].cases)
def test_value_errors_name_culprit(value_impl: Convention, case: GradsCase) -> None:
    """The error for bad input names the argument or key at fault and what it got."""
    check_case(VALUE["errors_name_culprit"], value_impl, case)


@given(case=NORM["exact"].cases)
def test_norm_exact(norm_impl: Convention, case: GradsCase) -> None:
    """The norm equals the exact one within 1e-12 (1e-6 below float64)."""
    check_case(NORM["exact"], norm_impl, case)


@given(case=NORM["inputs_untouched"].cases)
def test_norm_inputs_untouched(norm_impl: Convention, case: GradsCase) -> None:
    """Computing the norm leaves every array bit-identical."""
    check_case(NORM["inputs_untouched"], norm_impl, case)


@given(case=NORM["read_only_inputs"].cases)
def test_norm_read_only_inputs(norm_impl: Convention, case: GradsCase) -> None:
    """Read-only arrays are accepted, and their norm is exact."""
    check_case(NORM["read_only_inputs"], norm_impl, case)


@given(case=NORM["exact_at_extremes"].cases)
@example(  # |z| taken in complex128 overflowed to inf
    case=GradsCase(threshold=1.0, grads={"z": np.array([1.5e308 + 1.5e308j, 1e-300j])})
)
def test_norm_exact_at_extremes(norm_impl: Convention, case: GradsCase) -> None:
    """From subnormals to values whose squares overflow, the norm stays exact."""
    note(f"case: {case!r}")
    check_case(NORM["exact_at_extremes"], norm_impl, case)


@given(case=NORM["odd_layouts"].cases)
def test_norm_odd_layouts(norm_impl: Convention, case: GradsCase) -> None:
    """Strided, transposed, Fortran-order, 0-d and empty arrays count exactly."""
    check_case(NORM["odd_layouts"], norm_impl, case)


@given(case=NORM["aliasing_counted_once"].cases)
def test_norm_aliasing_counted_once(norm_impl: Convention, case: GradsCase) -> None:
    """An array under two keys is counted once."""
    check_case(NORM["aliasing_counted_once"], norm_impl, case)


@given(case=NORM["nonfinite_propagates"].cases)
def test_norm_nonfinite_propagates(norm_impl: Convention, case: GradsCase) -> None:
    """A NaN element makes the norm NaN; otherwise an infinite one makes it inf."""
    check_case(NORM["nonfinite_propagates"], norm_impl, case)


@given(case=NORM["p_norms"].cases)
@example(  # |z| rounded to a complex64 subnormal: 29% off for p=1
    case=GradsCase(
        threshold=1.0, grads={"z": np.array([1.4e-45 + 1.4e-45j], np.complex64)}
    )
)
def test_norm_p_norms(norm_impl: Convention, case: GradsCase) -> None:
    """With norm_type=p for p in 1, 3 and inf, the norm is the exact p-norm."""
    note(f"case: {case!r}")
    check_case(NORM["p_norms"], norm_impl, case)


def test_every_value_and_norm_invariant_has_a_property() -> None:
    """Each invariant of the package is wrapped here, under its own name."""
    module = sys.modules[__name__]
    names = [f"test_value_{n}" for n in VALUE] + [f"test_norm_{n}" for n in NORM]
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"invariants without a property test: {missing}"
