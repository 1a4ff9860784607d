"""gradclip's pytest plugin: ``pytest --gradclip-clip=MODULE:ATTR`` in any repository.

pytest loads it wherever gradclip is installed (the ``pytest11`` entry
point ``gradclip``), so it is a top-level module that imports nothing of
gradclip, NumPy or Hypothesis: it adds options, and does nothing else unless
one of them is given. Then it runs every invariant of each kind named as one
test, ``test_invariant[clip-core-norm_bound]`` and so on, alone when no test
paths are given, or beside the tests that are.

References:
    Hypothesis's own plugin, ``_hypothesis_pytestplugin``, is kept out of its
    package for the same reason.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gradclip.testing import Kind

KINDS: dict["Kind", str] = {
    "clip": "a clipping function f(grads, max_norm)",
    "net": "a class with the book's TwoLayerNet API",
    "value": "an element-wise clipper f(grads, clip_value)",
    "norm": "a global norm f(grads) -> float",
    "shard": "a shard clipper f(grads, max_norm, total_norm)",
}

REQUESTED = pytest.StashKey[dict["Kind", object]]()
"""The implementations asked for, by kind, once loaded."""

DEVIATIONS = pytest.StashKey[dict[str, str]]()
"""The ``--gradclip-xfail`` declarations: a reason by invariant name."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--gradclip-clip`` and the other kinds, ``--gradclip-tier`` and
    ``--gradclip-xfail``."""
    group = parser.getgroup("gradclip", "check an implementation's invariants")
    for kind, what in KINDS.items():
        group.addoption(
            f"--gradclip-{kind}",
            metavar="MODULE:ATTR",
            help=f"run every {kind} invariant on {what}, importable from here",
        )
    group.addoption(
        "--gradclip-tier",
        choices=("core", "return", "robust", "all"),
        default="all",
        help="core: the seed's contract on ordinary inputs; return: a returned "
        "norm; robust: the rest (default: all)",
    )
    group.addoption(
        "--gradclip-xfail",
        action="append",
        default=[],
        metavar="NAME=REASON",
        help="a deliberate deviation: run invariant NAME as a strict xfail",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Load the implementations asked for, and add the suite that checks them."""
    targets = {
        kind: target
        for kind in KINDS
        if (target := config.getoption(f"--gradclip-{kind}")) is not None
    }
    if not targets:
        return
    # Only now that it is asked for.
    from gradclip.testing import invariant_names, load_implementation
    from gradclip.verify import ConventionError, detect

    loaded: dict[Kind, object] = {}
    for kind, target in targets.items():
        try:
            loaded[kind] = load_implementation(target)
            detect(kind, loaded[kind])  # no convention fits: a usage error too
        except (pytest.UsageError, ConventionError) as error:
            raise pytest.UsageError(f"--gradclip-{kind}: {error}") from None
    config.stash[REQUESTED] = loaded
    declared = _deviations(config.getoption("--gradclip-xfail"))
    known = {name for kind in loaded for name in invariant_names(kind)}
    unknown = sorted(set(declared) - known)
    if unknown:
        raise pytest.UsageError(
            f"--gradclip-xfail must name invariants of {', '.join(loaded)}, "
            f"got {unknown}"
        )
    config.stash[DEVIATIONS] = declared
    suite = _suite()
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args.append(str(suite))
    else:
        config.args[:] = [str(suite)]


def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> pytest.Module | None:
    """Name the suite ``gradclip``, wherever gradclip is installed."""
    if REQUESTED not in parent.config.stash or module_path != _suite():
        return None
    return pytest.Module.from_parent(parent, path=module_path, nodeid="gradclip")


def _suite() -> Path:
    import gradclip  # only once an option asked for the suite

    return Path(gradclip.__file__).parent / "_pytest_suite.py"


def _deviations(declarations: list[str]) -> dict[str, str]:
    """Read ``NAME=REASON`` declarations.

    Raises:
        pytest.UsageError: a declaration without ``=``, a name or a reason.
    """
    declared = {}
    for declaration in declarations:
        name, equals, reason = declaration.partition("=")
        if not equals or not name.strip() or not reason.strip():
            raise pytest.UsageError(
                f"--gradclip-xfail must look like NAME=REASON, got {declaration!r}"
            )
        declared[name.strip()] = reason.strip()
    return declared
