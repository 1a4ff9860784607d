"""A two-layer ReLU network with backprop: ``TwoLayerNet``.

References:
    Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 5.7.
"""

from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from gradclip import gradcheck
from gradclip._labels import class_labels
from gradclip._typing import FloatArray
from gradclip._validation import check_nonnegative, check_rng
from gradclip.layers import Affine, Relu, SoftmaxWithLoss

__all__ = ["TwoLayerNet"]

_DTYPES = frozenset(np.dtype(name) for name in ("float16", "float32", "float64"))


class _Layers(TypedDict):
    Affine1: Affine
    Relu1: Relu
    Affine2: Affine


class TwoLayerNet:
    """Affine, ReLU, Affine, then softmax with mean cross-entropy loss.

    The book's network and protocol: ``params`` holds ``W1 b1 W2 b2`` (in that
    order) and the layers read those very arrays, so changing ``params[k]`` in
    place changes the model. Inputs ``x`` have shape ``(N, input_size)``, or
    ``(input_size,)`` for one sample, and any integer or floating dtype.
    Targets ``t`` are class labels, shape ``(N,)``, or one-hot rows, shape
    ``(N, output_size)``; for a 1-D ``x``, a scalar label or one one-hot row.
    Invalid inputs raise before anything is computed, and no method ever
    writes into ``x``, ``t`` or ``params``.

    Args:
        input_size: Number of input features.
        hidden_size: Number of hidden ReLU units.
        output_size: Number of classes.
        weight_init_std: Standard deviation of the normal initial weights;
            the biases start at zero.
        rng: A ``numpy.random.Generator`` or an int seed for the initial
            weights. ``None`` draws from the legacy global state as the book
            does (``np.random.randn``), so ``np.random.seed`` reproduces it.
        dtype: Floating dtype of the parameters and of the computation.

    Raises:
        TypeError: If a size is not an int, ``weight_init_std`` is not a real
            number, ``rng`` is of the wrong type or ``dtype`` is not a
            floating dtype.
        ValueError: If a size is below 1, ``weight_init_std`` is negative,
            not finite, or so large that a weight drawn is not finite in
            ``dtype``, or an int ``rng`` is negative.

    Example:
        >>> net = TwoLayerNet(input_size=5, hidden_size=4, output_size=3, rng=0)
        >>> grads = net.gradient(np.array([[1, 2, 3, 4, 5]]), np.array([2]))
        >>> [(key, grad.shape) for key, grad in grads.items()]
        [('W1', (5, 4)), ('b1', (4,)), ('W2', (4, 3)), ('b2', (3,))]

    References:
        Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 5.7.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        weight_init_std: float = 0.01,
        *,
        rng: np.random.Generator | int | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        for name, size in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("output_size", output_size),
        ):
            if isinstance(size, bool) or not isinstance(size, int | np.integer):
                raise TypeError(f"{name} must be an int, got {name}={size!r}")
            if size < 1:
                raise ValueError(f"{name} must be >= 1, got {name}={size!r}")
        std = check_nonnegative("weight_init_std", weight_init_std, allow_inf=False)
        float_dtype = np.dtype(dtype)
        if float_dtype not in _DTYPES:
            raise TypeError(
                "dtype must be float16, float32 or float64 (the dtypes clip_grads "
                f"takes), got dtype={dtype!r}"
            )

        generator = None if rng is None else check_rng(rng)

        def normal(*shape: int) -> NDArray[np.float64]:
            if generator is None:
                # The book's draws, so that np.random.seed reproduces them.
                return np.random.randn(*shape)  # noqa: NPY002
            return generator.standard_normal(shape)

        draws = {
            "W1": normal(input_size, hidden_size),
            "W2": normal(hidden_size, output_size),
        }
        largest = std * max(float(np.max(np.abs(d))) for d in draws.values())
        if largest > float(np.finfo(float_dtype).max):
            raise ValueError(
                f"weight_init_std must be small enough for finite {float_dtype} "
                f"weights (at most {float(np.finfo(float_dtype).max):g}), got "
                f"weight_init_std={weight_init_std!r}, which drew a weight of "
                f"{largest:.3g}"
            )
        self.params: dict[str, FloatArray] = {
            "W1": (std * draws["W1"]).astype(float_dtype),
            "b1": np.zeros(hidden_size, dtype=float_dtype),
            "W2": (std * draws["W2"]).astype(float_dtype),
            "b2": np.zeros(output_size, dtype=float_dtype),
        }
        self.layers: _Layers = {
            "Affine1": Affine(self.params["W1"], self.params["b1"]),
            "Relu1": Relu(),
            "Affine2": Affine(self.params["W2"], self.params["b2"]),
        }
        self.last_layer = SoftmaxWithLoss()

    def __repr__(self) -> str:
        (input_size, hidden_size), (output_size,) = (
            self.params["W1"].shape,
            self.params["b2"].shape,
        )
        return (
            f"TwoLayerNet(input_size={input_size}, hidden_size={hidden_size}, "
            f"output_size={output_size}, dtype={self.params['W1'].dtype})"
        )

    def predict(self, x: ArrayLike) -> FloatArray:
        """Return the logits (scores before softmax), shape ``(N, output_size)``.

        A 1-D ``x`` gives 1-D logits.
        """
        x = np.asarray(x)
        logits = self._predict(self._inputs(x))
        return logits[0] if x.ndim == 1 else logits

    def loss(self, x: ArrayLike, t: ArrayLike) -> float:
        """Return the mean softmax cross-entropy over the batch."""
        return self._loss(*self._batch(x, t))

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """Return the fraction of samples whose largest logit is the target class."""
        x_batch, labels = self._batch(x, t)
        return float(np.mean(self._predict(x_batch).argmax(axis=1) == labels))

    def gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, FloatArray]:
        """Return the exact gradient of ``loss(x, t)`` by backprop.

        Returns:
            New arrays keyed like ``params``, in the parameters' dtype.
        """
        x_batch, labels = self._batch(x, t)
        self._loss(x_batch, labels)
        affine1, relu1, affine2 = (
            self.layers["Affine1"],
            self.layers["Relu1"],
            self.layers["Affine2"],
        )
        dout = self.last_layer.backward()
        dout = affine2.backward(dout)
        dout = relu1.backward(dout)
        affine1.backward_params(dout)  # x is data: its gradient is not needed
        return {"W1": affine1.dW, "b1": affine1.db, "W2": affine2.dW, "b2": affine2.db}

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, FloatArray]:
        """Return the gradient of ``loss(x, t)`` by central differences.

        Slow (two losses per parameter element); a check on ``gradient``. Each
        parameter is perturbed in place and restored, as the book does.
        """
        x_batch, labels = self._batch(x, t)

        def loss(_: FloatArray) -> float:
            return self._loss(x_batch, labels)

        return {
            key: gradcheck.numerical_gradient(loss, param)
            for key, param in self.params.items()
        }

    def _predict(self, x: FloatArray) -> FloatArray:
        out = self.layers["Affine1"].forward(x)
        out = self.layers["Relu1"].forward(out)
        return self.layers["Affine2"].forward(out)

    def _loss(self, x: FloatArray, labels: NDArray[np.intp]) -> float:
        return self.last_layer.forward(self._predict(x), labels)

    def _inputs(self, x: ArrayLike) -> FloatArray:
        """Validate ``x`` and return it as a 2-D batch in the parameters' dtype."""
        x = np.asarray(x)
        if x.dtype.kind not in "iuf":
            raise TypeError(
                f"x must have an integer or floating dtype, got x.dtype={x.dtype}"
            )
        if x.ndim not in (1, 2):
            raise ValueError(
                f"x must be 1-D (one sample) or 2-D (a batch), got x.shape={x.shape!r}"
            )
        n_features = self.params["W1"].shape[0]
        if x.shape[-1] != n_features:
            raise ValueError(
                f"x must have {n_features} features (last axis), "
                f"got x.shape={x.shape!r}"
            )
        if x.size == 0:
            raise ValueError(
                f"x must hold at least one sample, got x.shape={x.shape!r}"
            )
        batch = np.asarray(x, dtype=self.params["W1"].dtype).reshape(-1, n_features)
        if not np.isfinite(batch).all():
            index = np.unravel_index(np.flatnonzero(~np.isfinite(batch))[0], x.shape)
            raise ValueError(
                f"x must be finite in {batch.dtype}, "
                f"got x[{', '.join(map(str, index))}]={x[index].item()!r}"
            )
        return batch

    def _batch(self, x: ArrayLike, t: ArrayLike) -> tuple[FloatArray, NDArray[np.intp]]:
        """Validate ``x`` and ``t``; return the 2-D batch and its class labels."""
        x_batch = self._inputs(x)
        t = np.asarray(t)
        n_classes = self.params["b2"].shape[0]
        if np.ndim(x) == 1:
            if t.shape not in ((), (n_classes,)):
                raise ValueError(
                    "t must be a label () or a one-hot row "
                    f"{(n_classes,)!r} for a 1-D x, got t.shape={t.shape!r}"
                )
            t = t.reshape(1, -1) if t.ndim == 1 else t.reshape(1)
        return x_batch, class_labels(t, n_samples=x_batch.shape[0], n_classes=n_classes)
