"""Invariants that every correct two-layer net with the book's API satisfies.

An implementation is a class with the book's constructor,
``Net(input_size, hidden_size, output_size)``, whose instances have
``params`` (``W1 b1 W2 b2``, read by the layers by reference), ``loss(x, t)``
and ``gradient(x, t)``. Each case loads drawn parameter values into a new
instance, so every implementation is checked on the same numbers.

The ``core`` tier holds for the book's own network with its
``log(y + 1e-7)``; the ``robust`` tier adds huge logits and integer inputs.

References:
    Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 4-5.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from gradclip.gradcheck import Model, check_gradients
from gradclip.strategies import net_inputs, net_params, net_sizes, net_targets
from gradclip.verify._invariant import Invariant, invariant

__all__ = ["NET_INVARIANTS", "NetFactory", "NetProblem"]

NetFactory = Callable[[int, int, int], Model]
"""The book's constructor: ``Net(input_size, hidden_size, output_size)``."""


@dataclass(frozen=True)
class NetProblem:
    """Sizes, parameter values, a batch of inputs and its class labels.

    Attributes:
        sizes: ``(input_size, hidden_size, output_size)``.
        params: values for ``W1 b1 W2 b2``.
        x: inputs, shape ``(N, input_size)``.
        labels: class labels, shape ``(N,)``.
    """

    sizes: tuple[int, int, int]
    params: dict[str, NDArray[np.float64]]
    x: NDArray[Any]
    labels: NDArray[np.int64]

    def one_hot(self) -> NDArray[np.int64]:
        """The labels as one-hot rows."""
        return np.eye(self.sizes[2], dtype=np.int64)[self.labels]


def _build(factory: NetFactory, problem: NetProblem) -> Model:
    """Make a net and load the problem's parameter values into its arrays."""
    net = factory(*problem.sizes)
    for key, value in problem.params.items():
        net.params[key][...] = value
    return net


def _gradient(net: Model, x: NDArray[Any], t: NDArray[Any]) -> dict[str, NDArray[Any]]:
    """Copies of the gradient arrays, so that later calls cannot change them."""
    return {key: np.array(value) for key, value in net.gradient(x, t).items()}


def _assert_close(
    actual: Mapping[str, NDArray[Any]], expected: Mapping[str, NDArray[Any]], what: str
) -> None:
    for key, value in expected.items():
        np.testing.assert_allclose(
            actual[key], value, rtol=1e-9, atol=1e-12, err_msg=f"{what}: {key}"
        )


def gradient_matches_numerical(factory: NetFactory, problem: NetProblem) -> None:
    """Backprop equals the float64 central-difference gradient, away from kinks."""
    result = check_gradients(_build(factory, problem), problem.x, problem.labels)
    assert result.ok, f"backprop disagrees with central differences:\n{result}"


def batch_gradient_is_mean(factory: NetFactory, problem: NetProblem) -> None:
    """The gradient of a batch is the mean of the per-example gradients."""
    net = _build(factory, problem)
    whole = _gradient(net, problem.x, problem.labels)
    parts = [
        _gradient(net, problem.x[i : i + 1], problem.labels[i : i + 1])
        for i in range(len(problem.labels))
    ]
    mean = {key: np.mean([part[key] for part in parts], axis=0) for key in whole}
    _assert_close(whole, mean, "batch gradient is not the mean of per-example ones")


def logit_shift_invariance(factory: NetFactory, problem: NetProblem) -> None:
    """A constant added to every logit changes nothing: W2 rows and b2 sum to 0."""
    net = _build(factory, problem)
    grads = _gradient(net, problem.x, problem.labels)
    scale = max(1.0, float(np.max(np.abs(grads["b2"]))))
    np.testing.assert_allclose(
        grads["W2"].sum(axis=1), 0.0, atol=1e-12 * scale, err_msg="rows of dW2"
    )
    np.testing.assert_allclose(
        grads["b2"].sum(), 0.0, atol=1e-12 * scale, err_msg="db2"
    )
    before = float(net.loss(problem.x, problem.labels))
    net.params["b2"][...] += 3.0
    after = float(net.loss(problem.x, problem.labels))
    np.testing.assert_allclose(after, before, rtol=1e-9, err_msg="loss after shift")


def one_hot_equals_labels(factory: NetFactory, problem: NetProblem) -> None:
    """One-hot targets and class labels give the same loss and gradient."""
    net = _build(factory, problem)
    one_hot = problem.one_hot()
    np.testing.assert_allclose(
        float(net.loss(problem.x, one_hot)),
        float(net.loss(problem.x, problem.labels)),
        rtol=1e-12,
        err_msg="loss",
    )
    _assert_close(
        _gradient(net, problem.x, one_hot),
        _gradient(net, problem.x, problem.labels),
        "one-hot and label gradients differ",
    )


def no_mutation(factory: NetFactory, problem: NetProblem) -> None:
    """``loss`` and ``gradient`` leave x, t and every parameter bit-identical."""
    net = _build(factory, problem)
    one_hot = problem.one_hot()
    watched = {"x": problem.x, "t": one_hot, **net.params}
    before = {name: array.tobytes() for name, array in watched.items()}
    net.loss(problem.x, one_hot)
    net.gradient(problem.x, one_hot)
    for name, array in watched.items():
        assert array.tobytes() == before[name], f"{name} was modified"


def huge_logits_finite(factory: NetFactory, problem: NetProblem) -> None:
    """With logits of magnitude up to about 1e5, loss and gradient stay finite."""
    net = _build(factory, problem)
    loss = float(net.loss(problem.x, problem.labels))
    assert np.isfinite(loss), f"loss is {loss} for huge logits"
    for key, grad in net.gradient(problem.x, problem.labels).items():
        assert np.all(np.isfinite(grad)), f"gradient {key} is not finite: {grad!r}"


def integer_inputs(factory: NetFactory, problem: NetProblem) -> None:
    """Integer inputs give the loss and gradient of the same values as floats."""
    net = _build(factory, problem)
    x = np.rint(problem.x * 4).astype(np.int64)
    np.testing.assert_allclose(
        float(net.loss(x, problem.labels)),
        float(net.loss(x.astype(np.float64), problem.labels)),
        rtol=1e-12,
        err_msg="loss",
    )
    _assert_close(
        _gradient(net, x, problem.labels),
        _gradient(net, x.astype(np.float64), problem.labels),
        "integer inputs",
    )


# The cases.


@st.composite
def _problems(draw: st.DrawFn, *, logit_scale: float = 1.0) -> NetProblem:
    """Draw a small, well-conditioned problem, its logits scaled as asked.

    Parameters of magnitude at most 0.3 keep every class probability above
    about 1e-3, where the book's ``log(y + 1e-7)`` still agrees with the
    exact loss's gradient to 1e-4.
    """
    input_size, hidden_size, classes = draw(net_sizes(min_size=1, max_size=5))
    sizes = (input_size, hidden_size, max(classes, 2))  # one class is no classifier
    batch = draw(st.integers(1, 4))
    params = draw(net_params(*sizes, max_magnitude=0.3))
    if logit_scale != 1.0:
        factor = draw(st.floats(1.0, logit_scale))
        params["W2"] *= factor
        params["b2"] *= factor
    x = draw(net_inputs(batch, sizes[0]))
    labels = draw(net_targets(batch, sizes[2], one_hot=False))
    return NetProblem(sizes=sizes, params=params, x=x, labels=labels)


NET_INVARIANTS: tuple[Invariant[NetFactory, NetProblem], ...] = (
    invariant(gradient_matches_numerical, "core", _problems()),
    invariant(batch_gradient_is_mean, "core", _problems()),
    invariant(logit_shift_invariance, "core", _problems()),
    invariant(one_hot_equals_labels, "core", _problems()),
    invariant(no_mutation, "core", _problems()),
    invariant(huge_logits_finite, "robust", _problems(logit_scale=1e6)),
    invariant(integer_inputs, "robust", _problems()),
)
"""Every network invariant, core tier first."""
