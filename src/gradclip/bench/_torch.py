"""PyTorch, when importable: the baselines that run on the very same memory.

PyTorch is never a dependency: it is imported here at run time, and the
benchmark skips its columns when it is missing. It is not installed where
``mypy`` runs, so its module and tensors are typed ``Any``, and confined to
this adapter.
"""

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from numpy.typing import NDArray

from gradclip._typing import FloatArray, GradArray

__all__ = ["Torch", "load_torch"]


def load_torch(threads: int) -> "Torch | None":
    """Return PyTorch set to ``threads`` intra-op threads, or None if missing."""
    try:
        module = importlib.import_module("torch")
    except ImportError:
        return None
    return Torch(module, threads)


class Torch:
    """The few PyTorch calls the benchmark makes.

    Args:
        module: the imported ``torch`` module.
        threads: intra-op threads, the same number NumPy's BLAS uses.
    """

    def __init__(self, module: Any, threads: int) -> None:
        module.set_num_threads(threads)
        self._torch = module
        self.version: str = module.__version__
        self.threads: int = module.get_num_threads()

    def clipper(self, arrays: Sequence[GradArray]) -> Callable[[float], object]:
        """Return ``clip_grad_norm_(foreach=True)`` over parameters whose
        ``.grad`` are ``arrays`` themselves (``torch.from_numpy``, no copy)."""
        torch = self._torch
        params = []
        for array in arrays:
            grad = torch.from_numpy(array)
            param = torch.nn.Parameter(torch.empty_like(grad))
            param.grad = grad
            params.append(param)
        clip = torch.nn.utils.clip_grad_norm_
        return lambda max_norm: clip(params, max_norm, foreach=True)

    def two_layer_gradient(
        self, params: Mapping[str, FloatArray], x: FloatArray, labels: NDArray[Any]
    ) -> Callable[[], dict[str, FloatArray]]:
        """Return forward and backward of ``TwoLayerNet`` in autograd.

        The network reads the very arrays of ``params`` (``W1 b1 W2 b2``):
        ``x @ W1 + b1``, ReLU, ``@ W2 + b2``, mean cross-entropy.
        """
        torch = self._torch
        functional = torch.nn.functional
        keys = ("W1", "b1", "W2", "b2")
        weights = [torch.from_numpy(params[key]).requires_grad_() for key in keys]
        inputs, targets = torch.from_numpy(x), torch.from_numpy(labels)

        def gradient() -> dict[str, FloatArray]:
            w1, b1, w2, b2 = weights
            logits = functional.relu(inputs @ w1 + b1) @ w2 + b2
            loss = functional.cross_entropy(logits, targets)
            grads = torch.autograd.grad(loss, weights)
            return {key: grad.numpy() for key, grad in zip(keys, grads, strict=True)}

        return gradient
