"""Tests for gradclip.net: TwoLayerNet against hand-computed gradients."""

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from gradclip.net import TwoLayerNet

SEED_X = np.array([[1, 2, 3, 4, 5]])
SEED_T = np.array([[0, 0, 1]])


def hand_net(
    W2: list[list[float]] | None = None, b2: list[float] | None = None
) -> TwoLayerNet:
    """A 2-2-2 net; for x = [1, 2] its hidden units are [1.5, 0] (the second dead)."""
    net = TwoLayerNet(2, 2, 2, rng=0)
    net.params["W1"][...] = [[1.0, 0.0], [0.0, -1.0]]
    net.params["b1"][...] = [0.5, 0.5]
    net.params["W2"][...] = [[1.0, -1.0], [2.0, 3.0]] if W2 is None else W2
    net.params["b2"][...] = [-1.5, 1.5] if b2 is None else b2
    return net


def test_two_layer_net_params_keys_shapes_and_initial_values() -> None:
    net = TwoLayerNet(input_size=5, hidden_size=4, output_size=3, rng=0)
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    assert [p.shape for p in net.params.values()] == [(5, 4), (4,), (4, 3), (3,)]
    np.testing.assert_array_equal(net.params["b1"], np.zeros(4))
    np.testing.assert_array_equal(net.params["b2"], np.zeros(3))
    assert 0 < np.abs(net.params["W1"]).max() < 0.05


def test_two_layer_net_layers_read_params_by_reference() -> None:
    net = hand_net()
    assert net.layers["Affine1"].W is net.params["W1"]
    assert net.layers["Affine2"].b is net.params["b2"]
    net.params["b2"] += [0.0, 100.0]
    np.testing.assert_array_equal(net.predict(np.array([1.0, 2.0])), [0.0, 100.0])


def test_two_layer_net_is_reproducible_from_a_seed() -> None:
    by_int = TwoLayerNet(5, 4, 3, rng=7)
    by_generator = TwoLayerNet(5, 4, 3, rng=np.random.default_rng(7))
    other = TwoLayerNet(5, 4, 3, rng=8)
    for key in by_int.params:
        np.testing.assert_array_equal(by_generator.params[key], by_int.params[key])
    assert not np.array_equal(other.params["W1"], by_int.params["W1"])


def test_two_layer_net_without_rng_draws_like_the_book() -> None:
    np.random.seed(1324)  # noqa: NPY002  # the book's readers seed the global state
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.5)
    np.random.seed(1324)  # noqa: NPY002
    W1 = 0.5 * np.random.randn(5, 4)  # noqa: NPY002
    W2 = 0.5 * np.random.randn(4, 3)  # noqa: NPY002
    np.testing.assert_array_equal(net.params["W1"], W1)
    np.testing.assert_array_equal(net.params["W2"], W2)


def test_two_layer_net_float32_keeps_its_dtype_and_values() -> None:
    net32 = TwoLayerNet(5, 4, 3, rng=3, dtype=np.float32)
    net64 = TwoLayerNet(5, 4, 3, rng=3)
    np.testing.assert_array_equal(
        net32.params["W1"], net64.params["W1"].astype(np.float32)
    )
    assert {p.dtype for p in net32.params.values()} == {np.dtype(np.float32)}
    grads = net32.gradient(SEED_X, SEED_T)
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    assert net32.predict(SEED_X).dtype == np.float32


def test_two_layer_net_one_sample_hand_computed() -> None:
    """x = [1, 2]: hidden [1.5, 0], logits [0, 0], so y = [1/2, 1/2] and loss ln 2."""
    net = hand_net()
    x, t = np.array([[1.0, 2.0]]), np.array([0])
    np.testing.assert_array_equal(net.predict(x), [[0.0, 0.0]])
    assert net.loss(x, t) == pytest.approx(math.log(2.0), rel=1e-15)
    grads = net.gradient(x, t)
    # dz = y - t = [-1/2, 1/2]; dh = dz @ W2.T = [-1, 1/2]; ReLU keeps [-1, 0].
    np.testing.assert_array_equal(grads["b2"], [-0.5, 0.5])
    np.testing.assert_array_equal(grads["W2"], [[-0.75, 0.75], [0.0, 0.0]])
    np.testing.assert_array_equal(grads["b1"], [-1.0, 0.0])
    np.testing.assert_array_equal(grads["W1"], [[-1.0, 0.0], [-2.0, 0.0]])


def test_two_layer_net_opposite_targets_cancel() -> None:
    """The same sample with targets 0 and 1: the mean gradient is exactly zero."""
    net = hand_net()
    x = np.array([[1.0, 2.0], [1.0, 2.0]])
    assert net.loss(x, np.array([0, 1])) == pytest.approx(math.log(2.0), rel=1e-15)
    for grad in net.gradient(x, np.array([0, 1])).values():
        np.testing.assert_array_equal(grad, np.zeros_like(grad))


def test_two_layer_net_is_exact_for_huge_logits() -> None:
    """Logits [1.5e4, -1.5e4] with t = 1: loss 3e4, dz = [1, -1]."""
    net = hand_net(W2=[[1e4, -1e4], [0.0, 0.0]], b2=[0.0, 0.0])
    x, t = np.array([[1.0, 2.0]]), np.array([1])
    assert net.loss(x, t) == 3e4
    grads = net.gradient(x, t)
    np.testing.assert_array_equal(grads["b2"], [1.0, -1.0])
    np.testing.assert_array_equal(grads["W2"], [[1.5, -1.5], [0.0, 0.0]])
    np.testing.assert_array_equal(grads["b1"], [2e4, 0.0])
    np.testing.assert_array_equal(grads["W1"], [[2e4, 0.0], [4e4, 0.0]])


def test_two_layer_net_accuracy_hand_computed() -> None:
    """Logits [h0, -h0 + 0.1]: class 0 where the first hidden unit is alive."""
    net = hand_net(W2=[[1.0, -1.0], [0.0, 0.0]], b2=[0.0, 0.1])
    x = np.array([[1.0, 2.0], [-1.0, 0.0], [3.0, 0.0]])  # h0 = 1.5, 0, 3.5
    assert net.accuracy(x, np.array([0, 0, 1])) == pytest.approx(1 / 3)
    assert net.accuracy(x, np.array([[1, 0], [0, 1], [1, 0]])) == 1.0


def test_two_layer_net_gradient_matches_its_numerical_gradient() -> None:
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.5, rng=4)
    x = np.random.default_rng(5).standard_normal((6, 5))
    t = np.array([0, 1, 2, 2, 1, 0])
    numerical = net.numerical_gradient(x, t)
    for key, grad in net.gradient(x, t).items():
        np.testing.assert_allclose(grad, numerical[key], rtol=1e-6, atol=1e-12)


def test_two_layer_net_batch_gradient_is_mean_of_sample_gradients() -> None:
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.5, rng=4)
    x = np.random.default_rng(6).standard_normal((3, 5))
    t = np.array([2, 0, 1])
    batch = net.gradient(x, t)
    samples = [net.gradient(x[i], t[i]) for i in range(3)]
    for key, grad in batch.items():
        np.testing.assert_allclose(
            grad, np.mean([s[key] for s in samples], axis=0), rtol=1e-13
        )


def test_two_layer_net_one_hot_and_labels_agree() -> None:
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.5, rng=4)
    x = np.random.default_rng(7).standard_normal((3, 5))
    labels, one_hot = np.array([2, 0, 1]), np.eye(3)[[2, 0, 1]]
    assert net.loss(x, one_hot) == net.loss(x, labels)
    by_label = net.gradient(x, labels)
    for key, grad in net.gradient(x, one_hot).items():
        np.testing.assert_array_equal(grad, by_label[key])


def test_two_layer_net_single_sample_drops_the_batch_axis() -> None:
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.5, rng=4)
    x = np.array([0.5, -1.0, 2.0, 0.0, 1.0])
    assert net.predict(x).shape == (3,)
    np.testing.assert_array_equal(net.predict(x), net.predict(x[np.newaxis])[0])
    assert net.loss(x, 2) == net.loss(x[np.newaxis], [2])
    assert net.loss(x, [0, 0, 1]) == net.loss(x[np.newaxis], [2])


def test_two_layer_net_integer_inputs_equal_float_inputs() -> None:
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.5, rng=4)
    as_float = net.gradient(SEED_X.astype(np.float64), SEED_T)
    for key, grad in net.gradient(SEED_X, SEED_T).items():
        np.testing.assert_array_equal(grad, as_float[key])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_two_layer_net_seed_example_structure(seed: int) -> None:
    """The seed notebook's second example, with the book's tiny initial weights."""
    np.random.seed(seed)  # noqa: NPY002  # the seed notebook's setting
    tnet = TwoLayerNet(input_size=5, hidden_size=4, output_size=3)
    grads = tnet.gradient(SEED_X, SEED_T)
    np.testing.assert_allclose(grads["b2"], [1 / 3, 1 / 3, -2 / 3], atol=5e-3)
    assert abs(grads["b2"].sum()) < 1e-15
    hidden = SEED_X @ tnet.params["W1"] + tnet.params["b1"]
    dead = (hidden <= 0)[0]
    assert 0 < dead.sum() < 4  # these seeds give dead and live units, like the seed's
    np.testing.assert_array_equal(grads["W1"][:, dead], 0.0)
    np.testing.assert_array_equal(grads["b1"][dead], 0.0)
    np.testing.assert_array_equal(grads["W2"][dead], 0.0)
    np.testing.assert_allclose(grads["W1"], np.outer(SEED_X, grads["b1"]), rtol=1e-15)
    np.testing.assert_allclose(
        grads["W2"], np.outer(np.maximum(hidden, 0), grads["b2"])
    )


def test_two_layer_net_leaves_inputs_and_params_unchanged() -> None:
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.5, rng=4)
    x, t = (
        np.random.default_rng(8).standard_normal((2, 5)),
        np.array([[0, 1, 0], [1, 0, 0]]),
    )
    before = [x.copy(), t.copy(), *(p.copy() for p in net.params.values())]
    net.predict(x)
    net.loss(x, t)
    net.accuracy(x, t)
    grads = net.gradient(x, t)
    net.numerical_gradient(x, t)
    for old, new in zip(before, [x, t, *net.params.values()], strict=True):
        np.testing.assert_array_equal(new, old)
    assert all(grads[key] is not param for key, param in net.params.items())


def test_two_layer_net_repr_shows_sizes() -> None:
    assert repr(TwoLayerNet(5, 4, 3, dtype=np.float32)) == (
        "TwoLayerNet(input_size=5, hidden_size=4, output_size=3, dtype=float32)"
    )


def test_regression_two_layer_net_weight_init_std_any_real_number() -> None:
    """An int beyond float64 raised OverflowError; a Fraction was refused."""
    with pytest.raises(ValueError, match=r"weight_init_std must be a finite non-neg"):
        TwoLayerNet(2, 2, 2, 10**400)
    # A Fraction is accepted at run time, though weight_init_std is typed float.
    by_fraction = TwoLayerNet(5, 4, 3, Fraction(1, 100), rng=0)  # type: ignore[arg-type]
    by_float = TwoLayerNet(5, 4, 3, 0.01, rng=0)
    for key, param in by_float.params.items():
        np.testing.assert_array_equal(by_fraction.params[key], param)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"input_size": 0}, ValueError, r"input_size must be >= 1, got input_size=0"),
        (
            {"hidden_size": 4.0},
            TypeError,
            r"hidden_size must be an int, got hidden_size=4.0",
        ),
        (
            {"output_size": True},
            TypeError,
            r"output_size must be an int, got output_size=True",
        ),
        (
            {"weight_init_std": -0.1},
            ValueError,
            r"weight_init_std must be a finite non-negative number, "
            r"got weight_init_std=-0\.1$",
        ),
        (
            {"weight_init_std": math.inf},
            ValueError,
            r"weight_init_std must be a finite non-negative number",
        ),
        ({"weight_init_std": math.nan}, ValueError, r"got weight_init_std=nan"),
        (
            {"weight_init_std": "0.01"},
            TypeError,
            r"weight_init_std must be a real number, "
            r"got weight_init_std='0\.01' of type str$",
        ),
        (
            {"weight_init_std": np.array(0.01)},
            TypeError,
            r"weight_init_std must be a real number",
        ),
        (
            {"rng": "0"},
            TypeError,
            r"rng must be None, an int seed or a .*Generator, got rng='0'",
        ),
        ({"rng": -1}, ValueError, r"rng must be >= 0 as a seed, got rng=-1"),
        ({"dtype": np.int64}, TypeError, r"dtype must be float16, float32 or float64"),
        ({"dtype": np.complex128}, TypeError, r"got dtype=<class 'numpy\.complex128'>"),
        ({"dtype": np.longdouble}, TypeError, r"dtype must be float16, float32"),
    ],
    ids=[
        "input_size=0",
        "hidden_size=4.0",
        "output_size=True",
        "weight_init_std=-0.1",
        "weight_init_std=inf",
        "weight_init_std=nan",
        "weight_init_std='0.01'",
        "weight_init_std=array(0.01)",
        "rng='0'",
        "rng=-1",
        "dtype=int64",
        "dtype=complex128",
        "dtype=longdouble",
    ],
)
def test_two_layer_net_invalid_constructor_arguments(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    arguments: dict[str, Any] = {"input_size": 5, "hidden_size": 4, "output_size": 3}
    with pytest.raises(error, match=match):
        TwoLayerNet(**(arguments | kwargs))


X2 = np.arange(10.0).reshape(2, 5)


@pytest.mark.parametrize(
    ("x", "t", "error", "match"),
    [
        (
            np.zeros((2, 4)),
            [0, 1],
            ValueError,
            r"x must have 5 features .* x.shape=\(2, 4\)",
        ),
        (
            np.zeros((1, 2, 5)),
            [0],
            ValueError,
            r"x must be 1-D .* or 2-D .* x.shape=\(1, 2, 5\)",
        ),
        (np.float64(1.0), [0], ValueError, r"x must be 1-D .* got x.shape=\(\)"),
        (np.zeros((0, 5)), [], ValueError, r"x must hold at least one sample"),
        (
            np.where(X2 == 2, np.nan, X2),
            [0, 1],
            ValueError,
            r"x must be finite .* x\[0, 2\]=nan",
        ),
        (np.where(X2 == 6, np.inf, X2), [0, 1], ValueError, r"x\[1, 1\]=inf"),
        (
            X2 > 3,
            [0, 1],
            TypeError,
            r"x must have an integer or floating dtype, got x\.dtype=bool$",
        ),
        (X2 + 0j, [0, 1], TypeError, r"x must have an integer or floating dtype"),
        (X2, [0, 1, 2], ValueError, r"t must have shape \(2,\) .* t.shape=\(3,\)"),
        (X2, np.eye(3), ValueError, r"t must have shape \(2, 3\) .* t.shape=\(3, 3\)"),
        (X2, [0, 3], ValueError, r"labels in range\(3\), got t\[1\]=3"),
        (X2, [-1, 0], ValueError, r"got t\[0\]=-1"),
        (X2, [0.0, 1.5], ValueError, r"got t\[1\]=1.5"),
        (X2, [[0, 1, 1], [1, 0, 0]], ValueError, r"one-hot rows, got t\[0\]"),
        (X2, np.zeros((2, 4)), ValueError, r"t must have shape \(2, 3\)"),
        (X2, np.zeros((2, 3, 1)), ValueError, r"t must be 1-D \(labels\) or 2-D"),
        (
            X2,
            [True, False],
            TypeError,
            r"t must have an integer or floating dtype, got t\.dtype=bool$",
        ),
        (X2[0], [0, 1], ValueError, r"t must be a label \(\) or a one-hot row \(3,\)"),
        (X2[0], 3, ValueError, r"labels in range\(3\), got t\[0\]=3"),
    ],
    ids=[
        "x-4-features",
        "x-3d",
        "x-0d",
        "x-empty",
        "x-nan",
        "x-inf",
        "x-bool",
        "x-complex",
        "t-3-labels-for-2-samples",
        "t-3-one-hot-rows-for-2-samples",
        "t-label-too-big",
        "t-label-negative",
        "t-label-not-integer",
        "t-not-one-hot",
        "t-one-hot-4-classes",
        "t-3d",
        "t-bool",
        "t-2-labels-for-1d-x",
        "t-label-too-big-for-1d-x",
    ],
)
def test_two_layer_net_invalid_inputs(
    x: Any, t: Any, error: type[Exception], match: str
) -> None:
    net = TwoLayerNet(5, 4, 3, rng=0)
    before = {key: param.copy() for key, param in net.params.items()}
    for method in (net.loss, net.accuracy, net.gradient, net.numerical_gradient):
        with pytest.raises(error, match=match):
            method(x, t)
    if match.startswith("x"):
        with pytest.raises(error, match=match):
            net.predict(x)
    for key, param in net.params.items():
        np.testing.assert_array_equal(param, before[key])


@pytest.mark.parametrize(
    ("std", "dtype"), [(1e6, np.float16), (1e39, np.float32), (1e308, np.float64)]
)
def test_regression_weight_init_std_overflowing_the_dtype_built_inf_weights(
    std: float, dtype: type[Any]
) -> None:
    """weight_init_std=1e6 in float16 gave inf weights with only NumPy warnings."""
    with pytest.raises(ValueError, match=rf"weight_init_std.*{np.dtype(dtype)}"):
        TwoLayerNet(40, 50, 30, weight_init_std=std, dtype=dtype, rng=0)
