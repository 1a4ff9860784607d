"""Calling conventions: how an implementation is called, detected, never guessed.

The invariants call one canonical form per kind: a clipper as
``f(grads: dict, max_norm)`` scaling the dict's own arrays in place and
returning the number the implementation returned (or None), a value clipper
as ``f(grads: dict, clip_value)``, a shard clipper as ``f(grads: dict,
max_norm, total_norm)``, a global norm as ``f(grads: dict) -> number`` and a
net as the book's ``Net(input_size, hidden_size, output_size)`` taking class
labels. A :class:`Form` wraps an implementation written another way (on a
list, on ``(name, array)`` pairs, on objects with ``.grad``, returning new
arrays, taking one-hot targets only) into that canonical form.

:func:`detect` tries each registered form of a kind on a tiny ordinary case
and picks the first that works; :func:`register` adds forms (the framework
adapters in ``gradclip.verify.frameworks`` register theirs), so no edit of
this module is needed to add one.

Which return values count: ``None``, the grads themselves (the structure
passed in, or new arrays in that structure), a number, or a pair of grads
and a number (TensorFlow's ``(clipped, norm)``). A returned number is
checked as the norm before clipping by the ``return`` tier, outside
``core``; anything else that is returned is reported there as not a number,
and when the probe returns no number those invariants are skipped.

This module needs NumPy alone.
"""

import importlib
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FORMS",
    "Convention",
    "ConventionError",
    "Form",
    "Kind",
    "Unsupported",
    "detect",
    "register",
]

Kind = Literal["clip", "value", "norm", "shard", "net"]
"""What is checked: a clipper by global norm, an element-wise clipper, a
global norm, a shard clipper given the norm, or a two-layer net."""

KINDS: tuple[Kind, ...] = get_args(Kind)


class Unsupported(Exception):  # a verdict on a case, not an error
    """A case does not apply to the implementation: it is rejected, not failed.

    Raised by an adapter (a framework lacking a dtype, a net without
    ``numerical_gradient``) or a check. An invariant whose every case is
    rejected is reported as SKIP with the reason.

    Attributes:
        reason: why the case does not apply, in a few words.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConventionError(Exception):
    """No calling convention works: each attempt and what it raised.

    Attributes:
        kind: the kind that was detected.
        attempts: ``(form name, what went wrong)`` for each form tried.
    """

    def __init__(self, kind: Kind, attempts: Sequence[tuple[str, str]]) -> None:
        self.kind = kind
        self.attempts = tuple(attempts)
        lines = [f"no calling convention for {kind} works; tried:"]
        lines += [f"  {name}: {problem}" for name, problem in self.attempts]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Form:
    """One way to call an implementation of a kind.

    Attributes:
        kind: the kind it belongs to.
        name: its ``--form`` value, such as ``"list"``.
        description: how it calls, for the report's header, such as
            ``"in place on a list"``.
        wrap: turns the implementation into the kind's canonical form.
        offers: what the form offers the checks (``"in place"`` for forms
            that scale the caller's arrays themselves).
    """

    kind: Kind
    name: str
    description: str
    wrap: Callable[[Any], Any]
    offers: frozenset[str] = field(default_factory=frozenset)


FORMS: list[Form] = []
"""Every registered form, tried by :func:`detect` in this order."""


def register(form: Form, *, before: str | None = None) -> None:
    """Add a form to those :func:`detect` tries.

    Args:
        form: the form; its ``(kind, name)`` must be new.
        before: the name of a form of the same kind to try it before;
            None to try it after every registered one.

    Raises:
        ValueError: the name is taken, or ``before`` names no form.
    """
    if any((f.kind, f.name) == (form.kind, form.name) for f in FORMS):
        raise ValueError(f"a {form.kind} form named {form.name!r} is registered")
    if before is None:
        FORMS.append(form)
        return
    for position, existing in enumerate(FORMS):
        if (existing.kind, existing.name) == (form.kind, before):
            FORMS.insert(position, form)
            return
    raise ValueError(f"before must name a {form.kind} form, got before={before!r}")


@dataclass(frozen=True)
class Convention:
    """The calling convention detected for an implementation.

    Attributes:
        kind: what is checked.
        name: the form's ``--form`` value.
        description: how the implementation is called and what its return
            value counts as, for the report's header.
        implementation: the implementation as given.
        adapted: the implementation in the kind's canonical form.
        offers: what the checks may rely on (see ``Invariant.needs``).
        lacks: for each thing not offered, the reason, as reported on SKIP.
        notes: what detection found and chose, one sentence each.
    """

    kind: Kind
    name: str
    description: str
    implementation: Any
    adapted: Any
    offers: frozenset[str]
    lacks: Mapping[str, str]
    notes: tuple[str, ...] = ()

    def missing(self, needs: Iterable[str]) -> str | None:
        """The reason a check needing ``needs`` does not apply, or None."""
        for need in sorted(needs):
            if need not in self.offers:
                return self.lacks.get(need, f"{need} not offered")
        return None


# What a returned value counts as.


def is_number(value: object) -> bool:
    """Whether ``value`` is a real number: a Python or NumPy scalar, or a 0-d array."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, numbers.Real)


def _is_grads(value: object) -> bool:
    """Whether ``value`` looks like gradients: a mapping or sequence of arrays."""
    if isinstance(value, Mapping):
        return True
    if isinstance(value, list | tuple):
        return all(not is_number(item) for item in value)
    return False


def returned_number(returned: object, given: object) -> object:
    """What a returned value says the norm is: a number, None, or itself.

    None and the grads give None; a number, or the number of a pair
    ``(grads, number)``, gives that number; anything else is returned as
    it is, for the returned-norm check to report.
    """
    if returned is None or returned is given:
        return None
    if is_number(returned):
        return returned
    if (
        isinstance(returned, tuple | list)
        and len(returned) == 2
        and is_number(returned[1])
        and not is_number(returned[0])
    ):
        return returned[1]
    if _is_grads(returned):
        return None
    return returned


# Containers: how a dict of the invariants' arrays is handed to the
# implementation, and how its arrays are read back.


class GradHolder:
    """A parameter object whose ``.grad`` holds an array, as frameworks have.

    Attributes:
        name: the gradient's key.
        grad: the array.
    """

    __slots__ = ("grad", "name")

    def __init__(self, name: str, grad: NDArray[Any]) -> None:
        self.name = name
        self.grad = grad

    def __repr__(self) -> str:
        return f"GradHolder({self.name!r}, {self.grad!r})"


@dataclass(frozen=True)
class _Container:
    name: str
    what: str
    present: Callable[[dict[str, Any]], Any]
    read: Callable[[Any, list[str]], list[Any]]


def _read_dict(given: Any, keys: list[str]) -> list[Any]:
    return [given.get(key) for key in keys]


def _read_list(given: Any, keys: list[str]) -> list[Any]:
    return list(given)


def _read_pairs(given: Any, keys: list[str]) -> list[Any]:
    return [
        pair[1] if isinstance(pair, tuple) and len(pair) == 2 else pair
        for pair in given
    ]


def _read_holders(given: Any, keys: list[str]) -> list[Any]:
    return [holder.grad for holder in given]


_DICT = _Container("dict", "a dict", lambda grads: grads, _read_dict)
_LIST = _Container("list", "a list", lambda grads: list(grads.values()), _read_list)
_PAIRS = _Container(
    "pairs",
    "a list of (name, array) pairs",
    lambda grads: list(grads.items()),
    _read_pairs,
)
_PARAMS = _Container(
    "params",
    "a list of objects whose .grad holds the array",
    lambda grads: [GradHolder(key, value) for key, value in grads.items()],
    _read_holders,
)


def _reflect(grads: dict[str, Any], arrays: list[Any]) -> None:
    """Put entries the implementation replaced back into the dict, for the
    checks to see (a replaced entry is not clipping in place)."""
    keys = list(grads)
    if len(arrays) != len(keys):
        raise AssertionError(
            f"the gradients went from {len(keys)} entries to {len(arrays)}"
        )
    for key, now in zip(keys, arrays, strict=True):
        if now is not grads[key]:
            grads[key] = now


def _in_place(
    container: _Container, impl: Callable[..., object]
) -> Callable[..., object]:
    def adapted(grads: dict[str, Any], *args: Any, **kwargs: Any) -> object:
        given = container.present(grads)
        returned = impl(given, *args, **kwargs)
        if container is not _DICT:
            _reflect(grads, container.read(given, list(grads)))
        return returned_number(returned, given)

    return adapted


def _reading(
    container: _Container, impl: Callable[..., object]
) -> Callable[..., object]:
    def adapted(grads: dict[str, Any], *args: Any, **kwargs: Any) -> object:
        return impl(container.present(grads), *args, **kwargs)

    return adapted


def _new_arrays(returned: object, container: _Container, keys: list[str]) -> list[Any]:
    """The new arrays a functional implementation returned, in key order."""
    grads = returned
    if isinstance(returned, tuple) and len(returned) == 2 and is_number(returned[1]):
        grads = returned[0]
    if container is _DICT:
        if not isinstance(grads, Mapping):
            raise AssertionError(
                f"returned {type(grads).__name__}, not a dict of arrays"
            )
        missing = [key for key in keys if key not in grads]
        if missing:
            raise AssertionError(f"the returned dict lacks the keys {missing}")
        return [grads[key] for key in keys]
    if not isinstance(grads, list | tuple) or len(grads) != len(keys):
        raise AssertionError(
            f"returned {type(grads).__name__}, not a list of {len(keys)} arrays"
        )
    return list(grads)


def _functional(
    container: _Container, impl: Callable[..., object]
) -> Callable[..., object]:
    def adapted(grads: dict[str, Any], *args: Any, **kwargs: Any) -> object:
        given = container.present(grads)
        returned = impl(given, *args, **kwargs)
        keys = list(grads)
        news = _new_arrays(returned, container, keys)
        written: set[int] = set()
        for key, new in zip(keys, news, strict=True):
            old = grads[key]
            if id(old) in written:
                continue  # an array under two keys is written once
            written.add(id(old))
            new = np.asarray(new)
            if new.shape != old.shape:
                raise AssertionError(
                    f"returned grads[{key!r}] of shape {new.shape}, given {old.shape}"
                )
            if new is not old and not np.shares_memory(new, old):
                # A NumPy promotion (float32 times a float64 scalar) is
                # rounded back to the array's own dtype.
                np.copyto(old, new, casting="same_kind")
        return returned_number(returned, given)

    return adapted


_GRADS_KINDS: tuple[Kind, ...] = ("clip", "value", "shard")


def _register_grads_forms() -> None:
    for kind in _GRADS_KINDS:
        for container in (_DICT, _LIST, _PAIRS, _PARAMS):
            register(
                Form(
                    kind,
                    container.name,
                    f"in place on {container.what}",
                    partial(_in_place, container),
                    frozenset({"in place"}),
                )
            )
        for container, name in ((_DICT, "functional"), (_LIST, "functional-list")):
            register(
                Form(
                    kind,
                    name,
                    f"returns new arrays for {container.what} (functional)",
                    partial(_functional, container),
                )
            )
    for container in (_DICT, _LIST, _PAIRS, _PARAMS):
        register(
            Form(
                "norm",
                container.name,
                f"reads {container.what}",
                partial(_reading, container),
            )
        )


# Nets: class labels, or one-hot targets only.


def _one_hot(t: object, classes: int, ndim: int) -> object:
    """One-hot rows for valid class labels; anything else as it is."""
    array = np.asarray(t)
    if array.ndim != ndim - 1 or array.dtype.kind not in "iuf" or array.size == 0:
        return t
    if not np.all(np.isfinite(array)):
        return t
    labels = array.astype(np.int64)
    if np.any(labels != array) or np.any(labels < 0) or np.any(labels >= classes):
        return t
    return np.eye(classes, dtype=np.int64)[labels]


class _OneHotNet:
    """A net that takes one-hot targets, given class labels as one-hot rows."""

    def __init__(self, net: Any, classes: int) -> None:
        self.net = net
        self.classes = classes

    @property
    def params(self) -> Any:
        return self.net.params

    def _t(self, x: Any, t: object) -> object:
        return _one_hot(t, self.classes, np.ndim(x))

    def predict(self, x: Any) -> Any:
        return self.net.predict(x)

    def loss(self, x: Any, t: Any) -> Any:
        return self.net.loss(x, self._t(x, t))

    def accuracy(self, x: Any, t: Any) -> Any:
        return self.net.accuracy(x, self._t(x, t))

    def gradient(self, x: Any, t: Any) -> Any:
        return self.net.gradient(x, self._t(x, t))

    def numerical_gradient(self, x: Any, t: Any) -> Any:
        method = getattr(self.net, "numerical_gradient", None)
        if method is None:
            raise Unsupported("numerical_gradient not offered")
        return method(x, self._t(x, t))


def _one_hot_factory(impl: Callable[..., Any]) -> Callable[..., Any]:
    def factory(input_size: int, hidden_size: int, output_size: int, *args: Any) -> Any:
        return _OneHotNet(
            impl(input_size, hidden_size, output_size, *args), output_size
        )

    return factory


def _register_net_forms() -> None:
    register(
        Form(
            "net",
            "labels",
            "class labels (one-hot targets checked to agree)",
            lambda impl: impl,
            frozenset({"labels"}),
        )
    )
    register(
        Form(
            "net",
            "one-hot",
            "one-hot targets everywhere (class labels given as one-hot rows)",
            _one_hot_factory,
        )
    )


_register_grads_forms()
_register_net_forms()


# Detection.


def _probe_grads() -> dict[str, NDArray[np.float64]]:
    """Gradients of norm 13 that no unpacking into two mistakes for a pair:
    neither array, nor any key, has a first axis of two."""
    return {"weight": np.array([[3.0, 0.0, 4.0]]), "bias": np.array([12.0])}


@dataclass(frozen=True)
class _Trial:
    effect: bool
    offers: frozenset[str] = frozenset()
    lacks: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _probe_in_place(kind: Kind, adapted: Callable[..., object]) -> _Trial:
    """Call on gradients of norm 13 with max_norm 1; if that changes nothing,
    also with max_norm 100, where a wrong clipper may act all the same."""
    args: tuple[float, ...] = {"clip": (1.0,), "value": (1.0,), "shard": (1.0, 13.0)}[
        kind
    ]
    returned, effect = _call_probe(adapted, args)
    if not effect:
        quiet = {"clip": (100.0,), "value": (100.0,), "shard": (100.0, 13.0)}[kind]
        effect = _call_probe(adapted, quiet)[1]
    if kind != "clip":
        return _Trial(effect)
    holds = returned is not None
    lacks = {} if holds else {"returned norm": "returns no number"}
    return _Trial(
        effect,
        offers=frozenset({"returned norm"}) if holds else frozenset(),
        lacks=lacks,
    )


def _call_probe(
    adapted: Callable[..., object], args: tuple[float, ...]
) -> tuple[object, bool]:
    """The adapted call's return value, and whether it changed any array."""
    grads = _probe_grads()
    before = {key: value.copy() for key, value in grads.items()}
    returned = adapted(grads, *args)
    effect = any(
        not np.array_equal(before[key], np.asarray(value))
        for key, value in grads.items()
    )
    return returned, effect


def _probe_norm(adapted: Callable[..., object]) -> _Trial:
    returned = adapted(_probe_grads())
    if not is_number(returned):
        raise TypeError(f"returned {type(returned).__name__}, not a number")
    return _Trial(effect=math.isclose(float(returned), 13.0, rel_tol=1e-6))  # type: ignore[arg-type]  # is_number checked it is real


_PROBE_SIZES = (4, 5, 3)
"""A probe net's sizes: a batch of 2 against 3 classes, so that labels
mistaken for one-hot rows cannot broadcast silently."""


def _probe_problem() -> tuple[
    dict[str, NDArray[np.float64]], NDArray[np.float64], NDArray[np.int64]
]:
    rng = np.random.default_rng(0)
    sizes = _PROBE_SIZES
    params = {
        "W1": rng.uniform(-0.3, 0.3, sizes[:2]),
        "b1": rng.uniform(-0.3, 0.3, sizes[1]),
        "W2": rng.uniform(-0.3, 0.3, sizes[1:]),
        "b2": rng.uniform(-0.3, 0.3, sizes[2]),
    }
    x = rng.uniform(-1, 1, (2, sizes[0]))
    return params, x, np.array([0, 2])


def _net_results(
    factory: Callable[..., Any], t: object
) -> tuple[Any, float, dict[str, Any]]:
    params, x, _ = _probe_problem()
    net = factory(*_PROBE_SIZES)
    for key, value in params.items():
        if key not in net.params:
            raise KeyError(f"params has no {key!r}, only {sorted(net.params)}")
        net.params[key][...] = value
    loss = float(net.loss(x, t))
    grads = {key: np.array(value) for key, value in net.gradient(x, t).items()}
    return net, loss, grads


def _disagreement(
    labels: tuple[float, dict[str, Any]], one_hot: tuple[float, dict[str, Any]]
) -> str | None:
    (loss, grads), (loss_1h, grads_1h) = labels, one_hot
    if not math.isclose(loss, loss_1h, rel_tol=1e-9, abs_tol=1e-12):
        return f"loss {loss!r} for class labels, {loss_1h!r} for one-hot targets"
    if set(grads) != set(grads_1h):
        return (
            f"gradient keys {sorted(grads)} for labels, {sorted(grads_1h)} for one-hot"
        )
    for key, value in grads.items():
        other = grads_1h[key]
        if np.shape(value) != np.shape(other) or not np.allclose(
            value, other, rtol=1e-9, atol=1e-12
        ):
            return f"gradient {key} differs between class labels and one-hot targets"
    return None


def _probe_net(form: Form, adapted: Callable[..., Any]) -> _Trial:
    _, _, labels = _probe_problem()
    one_hot = np.eye(_PROBE_SIZES[2], dtype=np.int64)[labels]
    net, loss, grads = _net_results(adapted, labels)
    offers: set[str] = set()
    lacks: dict[str, str] = {}
    notes: list[str] = []
    inner = getattr(net, "net", net) if form.name == "one-hot" else net
    if callable(getattr(inner, "numerical_gradient", None)):
        offers.add("numerical_gradient")
    else:
        lacks["numerical_gradient"] = "numerical_gradient not offered"
        notes.append("no numerical_gradient method: its invariant is skipped")
    if "labels" in form.offers:
        _, loss_1h, grads_1h = _net_results(adapted, one_hot)
        problem = _disagreement((loss, grads), (loss_1h, grads_1h))
        if problem is not None:
            raise AssertionError(problem)
    else:
        lacks["labels"] = "takes one-hot targets only"
    return _Trial(True, frozenset(offers), lacks, notes=tuple(notes))


def _attempt(kind: Kind, form: Form, implementation: object) -> tuple[Any, _Trial]:
    adapted = form.wrap(implementation)
    if kind == "net":
        return adapted, _probe_net(form, adapted)
    if kind == "norm":
        return adapted, _probe_norm(adapted)
    return adapted, _probe_in_place(kind, adapted)


def _describe_error(error: BaseException) -> str:
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0] if message else '(no message)'}"


_PLUGINS = ("gradclip.verify.frameworks",)
"""Modules that register forms of their own when imported, if present."""


def _load_plugins() -> None:
    for name in _PLUGINS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise


def forms(kind: Kind) -> list[Form]:
    """The registered forms of ``kind``, in the order they are tried."""
    _load_plugins()
    return [form for form in FORMS if form.kind == kind]


def detect(
    kind: Kind, implementation: object, *, form: str | None = None
) -> Convention:
    """Find the calling convention that ``implementation`` works with.

    Each form of ``kind`` is tried in turn on a tiny ordinary case. The first
    that runs and has an effect (an array clipped, a norm of 13 returned; for
    nets, class labels agreeing with one-hot targets) is chosen; failing
    that, the first that runs at all, so that a clipper that clips nothing
    is checked, and failed, rather than refused.

    Args:
        kind: what ``implementation`` is.
        implementation: the callable or class to check.
        form: the name of the form to use instead of detecting one, or
            several names, comma-separated, to detect among only those
            (``--framework`` names its framework's forms so).

    Returns:
        The convention, with the implementation adapted to it.

    Raises:
        ConventionError: no form works (or ``form`` does not); its message
            lists each attempt and what it raised.
        ValueError: ``kind`` or ``form`` names nothing known.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got kind={kind!r}")
    candidates = forms(kind)
    explicit = False
    if form is not None:
        asked = [name.strip() for name in form.split(",")]
        chosen = [f for name in asked for f in candidates if f.name == name]
        if len(chosen) != len(asked):
            names = ", ".join(f.name for f in candidates)
            raise ValueError(
                f"form must be one of {names} for {kind}, got form={form!r}"
            )
        candidates = chosen
        explicit = len(chosen) == 1
    attempts: list[tuple[str, str]] = []
    fallback: Convention | None = None
    for candidate in candidates:
        try:
            adapted, trial = _attempt(kind, candidate, implementation)
        except KeyboardInterrupt:
            raise
        except Unsupported as unsupported:  # the probe, not the form, is at fault
            if not explicit:
                attempts.append((candidate.name, f"Unsupported: {unsupported.reason}"))
                continue
            note = f"the probe's float64 case is not supported: {unsupported.reason}"
            trial = _Trial(True, notes=(note,))
            adapted = candidate.wrap(implementation)
        except (
            BaseException
        ) as error:  # any failure, sys.exit included, is the attempt's
            attempts.append((candidate.name, _describe_error(error)))
            continue
        convention = _convention(kind, candidate, implementation, adapted, trial)
        if trial.effect or explicit:
            return convention
        attempts.append((candidate.name, "ran, but changed nothing"))
        fallback = fallback or convention
    if fallback is not None:
        return fallback
    raise ConventionError(kind, attempts)


def _convention(
    kind: Kind, form: Form, implementation: object, adapted: Any, trial: _Trial
) -> Convention:
    offers = form.offers | trial.offers
    lacks = dict(trial.lacks)
    if kind in _GRADS_KINDS and "in place" not in offers:
        lacks["in place"] = f"not in place: {form.description}"
    description = form.description
    if kind in _GRADS_KINDS:
        number = "returned norm" in offers
        if "in place" in form.offers:
            returns = (
                "returns a number, checked as the norm before clipping"
                if number
                else "return value ignored"
            )
        else:
            returns = (
                "with a number checked as the norm before clipping"
                if number
                else "no number returned"
            )
        description = f"{description}, {returns}"
    notes = list(trial.notes)
    if not trial.effect and kind != "net":
        notes.append("the probe's call ran but changed nothing")
    return Convention(
        kind=kind,
        name=form.name,
        description=description,
        implementation=implementation,
        adapted=adapted,
        offers=offers,
        lacks=lacks,
        notes=tuple(notes),
    )
