"""Invariants that every correct two-layer net with the book's API satisfies.

An implementation is a class with the book's constructor,
``Net(input_size, hidden_size, output_size)``, whose instances have
``params`` (``W1 b1 W2 b2``, read by the layers by reference), ``predict(x)``,
``loss(x, t)``, ``accuracy(x, t)``, ``gradient(x, t)`` and
``numerical_gradient(x, t)``. Each case loads drawn parameter values into a
new instance, so every implementation is checked on the same numbers.

The ``core`` tier holds for the book's own network with its
``log(y + 1e-7)``; the ``robust`` tier adds huge logits, integer inputs, a
single sample as a 1-D ``x``, float labels, and invalid input, which the
book's network does not check.

References:
    Saito, "ゼロから作る Deep Learning", O'Reilly Japan 2016, ch. 4-5.

PYTEST_DONT_REWRITE: the messages of these checks say what was expected and
got; pytest, which rewrites the asserts of a package with a pytest plugin,
would only add its own noise to them.
"""

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from gradclip.gradcheck import Model, check_gradients
from gradclip.strategies import net_inputs, net_params, net_sizes, net_targets
from gradclip.verify._invariant import Invariant, Tier, invariant

__all__ = ["NET_INVARIANTS", "NET_PREFLIGHT", "NetFactory", "NetProblem"]

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


def _assert_same_keys(
    actual: Mapping[str, object], expected: Mapping[str, object], what: str
) -> None:
    """Check two dicts have the same keys, in any order."""
    assert set(actual) == set(expected), (
        f"{what}: expected the keys {sorted(expected)}, got {sorted(actual)}"
    )


def _assert_close(
    actual: Mapping[str, NDArray[Any]], expected: Mapping[str, NDArray[Any]], what: str
) -> None:
    _assert_same_keys(actual, expected, what)
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
    """loss and gradient leave x, t and every parameter bit-identical."""
    net = _build(factory, problem)
    one_hot = problem.one_hot()
    watched = {"x": problem.x, "t": one_hot, **net.params}
    before = {name: array.tobytes() for name, array in watched.items()}
    net.loss(problem.x, one_hot)
    net.gradient(problem.x, one_hot)
    for name, array in watched.items():
        assert array.tobytes() == before[name], (
            f"{name} was modified: expected it bit-identical, got {array!r}"
        )


def huge_logits_finite(factory: NetFactory, problem: NetProblem) -> None:
    """With logits of magnitude up to about 1e5, loss and gradient stay finite."""
    net = _build(factory, problem)
    loss = float(net.loss(problem.x, problem.labels))
    assert np.isfinite(loss), f"expected a finite loss for huge logits, got {loss}"
    for key, grad in net.gradient(problem.x, problem.labels).items():
        assert np.all(np.isfinite(grad)), (
            f"expected a finite gradient {key}, got {grad!r}"
        )


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


def initial_params(factory: NetFactory, problem: NetProblem) -> None:
    """A new net has zero biases and weights of std 0.01 that np.random.seed repeats."""
    sizes = tuple(30 * size for size in problem.sizes)
    state = np.random.get_state()  # noqa: NPY002  # the book draws from the global state
    try:
        np.random.seed(problem.sizes[0])  # noqa: NPY002  # as the book's readers do
        params = factory(*sizes).params
        np.random.seed(problem.sizes[0])  # noqa: NPY002  # the same seed again
        again = factory(*sizes).params
    finally:
        np.random.set_state(state)  # noqa: NPY002  # the caller's state, as it was
    for key, value in params.items():
        assert np.array_equal(value, again[key]), (
            f"expected np.random.seed to repeat {key}, "
            f"got {value!r} then {again[key]!r}"
        )
    shapes = {
        "W1": sizes[:2],
        "b1": sizes[1:2],
        "W2": sizes[1:],
        "b2": sizes[2:],
    }
    _assert_same_keys(params, shapes, "params")
    for key, shape in shapes.items():
        assert params[key].shape == shape, (
            f"expected {key} of shape {shape}, got {params[key].shape}"
        )
    for key in ("b1", "b2"):
        assert not np.any(params[key]), (
            f"expected {key} to start at zero, got {params[key]!r}"
        )
    for key in ("W1", "W2"):
        # At least 900 draws: 20% is over 8 standard errors of their spread.
        spread = float(np.std(params[key]))
        assert abs(spread - 0.01) <= 0.002, (
            f"expected {key} of standard deviation 0.01, got {spread}"
        )
        mean = float(np.mean(params[key]))
        assert abs(mean) <= 8 * 0.01 / np.sqrt(params[key].size), (
            f"expected {key} of mean 0, got {mean}"
        )


def accuracy_of_predict(factory: NetFactory, problem: NetProblem) -> None:
    """accuracy is the fraction of samples whose largest logit is the target's."""
    net: Any = _build(factory, problem)
    logits = np.asarray(net.predict(problem.x))
    assert logits.shape == (len(problem.labels), problem.sizes[2]), (
        f"predict gave logits of shape {logits.shape}"
    )
    expected = float(np.mean(np.argmax(logits, axis=1) == problem.labels))
    for t in (problem.labels, problem.one_hot()):
        accuracy = float(net.accuracy(problem.x, t))
        assert abs(accuracy - expected) <= 1e-12, (
            f"accuracy {accuracy} for targets {t.tolist()}, expected {expected}"
        )


def numerical_gradient_agrees(factory: NetFactory, problem: NetProblem) -> None:
    """The net's own numerical_gradient agrees with gradient, away from kinks."""
    hidden = problem.x @ problem.params["W1"] + problem.params["b1"]
    if np.min(np.abs(hidden)) < 1e-3:
        return  # a step of the central differences may cross a ReLU kink
    net: Any = _build(factory, problem)
    numerical = net.numerical_gradient(problem.x, problem.labels)
    numerical = {key: np.array(value) for key, value in numerical.items()}
    backprop = _gradient(net, problem.x, problem.labels)
    _assert_same_keys(numerical, backprop, "numerical_gradient against gradient")
    for key, value in backprop.items():
        # The book's log(y + 1e-7) moves its numerical gradient by up to 1e-4.
        np.testing.assert_allclose(
            numerical[key], value, rtol=1e-3, atol=1e-6, err_msg=key
        )


def kink_passes_nothing(factory: NetFactory, problem: NetProblem) -> None:
    """Where a hidden unit's input is exactly 0, ReLU passes no gradient back."""
    net = _build(factory, problem)
    net.params["b1"][...] = 0.0
    x = np.zeros_like(problem.x)  # every hidden input is exactly 0
    grads = _gradient(net, x, problem.labels)
    for key in ("W1", "b1"):
        assert not np.any(grads[key]), f"expected d{key} zero, got {grads[key]!r}"


def single_sample(factory: NetFactory, problem: NetProblem) -> None:
    """A 1-D x with a scalar label or one-hot row acts as a batch of one."""
    net: Any = _build(factory, problem)
    x, label, row = problem.x[0], int(problem.labels[0]), problem.one_hot()[0]
    batch, labels = problem.x[:1], problem.labels[:1]
    logits = np.asarray(net.predict(x))
    assert logits.shape == (problem.sizes[2],), (
        f"expected predict of a 1-D x to give logits of shape "
        f"{(problem.sizes[2],)}, got {logits.shape}"
    )
    np.testing.assert_allclose(logits, net.predict(batch)[0], rtol=1e-12)
    expected = float(net.loss(batch, labels))
    for t in (label, row):
        np.testing.assert_allclose(float(net.loss(x, t)), expected, rtol=1e-12)
        _assert_close(
            _gradient(net, x, np.asarray(t)),
            _gradient(net, batch, labels),
            "a single sample's gradient",
        )


def float_targets(factory: NetFactory, problem: NetProblem) -> None:
    """Float labels and one-hot rows give the loss and gradient of integer ones."""
    net = _build(factory, problem)
    expected = float(net.loss(problem.x, problem.labels))
    gradient = _gradient(net, problem.x, problem.labels)
    for t in (problem.labels, problem.one_hot()):
        floats = t.astype(np.float64)
        loss = float(net.loss(problem.x, floats))
        np.testing.assert_allclose(loss, expected, rtol=1e-12, err_msg="loss")
        _assert_close(_gradient(net, problem.x, floats), gradient, "float targets")


def bad_input_rejected(factory: NetFactory, problem: NetProblem) -> None:
    """Bad sizes, weight_init_std, inputs or targets raise an error naming them.

    A weight_init_std is bad when infinite, or so large that the weights it
    draws are not finite.
    """
    for position, name in enumerate(("input_size", "hidden_size", "output_size")):
        for bad in (0, True):  # True would pass for 1
            sizes = [*problem.sizes[:position], bad, *problem.sizes[position + 1 :]]
            _assert_rejected(f"{name}={bad!r}", name, factory, *sizes)
    _assert_rejected(
        "weight_init_std=inf", "weight_init_std", factory, *problem.sizes, math.inf
    )
    # Hundreds of weights, some beyond 1 in magnitude: times this std, inf.
    _assert_rejected(
        "weight_init_std=1.7e308 (weights beyond float64's range)",
        "weight_init_std",
        factory,
        *(30 * size for size in problem.sizes),
        1.7e308,
    )
    net = _build(factory, problem)
    before = {key: value.tobytes() for key, value in net.params.items()}
    for defect, (culprit, x, t) in _defects(problem).items():
        for method in (net.loss, net.gradient):
            _assert_rejected(defect, culprit, method, x, t)
    for key, value in net.params.items():
        assert value.tobytes() == before[key], (
            f"{key} was modified: expected it bit-identical, got {value!r}"
        )


def _assert_rejected(
    defect: str, culprit: str, call: Callable[..., object], *args: Any
) -> None:
    """Check that ``call(*args)`` raises TypeError or ValueError naming ``culprit``."""
    try:
        call(*args)
    except (TypeError, ValueError) as error:
        message = str(error)
    else:
        raise AssertionError(
            f"expected a TypeError or ValueError naming {culprit} for {defect}, "
            "got no error"
        )
    assert re.search(rf"\b{culprit}\b", message), (
        f"the error for {defect}, {message!r}, does not name {culprit}"
    )


def _defects(problem: NetProblem) -> dict[str, tuple[str, Any, Any]]:
    """Each defect of an input or target: the argument at fault, ``x`` and ``t``."""
    x, t = problem.x, problem.labels
    one_hot = problem.one_hot()
    nan, inf = x.copy(), x.copy()
    nan[0, 0], inf[-1, -1] = np.nan, np.inf
    too_large, negative, negative_float = t.copy(), t.copy(), t.astype(np.float64)
    too_large[0], negative[0], negative_float[0] = problem.sizes[2], -1, -1.0
    not_one_hot = one_hot.copy()
    not_one_hot[0] = 1
    return {
        "NaN in x": ("x", nan, t),
        "inf in x": ("x", inf, t),
        "text x": ("x", x.astype(str), t),
        "an extra feature": ("x", np.concatenate([x, x[:, :1]], axis=1), t),
        "3-D x": ("x", x[np.newaxis], t),
        "no samples": ("x", x[:0], t[:0]),
        "a label too large": ("t", x, too_large),
        "a negative label": ("t", x, negative),
        "a fractional label": ("t", x, t + 0.5),
        "a negative float label": ("t", x, negative_float),
        "too few labels": ("t", x, t[1:]),
        "a row not one-hot": ("t", x, not_one_hot),
        "one-hot rows too short": ("t", x, one_hot[:, 1:]),
        "3-D t": ("t", x, one_hot[np.newaxis]),
        "text t": ("t", x, t.astype(str)),
        "a batch of t for a 1-D x": ("t", x[0], one_hot),
    }


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


def _net_invariant(
    check: Callable[[NetFactory, NetProblem], None],
    tier: Tier,
    cases: st.SearchStrategy[NetProblem],
    **options: Any,
) -> Invariant[NetFactory, NetProblem]:
    return invariant(check, "net", tier, cases, **options)


def runs_on_ordinary_input(factory: NetFactory, problem: NetProblem) -> None:
    """An ordinary batch gives a loss, a gradient and an accuracy without an error."""
    net: Any = _build(factory, problem)
    net.predict(problem.x)
    net.loss(problem.x, problem.labels)
    net.gradient(problem.x, problem.labels)
    net.accuracy(problem.x, problem.labels)


NET_PREFLIGHT = _net_invariant(runs_on_ordinary_input, "core", _problems())
"""Run before the invariants: an implementation that raises here passes nothing."""


NET_INVARIANTS: tuple[Invariant[NetFactory, NetProblem], ...] = (
    _net_invariant(gradient_matches_numerical, "core", _problems()),
    _net_invariant(batch_gradient_is_mean, "core", _problems()),
    _net_invariant(logit_shift_invariance, "core", _problems()),
    _net_invariant(
        one_hot_equals_labels, "core", _problems(), needs=frozenset({"labels"})
    ),
    _net_invariant(no_mutation, "core", _problems()),
    _net_invariant(initial_params, "core", _problems()),
    _net_invariant(accuracy_of_predict, "core", _problems()),
    _net_invariant(
        numerical_gradient_agrees,
        "core",
        _problems(),
        needs=frozenset({"numerical_gradient"}),
    ),
    _net_invariant(kink_passes_nothing, "core", _problems()),
    _net_invariant(huge_logits_finite, "robust", _problems(logit_scale=1e6)),
    _net_invariant(integer_inputs, "robust", _problems()),
    _net_invariant(single_sample, "robust", _problems()),
    _net_invariant(float_targets, "robust", _problems()),
    _net_invariant(bad_input_rejected, "robust", _problems()),
)
"""Every network invariant, core tier first."""
