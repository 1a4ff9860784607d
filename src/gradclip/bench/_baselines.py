"""What ``clip_grads`` is measured against: the seed and the bandwidth bound."""

import math
from collections.abc import Sequence

import numpy as np

from gradclip._typing import GradArray
from gradclip.seed import clip_grads as seed_clip_grads

__all__ = ["BandwidthBound", "seed_clip_grads"]


class BandwidthBound:
    """The least work any clip can do: one read pass, one read-write pass.

    A BLAS ``np.dot`` of each array with itself reads it once (float32 sums
    in float32: fast, not exact); when the rate is below 1,
    ``np.multiply(..., out=...)`` reads and writes it once. Below the
    threshold the bound is the read pass alone, as that is all a clip needs.

    Args:
        arrays: contiguous arrays, viewed flat once here, outside any timing.
    """

    def __init__(self, arrays: Sequence[GradArray]) -> None:
        self._flats = [array.reshape(-1) for array in arrays]

    def __call__(self, max_norm: float) -> None:
        """Clip the arrays to ``max_norm`` with the seed's ``eps`` of 1e-6."""
        total = math.sqrt(sum(float(np.dot(flat, flat)) for flat in self._flats))
        rate = max_norm / (total + 1e-6)
        if rate < 1:
            for flat in self._flats:
                np.multiply(flat, flat.dtype.type(rate), out=flat)
