"""The types TwoLayerNet and its layers return, as users see them."""

from typing import Any, assert_type

import numpy as np
from numpy.typing import NDArray

from gradclip import Affine, Relu, SoftmaxWithLoss, TwoLayerNet

FloatArray = NDArray[np.floating[Any]]

tnet = TwoLayerNet(input_size=5, hidden_size=4, output_size=3)
x = np.array([[1, 2, 3, 4, 5]])
t = np.array([[0, 0, 1]])

assert_type(tnet, TwoLayerNet)
assert_type(TwoLayerNet(5, 4, 3, rng=0, dtype=np.float32), TwoLayerNet)
assert_type(tnet.params, dict[str, FloatArray])
assert_type(tnet.gradient(x, t), dict[str, FloatArray])
assert_type(tnet.numerical_gradient(x, t), dict[str, FloatArray])
assert_type(tnet.predict(x), FloatArray)
assert_type(tnet.loss(x, t), float)
assert_type(tnet.accuracy(x, t), float)
assert_type(repr(tnet), str)

affine = Affine(tnet.params["W1"], tnet.params["b1"])
assert_type(affine, Affine)
assert_type(affine.forward(x.astype(np.float64)), FloatArray)
assert_type(affine.backward(np.ones((1, 4))), FloatArray)
assert_type(affine.backward_params(np.ones((1, 4))), None)
assert_type(affine.dW, FloatArray)
assert_type(affine.db, FloatArray)

relu = Relu()
assert_type(relu, Relu)
assert_type(relu.forward(np.ones((1, 4))), FloatArray)
assert_type(relu.backward(np.ones((1, 4))), FloatArray)

last = SoftmaxWithLoss()
assert_type(last, SoftmaxWithLoss)
assert_type(last.forward(np.ones((1, 3)), np.array([2])), float)
assert_type(last.backward(), FloatArray)
assert_type(last.backward(dout=2.0), FloatArray)
