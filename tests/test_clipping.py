"""Example-based tests of gradclip.clipping, with hand-computed results."""

import math
from collections import OrderedDict
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from gradclip import (
    NonFiniteGradientError,
    clip_grads,
    clip_grads_value,
    clip_grads_with_norm,
    global_norm,
)

Array = NDArray[Any]


def _exact_relative_error(arrays: list[Array], returned: float) -> float:
    """Relative error of ``returned`` against the exact 2-norm, in rationals."""
    exact_square = sum(
        (
            Fraction(float(part)) ** 2
            for array in arrays
            for value in np.asarray(array, dtype=np.complex128).ravel()
            for part in (value.real, value.imag)
        ),
        Fraction(0),
    )
    if exact_square == 0:
        return 0.0 if returned == 0 else math.inf
    # |r/n - 1| ~ |r^2/n^2 - 1| / 2 for r close to n.
    return abs(float(Fraction(returned) ** 2 / exact_square - 1)) / 2


def _snapshot(arrays: list[Array]) -> list[bytes]:
    return [array.tobytes() for array in arrays]


# Semantics: the seed's rate, in place.


def test_clip_grads_scales_by_the_seed_rate() -> None:
    w = np.array([3.0, 4.0])
    b = np.array([[0.0], [-12.0]])
    total = clip_grads({"W": w, "b": b}, max_norm=6.5)
    rate = 6.5 / (13.0 + 1e-6)
    assert total == 13.0
    assert type(total) is float
    np.testing.assert_array_equal(w, np.array([3.0, 4.0]) * rate)
    np.testing.assert_array_equal(b, np.array([[0.0], [-12.0]]) * rate)


def test_clip_grads_below_threshold_leaves_arrays_bit_identical() -> None:
    grads = [np.array([3.0, -4.0]), np.array([-0.0, np.float64(5e-324)])]
    before = _snapshot(grads)
    assert clip_grads(grads, max_norm=5.0 + 2e-6) == 5.0
    assert _snapshot(grads) == before


def test_clip_grads_rate_exactly_one_does_not_clip() -> None:
    grads = [np.array([3.0, 4.0])]
    before = _snapshot(grads)
    clip_grads(grads, max_norm=5.5, eps=0.5)
    assert _snapshot(grads) == before


@pytest.mark.parametrize(
    "container",
    [dict, OrderedDict, list, tuple],
    ids=["dict", "OrderedDict", "list", "tuple"],
)
def test_clip_grads_keeps_container_and_array_identity(
    container: Callable[[Any], Any],
) -> None:
    a = np.array([[6.0, 0.0], [0.0, 8.0]])
    b = np.array([0.0])
    view = a[1]
    grads = container({"a": a, "b": b} if container in (dict, OrderedDict) else [a, b])
    keys_before = list(grads.keys()) if isinstance(grads, dict) else None
    clip_grads(grads, max_norm=1.0)
    values = list(grads.values()) if isinstance(grads, dict) else list(grads)
    assert values[0] is a
    assert values[1] is b
    if keys_before is not None:
        assert list(grads.keys()) == keys_before
    assert a.shape == (2, 2)
    assert a.dtype == np.float64
    assert view[1] == pytest.approx(0.8, rel=1e-6)


def test_clip_grads_counts_and_scales_an_aliased_array_once() -> None:
    shared = np.array([3.0, 4.0])
    grads = {"encoder": shared, "decoder": shared, "bias": np.zeros(2)}
    assert clip_grads(grads, max_norm=1.0) == 5.0
    np.testing.assert_allclose(shared, [0.6, 0.8], rtol=1e-6)


def test_clip_grads_list_with_the_same_array_twice() -> None:
    shared = np.array([5.0])
    assert clip_grads([shared, shared], max_norm=1.0, eps=0.0) == 5.0
    np.testing.assert_array_equal(shared, [1.0])


def _layouts() -> dict[str, Array]:
    base = np.arange(1.0, 61.0).reshape(6, 10)
    return {
        "fortran": np.asfortranarray(base),
        "transpose": base.copy().T,
        "strided": base.copy()[::2, 1::3],
        "negative_strides": base.copy()[::-1, ::-2],
        "zero_d": np.array(7.0),
        "size_zero": np.ones((0, 3)),
        "column": base.copy()[:, 4],
    }


@pytest.mark.parametrize("name", list(_layouts()))
def test_clip_grads_works_on_every_memory_layout(name: str) -> None:
    array = _layouts()[name]
    norm = float(np.linalg.norm(array.ravel()))
    expected = array.copy() * min(1.0, 0.5 / (norm + 1e-6))
    base = array.base
    assert clip_grads([array], max_norm=0.5) == pytest.approx(norm, rel=1e-15)
    np.testing.assert_allclose(array, expected, rtol=1e-15)
    assert array.base is base


@pytest.mark.parametrize(
    "dtype", ["float16", "float32", "float64", "complex64", "complex128"]
)
def test_clip_grads_keeps_dtype_and_scales_every_dtype(dtype: str) -> None:
    array = np.array([[3.0, 0.0], [0.0, -4.0]], dtype=dtype)
    if array.dtype.kind == "c":
        array[0, 1] = 1j
    exact = math.sqrt(9 + 16 + (1 if array.dtype.kind == "c" else 0))
    total = clip_grads({"g": array}, max_norm=1.0)
    assert total == pytest.approx(exact, rel=1e-12)
    assert array.dtype == np.dtype(dtype)
    assert global_norm([array]) == pytest.approx(1.0, rel=2e-3)


def test_clip_grads_zero_max_norm_zeroes_and_inf_never_clips() -> None:
    grads = [np.array([1e300, -2.0])]
    clip_grads(grads, max_norm=math.inf)
    np.testing.assert_array_equal(grads[0], [1e300, -2.0])
    clip_grads(grads, max_norm=0)
    np.testing.assert_array_equal(grads[0], [0.0, 0.0])


def test_clip_grads_all_zero_gradients_with_zero_eps() -> None:
    grads = [np.zeros(3)]
    assert clip_grads(grads, max_norm=0.0, eps=0.0) == 0.0
    np.testing.assert_array_equal(grads[0], np.zeros(3))


@pytest.mark.parametrize(
    ("norm_type", "expected"),
    [
        (1, 3.0 + 4.0 + 12.0),
        (2.0, 13.0),
        (3, (27.0 + 64.0 + 1728.0) ** (1 / 3)),
        (math.inf, 12.0),
        (np.float32(2), 13.0),
    ],
    ids=["p=1", "p=2", "p=3", "p=inf", "p=np.float32(2)"],
)
def test_global_norm_p_norms(norm_type: float, expected: float) -> None:
    grads = {"a": np.array([3.0, -4.0]), "b": np.array([[-12.0]])}
    assert global_norm(grads, norm_type=norm_type) == pytest.approx(expected, 1e-15)


def test_global_norm_of_complex_uses_the_modulus() -> None:
    z = np.array([3 + 4j, -5j], dtype=np.complex64)
    assert global_norm([z], norm_type=math.inf) == 5.0
    assert global_norm([z], norm_type=1) == 10.0
    assert global_norm([z]) == math.sqrt(50.0)


def test_global_norm_accepts_read_only_and_returns_float() -> None:
    array = np.array([6.0, 8.0])
    array.flags.writeable = False
    result = global_norm([array])
    assert result == 10.0
    assert type(result) is float


def test_global_norm_of_nothing_is_zero() -> None:
    assert global_norm({}) == 0.0
    assert global_norm([np.ones((0,))], norm_type=math.inf) == 0.0
    assert global_norm([np.zeros(4)], norm_type=3) == 0.0


# Exactness: compared with rational arithmetic.

_EXTREMES: dict[str, list[Array]] = {
    "float16_squares_overflow": [np.array([300.0, -60000.0, 1.0], np.float16)],
    "float16_subnormal": [np.array([6e-8, 6e-8, 1e-7], np.float16)],
    "float32_1e20": [np.array([1e20, 3e20], np.float32)],
    "float32_tiny": [np.array([1e-30, 2e-40, 1e-45], np.float32)],
    "float32_max": [np.full(5, np.finfo(np.float32).max)],
    "float64_1e200": [np.array([1e200, -1e200, 1.0])],
    "float64_subnormal": [np.array([5e-324, 1e-310, -2e-320])],
    "float64_tiny_and_huge": [np.array([1e-300]), np.array([1e150])],
    "float64_mixed_scale": [np.array([1e-170, 1e-160]), np.array([1e-200])],
    "complex128_huge": [np.array([1e200 + 1e200j, 3e155j])],
    "complex64_tiny": [np.array([1e-30j, 1e-44], np.complex64)],
    "mixed_dtypes": [np.ones(3, np.float16), np.array([1e19], np.float32)],
}


@pytest.mark.parametrize("name", list(_EXTREMES))
def test_global_norm_is_exact_at_extreme_magnitudes(name: str) -> None:
    arrays = _EXTREMES[name]
    tolerance = 1e-12 if all(a.dtype.itemsize >= 8 for a in arrays) else 1e-6
    assert _exact_relative_error(arrays, global_norm(arrays)) < tolerance


@pytest.mark.parametrize(
    ("dtype", "value", "tolerance"),
    [("float32", 1.1, 1e-6), ("float64", 1.1, 1e-12), ("float16", 0.1, 1e-6)],
)
def test_global_norm_is_exact_on_a_million_equal_values(
    dtype: str, value: float, tolerance: float
) -> None:
    """Equal values are the worst case of naive float32 summation."""
    array = np.full(1_000_003, value, dtype=dtype)
    exact_square = 1_000_003 * Fraction(float(array[0])) ** 2
    error = abs(float(Fraction(global_norm([array])) ** 2 / exact_square - 1)) / 2
    assert error < tolerance


def test_global_norm_is_exact_for_one_big_among_many_small() -> None:
    array = np.full(300_001, 1e-4, dtype=np.float32)
    array[150_000] = 1.0
    exact_square = Fraction(1) + 300_000 * Fraction(float(np.float32(1e-4))) ** 2
    error = abs(float(Fraction(global_norm([array])) ** 2 / exact_square - 1)) / 2
    assert error < 1e-6


def test_global_norm_many_small_arrays_match_one_concatenation() -> None:
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(64) for _ in range(5000)]
    assert _exact_relative_error(arrays[:200], global_norm(arrays[:200])) < 1e-12
    expected = math.sqrt(math.fsum(float(np.dot(a, a)) for a in arrays))
    assert global_norm(arrays) == pytest.approx(expected, rel=1e-13)


def test_clip_grads_beyond_float64_range_returns_inf_and_scales_right() -> None:
    grads = {"huge": np.full(16, 1.5e308), "small": np.array([1.0])}
    assert clip_grads(grads, max_norm=2.0) == math.inf
    np.testing.assert_allclose(grads["huge"], np.full(16, 0.5), rtol=1e-15)
    assert 0 < grads["small"][0] < 1e-300


def test_regression_seed_float32_overflow_zeroed_the_gradients() -> None:
    """The seed's clip_grads squares 1e20 in float32: inf, then zeros."""
    grads = {"W": np.array([1e20, 1e20], np.float32)}
    total = clip_grads(grads, max_norm=5)
    assert total == pytest.approx(math.sqrt(2) * 1e20, rel=1e-7)
    np.testing.assert_allclose(grads["W"], [5 / math.sqrt(2)] * 2, rtol=1e-6)


def test_clip_grads_on_arrays_larger_than_a_chunk() -> None:
    rng = np.random.default_rng(3)
    big = rng.standard_normal((700, 300)).astype(np.float32)
    strided = rng.standard_normal((900, 400))[::3, ::-2]
    expected = [big.astype(np.float64), strided.copy()]
    exact = math.sqrt(sum(float(np.dot(e.ravel(), e.ravel())) for e in expected))
    total = clip_grads([big, strided], max_norm=1.0)
    assert total == pytest.approx(exact, rel=1e-7)
    assert global_norm([big, strided]) == pytest.approx(1.0, rel=1e-6)


# Non-finite gradients.


@pytest.mark.parametrize(
    ("bad", "returned"),
    [(np.nan, math.nan), (np.inf, math.inf), (-np.inf, math.inf)],
    ids=["nan", "inf", "-inf"],
)
def test_clip_grads_nonfinite_raises_or_returns_without_writing(
    bad: float, returned: float
) -> None:
    grads = {"ok": np.array([30.0, 40.0]), "bad": np.array([1.0, bad])}
    before = _snapshot(list(grads.values()))
    with pytest.raises(NonFiniteGradientError, match=r"grads\['bad'\]") as info:
        clip_grads(grads, max_norm=1.0)
    assert "grads['ok']" not in str(info.value)
    assert isinstance(info.value, ValueError)
    assert _snapshot(list(grads.values())) == before
    result = clip_grads(grads, max_norm=1.0, error_if_nonfinite=False)
    assert math.isnan(result) if math.isnan(returned) else result == returned
    assert _snapshot(list(grads.values())) == before


def test_clip_grads_nonfinite_error_names_every_key_of_an_alias() -> None:
    bad = np.array([np.nan])
    with pytest.raises(NonFiniteGradientError, match=r"grads\[0\], grads\[2\]"):
        clip_grads([bad, np.ones(2), bad], max_norm=1.0)


def test_global_norm_of_nan_and_inf_is_nan() -> None:
    assert math.isnan(global_norm([np.array([np.inf]), np.array([np.nan])]))
    assert global_norm([np.array([np.inf, 1e300])], norm_type=3) == math.inf


# clip_grads_with_norm and clip_grads_value.


def test_clip_grads_with_norm_uses_the_given_norm() -> None:
    shard = {"W": np.array([3.0, 4.0])}
    clip_grads_with_norm(shard, max_norm=2.0, total_norm=10.0)
    np.testing.assert_array_equal(shard["W"], np.array([3.0, 4.0]) * (2 / (10 + 1e-6)))
    clip_grads_with_norm(shard, max_norm=2.0, total_norm=1.0)
    np.testing.assert_array_equal(shard["W"], np.array([3.0, 4.0]) * (2 / (10 + 1e-6)))


def test_clip_grads_value_clamps_in_place() -> None:
    a = np.array([[-3.0, 0.25], [np.nan, 7.0]])
    view = a[0]
    clip_grads_value({"a": a}, 1)
    np.testing.assert_array_equal(a, [[-1.0, 0.25], [np.nan, 1.0]])
    assert view[0] == -1.0


def test_clip_grads_value_rounds_the_bound_down_to_the_dtype() -> None:
    a = np.array([0.31, -0.31, 0.1], dtype=np.float16)
    clip_grads_value([a], 0.30004)
    assert np.all(np.abs(a.astype(np.float64)) <= 0.30004)
    assert a[0] == np.float16(0.30004) or a[0] == np.nextafter(
        np.float16(0.30004), np.float16(0)
    )


def test_clip_grads_value_inf_and_zero() -> None:
    a = np.array([1e308, -2.0, 0.5])
    clip_grads_value([a], math.inf)
    np.testing.assert_array_equal(a, [1e308, -2.0, 0.5])
    clip_grads_value([a], 0.0)
    np.testing.assert_array_equal(a, [0.0, 0.0, 0.0])


# Invalid arguments: clear errors, nothing written.


def _read_only() -> Array:
    array = np.ones(2)
    array.flags.writeable = False
    return array


_CLIP: Callable[..., object] = clip_grads
_INVALID: list[tuple[str, Callable[..., object], dict[str, Any], type, str]] = [
    (
        "clip_grads(grads=ndarray)",
        _CLIP,
        {"grads": np.ones(2)},
        TypeError,
        r"grads must be a mapping or sequence .* \(wrap a single array in a list\)",
    ),
    (
        "clip_grads(grads='W1')",
        _CLIP,
        {"grads": "W1"},
        TypeError,
        r"grads must be a mapping or sequence of NumPy arrays, got grads='W1'",
    ),
    ("clip_grads(grads=None)", _CLIP, {"grads": None}, TypeError, r"got grads=None"),
    (
        "clip_grads({'b': list})",
        _CLIP,
        {"grads": {"b": [1.0]}},
        TypeError,
        r"grads\['b'\] must be a NumPy array, got grads\['b'\]=\[1.0\] of type list",
    ),
    (
        "clip_grads({'b': int64})",
        _CLIP,
        {"grads": {"b": np.ones(2, np.int64)}},
        TypeError,
        r"grads\['b'\] must have a floating dtype .*got grads\['b'\].dtype=int64",
    ),
    (
        "clip_grads({'b': bool})",
        _CLIP,
        {"grads": {"b": np.ones(2, bool)}},
        TypeError,
        r"grads\['b'\].dtype=bool",
    ),
    (
        "clip_grads({'b': object})",
        _CLIP,
        {"grads": {"b": np.ones(2, object)}},
        TypeError,
        r"grads\['b'\].dtype=object",
    ),
    (
        "clip_grads({'b': str})",
        _CLIP,
        {"grads": {"b": np.array(["x"])}},
        TypeError,
        r"grads\['b'\].dtype=<U1",
    ),
    (
        "clip_grads({'b': datetime})",
        _CLIP,
        {"grads": {"b": np.array(["2026-01-01"], "datetime64[D]")}},
        TypeError,
        r"grads\['b'\].dtype=datetime64\[D\]",
    ),
    (
        "clip_grads({'b': longdouble})",
        _CLIP,
        {"grads": {"b": np.ones(2, np.longdouble)}},
        TypeError,
        r"dtype=float128",
    ),
    (
        "clip_grads({'b': read-only})",
        _CLIP,
        {"grads": {"b": _read_only()}},
        ValueError,
        r"grads\['b'\] must be writeable .*writeable=False",
    ),
    (
        "clip_grads(max_norm=True)",
        _CLIP,
        {"max_norm": True},
        TypeError,
        r"max_norm must be a real number, got max_norm=True of type bool",
    ),
    (
        "clip_grads(max_norm='5')",
        _CLIP,
        {"max_norm": "5"},
        TypeError,
        r"max_norm must be a real number, got max_norm='5'",
    ),
    (
        "clip_grads(max_norm=None)",
        _CLIP,
        {"max_norm": None},
        TypeError,
        r"max_norm=None of type NoneType",
    ),
    ("clip_grads(max_norm=1j)", _CLIP, {"max_norm": 1j}, TypeError, r"max_norm=1j"),
    (
        "clip_grads(max_norm=array)",
        _CLIP,
        {"max_norm": np.array(1.0)},
        TypeError,
        r"max_norm must be a real number.*ndarray",
    ),
    (
        "clip_grads(max_norm=nan)",
        _CLIP,
        {"max_norm": math.nan},
        ValueError,
        r"max_norm must be a non-negative number, got max_norm=nan",
    ),
    (
        "clip_grads(max_norm=-1)",
        _CLIP,
        {"max_norm": -1},
        ValueError,
        r"got max_norm=-1",
    ),
    (
        "clip_grads(norm_type=0.5)",
        _CLIP,
        {"norm_type": 0.5},
        ValueError,
        r"norm_type must be a number >= 1 or inf, got norm_type=0.5",
    ),
    (
        "clip_grads(norm_type=nan)",
        _CLIP,
        {"norm_type": math.nan},
        ValueError,
        r"norm_type=nan",
    ),
    (
        "clip_grads(norm_type='2')",
        _CLIP,
        {"norm_type": "2"},
        TypeError,
        r"norm_type must be a real number",
    ),
    (
        "clip_grads(eps=-1e-6)",
        _CLIP,
        {"eps": -1e-6},
        ValueError,
        r"eps must be a finite non-negative number, got eps=-1e-06",
    ),
    ("clip_grads(eps=inf)", _CLIP, {"eps": math.inf}, ValueError, r"eps=inf"),
    (
        "clip_grads(error_if_nonfinite=1)",
        _CLIP,
        {"error_if_nonfinite": 1},
        TypeError,
        r"error_if_nonfinite must be a bool, got error_if_nonfinite=1",
    ),
    (
        "clip_grads_with_norm(total_norm=nan)",
        clip_grads_with_norm,
        {"total_norm": math.nan},
        ValueError,
        r"total_norm must be a finite",
    ),
    (
        "clip_grads_with_norm(total_norm=inf)",
        clip_grads_with_norm,
        {"total_norm": math.inf},
        ValueError,
        r"got total_norm=inf",
    ),
    (
        "clip_grads_with_norm(total_norm='1')",
        clip_grads_with_norm,
        {"total_norm": "1"},
        TypeError,
        r"total_norm must be a real number",
    ),
    (
        "clip_grads_with_norm(eps=-1e-6)",
        clip_grads_with_norm,
        {"eps": -1e-6},
        ValueError,
        r"eps must be a finite non-negative number, got eps=-1e-06",
    ),
    (
        "clip_grads_with_norm(eps=inf)",
        clip_grads_with_norm,
        {"eps": math.inf},
        ValueError,
        r"eps must be a finite non-negative number, got eps=inf",
    ),
    (
        "clip_grads_with_norm({'b': read-only})",
        clip_grads_with_norm,
        {"grads": {"b": _read_only()}},
        ValueError,
        r"grads\['b'\] must be writeable",
    ),
    (
        "clip_grads_value(clip_value=-1)",
        clip_grads_value,
        {"clip_value": -1},
        ValueError,
        r"clip_value must be a non-negative number, got clip_value=-1",
    ),
    (
        "clip_grads_value(clip_value=False)",
        clip_grads_value,
        {"clip_value": False},
        TypeError,
        r"clip_value must be a real number",
    ),
    (
        "clip_grads_value({'b': complex})",
        clip_grads_value,
        {"grads": {"b": np.ones(2, complex)}},
        TypeError,
        r"grads\['b'\] must have a floating dtype \(float16, float32, float64\)",
    ),
    (
        "global_norm(norm_type=0)",
        global_norm,
        {"norm_type": 0},
        ValueError,
        r"norm_type=0",
    ),
    (
        "global_norm(grads=3.0)",
        global_norm,
        {"grads": 3.0},
        TypeError,
        r"got grads=3.0 of type float",
    ),
]


def _call_with(
    function: Callable[..., object], overrides: dict[str, Any], first: Array
) -> object:
    """Call ``function`` on valid arguments with ``overrides``; ``first`` leads."""
    grads = overrides.pop("grads", {"first": first, "second": np.array([9.0])})
    if isinstance(grads, dict) and grads and "first" not in grads:
        grads = {"first": first, **grads}
    arguments: dict[str, Any] = {
        clip_grads: {"max_norm": 1.0},
        clip_grads_with_norm: {"max_norm": 1.0, "total_norm": 50.0},
        clip_grads_value: {"clip_value": 1.0},
        global_norm: {},
    }[function]
    return function(grads, **{**arguments, **overrides})


@pytest.mark.parametrize(
    ("function", "overrides", "error", "message"),
    [case[1:] for case in _INVALID],
    ids=[case[0] for case in _INVALID],
)
def test_invalid_arguments_raise_and_write_nothing(
    function: Callable[..., object],
    overrides: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    first = np.array([30.0, -40.0])
    with pytest.raises(error, match=message):
        _call_with(function, dict(overrides), first)
    np.testing.assert_array_equal(first, [30.0, -40.0])


def test_regression_norm_beyond_float64_kept_float16_precision() -> None:
    """Scaling in two power-of-two steps underflowed float16 arrays to zero."""
    grads = {"a": np.array(1.0, np.float16), "b": np.array([1.5e308, 1.5e308])}
    assert clip_grads(grads, max_norm=1.5e308) == math.inf
    assert grads["a"] == np.float16(1 / math.sqrt(2))
    np.testing.assert_allclose(grads["b"], [1.5e308 / math.sqrt(2)] * 2, rtol=1e-15)


@pytest.mark.parametrize(
    ("values", "max_norm", "expected"),
    [
        ([1e300, 3e-300], 1e-300, [1e-300, 0.0]),
        ([1.5e308] * 4, 1e-300, [5e-301] * 4),
        ([4.0, 3.0], 5e-324, [5e-324, 5e-324]),
    ],
    ids=["rate=1e-600", "rate=1e-608,norm=inf", "subnormal max_norm"],
)
def test_clip_grads_rate_below_float64_range_keeps_precision(
    values: list[float], max_norm: float, expected: list[float]
) -> None:
    grads = [np.array(values)]
    clip_grads(grads, max_norm=max_norm, eps=0.0)
    np.testing.assert_allclose(grads[0], expected, rtol=1e-15, atol=5e-324)


# Regressions found in review.


@pytest.mark.parametrize(
    ("values", "norm_type"),
    [([0.5], 1100.0), ([3.0], 1e6), ([5e-324], 20.0), ([3.0, -4.0, 1e-300], 5000.0)],
    ids=["p=1100", "p=1e6", "subnormal,p=20", "p=5000"],
)
def test_regression_large_norm_type_underflowed_to_zero(
    values: list[float], norm_type: float
) -> None:
    array = np.array(values)
    largest = float(np.max(np.abs(array)))
    result = global_norm([array], norm_type=norm_type)
    assert largest <= result <= largest * array.size ** (1 / norm_type) * (1 + 1e-15)


def test_regression_large_norm_type_clips() -> None:
    grads = [np.array([3.0, 4.0])]
    assert clip_grads(grads, 1.0, norm_type=5000) == pytest.approx(4.0, rel=1e-15)
    np.testing.assert_allclose(grads[0], [0.75, 1.0], rtol=1e-6)


def test_regression_norm_plus_eps_overflowing_zeroed_the_gradients() -> None:
    grads = [np.array([1.7e308])]
    clip_grads(grads, 1e308, eps=1e308)
    np.testing.assert_allclose(grads[0], [1.7e308 / 2.7 * 1.0], rtol=1e-15)


def test_regression_value_bound_beyond_the_dtype_warned() -> None:
    grads: list[Array] = [
        np.array([1.0, -7e4], np.float32),
        np.array([2.0], np.float16),
    ]
    clip_grads_value(grads, 1e300)
    np.testing.assert_array_equal(grads[0], [1.0, -7e4])
    np.testing.assert_array_equal(grads[1], [2.0])


def test_regression_int_thresholds_beyond_float64() -> None:
    grads = [np.array([3.0, 4.0])]
    assert clip_grads(grads, 10**400) == 5.0
    np.testing.assert_array_equal(grads[0], [3.0, 4.0])
    assert global_norm(grads, norm_type=10**400) == 4.0
    with pytest.raises(ValueError, match=r"eps must be a finite non-negative number"):
        clip_grads(grads, 1.0, eps=10**400)


def test_regression_negative_zero_threshold_flipped_signs() -> None:
    """-0.0 is the threshold 0: zeros keep the sign of what they replace."""
    for clip in (clip_grads, clip_grads_value):
        grads = [np.array([3.0, -4.0])]
        clip(grads, -0.0)
        np.testing.assert_array_equal(np.signbit(grads[0]), [False, True])


def test_clip_grads_counts_two_views_of_the_same_elements_once() -> None:
    a = np.array([3.0, 4.0])
    assert clip_grads({"a": a, "same": a[:], "again": a.view()}, 1.0) == 5.0
    np.testing.assert_allclose(a, [0.6, 0.8], rtol=1e-6)


def test_clip_grads_accepts_disjoint_views_of_one_buffer() -> None:
    flat = np.arange(1.0, 13.0)
    norm = float(np.linalg.norm(flat))
    views = {"rows": flat[:6].reshape(2, 3), "odd": flat[7::2], "even": flat[6::2]}
    assert clip_grads(views, 1.0) == pytest.approx(norm, rel=1e-15)
    assert float(np.linalg.norm(flat)) == pytest.approx(1.0, rel=1e-6)


def test_clip_grads_refuses_views_that_overlap_in_part() -> None:
    W = np.arange(1.0, 7.0).reshape(2, 3)
    before = W.copy()
    with pytest.raises(
        ValueError, match=r"grads\['W'\] and grads\['column'\] must not overlap"
    ):
        clip_grads({"W": W, "column": W[:, 0]}, 1.0)
    np.testing.assert_array_equal(W, before)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_clip_grads_scales_matrix_and_memmap_subclasses_in_place(
    tmp_path: Path,
) -> None:
    matrix = np.matrix([[3.0, 4.0]])
    mapped = np.memmap(tmp_path / "g.dat", dtype=np.float32, mode="w+", shape=(2,))
    mapped[:] = [0.0, 12.0]
    assert clip_grads({"m": matrix, "mm": mapped}, 1.0) == 13.0
    np.testing.assert_allclose(matrix, [[3 / 13, 4 / 13]], rtol=1e-6)
    np.testing.assert_allclose(mapped, [0.0, 12 / 13], rtol=1e-6)
    assert type(matrix) is np.matrix


def test_clip_grads_refuses_masked_arrays() -> None:
    masked = np.ma.array([3.0, 4.0, 100.0], mask=[False, False, True])
    with pytest.raises(TypeError, match=r"grads\['m'\] must be a plain NumPy array"):
        clip_grads({"m": masked}, 1.0)


# Regressions at the edges: complex extremes, shared buffers, odd arrays.


def _exact_complex_p_norm(values: list[complex], p: float) -> float:
    """The p-norm of complex values, each modulus taken in exact rationals."""
    squares = [Fraction(z.real) ** 2 + Fraction(z.imag) ** 2 for z in values]
    scale = 1 << 200
    moduli = [Fraction(math.isqrt(int(s * scale * scale)), scale) for s in squares]
    if p == math.inf:
        return float(max(moduli))
    return float(sum(m ** int(p) for m in moduli) ** Fraction(1, int(p)))


@pytest.mark.parametrize(
    ("dtype", "part"),
    [(np.complex64, 3e38), (np.complex128, 1.5e308)],
    ids=["complex64", "complex128"],
)
def test_regression_complex_parts_near_the_dtype_max_overflowed_the_norm(
    dtype: type[Any], part: float
) -> None:
    """|z| was computed in the array's own precision and overflowed to inf."""
    part = float(np.array(part, dtype).real)  # 3e38 as a float32
    exact = math.hypot(part, part)  # beyond float64 for complex128: inf
    assert global_norm([np.array([part + part * 1j], dtype)]) == exact
    for p in (1, 3, math.inf):
        assert global_norm([np.array([part + part * 1j], dtype)], norm_type=p) == (
            pytest.approx(exact, rel=1e-6, abs=0)
        )
    for strict in (True, False):
        grads = {"z": np.array([part + part * 1j], dtype)}
        assert clip_grads(grads, 1.0, error_if_nonfinite=strict) == exact
        np.testing.assert_allclose(grads["z"], [(1 + 1j) / math.sqrt(2)], rtol=1e-6)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
def test_regression_tiny_complex64_moduli_lost_their_precision(
    norm_type: float,
) -> None:
    """|1.4e-45 + 1.4e-45j| rounded to a complex64 subnormal was 29% off."""
    values = [1.4e-45 + 1.4e-45j, -2.8e-45 + 0j, 4.2e-45 - 1.4e-45j]
    array = np.array(values, np.complex64)
    exact = _exact_complex_p_norm([complex(z) for z in array], norm_type)
    assert global_norm([array], norm_type=norm_type) == pytest.approx(
        exact, rel=1e-6, abs=0
    )


@pytest.mark.parametrize(
    "max_norm",
    [5 * 10**308, Fraction(5 * 10**308), np.longdouble("5e308")],
    ids=["int", "Fraction", "longdouble"],
)
def test_regression_threshold_beyond_float64_became_inf(max_norm: Any) -> None:
    """A threshold above float64's range was inf: a norm of 1e309 stayed unclipped."""
    grads = {"a": np.full(10000, 1e307)}
    assert clip_grads(grads, max_norm) == math.inf  # the norm, 1e309
    np.testing.assert_allclose(grads["a"], 5e306, rtol=1e-12)
    shard = {"a": np.full(4, 1e307)}
    clip_grads_with_norm(shard, max_norm, total_norm=10**309)
    np.testing.assert_allclose(shard["a"], 5e306, rtol=1e-12)


def test_regression_value_bound_beyond_float64_left_infinities() -> None:
    """clip_value=10**400 is finite: inf elements become the dtype's max."""
    grads = [np.array([np.inf, -np.inf, 1.0]), np.array([-np.inf], np.float16)]
    clip_grads_value(grads, 10**400)
    largest = np.finfo(np.float64).max
    np.testing.assert_array_equal(grads[0], [largest, -largest, 1.0])
    np.testing.assert_array_equal(grads[1], [-np.finfo(np.float16).max])


@pytest.mark.parametrize(
    "total_norm", [10**400, Fraction(3 * 10**400, 7)], ids=["10**400", "Fraction"]
)
def test_regression_total_norm_beyond_float64_was_refused(total_norm: Any) -> None:
    """A finite total_norm beyond float64 gives its clipping factor."""
    shard = [np.array([1.5e308, -1e308])]
    clip_grads_with_norm(shard, 1e300, total_norm=total_norm)
    rate = Fraction(10**300) / Fraction(total_norm)
    expected = [float(Fraction(1.5e308) * rate), float(Fraction(-1e308) * rate)]
    np.testing.assert_allclose(shard[0], expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("function", "name"),
    [
        (lambda g, v: clip_grads_with_norm(g, 1.0, total_norm=v), "total_norm"),
        (lambda g, v: clip_grads(g, v), "max_norm"),
        (lambda g, v: clip_grads(g, 1.0, eps=v), "eps"),
        (lambda g, v: clip_grads_value(g, v), "clip_value"),
    ],
    ids=["total_norm", "max_norm", "eps", "clip_value"],
)
def test_regression_huge_numbers_printed_in_full(
    function: Callable[[list[Array], object], object], name: str
) -> None:
    """-10**400 was printed with all its 401 digits."""
    with pytest.raises(ValueError, match=rf"\b{name}\b") as raised:
        function([np.array([3.0, 4.0])], -(10**400))
    assert len(str(raised.value)) < 200, str(raised.value)


class _KeyWithRaisingRepr:
    def __repr__(self) -> str:
        raise RuntimeError("this key's repr raises")


class _KeyWithHugeRepr:
    def __repr__(self) -> str:
        return "huge" + "x" * 10**7


@pytest.mark.parametrize(
    "key",
    [_KeyWithRaisingRepr(), _KeyWithHugeRepr(), "k" * 10**7],
    ids=["raising repr", "10 MB repr", "10 MB str"],
)
def test_regression_key_labels_hid_the_error_or_were_huge(key: object) -> None:
    """A raising repr replaced the TypeError; a 10 MB repr made a 20 MB message."""
    with pytest.raises(TypeError, match=r"must have a floating dtype") as raised:
        clip_grads({key: np.array([3, 4])}, 1.0)
    assert len(str(raised.value)) < 500
    grads = {key: np.array([np.nan]), "ok": np.array([1.0])}
    with pytest.raises(NonFiniteGradientError) as nonfinite:
        clip_grads(grads, 1.0)
    assert len(str(nonfinite.value)) < 500
    assert "'ok'" not in str(nonfinite.value)
    base = np.arange(3.0)
    with pytest.raises(ValueError, match=r"must not overlap") as overlap:
        clip_grads({key: base[:2], "part": base[1:]}, 1.0)
    assert len(str(overlap.value)) < 500


@pytest.mark.parametrize(
    "dtype", ["float16", "float32", "float64", "complex64", "complex128"]
)
def test_regression_non_native_byte_order_was_refused(dtype: str) -> None:
    """``>f8`` was refused with a message naming float64 among those accepted."""
    swapped = np.dtype(dtype).newbyteorder("S")  # non-native on any machine
    small = np.array([3.0, -4.0], swapped)
    large = np.full(3 * (1 << 20), 0.5, swapped)[::3]  # threads, copied chunks
    exact = math.sqrt(25 + 0.25 * large.size)
    assert global_norm([small, large]) == pytest.approx(exact, rel=1e-6, abs=0)
    assert global_norm([small], norm_type=1) == 7.0
    clip_grads({"small": small, "large": large}, 1.0, eps=0.0)
    assert small.dtype == swapped
    np.testing.assert_allclose(small, [3 / exact, -4 / exact], rtol=1e-3)
    np.testing.assert_allclose(large[:3], 0.5 / exact, rtol=1e-3)
    shard = [np.array([3.0, -4.0], swapped)]
    clip_grads_with_norm(shard, 1.0, total_norm=10.0, eps=0.0)
    np.testing.assert_allclose(shard[0], [0.3, -0.4], rtol=1e-3)
    if swapped.kind == "f":
        clipped = [np.array([3.0, -0.5], swapped)]
        clip_grads_value(clipped, 1.0)
        np.testing.assert_array_equal(clipped[0], [1.0, -0.5])


def _self_overlapping_view(name: str, base: Array) -> Array:
    strided = np.lib.stride_tricks
    if name == "window":
        return strided.sliding_window_view(base, 3, writeable=True)
    return strided.as_strided(base, (1 << 58,) if name == "huge" else (4,), (0,))


@pytest.mark.parametrize(
    "function",
    [
        lambda grads: clip_grads_with_norm(grads, 1.0, total_norm=10.0),
        lambda grads: clip_grads_value(grads, 1.0),
        lambda grads: clip_grads(grads, 1.0),
    ],
    ids=["clip_grads_with_norm", "clip_grads_value", "clip_grads"],
)
@pytest.mark.parametrize("name", ["zero stride", "window", "huge"])
def test_regression_self_overlapping_views_half_applied(
    function: Callable[[dict[str, Array]], object], name: str
) -> None:
    """A view overlapping itself needed a full-size copy: the MemoryError for
    one of 2**58 elements came after the other arrays were scaled."""
    base = np.arange(10.0, 70.0, 10.0)
    view = _self_overlapping_view(name, base)
    first = np.array([30.0, -40.0])
    with pytest.raises(ValueError, match=r"grads\['view'\] must not overlap itself"):
        function({"first": first, "view": view})
    np.testing.assert_array_equal(first, [30.0, -40.0])
    np.testing.assert_array_equal(base, np.arange(10.0, 70.0, 10.0))


def test_clip_grads_takes_strided_layouts_that_do_not_overlap() -> None:
    """Strides that do not nest (24 and 16 bytes) can still be disjoint."""
    base = np.arange(1.0, 12.0)  # offsets 0, 2, 3, ..., 10: elements 1 and 9 unused
    view = np.lib.stride_tricks.as_strided(base, (3, 3), (24, 16))
    norm = float(np.linalg.norm(view))
    assert clip_grads({"view": view}, 1.0, eps=0.0) == norm
    assert float(np.linalg.norm(view)) == pytest.approx(1.0, rel=1e-12)


def test_clip_grads_on_separate_gradients_in_threads_as_in_one() -> None:
    """The README's contract: calls on separate gradients may run in threads
    at once (large ones use the shared pool) and give what one thread gives."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(0)
    originals = [
        {"W": rng.standard_normal(size), "b": rng.standard_normal(7)}
        for size in (10, 3 << 20, 1000, 5 << 20, 50, 3 << 20)
    ]
    expected = [{k: v.copy() for k, v in g.items()} for g in originals]
    norms = [clip_grads(grads, 1.0) for grads in expected]
    grads = [{k: v.copy() for k, v in g.items()} for g in originals]
    with ThreadPoolExecutor(len(grads)) as pool:
        returned = list(pool.map(lambda g: clip_grads(g, 1.0), grads))
    assert returned == norms
    for got, want in zip(grads, expected, strict=True):
        for key in want:
            np.testing.assert_array_equal(got[key], want[key])
