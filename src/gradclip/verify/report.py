"""The report of ``gradclip verify``: plain text for people, JSON for tools.

Each invariant gets one line, ``PASS|FAIL|SKIP <tier> <name> <seconds>
<statement>``, then, indented, what a reader needs: the counterexample as it
was before the call and the error (expected and got) of a failure, whether
it was flaky, whether its property fails on ordinary input too, why an
invariant was skipped, and the warnings the implementation raised, counted
once per invariant. Each kind ends with a summary per tier.
"""

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gradclip.verify._invariant import Tier
from gradclip.verify.runner import Outcome

__all__ = ["KindReport", "json_report", "summary", "verdict_lines"]

TIERS: tuple[Tier, ...] = ("core", "return", "robust")

_MEANING: dict[Tier, tuple[str, str]] = {
    "core": ("keeps the notebook's contract", "breaks the notebook's contract"),
    "return": ("the returned norm is exact", "the returned number is not the norm"),
    "robust": ("", ""),
}
"""What a tier holding, or failing, means."""

_INDENT = "     "


@dataclass
class KindReport:
    """Everything ``gradclip verify`` found about one implementation.

    Attributes:
        kind: what was checked.
        target: the ``MODULE:ATTR`` checked.
        convention: the detected convention's name, description and notes;
            empty when none was detected.
        outcomes: the preflight's outcome, then each invariant's.
        error: why the implementation could not be checked at all, if so.
    """

    kind: str
    target: str
    convention: dict[str, Any] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    def core_holds(self) -> bool:
        """Whether the preflight and every core invariant held."""
        return self.error is None and all(
            o.passed for o in self.outcomes if o.invariant.tier == "core"
        )

    def all_hold(self) -> bool:
        """Whether nothing failed, in any tier."""
        return self.error is None and all(o.passed for o in self.outcomes)


def verdict_lines(outcome: Outcome) -> list[str]:
    """The invariant's line, then its details, each indented."""
    invariant = outcome.invariant
    lines = [
        f"{outcome.status} {invariant.tier:<6} {invariant.name:<28} "
        f"{outcome.seconds:6.1f}s  {invariant.statement}"
    ]
    if outcome.status == "FAIL":
        if outcome.flaky:
            lines.append(
                f"{_INDENT}flaky: a failing case passed when tried again; "
                "the first failure:"
            )
        if outcome.counterexample is not None:
            lines.append(f"{_INDENT}counterexample: {outcome.counterexample}")
        if outcome.error is not None:
            lines.append(textwrap.indent(outcome.error, _INDENT))
        if outcome.note is not None:
            lines.append(f"{_INDENT}{outcome.note}")
    if outcome.status == "SKIP" and outcome.reason is not None:
        lines.append(f"{_INDENT}skipped: {outcome.reason}")
    if outcome.warnings:
        total = sum(count for _, count in outcome.warnings)
        shown_warnings = "; ".join(
            f"{message} (x{count})" for message, count in outcome.warnings[:3]
        )
        more = len(outcome.warnings) - 3
        extra = f"; and {more} more" if more > 0 else ""
        lines.append(
            f"{_INDENT}warnings: {total} raised during the calls: "
            f"{shown_warnings}{extra}"
        )
    return lines


def summary(outcomes: Sequence[Outcome]) -> str:
    """Each tier's tally: how many of the invariants run hold, and what it means.

    The preflight is not counted; when it fails, the summary says so first.
    """
    parts = []
    if any(o.invariant.name == "preflight" and not o.passed for o in outcomes):
        parts.append("the preflight fails on ordinary input, so nothing else ran")
    outcomes = [o for o in outcomes if o.invariant.name != "preflight"]
    for tier in TIERS:
        chosen = [o for o in outcomes if o.invariant.tier == tier]
        if not chosen:
            continue
        run = [o for o in chosen if o.status != "SKIP"]
        skipped = len(chosen) - len(run)
        held = sum(o.passed for o in run)
        if not run:
            reasons = sorted({o.reason or "not applicable" for o in chosen})
            parts.append(f"{tier} skipped ({'; '.join(reasons)})")
            continue
        text = f"{tier} {held}/{len(run)} hold"
        meaning = _MEANING[tier][0 if held == len(run) else 1]
        if meaning:
            text += f": {meaning}"
        if skipped:
            text += f" ({skipped} skipped)"
        parts.append(text)
    return "; ".join(parts)


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    invariant = outcome.invariant
    return {
        "name": invariant.name,
        "tier": invariant.tier,
        "status": outcome.status,
        "statement": invariant.statement,
        "seconds": round(outcome.seconds, 3),
        "examples": outcome.examples,
        "counterexample": outcome.counterexample,
        "error": outcome.error,
        "flaky": outcome.flaky,
        "reason": outcome.reason,
        "note": outcome.note,
        "warnings": [
            {"message": message, "count": count} for message, count in outcome.warnings
        ],
    }


def json_report(
    reports: Iterable[KindReport], *, seed: int, exit_status: int, command: str
) -> dict[str, Any]:
    """The machine-readable report: every kind, its convention and invariants.

    ``verdict`` is ``"pass"`` when the exit status is 0, ``"fail"`` when it
    is 1, ``"error"`` otherwise.
    """
    verdicts = {0: "pass", 1: "fail"}
    return {
        "command": command,
        "seed": seed,
        "exit_status": exit_status,
        "verdict": verdicts.get(exit_status, "error"),
        "kinds": [
            {
                "kind": report.kind,
                "target": report.target,
                "convention": report.convention or None,
                "error": report.error,
                "core_holds": report.core_holds(),
                "summary": summary(report.outcomes) if report.outcomes else None,
                "invariants": [_outcome_json(o) for o in report.outcomes],
            }
            for report in reports
        ],
    }
