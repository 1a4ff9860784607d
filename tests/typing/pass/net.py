"""User code with TwoLayerNet, its layers and gradient checking that must type-check."""

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradclip import (
    Affine,
    GradientCheck,
    Model,
    Relu,
    SoftmaxWithLoss,
    TwoLayerNet,
    assert_gradients_close,
    check_gradients,
    clip_grads,
    numerical_gradient,
)

# The seed's second example, as written in the notebook.
tnet = TwoLayerNet(input_size=5, hidden_size=4, output_size=3)
x = np.array([[1, 2, 3, 4, 5]])
t = np.array([[0, 0, 1]])
grads = tnet.gradient(x, t)
for key, value in grads.items():
    print(key, "=")
    print(value)
clip_grads(grads, max_norm=0.5)

# The gradient goes straight to clip_grads, and the norm comes back a float.
before: float = clip_grads(tnet.gradient(x, t), 0.5)
clip_grads(tnet.numerical_gradient(x, t), max_norm=np.float32(0.5))

# Constructor options, and inputs of any array-like kind.
TwoLayerNet(5, 4, 3, 0.1, rng=np.random.default_rng(0), dtype=np.float32)
TwoLayerNet(5, 4, 3, weight_init_std=1, rng=0, dtype="float64")
scores: NDArray[np.floating[Any]] = tnet.predict([1.0, 2.0, 3.0, 4.0, 5.0])
loss: float = tnet.loss(x, [2])
accuracy: float = tnet.accuracy(x.tolist(), t)
params: Mapping[str, NDArray[np.floating[Any]]] = tnet.params
tnet.params["b2"][...] = 0.0

# The book's gradient check by hand: perturb W1 through a closure.
dW1: NDArray[np.floating[Any]] = numerical_gradient(
    lambda W: tnet.loss(x, t), tnet.params["W1"]
)
square = numerical_gradient(lambda v: np.sum(v**2), np.array([1.0, 2.0]), h=1e-5)

# TwoLayerNet, and any book-style class, is a Model for check_gradients.
model: Model = tnet


class BookNet:
    """A user's own network, annotated as the book's code would be."""

    def __init__(self) -> None:
        self.params = {"W": np.zeros((5, 3))}

    def loss(self, x: NDArray[Any], t: NDArray[Any]) -> float:
        return float(np.sum(x @ self.params["W"]))

    def gradient(self, x: NDArray[Any], t: NDArray[Any]) -> dict[str, NDArray[Any]]:
        return {"W": np.zeros_like(self.params["W"])}


class Float32Net:
    """A model whose loss is a NumPy scalar: check_gradients calls float() on it."""

    def __init__(self) -> None:
        self.params = {"W": np.zeros((5, 3))}

    def loss(self, x: NDArray[Any], t: NDArray[Any]) -> np.float32:
        return np.float32(0.5 * np.sum(self.params["W"] ** 2))

    def gradient(self, x: NDArray[Any], t: NDArray[Any]) -> dict[str, NDArray[Any]]:
        return {"W": self.params["W"].copy()}


check: GradientCheck = check_gradients(BookNet(), x, t)
numpy_scalar_loss: Model = Float32Net()
check_gradients(numpy_scalar_loss, x, t, mode="fast", rng=0)
fast = check_gradients(tnet, x, t, mode="fast", rng=np.random.default_rng(0))
assert_gradients_close(tnet, x, t, rtol=1e-4, atol=1e-6, h=np.float64(1e-6))
if not check.ok:
    print(check, check["W"].max_rel_error, check.summaries[0].worst_index)

# The layers on their own.
affine = Affine(tnet.params["W1"], tnet.params["b1"])
relu = Relu()
last = SoftmaxWithLoss()
hidden = relu.forward(affine.forward(x.astype(np.float64)))
layer_loss: float = last.forward(hidden, np.array([3]))
affine.backward(relu.backward(last.backward()))
affine.backward_params(relu.backward(last.backward(dout=2.0)))
clip_grads({"W": affine.dW, "b": affine.db}, 1.0)
