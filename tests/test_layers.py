"""Tests for gradclip.layers: hand-computed forward and backward passes."""

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from gradclip.layers import Affine, Relu, SoftmaxWithLoss

W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
B = np.array([10.0, 20.0])
X = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
DOUT = np.array([[1.0, -1.0], [0.0, 2.0]])


def test_affine_forward_hand_computed() -> None:
    out = Affine(W, B).forward(X)
    np.testing.assert_array_equal(out, [[6.0, 16.0], [15.0, 28.0]])


def test_affine_backward_hand_computed() -> None:
    layer = Affine(W, B)
    layer.forward(X)
    dx = layer.backward(DOUT)
    np.testing.assert_array_equal(dx, [[-1.0, -1.0, -1.0], [4.0, 8.0, 12.0]])
    np.testing.assert_array_equal(layer.dW, [[1.0, 3.0], [0.0, 2.0], [-1.0, 1.0]])
    np.testing.assert_array_equal(layer.db, [1.0, 1.0])


def test_affine_backward_params_sets_the_same_gradients() -> None:
    full, params_only = Affine(W, B), Affine(W, B)
    full.forward(X)
    params_only.forward(X)
    full.backward(DOUT)
    params_only.backward_params(DOUT)
    np.testing.assert_array_equal(params_only.dW, full.dW)
    np.testing.assert_array_equal(params_only.db, full.db)


def test_affine_reads_weights_by_reference() -> None:
    weights, bias = W.copy(), B.copy()
    layer = Affine(weights, bias)
    weights[0, 0] = 0.0
    bias += 1.0
    np.testing.assert_array_equal(layer.forward(X), [[6.0, 17.0], [14.0, 29.0]])


def test_affine_keeps_float32() -> None:
    layer = Affine(W.astype(np.float32), B.astype(np.float32))
    out = layer.forward(X.astype(np.float32))
    dx = layer.backward(DOUT.astype(np.float32))
    assert {out.dtype, dx.dtype, layer.dW.dtype, layer.db.dtype} == {
        np.dtype(np.float32)
    }


def test_relu_forward_backward_hand_computed() -> None:
    layer = Relu()
    out = layer.forward(np.array([[-1.0, 0.0, 2.0]]))
    dx = layer.backward(np.array([[5.0, 6.0, 7.0]]))
    np.testing.assert_array_equal(out, [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 7.0]])  # derivative 0 at exactly 0


def test_regression_relu_backward_leaves_dout_unchanged() -> None:
    """The book's Relu.backward zeroes its caller's dout in place; ours must not."""
    layer = Relu()
    layer.forward(np.array([[-1.0, 2.0]]))
    dout = np.array([[3.0, 4.0]])
    layer.backward(dout)
    np.testing.assert_array_equal(dout, [[3.0, 4.0]])


def test_relu_forward_leaves_x_unchanged() -> None:
    x = np.array([[-1.0, 2.0]])
    Relu().forward(x)
    np.testing.assert_array_equal(x, [[-1.0, 2.0]])


def test_softmax_with_loss_hand_computed() -> None:
    layer = SoftmaxWithLoss()
    x = np.array([[0.0, 0.0, 0.0], [0.0, math.log(2.0), 0.0]])
    loss = layer.forward(x, np.array([2, 1]))
    assert loss == pytest.approx(math.log(6.0) / 2, rel=1e-15)
    expected = np.array([[1 / 3, 1 / 3, -2 / 3], [1 / 4, -1 / 2, 1 / 4]]) / 2
    np.testing.assert_allclose(layer.backward(), expected, rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(
        layer.backward(dout=2.0), 2 * expected, rtol=1e-15, atol=1e-16
    )


def test_softmax_with_loss_one_hot_equals_labels() -> None:
    x = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, 1.0]])
    by_label, by_one_hot = SoftmaxWithLoss(), SoftmaxWithLoss()
    loss = by_label.forward(x, np.array([1, 0]))
    assert by_one_hot.forward(x, np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])) == loss
    np.testing.assert_array_equal(by_one_hot.backward(), by_label.backward())


def test_softmax_with_loss_is_exact_for_huge_logits() -> None:
    layer = SoftmaxWithLoss()
    assert layer.forward(np.array([[1e4, 0.0, -1e4]]), np.array([2])) == 2e4
    np.testing.assert_array_equal(layer.backward(), [[1.0, 0.0, -1.0]])


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16])
def test_regression_softmax_with_loss_takes_integer_logits(dtype: type[Any]) -> None:
    """Integer logits crashed in exp (UFuncTypeError); they are taken as float64."""
    x = np.array([[0, 1, 2], [3, 1, 0]], dtype=dtype)
    by_int, by_float = SoftmaxWithLoss(), SoftmaxWithLoss()
    loss = by_int.forward(x, np.array([2, 1]))
    assert loss == by_float.forward(x.astype(np.float64), np.array([2, 1]))
    dx = by_int.backward()
    assert dx.dtype == np.float64
    np.testing.assert_array_equal(dx, by_float.backward())
    np.testing.assert_array_equal(x, np.array([[0, 1, 2], [3, 1, 0]], dtype=dtype))


def test_softmax_with_loss_leaves_inputs_unchanged() -> None:
    x, t = np.array([[1.0, 2.0, 3.0]]), np.array([[0, 0, 1]])
    SoftmaxWithLoss().forward(x, t)
    np.testing.assert_array_equal(x, [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(t, [[0, 0, 1]])


@pytest.mark.parametrize(
    "backward",
    [
        lambda: Affine(W, B).backward(DOUT),
        lambda: Relu().backward(DOUT),
        lambda: SoftmaxWithLoss().backward(),
    ],
    ids=["Affine", "Relu", "SoftmaxWithLoss"],
)
def test_layers_backward_before_forward_raises(backward: Callable[[], object]) -> None:
    with pytest.raises(RuntimeError, match="forward must run before backward"):
        backward()


@pytest.mark.parametrize(
    ("x", "t", "error", "match"),
    [
        (np.zeros(3), [0], ValueError, r"x must be 2-D \(N, C\), got x.shape=\(3,\)"),
        (np.zeros((2, 3)), [0, 3], ValueError, r"range\(3\), got t\[1\]=3"),
        (np.zeros((2, 3)), [-1, 0], ValueError, r"range\(3\), got t\[0\]=-1"),
        (np.zeros((2, 3)), [0.0, 1.5], ValueError, r"integer labels .* got t\[1\]=1.5"),
        (np.zeros((2, 3)), [0.0, -1.0], ValueError, r"range\(3\), got t\[1\]=-1.0"),
        (np.zeros((2, 3)), [3.0, 0.0], ValueError, r"range\(3\), got t\[0\]=3.0"),
        (np.zeros((2, 3)), [np.nan, 1.0], ValueError, r"got t\[0\]=nan"),
        (
            np.zeros((2, 3)),
            [0],
            ValueError,
            r"t must have shape \(2,\) .* got t.shape=\(1,\)",
        ),
        (
            np.zeros((2, 3)),
            np.eye(2),
            ValueError,
            r"shape \(2, 3\) .* got t.shape=\(2, 2\)",
        ),
        (
            np.zeros((2, 3)),
            [[1, 1, 0], [0, 0, 1]],
            ValueError,
            r"t must have one-hot rows, got t\[0\]=array\(\[1, 1, 0\]\)",
        ),
        (
            np.zeros((2, 3)),
            [[1, 0, 0], [0, 0, 0]],
            ValueError,
            r"one-hot rows, got t\[1\]",
        ),
        (
            np.zeros((2, 3)),
            [[0.5, 0.5, 0], [0, 0, 1]],
            ValueError,
            r"one-hot rows, got t\[0\]",
        ),
        (np.zeros((2, 3)), np.zeros((2, 3, 1)), ValueError, r"1-D \(labels\) or 2-D"),
        (
            np.zeros((2, 3)),
            [True, False],
            TypeError,
            r"t must have an integer or floating dtype, got t\.dtype=bool$",
        ),
        (
            np.zeros((2, 3)),
            ["0", "1"],
            TypeError,
            r"t must have an integer or floating dtype, got t\.dtype=<U1$",
        ),
        (
            np.zeros((2, 3), dtype=bool),
            [0, 1],
            TypeError,
            r"x must have an integer or floating dtype, got x\.dtype=bool$",
        ),
        (
            np.zeros((2, 3), dtype=complex),
            [0, 1],
            TypeError,
            r"x must have an integer or floating dtype, got x\.dtype=complex128$",
        ),
    ],
    ids=[
        "x-1d",
        "label-too-big",
        "label-negative",
        "label-not-integer",
        "float-label-negative",
        "float-label-too-big",
        "label-nan",
        "labels-wrong-length",
        "one-hot-wrong-classes",
        "one-hot-two-ones",
        "one-hot-no-one",
        "one-hot-soft",
        "t-3d",
        "t-bool",
        "t-str",
        "x-bool",
        "x-complex",
    ],
)
def test_softmax_with_loss_invalid_arguments(
    x: np.ndarray[Any, Any], t: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        SoftmaxWithLoss().forward(x, t)
