"""Hypothesis profiles, and the implementations the property suite checks.

Each test module names its kind (``KIND``) and, optionally, cases to pin
(``EXAMPLES``); ``pytest_generate_tests`` makes its one test into one test
per invariant of that kind with ``gradclip.testing.invariant_checks``, the
public kit that users run in their own suites.

By default the suite checks gradclip's own code. ``--clip-impl``,
``--net-impl``, ``--value-impl``, ``--norm-impl`` and ``--shard-impl`` (each
``MODULE:ATTR``, importable from the current directory) point it at another
implementation.
Profiles: ``dev`` (fast, the default), ``thorough`` (2,000 examples per
property) and ``mutation`` (``ci`` without shrinking, for mutmut), chosen with
``--hypothesis-profile``; under ``CI=true`` Hypothesis's own derandomised
``ci`` profile stays in force.
"""

import os
from typing import Any

import pytest
from hypothesis import Phase, settings

from gradclip.testing import Kind, invariant_checks, load_implementation
from gradclip.verify import ConventionError, detect

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
# Hypothesis's ci profile without shrinking, for mutation testing: a mutant
# needs to be caught, not explained, and shrinking a large case takes minutes.
settings.register_profile(
    "mutation",
    settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.generate],
)
if not os.environ.get("CI"):
    settings.load_profile("dev")

_OPTIONS: dict[Kind, tuple[str, str]] = {
    "clip": ("gradclip:clip_grads", "a clipping function f(grads, max_norm)"),
    "net": ("gradclip:TwoLayerNet", "a class with the book's TwoLayerNet API"),
    "value": ("gradclip:clip_grads_value", "an element-wise clipper f(grads, v)"),
    "norm": ("gradclip:global_norm", "a global norm f(grads) -> float"),
    "shard": (
        "gradclip:clip_grads_with_norm",
        "a shard clipper f(grads, max_norm, total_norm)",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--clip-impl``, ``--net-impl``, ``--value-impl`` and the others."""
    group = parser.getgroup("gradclip", "implementations to check")
    for kind, (default, what) in _OPTIONS.items():
        group.addoption(
            f"--{kind}-impl",
            default=default,
            metavar="MODULE:ATTR",
            help=f"{what} (default: {default})",
        )


_IMPLEMENTATIONS = pytest.StashKey[dict[Kind, Any]]()


def pytest_configure(config: pytest.Config) -> None:
    """Load the implementations now, so that a bad MODULE:ATTR, or one that
    no calling convention fits, is a usage error."""
    loaded: dict[Kind, Any] = {}
    for kind in _OPTIONS:
        target = config.getoption(f"--{kind}-impl")
        try:
            loaded[kind] = load_implementation(target)
            detect(kind, loaded[kind])
        except (pytest.UsageError, ConventionError) as error:
            raise pytest.UsageError(f"--{kind}-impl: {error}") from None
    config.stash[_IMPLEMENTATIONS] = loaded


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a module's ``check`` test once per invariant of the module's kind."""
    if "check" not in metafunc.fixturenames:
        return
    kind = metafunc.module.KIND
    implementation = metafunc.config.stash[_IMPLEMENTATIONS][kind]
    examples = getattr(metafunc.module, "EXAMPLES", None)
    metafunc.parametrize(
        "check", invariant_checks(kind, implementation, examples=examples)
    )
