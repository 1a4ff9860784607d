"""The types the clipping functions return, as users see them."""

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, assert_type

import numpy as np
from numpy.typing import NDArray

import gradclip
from gradclip import (
    FloatArray,
    GradArray,
    Grads,
    NonFiniteGradientError,
    RealGrads,
    RealNumber,
    clip_grads,
    clip_grads_value,
    clip_grads_with_norm,
    global_norm,
)

f32: dict[str, NDArray[np.float32]] = {"W": np.zeros(3, dtype=np.float32)}
f64: list[NDArray[np.float64]] = [np.zeros(3)]
ordered: OrderedDict[str, NDArray[np.float64]] = OrderedDict(W=np.zeros(3))

# A Python float, whatever the arrays' dtype and the thresholds' types.
assert_type(clip_grads(f32, 1.0), float)
assert_type(clip_grads(f64, np.float32(1), norm_type=1, eps=0), float)
assert_type(clip_grads(ordered, 1, error_if_nonfinite=False), float)
assert_type(global_norm(f32), float)
assert_type(global_norm(f64, norm_type=np.inf), float)
assert_type(gradclip.global_norm(ordered), float)

# In place only: nothing is returned.
assert_type(clip_grads_with_norm(f32, 1.0, 2.0), None)
assert_type(clip_grads_with_norm(f64, 1, total_norm=np.float64(2), eps=0.0), None)
assert_type(clip_grads_value(f32, 0.5), None)
assert_type(clip_grads_value(ordered, clip_value=1), None)

# The error is a ValueError.
error = NonFiniteGradientError("gradients must be finite")
assert_type(error, NonFiniteGradientError)
value_error: ValueError = error


# The public aliases, for annotating user code.
def annotated(
    grads: Grads, real: RealGrads, array: GradArray, floats: FloatArray, n: RealNumber
) -> None:
    assert_type(grads, Mapping[Any, GradArray] | Sequence[GradArray])
    assert_type(real, Mapping[Any, FloatArray] | Sequence[FloatArray])
    assert_type(array, NDArray[np.floating[Any] | np.complexfloating[Any, Any]])
    assert_type(floats, NDArray[np.floating[Any]])
    assert_type(n, float | int | np.floating[Any] | np.integer[Any])
    assert_type(clip_grads(real, n), float)
    assert_type(grads, Grads)
    assert_type(real, RealGrads)
    assert_type(n, RealNumber)
