"""The network measurements: backprop against autograd, fast against full checks."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from gradclip._typing import FloatArray
from gradclip.bench._targets import GRADCHECK_TARGET, GRADIENT_TARGET, Target
from gradclip.bench._timing import median_times
from gradclip.bench._torch import Torch
from gradclip.gradcheck import check_gradients
from gradclip.net import TwoLayerNet

__all__ = ["Comparison", "network_comparisons"]

_GRADIENT_SIZES = {
    False: [(784, 100, 10, 100), (784, 1000, 10, 1000)],
    True: [(20, 10, 3, 8), (20, 30, 3, 16)],
}
"""Per ``quick``: (input, hidden, output, batch) of the gradient comparisons."""

_GRADCHECK_SIZES = {False: (784, 50, 10, 10), True: (8, 5, 3, 4)}
"""Per ``quick``: (input, hidden, output, batch) of the gradient check."""


@dataclass(frozen=True)
class Comparison:
    """A gradclip timing beside a reference timing.

    Attributes:
        workload: what was run, with its sizes.
        measured: the gradclip call timed.
        seconds: its median time.
        reference: the call it is compared with.
        reference_seconds: its median time; None when it could not run.
        ratio_name: how the ratio is formed, such as ``gradient/torch``.
        ratio: the ratio; None when the reference could not run.
        target: the bound the ratio must meet.
    """

    workload: str
    measured: str
    seconds: float
    reference: str
    reference_seconds: float | None
    ratio_name: str
    ratio: float | None
    target: Target


def network_comparisons(
    names: set[str], *, quick: bool, repeat: int, torch: Torch | None
) -> Iterator[Comparison]:
    """Yield the ``net`` and ``gradcheck`` comparisons that ``names`` selects."""
    if "net" in names:
        for sizes in _GRADIENT_SIZES[quick]:
            yield _gradient_comparison(*sizes, repeat=repeat, torch=torch)
    if "gradcheck" in names:
        yield _gradcheck_comparison(*_GRADCHECK_SIZES[quick], repeat=repeat)


def _gradient_comparison(
    n_in: int,
    n_hidden: int,
    n_out: int,
    batch: int,
    *,
    repeat: int,
    torch: Torch | None,
) -> Comparison:
    """Time ``TwoLayerNet.gradient`` against the same network in autograd.

    Both start from the same weights and return the same gradients, which is
    checked (also the untimed warm-up) before timing.
    """
    net, x, labels = _problem(n_in, n_hidden, n_out, batch)
    candidates = {"gradient": lambda: net.gradient(x, labels)}
    if torch is not None:
        autograd = torch.two_layer_gradient(net.params, x, labels)
        _check_same_gradients(net.gradient(x, labels), autograd())
        candidates["torch"] = autograd
    else:
        net.gradient(x, labels)
    times = median_times(candidates, repeat=repeat)
    reference = times.get("torch")
    return Comparison(
        f"TwoLayerNet {n_in}-{n_hidden}-{n_out}, batch {batch}, float64",
        "TwoLayerNet.gradient",
        times["gradient"],
        "torch autograd",
        reference,
        "gradient/torch",
        None if reference is None else times["gradient"] / reference,
        GRADIENT_TARGET,
    )


def _gradcheck_comparison(
    n_in: int, n_hidden: int, n_out: int, batch: int, *, repeat: int
) -> Comparison:
    """Time ``check_gradients`` in fast mode against full mode.

    Full mode makes two losses per parameter (tens of thousands of calls),
    so it is timed once, after fast mode has warmed up the same code.
    """
    net, x, labels = _problem(n_in, n_hidden, n_out, batch)

    def check(mode: Literal["fast", "full"]) -> None:
        if not check_gradients(net, x, labels, mode=mode, rng=0).ok:
            raise RuntimeError(f"check_gradients(mode={mode!r}) must pass on backprop")

    check("fast")
    fast = median_times({"fast": lambda: check("fast")}, repeat=repeat)["fast"]
    full = median_times({"full": lambda: check("full")}, repeat=1)["full"]
    return Comparison(
        f"check_gradients {n_in}-{n_hidden}-{n_out}, batch {batch}",
        'mode="fast"',
        fast,
        'mode="full" (one run)',
        full,
        "full/fast",
        full / fast,
        GRADCHECK_TARGET,
    )


def _problem(
    n_in: int, n_hidden: int, n_out: int, batch: int
) -> tuple[TwoLayerNet, FloatArray, NDArray[np.int64]]:
    """A float64 network with random inputs and class labels."""
    rng = np.random.default_rng(0)
    net = TwoLayerNet(n_in, n_hidden, n_out, rng=rng)
    x = rng.standard_normal((batch, n_in))
    return net, x, rng.integers(0, n_out, size=batch)


def _check_same_gradients(
    ours: dict[str, FloatArray], theirs: dict[str, FloatArray]
) -> None:
    """Refuse a reference that computes something else: it would not be fair."""
    for key, grad in ours.items():
        if not np.allclose(grad, theirs[key], rtol=1e-9, atol=1e-12):
            raise RuntimeError(f"torch's gradient of {key} must equal TwoLayerNet's")
