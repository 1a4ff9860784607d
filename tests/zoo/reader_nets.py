"""Two-layer nets written the way readers write them, right and subtly wrong.

Each has the book's constructor and methods, and is checked by ``gradclip
verify net`` with no adapter: whether it takes class labels or one-hot
targets only, and whether it offers ``numerical_gradient``, is detected.

References:
    Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 4-5.
"""

from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tests.zoo.nets import Affine, Relu, numerical_gradient, softmax

Array = NDArray[Any]


class OneHotSoftmaxWithLoss:
    """The loss layer as the book prints it for one-hot targets, no label branch."""

    def __init__(self) -> None:
        self.y: Array = np.empty(0)
        self.t: Array = np.empty(0)

    def forward(self, x: Array, t: Array) -> float:
        self.t = t
        self.y = softmax(x)
        batch_size = x.shape[0]
        return float(-np.sum(t * np.log(self.y + 1e-7)) / batch_size)

    def backward(self, dout: float = 1) -> Array:
        batch_size = self.t.shape[0]
        dx: Array = (self.y - self.t) / batch_size
        return dx


class OneHotTwoLayerNet:
    """The book's ch. 5 net trained with ``one_hot_label=True``: one-hot only."""

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
        self.lastLayer: Any = OneHotSoftmaxWithLoss()

    def predict(self, x: Array) -> Array:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: Array, t: Array) -> float:
        return float(self.lastLayer.forward(self.predict(x), t))

    def accuracy(self, x: Array, t: Array) -> float:
        y = np.argmax(self.predict(x), axis=1)
        t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / float(x.shape[0]))

    def numerical_gradient(self, x: Array, t: Array) -> dict[str, Array]:
        def loss_w(w: Array) -> float:
            return self.loss(x, t)

        return {
            key: numerical_gradient(loss_w, self.params[key]) for key in self.params
        }

    def gradient(self, x: Array, t: Array) -> dict[str, Array]:
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {
            "W1": self.layers["Affine1"].dW,
            "b1": self.layers["Affine1"].db,
            "W2": self.layers["Affine2"].dW,
            "b2": self.layers["Affine2"].db,
        }


def _relu(x: Array) -> Array:
    return np.maximum(0, x)


class PlainNet:
    """No layer classes: ``W1 W2 b1 b2`` in that order, a seeded initialisation,
    the pre-2017 softmax without subtracting the largest logit, a loss
    without ``+ 1e-7``, a ``gradient()`` that fills W2 and b2 first, and no
    ``numerical_gradient``."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        np.random.seed(0)
        self.params: dict[str, Array] = {
            "W1": 0.01 * np.random.randn(input_size, hidden_size),
            "W2": 0.01 * np.random.randn(hidden_size, output_size),
            "b1": np.zeros(hidden_size),
            "b2": np.zeros(output_size),
        }

    def _forward(self, x: Array) -> tuple[Array, Array]:
        hidden = _relu(x @ self.params["W1"] + self.params["b1"])
        return hidden, hidden @ self.params["W2"] + self.params["b2"]

    def predict(self, x: Array) -> Array:
        return self._forward(x)[1]

    def _probabilities(self, x: Array) -> Array:
        logits = self.predict(x)
        exp = np.exp(logits)
        probabilities: Array = exp / np.sum(exp, axis=-1, keepdims=True)
        return probabilities

    def loss(self, x: Array, t: Array) -> float:
        y = self._probabilities(x)
        if t.ndim == y.ndim:
            t = np.argmax(t, axis=-1)
        y, t = y.reshape(-1, y.shape[-1]), np.reshape(t, -1)
        return float(-np.mean(np.log(y[np.arange(len(t)), t])))

    def accuracy(self, x: Array, t: Array) -> float:
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.mean(np.argmax(self.predict(x), axis=1) == t))

    def gradient(self, x: Array, t: Array) -> dict[str, Array]:
        hidden, _ = self._forward(x)
        y = self._probabilities(x)
        if t.ndim == y.ndim:
            t = np.argmax(t, axis=-1)
        x, hidden, y = np.atleast_2d(x), np.atleast_2d(hidden), np.atleast_2d(y)
        dy = y.copy()
        dy[np.arange(len(dy)), np.reshape(t, -1)] -= 1
        dy /= len(dy)
        grads = {"W2": hidden.T @ dy, "b2": dy.sum(axis=0)}
        dhidden = (dy @ self.params["W2"].T) * (hidden > 0)
        grads["W1"] = x.T @ dhidden
        grads["b1"] = dhidden.sum(axis=0)
        return grads


# Wrong, each in one way a reader has written.


class _OneHotSumLoss(OneHotSoftmaxWithLoss):
    def backward(self, dout: float = 1) -> Array:
        dx: Array = self.y - self.t
        return dx


class OneHotNoBatchMean(OneHotTwoLayerNet):
    """Bug: the loss is a batch mean, its gradient ``y - t`` a batch sum."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, hidden_size, output_size)
        self.lastLayer = _OneHotSumLoss()


class _MeanBiasAffine(Affine):
    def backward(self, dout: Array) -> Array:
        dx = super().backward(dout)
        self.db = np.mean(dout, axis=0)
        return dx


class BiasGradientMean(OneHotTwoLayerNet):
    """Bug: ``db`` is the mean of ``dout`` over the batch, not its sum."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__(input_size, hidden_size, output_size)
        self.layers["Affine1"] = _MeanBiasAffine(self.params["W1"], self.params["b1"])
        self.layers["Affine2"] = _MeanBiasAffine(self.params["W2"], self.params["b2"])


class AccuracyOfLabelsOnly(PlainNet):
    """Bug: ``accuracy`` compares predictions with one-hot rows unconverted."""

    def accuracy(self, x: Array, t: Array) -> float:
        return float(np.mean(np.argmax(self.predict(x), axis=1) == t))


CORRECT = [OneHotTwoLayerNet, PlainNet]
"""Each keeps the book's contract: core holds."""

CONVENTIONS = {
    OneHotTwoLayerNet: "one-hot",
    PlainNet: "labels",
    OneHotNoBatchMean: "one-hot",
    BiasGradientMean: "one-hot",
    AccuracyOfLabelsOnly: "labels",
}
"""The calling convention each must be detected with."""

WRONG = {
    OneHotNoBatchMean: "gradient_matches_numerical",
    BiasGradientMean: "gradient_matches_numerical",
    AccuracyOfLabelsOnly: "accuracy_of_predict",
}
"""Each wrong net, with the invariant that points at its bug."""
