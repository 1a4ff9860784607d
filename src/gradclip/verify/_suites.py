"""Each kind's preflight and invariants, by kind and by name."""

from dataclasses import replace
from typing import Any

from gradclip.verify._invariant import Invariant
from gradclip.verify.clipping import (
    CLIP_INVARIANTS,
    CLIP_PREFLIGHT,
    SHARD_INVARIANTS,
    SHARD_PREFLIGHT,
)
from gradclip.verify.conventions import Kind
from gradclip.verify.net import NET_INVARIANTS, NET_PREFLIGHT
from gradclip.verify.norm import NORM_INVARIANTS, NORM_PREFLIGHT
from gradclip.verify.value import VALUE_INVARIANTS, VALUE_PREFLIGHT

__all__ = ["PREFLIGHT", "SUITES", "find"]

SUITES: dict[Kind, tuple[Invariant[Any, Any], ...]] = {
    "clip": CLIP_INVARIANTS,
    "net": NET_INVARIANTS,
    "value": VALUE_INVARIANTS,
    "norm": NORM_INVARIANTS,
    "shard": SHARD_INVARIANTS,
}
"""Every kind's invariants, core tier first."""

PREFLIGHT: dict[Kind, Invariant[Any, Any]] = {
    "clip": replace(CLIP_PREFLIGHT, name="preflight"),
    "net": replace(NET_PREFLIGHT, name="preflight"),
    "value": replace(VALUE_PREFLIGHT, name="preflight"),
    "norm": replace(NORM_PREFLIGHT, name="preflight"),
    "shard": replace(SHARD_PREFLIGHT, name="preflight"),
}
"""Every kind's preflight: ordinary input, run before its invariants."""


def find(kind: Kind, name: str) -> Invariant[Any, Any]:
    """The kind's invariant (or preflight) of that name."""
    preflight = PREFLIGHT[kind]
    if name == "preflight":
        return preflight
    for invariant in SUITES[kind]:
        if invariant.name == name:
            return invariant
    raise KeyError(name)
