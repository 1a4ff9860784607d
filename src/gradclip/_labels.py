"""Targets as class labels, shared by ``SoftmaxWithLoss`` and ``TwoLayerNet``.

A target is a class label per sample or a one-hot row per sample; both become
an array of labels, after checks whose messages follow ``<name> must <rule>,
got <name>=<value!r>``.
"""

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["class_labels"]


def class_labels(t: ArrayLike, *, n_samples: int, n_classes: int) -> NDArray[np.intp]:
    """Validate targets and return them as class labels.

    Args:
        t: Labels in ``range(n_classes)``, shape ``(n_samples,)``, or one-hot
            rows (a single 1, zeros elsewhere), shape ``(n_samples, n_classes)``;
            integer or floating dtype.
        n_samples: Expected batch size.
        n_classes: Number of classes.

    Returns:
        The labels, shape ``(n_samples,)``.

    Raises:
        TypeError: If ``t`` has neither an integer nor a floating dtype.
        ValueError: If ``t`` has the wrong shape, a label out of range or not
            an integer, or a row that is not one-hot.
    """
    t = np.asarray(t)
    if t.dtype.kind not in "iuf":
        raise TypeError(
            f"t must have an integer or floating dtype, got t.dtype={t.dtype}"
        )
    if t.ndim == 2:
        if t.shape != (n_samples, n_classes):
            raise ValueError(
                f"t must have shape {(n_samples, n_classes)!r} (one one-hot row per "
                f"sample), got t.shape={t.shape!r}"
            )
        one_hot = ((t == 0) | (t == 1)).all(axis=1) & (t.sum(axis=1) == 1)
        if not one_hot.all():
            i = int(np.argmin(one_hot))
            raise ValueError(f"t must have one-hot rows, got t[{i}]={t[i]!r}")
        labels: NDArray[np.intp] = t.argmax(axis=1)
        return labels
    if t.ndim != 1:
        raise ValueError(
            f"t must be 1-D (labels) or 2-D (one-hot), got t.shape={t.shape!r}"
        )
    if t.shape != (n_samples,):
        raise ValueError(
            f"t must have shape {(n_samples,)!r} (one label per sample), "
            f"got t.shape={t.shape!r}"
        )
    valid = (t >= 0) & (t < n_classes)
    if t.dtype.kind == "f":
        valid &= t == np.floor(t)
    if not valid.all():
        i = int(np.argmin(valid))
        raise ValueError(
            f"t must hold integer labels in range({n_classes}), "
            f"got t[{i}]={t[i].item()!r}"
        )
    return t.astype(np.intp, copy=False)
