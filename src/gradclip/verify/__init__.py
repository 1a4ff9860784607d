"""Invariants that any clipping function, global norm or two-layer net satisfies.

Needs the ``hypothesis`` extra. The invariants are defined once here and used
by the property suite in ``properties/``, the pytest kit and ``gradclip
verify``. An implementation is called through its calling convention,
detected by :func:`detect` (``gradclip.verify.conventions``); one case is
judged by :func:`evaluate`, the policy every route shares.
"""

from gradclip.verify._grads import GradsCase
from gradclip.verify._invariant import Invariant, Tier
from gradclip.verify.clipping import (
    CLIP_INVARIANTS,
    CLIP_PREFLIGHT,
    SHARD_INVARIANTS,
    SHARD_PREFLIGHT,
    ClipFunction,
    ShardFunction,
)
from gradclip.verify.conventions import (
    Convention,
    ConventionError,
    Form,
    Kind,
    Unsupported,
    detect,
    register,
)
from gradclip.verify.evaluation import CaseResult, evaluate
from gradclip.verify.net import NET_INVARIANTS, NET_PREFLIGHT, NetFactory, NetProblem
from gradclip.verify.norm import NORM_INVARIANTS, NORM_PREFLIGHT, NormFunction
from gradclip.verify.runner import Outcome, Status, run_invariant, run_invariants
from gradclip.verify.value import VALUE_INVARIANTS, VALUE_PREFLIGHT, ValueFunction

__all__ = [
    "CLIP_INVARIANTS",
    "CLIP_PREFLIGHT",
    "NET_INVARIANTS",
    "NET_PREFLIGHT",
    "NORM_INVARIANTS",
    "NORM_PREFLIGHT",
    "SHARD_INVARIANTS",
    "SHARD_PREFLIGHT",
    "VALUE_INVARIANTS",
    "VALUE_PREFLIGHT",
    "CaseResult",
    "ClipFunction",
    "Convention",
    "ConventionError",
    "Form",
    "GradsCase",
    "Invariant",
    "Kind",
    "NetFactory",
    "NetProblem",
    "NormFunction",
    "Outcome",
    "ShardFunction",
    "Status",
    "Tier",
    "Unsupported",
    "ValueFunction",
    "detect",
    "evaluate",
    "register",
    "run_invariant",
    "run_invariants",
]
