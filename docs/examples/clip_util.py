"""A reader's ``clip_grads`` from "ゼロから作る Deep Learning 2", ch. 5 (a list).

Volume 2 keeps a model's gradients in a list, in the same order as its
``params``, and clips them all together before the optimizer's step. This is
how a reader writes it from the book: square, sum, compare, scale in place.
``docs/ja.md`` checks it with ``gradclip verify clip clip_util:clip_grads``.
"""

import numpy as np


def clip_grads(grads, max_norm):
    total_norm = 0
    for grad in grads:
        total_norm += np.sum(grad**2)
    total_norm = np.sqrt(total_norm)

    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for grad in grads:
            grad *= rate
