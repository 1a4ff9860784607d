"""Gradient clipping across MPI processes: exact, reproducible, all or nothing.

Each process (rank) of an MPI communicator holds a disjoint shard of the
gradients, as with optimizer-state sharding or tensor parallelism, and calls
the same function with its own arrays; every rank gets the same global norm
and scales its own arrays by the same factor.

How the norm is shared. Each rank computes the terms of the norm with the
single-process machinery of ``gradclip._norms``, one or more terms per array,
each depending on that array alone (the single-process 2-norm sums small
arrays in batches together instead; here a batch of small arrays keeps each
array's sum apart). It adds its terms up exactly, as an integer: every
term is a float64 times a power of four no smaller than ``4**-1000``, so an
integer count of ``2**-3074`` holds it without rounding. The ranks add these
integers with one ``MPI_Allreduce`` over 32-bit limbs held in int64 (room for
``2**31`` ranks of carries), and integer addition is associative: the sum is
the same whatever the number of ranks, their order, and which rank holds
which array. It is rounded once, at the end, so the norm never overflows or
underflows and is bit-identical on every rank. The p-norms (``norm_type`` not
2) and the largest absolute value are bit-identical to single-process
``gradclip.clip_grads`` on all the arrays together; the 2-norm is within the
same documented bound of the exact norm (1e-12 relative for float64 data,
1e-6 for float32 and float16), and equal to the single-process one when
every array has more than 65536 elements (both read those alike).

All or nothing. Every rank first checks its own arguments and reads its
arrays; a second ``MPI_Allreduce`` (MAX), posted at the same time as the sum,
tells every rank whether any rank refused its input, found NaN or inf, or was
passed another ``max_norm``, ``norm_type``, ``eps`` or ``error_if_nonfinite``.
Then either every rank scales or none does: a rank at fault raises the error
the single-process function would, and the others raise the same kind of
error naming the rank at fault. A call hands MPI 1480 bytes per rank whatever
the number of elements, arrays or ranks; a p-norm other than 2 needs the
largest modulus before its sum: 1352 bytes more for the sum, and 16 for the
largest modulus of complex arrays.

Bit-identical "whichever rank holds which array" means the same array: its
values and its memory layout, which sets how it is read in chunks (a
contiguous array and a strided view of the same values may round apart).

Every rank must call with the same communicator, in the same order as its
other collective calls; a ``comm`` that is not an MPI communicator is refused
on the spot, before any exchange, as no other rank can be told.

References:
    Kulisch, "Computer Arithmetic and Validity", 2nd ed., de Gruyter 2013
    (exact accumulation of floating-point numbers in a long integer).
    Demmel, Nguyen, "Parallel reproducible summation", IEEE Trans. Computers
    64(7), 2015.
    MPI Forum, "MPI: A Message-Passing Interface Standard", version 4.1,
    2023, ch. 6 (MPI_Allreduce, MPI_Iallreduce).
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gradclip._norms import (
    ScaledNorm,
    _scale_exponent,
    largest_part,
    power_sums,
    scaled_modulus_max,
    square_sums,
)
from gradclip._typing import GradArray, Grads, RealNumber
from gradclip._validation import (
    GradEntries,
    check_flag,
    check_nonnegative,
    check_norm_type,
    check_threshold,
    collect_grads,
)
from gradclip.clipping import NonFiniteGradientError, _nonfinite_message, _scale_to

try:
    from mpi4py import MPI
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "gradclip.distributed needs mpi4py: pip install 'gradclip[mpi]'"
    ) from error

__all__ = ["clip_grads", "global_norm"]

_FRACTION_BITS = 3074
"""The exact sum counts units of ``2**-3074``, ``2**-1074`` times ``4**-1000``.

Terms of the 2-norm are ``s * 4**e`` with ``e >= -1000`` (see
``gradclip._norms``); terms of the p-norms are plain floats.
"""

_LIMB_BITS = 32
_LIMBS = 168
"""32-bit limbs of the exact sum: 5376 bits, above the ``2**5217`` that a sum of
``2**32`` terms of at most ``2**63 * 4**1024`` each can reach."""

_STATUS = ("fault", "nan", "inf", "complex", "part")
"""The first slots of the MAX-reduced status: 0 or 1 flags, then the float64
bits of the local largest real or imaginary part (the p-norms' scale); the
settings' bits and their negations follow."""

_UNSET = np.iinfo(np.int64).min
"""A status slot that does not take part in the maximum."""

_RAISED_ON_EVERY_RANK = {
    "TypeError": TypeError,
    "ValueError": ValueError,
    "NonFiniteGradientError": NonFiniteGradientError,
}


def global_norm(
    local_grads: Grads, comm: MPI.Intracomm, *, norm_type: RealNumber = 2.0
) -> float:
    """Return the norm of every rank's gradients together as one vector.

    Collective: every rank of ``comm`` calls it with its own shard.

    Args:
        local_grads: this rank's arrays, a mapping of keys to arrays or a
            sequence of them (possibly empty); no array may be held by two
            ranks.
        comm: the MPI communicator of the ranks that share the gradients.
        norm_type: the p of the p-norm, p >= 1, the same on every rank;
            ``float('inf')`` gives the largest absolute value.

    Returns:
        The global norm, the same float on every rank (see the module's
        docstring for its accuracy); inf when it exceeds the float64 range;
        NaN if any element on any rank is NaN, else inf if any is inf.

    Raises:
        TypeError: on every rank, when any rank's argument has the wrong type
            (see ``gradclip.global_norm``), or ``comm`` is not an
            ``mpi4py.MPI.Intracomm`` (on that rank only).
        ValueError: on every rank, when any rank's ``norm_type`` is below 1,
            or the ranks passed different ones.

    Example:
        >>> import numpy as np
        >>> from mpi4py import MPI
        >>> global_norm([np.array([3.0, 4.0])], MPI.COMM_SELF)
        5.0
    """
    group = _check_comm(comm)
    fault: Exception | None = None
    try:
        p = check_norm_type(norm_type)
        entries = collect_grads(local_grads, writeable=False)
        local = _Local.read(entries.arrays, p)
    except Exception as error:  # every rank must hear of it: see _agree
        fault, local, p = error, _Local.refused(), math.nan
    agreed = _agree(group, local, fault, {"norm_type": p})
    if not agreed.finite:
        return math.nan if agreed.nan else math.inf
    return float(_finish(group, local, agreed, p))


def clip_grads(
    local_grads: Grads,
    max_norm: RealNumber,
    comm: MPI.Intracomm,
    *,
    norm_type: RealNumber = 2.0,
    eps: RealNumber = 1e-6,
    error_if_nonfinite: bool = True,
) -> float:
    """Scale every rank's gradients in place to a global norm of at most ``max_norm``.

    Collective: every rank of ``comm`` calls it with its own shard and the
    same settings. With ``rate = max_norm / (total_norm + eps)`` over all
    ranks' arrays, every rank multiplies its arrays by ``rate`` when
    ``rate < 1``, as ``gradclip.clip_grads`` does; or, when any rank's input
    is refused, no rank writes anything.

    Args:
        local_grads: this rank's writeable arrays, a mapping of keys to arrays
            or a sequence of them (possibly empty); no array may be held by
            two ranks.
        max_norm: the largest allowed norm, >= 0; 0 zeroes the gradients and
            inf never clips.
        comm: the MPI communicator of the ranks that share the gradients.
        norm_type: the p of the p-norm, p >= 1; ``float('inf')`` gives the
            largest absolute value.
        eps: added to the norm before dividing, >= 0 and finite.
        error_if_nonfinite: raise when a gradient on any rank holds NaN or
            inf. When false, every rank leaves its gradients untouched and
            returns the non-finite norm, so that all skip the step together.

    Returns:
        The global norm before clipping, the same float on every rank (see
        ``global_norm``).

    Raises:
        TypeError: on every rank, when any rank's argument has the wrong type
            (see ``gradclip.clip_grads``), or ``comm`` is not an
            ``mpi4py.MPI.Intracomm`` (on that rank only).
        ValueError: on every rank, when any rank's ``max_norm``, ``eps`` or
            ``norm_type`` is out of range or an array is read-only, or the
            ranks passed different settings.
        NonFiniteGradientError: on every rank, when a gradient on any rank
            holds NaN or inf and ``error_if_nonfinite`` is true.

    Example:
        >>> import numpy as np
        >>> from mpi4py import MPI
        >>> grads = {"W": np.array([3.0, 4.0])}
        >>> clip_grads(grads, 1.0, MPI.COMM_SELF)
        5.0
        >>> grads["W"].round(6).tolist()
        [0.6, 0.8]

    References:
        Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent
        neural networks", ICML 2013, arXiv:1211.5063.
    """
    group = _check_comm(comm)
    fault: Exception | None = None
    entries: GradEntries | None = None
    try:
        limit = check_threshold("max_norm", max_norm, allow_inf=True)
        p = check_norm_type(norm_type)
        epsilon = check_nonnegative("eps", eps, allow_inf=False)
        strict = check_flag("error_if_nonfinite", error_if_nonfinite)
        entries = collect_grads(local_grads, writeable=True)
        local = _Local.read(entries.arrays, p)
    except Exception as error:  # every rank must hear of it: see _agree
        fault, local = error, _Local.refused()
        limit, p, epsilon = ScaledNorm(math.nan), math.nan, math.nan
        strict = False
    settings: dict[str, float | ScaledNorm] = {
        "max_norm": limit,
        "norm_type": p,
        "eps": epsilon,
        "error_if_nonfinite": float(strict),
    }
    agreed = _agree(group, local, fault, settings)
    assert entries is not None  # else _agree raised
    if not agreed.finite:
        if strict:
            culprit = None
            if not local.finite:
                culprit = NonFiniteGradientError(_nonfinite_message(entries))
            _raise_together(group, culprit)
        return math.nan if agreed.nan else math.inf
    total = _finish(group, local, agreed, p)
    _scale_to(entries.arrays, limit, total, epsilon)
    return float(total)


def _check_comm(comm: object) -> MPI.Intracomm:
    if not isinstance(comm, MPI.Intracomm) or comm == MPI.COMM_NULL:
        raise TypeError(
            "comm must be an mpi4py.MPI.Intracomm such as MPI.COMM_WORLD, "
            f"got comm={comm!r} of type {type(comm).__name__}"
        )
    return comm


@dataclass(frozen=True)
class _Local:
    """What one rank found in its own arrays, before any exchange.

    Attributes:
        arrays: the rank's distinct arrays.
        squares: the exact sum of its 2-norm terms, in units of ``2**-3074``
            (0 for other norms).
        part: its largest real or imaginary part (0 for the 2-norm, which
            needs none), NaN if an element is NaN.
        complex: it holds a complex array.
        nan: an element is NaN.
        inf: an element is inf.
    """

    arrays: tuple[GradArray, ...]
    squares: int
    part: float
    complex: bool
    nan: bool
    inf: bool

    @property
    def finite(self) -> bool:
        """Whether every element is finite."""
        return not (self.nan or self.inf)

    @classmethod
    def read(cls, arrays: tuple[GradArray, ...], p: float) -> "_Local":
        """Read ``arrays`` once: the 2-norm's exact sum, or the largest part."""
        complex_ = any(array.dtype.kind == "c" for array in arrays)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            if p == 2:
                terms = square_sums(arrays)
                values = [s for s, _ in terms]
                nan = any(math.isnan(s) for s in values)
                inf = not nan and math.inf in values
                squares = 0 if nan or inf else _exact_sum(terms)
                return cls(arrays, squares, 0.0, complex_, nan, inf)
            part = largest_part(arrays)
        nan = math.isnan(part)
        return cls(arrays, 0, part, complex_, nan, part == math.inf)

    @classmethod
    def refused(cls) -> "_Local":
        """A rank whose input was refused: it adds nothing."""
        return cls((), 0, 0.0, False, False, False)


@dataclass(frozen=True)
class _Agreed:
    """What every rank learns from the first exchange, identically.

    Attributes:
        nan: an element on some rank is NaN.
        inf: an element on some rank is inf.
        complex: some rank holds a complex array.
        part: the largest real or imaginary part over all ranks (p-norms).
        squares: the exact sum of every rank's 2-norm terms.
    """

    nan: bool
    inf: bool
    complex: bool
    part: float
    squares: int

    @property
    def finite(self) -> bool:
        """Whether every element on every rank is finite."""
        return not (self.nan or self.inf)


def _agree(
    comm: MPI.Intracomm,
    local: _Local,
    fault: Exception | None,
    settings: dict[str, float | ScaledNorm],
) -> _Agreed:
    """Exchange every rank's status and exact sum; raise together if any is at fault.

    Two all-reduces are posted at once, so that they cost one round trip: a
    MAX over the flags, the largest part and the settings (each as integer
    keys and their negations, so that the maximum of both tells whether the
    ranks agree), and a SUM over the limbs of the exact sums.
    """
    keys = {name: _keys(value) for name, value in settings.items()}
    values = np.array([key for each in keys.values() for key in each], np.int64)
    status = np.array(
        [
            fault is not None,
            local.nan,
            local.inf,
            local.complex,
            _bits(local.part),
            *values,
            *(-values),
        ],
        dtype=np.int64,
    )
    if fault is not None:
        status[len(_STATUS) :] = _UNSET
    limbs = _to_limbs(local.squares)
    status_out, limbs_out = np.empty_like(status), np.empty_like(limbs)
    MPI.Request.Waitall(
        [
            comm.Iallreduce(status, status_out, op=MPI.MAX),
            comm.Iallreduce(limbs, limbs_out, op=MPI.SUM),
        ]
    )
    if status_out[0]:
        _raise_together(comm, fault)
    highest = status_out[len(_STATUS) : len(_STATUS) + len(values)]
    lowest = -status_out[len(_STATUS) + len(values) :]
    start = 0
    for name, each in keys.items():
        low, high = (
            lowest[start : start + len(each)],
            highest[start : start + len(each)],
        )
        start += len(each)
        if (low != high).any():
            smallest, largest = _from_bits(low[0]), _from_bits(high[0])
            got = (
                f"from {smallest!r} to {largest!r}"
                if smallest != largest
                else "values beyond the float64 range that differ"
            )
            raise ValueError(f"{name} must be the same on every rank, got {name} {got}")
    return _Agreed(
        nan=bool(status_out[1]),
        inf=bool(status_out[2]),
        complex=bool(status_out[3]),
        part=_from_bits(status_out[4]),
        squares=_from_limbs(limbs_out),
    )


def _finish(
    comm: MPI.Intracomm, local: _Local, agreed: _Agreed, p: float
) -> ScaledNorm:
    """Return the global norm from the agreed sums, as single-process ``norm`` would.

    A p-norm other than 2 scales by the largest modulus, which complex arrays
    make a second exchange (a MAX) for, and sums in a third (a SUM).
    """
    if p == 2:
        return _root(agreed.squares)
    if agreed.part == 0:
        return ScaledNorm(0.0)
    largest = ScaledNorm(agreed.part)
    if agreed.complex:
        shift = _scale_exponent(agreed.part)
        top = _exchange(
            comm, lambda: [_bits(scaled_modulus_max(local.arrays, shift))], 1, MPI.MAX
        )
        largest = ScaledNorm(_from_bits(top[0]), shift)
    if p == math.inf:
        return largest

    def sum_of_powers() -> NDArray[np.int64]:
        terms = power_sums(local.arrays, p, largest.mantissa, largest.exponent)
        return _to_limbs(_exact_sum((term, 0) for term in terms))

    power_sum = _from_limbs(_exchange(comm, sum_of_powers, _LIMBS, MPI.SUM))
    mantissa, exponent = math.frexp(largest.mantissa)
    root = (power_sum / (1 << _FRACTION_BITS)) ** (1 / p)
    return ScaledNorm(mantissa * root, exponent + largest.exponent)


def _exchange(
    comm: MPI.Intracomm,
    compute: Callable[[], Sequence[int] | NDArray[np.int64]],
    size: int,
    op: MPI.Op,
) -> NDArray[np.int64]:
    """All-reduce what ``compute`` gives on every rank, after the first exchange.

    ``compute`` gives ``size`` integers. A rank whose ``compute`` raises
    sends zeros (neutral for MAX and SUM) and a fault flag instead, so that
    every rank raises together rather than wait for it.
    """
    fault: Exception | None = None
    try:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            values = np.asarray(compute(), dtype=np.int64)
    except Exception as error:  # every rank must hear of it
        fault, values = error, np.zeros(size, np.int64)
    sent = np.append(values, np.int64(fault is not None))
    received = np.empty_like(sent)
    comm.Allreduce(sent, received, op=op)
    if received[-1]:
        _raise_together(comm, fault)
    return received[:-1]


def _raise_together(comm: MPI.Intracomm, error: Exception | None) -> None:
    """Raise on every rank: ``error`` where there is one, else one naming its rank.

    Collective: every rank calls it after learning that some rank is at fault.
    """
    reports = comm.allgather(
        None if error is None else (type(error).__name__, str(error))
    )
    if error is not None:
        raise error
    faulty = [(rank, report) for rank, report in enumerate(reports) if report]
    kind, message = faulty[0][1]
    ranks = ", ".join(str(rank) for rank, _ in faulty)
    who = f"rank {ranks}" if len(faulty) == 1 else f"ranks {ranks}"
    raise _RAISED_ON_EVERY_RANK.get(kind, RuntimeError)(
        f"{who} raised {kind}, so every rank stopped: {message}"
    )


def _exact_sum(terms: Iterable[tuple[float, int]]) -> int:
    """Return the exact sum of ``s * 4**e`` over ``terms``, in units of ``2**-3074``."""
    total = 0
    for s, e in terms:
        numerator, denominator = s.as_integer_ratio()
        total += numerator << (_FRACTION_BITS + 2 * e - denominator.bit_length() + 1)
    return total


def _root(squares: int) -> ScaledNorm:
    """Return the square root of ``squares * 2**-3074``, rounding the sum once.

    The sum is brought to ``[0.5, 2)`` by a power of four, exactly, so that
    neither it nor its root can overflow or underflow.
    """
    if squares == 0:
        return ScaledNorm(0.0)
    exponent = (squares.bit_length() - _FRACTION_BITS) // 2
    mantissa = squares / (1 << (_FRACTION_BITS + 2 * exponent))  # rounded once
    return ScaledNorm(math.sqrt(mantissa), exponent)


def _to_limbs(total: int) -> NDArray[np.int64]:
    """The limbs of an exact sum."""
    data = total.to_bytes(_LIMBS * _LIMB_BITS // 8, "little")
    return np.frombuffer(data, dtype="<u4").astype(np.int64)


def _from_limbs(limbs: NDArray[np.int64]) -> int:
    """The exact sum of the summed limbs (each below ``2**63``)."""
    low = (limbs & 0xFFFFFFFF).astype("<u4").tobytes()
    high = (limbs >> _LIMB_BITS).astype("<u4").tobytes()
    return int.from_bytes(low, "little") + (
        int.from_bytes(high, "little") << _LIMB_BITS
    )


def _keys(value: float | ScaledNorm) -> list[int]:
    """Integers equal on two ranks exactly when the setting is: a float's bits;
    for a threshold beyond float64 (kept as ``m * 2**e``) also its normalised
    mantissa's bits and exponent. The first key orders like the values."""
    if not isinstance(value, ScaledNorm):
        return [_bits(value)]
    mantissa, exponent = math.frexp(value.mantissa)
    return [_bits(float(value)), _bits(mantissa), exponent + value.exponent]


def _bits(value: float) -> int:
    """The float64 bits of a value >= 0, which order like the values."""
    return int(np.float64(value).view(np.int64))


def _from_bits(bits: np.int64) -> float:
    return float(np.int64(bits).view(np.float64))
