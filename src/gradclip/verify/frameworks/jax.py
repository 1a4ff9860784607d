"""JAX and optax: optax's clipping as targets, and users' own pytree clippers.

JAX arrays are immutable values: a clipper returns new gradients, which are
copied back into the case's arrays, zeros and NaN included. The pytree is a
dict with the case's keys; the same array under two keys is two leaves, as
JAX sees it. JAX computes float64 in float32 unless ``jax_enable_x64`` is on:
the built-in targets turn it on (so float64 is checked as float64); for a
user's clipper it is left as the user set it, and when it is off, cases
holding float64 arrays are skipped, with the reason, since JAX never computed
in the dtype the invariants would judge it by. JAX is imported on first use
only, and typed ``Any``.

References:
    optax, ``clip_by_global_norm``:
    https://optax.readthedocs.io/en/latest/api/transformations.html#optax.clip_by_global_norm
    JAX, double precision: https://docs.jax.dev/en/latest/default_dtypes.html
"""

import math
from collections.abc import Callable, Mapping
from typing import Any

from gradclip.verify.conventions import Unsupported
from gradclip.verify.frameworks._arrays import (
    import_framework,
    require_arrays,
    write_back,
)

__all__ = [
    "clip",
    "clip_by_global_norm",
    "global_norm",
    "precision",
    "pytree_form",
    "version",
]

_DTYPES = ("float16", "float32", "float64", "complex64", "complex128")
"""The NumPy dtypes that JAX holds as arrays (64-bit ones with x64 only)."""

_DOUBLE = ("float64", "complex128")


def _jax() -> Any:
    return import_framework("jax", "jax")


def _optax() -> Any:
    jax = _jax()
    jax.config.update("jax_enable_x64", True)
    return import_framework("optax", "jax")


def version() -> str:
    """The versions of JAX and optax that are checked."""
    return f"jax {_jax().__version__}, optax {_optax().__version__}"


def precision() -> str:
    """Say whether JAX computes float64 as float64 here."""
    if _jax().config.jax_enable_x64:
        return "jax_enable_x64 is on: float64 is computed in float64"
    return (
        "jax_enable_x64 is off: JAX computes float64 in float32, so cases with "
        "float64 arrays are skipped (turn it on to check them)"
    )


def _pytree(grads: Mapping[str, object]) -> dict[str, Any]:
    """The case's arrays as a dict of JAX arrays, or Unsupported."""
    jax = _jax()
    arrays = require_arrays(grads, "JAX", _DTYPES)
    double = any(a.dtype.name in _DOUBLE for a in arrays.values())
    if double and not jax.config.jax_enable_x64:
        raise Unsupported("jax_enable_x64 is off: JAX would compute float64 in float32")
    return {key: jax.numpy.asarray(array) for key, array in arrays.items()}


def _write_back(grads: Mapping[str, Any], new: object) -> None:
    if not isinstance(new, Mapping) or sorted(new) != sorted(grads):  # JAX sorts
        raise AssertionError(
            f"returned {type(new).__name__} {new!r:.80}, not the pytree given "
            f"(a dict with keys {list(grads)})"
        )
    for key, array in grads.items():
        write_back(array, new[key], f"grads[{key!r}]")


def _number(value: object) -> object:
    """A 0-d JAX array as a Python number; anything else as it is."""
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        number: object = value.item()
        return number
    return value


def clip_by_global_norm(grads: dict[str, Any], max_norm: float) -> None:
    """``optax.clip_by_global_norm(max_norm)``'s update, copied back into the arrays."""
    optax = _optax()
    tree = _pytree(grads)
    transform = optax.clip_by_global_norm(max_norm)
    updates, _ = transform.update(tree, transform.init(tree))
    _write_back(grads, updates)


def clip(grads: dict[str, Any], clip_value: float) -> None:
    """``optax.clip(clip_value)``'s update, copied back into the arrays."""
    optax = _optax()
    tree = _pytree(grads)
    transform = optax.clip(clip_value)
    updates, _ = transform.update(tree, transform.init(tree))
    _write_back(grads, updates)


def global_norm(grads: dict[str, Any], norm_type: float = 2.0) -> object:
    """``optax.tree.norm`` of the arrays, as a Python float (p = 1, 2 or inf).

    ``optax.global_norm`` is deprecated and calls ``optax.tree.norm`` for the
    2-norm.
    """
    optax = _optax()
    if norm_type not in (1, 2, math.inf):
        raise Unsupported(f"optax.tree.norm has no norm_type={norm_type!r}")
    return _number(optax.tree.norm(_pytree(grads), ord=norm_type))


def pytree_form(clipper: Callable[..., object]) -> Callable[..., object]:
    """Adapt ``clipper(grads, *args)`` that takes a pytree and returns a new one.

    The pytree is a dict of JAX arrays with the case's keys; the clipper
    returns the clipped pytree, or a tuple of it and the norm (a 0-d array is
    returned as a Python number), or only a number (a global norm).
    """

    def canonical(grads: dict[str, Any], *args: Any, **kwargs: Any) -> object:
        tree = _pytree(grads)
        returned = clipper(tree, *args, **kwargs)
        if isinstance(returned, tuple) and len(returned) == 2:
            new, norm = returned
            _write_back(grads, new)
            return _number(norm)
        if isinstance(returned, Mapping):
            _write_back(grads, returned)
            return None
        return _number(returned)

    return canonical
