"""The types the gradient-checking functions return, as users see them."""

from collections.abc import Mapping
from typing import Any, Literal, SupportsFloat, assert_type

import numpy as np
from numpy.typing import NDArray

from gradclip import (
    ErrorSummary,
    GradientCheck,
    Model,
    TwoLayerNet,
    assert_gradients_close,
    check_gradients,
    numerical_gradient,
)

tnet = TwoLayerNet(5, 4, 3)
x = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
t = np.array([2])

# numerical_gradient keeps the dtype of its point.
assert_type(
    numerical_gradient(lambda v: float(v.sum()), np.zeros(3)), NDArray[np.float64]
)
assert_type(
    numerical_gradient(lambda v: v.sum(), np.zeros(3, dtype=np.float32)),
    NDArray[np.float32],
)
assert_type(
    numerical_gradient(lambda W: tnet.loss(x, t), tnet.params["W1"], h=1e-5),
    NDArray[np.floating[Any]],
)


# The protocol's members as check_gradients sees them. (A parameter, not an
# assignment: pyright narrows `model: Model = tnet` to TwoLayerNet, mypy not.)
def members(model: Model) -> None:
    assert_type(model, Model)
    assert_type(model.params, Mapping[str, NDArray[Any]])
    assert_type(model.loss(x, t), SupportsFloat)
    assert_type(model.gradient(x, t), Mapping[str, NDArray[Any]])


members(tnet)

check = check_gradients(tnet, x, t)
assert_type(check, GradientCheck)
assert_type(check_gradients(tnet, x, t, mode="fast", rng=0), GradientCheck)
assert_type(assert_gradients_close(tnet, x, t, rtol=1e-4), GradientCheck)
assert_type(check.ok, bool)
assert_type(check.mode, Literal["full", "fast"])
assert_type(check.h, float)
assert_type(check.summaries, tuple[ErrorSummary, ...])
assert_type(str(check), str)

summary = check["W1"]
assert_type(summary, ErrorSummary)
assert_type(summary.name, str)
assert_type(summary.checked, int)
assert_type(summary.max_rel_error, float)
assert_type(summary.worst_index, tuple[int, ...])
