"""The invariants tell right from wrong: the zoo, the seed, and ``gradclip verify``."""

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from tests.zoo import clippers, nets, reader_nets, readers

import gradclip
from gradclip.cli import main
from gradclip.seed import clip_grads as seed_clip_grads
from gradclip.verify import (
    CLIP_INVARIANTS,
    NET_INVARIANTS,
    NORM_INVARIANTS,
    SHARD_INVARIANTS,
    VALUE_INVARIANTS,
    ConventionError,
    Invariant,
    Outcome,
    detect,
    run_invariants,
)
from gradclip.verify._grads import GradsCase, arrays_of
from gradclip.verify.evaluation import check_case

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


# Code written the way readers write it: conventions detected, never guessed.


@pytest.mark.parametrize(
    ("implementation", "form"), list(readers.CONVENTIONS.items()), ids=_name
)
def test_verify_detects_each_readers_clipper_convention(
    implementation: Callable[..., object], form: str
) -> None:
    assert detect("clip", implementation).name == form


@pytest.mark.parametrize(
    ("implementation", "form"), list(reader_nets.CONVENTIONS.items()), ids=_name
)
def test_verify_detects_each_readers_net_convention(
    implementation: type, form: str
) -> None:
    assert detect("net", implementation).name == form


@pytest.mark.parametrize("clipper", readers.CORRECT, ids=_name)
def test_verify_readers_correct_clippers_keep_core(
    clipper: Callable[..., object],
) -> None:
    failed = _failed(CLIP_INVARIANTS, clipper, tier="core")
    assert not failed, {name: o.error for name, o in failed.items()}


@pytest.mark.parametrize(
    ("clipper", "invariant"), list(readers.WRONG.items()), ids=_name
)
def test_verify_readers_wrong_clippers_fail_the_invariant_at_their_bug(
    clipper: Callable[..., object], invariant: str
) -> None:
    assert invariant in _failed((CLIP[invariant],), clipper, max_examples=200)


@pytest.mark.parametrize("net", reader_nets.CORRECT, ids=_name)
def test_verify_readers_correct_nets_keep_core(net: type) -> None:
    failed = _failed(NET_INVARIANTS, net, tier="core")
    assert not failed, {name: o.error for name, o in failed.items()}


@pytest.mark.parametrize(
    ("net", "invariant"), list(reader_nets.WRONG.items()), ids=_name
)
def test_verify_readers_wrong_nets_fail_the_invariant_at_their_bug(
    net: type, invariant: str
) -> None:
    assert invariant in _failed((NET[invariant],), net, max_examples=200)


def _statuses(
    invariants: list[Invariant[Any, Any]], implementation: Any
) -> dict[str, Outcome]:
    outcomes = run_invariants(
        invariants, implementation, max_examples=5, derandomize=True, shrink=False
    )
    return {o.invariant.name: o for o in outcomes}


def test_verify_one_hot_net_skips_the_label_invariant_saying_why() -> None:
    outcomes = _statuses([NET["one_hot_equals_labels"]], reader_nets.OneHotTwoLayerNet)
    outcome = outcomes["one_hot_equals_labels"]
    assert (outcome.status, outcome.reason) == ("SKIP", "takes one-hot targets only")
    assert (
        "class labels given as one-hot rows"
        in detect("net", reader_nets.OneHotTwoLayerNet).description
    )


def test_verify_net_without_numerical_gradient_skips_only_that_invariant() -> None:
    names = ["numerical_gradient_agrees", "gradient_matches_numerical"]
    outcomes = _statuses([NET[n] for n in names], reader_nets.PlainNet)
    skipped = outcomes["numerical_gradient_agrees"]
    assert (skipped.status, skipped.reason) == (
        "SKIP",
        "numerical_gradient not offered",
    )
    assert outcomes["gradient_matches_numerical"].status == "PASS"


def test_verify_clipper_returning_nothing_skips_the_return_tier() -> None:
    outcomes = _statuses([CLIP["exact_returned_norm"]], readers.clip_grads)
    assert outcomes["exact_returned_norm"].status == "SKIP"
    assert outcomes["exact_returned_norm"].reason == "returns no number"


def test_verify_functional_clipper_skips_in_place_identity() -> None:
    outcomes = _statuses([CLIP["in_place_identity"]], readers.clip_by_global_norm)
    assert outcomes["in_place_identity"].status == "SKIP"
    assert outcomes["in_place_identity"].reason == (
        "not in place: returns new arrays for a dict (functional)"
    )


def test_verify_forced_form_is_used_as_given() -> None:
    assert detect("clip", gradclip.clip_grads, form="list").name == "list"
    with pytest.raises(
        ValueError, match=r"form must be one of dict, list, .* got form='nope'"
    ):
        detect("clip", gradclip.clip_grads, form="nope")


def test_verify_no_convention_lists_each_attempt() -> None:
    from tests.zoo import hostile

    with pytest.raises(ConventionError) as raised:
        detect("clip", hostile.not_implemented)
    message = str(raised.value)
    for form in ("dict", "list", "pairs", "params", "functional"):
        assert f"  {form}: NotImplementedError: clip_grads is left" in message


def _has_theme(case: GradsCase, theme: str) -> bool:
    arrays = arrays_of(case)
    if theme == "complex":
        return any(a.dtype.kind == "c" for a in arrays)
    if theme == "alias":
        return len(arrays) < len(case.grads)
    return any(a.ndim == 0 or a.size == 0 or not a.flags.c_contiguous for a in arrays)


@pytest.mark.parametrize(
    ("name", "theme"),
    [
        ("complex_arrays", "complex"),
        ("aliasing_counted_once", "alias"),
        ("odd_layouts", "layout"),
    ],
)
def test_verify_robust_cases_carry_their_theme(name: str, theme: str) -> None:
    """Each themed robust invariant's every case holds what it is about."""

    @settings(max_examples=30, derandomize=True, database=None)
    @given(CLIP[name].cases)
    def themed(case: GradsCase) -> None:
        assert _has_theme(case, theme), case

    themed()


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


# The command line against hostile and readers' code, as a user runs it: piped.


def _verify(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run ``gradclip verify`` as a user would, its output piped."""
    return subprocess.run(
        [sys.executable, "-m", "gradclip", "verify", *arguments],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _lines(output: str, status: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(status + " ")]


def test_cli_verify_book_list_clipper_holds_core_with_no_adapter() -> None:
    run = _verify(
        "clip", "tests.zoo.readers:clip_grads", "--derandomize", "--max-examples", "20"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        "calling convention: in place on a list, return value ignored (--form list)"
        in run.stdout
    )
    assert "summary: core 7/7 hold: keeps the notebook's contract" in run.stdout
    assert "SKIP return exact_returned_norm" in run.stdout
    assert run.stderr == ""  # no progress when stderr is not a terminal


def test_cli_verify_one_hot_book_net_holds_core_with_no_adapter() -> None:
    run = _verify(
        "net",
        "tests.zoo.reader_nets:OneHotTwoLayerNet",
        "--derandomize",
        "--max-examples",
        "10",
        "--tier",
        "core",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "one-hot targets everywhere" in run.stdout
    assert "SKIP core   one_hot_equals_labels" in run.stdout
    assert not _lines(run.stdout, "FAIL")


def test_cli_verify_piped_output_parses() -> None:
    run = _verify(
        "clip",
        "tests.zoo.readers:norm_times_two",
        "--derandomize",
        "--max-examples",
        "20",
        "--only",
        "norm_bound,clip_to_bound,in_place_identity",
    )
    assert run.returncode == 1
    piped = subprocess.run(
        f"{shlex.quote(sys.executable)} -m gradclip verify clip "
        "tests.zoo.readers:norm_times_two --derandomize --max-examples 20 "
        "--only norm_bound,clip_to_bound,in_place_identity 2>&1 | grep -c '^FAIL'",
        shell=True,
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert piped.stdout.strip() == str(len(_lines(run.stdout, "FAIL"))) == "2"
    assert len(_lines(run.stdout, "PASS")) == 2  # the preflight and in_place_identity


def test_cli_verify_module_exiting_at_import_is_a_usage_error() -> None:
    run = _verify("clip", "tests.zoo.exits_at_import:clip_grads")
    assert run.returncode == 2
    assert run.stdout == ""
    assert (
        "cannot import module 'tests.zoo.exits_at_import': SystemExit: 0" in run.stderr
    )


def test_cli_verify_sys_exit_in_the_call_is_a_fail_and_the_run_goes_on() -> None:
    run = _verify(
        "clip",
        "tests.zoo.hostile:exits_when_exploding",
        "--derandomize",
        "--max-examples",
        "20",
        "--only",
        "nonfinite_untouched,bad_input_atomic",
    )
    assert run.returncode == 0, run.stdout + run.stderr  # core is not asked for
    assert _lines(run.stdout, "FAIL")[0].startswith("FAIL robust nonfinite_untouched")
    assert "SystemExit: gradient exploded: norm" in run.stdout
    assert "(the implementation called sys.exit)" in run.stdout
    assert len(_lines(run.stdout, "FAIL") + _lines(run.stdout, "PASS")) == 3


def test_cli_verify_flaky_implementation_is_a_fail_marked_flaky() -> None:
    run = _verify(
        "clip",
        "tests.zoo.hostile:clips_every_other_call",
        "--seed",
        "3",
        "--max-examples",
        "50",
        "--only",
        "clip_to_bound,noop_below_threshold",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        "flaky: a failing case passed when tried again; the first failure:"
        in run.stdout
    )
    assert "counterexample: GradsCase(" in run.stdout
    assert "FAIL core   clip_to_bound" in run.stdout
    assert "core   noop_below_threshold" in run.stdout  # the run went on


def test_cli_verify_hanging_implementation_times_out_and_the_run_goes_on() -> None:
    run = _verify(
        "clip",
        "tests.zoo.hostile:retries_until_finite",
        "--derandomize",
        "--timeout",
        "8",
        "--only",
        "nonfinite_untouched,bad_input_atomic",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [hung, after] = _lines(run.stdout, "FAIL")
    assert hung.startswith("FAIL robust nonfinite_untouched")
    assert "timeout: no verdict within 8 s (--timeout)" in run.stdout
    assert after.startswith("FAIL robust bad_input_atomic")


def test_cli_verify_raising_everywhere_is_one_usage_error_listing_each_attempt() -> (
    None
):
    from gradclip.verify.conventions import forms

    run = _verify("clip", "tests.zoo.hostile:not_implemented")
    assert run.returncode == 2
    assert run.stdout == ""
    attempts = [line for line in run.stderr.splitlines() if line.startswith("  ")]
    assert len(attempts) == len(forms("clip"))  # the framework forms too
    # The six NumPy forms reach it; a framework form does where it is installed.
    assert (
        run.stderr.count("NotImplementedError: clip_grads is left as an exercise") >= 6
    )


def test_cli_verify_raising_on_ordinary_input_fails_preflight_and_passes_nothing() -> (
    None
):
    run = _verify(
        "clip",
        "tests.zoo.hostile:float64_only",
        "--derandomize",
        "--max-examples",
        "10",
    )
    assert run.returncode == 1
    assert _lines(run.stdout, "FAIL") == [
        "FAIL core   preflight                       "
        + _lines(run.stdout, "FAIL")[0].split("preflight", 1)[1].lstrip()
    ]
    assert "AssertionError: expected float64, got float32" in run.stdout
    assert not _lines(run.stdout, "PASS")
    assert len(_lines(run.stdout, "SKIP")) == len(CLIP_INVARIANTS)


def test_cli_verify_counterexample_of_a_replacing_clipper_is_the_input_before_the_call(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.json"
    run = _verify(
        "clip",
        "tests.zoo.readers:replaces_entries",
        "--derandomize",
        "--only",
        "in_place_identity",
        "--json",
        str(report),
    )
    assert run.returncode == 1
    document = json.loads(report.read_text("utf-8"))
    [kind] = document["kinds"]
    [preflight, outcome] = kind["invariants"]
    assert (outcome["name"], outcome["status"], outcome["tier"]) == (
        "in_place_identity",
        "FAIL",
        "core",
    )
    assert "was replaced by a new object" in outcome["error"]
    # Before the call the gradients' norm is above the threshold: nothing
    # shown is the clipped result.
    case = outcome["counterexample"]
    assert case.startswith("GradsCase(threshold=")
    threshold = float(case.split("threshold=")[1].split(",")[0])
    values = [float(v) for v in re.findall(r"np\.array\(([-\d.e]+)", case)]
    assert sum(v * v for v in values) ** 0.5 > threshold
    assert (document["verdict"], document["exit_status"]) == ("fail", 1)
    assert kind["convention"]["name"] == "dict"
    assert preflight["status"] == "PASS"


def test_cli_verify_prints_a_seed_and_a_replay_command_that_replays() -> None:
    arguments = [
        "clip",
        "tests.zoo.readers:float16_accumulator",
        "--max-examples",
        "30",
    ]
    first = _verify(*arguments, "--seed", "7", "--only", "clip_to_bound,norm_bound")
    replay = first.stdout.split("replay the failures: ")[1].splitlines()[0]
    assert replay == (
        "gradclip verify clip tests.zoo.readers:float16_accumulator --seed 7 "
        "--only clip_to_bound --max-examples 30"
    )
    again = _verify(*shlex.split(replay)[2:])
    shown = [line for line in first.stdout.splitlines() if "counterexample" in line]
    assert shown == [
        line for line in again.stdout.splitlines() if "counterexample" in line
    ]


def test_check_case_names_the_assertion_once_with_the_case_before_the_call() -> None:
    convention = detect("clip", readers.norm_times_two)
    case = GradsCase(threshold=1.0, grads={"A": np.array([3.0, 4.0])})
    with pytest.raises(AssertionError) as failure:
        check_case(CLIP["norm_bound"], convention, case)
    message = str(failure.value)
    assert message.startswith("norm after clipping is ")
    assert message.endswith(
        "counterexample, as it was before the call: "
        "GradsCase(threshold=1.0, grads={'A': np.array([3., 4.]) (C)})"
    )
