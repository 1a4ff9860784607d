"""PyTorch: its clipping functions as targets, and users' own torch clippers.

Every array of a case becomes a tensor sharing its memory
(``torch.from_numpy``), so that what torch writes is what the invariants
read; an array torch cannot share (negative strides) is copied, and whatever
torch left in the copy is copied back, zeros and NaN included. The same array
under two keys is the same tensor (the same ``Parameter``) listed twice, as a
model with tied weights lists it. torch is imported on first use only, and
typed ``Any``: it is not installed where ``mypy`` runs.

References:
    PyTorch, ``torch.nn.utils.clip_grad_norm_``:
    https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from numpy.typing import NDArray

from gradclip.verify.frameworks._arrays import (
    expect_count,
    import_framework,
    require_arrays,
    split_returned,
    write_back,
)

__all__ = [
    "clip_grad_norm",
    "clip_grad_value",
    "clip_grads_with_norm",
    "get_total_norm",
    "parameters_form",
    "tensors_form",
    "version",
]

_DTYPES = ("float16", "float32", "float64", "complex64", "complex128")
"""The NumPy dtypes that torch holds as gradients."""


def _torch() -> Any:
    return import_framework("torch", "torch")


def version() -> str:
    """The version of torch that is checked."""
    return f"torch {_torch().__version__}"


class _Tensors:
    """The arrays of ``grads`` as tensors, in key order."""

    def __init__(self, torch: Any, grads: Mapping[str, object]) -> None:
        self.arrays = require_arrays(grads, "torch", _DTYPES)
        self.tensors: dict[str, Any] = {}
        self.shared: set[int] = set()  # ids of tensors sharing an array's memory
        made: dict[int, Any] = {}
        for key, array in self.arrays.items():
            if id(array) not in made:
                made[id(array)] = self._tensor(torch, array)
            self.tensors[key] = made[id(array)]

    def _tensor(self, torch: Any, array: NDArray[Any]) -> Any:
        try:
            tensor = torch.from_numpy(array)
        except ValueError:  # negative strides: torch cannot share them
            return torch.from_numpy(array.copy())
        self.shared.add(id(tensor))
        return tensor

    def write_back(self, results: Mapping[str, Any]) -> None:
        """Copy into each array the tensor torch left for it, unless shared."""
        for key, array in self.arrays.items():
            result = results[key]
            if result is None:
                raise AssertionError(f"the gradient of grads[{key!r}] became None")
            if result is self.tensors[key] and id(result) in self.shared:
                continue
            write_back(array, result.detach().cpu().numpy(), f"grads[{key!r}]")


@contextmanager
def _parameters(grads: Mapping[str, object]) -> Iterator[list[Any]]:
    """Yield one ``Parameter`` per key whose ``.grad`` is its array's tensor."""
    torch = _torch()
    tensors = _Tensors(torch, grads)
    made: dict[int, Any] = {}
    params = []
    for tensor in tensors.tensors.values():
        if id(tensor) not in made:
            param = torch.nn.Parameter(torch.empty_like(tensor))
            param.grad = tensor
            made[id(tensor)] = param
        params.append(made[id(tensor)])
    try:
        yield params
    finally:
        keys = list(tensors.tensors)
        tensors.write_back(
            {key: param.grad for key, param in zip(keys, params, strict=True)}
        )


@contextmanager
def _tensor_list(grads: Mapping[str, object]) -> Iterator[tuple[list[Any], list[Any]]]:
    """Yield the arrays' tensors in key order, and a list of what to copy back.

    The second list starts as the tensors themselves; replace its entries by
    the tensors a clipper returns, and those are copied back instead.
    """
    tensors = _Tensors(_torch(), grads)
    given = list(tensors.tensors.values())
    results = list(given)
    try:
        yield given, results
    finally:
        tensors.write_back(dict(zip(tensors.tensors, results, strict=True)))


def _number(value: object) -> object:
    """A 0-d tensor as a Python number; anything else as it is."""
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        number: object = value.item()
        return number
    return value


def clip_grad_norm(grads: dict[str, Any], max_norm: float, **options: Any) -> object:
    """``torch.nn.utils.clip_grad_norm_`` on Parameters whose .grad are the arrays.

    Returns:
        The norm torch returns, as a Python float.
    """
    with _parameters(grads) as params:
        norm = _torch().nn.utils.clip_grad_norm_(params, max_norm, **options)
    return _number(norm)


def clip_grads_with_norm(
    grads: dict[str, Any], max_norm: float, total_norm: float, **options: Any
) -> None:
    """``torch.nn.utils.clip_grads_with_norm_`` on Parameters whose .grad are
    the arrays, given the norm (a 0-d float64 tensor)."""
    torch = _torch()
    norm = torch.tensor(total_norm, dtype=torch.float64)
    with _parameters(grads) as params:
        torch.nn.utils.clip_grads_with_norm_(params, max_norm, norm, **options)


def clip_grad_value(grads: dict[str, Any], clip_value: float, **options: Any) -> None:
    """``torch.nn.utils.clip_grad_value_`` on Parameters whose .grad are the arrays."""
    with _parameters(grads) as params:
        _torch().nn.utils.clip_grad_value_(params, clip_value, **options)


def get_total_norm(grads: dict[str, Any], **options: Any) -> object:
    """``torch.nn.utils.get_total_norm`` of the arrays' tensors, as a Python float."""
    with _tensor_list(grads) as (tensors, _):
        norm = _torch().nn.utils.get_total_norm(tensors, **options)
    return _number(norm)


def parameters_form(clipper: Callable[..., object]) -> Callable[..., object]:
    """Adapt ``clipper(parameters, *args)``, which works on each ``.grad``.

    The clipper gets a list of ``torch.nn.Parameter`` in key order, as from
    ``model.parameters()``; it may scale each ``.grad`` in place or assign a
    new one. A returned tensor (the norm) is returned as a Python number.
    """

    def canonical(grads: dict[str, Any], *args: Any, **kwargs: Any) -> object:
        with _parameters(grads) as params:
            returned = clipper(params, *args, **kwargs)
        return None if returned is params else _number(returned)

    return canonical


def tensors_form(clipper: Callable[..., object]) -> Callable[..., object]:
    """Adapt ``clipper(tensors, *args)`` on a list of gradient tensors.

    The clipper may scale the tensors in place, or return new ones (a list,
    or a tuple of a list and the norm), which are copied back into the arrays.
    A returned tensor (the norm) is returned as a Python number.
    """

    def canonical(grads: dict[str, Any], *args: Any, **kwargs: Any) -> object:
        with _tensor_list(grads) as (tensors, results):
            new, returned = split_returned(clipper(tensors, *args, **kwargs))
            if new is not None and new is not tensors:
                results[:] = expect_count(new, len(tensors))
        return _number(returned)

    return canonical
