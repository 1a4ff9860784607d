"""The MPI side of tests/test_distributed.py: run as ``mpiexec -n N python <this> OUT``.

Every rank builds the same gradient sets, takes its shard of each under
several shardings, runs ``gradclip.distributed`` on it, and writes what it saw
(norms as float hex, digests of its clipped arrays, errors and whether its
arrays were left as they were) to ``OUT/rank<r>.json``. The test compares the
files of all ranks and world sizes. One file per rank, written whatever the
other ranks do, so that a rank that raised is seen as well as one that did not.
"""

import hashlib
import json
import math
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

import gradclip

Array = NDArray[Any]

NORM_TYPES = (2.0, 3.0, math.inf)
SHARDINGS = ("round_robin", "blocks", "last", "shuffled")
MAX_NORM = 1.0


def gradient_sets() -> dict[str, list[Array]]:
    """The gradient sets, the same on every rank and in the test process.

    ``mixed``: every dtype, sizes from 0-d to pieces beyond one slice, a
    non-contiguous view. ``many``: 48 small float64 arrays of magnitudes from
    1e-8 to 1e8. ``float64``: float64 and complex128 only, for the 1e-12
    bound. ``large_only``: arrays of more than 65536 elements, which
    the single-process 2-norm reads as each rank does. ``huge``, ``tiny``,
    ``beyond``: squares that overflow, underflow, and a norm beyond float64's
    range. ``fsum_overflow``: two arrays whose sums of squares add up beyond
    float64's range. ``rounding``: squares 2.25 and five times ``2**-54``,
    whose norm rounds up only if the sum is exact: rounding each rank's part
    first gives 1.5 under most shardings. ``complex_beyond``: complex moduli
    beyond float64's range beside real arrays.
    """
    rng = np.random.default_rng(20261201)

    def normal(size: int | tuple[int, ...], dtype: str = "float64") -> Array:
        return rng.standard_normal(size).astype(dtype)

    def complex_normal(size: int, dtype: str) -> Array:
        return (rng.standard_normal(size) + 1j * rng.standard_normal(size)).astype(
            dtype
        )

    strided = normal((300, 40))[:, ::3]
    mixed = [
        normal((784, 50), "float32"),
        normal(50, "float32"),
        normal((50, 10), "float32"),
        normal(10, "float32"),
        normal(1_100_000, "float32"),
        normal(70_000),
        normal(3),
        np.array(2.5),
        np.zeros(0),
        normal(200, "float16"),
        complex_normal(64, "complex64"),
        complex_normal(33, "complex128"),
        strided,
        normal((17, 3)).T,
    ]
    float64 = [
        normal(5),
        normal((30, 7)),
        normal(100_000),
        normal(1_100_000),
        complex_normal(40, "complex128"),
        normal(1),
        normal((20, 20))[::2, ::3],
    ]
    large_only = [
        normal(70_000, "float32"),
        normal(200_000),
        normal(66_000),
        normal(1_100_000),
    ]
    many = [
        normal(int(size)) * 10.0 ** float(power)
        for size, power in zip(
            rng.integers(1, 300, 48), rng.uniform(-8, 8, 48), strict=True
        )
    ]
    return {
        "mixed": mixed,
        "many": many,
        "float64": float64,
        "large_only": large_only,
        "huge": [normal(n) * 1e200 for n in (5, 80, 70_000)],
        "tiny": [normal(n) * 1e-200 for n in (5, 80, 70_000)],
        "beyond": [np.full(n, 1e308) for n in (4, 9, 70_000)],
        "fsum_overflow": [np.full(10, 4e153), np.full(10, 4e153)],
        "rounding": [np.array([1.5]), *(np.array([2.0**-27]) for _ in range(5))],
        "complex_beyond": [
            np.full(3, 1.5e308 - 1.5e308j),
            normal(50) * 1e300,
            complex_normal(20, "complex64"),
        ],
    }


def shard_of(name: str, count: int, size: int, rank: int) -> list[int]:
    """The indices of the arrays that ``rank`` holds under a sharding."""
    order = list(range(count))
    if name == "round_robin":
        return [i for i in order if i % size == rank]
    if name == "blocks":
        per = -(-count // size)
        return order[rank * per : (rank + 1) * per]
    if name == "reversed":
        return [i for i in order if (count - 1 - i) % size == rank]
    if name == "last":
        return order if rank == size - 1 else []
    if name == "shuffled":
        permutation = np.random.default_rng(7).permutation(count)
        return [i for i in order if int(permutation[i]) % size == rank]
    raise ValueError(f"unknown sharding {name!r}")


def digest(array: Array) -> str:
    """A digest of an array's values, dtype and shape."""
    data = np.ascontiguousarray(array).tobytes()
    return hashlib.sha256(data + str((array.dtype, array.shape)).encode()).hexdigest()


def outcome(call: Callable[[], float], arrays: list[Array]) -> dict[str, Any]:
    """Call ``call``; return its float (hex) or error, and whether ``arrays`` kept."""
    before = [digest(a) for a in arrays]
    record: dict[str, Any] = {}
    try:
        record["value"] = call().hex()
    except Exception as error:
        record["error"] = [type(error).__name__, str(error)]
    record["unchanged"] = before == [digest(a) for a in arrays]
    return record


def single_error(call: Callable[[], object]) -> list[str] | None:
    """The error that a single-process call raises, as ``[type, message]``."""
    try:
        call()
    except Exception as error:
        return [type(error).__name__, str(error)]
    return None


def agreement_runs(comm: Any, sets: dict[str, list[Array]]) -> dict[str, Any]:
    """Norms and clipped digests of every set, sharding and norm type."""
    from gradclip import distributed

    results: dict[str, Any] = {}
    for set_name, arrays in sets.items():
        for sharding in SHARDINGS:
            held = shard_of(sharding, len(arrays), comm.size, comm.rank)
            for p in NORM_TYPES:
                shard = {f"g{i}": arrays[i].copy() for i in held}
                norm = distributed.global_norm(shard, comm, norm_type=p)
                clipped = distributed.clip_grads(shard, MAX_NORM, comm, norm_type=p)
                results[f"{set_name}/{sharding}/{p}"] = {
                    "norm": norm.hex(),
                    "clip": clipped.hex(),
                    "digests": {key: digest(a) for key, a in shard.items()},
                }
    return results


def fault_runs(comm: Any) -> dict[str, Any]:
    """Each kind of bad input on the last rank (and one on two ranks)."""
    from gradclip import distributed

    bad = comm.size - 1
    rng = np.random.default_rng(comm.rank)

    def shard() -> dict[str, Array]:
        return {"W": rng.standard_normal((4, 3)), "b": rng.standard_normal(3) * 10}

    def with_bad(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        grads: dict[str, Any] = shard()
        if comm.rank == bad:
            change(grads)
        return grads

    def int_array(grads: dict[str, Any]) -> None:
        grads["b"] = np.arange(3)

    def read_only(grads: dict[str, Any]) -> None:
        grads["W"].flags.writeable = False

    def nan(grads: dict[str, Any]) -> None:
        grads["b"][1] = np.nan

    def inf(grads: dict[str, Any]) -> None:
        grads["W"][0, 0] = -np.inf

    cases: dict[str, tuple[Callable[[dict[str, Any]], None], dict[str, Any]]] = {
        "dtype": (int_array, {}),
        "read_only": (read_only, {}),
        "nan": (nan, {}),
        "inf": (inf, {}),
        "nan_p3": (nan, {"norm_type": 3.0}),
        "nan_max": (nan, {"norm_type": math.inf}),
        "nan_skip": (nan, {"error_if_nonfinite": False}),
        "inf_skip": (inf, {"error_if_nonfinite": False}),
    }
    results: dict[str, Any] = {}
    for name, (change, options) in cases.items():
        grads = with_bad(change)
        results[name] = outcome(
            partial(distributed.clip_grads, grads, MAX_NORM, comm, **options),
            list(grads.values()),
        )
        copies = {k: v.copy() if v.flags.writeable else v for k, v in grads.items()}
        results[name]["single"] = single_error(
            partial(gradclip.clip_grads, copies, MAX_NORM, **options)
        )
    settings: dict[str, dict[str, Any]] = {
        "max_norm": {"max_norm": -1.0},
        "eps": {"eps": math.inf},
        "norm_type": {"norm_type": 0.5},
        "flag": {"error_if_nonfinite": 1},
        "max_norm_differs": {"max_norm": 2.0},
        "norm_type_differs": {"norm_type": 1.0},
    }
    for name, mine in settings.items():
        grads = shard()
        given: dict[str, Any] = {"max_norm": MAX_NORM}
        if comm.rank == bad:
            given.update(mine)
        results[name] = outcome(
            partial(distributed.clip_grads, grads, comm=comm, **given),
            list(grads.values()),
        )
        copies = {k: v.copy() for k, v in grads.items()}
        results[name]["single"] = single_error(
            partial(gradclip.clip_grads, copies, **given)
        )
    beyond = {"max_norm_beyond_differs": 2 * 10**400, "max_norm_beyond": 10**400}
    for name, limit in beyond.items():
        grads = shard()
        results[name] = outcome(
            partial(
                distributed.clip_grads,
                grads,
                limit if comm.rank == bad else 10**400,
                comm,
            ),
            list(grads.values()),
        )
    grads = shard()
    norm_type = 0.5 if comm.rank == bad else 2.0
    results["global_norm_type"] = outcome(
        lambda: distributed.global_norm(grads, comm, norm_type=norm_type), []
    )
    results["global_norm_type"]["single"] = single_error(
        lambda: gradclip.global_norm(grads, norm_type=norm_type)
    )
    local: Any = np.ones(3) if comm.rank == bad else shard()
    results["not_a_mapping"] = outcome(
        lambda: distributed.clip_grads(local, MAX_NORM, comm), []
    )
    results["not_a_mapping"]["single"] = single_error(
        lambda: gradclip.clip_grads(local, MAX_NORM)
    )
    grads = shard()
    if comm.rank == 0:
        int_array(grads)
    if comm.rank == bad:
        read_only(grads)
    results["two_ranks"] = outcome(
        lambda: distributed.clip_grads(grads, MAX_NORM, comm), list(grads.values())
    )
    results["two_ranks"]["single"] = single_error(
        lambda: gradclip.clip_grads(grads, MAX_NORM)
    )
    return results


def bytes_runs(comm: Any) -> dict[str, int]:
    """Bytes this rank hands to MPI per call, for few or many elements and arrays."""
    from mpi4py import MPI

    from gradclip import distributed

    # Without mpi4py (mypy then sees MPI as Any) this subclasses Any.
    class CountingComm(MPI.Intracomm):  # type: ignore[misc, unused-ignore]
        sent = 0

        def Allreduce(self, sendbuf: Any, recvbuf: Any, op: Any = MPI.SUM) -> None:
            self.sent += np.asarray(sendbuf).nbytes
            super().Allreduce(sendbuf, recvbuf, op)

        def Iallreduce(self, sendbuf: Any, recvbuf: Any, op: Any = MPI.SUM) -> Any:
            self.sent += np.asarray(sendbuf).nbytes
            return super().Iallreduce(sendbuf, recvbuf, op)

    counting = CountingComm(comm)
    shapes = {"one": [(1,)], "million": [(1_000_000,)], "fifty": [(10,)] * 50}
    results: dict[str, int] = {}
    for name, sizes in shapes.items():
        for p in NORM_TYPES:
            shard = [np.ones(size) for size in sizes]
            before = counting.sent
            distributed.clip_grads(shard, MAX_NORM, counting, norm_type=p)
            results[f"{name}/{p}"] = counting.sent - before
    return results


def main() -> None:
    """Run every scenario and write this rank's results."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    out = Path(sys.argv[1])
    results = {
        "size": comm.size,
        "agreement": agreement_runs(comm, gradient_sets()),
        "faults": fault_runs(comm),
        "bytes": bytes_runs(comm),
    }
    comm.Barrier()
    (out / f"rank{comm.rank}.json").write_text(json.dumps(results))


if __name__ == "__main__":
    main()
