"""gradclip.distributed under ``mpiexec -n 1``, ``-n 2`` and ``-n 4``.

Each world size runs tests/distributed_worker.py once, as a subprocess with a
timeout (a hang fails the test instead of the suite); the tests compare what
every rank wrote. Skipped, with the reason, where mpi4py or mpiexec is
missing (``pip install -e '.[mpi]'``). The per-array terms that
``gradclip._norms`` gives the module are tested here without MPI.
"""

import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.distributed_worker import (
    MAX_NORM,
    NORM_TYPES,
    SHARDINGS,
    Array,
    digest,
    gradient_sets,
    shard_of,
)

import gradclip
from gradclip._norms import (
    largest_part,
    norm,
    power_sums,
    scaled_modulus_max,
    square_sums,
)

WORLD_SIZES = (1, 2, 4)
_WORKER = Path(__file__).with_name("distributed_worker.py")
_EXAMPLE_NAME = "docs/examples/mpi_sharded_training.py"
_EXAMPLE = Path(__file__).parents[1] / _EXAMPLE_NAME
_TIMEOUT = 120
"""Seconds for one world size's run; a run takes a few seconds on 2 cores."""

Runs = dict[int, list[dict[str, Any]]]


def _mpiexec() -> str | None:
    """The mpiexec beside this Python (a venv's, from the mpich wheel), else PATH's."""
    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _skip_reason() -> str | None:
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install -e '.[mpi]')"
    if _mpiexec() is None:
        return "no mpiexec beside sys.executable or on PATH (pip install mpich)"
    return None


def _mpirun(size: int, script: Path, *args: str) -> str:
    """Run ``script`` on ``size`` ranks and return what it printed; a hang fails.

    Skips the calling test where mpi4py or mpiexec is missing.
    """
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    mpiexec = _mpiexec()
    assert mpiexec is not None
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if size > (os.cpu_count() or 1):
        # More ranks than cores: MPICH's waiting ranks yield their core instead
        # of spinning on it (4 ranks on 2 cores run about twice as fast).
        env["MPIR_CVAR_ENABLE_HEAVY_YIELD"] = "1"
    command = [mpiexec, "-n", str(size), sys.executable, str(script), *args]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    ) as process:
        try:
            output, errors = process.communicate(timeout=_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"mpiexec -n {size} did not finish in {_TIMEOUT} s: a hang")
    assert process.returncode == 0, f"mpiexec -n {size} failed:\n{output}{errors}"
    return output


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Every rank's results, per world size."""
    results: Runs = {}
    for size in WORLD_SIZES:
        out = tmp_path_factory.mktemp(f"n{size}")
        _mpirun(size, _WORKER, str(out))
        results[size] = [
            json.loads((out / f"rank{rank}.json").read_text()) for rank in range(size)
        ]
    return results


@pytest.fixture(scope="module")
def sets() -> dict[str, list[Array]]:
    return gradient_sets()


def _observations(runs: Runs, name: str, p: float) -> list[tuple[int, int, str, Any]]:
    """``(size, rank, sharding, result)`` of one set and norm type, everywhere."""
    return [
        (size, rank, sharding, result["agreement"][f"{name}/{sharding}/{p}"])
        for size, ranks in runs.items()
        for rank, result in enumerate(ranks)
        for sharding in SHARDINGS
    ]


def _cases() -> list[tuple[str, float]]:
    return [(name, p) for name in gradient_sets() for p in NORM_TYPES]


@pytest.mark.parametrize(("name", "p"), _cases())
def test_distributed_norm_identical_everywhere(runs: Runs, name: str, p: float) -> None:
    """One norm, to the bit, on every rank, world size and sharding."""
    seen = {(r["norm"], r["clip"]) for *_, r in _observations(runs, name, p)}
    assert len(seen) == 1, seen
    ((norm, clipped),) = seen
    assert norm == clipped


@pytest.mark.parametrize(("name", "p"), _cases())
def test_distributed_clipped_arrays_identical_everywhere(
    runs: Runs, sets: dict[str, list[Array]], name: str, p: float
) -> None:
    """Each array is held by exactly one rank and comes out the same wherever held."""
    count = len(sets[name])
    digests: dict[str, set[str]] = {}
    for size, rank, sharding, result in _observations(runs, name, p):
        held = [f"g{i}" for i in shard_of(sharding, count, size, rank)]
        assert sorted(result["digests"]) == sorted(held)
        for key, value in result["digests"].items():
            digests.setdefault(key, set()).add(value)
    assert sorted(digests) == sorted(f"g{i}" for i in range(count))
    assert all(len(values) == 1 for values in digests.values()), digests


def _reference_norm(arrays: list[Array], p: float) -> float:
    """An independent norm: float64 parts scaled by a power of two, then fsum."""
    parts = [
        np.ascontiguousarray(
            a, dtype=np.complex128 if a.dtype.kind == "c" else np.float64
        )
        for a in arrays
    ]
    reals = np.concatenate([part.view(np.float64).ravel() for part in parts])
    if not reals.any():
        return 0.0
    shift = math.frexp(float(np.abs(reals).max()))[1]
    scale = math.ldexp(1.0, -shift)
    if p == 2:
        root = math.sqrt(math.fsum(np.square(reals * scale).tolist()))
    else:
        moduli = np.concatenate([np.abs(part * scale).ravel() for part in parts])
        top = float(moduli.max())
        root = top * math.fsum(np.power(moduli / top, p).tolist()) ** (1 / p)
    try:
        return math.ldexp(root, shift)
    except OverflowError:
        return math.inf


_BOUND = {"mixed": 1e-6, "large_only": 1e-6}
"""Documented relative bounds where float32 or float16 data is present; 1e-12 else."""


@pytest.mark.parametrize(("name", "p"), _cases())
def test_distributed_norm_within_documented_bound(
    runs: Runs, sets: dict[str, list[Array]], name: str, p: float
) -> None:
    """The norm is within the single-process bound of an independent reference."""
    norm = float.fromhex(runs[1][0]["agreement"][f"{name}/round_robin/{p}"]["norm"])
    expected = _reference_norm(sets[name], p)
    if math.isinf(expected):
        assert norm == math.inf
    else:
        assert math.isfinite(norm)
        assert abs(norm - expected) <= _BOUND.get(name, 1e-12) * expected


def test_distributed_rounds_the_sum_once(
    runs: Runs, sets: dict[str, list[Array]]
) -> None:
    """With exact squares, the 2-norm is the root of the exact sum rounded once.

    Rounding any rank's part of the sum first gives 1.5 (see the worker's
    ``rounding`` set).
    """
    norm = float.fromhex(runs[4][0]["agreement"]["rounding/round_robin/2.0"]["norm"])
    assert norm == _reference_norm(sets["rounding"], 2.0) == 1.5 + 2.0**-52


@pytest.mark.parametrize(("name", "p"), _cases())
def test_distributed_matches_single_process(
    runs: Runs, sets: dict[str, list[Array]], name: str, p: float
) -> None:
    """Every rank scales by the factor single-process clipping gives for that norm.

    The p-norms and the largest value equal single-process ``global_norm``
    to the bit, and so does the 2-norm of arrays of more than 65536 elements;
    elsewhere the 2-norm is checked against its bound above.
    """
    result = runs[2][1]["agreement"][f"{name}/round_robin/{p}"]
    norm = float.fromhex(result["norm"])
    arrays = [a.copy() for a in sets[name]]
    if p != 2 or name == "large_only":
        assert gradclip.global_norm(arrays, norm_type=p) == norm
    if math.isfinite(norm):
        gradclip.clip_grads_with_norm(arrays, MAX_NORM, norm)
    else:
        gradclip.clip_grads(arrays, MAX_NORM, norm_type=p)
    expected = {f"g{i}": digest(a) for i, a in enumerate(arrays)}
    for sharding in SHARDINGS:
        for ranks in runs.values():
            for rank in ranks:
                for key, value in rank["agreement"][f"{name}/{sharding}/{p}"][
                    "digests"
                ].items():
                    assert value == expected[key], (sharding, key)


def _faults(runs: Runs, case: str) -> list[tuple[int, int, dict[str, Any]]]:
    return [
        (size, rank, result["faults"][case])
        for size, ranks in runs.items()
        for rank, result in enumerate(ranks)
    ]


_BAD_INPUT = [
    "dtype",
    "read_only",
    "nan",
    "inf",
    "nan_p3",
    "nan_max",
    "max_norm",
    "eps",
    "norm_type",
    "flag",
    "global_norm_type",
    "not_a_mapping",
]


@pytest.mark.parametrize("case", _BAD_INPUT)
def test_distributed_bad_input_on_one_rank_stops_every_rank(
    runs: Runs, case: str
) -> None:
    """The rank at fault raises its usual error; every other rank raises its kind,
    naming that rank; no rank writes anything."""
    for size, rank, outcome in _faults(runs, case):
        bad = size - 1
        assert outcome["unchanged"], (size, rank)
        assert "value" not in outcome, (size, rank)
        if rank == bad:
            assert outcome["single"] is not None
            assert outcome["error"] == outcome["single"]
        else:
            kind, message = runs[size][bad]["faults"][case]["single"]
            assert outcome["single"] is None
            assert outcome["error"] == [
                kind,
                f"rank {bad} raised {kind}, so every rank stopped: {message}",
            ]


@pytest.mark.parametrize(("case", "value"), [("nan_skip", "nan"), ("inf_skip", "inf")])
def test_distributed_nonfinite_skips_on_every_rank(
    runs: Runs, case: str, value: str
) -> None:
    """With error_if_nonfinite=False every rank returns the same non-finite
    norm and none writes."""
    for _, _, outcome in _faults(runs, case):
        assert outcome == {"value": value, "unchanged": True, "single": None}


@pytest.mark.parametrize(
    ("case", "name", "low", "high"),
    [
        ("max_norm_differs", "max_norm", 1.0, 2.0),
        ("norm_type_differs", "norm_type", 1.0, 2.0),
    ],
)
def test_distributed_settings_must_agree(
    runs: Runs, case: str, name: str, low: float, high: float
) -> None:
    """Valid settings that differ between ranks stop every rank alike."""
    for size, _, outcome in _faults(runs, case):
        if size == 1:
            assert "value" in outcome
            continue
        assert outcome["unchanged"]
        assert outcome["error"] == [
            "ValueError",
            f"{name} must be the same on every rank, got {name} from {low} to {high}",
        ]


def test_distributed_thresholds_beyond_float64_must_agree(runs: Runs) -> None:
    """max_norm beyond float64 is compared exactly, not as inf."""
    for _, _, outcome in _faults(runs, "max_norm_beyond"):
        assert outcome == {"value": outcome["value"], "unchanged": True}
    for size, _, outcome in _faults(runs, "max_norm_beyond_differs"):
        assert outcome["unchanged"]
        if size == 1:
            assert "value" in outcome
            continue
        assert outcome["error"] == [
            "ValueError",
            "max_norm must be the same on every rank, got max_norm values beyond "
            "the float64 range that differ",
        ]


def test_distributed_two_ranks_at_fault(runs: Runs) -> None:
    """Each rank at fault raises its own error; the others name both, with the
    first one's error."""
    for size, rank, outcome in _faults(runs, "two_ranks"):
        assert outcome["unchanged"]
        if rank in {0, size - 1}:
            assert outcome["error"] == outcome["single"]
            continue
        kind, message = runs[size][0]["faults"]["two_ranks"]["single"]
        assert outcome["error"] == [
            kind,
            f"ranks 0, {size - 1} raised {kind}, so every rank stopped: {message}",
        ]


def test_distributed_bytes_do_not_grow_with_elements_or_arrays(runs: Runs) -> None:
    """Each rank hands MPI the same bytes per call for 1 or 1e6 elements, 1 or
    50 arrays, and any world size: 1480, and 1352 more for a p-norm."""
    for ranks in runs.values():
        for rank in ranks:
            for key, sent in rank["bytes"].items():
                p = float(key.split("/")[1])
                assert sent == (1480 if p in {2, math.inf} else 1480 + 1352), key


def test_distributed_example_prints_the_same_for_any_world_size() -> None:
    """docs/examples/mpi_sharded_training.py: the same text for 1, 2 and 4 ranks,
    the text the README shows."""
    outputs = {size: _mpirun(size, _EXAMPLE) for size in WORLD_SIZES}
    assert outputs[2] == outputs[1]
    assert outputs[4] == outputs[1]
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    command = "$ .venv/bin/mpiexec -n 4 .venv/bin/python " + _EXAMPLE_NAME + "\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    assert shown == outputs[4], "README's Across MPI ranks shows another output"
    lines = outputs[1].splitlines()
    assert len(lines) == 12
    epochs = [line.split() for line in lines[1:-1]]
    assert [int(fields[0]) for fields in epochs] == list(range(1, 11))
    assert epochs[0][3] == "8/8"
    losses = [float(fields[1]) for fields in epochs]
    assert losses[-1] < losses[0]


def _exact_root(terms: list[tuple[float, int]]) -> tuple[float, int]:
    """The root of ``sum s * 4**e`` as ``(m, e)``, ``m * 2**e``: the sum exact
    (fractions), rounded once."""
    total = sum((Fraction(s) * Fraction(4) ** e for s, e in terms), Fraction(0))
    exponent = (total.numerator.bit_length() - total.denominator.bit_length()) // 2
    return math.sqrt(float(total / Fraction(4) ** exponent)), exponent


_TERM_CASES = {
    "small float32 of one batch": [
        np.arange(1, 301, dtype=np.float32) / 7,
        np.full(77, 0.1, dtype=np.float32),
    ],
    "float64, large": [np.linspace(-3, 3, 70_001), np.ones(5)],
    "squares overflow": [np.full(10, 4e153), np.full(3, 1e300)],
    "squares underflow": [np.full(10, 1e-170), np.full(3, 3e-160)],
    "complex and float16": [
        np.full(9, 3 + 4j, dtype=np.complex64),
        np.full(5, 0.5, dtype=np.float16),
    ],
    "many small float32 in several batches": [
        np.linspace(-1, 1, n, dtype=np.float32) * np.float32(1 + n % 7)
        for n in range(1, 5000, 97)
    ],
    "complex moduli beyond float64": [
        np.full(3, 1.5e308 + 1.5e308j),
        np.full(4, -1e308),
    ],
}


@pytest.mark.parametrize("arrays", _TERM_CASES.values(), ids=list(_TERM_CASES))
def test_square_sums_depend_on_each_array_alone(arrays: list[Array]) -> None:
    """A rank holding some of the arrays computes the same terms for them."""
    with np.errstate(over="ignore", under="ignore"):
        together = square_sums(arrays)
        alone = [term for array in arrays for term in square_sums([array])]
    assert sorted(together) == sorted(alone)


@pytest.mark.parametrize("arrays", _TERM_CASES.values(), ids=list(_TERM_CASES))
def test_square_sums_add_up_to_the_two_norm(arrays: list[Array]) -> None:
    """Their exact sum gives the single-process 2-norm within its bound."""
    with np.errstate(over="ignore", under="ignore"):
        mantissa, exponent = _exact_root(square_sums(arrays))
    single = norm(arrays, 2.0)
    ratio = math.ldexp(single.mantissa / mantissa, single.exponent - exponent)
    assert ratio == pytest.approx(1.0, rel=1e-6)
    reference = _reference_norm(arrays, 2.0)
    if math.isfinite(reference):
        assert math.ldexp(mantissa, exponent) == pytest.approx(reference, rel=1e-6)


@pytest.mark.parametrize("p", [1.0, 3.0, 7.5])
@pytest.mark.parametrize("arrays", _TERM_CASES.values(), ids=list(_TERM_CASES))
def test_power_sums_give_the_single_process_p_norm(
    arrays: list[Array], p: float
) -> None:
    """fsum of the terms, scaled as ``norm`` does, is the p-norm to the bit,
    and the largest part and scaled modulus give its largest modulus."""
    top = norm(arrays, math.inf)
    with np.errstate(over="ignore", under="ignore"):
        terms = power_sums(arrays, p, top.mantissa, top.exponent)
        if any(array.dtype.kind == "c" for array in arrays):
            assert scaled_modulus_max(arrays, top.exponent) == top.mantissa
        else:
            assert (largest_part(arrays), top.exponent) == (top.mantissa, 0)
    mantissa, exponent = math.frexp(top.mantissa)
    single = norm(arrays, p)
    root = mantissa * math.fsum(terms) ** (1 / p)
    assert (root, exponent + top.exponent) == (single.mantissa, single.exponent)


def test_distributed_comm_must_be_an_intracomm() -> None:
    """A comm that is no communicator is refused on the spot, naming it."""
    pytest.importorskip("mpi4py", reason="mpi4py is not installed")
    from mpi4py import MPI

    from gradclip import distributed

    grads = [np.array([3.0, 4.0])]
    assert distributed.clip_grads(grads, 1.0, MPI.COMM_SELF) == 5.0
    assert grads[0].tolist() == pytest.approx([0.6, 0.8])
    for comm in (None, MPI.COMM_NULL, MPI.COMM_WORLD.py2f()):
        with pytest.raises(TypeError, match=r"^comm must be an mpi4py\.MPI\.Intracomm"):
            # Not an Intracomm, on purpose; without mpi4py mypy sees MPI as Any.
            distributed.global_norm(grads, comm)  # type: ignore[arg-type, unused-ignore]
