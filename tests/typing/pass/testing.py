"""User tests built with gradclip.testing that must type-check."""

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from gradclip import TwoLayerNet, clip_grads, global_norm
from gradclip.seed import clip_grads as seed_clip_grads
from gradclip.testing import (
    InvariantCheck,
    invariant_checks,
    invariant_names,
    parametrize_with_invariants,
)
from gradclip.verify import GradsCase


def my_clip_grads(grads: dict[str, NDArray[np.float64]], max_norm: float) -> float:
    return clip_grads(grads, max_norm)


@parametrize_with_invariants("clip", my_clip_grads, tier="core")
def test_my_clip(check: InvariantCheck) -> None:
    check()


@parametrize_with_invariants(
    "clip",
    seed_clip_grads,
    expected_failures={"bad_input_atomic": "no input validation, as in the notebook"},
    examples={
        "norm_bound": [GradsCase(grads={"W": np.array([3.0, 4.0])}, threshold=1.0)]
    },
)
def test_seed(check: InvariantCheck) -> None:
    assert check.kind == "clip"
    assert check.id.startswith("clip-")
    check()


@parametrize_with_invariants("net", TwoLayerNet, tier="robust")
def test_net(check: InvariantCheck) -> None:
    check()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    implementation: Any = global_norm
    if "norm_check" in metafunc.fixturenames:
        metafunc.parametrize("norm_check", invariant_checks("norm", implementation))


names: list[str] = invariant_names("value")
