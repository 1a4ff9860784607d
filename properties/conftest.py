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

import pytest
from hypothesis import Phase, settings

from gradclip.verify import Convention, ConventionError, Kind, detect
from gradclip.verify._suites import SUITES
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


_CONVENTIONS = pytest.StashKey[dict[Kind, Convention]]()


def pytest_configure(config: pytest.Config) -> None:
    """Load the implementations and detect their calling conventions now, so
    that a bad MODULE:ATTR, or one no convention fits, is a usage error."""
    loaded: dict[Kind, Convention] = {}
    for kind in _OPTIONS:
        target = config.getoption(f"--{kind}-impl")
        try:
            loaded[kind] = detect(kind, load(target))
        except (UsageError, ConventionError) as error:
            raise pytest.UsageError(f"--{kind}-impl: {error}") from None
    config.stash[_CONVENTIONS] = loaded


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip each test whose invariant the implementation's convention does not
    offer (a returned norm of a clipper that returns nothing, say).

    A test's invariant is the one of its kind whose name ends the test's name.
    """
    conventions = config.stash[_CONVENTIONS]
    for item in items:
        name = item.name.partition("[")[0]
        for kind in _OPTIONS:
            if f"{kind}_impl" not in getattr(item, "fixturenames", ()):
                continue
            matching = [i for i in SUITES[kind] if name.endswith(i.name)]
            if not matching:
                continue
            invariant = max(matching, key=lambda i: len(i.name))
            reason = conventions[kind].missing(invariant.needs)
            if reason is not None:
                item.add_marker(pytest.mark.skip(reason=f"{invariant.name}: {reason}"))


def _convention(config: pytest.Config, kind: Kind) -> Convention:
    return config.stash[_CONVENTIONS][kind]


@pytest.fixture(scope="session")
def clip_impl(pytestconfig: pytest.Config) -> Convention:
    """The clipping function under test, in its calling convention."""
    return _convention(pytestconfig, "clip")


@pytest.fixture(scope="session")
def net_impl(pytestconfig: pytest.Config) -> Convention:
    """The two-layer net class under test, in its calling convention."""
    return _convention(pytestconfig, "net")


@pytest.fixture(scope="session")
def value_impl(pytestconfig: pytest.Config) -> Convention:
    """The element-wise clipping function under test, in its calling convention."""
    return _convention(pytestconfig, "value")


@pytest.fixture(scope="session")
def norm_impl(pytestconfig: pytest.Config) -> Convention:
    """The global norm under test, in its calling convention."""
    return _convention(pytestconfig, "norm")


@pytest.fixture(scope="session")
def shard_impl(pytestconfig: pytest.Config) -> Convention:
    """The shard clipping function under test, in its calling convention."""
    return _convention(pytestconfig, "shard")
