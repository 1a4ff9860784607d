"""Framework adapters: torch, optax and TensorFlow clipping as built-in
targets, and calling conventions for users' own framework clippers.

A built-in target is a framework's own function in the canonical form the
invariants call (``f(grads, max_norm)`` in place for ``clip``,
``f(grads, clip_value)`` for ``value``, ``f(grads) -> float`` for ``norm``),
named by the framework: ``gradclip verify clip torch``. A form adapts a
user's function written for a framework's tensors to the same canonical
form. Each framework is imported only when one of its targets or forms is
used; a case a framework cannot express raises ``Unsupported``.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gradclip.verify.conventions import Convention, Form, Kind, register

__all__ = [
    "FRAMEWORK_FORMS",
    "TARGETS",
    "Target",
    "builtin_convention",
    "load_target",
]


@dataclass(frozen=True)
class Target:
    """A framework's own function, in a kind's canonical form.

    Attributes:
        name: the target's name on the command line (``torch``).
        kind: ``clip``, ``value`` or ``norm``.
        function: the adapted function the invariants call.
        call: what is called, for the report's header.
        version: the framework's version, for the header.
        precision: how the framework computes, when that matters.
    """

    name: str
    kind: Kind
    function: Callable[..., object]
    call: str
    version: str
    precision: str | None = None


_PREFIX = "gradclip.verify.frameworks."

_TARGETS: dict[str, dict[str, tuple[str, str]]] = {
    "torch": {
        "clip": (
            "clip_grad_norm",
            "torch.nn.utils.clip_grad_norm_(parameters, max_norm), on Parameters "
            "whose .grad share the arrays' memory",
        ),
        "value": (
            "clip_grad_value",
            "torch.nn.utils.clip_grad_value_(parameters, clip_value), on "
            "Parameters whose .grad share the arrays' memory",
        ),
        "norm": ("get_total_norm", "torch.nn.utils.get_total_norm(tensors)"),
        "shard": (
            "clip_grads_with_norm",
            "torch.nn.utils.clip_grads_with_norm_(parameters, max_norm, total_norm), "
            "on Parameters whose .grad share the arrays' memory",
        ),
    },
    "optax": {
        "clip": (
            "clip_by_global_norm",
            "optax.clip_by_global_norm(max_norm).update(grads, state), copied back",
        ),
        "value": ("clip", "optax.clip(clip_value).update(grads, state), copied back"),
        "norm": (
            "global_norm",
            "optax.tree.norm(grads, ord=norm_type), the successor of optax.global_norm",
        ),
    },
    "tensorflow": {
        "clip": (
            "clip_by_global_norm",
            "tf.clip_by_global_norm(tensors, max_norm), copied back",
        ),
        "value": (
            "clip_by_value",
            "tf.clip_by_value(t, -clip_value, clip_value) for each tensor, copied back",
        ),
        "norm": ("global_norm", "tf.linalg.global_norm(tensors)"),
    },
}
_MODULES = {"torch": "torch", "optax": "jax", "tensorflow": "tensorflow"}

TARGETS: dict[str, tuple[str, ...]] = {
    name: tuple(kinds) for name, kinds in _TARGETS.items()
}
"""Each built-in target's name and the kinds it offers."""


def load_target(name: str, kind: Kind) -> Target:
    """Import a framework and return its target for ``kind``.

    Raises:
        KeyError: no built-in target ``name`` offers ``kind``.
        ImportError: the framework is not installed (the message names the
            extra to install).
    """
    function_name, call = _TARGETS[name][kind]
    module = importlib.import_module(_PREFIX + _MODULES[name])
    precision = getattr(module, "precision", None)
    return Target(
        name=name,
        kind=kind,
        function=getattr(module, function_name),
        call=call,
        version=module.version(),
        precision=precision() if precision else None,
    )


def builtin_convention(name: str, kind: Kind) -> Convention:
    """The convention for a built-in target: its function, called as it is.

    The function is already in the kind's canonical form; the frameworks
    whose clipping returns new arrays (optax, TensorFlow) are not in place,
    so the invariants that need that are skipped, and a norm is checked as
    returned only where the framework returns one.

    Raises:
        KeyError: no built-in target ``name`` offers ``kind``.
        ImportError: the framework is not installed.
    """
    target = load_target(name, kind)
    offers = set(_OFFERS[name].get(kind, ()))
    lacks = {
        "in place": f"not in place: {name} returns new arrays (copied back here)",
        "returned norm": f"returns no number: {target.call.split('(')[0]} returns "
        "no norm",
    }
    notes = [f"{target.version}: {target.call}"]
    if target.precision:
        notes.append(target.precision)
    return Convention(
        kind=kind,
        name=name,
        description=f"built-in target {name}",
        implementation=target.function,
        adapted=target.function,
        offers=frozenset(offers),
        lacks={need: why for need, why in lacks.items() if need not in offers},
        notes=tuple(notes),
    )


_OFFERS: dict[str, dict[str, tuple[str, ...]]] = {
    "torch": {
        "clip": ("in place", "returned norm"),
        "value": ("in place",),
        "shard": ("in place",),
    },
    "optax": {},
    "tensorflow": {"clip": ("returned norm",)},
}
"""What each built-in target offers the checks, by kind."""

FRAMEWORK_FORMS: dict[str, tuple[str, ...]] = {
    "torch": ("torch-params", "torch-tensors"),
    "jax": ("jax-pytree",),
    "tensorflow": ("tensorflow",),
}
"""The forms of each framework, for ``--framework``, in the order tried."""


def _lazy(adapter: str) -> Callable[[Any], Any]:
    """``wrap`` for a form whose adapter lives in a framework module."""
    module_name, _, attribute = adapter.partition(":")

    def wrap(implementation: Any) -> Any:
        adapt: Callable[[Any], Any] = getattr(
            importlib.import_module(_PREFIX + module_name), attribute
        )
        return adapt(implementation)

    return wrap


def _register_forms() -> None:
    in_place = frozenset({"in place"})
    described = {
        "torch-params": (
            "torch:parameters_form",
            "in place on torch Parameters whose .grad share the arrays' memory",
            in_place,
        ),
        "torch-tensors": (
            "torch:tensors_form",
            "on torch tensors sharing the arrays' memory (in place, or new "
            "tensors returned and copied back)",
            in_place,
        ),
        "jax-pytree": (
            "jax:pytree_form",
            "on a dict of JAX arrays, returning the new pytree (copied back)",
            frozenset(),
        ),
        "tensorflow": (
            "tensorflow:tensors_form",
            "on a list of TensorFlow tensors, returning the new list (copied back)",
            frozenset(),
        ),
    }
    for name, (adapter, description, offers) in described.items():
        kinds: tuple[Kind, ...] = ("clip", "value", "shard", "norm")
        if name == "torch-params":
            kinds = ("clip", "value", "shard")
        for kind in kinds:
            what = description if kind != "norm" else description.split(" (")[0]
            register(
                Form(
                    kind,
                    name,
                    what,
                    _lazy(adapter),
                    offers if kind != "norm" else frozenset(),
                )
            )


_register_forms()
