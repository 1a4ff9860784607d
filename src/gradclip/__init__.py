"""Exact, typed, in-place gradient clipping for NumPy.

The package imports NumPy only. The Hypothesis strategies live in
``gradclip.strategies`` and the property checks in ``gradclip.verify``; both
need the ``hypothesis`` extra.
"""

from gradclip._typing import FloatArray, GradArray, Grads, RealGrads, RealNumber
from gradclip.clipping import (
    NonFiniteGradientError,
    clip_grads,
    clip_grads_value,
    clip_grads_with_norm,
    global_norm,
)
from gradclip.gradcheck import (
    ErrorSummary,
    GradientCheck,
    Model,
    assert_gradients_close,
    check_gradients,
    numerical_gradient,
)
from gradclip.layers import Affine, Relu, SoftmaxWithLoss
from gradclip.net import TwoLayerNet

__all__ = [
    "Affine",
    "ErrorSummary",
    "FloatArray",
    "GradArray",
    "GradientCheck",
    "Grads",
    "Model",
    "NonFiniteGradientError",
    "RealGrads",
    "RealNumber",
    "Relu",
    "SoftmaxWithLoss",
    "TwoLayerNet",
    "assert_gradients_close",
    "check_gradients",
    "clip_grads",
    "clip_grads_value",
    "clip_grads_with_norm",
    "global_norm",
    "numerical_gradient",
]
