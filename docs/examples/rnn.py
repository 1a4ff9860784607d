"""A vanilla RNN in NumPy, written the way "ゼロから作る Deep Learning 2" writes one.

``RNN`` is one time step, ``TimeRNN`` unrolls it over ``T`` steps with the
same ``Wh`` at every step, and ``RnnClassifier`` reads a whole sequence and
classifies it from the last hidden state (TimeRNN -> Affine ->
SoftmaxWithLoss, the last two from gradclip). Each layer has ``forward`` and
``backward``; the model has the book's ``params``, ``loss(x, t)`` and
``gradient(x, t)``, so that ``gradclip.check_gradients`` can check it.

Backpropagation through time multiplies the gradient by ``Wh.T`` (and the
tanh derivative) once per step, so over a long sequence its norm can grow
geometrically: the exploding gradients that norm clipping bounds.

References:
    Saito, "ゼロから作る Deep Learning 2", O'Reilly Japan 2018, ch. 5-6.
    Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent
    neural networks", ICML 2013, arXiv:1211.5063.
"""

import numpy as np
from numpy.typing import NDArray

from gradclip import Affine, SoftmaxWithLoss

__all__ = ["RNN", "RnnClassifier", "TimeRNN"]

Array = NDArray[np.float64]


class RNN:
    """One step: ``h_next = tanh(h_prev @ Wh + x @ Wx + b)``."""

    def __init__(self, Wx: Array, Wh: Array, b: Array) -> None:
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache: tuple[Array, Array, Array] | None = None

    def forward(self, x: Array, h_prev: Array) -> Array:
        Wx, Wh, b = self.params
        h_next = np.tanh(h_prev @ Wh + x @ Wx + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next: Array) -> tuple[Array, Array]:
        Wx, Wh, _ = self.params
        assert self.cache is not None, "forward must run before backward"
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next**2)
        self.grads[0][...] = x.T @ dt
        self.grads[1][...] = h_prev.T @ dt
        self.grads[2][...] = dt.sum(axis=0)
        dx = dt @ Wx.T
        dh_prev = dt @ Wh.T
        return dx, dh_prev


class TimeRNN:
    """``T`` RNN steps sharing ``Wx``, ``Wh`` and ``b``; ``xs`` is ``(N, T, D)``."""

    def __init__(self, Wx: Array, Wh: Array, b: Array) -> None:
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.layers: list[RNN] = []

    def forward(self, xs: Array) -> Array:
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        H = Wh.shape[0]
        self.layers = []
        hs = np.empty((N, T, H))
        h = np.zeros((N, H))
        for t in range(T):
            layer = RNN(Wx, Wh, b)
            h = layer.forward(xs[:, t, :], h)
            hs[:, t, :] = h
            self.layers.append(layer)
        return hs

    def backward(self, dhs: Array) -> Array:
        Wx, _, _ = self.params
        N, T, _ = dhs.shape
        dxs = np.empty((N, T, Wx.shape[0]))
        dh = np.zeros_like(dhs[:, 0, :])
        grads = [np.zeros_like(p) for p in self.params]
        for t in reversed(range(T)):
            layer = self.layers[t]
            dx, dh = layer.backward(dhs[:, t, :] + dh)
            dxs[:, t, :] = dx
            for i, grad in enumerate(layer.grads):
                grads[i] += grad
        for i, grad in enumerate(grads):
            self.grads[i][...] = grad
        return dxs


class RnnClassifier:
    """Classify a sequence from the RNN's last hidden state.

    Args:
        input_size: Features per time step, ``D``.
        hidden_size: Hidden units, ``H``.
        output_size: Classes.
        wh_scale: ``Wh`` is drawn with standard deviation
            ``wh_scale / sqrt(H)``: its spectral radius is about ``wh_scale``.
        seed: Seed of the initial weights.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        wh_scale: float = 1.0,
        seed: int = 0,
    ) -> None:
        rng = np.random.default_rng(seed)
        D, H, C = input_size, hidden_size, output_size
        self.params: dict[str, Array] = {
            "Wx": rng.standard_normal((D, H)) / np.sqrt(D),
            "Wh": rng.standard_normal((H, H)) * wh_scale / np.sqrt(H),
            "b": np.zeros(H),
            "W": rng.standard_normal((H, C)) / np.sqrt(H),
            "b2": np.zeros(C),
        }
        p = self.params
        self.rnn = TimeRNN(p["Wx"], p["Wh"], p["b"])
        self.affine = Affine(p["W"], p["b2"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, xs: Array) -> Array:
        hs = self.rnn.forward(xs)
        return self.affine.forward(hs[:, -1, :])

    def loss(self, xs: Array, t: NDArray[np.int64]) -> float:
        return self.last_layer.forward(self.predict(xs), t)

    def accuracy(self, xs: Array, t: NDArray[np.int64]) -> float:
        return float(np.mean(self.predict(xs).argmax(axis=1) == t))

    def gradient(self, xs: Array, t: NDArray[np.int64]) -> dict[str, Array]:
        self.loss(xs, t)
        dout = self.last_layer.backward(1.0)
        dh_last = self.affine.backward(dout)
        N, T = xs.shape[:2]
        dhs = np.zeros((N, T, dh_last.shape[1]))
        dhs[:, -1, :] = dh_last
        self.rnn.backward(dhs)
        dWx, dWh, db = self.rnn.grads
        return {
            "Wx": dWx.copy(),
            "Wh": dWh.copy(),
            "b": db.copy(),
            "W": self.affine.dW,
            "b2": self.affine.db,
        }
