"""Calls to TwoLayerNet, layers and gradient checking that must be rejected.

Each line carries the error code mypy must report and the rule pyright must
report; a line that stops failing is reported as an unused ignore.
"""

import numpy as np
from numpy.typing import NDArray

from gradclip import (
    Affine,
    SoftmaxWithLoss,
    TwoLayerNet,
    assert_gradients_close,
    check_gradients,
    numerical_gradient,
)

tnet = TwoLayerNet(5, 4, 3)
x = np.array([[1, 2, 3, 4, 5]])
t = np.array([2])

# Sizes are ints; rng and dtype are keyword-only; rng is a Generator or a seed.
TwoLayerNet(5.0, 4, 3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
TwoLayerNet("5", 4, 3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
TwoLayerNet(5, 4, 3, 0.01, 0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
TwoLayerNet(5, 4, 3, rng="0")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
TwoLayerNet(5, 4, 3, rng=np.random.RandomState(0))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
TwoLayerNet(5, 4, 3, seed=0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
TwoLayerNet(input_size=5, hidden_size=4, ouput_size=3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]

# Results: the loss is a float, the gradient a dict, the logits an array.
s: str = tnet.loss(x, t)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
g: list[NDArray[np.float64]] = tnet.gradient(x, t)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
f: float = tnet.predict(x)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
ok: str = check_gradients(tnet, x, t).ok  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
loss: NDArray[np.float64] = SoftmaxWithLoss().forward(np.zeros((1, 3)), t)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

# Gradient checking: a Model, a known mode, real tolerances, keyword-only options.
check_gradients(tnet, x, t, mode="slow")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
check_gradients(object(), x, t)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
check_gradients(tnet, x, t, rtol="1e-3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
check_gradients(tnet, x, t, "fast")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
assert_gradients_close(tnet, x, t, tol=1e-3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


class NoGradient:
    """Has params and loss, but no gradient: not a Model."""

    def __init__(self) -> None:
        self.params = {"W": np.zeros(3)}

    def loss(self, x: NDArray[np.float64], t: NDArray[np.float64]) -> float:
        return 0.0


check_gradients(NoGradient(), x, t)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def text_loss(W: NDArray[np.float64]) -> str:
    return "loss"


# numerical_gradient: a floating array, and a function whose result is a number.
numerical_gradient(lambda W: tnet.loss(x, t), np.zeros(3, dtype=np.int64))  # type: ignore[type-var]  # pyright: ignore[reportArgumentType]
numerical_gradient(lambda W: tnet.loss(x, t), [1.0, 2.0])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
numerical_gradient(text_loss, np.zeros(3))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

# Layers hold NumPy arrays, not lists.
Affine([[1.0]], np.zeros(1))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
