"""The invariants tell right from wrong: the zoo, the seed, and ``gradclip verify``."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.zoo import clippers, nets

import gradclip
from gradclip.cli import main
from gradclip.seed import clip_grads as seed_clip_grads
from gradclip.verify import (
    CLIP_INVARIANTS,
    NET_INVARIANTS,
    NORM_INVARIANTS,
    SHARD_INVARIANTS,
    VALUE_INVARIANTS,
    Invariant,
    Outcome,
    run_invariants,
)

TESTS = Path(__file__).parent
CLIP = {invariant.name: invariant for invariant in CLIP_INVARIANTS}
NET = {invariant.name: invariant for invariant in NET_INVARIANTS}


def _failed(
    invariants: tuple[Invariant[Any, Any], ...],
    implementation: Any,
    *,
    tier: str | None = None,
    max_examples: int = 60,
) -> dict[str, Outcome]:
    chosen = [i for i in invariants if tier is None or i.tier == tier]
    outcomes = run_invariants(
        chosen,
        implementation,
        max_examples=max_examples,
        derandomize=True,
        shrink=False,
    )
    return {o.invariant.name: o for o in outcomes if not o.passed}


def _name(value: object) -> str:
    return getattr(value, "__name__", repr(value))


@pytest.mark.parametrize("clipper", clippers.CORRECT, ids=_name)
def test_verify_accepts_every_correct_clipping_formula(
    clipper: Callable[..., object],
) -> None:
    failed = _failed(CLIP_INVARIANTS, clipper, tier="core")
    assert not failed, {name: o.error for name, o in failed.items()}


@pytest.mark.parametrize(
    ("clipper", "invariant"), list(clippers.WRONG.items()), ids=_name
)
def test_verify_catches_every_wrong_clipper(
    clipper: Callable[..., object], invariant: str
) -> None:
    failed = _failed((CLIP[invariant],), clipper, max_examples=200)
    assert invariant in failed


def test_verify_seed_passes_core_and_fails_robust() -> None:
    assert not _failed(CLIP_INVARIANTS, seed_clip_grads, tier="core")
    failed = _failed(CLIP_INVARIANTS, seed_clip_grads, tier="robust")
    assert set(failed) == {
        "clipping_at_extremes",
        "rounded_once",
        "scaled_per_element",
        "complex_arrays",
        "threshold_beyond_float64",  # an infinite norm gives a factor of 0
        "aliasing_counted_once",
        "partial_overlap",
        "nonfinite_untouched",
        "bad_input_atomic",
        "errors_name_culprit",
    }


@pytest.mark.parametrize(
    ("invariants", "implementation"),
    [
        (CLIP_INVARIANTS, gradclip.clip_grads),
        (VALUE_INVARIANTS, gradclip.clip_grads_value),
        (NORM_INVARIANTS, gradclip.global_norm),
        (SHARD_INVARIANTS, gradclip.clip_grads_with_norm),
        (NET_INVARIANTS, gradclip.TwoLayerNet),
    ],
    ids=[
        "clip_grads",
        "clip_grads_value",
        "global_norm",
        "clip_grads_with_norm",
        "TwoLayerNet",
    ],
)
def test_verify_gradclip_passes_every_tier(
    invariants: tuple[Invariant[Any, Any], ...], implementation: Any
) -> None:
    failed = _failed(invariants, implementation)
    assert not failed, {name: o.error for name, o in failed.items()}


def test_verify_book_passes_core_and_fails_only_what_it_never_offers() -> None:
    assert not _failed(NET_INVARIANTS, nets.TwoLayerNet, tier="core")
    failed = _failed(NET_INVARIANTS, nets.TwoLayerNet, tier="robust")
    assert set(failed) == {"single_sample", "float_targets", "bad_input_rejected"}


@pytest.mark.parametrize(("net", "invariant"), list(nets.WRONG.items()), ids=_name)
def test_verify_catches_every_wrong_net(net: type, invariant: str) -> None:
    assert invariant in _failed((NET[invariant],), net, max_examples=200)


def test_verify_outcome_reports_the_shrunk_counterexample() -> None:
    [outcome] = run_invariants(
        [CLIP["bad_input_atomic"]], seed_clip_grads, max_examples=50, derandomize=True
    )
    assert not outcome.passed
    assert outcome.counterexample is not None
    assert outcome.counterexample.startswith("GradsCase(threshold=")
    assert outcome.error is not None
    assert outcome.error.startswith("AssertionError: ")


# The command line.


def test_cli_verify_reports_each_invariant_and_a_return_failure_outside_core(
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = "tests.zoo.clippers:returns_clipped_norm"
    arguments = ["verify", "clip", target, "--derandomize", "--max-examples", "20"]
    core_and_return = [*arguments, "--only", "norm_bound,exact_returned_norm"]
    assert main(core_and_return) == 0
    out = capsys.readouterr().out
    assert "FAIL return exact_returned_norm" in out
    assert "PASS core   norm_bound" in out
    assert "counterexample: GradsCase(threshold=" in out
    assert "core 1/1 hold: keeps the notebook's contract" in out
    assert "return 0/1 hold" in out
    assert out.rstrip().endswith("verdict: core holds (exit 0)")
    assert main([*core_and_return, "--strict"]) == 1
    assert (
        capsys.readouterr()
        .out.rstrip()
        .endswith("verdict: an invariant fails (exit 1)")
    )


def test_cli_verify_exits_zero_when_everything_holds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", "--tier", "core", "--max-examples", "5"]) == 0
    out = capsys.readouterr().out
    for kind in ("clip", "net", "value", "norm", "shard"):
        assert f"gradclip verify {kind} gradclip:" in out
    assert "FAIL" not in out
    assert out.rstrip().endswith("verdict: core holds (exit 0)")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("gradclip", "target must look like MODULE:ATTR, got 'gradclip'"),
        ("no_such_module:f", "cannot import module 'no_such_module'"),
        ("gradclip:no_such_attr", "module 'gradclip' has no attribute 'no_such_attr'"),
        ("gradclip:__all__", "gradclip:__all__ must be callable, got list"),
    ],
    ids=["no colon", "no module", "no attribute", "not callable"],
)
def test_cli_verify_bad_target_is_a_usage_error(
    target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "clip", target]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_cli_verify_unknown_kind_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "gradclip:clip_grads"])
    assert exit_info.value.code == 2


# The property suite's options.


def _run_properties(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )


def test_properties_clip_impl_option_runs_the_suite_on_another_clipper() -> None:
    run = _run_properties(
        str(TESTS.parent / "properties" / "test_clip_properties.py"),
        "--clip-impl=tests.zoo.clippers:no_sqrt",
        "-k",
        "clip_to_bound",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    failed = (
        "FAILED properties/test_clip_properties.py::test_clip[clip-core-clip_to_bound]"
    )
    assert failed in run.stdout


def test_properties_net_impl_option_accepts_the_book() -> None:
    run = _run_properties(
        str(TESTS.parent / "properties" / "test_net_properties.py"),
        "--net-impl=tests.zoo.nets:TwoLayerNet",
        "-k",
        # it takes neither a 1-D x, nor float labels, nor checks its input
        "not single_sample and not float_targets and not bad_input_rejected",
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_properties_bad_impl_option_is_a_usage_error() -> None:
    run = _run_properties(
        str(TESTS.parent / "properties" / "test_clip_properties.py"),
        "--clip-impl=no_such_module:f",
    )
    assert run.returncode == 4, run.stdout + run.stderr
    assert "--clip-impl: cannot import module 'no_such_module'" in run.stderr
