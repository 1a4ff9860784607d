"""What every framework adapter shares: refusing cases it cannot express,
and writing a framework's results back into the NumPy arrays they came from.

A framework's tensors are not NumPy arrays: some cases the invariants draw
(a list standing for an array, a read-only array, an integer array, a dtype
the framework lacks, a non-native byte order) have no counterpart there. An
adapter raises ``Unsupported`` for such a case, so that it is skipped with its
reason rather than charged to the framework as a failure.
"""

import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradclip.verify.conventions import Unsupported

__all__ = [
    "expect_count",
    "import_framework",
    "require_arrays",
    "split_returned",
    "write_back",
]


def import_framework(module: str, extra: str) -> Any:
    """Import a framework module, or raise ImportError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{module} is not installed: pip install 'gradclip[{extra}]' ({error})"
        ) from None


def require_arrays(
    grads: Mapping[str, object],
    framework: str,
    dtypes: Iterable[str],
    *,
    same_dtype: bool = False,
) -> dict[str, NDArray[Any]]:
    """Return ``grads`` if the framework can hold each entry, else raise Unsupported.

    Args:
        grads: the case's gradients.
        framework: the framework's name, for the reason.
        dtypes: the NumPy dtype names the framework's clipping accepts.
        same_dtype: the framework cannot mix dtypes in one call.

    Raises:
        Unsupported: an entry is not a writeable, native-byte-order array of
            one of ``dtypes``,
            or, with ``same_dtype``, the arrays' dtypes differ.
    """
    accepted = set(dtypes)
    arrays: dict[str, NDArray[Any]] = {}
    for key, value in grads.items():
        if not isinstance(value, np.ndarray):
            raise Unsupported(
                f"{framework} takes tensors, not a {type(value).__name__} "
                f"(grads[{key!r}])"
            )
        if value.dtype.name not in accepted:
            raise Unsupported(
                f"{framework} has no {value.dtype} gradients here (grads[{key!r}]); "
                f"it takes {', '.join(sorted(accepted))}"
            )
        if not value.dtype.isnative:
            raise Unsupported(
                f"{framework} tensors have native byte order only (grads[{key!r}] "
                f"is {value.dtype.str})"
            )
        if not value.flags.writeable:
            raise Unsupported(
                f"{framework} tensors have no read-only flag (grads[{key!r}])"
            )
        arrays[key] = value
    kinds = {array.dtype.name for array in arrays.values()}
    if same_dtype and len(kinds) > 1:
        raise Unsupported(
            f"{framework} cannot mix dtypes in one call: {', '.join(sorted(kinds))}"
        )
    return arrays


def write_back(array: NDArray[Any], result: object, where: str) -> None:
    """Copy a framework's result into ``array`` exactly, zeros and NaN included.

    Raises:
        AssertionError: the result does not fit the array (another shape, or a
            complex result for a real array); it is the implementation's fault.
    """
    values = np.asarray(result)
    if values.shape != array.shape:
        raise AssertionError(
            f"{where} came back with shape {values.shape}, not {array.shape}"
        )
    try:
        np.copyto(array, values, casting="same_kind")
    except TypeError:
        raise AssertionError(
            f"{where} came back as {values.dtype}, which does not fit {array.dtype}"
        ) from None


def split_returned(returned: object) -> tuple[Sequence[Any] | None, object]:
    """Split what a functional clipper returned into new gradients and the rest.

    A list, or a tuple whose first item is a list or tuple, holds the new
    gradients (``clipped``, or ``(clipped, norm)`` as ``tf.clip_by_global_norm``
    returns); anything else returned is left as the rest.
    """
    if (
        isinstance(returned, tuple)
        and len(returned) == 2
        and isinstance(returned[0], list | tuple)
    ):
        return returned[0], returned[1]
    if isinstance(returned, list | tuple):
        return returned, None
    return None, returned


def expect_count(values: Sequence[Any], count: int) -> Sequence[Any]:
    """Return ``values`` if there are ``count``, else fail the implementation."""
    if len(values) != count:
        raise AssertionError(f"returned {len(values)} gradients for {count}")
    return values
