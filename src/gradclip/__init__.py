"""Exact, typed, in-place gradient clipping for NumPy.

The package imports NumPy only. The Hypothesis strategies live in
``gradclip.strategies`` and the property checks in ``gradclip.verify``; both
need the ``hypothesis`` extra.
"""

from gradclip.clipping import (
    NonFiniteGradientError,
    clip_grads,
    clip_grads_value,
    clip_grads_with_norm,
    global_norm,
)

__all__ = [
    "NonFiniteGradientError",
    "clip_grads",
    "clip_grads_value",
    "clip_grads_with_norm",
    "global_norm",
]
