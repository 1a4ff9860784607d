"""Type aliases shared by the public API.

``Grads`` is what every clipping function accepts: a mapping of any keys to
floating arrays, or a sequence of them (the book's list-based API). Both are
covariant, so ``dict[str, NDArray[np.float32]]`` and ``list[np.ndarray]``
type-check where ``Grads`` is expected. The key type is ``Any`` because a
``Mapping``'s keys are invariant: any key type must be accepted.
"""

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.floating[Any]]
"""A NumPy array of any floating dtype."""

GradArray: TypeAlias = NDArray[np.floating[Any] | np.complexfloating[Any, Any]]
"""A gradient array: real or complex floating dtype."""

Grads: TypeAlias = Mapping[Any, GradArray] | Sequence[GradArray]
"""Gradients: a mapping of keys to arrays, or a sequence of arrays."""

RealGrads: TypeAlias = Mapping[Any, FloatArray] | Sequence[FloatArray]
"""Gradients of a real floating dtype only, as element-wise clipping needs."""

RealNumber: TypeAlias = float | int | np.floating[Any] | np.integer[Any]
"""A real scalar accepted for thresholds such as ``max_norm``."""

__all__ = ["FloatArray", "GradArray", "Grads", "RealGrads", "RealNumber"]
