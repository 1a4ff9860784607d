"""TensorFlow: its clipping functions as targets, and users' own TF clippers.

TensorFlow's tensors are immutable: each array is converted to a tensor, and
the tensors a function returns are copied back into the arrays, zeros and
NaN included. ``tf.clip_by_global_norm`` and ``tf.linalg.global_norm`` take
one real dtype per call (complex tensors and mixed dtypes raise
``InvalidArgumentError`` inside TensorFlow): such cases are skipped, with the
reason. TensorFlow is imported on first use only, and typed ``Any``.

References:
    TensorFlow, ``tf.clip_by_global_norm``:
    https://www.tensorflow.org/api_docs/python/tf/clip_by_global_norm
"""

from collections.abc import Callable, Mapping
from typing import Any

from gradclip.verify.conventions import Unsupported
from gradclip.verify.frameworks._arrays import (
    expect_count,
    import_framework,
    require_arrays,
    split_returned,
    write_back,
)

__all__ = [
    "clip_by_global_norm",
    "clip_by_value",
    "global_norm",
    "tensors_form",
    "version",
]

_REAL = ("float16", "float32", "float64")
"""The NumPy dtypes of TensorFlow's norm-clipping functions (one per call)."""

_DTYPES = (*_REAL, "complex64", "complex128")
"""The NumPy dtypes that TensorFlow holds as tensors."""


def _tf() -> Any:
    return import_framework("tensorflow", "tensorflow")


def version() -> str:
    """The version of TensorFlow that is checked."""
    return f"tensorflow {_tf().__version__}"


def _tensors(grads: Mapping[str, object], *, real_only: bool) -> list[Any]:
    tf = _tf()
    arrays = require_arrays(
        grads, "TensorFlow", _REAL if real_only else _DTYPES, same_dtype=real_only
    )
    return [tf.convert_to_tensor(array) for array in arrays.values()]


def _write_back(grads: Mapping[str, Any], new: object) -> None:
    if not isinstance(new, list | tuple):
        raise AssertionError(f"returned {type(new).__name__}, not a list of tensors")
    expect_count(new, len(grads))
    for (key, array), tensor in zip(grads.items(), new, strict=True):
        write_back(array, tensor.numpy(), f"grads[{key!r}]")


def _number(value: object) -> object:
    """A 0-d tensor as a Python number; anything else as it is."""
    if getattr(value, "shape", None) == () and hasattr(value, "numpy"):
        number: object = value.numpy().item()
        return number
    return value


def clip_by_global_norm(grads: dict[str, Any], max_norm: float) -> object:
    """``tf.clip_by_global_norm``, copied back into the arrays; returns its norm."""
    clipped, norm = _tf().clip_by_global_norm(_tensors(grads, real_only=True), max_norm)
    _write_back(grads, clipped)
    return _number(norm)


def clip_by_value(grads: dict[str, Any], clip_value: float) -> None:
    """``tf.clip_by_value(t, -clip_value, clip_value)`` on each array."""
    tf = _tf()
    tensors = _tensors(grads, real_only=False)
    _write_back(grads, [tf.clip_by_value(t, -clip_value, clip_value) for t in tensors])


def global_norm(grads: dict[str, Any], norm_type: float = 2.0) -> object:
    """``tf.linalg.global_norm`` of the arrays, as a Python float (the 2-norm only)."""
    if norm_type != 2:
        raise Unsupported("tf.linalg.global_norm computes the 2-norm only")
    return _number(_tf().linalg.global_norm(_tensors(grads, real_only=True)))


def tensors_form(clipper: Callable[..., object]) -> Callable[..., object]:
    """Adapt ``clipper(tensors, *args)`` on a list of tensors, returning new ones.

    The clipper returns a list of clipped tensors, or a tuple of it and the
    norm, as ``tf.clip_by_global_norm`` does, or only a number (a global
    norm); a 0-d tensor is returned as a Python number.
    """

    def canonical(grads: dict[str, Any], *args: Any, **kwargs: Any) -> object:
        tensors = _tensors(grads, real_only=False)
        new, returned = split_returned(clipper(tensors, *args, **kwargs))
        if new is not None:
            _write_back(grads, new)
        return _number(returned)

    return canonical
