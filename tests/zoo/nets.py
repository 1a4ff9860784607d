"""The book's TwoLayerNet (ch. 5), as written, and nets with plausible bugs.

``TwoLayerNet`` and its layers follow "ゼロから作る Deep Learning"'s
``ch05/two_layer_net.py``, ``common/layers.py`` and ``common/gradient.py``
line for line (with type annotations added), including its
``-log(y + 1e-7)`` loss; each wrong net
changes one thing, as a reader's own code might.

References:
    Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 5.
"""

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

import gradclip

__all__ = [
    "CORRECT",
    "WRONG",
    "BiasNotSummed",
    "CentersInputInPlace",
    "NaiveSoftmax",
    "NoBatchDivision",
    "NoReluMask",
    "TwoLayerNet",
    "VagueErrors",
]

Array = NDArray[Any]


def softmax(x: Array) -> Array:
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T  # type: ignore[no-any-return]  # NumPy's stubs lose the type of .T

    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))  # type: ignore[no-any-return]  # as above


def cross_entropy_error(y: Array, t: Array) -> float:
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)

    if t.size == y.size:
        t = t.argmax(axis=1)

    batch_size = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size)


def numerical_gradient(f: Any, x: Array) -> Array:
    h = 1e-4  # 0.0001
    grad = np.zeros_like(x)

    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])  # type: ignore[list-item]  # mypy infers list[str] for the stubs' nested Literal list
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)  # f(x+h)

        x[idx] = tmp_val - h
        fxh2 = f(x)  # f(x-h)
        grad[idx] = (fxh1 - fxh2) / (2 * h)

        x[idx] = tmp_val  # 値を元に戻す
        it.iternext()

    return grad


class Relu:
    def __init__(self) -> None:
        self.mask: Array | None = None

    def forward(self, x: Array) -> Array:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: Array) -> Array:
        dout[self.mask] = 0
        dx = dout
        return dx


class Affine:
    def __init__(self, W: Array, b: Array) -> None:
        self.W = W
        self.b = b
        self.x: Array = np.empty(0)
        self.original_x_shape: tuple[int, ...] = ()
        self.dW: Array = np.empty(0)
        self.db: Array = np.empty(0)

    def forward(self, x: Array) -> Array:
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        out: Array = np.dot(self.x, self.W) + self.b
        return out

    def backward(self, dout: Array) -> Array:
        dx: Array = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        dx = dx.reshape(*self.original_x_shape)
        return dx


class SoftmaxWithLoss:
    def __init__(self) -> None:
        self.loss = 0.0
        self.y: Array = np.empty(0)
        self.t: Array = np.empty(0)

    def forward(self, x: Array, t: Array) -> float:
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout: float = 1) -> Array:
        batch_size = self.t.shape[0]
        dx: Array
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx


class TwoLayerNet:
    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        weight_init_std: float = 0.01,
    ) -> None:
        self.params: dict[str, Array] = {}
        self.params["W1"] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])

        self.lastLayer: Any = SoftmaxWithLoss()

    def predict(self, x: Array) -> Array:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: Array, t: Array) -> float:
        y = self.predict(x)
        return self.lastLayer.forward(y, t)  # type: ignore[no-any-return]  # a layer

    def accuracy(self, x: Array, t: Array) -> float:
        y = self.predict(x)
        y = np.argmax(y, axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)

        accuracy = np.sum(y == t) / float(x.shape[0])
        return float(accuracy)

    def numerical_gradient(self, x: Array, t: Array) -> dict[str, Array]:
        loss_W = lambda W: self.loss(x, t)  # noqa: E731  # the book's own line

        grads = {}
        grads["W1"] = numerical_gradient(loss_W, self.params["W1"])
        grads["b1"] = numerical_gradient(loss_W, self.params["b1"])
        grads["W2"] = numerical_gradient(loss_W, self.params["W2"])
        grads["b2"] = numerical_gradient(loss_W, self.params["b2"])

        return grads

    def gradient(self, x: Array, t: Array) -> dict[str, Array]:
        self.loss(x, t)

        dout: Any = 1
        dout = self.lastLayer.backward(dout)

        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)

        grads = {}
        grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads


# The wrong nets: one change each.


class _ReluWithoutMask(Relu):
    def backward(self, dout: Array) -> Array:
        return dout


class NoReluMask(TwoLayerNet):
    """Bug: the ReLU passes every gradient back, dead units included."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, hidden_size, output_size)
        self.layers["Relu1"] = _ReluWithoutMask()


class _LossWithoutBatchDivision(SoftmaxWithLoss):
    def backward(self, dout: float = 1) -> Array:
        dx: Array = super().backward(dout) * self.t.shape[0]
        return dx


class NoBatchDivision(TwoLayerNet):
    """Bug: the loss is a batch mean but its gradient is a batch sum."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, hidden_size, output_size)
        self.lastLayer = _LossWithoutBatchDivision()


class _AffineFirstRowBias(Affine):
    def backward(self, dout: Array) -> Array:
        dx = super().backward(dout)
        self.db = dout[0].copy()
        return dx


class BiasNotSummed(TwoLayerNet):
    """Bug: each bias gradient is the first example's, not the batch sum."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, hidden_size, output_size)
        self.layers["Affine1"] = _AffineFirstRowBias(
            self.params["W1"], self.params["b1"]
        )
        self.layers["Affine2"] = _AffineFirstRowBias(
            self.params["W2"], self.params["b2"]
        )


class CentersInputInPlace(TwoLayerNet):
    """Bug: centres each input row in place, changing the caller's x."""

    def predict(self, x: Array) -> Array:
        x -= x.mean(axis=1, keepdims=True)
        return super().predict(x)


def _naive_softmax(x: Array) -> Array:
    exp = np.exp(x)
    return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]  # NumPy


class _NaiveSoftmaxWithLoss(SoftmaxWithLoss):
    def forward(self, x: Array, t: Array) -> float:
        self.t = t
        self.y = _naive_softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss


class NaiveSoftmax(TwoLayerNet):
    """Bug: softmax without subtracting the largest logit overflows."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, hidden_size, output_size)
        self.lastLayer = _NaiveSoftmaxWithLoss()


@contextmanager
def _vague() -> Iterator[None]:
    try:
        yield
    except (TypeError, ValueError) as error:
        raise type(error)("invalid input") from None


class VagueErrors(gradclip.TwoLayerNet):
    """Bug: gradclip's checks, but errors that never say which argument is wrong."""

    def loss(self, x: ArrayLike, t: ArrayLike) -> float:
        with _vague():
            return super().loss(x, t)

    def gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, gradclip.FloatArray]:
        with _vague():
            return super().gradient(x, t)


CORRECT = [TwoLayerNet]
"""The book's network passes every core invariant, and the robust ones that
need no 1-D x, float labels or input checks (it has none of them)."""

WRONG = {
    NoReluMask: "gradient_matches_numerical",
    NoBatchDivision: "gradient_matches_numerical",
    BiasNotSummed: "gradient_matches_numerical",
    CentersInputInPlace: "no_mutation",
    NaiveSoftmax: "huge_logits_finite",
    VagueErrors: "bad_input_rejected",
}
"""Each wrong net, with an invariant that must catch it."""
