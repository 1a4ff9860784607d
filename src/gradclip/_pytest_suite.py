"""The tests that gradclip's pytest plugin adds for ``--gradclip-clip`` and the rest."""

import pytest

from _gradclip_pytestplugin import DEVIATIONS, REQUESTED
from gradclip.testing import InvariantCheck, invariant_checks, invariant_names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run ``test_invariant`` once per invariant of each implementation asked for."""
    config = metafunc.config
    declared = config.stash[DEVIATIONS]
    checks = []
    for kind, implementation in config.stash[REQUESTED].items():
        names = invariant_names(kind)
        checks += invariant_checks(
            kind,
            implementation,
            tier=config.getoption("--gradclip-tier"),
            expected_failures={n: r for n, r in declared.items() if n in names},
        )
    metafunc.parametrize("check", checks)


def test_invariant(check: InvariantCheck) -> None:
    """The implementation satisfies the invariant named in the test's id."""
    check()
