"""The seed notebook's ``clip_grads``, as it was: the reference gradclip replaces.

Kept word for word (only annotations added) as the baseline that
``gradclip bench`` measures against and that ``gradclip verify clip
gradclip.seed:clip_grads`` checks: it passes the core invariants and fails
the robust ones. Its ``grad ** 2`` copies every array and overflows for
float32 values above about 1.8e19, which makes the norm inf and zeroes the
gradients; it counts an array under two keys twice; it half-applies when a
later array cannot be scaled.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["clip_grads"]


def clip_grads(grads: dict[Any, NDArray[Any]], max_norm: float) -> None:
    """
    grads : 勾配をまとめたdict
    max_norm : 閾値
    """

    # 勾配の2ノルムを求める
    total_norm = 0
    for key, grad in grads.items():
        total_norm += np.sum(grad ** 2, axis=None)
    total_norm = np.sqrt(total_norm)

    # 勾配をクリッピング
    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        """
        勾配の2ノルムが閾値を超えた場合
        """
        for key, grad in grads.items():
            grads[key] *= rate
