"""Gradient clipping by global norm and by value, in place.

``clip_grads`` keeps the semantics of the seed notebook: the global norm of
all gradients together gives ``rate = max_norm / (total_norm + eps)``, and
when ``rate < 1`` every array is multiplied by ``rate`` in place. For every
finite input the norm is within 1e-12 relative of the exact one for float64
data (a few ulps) and within 1e-6 for float32 and float16 data (see
``gradclip._norms``), and every argument is checked before any array is
written.

Complex arrays are supported by the norm-based functions, with ``|z|`` as the
magnitude of an element; ``clip_grads_value`` rejects them, as a complex
number has no interval to be clipped to.
"""

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradclip._half import TABLE_FROM, scale_half, scaled_half, table
from gradclip._norms import REAL_DTYPES, ScaledNorm, is_finite, norm
from gradclip._parallel import run_pieces, split
from gradclip._typing import GradArray, Grads, RealGrads, RealNumber
from gradclip._validation import (
    GradEntries,
    check_flag,
    check_nonnegative,
    check_norm_type,
    check_threshold,
    collect_grads,
)

__all__ = [
    "NonFiniteGradientError",
    "clip_grads",
    "clip_grads_value",
    "clip_grads_with_norm",
    "global_norm",
]


class NonFiniteGradientError(ValueError):
    """A gradient holds NaN or inf, so its norm cannot give a clipping factor."""


def global_norm(grads: Grads, *, norm_type: RealNumber = 2.0) -> float:
    """Return the norm of all gradients taken together as one vector.

    Args:
        grads: a mapping of keys to arrays, or a sequence of arrays. An array
            that appears more than once is counted once.
        norm_type: the p of the p-norm, p >= 1; ``float('inf')`` gives the
            largest absolute value.

    Returns:
        The norm as a Python float, within 1e-12 relative of the exact value
        for float64 data and 1e-6 for float32 and float16 data; inf
        when it exceeds the float64 range; NaN if any element is NaN, else
        inf if any element is inf.

    Raises:
        TypeError: ``grads`` is not a mapping or sequence of floating arrays,
            or ``norm_type`` is not a real number.
        ValueError: ``norm_type`` is below 1 or NaN.

    Example:
        >>> import numpy as np
        >>> global_norm({"W": np.array([3.0]), "b": np.array([4.0])})
        5.0

    References:
        Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent
        neural networks", ICML 2013, arXiv:1211.5063.
    """
    p = check_norm_type(norm_type)
    entries = collect_grads(grads, writeable=False)
    return float(norm(entries.arrays, p))


def clip_grads(
    grads: Grads,
    max_norm: RealNumber,
    *,
    norm_type: RealNumber = 2.0,
    eps: RealNumber = 1e-6,
    error_if_nonfinite: bool = True,
) -> float:
    """Scale all gradients in place so that their global norm is at most ``max_norm``.

    With ``rate = max_norm / (total_norm + eps)``, every array is multiplied
    by ``rate`` when ``rate < 1``; otherwise nothing is written. The mapping
    or sequence itself is never changed: same keys, same array objects.

    Args:
        grads: a mapping of keys to writeable arrays, or a sequence of them.
            An array that appears more than once is counted and scaled once.
        max_norm: the largest allowed norm, >= 0; 0 zeroes the gradients and
            inf never clips. An int, ``Fraction`` or ``longdouble`` beyond the
            float64 range keeps its value.
        norm_type: the p of the p-norm, p >= 1; ``float('inf')`` gives the
            largest absolute value.
        eps: added to the norm before dividing, >= 0 and finite.
        error_if_nonfinite: raise when a gradient holds NaN or inf. When
            false, such gradients are left untouched and the non-finite norm
            is returned, so that a training loop can skip the step.

    Returns:
        The global norm before clipping, as a Python float (see
        ``global_norm``).

    Raises:
        TypeError: an argument has the wrong type (see ``global_norm``;
            ``max_norm`` and ``eps`` must be real numbers, not bools).
        ValueError: ``max_norm`` is negative or NaN, ``eps`` is negative or
            not finite, ``norm_type`` is below 1, or an array is read-only.
        NonFiniteGradientError: a gradient holds NaN or inf and
            ``error_if_nonfinite`` is true.

    Example:
        >>> import numpy as np
        >>> grads = {"W": np.array([3.0, 4.0])}
        >>> clip_grads(grads, max_norm=1.0)
        5.0
        >>> grads["W"].round(6).tolist()
        [0.6, 0.8]

    References:
        Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent
        neural networks", ICML 2013, arXiv:1211.5063.
    """
    limit = check_threshold("max_norm", max_norm, allow_inf=True)
    p = check_norm_type(norm_type)
    epsilon = check_nonnegative("eps", eps, allow_inf=False)
    strict = check_flag("error_if_nonfinite", error_if_nonfinite)
    entries = collect_grads(grads, writeable=True)
    total = norm(entries.arrays, p)
    if not total.is_finite:
        if strict:
            raise NonFiniteGradientError(_nonfinite_message(entries))
        return float(total)
    _scale_to(entries.arrays, limit, total, epsilon)
    return float(total)


def clip_grads_with_norm(
    grads: Grads,
    max_norm: RealNumber,
    total_norm: RealNumber,
    *,
    eps: RealNumber = 1e-6,
) -> None:
    """Scale gradients in place as ``clip_grads`` would, given their norm.

    For a norm computed elsewhere, such as one combined across data-parallel
    workers: every worker then scales its shard by the same factor.

    Args:
        grads: a mapping of keys to writeable arrays, or a sequence of them.
        max_norm: the largest allowed norm, >= 0; inf never clips.
        total_norm: the global norm of all shards, finite and >= 0; beyond
            the float64 range as an int, ``Fraction`` or ``longdouble``.
        eps: added to the norm before dividing, >= 0 and finite.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: ``max_norm`` is negative or NaN, ``total_norm`` is
            negative or not finite (skip the step, or use ``clip_grads``,
            which keeps norms beyond the float64 range exact), ``eps`` is
            negative or not finite, or an array is read-only.

    Example:
        >>> import numpy as np
        >>> shard = [np.array([3.0, 4.0])]
        >>> clip_grads_with_norm(shard, max_norm=1.0, total_norm=10.0, eps=0.0)
        >>> shard[0].tolist()
        [0.3, 0.4]
    """
    limit = check_threshold("max_norm", max_norm, allow_inf=True)
    known = check_threshold("total_norm", total_norm, allow_inf=False)
    epsilon = check_nonnegative("eps", eps, allow_inf=False)
    entries = collect_grads(grads, writeable=True)
    _scale_to(entries.arrays, limit, known, epsilon)


def clip_grads_value(grads: RealGrads, clip_value: RealNumber) -> None:
    """Clip every gradient element to ``[-clip_value, clip_value]`` in place.

    The bound is rounded down to each array's dtype, so no element ends up
    above ``clip_value``. NaN elements stay NaN.

    Args:
        grads: a mapping of keys to writeable real arrays, or a sequence of
            them.
        clip_value: the largest allowed magnitude, >= 0; inf never clips, a
            finite bound beyond every dtype's range clips inf to its max.

    Raises:
        TypeError: an argument has the wrong type, or an array is complex.
        ValueError: ``clip_value`` is negative or NaN, or an array is
            read-only.

    Example:
        >>> import numpy as np
        >>> grads = [np.array([-3.0, 0.5, 2.0])]
        >>> clip_grads_value(grads, 1.0)
        >>> grads[0].tolist()
        [-1.0, 0.5, 1.0]
    """
    threshold = check_threshold("clip_value", clip_value, allow_inf=True)
    entries = collect_grads(grads, writeable=True, allow_complex=False)
    if not threshold.is_finite:
        return
    bound = float(threshold)  # inf beyond float64: every dtype's max is below
    for array in entries.arrays:
        largest = float(np.finfo(REAL_DTYPES[array.dtype]).max)
        limit = array.dtype.type(min(bound, largest))
        if float(limit) > bound:
            limit = np.nextafter(limit, array.dtype.type(0))
        np.clip(array, -limit, limit, out=array)


def _scale_to(
    arrays: tuple[GradArray, ...], limit: ScaledNorm, total: ScaledNorm, eps: float
) -> None:
    """Multiply ``arrays`` by ``limit / (total + eps)`` when that is below 1."""
    rate = _rate(limit, total, eps)
    if rate is None:
        return
    mantissa, exponent = rate
    if exponent >= _MIN_NORMAL_EXPONENT:
        _multiply(arrays, math.ldexp(mantissa, exponent))
        return
    # A rate below float64's normal range would lose its precision: scale by
    # an exact power of two first, so that the largest elements keep theirs.
    first = max(exponent, _MIN_NORMAL_EXPONENT)
    _multiply(arrays, math.ldexp(1.0, first))
    _multiply(arrays, math.ldexp(mantissa, exponent - first))


_MIN_NORMAL_EXPONENT = -1021
"""``math.ldexp(m, e)`` with ``0.5 <= m < 1`` is a normal float64 from here up."""


def _rate(limit: ScaledNorm, total: ScaledNorm, eps: float) -> tuple[float, int] | None:
    """Return ``limit / (total + eps)`` as ``(m, e)``, ``m * 2**e``, if below 1.

    The division is done on mantissas and exponents, so it neither overflows
    nor underflows, whatever the magnitudes. Beyond the float64 range eps is
    negligible and is left out. ``m`` is 0 or in ``[0.5, 1)``.
    """
    if not limit.is_finite:
        return None
    value = float(total)
    if value == math.inf:
        divisor, shift = total.mantissa, total.exponent
    elif value + eps == math.inf:
        divisor, shift = value / 2 + eps / 2, 1
    else:
        divisor, shift = value + eps, 0
    if divisor == 0:
        return None
    limit_mantissa, limit_exponent = math.frexp(limit.mantissa)
    limit_exponent += limit.exponent
    divisor_mantissa, divisor_exponent = math.frexp(divisor)
    mantissa, extra = math.frexp(limit_mantissa / divisor_mantissa)
    exponent = limit_exponent - divisor_exponent - shift + extra
    if mantissa != 0 and exponent > 0:
        return None
    return mantissa, exponent


def _multiply(arrays: tuple[GradArray, ...], factor: float) -> None:
    """Multiply every array in place by ``factor``, rounding once per element.

    Arrays of more than ``_PIECE`` elements are cut into pieces that the
    machine's cores scale at once (see ``gradclip._parallel``), last piece
    first: the norm read it last, so it may still be in cache. float16 goes
    through a table (see ``gradclip._half``) when there is enough of it.
    """
    small: dict[np.dtype[Any], list[GradArray]] = {}
    large = []
    for array in arrays:
        if array.size > _PIECE:
            large.append(array)
        else:
            small.setdefault(array.dtype, []).append(array)
    halves = sum(array.size for array in arrays if array.dtype == _HALF)
    lookup = table(factor) if halves >= TABLE_FROM else None
    scalars = {
        dtype: _scalar_for(dtype, factor)
        for dtype in {*small, *(array.dtype for array in large)}
        if dtype != _HALF
    }
    multiply = np.multiply
    for dtype, group in small.items():
        if dtype == _HALF:
            for array in group:
                _scale_half(array, factor, lookup)
        else:
            scalar = scalars[dtype]
            for array in group:
                multiply(array, scalar, array)

    def scale(piece: GradArray) -> None:
        if piece.dtype == _HALF:
            _scale_half(piece, factor, lookup)
        else:
            multiply(piece, scalars[piece.dtype], piece)

    run_pieces(scale, split(large, _PIECE)[::-1])


_HALF = np.dtype(np.float16)


def _scale_half(
    array: GradArray, factor: float, lookup: NDArray[np.uint16] | None
) -> None:
    if lookup is None:  # fewer than TABLE_FROM elements: each one directly
        array[...] = scaled_half(array.astype(np.float64), factor)
    else:
        scale_half(array, lookup)


_PIECE = 1 << 20
"""Elements per piece of a large array scaled on one thread."""


def _scalar_for(dtype: np.dtype[Any], factor: float) -> np.floating[Any]:
    """``factor`` in the dtype's precision, or in float64 where that would round it.

    Factors below the dtype's smallest normal number compute in float64, so
    that each element is rounded once.
    """
    real = REAL_DTYPES[dtype]
    if factor == 0 or factor >= np.finfo(real).tiny:
        return real.type(factor)
    return np.float64(factor)


def _nonfinite_message(entries: GradEntries) -> str:
    culprits = [
        label
        for position, array in enumerate(entries.arrays)
        if not is_finite(array)
        for label in entries.labels_of(position)
    ]
    return (
        "gradients must be finite to be clipped, got NaN or inf in "
        f"{', '.join(culprits)} (pass error_if_nonfinite=False to skip the step)"
    )
