"""Invariants that any clipping function or two-layer net must satisfy.

Needs the ``hypothesis`` extra. The invariants are defined once here and used
by the property suite in ``properties/`` and by ``gradclip verify``.
"""

from gradclip.verify._invariant import Invariant, Tier
from gradclip.verify.clipping import CLIP_INVARIANTS, ClipCase, ClipFunction
from gradclip.verify.net import NET_INVARIANTS, NetFactory, NetProblem
from gradclip.verify.runner import Outcome, run_invariants

__all__ = [
    "CLIP_INVARIANTS",
    "NET_INVARIANTS",
    "ClipCase",
    "ClipFunction",
    "Invariant",
    "NetFactory",
    "NetProblem",
    "Outcome",
    "Tier",
    "run_invariants",
]
