"""Check a reader's one-hot ``TwoLayerNet`` with ``gradclip.check_gradients``.

Run from this folder: ``python check_my_net.py``. ``docs/ja.md`` shows its
output: first the network as written in ``two_layer_net.py``, which passes,
then the same network with the mistake of a ``SoftmaxWithLoss.backward``
that forgets to divide by the batch size, which fails on every element by
that factor.
"""

import numpy as np
from two_layer_net import TwoLayerNet

from gradclip import check_gradients

np.random.seed(0)
net = TwoLayerNet(input_size=4, hidden_size=5, output_size=3, weight_init_std=0.5)
x = np.random.randn(8, 4)
t = np.eye(3)[np.arange(8) % 3]  # one-hot targets, as load_mnist(one_hot_label=True)
print(check_gradients(net, x, t))

last = net.lastLayer
last.backward = lambda dout=1: last.y - last.t  # forgot: / batch_size
print()
print(check_gradients(net, x, t))
