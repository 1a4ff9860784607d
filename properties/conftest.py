"""Hypothesis profiles and the implementations the property suite checks.

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

from gradclip.verify import (
    ClipFunction,
    NetFactory,
    NormFunction,
    ShardFunction,
    ValueFunction,
)
from gradclip.verify.command import UsageError, load

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

_OPTIONS = {
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


_IMPLEMENTATIONS = pytest.StashKey[dict[str, Any]]()


def pytest_configure(config: pytest.Config) -> None:
    """Load the implementations now, so that a bad MODULE:ATTR is a usage error."""
    loaded = {}
    for kind in _OPTIONS:
        target = config.getoption(f"--{kind}-impl")
        try:
            loaded[kind] = load(target)
        except UsageError as error:
            raise pytest.UsageError(f"--{kind}-impl: {error}") from None
    config.stash[_IMPLEMENTATIONS] = loaded


def _implementation(config: pytest.Config, kind: str) -> Any:
    return config.stash[_IMPLEMENTATIONS][kind]


@pytest.fixture(scope="session")
def clip_impl(pytestconfig: pytest.Config) -> ClipFunction:
    """The clipping function under test."""
    implementation: ClipFunction = _implementation(pytestconfig, "clip")
    return implementation


@pytest.fixture(scope="session")
def net_impl(pytestconfig: pytest.Config) -> NetFactory:
    """The two-layer net class under test."""
    implementation: NetFactory = _implementation(pytestconfig, "net")
    return implementation


@pytest.fixture(scope="session")
def value_impl(pytestconfig: pytest.Config) -> ValueFunction:
    """The element-wise clipping function under test."""
    implementation: ValueFunction = _implementation(pytestconfig, "value")
    return implementation


@pytest.fixture(scope="session")
def norm_impl(pytestconfig: pytest.Config) -> NormFunction:
    """The global norm under test."""
    implementation: NormFunction = _implementation(pytestconfig, "norm")
    return implementation


@pytest.fixture(scope="session")
def shard_impl(pytestconfig: pytest.Config) -> ShardFunction:
    """The shard clipping function under test."""
    implementation: ShardFunction = _implementation(pytestconfig, "shard")
    return implementation
