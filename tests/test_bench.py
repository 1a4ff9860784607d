"""``gradclip bench`` runs end to end at tiny sizes; its parts measure honestly.

No timing is asserted: timings belong to the benchmark's report, not to tests.
"""

import argparse
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from gradclip import clip_grads, global_norm
from gradclip._typing import GradArray
from gradclip.bench import configure, run
from gradclip.bench._baselines import seed_clip_grads
from gradclip.bench._limit import MachineLimit, Passes
from gradclip.bench._report import Tally
from gradclip.bench._scaling import Point, scaling_table
from gradclip.bench._targets import Target
from gradclip.bench._timing import median_times, peak_extra_bytes

_HAS_TORCH = importlib.util.find_spec("torch") is not None
_HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
_CLIP_HEADER = (
    "| workload | case | gradclip | seed | torch | limit | gradclip/limit "
    "| torch/limit | gradclip/torch | seed/gradclip | gradclip memory "
    "| seed memory | load |"
)


def _bench(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    parser = argparse.ArgumentParser(prog="gradclip bench")
    configure(parser)
    assert run(parser.parse_args(argv)) == 0
    return capsys.readouterr().out


def _squeezed(text: str) -> str:
    """``text`` with the tables' padding removed."""
    return re.sub(r" {2,}", " ", text)


def _grads(rng: np.random.Generator) -> dict[str, GradArray]:
    return {
        "W": rng.standard_normal((30, 20)).astype(np.float32),
        "b": rng.standard_normal(20),
    }


def test_bench_quick_prints_every_row_and_exits_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _squeezed(_bench(["--quick"], capsys))
    assert out.startswith("machine: ")
    assert "threads: " in out
    assert _CLIP_HEADER in out
    for workload in ("gpt2", "small", "mixed", "tiny"):
        for case in ("below", "above"):
            assert f"\n| {workload} | {case} | " in out
    assert out.count("| TwoLayerNet ") == 2
    assert '| check_gradients 8-5-3, batch 4 | mode="fast" |' in out
    assert "\ntargets: not judged at these sizes\n" in out
    assert re.search(r"\nload average at the end: (\d+\.\d\d|unknown)\n$", out)
    assert ("torch not importable: skipped" in out) is not _HAS_TORCH


def test_bench_workload_option_selects_the_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _squeezed(_bench(["--quick", "--repeat", "1", "--workload", "small"], capsys))
    rows = re.findall(r"^\| (\w+) \| (below|above) \|", out, flags=re.MULTILINE)
    assert rows == [("small", "below"), ("small", "above")]
    assert "TwoLayerNet" not in out
    assert "check_gradients" not in out


@pytest.mark.skipif(_HAS_TORCH, reason="checks the output without torch")
def test_bench_without_torch_marks_its_columns_not_available(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _squeezed(_bench(["--quick", "--repeat", "1", "--workload", "gpt2"], capsys))
    row = re.search(r"^\| gpt2 \| below \|.*$", out, flags=re.MULTILINE)
    assert row is not None
    cells = [cell.strip() for cell in row.group(0).strip("|").split("|")]
    assert cells[4] == "n/a"  # the torch time
    assert cells[7] == "n/a"  # torch/limit
    assert cells[8] == "n/a"  # gradclip/torch


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--repeat", "0"], r"--repeat: must be at least 1, got 0"),
        (["--repeat", "two"], r"--repeat: must be a whole number, got 'two'"),
        (["--workload", "resnet"], r"invalid choice: 'resnet'"),
    ],
    ids=["bench --repeat 0", "bench --repeat two", "bench --workload resnet"],
)
def test_bench_rejects_invalid_arguments(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="gradclip bench")
    configure(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(argv)
    assert re.search(message, capsys.readouterr().err)


def test_seed_clip_grads_clips_like_gradclip() -> None:
    rng = np.random.default_rng(1)
    ours, seeds = _grads(rng), _grads(np.random.default_rng(1))
    max_norm = global_norm(ours) / 3
    clip_grads(ours, max_norm)
    seed_clip_grads(seeds, max_norm)
    for key, grad in ours.items():
        np.testing.assert_allclose(seeds[key], grad, rtol=1e-6)


def test_machine_limit_passes_change_no_value() -> None:
    grads = _grads(np.random.default_rng(2))
    arrays = list(grads.values())
    before = [array.tobytes() for array in arrays]
    limit = MachineLimit(arrays, 2)
    try:
        for call in limit.candidates().values():
            call()
    finally:
        limit.close()
    assert [array.tobytes() for array in arrays] == before


def test_machine_limit_takes_the_fastest_kernel_and_thread_count() -> None:
    limit = MachineLimit([np.ones(10, np.float32)], 2)
    limit.close()
    names = list(limit.candidates())
    assert len(names) == 8  # 2 passes x 2 kernels x 1..2 threads
    times = {name: 1.0 + i for i, name in enumerate(names)}
    times["limit read dot 2"] = 0.25
    times["limit read-write bitwise_or 2"] = 0.5
    passes = limit.passes(times)
    assert passes == Passes(read=0.25, read_write=0.5)
    assert passes.of_case(scales=False) == 0.25
    assert passes.of_case(scales=True) == 0.75


def test_machine_limit_of_float16_has_only_the_word_kernels() -> None:
    limit = MachineLimit([np.ones(10, np.float16)], 1)
    limit.close()
    assert sorted(limit.candidates()) == [
        "limit read add.reduce 1",
        "limit read-write bitwise_or 1",
    ]


def test_bench_scaling_quick_prints_both_series(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plot = tmp_path / "scaling.png"
    out = _bench(["--quick", "--scaling", "--plot", str(plot)], capsys)
    rows = re.findall(r"^\| (arrays|elements) \| ([\d,]+) \| ([\d,]+) \|", out, re.M)
    assert [(series, count) for series, count, _ in rows[:4]] == [
        ("arrays", "1"),
        ("arrays", "10"),
        ("arrays", "100"),
        ("arrays", "1,000"),
    ]
    assert {total for series, _, total in rows if series == "arrays"} == {"1,000"}
    assert [total for series, _, total in rows if series == "elements"] == [
        "100",
        "1,000",
        "10,000",
    ]
    if _HAS_MATPLOTLIB:
        assert f"plot: {plot}" in out
        assert plot.read_bytes().startswith(b"\x89PNG")
    else:
        assert "matplotlib not importable: no plot drawn" in out
        assert not plot.exists()


def test_scaling_table_is_markdown_with_torch_or_not() -> None:
    points = [
        Point("arrays", 10, 1000, {"gradclip": 2e-3, "torch": 4e-3}),
        Point("elements", 1, 100, {"gradclip": 5e-6}),
    ]
    assert scaling_table(points).splitlines() == [
        "| series | arrays | elements | gradclip | torch | gradclip/torch |",
        "|---|---:|---:|---:|---:|---:|",
        "| arrays | 10 | 1,000 | 2 ms | 4 ms | 0.5 |",
        "| elements | 1 | 100 | 5 us | n/a | n/a |",
    ]


def test_median_times_restores_before_every_call() -> None:
    calls: list[str] = []
    times = median_times(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
        repeat=3,
        before=lambda: calls.append("restore"),
    )
    assert set(times) == {"a", "b"}
    turns = [["a", "b"], ["b", "a"], ["a", "b"]]  # each turn starts one further
    assert calls == [
        call for turn in turns for name in turn for call in ("restore", name)
    ]


def test_peak_extra_bytes_sees_a_numpy_temporary() -> None:
    assert peak_extra_bytes(lambda: np.ones(1_000_000).sum()) >= 8_000_000


@pytest.mark.parametrize(
    ("value", "target", "cell"),
    [
        (1.2, Target(1.25), "1.2 (met <=1.25)"),
        (1.3, Target(1.25), "1.3 (MISSED <=1.25)"),
        (2.5, Target(2.0, at_least=True), "2.5 (met >=2)"),
        (0.9, None, "0.9"),
        (None, Target(1.0), "n/a"),
    ],
)
def test_tally_cell_marks_the_target(
    value: float | None, target: Target | None, cell: str
) -> None:
    assert Tally().cell("gpt2 above gradclip/limit", value, target) == cell


def test_tally_summary_names_each_missed_target() -> None:
    tally = Tally()
    tally.cell("gpt2 above gradclip/limit", 1.3, Target(1.25))
    tally.cell("small above seed/gradclip", 3.0, Target(2.0, at_least=True))
    tally.cell("gpt2 above gradclip/torch", None, Target(1.0))
    assert tally.summary() == (
        "targets: 1 met, 1 missed, 1 not measured (torch not importable)\n"
        "  missed: gpt2 above gradclip/limit 1.3 (target <=1.25)"
    )
