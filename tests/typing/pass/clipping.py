"""User code calling the clipping functions that must type-check."""

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradclip import (
    NonFiniteGradientError,
    clip_grads,
    clip_grads_value,
    clip_grads_with_norm,
    global_norm,
)

# The seed's first example, annotated as strict code would be.
np.random.seed(1324)  # noqa: NPY002  # the seed's own call
g1 = np.random.rand(2, 5) * 10  # noqa: NPY002
g2 = np.random.rand(3, 4) * 5  # noqa: NPY002
seed_grads: dict[str, NDArray[np.float64]] = {}
seed_grads["W1"] = g1
seed_grads["W2"] = g2
clip_grads(seed_grads, max_norm=5)

# Every container the API accepts: mappings and sequences, of any float dtype.
f64: dict[str, NDArray[np.float64]] = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
f32: dict[str, NDArray[np.float32]] = {"W": np.zeros(3, dtype=np.float32)}
f16: dict[str, NDArray[np.float16]] = {"W": np.zeros(3, dtype=np.float16)}
c128: dict[str, NDArray[np.complex128]] = {"W": np.zeros(3, dtype=np.complex128)}
any_float: dict[str, NDArray[np.floating[Any]]] = {"W": np.zeros(3)}
bare: dict[str, np.ndarray] = {"W": np.zeros(3)}  # no type arguments: NumPy's defaults
unknown_dtype: dict[str, NDArray[Any]] = {"W": np.array([1.0, 2.0])}
ordered: OrderedDict[str, NDArray[np.float64]] = OrderedDict(W=np.zeros(3))
int_keys: dict[int, NDArray[np.float64]] = {0: np.zeros(3)}
as_mapping: Mapping[str, NDArray[np.float32]] = f32
as_list: list[NDArray[np.float64]] = [np.zeros(3), np.ones((2, 2))]
as_tuple: tuple[NDArray[np.float32], NDArray[np.float64]] = (
    np.zeros(3, dtype=np.float32),
    np.zeros(3),
)
as_sequence: Sequence[NDArray[np.float64]] = as_list
mixed: list[NDArray[np.float32] | NDArray[np.float64]] = [np.zeros(3)]
# One call per type, so that each is checked as itself, not as a join.
clip_grads(f64, 1.0)
clip_grads(f32, 1.0)
clip_grads(f16, 1.0)
clip_grads(c128, 1.0)
clip_grads(any_float, 1.0)
clip_grads(bare, 1.0)
clip_grads(unknown_dtype, 1.0)
clip_grads(ordered, 1.0)
clip_grads(int_keys, 1.0)
clip_grads(as_mapping, 1.0)
clip_grads(as_list, 1.0)
clip_grads(as_tuple, 1.0)
clip_grads(as_sequence, 1.0)
clip_grads(mixed, 1.0)
clip_grads({"W": np.zeros(3, dtype=np.float32)}, 1.0)  # a literal, typed in context
clip_grads([np.zeros(3)], 1.0)

# max_norm and the other thresholds: int, float, NumPy floats and ints.
clip_grads(f64, 1)
clip_grads(f64, 1.0)
clip_grads(f64, np.float64(1.0))
clip_grads(f64, np.float32(1.0))
clip_grads(f64, np.int64(1))
clip_grads(f64, float("inf"))
clip_grads(f64, max_norm=0.5, norm_type=1, eps=0.0, error_if_nonfinite=False)
clip_grads(f64, 0.5, norm_type=np.inf)

# The result is a Python float.
total: float = clip_grads(f64, 1.0)
rate = 1.0 / (clip_grads(f32, 1.0) + 1e-6)
print(f"{clip_grads(f64, 1.0):.3f}", round(clip_grads(f64, 1.0), 2), rate)
norm: float = global_norm(f32)
infinity_norm: float = global_norm(as_list, norm_type=float("inf"))

# The functions that return nothing.
clip_grads_with_norm(f32, 1.0, total_norm=norm)
clip_grads_with_norm(as_tuple, max_norm=1, total_norm=np.float64(2.0), eps=0)
clip_grads_value(f64, 0.5)
clip_grads_value(as_list, clip_value=np.float32(0.5))

# The error a training loop catches to skip a step.
try:
    clip_grads(f64, 1.0)
except NonFiniteGradientError as error:
    message: str = str(error)
    value_error: ValueError = error
