"""Import the implementation a command line names as ``MODULE:ATTR``."""

import importlib
import os
import sys
from typing import Any

__all__ = ["UsageError", "load"]


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
