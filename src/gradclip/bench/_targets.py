"""The performance targets, as ratios measured side by side in one run."""

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CLIP_TARGETS", "GRADCHECK_TARGET", "GRADIENT_TARGET", "Target"]


@dataclass(frozen=True)
class Target:
    """A bound on a ratio: at most ``limit``, or at least it.

    Attributes:
        limit: the bound.
        at_least: the ratio must be >= ``limit`` rather than <= it.
    """

    limit: float
    at_least: bool = False

    def met(self, value: float) -> bool:
        """Return whether ``value`` is within the bound."""
        return value >= self.limit if self.at_least else value <= self.limit

    def describe(self, form: Callable[[float], str]) -> str:
        """Return the bound as ``<=1.25`` or ``>=2``, its limit shown by ``form``."""
        return f"{'>=' if self.at_least else '<='}{form(self.limit)}"


CLIP_TARGETS: dict[str, dict[str, Target]] = {
    "gpt2 below": {
        "gradclip/limit": Target(1.10),
        "gradclip/torch": Target(0.5),
        "seed/gradclip": Target(2.0, at_least=True),
        "memory": Target(0.01),
    },
    "gpt2 above": {
        "gradclip/limit": Target(1.10),
        "gradclip/torch": Target(0.9),
        "seed/gradclip": Target(2.0, at_least=True),
        "memory": Target(0.01),
    },
    "small below": {"gradclip/limit": Target(1.25), "gradclip/torch": Target(0.5)},
    "small above": {"gradclip/limit": Target(1.25), "gradclip/torch": Target(0.5)},
    "tiny above": {"gradclip seconds": Target(1.0)},
}
"""Per clipping workload and case, the target of each ratio column (and of
memory, and of the time itself where the target is one)."""

GRADIENT_TARGET = Target(1.0)
"""``TwoLayerNet.gradient`` over PyTorch autograd's forward and backward."""

GRADCHECK_TARGET = Target(100.0, at_least=True)
"""``check_gradients`` full mode's time over fast mode's."""
