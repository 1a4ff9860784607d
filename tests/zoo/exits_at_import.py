"""A script whose clipper lives beside code that exits when imported."""

import sys

import numpy as np
from numpy.typing import NDArray


def clip_grads(grads: list[NDArray[np.float64]], max_norm: float) -> None:
    """The book's clipper, never reached: importing this module exits."""
    rate = max_norm / (float(np.sqrt(sum(np.sum(g**2) for g in grads))) + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate


sys.exit(0)  # the script's "main", run at import
