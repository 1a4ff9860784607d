"""Tests for gradclip.gradcheck, against the book's network and broken copies of it."""

from collections.abc import Callable
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pytest
from hypothesis import given, settings
from numpy.typing import NDArray

from gradclip.gradcheck import (
    Model,
    assert_gradients_close,
    check_gradients,
    numerical_gradient,
)
from gradclip.net import TwoLayerNet
from gradclip.strategies import gradient_arrays, gradient_dicts

Array = NDArray[np.float64]
Bug = Literal["no_relu_mask", "no_batch_division", "bias_mean", "no_minus_t"]


# The book's layers and network (ch. 5), minimal, with its -log(y + 1e-7): the
# kind of user code check_gradients must accept, and break on purpose.
class BookAffine:
    def __init__(self, W: Array, b: Array) -> None:
        self.W, self.b = W, b
        self.x = self.dW = self.db = np.empty(0)

    def forward(self, x: Array) -> Array:
        self.x = x
        out: Array = np.dot(x, self.W) + self.b
        return out

    def backward(self, dout: Array) -> Array:
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        dx: Array = np.dot(dout, self.W.T)
        return dx


class BookRelu:
    def __init__(self) -> None:
        self.mask = np.empty(0, dtype=bool)

    def forward(self, x: Array) -> Array:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: Array) -> Array:
        dout[self.mask] = 0
        return dout


class BookSoftmaxWithLoss:
    def __init__(self) -> None:
        self.y = np.empty(0)
        self.t = np.empty(0, dtype=int)

    def forward(self, x: Array, t: NDArray[np.int_]) -> float:
        self.t = t
        shifted = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        batch_size = self.y.shape[0]
        return float(
            -np.sum(np.log(self.y[np.arange(batch_size), t] + 1e-7)) / batch_size
        )

    def backward(self) -> Array:
        batch_size = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx / batch_size


class BookTwoLayerNet:
    def __init__(
        self,
        sizes: tuple[int, int, int],
        std: float,
        *,
        seed: int,
        bug: Bug | None = None,
    ) -> None:
        rng = np.random.default_rng(seed)
        input_size, hidden_size, output_size = sizes
        self.params = {
            "W1": std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }
        self.affine1 = BookAffine(self.params["W1"], self.params["b1"])
        self.relu1 = BookRelu()
        self.affine2 = BookAffine(self.params["W2"], self.params["b2"])
        self.last_layer = BookSoftmaxWithLoss()
        self.bug = bug

    def loss(self, x: Array, t: NDArray[np.int_]) -> float:
        hidden = self.relu1.forward(self.affine1.forward(x))
        return self.last_layer.forward(self.affine2.forward(hidden), t)

    def gradient(self, x: Array, t: NDArray[np.int_]) -> dict[str, Array]:
        self.loss(x, t)
        dout = self.last_layer.backward()
        if self.bug == "no_batch_division":
            dout *= len(x)
        if self.bug == "no_minus_t":
            dout = self.last_layer.y / len(x)
        dout = self.affine2.backward(dout)
        if self.bug != "no_relu_mask":
            dout = self.relu1.backward(dout)
        self.affine1.backward(dout)
        grads = {
            "W1": self.affine1.dW,
            "b1": self.affine1.db,
            "W2": self.affine2.dW,
            "b2": self.affine2.db,
        }
        if self.bug == "bias_mean":
            grads["b1"], grads["b2"] = grads["b1"] / len(x), grads["b2"] / len(x)
        return grads


class Toy:
    """A user's model whose loss and gradient are functions of its params."""

    def __init__(
        self,
        loss: Callable[[dict[str, Array]], float],
        gradient: Callable[[dict[str, Array]], dict[str, Array]],
        **params: Array,
    ) -> None:
        self.params = params
        self.loss_calls = 0
        self._loss, self._gradient = loss, gradient

    def loss(self, x: object, t: object) -> float:
        self.loss_calls += 1
        return self._loss(self.params)

    def gradient(self, x: object, t: object) -> dict[str, Array]:
        return self._gradient(self.params)


def half_square(p: dict[str, Array]) -> float:
    return float(np.sum(p["w"] ** 2) / 2)


def quadratic(w: list[float], scale: float = 1.0) -> Toy:
    """Loss ``sum(w**2) / 2``, gradient ``scale * w`` (right when scale is 1)."""
    return Toy(half_square, lambda p: {"w": scale * p["w"]}, w=np.array(w))


def relu_of_w(w: float) -> Toy:
    """Loss ``max(w, 0)``, with gradient 0 at the kink w = 0."""
    return Toy(
        lambda p: float(max(p["w"][0], 0.0)),
        lambda p: {"w": (p["w"] > 0).astype(np.float64)},
        w=np.array([w]),
    )


def data(
    sizes: tuple[int, int, int], n: int, seed: int
) -> tuple[Array, NDArray[np.int_]]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[2], n)


def kink_net(
    delta: float, bug: Bug | None = None
) -> tuple[Model, Array, NDArray[np.int_]]:
    """A 3-2-2 book net whose first hidden unit has pre-activation ``delta``."""
    net = BookTwoLayerNet((3, 2, 2), 0.01, seed=0, bug=bug)
    net.params["W1"][...] = [[1.0, 0.5], [-0.5, 0.25], [0.0, 0.1]]
    net.params["b1"][...] = [delta, 0.0]
    net.params["W2"][...] = [[3.0, -2.0], [1.0, 0.5]]
    x = np.array([[1.0, 2.0, -1.0], [2.0, 1.0, 1.0]])  # unit 0: delta, then 1.5 + delta
    return net, x, np.array([1, 0])


def test_model_protocol_accepts_the_book_ours_and_a_toy() -> None:
    models: list[Model] = [
        BookTwoLayerNet((5, 4, 3), 0.01, seed=0),
        TwoLayerNet(5, 4, 3, rng=0),
        quadratic([1.0]),
    ]
    assert [type(m).__name__ for m in models] == [
        "BookTwoLayerNet",
        "TwoLayerNet",
        "Toy",
    ]


def test_numerical_gradient_hand_computed() -> None:
    x = np.array([[1.0, -2.0], [0.5, 0.0]])
    grad = numerical_gradient(lambda x: float(np.sum(x**2)), x)
    np.testing.assert_allclose(grad, [[2.0, -4.0], [1.0, 0.0]], atol=1e-9)
    linear = numerical_gradient(
        lambda x: 3 * x[0] - 2 * x[1], np.array([5.0, 7.0]), h=0.5
    )
    np.testing.assert_array_equal(linear, [3.0, -2.0])


def test_numerical_gradient_divides_by_the_step_actually_taken() -> None:
    """In float32, 1 + 1e-4 rounds; dividing by 2h would give 0.99986..., not 1."""
    x = np.array([1.0, 3.3], dtype=np.float32)
    grad = numerical_gradient(lambda x: float(np.sum(x, dtype=np.float64)), x)
    assert grad.dtype == np.float32
    np.testing.assert_array_equal(grad, [1.0, 1.0])


def test_numerical_gradient_passes_x_itself_and_restores_it() -> None:
    x = np.array([0.1, 0.2, 0.3])
    seen: list[bool] = []

    def f(arg: Array) -> float:
        seen.append(arg is x)
        return float(np.prod(arg))

    numerical_gradient(f, x)
    assert seen == [True] * 6
    np.testing.assert_array_equal(x, [0.1, 0.2, 0.3])


def test_numerical_gradient_restores_x_when_f_raises() -> None:
    x = np.array([0.1, 0.2, 0.3])
    calls = 0

    def f(arg: Array) -> float:
        nonlocal calls
        calls += 1
        if calls == 4:  # during x[1] - h
            raise RuntimeError("boom")
        return float(np.sum(arg))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [0.1, 0.2, 0.3])


def read_only(values: list[float]) -> Array:
    array = np.array(values)
    array.flags.writeable = False
    return array


@pytest.mark.parametrize(
    ("x", "h", "error", "match"),
    [
        ([1.0, 2.0], 1e-4, TypeError, r"x must be a NumPy array, got x=\[1.0, 2.0\]"),
        (
            np.array([1, 2]),
            1e-4,
            TypeError,
            r"x must have a floating dtype, got x.dtype=int64",
        ),
        (
            read_only([1.0]),
            1e-4,
            ValueError,
            r"x must be writeable .*, got x\.flags\.writeable=False$",
        ),
        (
            np.array([1.0]),
            0.0,
            ValueError,
            r"h must be a finite positive number, got h=0\.0$",
        ),
        (
            np.array([1.0]),
            -1e-4,
            ValueError,
            r"h must be a finite positive number, got h=-0\.0001$",
        ),
        (
            np.array([1.0]),
            np.inf,
            ValueError,
            r"h must be a finite positive number, got h=inf$",
        ),
        (
            np.array([1.0]),
            10**400,
            ValueError,
            r"h must be a finite positive number, got h=10+\.\.\.0+$",
        ),
        (np.array([1.0]), "1e-4", TypeError, r"h must be a real number, got h='1e-4'"),
        (np.array([1.0]), True, TypeError, r"h must be a real number, got h=True"),
        (
            np.array([1.0]),
            1e-300,
            ValueError,
            r"h must be large enough to change x\[0\]=1.0",
        ),
    ],
    ids=[
        "x=list",
        "x=int-array",
        "x=read-only",
        "h=0",
        "h=-1e-4",
        "h=inf",
        "h=10**400",
        "h='1e-4'",
        "h=True",
        "h=1e-300",
    ],
)
def test_numerical_gradient_invalid_arguments(
    x: Any, h: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        numerical_gradient(lambda x: 0.0, x, h=h)


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_check_gradients_passes_our_net_and_restores_params(
    mode: Literal["full", "fast"],
) -> None:
    net = TwoLayerNet(5, 6, 3, weight_init_std=0.5, rng=1)
    x, t = data((5, 6, 3), 4, seed=2)
    before = {key: param.copy() for key, param in net.params.items()}
    result = check_gradients(net, x, t, mode=mode, rng=3)
    assert result.ok, str(result)
    assert sum(s.checked for s in result.summaries) == (57 if mode == "full" else 4)
    for key, param in net.params.items():
        np.testing.assert_array_equal(param, before[key])


@pytest.mark.parametrize(
    ("sizes", "std", "n"),
    [
        ((5, 4, 3), 0.01, 1),
        ((5, 4, 3), 0.01, 8),
        ((10, 20, 10), 0.1, 32),
        ((8, 5, 4), 0.05, 3),
    ],
    ids=["5-4-3-batch-1", "5-4-3-batch-8", "10-20-10-batch-32", "8-5-4-batch-3"],
)
@pytest.mark.parametrize("mode", ["full", "fast"])
def test_check_gradients_passes_the_books_formulation(
    sizes: tuple[int, int, int], std: float, n: int, mode: Literal["full", "fast"]
) -> None:
    """The book's backprop ignores the 1e-7 in its -log(y + 1e-7): close enough."""
    x, t = data(sizes, n, seed=n)
    assert_gradients_close(BookTwoLayerNet(sizes, std, seed=n), x, t, mode=mode, rng=0)


@pytest.mark.parametrize(
    ("bug", "wrong"),
    [
        ("no_relu_mask", {"W1", "b1"}),
        ("no_batch_division", {"W1", "b1", "W2", "b2"}),
        ("bias_mean", {"b1", "b2"}),
        ("no_minus_t", {"W1", "b1", "W2", "b2"}),
    ],
    ids=["no_relu_mask", "no_batch_division", "bias_mean", "no_minus_t"],
)
def test_check_gradients_fails_broken_backprop(bug: Bug, wrong: set[str]) -> None:
    x, t = data((5, 6, 3), 4, seed=2)
    model = BookTwoLayerNet((5, 6, 3), 0.1, seed=1, bug=bug)
    full = check_gradients(model, x, t)
    assert not full.ok
    assert {s.name for s in full.summaries if s.failed} == wrong
    assert all(s.skipped == 0 for s in full.summaries)
    with pytest.raises(AssertionError, match=r"mode='fast'.*FAILED"):
        assert_gradients_close(model, x, t, mode="fast", rng=0)


def test_check_gradients_table_reads_well() -> None:
    result = check_gradients(quadratic([1.0, 2.0], scale=2.0), np.empty(0), np.empty(0))
    assert str(result) == (
        "check_gradients(mode='full', h=1e-06, rtol=0.001, atol=1e-05): FAILED\n"
        "param  checked  failed  skipped  max abs err  max rel err  worst"
        "      analytic     numerical\n"
        "w            2       2        0    2.000e+00    5.000e-01   (1,)"
        "  4.000000e+00  2.000000e+00"
    )
    assert result["w"].worst_index == (1,)
    with pytest.raises(KeyError):
        result["v"]


def test_assert_gradients_close_fast_mode_points_to_full_mode() -> None:
    with pytest.raises(
        AssertionError, match=r"(?s)FAILED.*run mode='full' to see where"
    ):
        assert_gradients_close(
            quadratic([1.0, 2.0], scale=2.0),
            np.empty(0),
            np.empty(0),
            mode="fast",
            rng=0,
        )


def test_check_gradients_fast_mode_takes_a_handful_of_losses() -> None:
    full, fast = (
        quadratic(list(np.linspace(-1, 1, 1000))),
        quadratic(list(np.linspace(-1, 1, 1000))),
    )
    assert check_gradients(full, np.empty(0), np.empty(0)).ok
    assert check_gradients(fast, np.empty(0), np.empty(0), mode="fast", rng=0).ok
    assert (full.loss_calls, fast.loss_calls) == (1 + 2 * 1000, 1 + 2 * 4)


def test_check_gradients_fast_mode_is_reproducible_from_a_seed() -> None:
    x, t = data((5, 6, 3), 4, seed=2)
    model = BookTwoLayerNet((5, 6, 3), 0.1, seed=1, bug="bias_mean")
    first, second = (check_gradients(model, x, t, mode="fast", rng=5) for _ in range(2))
    assert first == second


def test_check_gradients_skips_values_on_a_relu_kink() -> None:
    model, x, t = kink_net(0.0)
    # Plain central differences straddle the kink and miss backprop's b1[0] ...
    plain = numerical_gradient(lambda _: model.loss(x, t), model.params["b1"], h=1e-6)
    assert abs(plain[0] - model.gradient(x, t)["b1"][0]) > 0.1
    # ... which check_gradients recognises as a kink, not as a bug.
    full = check_gradients(model, x, t)
    assert full.ok, str(full)
    assert [s.skipped for s in full.summaries] == [3, 1, 0, 0]
    assert "skipped: a mismatch on a kink of the loss" in str(full)
    fast = check_gradients(model, x, t, mode="fast", rng=0)
    assert fast.ok, str(fast)
    assert fast.summaries[0].skipped > 0


@pytest.mark.parametrize("delta", [3e-7, -3e-7], ids=["kink-above", "kink-below"])
def test_check_gradients_compares_values_near_a_kink_at_a_finer_step(
    delta: float,
) -> None:
    """The kink is 1.5e-7 to 3e-7 away: within h, but not within h/8."""
    model, x, t = kink_net(delta)
    plain = numerical_gradient(lambda _: model.loss(x, t), model.params["b1"], h=1e-6)
    assert abs(plain[0] - model.gradient(x, t)["b1"][0]) > 0.1
    full = check_gradients(model, x, t)
    assert full.ok, str(full)
    assert [s.skipped for s in full.summaries] == [0, 0, 0, 0]
    assert full["b1"].max_abs_error < 1e-6
    fast = check_gradients(model, x, t, mode="fast", rng=0)
    assert fast.ok, str(fast)


def load(net: Model, **params: list[Any]) -> Model:
    for key, value in params.items():
        net.params[key][...] = value
    return net


def test_regression_kink_hit_by_every_sample_in_the_batch() -> None:
    """Found by Hypothesis: sample 0 is on b1's kink, sample 1 is 1.6e-7 from it.

    Within +-h the loss's slope in b1 is 0, then -1/12 on a sliver 1.6e-7 wide
    just left of p, then -1/24: backprop's -1/12 is the sliver's, which no
    difference at step h sees (the central one is -0.027, the one-sided ones
    -0.013 and -0.042). The loss is plainly not smooth there: b1 is skipped.
    """
    net = load(
        TwoLayerNet(1, 1, 3),
        W1=[[1e-05]],
        b1=[0.0],
        W2=[[0.25, 0.0, 0.0]],
        b2=[0.0, 0.0, 0.0],
    )
    x, t = np.array([[0.0], [0.015625]]), np.array([1, 0])
    assert net.gradient(x, t)["b1"][0] == pytest.approx(-1 / 12)
    full = check_gradients(net, x, t)
    assert full.ok, str(full)
    assert [s.skipped for s in full.summaries] == [0, 1, 0, 0]
    fast = check_gradients(net, x, t, mode="fast", rng=0)
    assert fast.ok, str(fast)


def test_check_gradients_skips_a_kink_where_backprop_takes_neither_side() -> None:
    """Both samples on the kink at W1 = 0, moving across it in opposite senses.

    Right of 0 sample 0 is active, left of it sample 1: the slopes are -1/16
    and -0.9/16, and backprop, with ReLU's derivative 0 at 0, gives 0.
    """
    net = load(
        TwoLayerNet(1, 1, 2), W1=[[0.0]], b1=[0.0], W2=[[0.25, 0.0]], b2=[0.0, 0.0]
    )
    x, t = np.array([[1.0], [-0.9]]), np.array([0, 1])
    assert net.gradient(x, t)["W1"][0, 0] == 0.0
    full = check_gradients(net, x, t)
    assert full.ok, str(full)
    assert [s.skipped for s in full.summaries] == [1, 0, 0, 0]
    fast = check_gradients(net, x, t, mode="fast", rng=0)
    assert fast.ok, str(fast)


def test_regression_kink_whose_jumps_nearly_cancel() -> None:
    """Found by Hypothesis: both samples on W1's kink, slopes 7.6e-5 and 7.9e-5.

    Left and right slopes differ by 3e-6 only, within atol, but backprop (0:
    neither sample active) is far from both: roughness above rounding is a kink.
    """
    net = load(
        TwoLayerNet(1, 1, 4),
        W1=[[0.0]],
        b1=[0.0],
        W2=[[0.25, -0.1875, 0.046875, 0.0]],
        b2=[0.0, 0.0, 0.0, 0.0],
    )
    x, t = np.array([[-0.0078125], [0.00073815]]), np.array([2, 1])
    full = check_gradients(net, x, t)
    assert full.ok, str(full)
    assert [s.skipped for s in full.summaries] == [1, 1, 0, 0]
    fast = check_gradients(net, x, t, mode="fast", rng=0)
    assert fast.ok, str(fast)


def test_check_gradients_rounding_is_no_kink_even_at_zero_tolerance() -> None:
    result = check_gradients(
        quadratic([1.0, 2.0], scale=2.0), np.empty(0), np.empty(0), rtol=0, atol=0
    )
    assert (result["w"].failed, result["w"].skipped) == (2, 0)


@pytest.mark.parametrize("delta", [0.0, 3e-7], ids=["at-kink", "near-kink"])
def test_check_gradients_kinks_do_not_hide_bugs(delta: float) -> None:
    model, x, t = kink_net(delta, bug="no_batch_division")
    full = check_gradients(model, x, t)
    assert not full.ok
    # On the kink only b1[0] and W1[:, 0] are skipped; near it nothing is.
    assert full["b1"].failed == (1 if delta == 0 else 2)
    assert not check_gradients(model, x, t, mode="fast", rng=0).ok


def test_check_gradients_curvature_at_a_large_h_is_no_kink() -> None:
    """At h=1e-2 the roughness of exp(3w) is curvature: it shrinks as h is halved."""
    model = Toy(
        lambda p: float(np.sum(np.exp(3 * p["w"]))),
        lambda p: {"w": 2 * 3 * np.exp(3 * p["w"])},  # twice the true gradient
        w=np.array([1.0, -0.5]),
    )
    summary = check_gradients(model, np.empty(0), np.empty(0), h=1e-2)["w"]
    assert (summary.failed, summary.skipped) == (2, 0)


def test_check_gradients_extra_losses_only_for_failing_values() -> None:
    """Extra losses: none for a pass, 2 per halving for a failure (8 on a kink).

    The displaced lines cost 15 more, for the first failure only.
    """
    passing, failing = quadratic([1.0, 2.0]), quadratic([1.0, 2.0], 2.0)
    kink = relu_of_w(0.0)
    for model in (passing, failing, kink):
        check_gradients(model, np.empty(0), np.empty(0))
    assert (passing.loss_calls, failing.loss_calls, kink.loss_calls) == (
        1 + 2 * 2,
        1 + (2 + 2 + 15) + (2 + 2),
        1 + 2 + 4 * 2,
    )


def test_check_gradients_skips_kinks_that_cancel_along_the_parameter() -> None:
    """Found by Hypothesis: samples of labels 0 and 1 on b1's kink, a sliver apart.

    Their jumps in slope cancel, leaving the loss flat along b1, but backprop
    gives the slope on the sliver of width 1.4e-45 where one is active.
    """
    net = load(
        TwoLayerNet(1, 1, 2),
        W1=[[-1.40129846e-45]],
        b1=[0.0],
        W2=[[0.25, 0.0]],
        b2=[0.0, 0.0],
    )
    x, t = np.array([[0.0], [-1.0]]), np.array([0, 1])
    assert net.gradient(x, t)["b1"][0] == pytest.approx(1 / 16)
    full = check_gradients(net, x, t)
    assert full.ok, str(full)
    assert [s.skipped for s in full.summaries] == [1, 1, 0, 0]
    fast = check_gradients(net, x, t, mode="fast", rng=0)
    assert fast.ok, str(fast)


def test_check_gradients_skips_kinks_that_cancel_along_w1() -> None:
    """Samples at x = 1 and -1, labels 0 and 1, on the kink at W1 = 0.

    Each activates on one side with slope -1/4, so the loss is smooth along W1;
    backprop, with neither sample active, gives 0.
    """
    net = load(
        TwoLayerNet(1, 1, 2), W1=[[0.0]], b1=[0.0], W2=[[1.0, 0.0]], b2=[0.0, 0.0]
    )
    x, t = np.array([[1.0], [-1.0]]), np.array([0, 1])
    full = check_gradients(net, x, t)
    assert full.ok, str(full)
    assert [s.skipped for s in full.summaries] == [1, 0, 0, 0]
    assert check_gradients(net, x, t, mode="fast", rng=0).ok


def test_check_gradients_far_from_a_kink_compares_everything() -> None:
    model, x, t = kink_net(3e-6)
    assert [s.skipped for s in check_gradients(model, x, t).summaries] == [0, 0, 0, 0]


def test_check_gradients_is_not_ok_when_nothing_was_compared() -> None:
    result = check_gradients(relu_of_w(0.0), np.empty(0), np.empty(0))
    assert (result.ok, result["w"].checked, result["w"].skipped) == (False, 0, 1)
    assert "nothing compared" in str(result)
    assert check_gradients(relu_of_w(1.0), np.empty(0), np.empty(0)).ok


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_check_gradients_restores_params_when_the_loss_raises(
    mode: Literal["full", "fast"],
) -> None:
    def loss(p: dict[str, Array]) -> float:
        if model.loss_calls == 3:
            raise RuntimeError("boom")
        return half_square(p)

    model = Toy(loss, lambda p: {"w": p["w"].copy()}, w=np.array([0.1, 0.2]))
    with pytest.raises(RuntimeError, match="boom"):
        check_gradients(model, np.empty(0), np.empty(0), mode=mode, rng=0)
    np.testing.assert_array_equal(model.params["w"], [0.1, 0.2])


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_check_gradients_restores_params_when_the_loss_raises_off_the_line(
    mode: Literal["full", "fast"],
) -> None:
    def loss(p: dict[str, Array]) -> float:
        if model.loss_calls == 1 + 2 + 2 + 7:  # on the second displaced line
            raise RuntimeError("boom")
        return half_square(p)

    model = Toy(loss, lambda p: {"w": 2 * p["w"]}, w=np.array([0.1, 0.2]))
    with pytest.raises(RuntimeError, match="boom"):
        check_gradients(model, np.empty(0), np.empty(0), mode=mode, rng=0)
    np.testing.assert_array_equal(model.params["w"], [0.1, 0.2])


def with_params(**params: Array) -> Toy:
    return Toy(half_square, lambda p: {"w": p["w"].copy()}, **params)


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "match"),
    [
        (
            quadratic([1.0]),
            {"mode": "slow"},
            ValueError,
            r"mode must be 'full' or 'fast', got mode='slow'",
        ),
        (
            quadratic([1.0]),
            {"rtol": -1e-3},
            ValueError,
            r"rtol must be a finite non-negative number, got rtol=-0\.001$",
        ),
        (
            quadratic([1.0]),
            {"atol": np.nan},
            ValueError,
            r"atol must be a finite non-negative number, got atol=nan$",
        ),
        (
            quadratic([1.0]),
            {"atol": np.inf},
            ValueError,
            r"atol must be a finite non-negative number, got atol=inf$",
        ),
        (
            quadratic([1.0]),
            {"rtol": "0.1"},
            TypeError,
            r"rtol must be a real number, got rtol='0\.1' of type str$",
        ),
        (
            quadratic([1.0]),
            {"h": 0},
            ValueError,
            r"h must be a finite positive number, got h=0$",
        ),
        (
            quadratic([1.0]),
            {"rng": -1},
            ValueError,
            r"rng must be >= 0 as a seed, got rng=-1",
        ),
        (
            quadratic([1.0]),
            {"rng": 1.5},
            TypeError,
            r"rng must be None, an int seed or",
        ),
        (
            TwoLayerNet(5, 4, 3, dtype=np.float32),
            {},
            TypeError,
            r"model.params\['W1'\] must have dtype float64 to be checked, "
            r"got model.params\['W1'\]\.dtype=float32; build the model in float64",
        ),
        (
            with_params(w=np.array([1, 2])),
            {},
            TypeError,
            r"model.params\['w'\] must have a floating dtype",
        ),
        (
            with_params(w=read_only([1.0])),
            {},
            ValueError,
            r"model.params\['w'\] must be writeable .*, "
            r"got model.params\['w'\]\.flags\.writeable=False$",
        ),
        (with_params(), {}, ValueError, r"model.params must not be empty"),
        (
            Toy(half_square, lambda p: {"v": p["w"]}, w=np.array([1.0])),
            {},
            ValueError,
            r"must have the keys of model.params \['w'\], got keys=\['v'\]",
        ),
        (
            Toy(half_square, lambda p: {"w": p["w"][:1]}, w=np.array([1.0, 2.0])),
            {},
            ValueError,
            r"grads\['w'\] must have the shape of params\['w'\] \(2,\), got .*=\(1,\)",
        ),
        (
            quadratic([np.inf]),
            {},
            ValueError,
            r"model.loss\(x, t\) must be finite, got loss=inf",
        ),
    ],
    ids=[
        "mode='slow'",
        "rtol=-1e-3",
        "atol=nan",
        "atol=inf",
        "rtol='0.1'",
        "h=0",
        "rng=-1",
        "rng=1.5",
        "float32-params",
        "int-params",
        "read-only-params",
        "no-params",
        "gradient-wrong-keys",
        "gradient-wrong-shape",
        "loss-inf",
    ],
)
def test_check_gradients_invalid_arguments(
    model: Model, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    x, t = data((5, 4, 3), 2, seed=0)
    with pytest.raises(error, match=match):
        check_gradients(model, x, t, **kwargs)


def test_regression_check_gradients_takes_any_real_number() -> None:
    """A Fraction raised TypeError, and an int beyond float64 OverflowError."""
    x, t = np.empty(0), np.empty(0)
    model = quadratic([1.0, -2.0])
    # Fractions are accepted at run time, though the arguments are typed RealNumber.
    exact: dict[str, Any] = {
        "rtol": Fraction(1, 1000),
        "atol": Fraction(1, 10**5),
        "h": Fraction(1, 10**6),
    }
    assert check_gradients(model, x, t, **exact) == check_gradients(model, x, t)
    square = numerical_gradient(lambda w: float(w @ w), np.array([3.0]), h=exact["h"])
    np.testing.assert_array_equal(square, [6.0])
    with pytest.raises(ValueError, match=r"atol must be a finite non-negative number"):
        check_gradients(model, x, t, atol=10**400)


def test_check_gradients_worst_element_is_furthest_beyond_its_tolerance() -> None:
    """Errors [0.05, 0.01] against tolerances [0.1, 0.001]: the second is worst."""
    model = Toy(
        half_square, lambda p: {"w": p["w"] + [0.05, 0.01]}, w=np.array([100.0, 1.0])
    )
    summary = check_gradients(model, np.empty(0), np.empty(0))["w"]
    assert (summary.failed, summary.worst_index) == (1, (1,))
    assert summary.max_abs_error == pytest.approx(0.05, rel=1e-6)


def test_check_gradients_fails_nan_gradients_and_passes_exact_zeros() -> None:
    model = Toy(
        half_square, lambda p: {"w": np.array([np.nan, 0.0])}, w=np.array([1.0, 0.0])
    )
    summary = check_gradients(model, np.empty(0), np.empty(0), atol=0)["w"]
    assert (summary.checked, summary.failed, summary.worst_index) == (2, 1, (0,))


class _Tied:
    """One weight under two keys (tied weights), each key's gradient given."""

    def __init__(self, wrong_second: bool = False) -> None:
        w = np.array([0.3, -0.7, 1.1])
        self.params = {"a": w, "b": w, "c": np.array([0.5])}
        self.wrong_second = wrong_second

    def loss(self, x: NDArray[Any], t: NDArray[Any]) -> float:
        return float(np.sum(np.sin(self.params["a"]) * x) + self.params["c"][0] ** 2)

    def gradient(self, x: NDArray[Any], t: NDArray[Any]) -> dict[str, NDArray[Any]]:
        g = np.cos(self.params["a"]) * x
        return {
            "a": g,
            "b": 0.5 * g if self.wrong_second else g.copy(),
            "c": 2 * self.params["c"],
        }


@pytest.mark.parametrize("wrong_second", [False, True])
def test_regression_fast_mode_failed_tied_weights_that_full_mode_passes(
    wrong_second: bool,
) -> None:
    """Fast mode moved a tied weight once per key, the last move winning."""
    x = np.array([1.0, 2.0, 3.0])
    model = _Tied(wrong_second)
    full = check_gradients(model, x, x, mode="full")
    for seed in range(5):
        fast = check_gradients(model, x, x, mode="fast", rng=seed)
        assert fast.ok == full.ok == (not wrong_second), str(fast)


def test_check_gradients_fast_refuses_params_sharing_some_elements() -> None:
    class Overlapping(_Tied):
        def __init__(self) -> None:
            w = np.array([0.3, -0.7, 1.1])
            self.params = {"a": w, "b": w[1:], "c": np.array([0.5])}

    with pytest.raises(ValueError, match=r"model.params\['a'\].*mode='full'"):
        check_gradients(Overlapping(), np.ones(3), np.ones(3), mode="fast")


class _Aliased:
    """A smooth loss of distinct arrays, some of them under several keys."""

    def __init__(self, params: dict[str, NDArray[np.float64]]) -> None:
        self.params = params

    def loss(self, x: NDArray[Any], t: NDArray[Any]) -> float:
        distinct = {id(array): array for array in self.params.values()}
        return float(sum(np.sum(np.sin(array)) for array in distinct.values()))

    def gradient(self, x: NDArray[Any], t: NDArray[Any]) -> dict[str, NDArray[Any]]:
        return {key: np.cos(array) for key, array in self.params.items()}


@settings(max_examples=30, deadline=None)
@given(
    gradient_dicts(
        gradient_arrays(dtypes=["float64"], allow_noncontiguous=False, max_side=3),
        min_size=1,
        max_size=4,
        allow_aliasing=True,
    ).filter(lambda params: any(array.size for array in params.values()))
)
def test_check_gradients_fast_and_full_agree_on_aliased_params(
    params: dict[str, NDArray[np.float64]],
) -> None:
    """A correct model passes both modes, whichever keys share an array."""
    model = _Aliased(params)
    none = np.zeros(1)
    assert check_gradients(model, none, none, mode="full").ok
    assert check_gradients(model, none, none, mode="fast", rng=0).ok
