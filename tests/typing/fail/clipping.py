"""Calls to the clipping functions that both checkers must reject.

Each line carries the error code mypy must report and the rule pyright must
report; a line that stops failing is reported as an unused ignore.
"""

import numpy as np
from numpy.typing import NDArray

from gradclip import clip_grads, clip_grads_value, clip_grads_with_norm, global_norm

f64: dict[str, NDArray[np.float64]] = {"W": np.zeros(3)}
ints: dict[str, NDArray[np.int64]] = {"W": np.zeros(3, dtype=np.int64)}
bools: list[NDArray[np.bool_]] = [np.zeros(3, dtype=np.bool_)]
complex_grads: list[NDArray[np.complex128]] = [np.zeros(3, dtype=np.complex128)]

# Integer and boolean arrays are not gradients.
clip_grads(ints, 1.0)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
clip_grads(bools, 1.0)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
clip_grads([np.arange(3)], 1.0)  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
clip_grads({"W": np.arange(3)}, 1.0)  # type: ignore[dict-item]  # pyright: ignore[reportArgumentType]
# mypy accepts this one, pyright does not: with the parameter's type as
# context, mypy falls through to NumPy's `dtype: DTypeLike -> NDArray[Any]`
# overload of np.zeros (see tests/typing/README.md).
clip_grads({"W": np.zeros(3, dtype=np.int32)}, 1.0)  # pyright: ignore[reportArgumentType]

# Values that are not arrays, and containers that are not mappings or sequences.
clip_grads({"W": [1.0, 2.0]}, 1.0)  # type: ignore[dict-item]  # pyright: ignore[reportArgumentType]
clip_grads({"W": 1.0}, 1.0)  # type: ignore[dict-item]  # pyright: ignore[reportArgumentType]
clip_grads([[1.0, 2.0]], 1.0)  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
clip_grads(np.zeros(3), 1.0)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
clip_grads("W", 1.0)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

# Thresholds that are not real numbers.
clip_grads(f64, "1.0")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
clip_grads(f64, None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
clip_grads(f64, 1 + 0j)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
clip_grads(f64, 1.0, eps="1e-6")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
clip_grads(f64, 1.0, error_if_nonfinite="yes")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
clip_grads_with_norm(f64, 1.0, total_norm="2")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

# The result is a float, not a str, an int or an array; the value clippers return None.
s: str = clip_grads(f64, 1.0)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
n: int = global_norm(f64)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
a: NDArray[np.float64] = clip_grads(f64, 1.0)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
# Element-wise clipping has no meaning for complex numbers.
clip_grads_value(complex_grads, 1.0)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
v: float = clip_grads_value(f64, 1.0)  # type: ignore[func-returns-value, assignment]  # pyright: ignore[reportAssignmentType]

# Wrong keyword names, missing arguments, keyword-only options given by position.
clip_grads(f64, max_nrm=1.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
clip_grads(f64, 1.0, norm=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
clip_grads(f64, 1.0, ord=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
global_norm(f64, p=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
clip_grads_value(f64, clip=1.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
clip_grads(f64)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
clip_grads_with_norm(f64, 1.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
clip_grads(f64, 1.0, 2.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
global_norm(f64, 2.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
