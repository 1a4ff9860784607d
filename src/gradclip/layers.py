"""Backprop layers: ``Affine``, ``Relu`` and ``SoftmaxWithLoss``.

Each layer is a small class with ``forward`` and ``backward``, keeping what
``backward`` needs from ``forward`` and, for ``Affine``, the parameter
gradients ``dW`` and ``db``: the shape of the book this package follows.
Unlike the book, no layer ever writes into an array its caller passed in, and
the loss is the exact softmax cross-entropy, computed through log-sum-exp.

References:
    Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 5.
"""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gradclip._labels import class_labels
from gradclip._typing import FloatArray

__all__ = ["Affine", "Relu", "SoftmaxWithLoss"]


class Affine:
    """Fully connected layer ``out = x @ W + b``.

    ``W`` and ``b`` are held by reference: changing them in place changes the
    layer, which is how a network shares its ``params`` with its layers.

    Args:
        W: Weights, shape ``(in_features, out_features)``.
        b: Bias, shape ``(out_features,)``.

    References:
        Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 5.6.
    """

    def __init__(self, W: FloatArray, b: FloatArray) -> None:
        self.W = W
        self.b = b
        self.x: FloatArray | None = None
        self.dW: FloatArray = np.zeros_like(W)
        self.db: FloatArray = np.zeros_like(b)

    def forward(self, x: FloatArray) -> FloatArray:
        """Return ``x @ W + b`` for a batch ``x`` of shape ``(N, in_features)``."""
        self.x = x
        out: FloatArray = x @ self.W
        out += self.b
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """Set ``dW`` and ``db`` from the upstream gradient and return ``dx``.

        Raises:
            RuntimeError: If ``forward`` has not run.
        """
        self.backward_params(dout)
        dx: FloatArray = dout @ self.W.T
        return dx

    def backward_params(self, dout: FloatArray) -> None:
        """Set ``dW`` and ``db`` only, skipping ``dx = dout @ W.T``.

        For a first layer, whose input is data that needs no gradient.

        Raises:
            RuntimeError: If ``forward`` has not run.
        """
        if self.x is None:
            raise RuntimeError("Affine.forward must run before backward")
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)


class Relu:
    """Rectified linear unit, with derivative 0 at exactly 0 (as in the book).

    References:
        Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 5.5.
    """

    def __init__(self) -> None:
        self.mask: NDArray[np.bool_] | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """Return ``max(x, 0)`` as a new array, remembering where ``x <= 0``."""
        self.mask = x <= 0
        out: FloatArray = np.maximum(x, 0)
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """Return ``dout`` zeroed where the input was ``<= 0``, as a new array.

        Raises:
            RuntimeError: If ``forward`` has not run.
        """
        if self.mask is None:
            raise RuntimeError("Relu.forward must run before backward")
        # Multiplying by the boolean mask is several times faster than np.where.
        dx: FloatArray = dout * np.logical_not(self.mask)
        return dx


class SoftmaxWithLoss:
    """Softmax followed by the mean cross-entropy over the batch.

    The loss is ``mean(logsumexp(x) - x[t])``: finite for any finite logits,
    with no ``1e-7`` fudge, so ``backward`` is its exact derivative.

    References:
        Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 5.6.3.
    """

    def __init__(self) -> None:
        self.loss: float | None = None
        self.y: FloatArray | None = None
        self.t: NDArray[np.intp] | None = None

    def forward(self, x: FloatArray, t: ArrayLike) -> float:
        """Return the mean softmax cross-entropy of logits ``x`` against ``t``.

        Args:
            x: Logits, shape ``(N, C)``; integer logits are taken as float64.
            t: Class labels, shape ``(N,)``, or one-hot rows, shape ``(N, C)``;
                integer or floating dtype.

        Returns:
            The loss as a Python float.

        Raises:
            TypeError: If ``x`` or ``t`` has neither an integer nor a floating
                dtype.
            ValueError: If ``x`` is not 2-D or ``t`` is not a valid target for
                ``x``.
        """
        if x.dtype.kind not in "iuf":
            raise TypeError(
                f"x must have an integer or floating dtype, got x.dtype={x.dtype}"
            )
        if x.ndim != 2:
            raise ValueError(f"x must be 2-D (N, C), got x.shape={x.shape!r}")
        labels = class_labels(t, n_samples=x.shape[0], n_classes=x.shape[1])
        if x.dtype.kind in "iu":
            x = np.asarray(x, dtype=np.float64)
        rows = np.arange(len(labels))
        shifted = x - x.max(axis=1, keepdims=True)
        picked = shifted[rows, labels]
        y = np.exp(shifted, out=shifted)
        sums = y.sum(axis=1)
        self.loss = float(np.mean(np.log(sums) - picked))
        y /= sums[:, np.newaxis]
        self.y, self.t = y, labels
        return self.loss

    def backward(self, dout: float = 1.0) -> FloatArray:
        """Return ``dout * (softmax(x) - onehot(t)) / N``, the loss's gradient.

        Raises:
            RuntimeError: If ``forward`` has not run.
        """
        if self.y is None or self.t is None:
            raise RuntimeError("SoftmaxWithLoss.forward must run before backward")
        n = len(self.t)
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        dx *= dout / n
        return dx
