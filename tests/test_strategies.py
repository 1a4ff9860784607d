"""Tests that each strategy in gradclip.strategies honours its own arguments."""

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from numpy.typing import NDArray

from gradclip._typing import GradArray
from gradclip.strategies import (
    NetCase,
    gradient_arrays,
    gradient_dicts,
    gradient_lists,
    max_norms,
    net_cases,
    net_inputs,
    net_params,
    net_sizes,
    net_targets,
)

_SUPPORTED = (np.float16, np.float32, np.float64, np.complex64, np.complex128)
_REAL = _SUPPORTED[:3]

checked = settings(max_examples=30, deadline=None)
"""Enough examples to catch a broken promise, few enough to stay fast."""

_SEARCH = settings(max_examples=1000, phases=[Phase.generate], database=None)
"""Settings for :func:`_reaches`: generate until found, and skip shrinking."""


def _reaches(
    strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool]
) -> None:
    """Fail unless ``strategy`` can make a value satisfying ``condition``."""
    find(strategy, condition, settings=_SEARCH)


def _parts(a: NDArray[Any]) -> list[NDArray[Any]]:
    """Return the real parts of ``a``: itself, or its real and imaginary parts."""
    return [a.real, a.imag] if np.iscomplexobj(a) else [a]


def _is_subnormal(a: NDArray[Any]) -> bool:
    tiny = np.finfo(a.dtype).smallest_normal
    return any(bool(((p != 0) & (np.abs(p) < tiny)).any()) for p in _parts(a))


def _square_overflows(a: GradArray) -> bool:
    with np.errstate(over="ignore"):
        return bool(np.isinf(np.square(np.abs(a))).any())


def _has_alias(arrays: Sequence[GradArray]) -> bool:
    return len({id(a) for a in arrays}) < len(arrays)


def _call_id(call: tuple[Callable[..., Any], dict[str, Any], str]) -> str:
    function, kwargs, _ = call
    return f"{function.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"


_INVALID: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
    (gradient_arrays, {"dtypes": "float32"}, r"dtypes='float32'"),
    (gradient_arrays, {"dtypes": []}, r"dtypes=\[\]"),
    (gradient_arrays, {"dtypes": [np.int32]}, r"dtypes\[0\]=<class 'numpy.int32'>"),
    (gradient_arrays, {"dtypes": [np.float32, bool]}, r"dtypes\[1\]=<class 'bool'>"),
    (gradient_arrays, {"dtypes": [np.longdouble]}, r"dtypes\[0\]="),
    (gradient_arrays, {"dtypes": [">f8"]}, r"dtypes\[0\]='>f8'"),
    (gradient_arrays, {"dtypes": [None]}, r"dtypes\[0\]=None"),
    (gradient_arrays, {"dtypes": ["nonsense"]}, r"dtypes\[0\]='nonsense'"),
    (gradient_arrays, {"max_dims": -1}, r"max_dims=-1"),
    (gradient_arrays, {"max_dims": 33}, r"max_dims=33"),
    (gradient_arrays, {"max_dims": 2.0}, r"max_dims=2.0"),
    (gradient_arrays, {"max_side": -1}, r"max_side=-1"),
    (gradient_arrays, {"max_side": True}, r"max_side=True"),
    (gradient_arrays, {"min_magnitude": 0}, r"min_magnitude=0"),
    (gradient_arrays, {"min_magnitude": math.nan}, r"min_magnitude=nan"),
    (gradient_arrays, {"max_magnitude": math.inf}, r"max_magnitude=inf"),
    (gradient_arrays, {"max_magnitude": "1"}, r"max_magnitude='1'"),
    (
        gradient_arrays,
        {"min_magnitude": 2, "max_magnitude": 1},
        r"min_magnitude=2.0 is larger than max_magnitude=1.0",
    ),
    (gradient_arrays, {"min_magnitude": 1e-6}, r"smallest normal float16.*=1e-06"),
    (
        gradient_arrays,
        {"dtypes": [np.float64], "min_magnitude": 1e-320},
        r"smallest normal float64.*=1e-320",
    ),
    (gradient_arrays, {"max_magnitude": 1e3}, r"square is finite.*=1000.0"),
    (gradient_arrays, {"min_magnitude": 300}, r"square is finite.*=300"),
    (
        gradient_arrays,
        {"dtypes": [np.complex64], "max_magnitude": 1e20},
        r"largest float32 whose.*max_magnitude=1e\+20",
    ),
    (
        gradient_arrays,
        {"dtypes": [np.float16], "min_magnitude": 0.1, "max_magnitude": 0.1},
        r"no float16 magnitude lies between min_magnitude=0.1 and max_magnitude=0.1",
    ),
    (gradient_arrays, {"allow_subnormal": 1}, r"allow_subnormal=1"),
    (gradient_arrays, {"allow_huge": None}, r"allow_huge=None"),
    (gradient_arrays, {"allow_byteswapped": 1}, r"allow_byteswapped=1"),
    (gradient_arrays, {"allow_nan": "yes"}, r"allow_nan='yes'"),
    (gradient_arrays, {"allow_infinity": 0}, r"allow_infinity=0"),
    (gradient_arrays, {"allow_noncontiguous": 1.0}, r"allow_noncontiguous=1.0"),
    (
        gradient_dicts,
        {"min_size": 3, "max_size": 1},
        r"min_size=3 is larger than max_size=1",
    ),
    (gradient_dicts, {"min_size": -1}, r"min_size=-1"),
    (gradient_dicts, {"max_size": -1}, r"max_size=-1"),
    (gradient_dicts, {"min_size": 1.5}, r"min_size=1.5"),
    (gradient_dicts, {"keys": ["W1"]}, r"keys=\['W1'\]"),
    (gradient_dicts, {"arrays": np.zeros(2)}, r"arrays=array"),
    (gradient_dicts, {"allow_aliasing": "no"}, r"allow_aliasing='no'"),
    (gradient_dicts, {"allow_aliasing": True, "max_size": 1}, r"max_size=1"),
    (
        gradient_lists,
        {"min_size": 3, "max_size": 1},
        r"min_size=3 is larger than max_size=1",
    ),
    (gradient_lists, {"arrays": gradient_arrays}, r"arrays=<function"),
    (gradient_lists, {"allow_aliasing": True, "max_size": 0}, r"max_size=0"),
    (max_norms, {"min_value": -1.0}, r"min_value=-1.0"),
    (max_norms, {"min_value": math.nan}, r"min_value=nan"),
    (max_norms, {"max_value": math.inf}, r"max_value=inf"),
    (
        max_norms,
        {"min_value": 2, "max_value": 1},
        r"min_value=2.0 is larger than max_value=1.0",
    ),
    (max_norms, {"allow_infinity": 1}, r"allow_infinity=1"),
    (max_norms, {"allow_infinity": True, "max_value": 1.0}, r"max_value=1.0"),
    (max_norms, {"allow_beyond_float64": 1}, r"allow_beyond_float64=1"),
    (
        max_norms,
        {"allow_beyond_float64": True, "max_value": 1.0},
        r"allow_beyond_float64=True needs max_value=None",
    ),
    (net_sizes, {"min_size": 0}, r"min_size=0"),
    (
        net_sizes,
        {"min_size": 3, "max_size": 2},
        r"min_size=3 is larger than max_size=2",
    ),
    (
        net_params,
        {"input_size": 0, "hidden_size": 1, "output_size": 1},
        r"input_size=0",
    ),
    (
        net_params,
        {"input_size": 1, "hidden_size": -2, "output_size": 1},
        r"hidden_size=-2",
    ),
    (
        net_params,
        {"input_size": 1, "hidden_size": 1, "output_size": 1.0},
        r"output_size=1.0",
    ),
    (
        net_params,
        {"input_size": 1, "hidden_size": 1, "output_size": 1, "max_magnitude": 0.0},
        r"max_magnitude=0.0",
    ),
    (net_inputs, {"batch_size": 0, "input_size": 1}, r"batch_size=0"),
    (net_inputs, {"batch_size": 1, "input_size": 0}, r"input_size=0"),
    (
        net_inputs,
        {"batch_size": 1, "input_size": 1, "max_magnitude": -1},
        r"max_magnitude=-1",
    ),
    (
        net_inputs,
        {"batch_size": 1, "input_size": 1, "allow_integer": 1},
        r"allow_integer=1",
    ),
    (net_targets, {"batch_size": 0, "output_size": 2}, r"batch_size=0"),
    (net_targets, {"batch_size": 1, "output_size": 0}, r"output_size=0"),
    (net_targets, {"batch_size": 1, "output_size": 2, "one_hot": 1}, r"one_hot=1"),
    (net_cases, {"min_size": 0}, r"min_size=0"),
    (net_cases, {"min_batch_size": 0}, r"min_batch_size=0"),
    (net_cases, {"max_batch_size": 0}, r"max_batch_size=0"),
    (
        net_cases,
        {"min_batch_size": 5, "max_batch_size": 4},
        r"min_batch_size=5 is larger than max_batch_size=4",
    ),
    (net_cases, {"one_hot": "yes"}, r"one_hot='yes'"),
    (net_cases, {"allow_integer_inputs": None}, r"allow_integer_inputs=None"),
]


@pytest.mark.parametrize("call", _INVALID, ids=_call_id)
def test_strategies_reject_invalid_arguments(
    call: tuple[Callable[..., Any], dict[str, Any], str],
) -> None:
    function, kwargs, match = call
    with pytest.raises(InvalidArgument, match=match):
        function(**kwargs).validate()


@checked
@given(gradient_arrays())
def test_gradient_arrays_default_is_ordinary_real_and_writeable(a: GradArray) -> None:
    assert a.dtype in _REAL
    assert a.ndim <= 3
    assert all(side <= 4 for side in a.shape)
    assert a.flags.writeable
    # Bounds are rounded into the dtype inward, so they hold exactly.
    magnitudes = np.abs(a)[a != 0].astype(np.float64)
    assert np.isfinite(magnitudes).all()
    assert (magnitudes >= 1e-3).all()
    assert (magnitudes <= 1e3).all()
    assert not _square_overflows(a)
    assert not _is_subnormal(a)


@checked
@given(st.data(), st.lists(st.sampled_from(_SUPPORTED), min_size=1, unique=True))
def test_gradient_arrays_honours_dtypes(
    data: st.DataObject, dtypes: list[type]
) -> None:
    a = data.draw(gradient_arrays(dtypes=dtypes))
    assert a.dtype.type in dtypes


@pytest.mark.parametrize("dtype", _SUPPORTED)
def test_gradient_arrays_reaches_every_dtype_by_default_or_opt_in(dtype: type) -> None:
    dtypes = None if dtype in _REAL else _SUPPORTED
    _reaches(gradient_arrays(dtypes=dtypes), lambda a: a.dtype.type is dtype)


@checked
@given(st.data(), st.integers(0, 4), st.integers(0, 5))
def test_gradient_arrays_honours_max_dims_and_max_side(
    data: st.DataObject, max_dims: int, max_side: int
) -> None:
    a = data.draw(gradient_arrays(max_dims=max_dims, max_side=max_side))
    assert a.ndim <= max_dims
    assert all(side <= max_side for side in a.shape)


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param(lambda a: a.ndim == 0, id="0-d"),
        pytest.param(lambda a: a.size == 0 and a.ndim > 0, id="size-0"),
        pytest.param(lambda a: a.ndim == 3 and min(a.shape) > 1, id="3-d"),
    ],
)
def test_gradient_arrays_reaches_shapes(condition: Callable[[GradArray], bool]) -> None:
    _reaches(gradient_arrays(), condition)


@checked
@given(
    st.data(),
    st.sampled_from(_SUPPORTED),
    st.floats(1e-2, 2.0),
    st.floats(1.01, 100.0),
)
def test_gradient_arrays_honours_magnitudes(
    data: st.DataObject, dtype: type, low: float, ratio: float
) -> None:
    high = low * ratio  # wide enough to hold a float16, small enough to square
    strategy = gradient_arrays(dtypes=[dtype], min_magnitude=low, max_magnitude=high)
    a = data.draw(strategy)
    magnitudes = np.abs(a)[a != 0].astype(np.float64)
    # Bounds are rounded into the dtype, inward; the modulus is computed in it.
    slack = np.finfo(dtype).eps
    assert (magnitudes >= low * (1 - slack)).all()
    assert (magnitudes <= high * (1 + slack)).all()


@checked
@given(st.data(), st.sampled_from(_SUPPORTED))
def test_gradient_arrays_default_bounds_fit_each_dtype(
    data: st.DataObject, dtype: type
) -> None:
    a = data.draw(gradient_arrays(dtypes=[dtype]))
    assert not _square_overflows(a)
    assert not _is_subnormal(a)


@pytest.mark.parametrize("dtype", _SUPPORTED)
def test_gradient_arrays_allow_subnormal_reaches_subnormals(dtype: type) -> None:
    _reaches(gradient_arrays(dtypes=[dtype], allow_subnormal=True), _is_subnormal)


@pytest.mark.parametrize("dtype", _SUPPORTED)
def test_gradient_arrays_allow_huge_reaches_overflowing_squares(dtype: type) -> None:
    strategy = gradient_arrays(dtypes=[dtype], allow_huge=True)
    _reaches(strategy, _square_overflows)


@pytest.mark.parametrize("dtype", _SUPPORTED)
def test_gradient_arrays_allow_byteswapped_reaches_the_other_byte_order(
    dtype: type,
) -> None:
    _reaches(
        gradient_arrays(dtypes=[dtype], allow_byteswapped=True),
        lambda a: a.size > 0 and not a.dtype.isnative and bool(np.any(a)),
    )


@checked
@given(gradient_arrays(dtypes=_SUPPORTED))
def test_gradient_arrays_native_by_default(a: GradArray) -> None:
    assert a.dtype.isnative


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_gradient_arrays_allow_huge_reaches_moduli_beyond_the_dtype(
    dtype: type,
) -> None:
    """Both parts near the dtype's max: a modulus its own precision overflows."""
    half = float(np.finfo(dtype).max) / math.sqrt(2)
    _reaches(
        gradient_arrays(dtypes=[dtype], allow_huge=True),
        lambda a: bool(((np.abs(a.real) > half) & (np.abs(a.imag) > half)).any()),
    )


@checked
@given(gradient_arrays(dtypes=_SUPPORTED, allow_subnormal=True, allow_huge=True))
def test_gradient_arrays_extremes_stay_finite_by_default(a: GradArray) -> None:
    assert np.isfinite(a).all()


@pytest.mark.parametrize("dtype", _SUPPORTED)
def test_gradient_arrays_allow_nan_reaches_nan(dtype: type) -> None:
    _reaches(
        gradient_arrays(dtypes=[dtype], allow_nan=True), lambda a: np.isnan(a).any()
    )


@pytest.mark.parametrize("dtype", _SUPPORTED)
def test_gradient_arrays_allow_infinity_reaches_infinity(dtype: type) -> None:
    strategy = gradient_arrays(dtypes=[dtype], allow_infinity=True)
    _reaches(strategy, lambda a: np.isinf(a).any())


@checked
@given(gradient_arrays(dtypes=_SUPPORTED, allow_nan=True))
def test_gradient_arrays_allow_nan_alone_adds_no_infinity(a: GradArray) -> None:
    assert not np.isinf(a).any()


@checked
@given(gradient_arrays(dtypes=_SUPPORTED, allow_infinity=True))
def test_gradient_arrays_allow_infinity_alone_adds_no_nan(a: GradArray) -> None:
    assert not np.isnan(a).any()


@settings(checked, max_examples=200)  # most small arrays are contiguous anyway
@given(gradient_arrays(allow_noncontiguous=False))
def test_gradient_arrays_without_noncontiguous_are_c_contiguous(a: GradArray) -> None:
    assert a.flags.c_contiguous
    assert a.flags.aligned


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param(
            lambda a: (
                a.flags.f_contiguous and not a.flags.c_contiguous and a.base is None
            ),
            id="fortran",
        ),
        pytest.param(
            lambda a: not a.flags.c_contiguous and not a.flags.f_contiguous,
            id="strided",
        ),
        pytest.param(lambda a: min(a.strides, default=0) < 0, id="negative-step"),
        pytest.param(
            lambda a: a.ndim == 3 and a.size > 1 and a.base is not None, id="view"
        ),
        pytest.param(lambda a: not a.flags.aligned, id="unaligned"),
    ],
)
def test_gradient_arrays_reaches_noncontiguous_layouts(
    condition: Callable[[GradArray], bool],
) -> None:
    _reaches(gradient_arrays(), condition)


@checked
@given(gradient_arrays(dtypes=_SUPPORTED, allow_nan=True, allow_infinity=True))
def test_gradient_arrays_are_mutable(a: GradArray) -> None:
    a[...] = 1
    assert (a == 1).all()


@checked
@given(st.data())
def test_gradient_dicts_arrays_are_fresh_for_each_draw(data: st.DataObject) -> None:
    first = list(data.draw(gradient_dicts()).values())
    second = list(data.draw(gradient_dicts()).values())
    for a in first:
        for b in second:
            assert not np.shares_memory(a, b)


@checked
@given(gradient_lists())
def test_gradient_lists_without_aliasing_share_no_memory(
    grads: list[GradArray],
) -> None:
    for i, a in enumerate(grads):
        for b in grads[i + 1 :]:
            assert not np.shares_memory(a, b)


@checked
@given(st.data(), st.integers(0, 3), st.integers(0, 3))
def test_gradient_dicts_and_lists_honour_sizes(
    data: st.DataObject, min_size: int, extra: int
) -> None:
    max_size = min_size + extra
    grads = data.draw(gradient_dicts(min_size=min_size, max_size=max_size))
    assert min_size <= len(grads) <= max_size
    entries = data.draw(gradient_lists(min_size=min_size, max_size=max_size))
    assert min_size <= len(entries) <= max_size


@checked
@given(gradient_dicts())
def test_gradient_dicts_default_keys_are_identifiers(
    grads: dict[str, GradArray],
) -> None:
    assert all(k.isidentifier() for k in grads)
    assert not _has_alias(list(grads.values()))


@checked
@given(gradient_dicts(keys=st.integers(), min_size=1))
def test_gradient_dicts_honour_keys(grads: dict[int, GradArray]) -> None:
    assert all(isinstance(k, int) for k in grads)


@checked
@given(gradient_dicts(gradient_arrays(dtypes=[np.complex64]), min_size=1))
def test_gradient_dicts_honour_arrays(grads: dict[str, GradArray]) -> None:
    assert all(a.dtype == np.complex64 for a in grads.values())


@checked
@given(gradient_lists(gradient_arrays(dtypes=[np.float16]), min_size=1))
def test_gradient_lists_honour_arrays(grads: list[GradArray]) -> None:
    assert all(a.dtype == np.float16 for a in grads)


def test_gradient_dicts_allow_aliasing_reaches_an_alias() -> None:
    _reaches(
        gradient_dicts(allow_aliasing=True), lambda d: _has_alias(list(d.values()))
    )


def test_gradient_lists_allow_aliasing_reaches_an_alias() -> None:
    _reaches(gradient_lists(allow_aliasing=True), _has_alias)


@checked
@given(max_norms())
def test_max_norms_default_is_finite_non_negative_float(max_norm: float) -> None:
    assert type(max_norm) is float
    assert 0.0 <= max_norm < math.inf


@checked
@given(st.data(), st.floats(0.0, 10.0), st.floats(0.0, 10.0))
def test_max_norms_honours_bounds(
    data: st.DataObject, low: float, extra: float
) -> None:
    max_norm = data.draw(max_norms(min_value=low, max_value=low + extra))
    assert low <= max_norm <= low + extra


def test_max_norms_reaches_zero_by_default() -> None:
    _reaches(max_norms(), lambda m: m == 0.0)


def test_max_norms_allow_infinity_reaches_infinity() -> None:
    _reaches(max_norms(allow_infinity=True), math.isinf)


def _exact(number: object) -> Fraction:
    if isinstance(number, np.floating):
        return Fraction(*number.as_integer_ratio())
    assert isinstance(number, int | float | Fraction)
    return Fraction(number)


_FLOAT64_MAX = Fraction(float(np.finfo(np.float64).max))


@pytest.mark.parametrize("kind", ["int", "Fraction", "longdouble"])
def test_max_norms_allow_beyond_float64_reaches_each_kind(kind: str) -> None:
    if kind == "longdouble" and np.finfo(np.longdouble).max <= np.finfo(float).max:
        pytest.skip("this platform's longdouble is float64")
    _reaches(
        max_norms(allow_beyond_float64=True),
        lambda m: type(m).__name__ == kind and _exact(m) > _FLOAT64_MAX,
    )


@checked
@given(max_norms(allow_beyond_float64=True))
def test_max_norms_beyond_float64_are_finite_and_within_float64_or_above(
    max_norm: object,
) -> None:
    if isinstance(max_norm, float):
        assert 0.0 <= max_norm < math.inf
        return
    assert _FLOAT64_MAX < _exact(max_norm) <= Fraction(2) ** 1100


@checked
@given(st.data(), st.integers(1, 3), st.integers(0, 3))
def test_net_sizes_honours_bounds(data: st.DataObject, low: int, extra: int) -> None:
    sizes = data.draw(net_sizes(min_size=low, max_size=low + extra))
    assert all(low <= size <= low + extra for size in sizes)


@checked
@given(st.data(), net_sizes(), st.floats(0.1, 2.0))
def test_net_params_have_book_keys_shapes_and_bounds(
    data: st.DataObject, sizes: tuple[int, int, int], bound: float
) -> None:
    i, h, o = sizes
    params = data.draw(net_params(i, h, o, max_magnitude=bound))
    assert list(params) == ["W1", "b1", "W2", "b2"]
    shapes = {"W1": (i, h), "b1": (h,), "W2": (h, o), "b2": (o,)}
    assert {key: value.shape for key, value in params.items()} == shapes
    for value in params.values():
        assert value.dtype == np.float64
        assert value.flags.c_contiguous
        assert value.flags.writeable
        assert (np.abs(value) <= bound).all()


@checked
@given(st.data(), net_sizes(), st.floats(0.1, 5.0))
def test_net_inputs_are_float_rows_within_bound(
    data: st.DataObject, sizes: tuple[int, int, int], bound: float
) -> None:
    n, i, _ = sizes
    x = data.draw(net_inputs(n, i, max_magnitude=bound))
    assert x.shape == (n, i)
    assert x.dtype == np.float64
    assert (np.abs(x) <= bound).all()


@checked
@given(net_inputs(2, 3, max_magnitude=5.0, allow_integer=True))
def test_net_inputs_allow_integer_stay_within_bound(x: GradArray) -> None:
    assert x.dtype in (np.float64, np.int64)
    assert (np.abs(x) <= 5).all()


def test_net_inputs_allow_integer_reaches_integers() -> None:
    _reaches(
        net_inputs(1, 5, max_magnitude=5.0, allow_integer=True),
        lambda x: x.dtype == np.int64,
    )


@checked
@given(st.data(), st.integers(1, 4), st.integers(1, 4))
def test_net_targets_honour_one_hot(data: st.DataObject, n: int, c: int) -> None:
    rows = data.draw(net_targets(n, c, one_hot=True))
    assert rows.shape == (n, c)
    assert rows.dtype == np.int64
    assert set(np.unique(rows)) <= {0, 1}
    assert (rows.sum(axis=1) == 1).all()
    labels = data.draw(net_targets(n, c, one_hot=False))
    assert labels.shape == (n,)
    assert labels.dtype == np.int64
    assert ((labels >= 0) & (labels < c)).all()


@pytest.mark.parametrize("ndim", [1, 2])
def test_net_targets_reaches_both_forms_by_default(ndim: int) -> None:
    _reaches(net_targets(2, 3), lambda t: t.ndim == ndim)


@checked
@given(net_cases(min_size=2, max_size=3, min_batch_size=2, max_batch_size=3))
def test_net_cases_are_consistent_and_load_into_params(case: NetCase) -> None:
    i, h, o = case.input_size, case.hidden_size, case.output_size
    assert all(2 <= size <= 3 for size in (i, h, o))
    assert case.x.shape[1] == i
    assert 2 <= case.x.shape[0] <= 3
    assert case.t.shape[0] == case.x.shape[0]
    assert case.t.shape[1:] in ((), (o,))
    loaded = {
        "W1": np.empty((i, h)),
        "b1": np.empty(h),
        "W2": np.empty((h, o)),
        "b2": np.empty(o),
    }
    for key in loaded:
        loaded[key][...] = case.params[key]
        assert (loaded[key] == case.params[key]).all()


@checked
@given(net_cases(one_hot=False))
def test_net_cases_honour_one_hot(case: NetCase) -> None:
    assert case.t.shape == (case.x.shape[0],)
    assert case.x.dtype == np.float64


def test_net_cases_allow_integer_inputs_reaches_integers() -> None:
    _reaches(net_cases(allow_integer_inputs=True), lambda c: c.x.dtype == np.int64)
