"""float16 scaled through the table: each product rounded once, exactly."""

import math
from fractions import Fraction

import numpy as np
import pytest

from gradclip import clip_grads
from gradclip._half import scale_half, scaled_half, table

_EVERY = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
_FINITE = _EVERY[np.isfinite(_EVERY)]


def _rounded(value: float, factor: float) -> np.float16:
    """The float16 nearest to ``value * factor``, ties to even, in Fractions.

    A zero keeps the sign of the product, as IEEE 754 multiplication does.
    """
    exact = Fraction(value) * Fraction(factor)
    guess = np.float16(float(exact))
    candidates = [
        np.nextafter(guess, np.float16(-np.inf)),
        guess,
        np.nextafter(guess, np.float16(np.inf)),
    ]
    nearest = min(
        candidates,
        key=lambda c: (abs(Fraction(float(c)) - exact), int(c.view(np.uint16)) & 1),
    )
    sign = np.float16(math.copysign(1.0, value * factor))
    signed: np.float16 = np.copysign(nearest, sign)
    return signed


@pytest.mark.parametrize(
    "factor",
    [0.49975609756097567, 0.3170891213127319, 2.0**-20 * 0.7431, 0.0],
    ids=["double rounding differs", "ordinary", "into subnormals", "zero"],
)
def test_table_rounds_every_float16_once(factor: float) -> None:
    lookup = table(factor).view(np.float16)[_FINITE.view(np.uint16)]
    expected = [_rounded(float(v), factor) for v in _FINITE]
    assert (
        lookup.view(np.uint16).tolist()
        == np.array(expected, np.float16).view(np.uint16).tolist()
    )


def test_regression_float16_rounded_twice_through_float64() -> None:
    """float16(float64(x * c)) is one ulp off here; the table is not."""
    x = np.array([0.0001222], np.float16)
    factor = 0.49975609756097567
    twice = (x.astype(np.float64) * factor).astype(np.float16)
    once = scaled_half(x.astype(np.float64), factor)
    assert once[0] == _rounded(float(x[0]), factor)
    assert once[0] != twice[0]


@pytest.mark.parametrize(
    "layout", ["contiguous", "strided", "fortran"], ids=lambda layout: layout
)
def test_scale_half_matches_scaled_half_in_any_layout(layout: str) -> None:
    base = np.random.default_rng(3).standard_normal((300, 400)).astype(np.float16)
    array = {
        "contiguous": base,
        "strided": base[::2, ::3],
        "fortran": np.asfortranarray(base),
    }[layout]
    expected = scaled_half(array.astype(np.float64), 0.3)
    scale_half(array, table(0.3))
    assert array.tobytes() == expected.tobytes()


def test_clip_grads_float16_small_and_large_round_alike() -> None:
    """Arrays scaled by the table and arrays scaled directly agree bit for bit."""
    rng = np.random.default_rng(4)
    values = rng.standard_normal(100_000).astype(np.float16)
    large, small = values.copy(), values[:1000].copy()
    clip_grads([large], 1.0)
    factor = 1.0 / (float(np.linalg.norm(values.astype(np.float64))) + 1e-6)
    np.testing.assert_array_equal(small, values[:1000])
    assert (
        large[:1000].tobytes()
        == scaled_half(values[:1000].astype(np.float64), factor).tobytes()
    )
