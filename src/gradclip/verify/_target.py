"""The implementation a command line names: ``MODULE:ATTR``, or a built-in
framework target (``torch``, ``optax``, ``tensorflow``)."""

import importlib
import os
import sys
from typing import Any

from gradclip.verify.conventions import Convention, Kind, detect

__all__ = ["UsageError", "convention_for", "load"]


class UsageError(Exception):
    """A bad command line, reported in one line with exit status 2."""


def load(target: str) -> Any:
    """Import ``MODULE:ATTR`` (ATTR may be dotted) from the current directory too.

    Raises:
        UsageError: the target is malformed, cannot be imported (whatever the
            import raised, ``SystemExit`` included), or lacks ATTR.
    """
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise UsageError(f"target must look like MODULE:ATTR, got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: Any = importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # any failure to import is the target's fault
        what = f"{type(error).__name__}: {error}"
        if isinstance(error, SystemExit):
            what = f"SystemExit: {error} (the module called sys.exit when imported)"
        raise UsageError(f"cannot import module {module_name!r}: {what}") from None
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise UsageError(
                f"module {module_name!r} has no attribute {attribute!r}"
            ) from None
    if not callable(value):
        raise UsageError(f"{target} must be callable, got {type(value).__name__}")
    return value


def convention_for(target: str, kind: Kind, form: str | None) -> Convention:
    """The convention of a command line's target, built in or detected.

    A built-in framework target is called as it is; anything else is loaded
    with :func:`load` and its convention detected (among ``form``'s, if given).

    Raises:
        UsageError: the target cannot be loaded, its framework is missing, or
            a built-in target does not offer ``kind``.
        ConventionError: no calling convention works.
    """
    from gradclip.verify.frameworks import TARGETS, builtin_convention

    if target not in TARGETS:
        return detect(kind, load(target), form=form)
    if kind not in TARGETS[target]:
        offered = ", ".join(TARGETS[target])
        raise UsageError(f"{target} has no {kind} target, only {offered}")
    if form is not None:
        raise UsageError(f"{target} is called as it is: --form does not apply")
    try:
        return builtin_convention(target, kind)
    except ImportError as error:
        raise UsageError(str(error)) from None
