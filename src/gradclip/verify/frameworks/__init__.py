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

__all__ = ["FORMS", "TARGETS", "Form", "Target", "load_target"]


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
    kind: str
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


def load_target(name: str, kind: str) -> Target:
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


@dataclass(frozen=True)
class Form:
    """A calling convention of a framework, for users' own functions.

    Attributes:
        name: the form's name.
        framework: the framework it belongs to (``--framework``).
        description: how the function is called, for the report's header.
        adapter: where ``wrap(function)`` lives, as ``MODULE:ATTR``.
    """

    name: str
    framework: str
    description: str
    adapter: str

    def wrap(self, function: Callable[..., object]) -> Callable[..., object]:
        """Adapt ``function`` to the canonical form (imports the framework)."""
        module_name, _, attribute = self.adapter.partition(":")
        adapt: Callable[[Callable[..., object]], Callable[..., object]] = getattr(
            importlib.import_module(module_name), attribute
        )
        return adapt(function)


FORMS: tuple[Form, ...] = (
    Form(
        "torch-parameters",
        "torch",
        "torch: a list of Parameters whose .grad share the arrays' memory",
        _PREFIX + "torch:parameters_form",
    ),
    Form(
        "torch-tensors",
        "torch",
        "torch: a list of tensors sharing the arrays' memory, scaled in place "
        "or returned",
        _PREFIX + "torch:tensors_form",
    ),
    Form(
        "jax-pytree",
        "jax",
        "JAX: a dict of JAX arrays; the new pytree (and norm) returned, copied back",
        _PREFIX + "jax:pytree_form",
    ),
    Form(
        "tensorflow-tensors",
        "tensorflow",
        "TensorFlow: a list of tensors; the new list (and norm) returned, copied back",
        _PREFIX + "tensorflow:tensors_form",
    ),
)
"""Every framework form, in the order detection tries them."""
