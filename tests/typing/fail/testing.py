"""Calls to gradclip.testing that both checkers must reject.

Each line carries the error code mypy must report and the rule pyright must
report; a line that stops failing is reported as an unused ignore.
"""

from gradclip import clip_grads
from gradclip.testing import (
    InvariantCheck,
    invariant_checks,
    parametrize_with_invariants,
)

# A kind or tier that does not exist.
parametrize_with_invariants("clips", clip_grads)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
parametrize_with_invariants("clip", clip_grads, tier="fast")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
# Options are keyword-only.
parametrize_with_invariants("clip", clip_grads, "core")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
# A reason must be a str.
invariant_checks("clip", clip_grads, expected_failures={"norm_bound": True})  # type: ignore[dict-item]  # pyright: ignore[reportArgumentType]
# A check takes no arguments and returns nothing.
check: InvariantCheck = invariant_checks("clip", clip_grads)[0]  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
