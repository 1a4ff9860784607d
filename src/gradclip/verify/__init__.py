"""Invariants that any clipping function, global norm or two-layer net satisfies.

Needs the ``hypothesis`` extra. The invariants are defined once here and used
by the property suite in ``properties/`` and by ``gradclip verify``.
"""

from gradclip.verify._grads import GradsCase
from gradclip.verify._invariant import Invariant, Tier
from gradclip.verify.clipping import (
    CLIP_INVARIANTS,
    SHARD_INVARIANTS,
    ClipFunction,
    ShardFunction,
)
from gradclip.verify.net import NET_INVARIANTS, NetFactory, NetProblem
from gradclip.verify.norm import NORM_INVARIANTS, NormFunction
from gradclip.verify.runner import Outcome, run_invariants
from gradclip.verify.value import VALUE_INVARIANTS, ValueFunction

__all__ = [
    "CLIP_INVARIANTS",
    "NET_INVARIANTS",
    "NORM_INVARIANTS",
    "SHARD_INVARIANTS",
    "VALUE_INVARIANTS",
    "ClipFunction",
    "GradsCase",
    "Invariant",
    "NetFactory",
    "NetProblem",
    "NormFunction",
    "Outcome",
    "ShardFunction",
    "Tier",
    "ValueFunction",
    "run_invariants",
]
