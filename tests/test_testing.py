"""gradclip.testing and its pytest plugin, run as a user runs them: in another project.

Each test writes a small project into a temporary folder with pytest's
``pytester`` (the README's example, a ``mylib`` to check, a conftest with
Hypothesis profiles) and runs pytest on it in a subprocess, as that user's
repository would, with gradclip installed as a dependency.
"""

import re
from pathlib import Path
from typing import Any

import pytest

import gradclip
from gradclip.testing import invariant_checks, invariant_names

pytest_plugins = ["pytester"]

CLIP = invariant_names("clip")
CORE = [
    check.id for check in invariant_checks("clip", gradclip.clip_grads, tier="core")
]

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Checking your implementation in your own tests"

CORRECT = '''
import math

import numpy as np


def clip_grads(grads, max_norm):
    """The notebook's formula, with the norm summed in float64."""
    total = math.sqrt(sum(float(np.vdot(g, g).real) for g in grads.values()))
    rate = max_norm / (total + 1e-6)
    if rate < 1:
        for g in grads.values():
            g *= rate
    return total
'''

BUGGY = '''
import math

import numpy as np


def clip_grads(grads, max_norm):
    """Forgets to check rate < 1: small gradients are scaled up."""
    total = math.sqrt(sum(float(np.vdot(g, g).real) for g in grads.values()))
    for g in grads.values():
        g *= max_norm / (total + 1e-6)
    return total
'''

RECORDING = '''
import gradclip


def clip_grads(grads, max_norm):
    """gradclip's own, writing down each threshold it is called with."""
    with open("seen.txt", "a") as seen:
        seen.write(f"{max_norm!r}\\n")
    return gradclip.clip_grads(grads, max_norm)
'''

# Without shrinking, which takes seconds per failure: these tests ask
# whether the kit reports a failure, not how small Hypothesis makes it. Not
# derandomized: under CI=true Hypothesis's default is its derandomized ci
# profile, which new profiles inherit, and then every seed draws alike.
CONFTEST = """
from hypothesis import Phase, settings

fast = {
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
    "derandomize": False,
}
settings.register_profile("few", max_examples=5, **fast)
settings.register_profile("more", max_examples=40, **fast)
"""


def _readme_example() -> str:
    """The first Python block of the README's section on the kit."""
    text = README.read_text("utf-8")
    section = text[text.index(SECTION) :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no python block under {SECTION!r}"
    return match.group(1)


def _project(pytester: pytest.Pytester, mylib: str, test: str) -> None:
    pytester.makepyfile(mylib=mylib, test_clipping=test)
    pytester.makeconftest(CONFTEST)


def _run(pytester: pytest.Pytester, *arguments: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=few",
        "--hypothesis-seed=0",
        *arguments,
    )


def test_readme_example_has_at_most_five_lines() -> None:
    lines = [line for line in _readme_example().splitlines() if line.strip()]
    assert len(lines) <= 5, lines


def test_readme_example_passes_a_correct_clipper(pytester: pytest.Pytester) -> None:
    _project(pytester, CORRECT, _readme_example())
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=len(CORE))
    result.stdout.fnmatch_lines(
        ["*test_clip_grads[[]clip-core-norm_bound[]] PASSED*"], consecutive=False
    )


def test_readme_example_fails_a_buggy_clipper_with_its_counterexample(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, BUGGY, _readme_example())
    result = _run(pytester, "-k", "noop_below_threshold")
    result.assert_outcomes(failed=1, deselected=len(CORE) - 1)
    result.stdout.fnmatch_lines(
        ["FAILED test_clipping.py::test_clip_grads[[]clip-core-noop_below_thr*"]
    )
    output = result.stdout.str()
    # The shrunk case, its arrays shown, and what the check expected and got.
    assert re.search(r"(Falsifying example|Failing test case): noop_below_", output)
    shown = r"as it was before the call: GradsCase\(threshold=\S+, grads=\{.*np\.array"
    assert re.search(shown, output, re.DOTALL)
    assert re.search(r"AssertionError: array\(.*\) was changed to ", output, re.DOTALL)


def test_expected_failures_are_strict_xfails(pytester: pytest.Pytester) -> None:
    """A declared deviation that fails is XFAIL; one that holds is reported."""
    test = """
from gradclip.seed import clip_grads
from gradclip.testing import parametrize_with_invariants

@parametrize_with_invariants(
    "clip",
    clip_grads,
    expected_failures={
        "bad_input_atomic": "no input validation, as in the notebook",
        "nonfinite_named": "a deviation that is not one",
    },
)
def test_seed(check):
    check()
"""
    _project(pytester, CORRECT, test)
    result = _run(pytester, "-rxX", "-k", "bad_input_atomic or nonfinite_named")
    result.assert_outcomes(xfailed=1, failed=1, deselected=len(CLIP) - 2)
    result.stdout.fnmatch_lines(
        ["XFAIL *clip-robust-bad_input_atomic* - no input validation, as in the*"]
    )
    result.stdout.fnmatch_lines(
        [
            "*test_seed[[]clip-robust-nonfinite_named[]]*",
            "[[]XPASS(strict)[]] a deviation*",
        ]
    )


def _seen(pytester: pytest.Pytester, *arguments: str) -> list[str]:
    """Each threshold the recording clipper was called with in a run."""
    seen = pytester.path / "seen.txt"
    seen.unlink(missing_ok=True)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *arguments)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    return seen.read_text().splitlines()


def test_hypothesis_profile_and_seed_are_honoured(pytester: pytest.Pytester) -> None:
    _project(pytester, RECORDING, _readme_example())
    # The calls that detect the calling convention, at collection.
    probes = len(_seen(pytester, "--co"))

    def drawn(*arguments: str) -> list[str]:
        return _seen(pytester, "-k", "norm_bound", *arguments)[probes:]

    few = drawn("--hypothesis-profile=few", "--hypothesis-seed=1")
    assert 0 < len(few) <= 5
    assert drawn("--hypothesis-profile=few", "--hypothesis-seed=1") == few
    assert drawn("--hypothesis-profile=few", "--hypothesis-seed=2") != few
    more = drawn("--hypothesis-profile=more", "--hypothesis-seed=1")
    assert 5 < len(more) <= 40


# Arguments.


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"kind": "clips"}, ValueError, r"kind must be one of .*, got kind='clips'"),
        ({"tier": "fast"}, ValueError, r"tier must be one of .*, got tier='fast'"),
        (
            {"expected_failures": {"norm_bond": "typo"}},
            ValueError,
            r"expected_failures must name clip invariants, got \['norm_bond'\]",
        ),
        (
            {"expected_failures": {"norm_bound": " "}},
            TypeError,
            r"expected_failures\['norm_bound'\] must be a reason, a non-empty str",
        ),
        (
            {"expected_failures": ["norm_bound"]},
            TypeError,
            r"expected_failures must be a mapping of invariant names, got \[",
        ),
        (
            {"examples": {"exact": []}},
            ValueError,
            r"examples must name clip invariants, got \['exact'\]",
        ),
    ],
    ids=[
        "kind='clips'",
        "tier='fast'",
        "expected_failures={'norm_bond': ...}",
        "expected_failures={'norm_bound': ' '}",
        "expected_failures=['norm_bound']",
        "examples={'exact': []}",
    ],
)
def test_invariant_checks_invalid_arguments(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    call: dict[str, Any] = {"kind": "clip", "implementation": gradclip.clip_grads}
    with pytest.raises(error, match=message):
        invariant_checks(**(call | arguments))


def test_invariant_checks_ids_name_kind_tier_and_invariant() -> None:
    checks = invariant_checks("norm", gradclip.global_norm, tier="core")
    assert [check.id for check in checks] == [
        "norm-core-exact",
        "norm-core-inputs_untouched",
        "norm-core-read_only_inputs",
    ]
    assert invariant_names("norm")[:3] == [
        "exact",
        "inputs_untouched",
        "read_only_inputs",
    ]


# The plugin.


def test_plugin_does_nothing_unless_asked(pytester: pytest.Pytester) -> None:
    """An unrelated run imports nothing of gradclip, NumPy or Hypothesis for it."""
    pytester.makepyfile(
        """
import sys

def test_unrelated():
    loaded = {name.split(".")[0] for name in sys.modules}
    assert "_gradclip_pytestplugin" in loaded  # the plugin is there, idle
    assert not loaded & {"gradclip", "numpy"}, sorted(loaded & {"gradclip", "numpy"})
    assert "hypothesis.core" not in sys.modules
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_plugin_runs_every_invariant_of_a_kind(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(mylib=BUGGY)
    pytester.makeconftest(CONFTEST)
    result = _run(
        pytester,
        "--gradclip-clip=mylib:clip_grads",
        "--gradclip-tier=core",
        "-k",
        "norm_bound or noop_below_threshold",
    )
    result.assert_outcomes(passed=1, failed=1, deselected=len(CORE) - 2)
    result.stdout.fnmatch_lines(
        ["FAILED gradclip::test_invariant[[]clip-core-noop_below_threshold[]]*"],
        consecutive=False,
    )
    assert "as it was before the call: GradsCase(threshold=" in result.stdout.str()


def test_plugin_runs_beside_the_tests_given_with_declared_deviations(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_mine="def test_mine():\n    pass\n")
    pytester.makeconftest(CONFTEST)
    result = _run(
        pytester,
        "test_mine.py",
        "--gradclip-clip=gradclip.seed:clip_grads",
        "--gradclip-xfail=bad_input_atomic=no input validation",
        "-k",
        "mine or bad_input_atomic",
    )
    result.assert_outcomes(passed=1, xfailed=1, deselected=len(CLIP) - 1)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--gradclip-clip=mylib", "--gradclip-clip: target must look like MODULE:ATTR"),
        (
            "--gradclip-net=nowhere:Net",
            "--gradclip-net: cannot import module 'nowhere'",
        ),
        (
            "--gradclip-xfail=norm_bound",
            "--gradclip-xfail must look like NAME=REASON, got 'norm_bound'",
        ),
        (
            "--gradclip-xfail=exact=not a clip invariant",
            "--gradclip-xfail must name invariants of clip, got ['exact']",
        ),
    ],
    ids=["no colon", "no module", "no reason", "unknown name"],
)
def test_plugin_bad_option_is_a_usage_error(
    pytester: pytest.Pytester, option: str, message: str
) -> None:
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--gradclip-clip=gradclip:clip_grads", option
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
