"""The conformance table: gradient clipping across implementations, generated.

Every built-in framework target (torch, optax, TensorFlow), gradclip itself,
the notebook's ``clip_grads`` (``gradclip.seed``) and the book's list-based
formula are checked against every invariant of their kind, and the results
written as Markdown: one row per implementation, one column per invariant,
PASS, FAIL or SKIP, each FAIL or SKIP with a footnote holding the shrunk
counterexample and what was wrong, or the reason it was skipped. Nothing in
the table is written by hand: ``gradclip verify --report FILE.md`` writes it.

Each implementation is called through its calling convention, as
``gradclip verify`` calls it (the book's list-based function is detected as
in place on a list). A case a framework cannot express (a dtype it lacks, a
read-only array) is rejected, not failed; an invariant is SKIP when every
case drawn for it was, or when the convention lacks what it needs (a
returned norm, clipping in place), and PASS only on the cases checked.
"""

import platform
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from gradclip.verify._grads import GradsCase
from gradclip.verify._invariant import Invariant
from gradclip.verify.conventions import Kind
from gradclip.verify.frameworks import TARGETS
from gradclip.verify.runner import Outcome, ordinary_note

__all__ = [
    "Cell",
    "Row",
    "book_clip_grads",
    "check_rows",
    "render_full",
    "render_short",
    "rows",
    "write_report",
]


def book_clip_grads(grads: list[NDArray[Any]], max_norm: float) -> None:
    """Clip a list of arrays as the book's vol. 2 ``common/util.py`` does.

    Its formula, written here from the book's text: the 2-norm as the square
    root of the sum of squares, ``rate = max_norm / (total_norm + 1e-6)``,
    and each array scaled in place when ``rate < 1``.

    References:
        Saito, "Deep Learning from Scratch 2" (O'Reilly Japan, 2018), ch. 5.
    """
    total_norm = 0
    for grad in grads:
        total_norm += np.sum(grad**2)
    total_norm = np.sqrt(total_norm)

    rate = max_norm / (total_norm + 1e-6)
    if rate < 1:
        for grad in grads:
            grad *= rate


@dataclass(frozen=True)
class Row:
    """One implementation of one kind, as the table names it.

    Attributes:
        label: the row's name (``torch``, ``gradclip``, ...).
        kind: ``clip``, ``value`` or ``norm``.
        target: what ``gradclip verify`` is given: ``MODULE:ATTR``, or a
            built-in framework target's name.
        version: the version checked, when the convention does not say it.
    """

    label: str
    kind: Kind
    target: str
    version: str = ""


def rows() -> list[Row]:
    """Every implementation the table checks, kind by kind."""
    from importlib.metadata import version

    own = f"gradclip {version('gradclip')}"
    table = [
        Row("gradclip", "clip", "gradclip:clip_grads", own),
        Row("notebook", "clip", "gradclip.seed:clip_grads", "gradclip.seed"),
        Row("book, vol. 2", "clip", f"{__name__}:book_clip_grads", "its formula"),
        Row("gradclip", "value", "gradclip:clip_grads_value", own),
        Row("gradclip", "norm", "gradclip:global_norm", own),
    ]
    table += [
        Row(name, kind, name)
        for name, kinds in TARGETS.items()
        for kind in kinds
        if kind in _KINDS
    ]
    return sorted(table, key=lambda row: _KINDS.index(row.kind))


_KINDS: tuple[Kind, ...] = ("clip", "value", "norm")
"""The kinds the table holds, in its order."""


@dataclass(frozen=True)
class Cell:
    """The verdict of one invariant on one implementation.

    Attributes:
        status: PASS, FAIL, SKIP, or n/a when the implementation is missing.
        detail: the counterexample and error of a FAIL, the reason of a SKIP.
    """

    status: Literal["PASS", "FAIL", "SKIP", "n/a"]
    detail: str | None = None


@dataclass
class Result:
    """A row's cells, with how the implementation was called and its version."""

    label: str
    kind: Kind
    call: str
    version: str
    cells: dict[str, Cell] = field(default_factory=dict)
    seconds: float = 0.0


def _cell(outcome: Outcome) -> Cell:
    if outcome.status == "FAIL":
        detail = f"{outcome.counterexample}: {outcome.error}"
        if outcome.note:
            detail += f" ({outcome.note})"
        return Cell("FAIL", detail)
    if outcome.status == "SKIP":
        return Cell("SKIP", outcome.reason)
    return Cell("PASS")


def check_rows(
    table: Iterable[Row],
    suites: Mapping[Kind, Sequence[Invariant[Any, Any]]],
    *,
    max_examples: int,
    timeout: float = 600.0,
    on_result: Callable[[Result], None] = lambda result: None,
) -> Iterator[Result]:
    """Check every row against its kind's invariants, derandomized.

    Each row runs in a worker process, as ``gradclip verify`` runs it, so
    that a framework that crashes on a case (torch does, on some complex
    ones) or hangs fails that invariant only.

    Args:
        table: the rows.
        suites: each kind's invariants.
        max_examples: cases per invariant.
        timeout: seconds allowed per invariant.
        on_result: called with each row's result as soon as it is known.
    """
    from gradclip.verify._supervisor import Died, Pool, TimedOut
    from gradclip.verify._target import UsageError
    from gradclip.verify._worker import Request

    for row in table:
        invariants = suites[row.kind]
        try:
            pool = Pool(row.target, row.kind, None, timeout, jobs=1)
        except UsageError as error:
            missing = Result(row.label, row.kind, str(error), "not installed")
            missing.cells = {i.name: Cell("n/a") for i in invariants}
            on_result(missing)
            yield missing
            continue
        convention = pool.convention
        notes = list(convention["notes"])
        version = row.version or (notes[0].split(":")[0] if notes else "")
        call = "; ".join([convention["description"], *notes])
        result = Result(row.label, row.kind, call, version)
        started = time.perf_counter()
        failed: set[str] = set()
        requests = [Request(i.name, max_examples, 0, True) for i in invariants]
        try:
            for index, fields in pool.run(requests, lambda name, examples: None):
                invariant = invariants[index]
                if isinstance(fields, TimedOut):
                    cell = Cell("FAIL", f"timeout: no verdict within {timeout:g} s")
                elif isinstance(fields, Died):
                    cell = Cell(
                        "FAIL", f"the implementation ended the worker: {fields}"
                    )
                elif isinstance(fields, Exception):
                    cell = Cell("FAIL", f"the worker could not restart: {fields}")
                else:
                    outcome = Outcome(invariant, **fields)
                    if outcome.status == "FAIL":
                        failed.add(invariant.name)
                        outcome = replace(
                            outcome, note=ordinary_note(invariant, failed)
                        )
                    cell = _cell(outcome)
                result.cells[invariant.name] = cell
        finally:
            pool.close()
        result.seconds = time.perf_counter() - started
        on_result(result)
        yield result


def _tied() -> dict[str, NDArray[Any]]:
    shared = np.array([3.0, 4.0])
    return {"W": shared, "W_tied": shared}


SCENARIOS: tuple[tuple[str, Kind, str, Callable[[], GradsCase]], ...] = (
    (
        "float32 squares that overflow (2e19)",
        "clip",
        "clipping_at_extremes",
        lambda: GradsCase({"W": np.array([2e19, 2e19], np.float32)}, 1.0),
    ),
    (
        "float64 squares that overflow (1e155)",
        "clip",
        "clipping_at_extremes",
        lambda: GradsCase({"W": np.array([1e155, 1e155])}, 1.0),
    ),
    (
        "float16 norm beyond float16's range (6e4)",
        "clip",
        "clipping_at_extremes",
        lambda: GradsCase({"W": np.array([6e4, 6e4], np.float16)}, 1.0),
    ),
    (
        "float16 squares that overflow (300, 400)",
        "clip",
        "clipping_at_extremes",
        lambda: GradsCase({"W": np.array([300.0, 400.0], np.float16)}, 1.0),
    ),
    (
        "an array listed twice",
        "clip",
        "aliasing_counted_once",
        lambda: GradsCase(_tied(), 1.0),
    ),
    (
        "negative max_norm",
        "clip",
        "bad_input_atomic",
        lambda: GradsCase({"W": np.array([3.0, 4.0])}, -1.0),
    ),
    (
        "max_norm=0 on float16 zeros",
        "clip",
        "zero_threshold",
        lambda: GradsCase({"W": np.zeros(2, np.float16)}, 0.0),
    ),
    (
        "float32, 2**21 + 1 elements",
        "clip",
        "large_arrays",
        lambda: GradsCase({"W": np.full((1 << 21) + 1, 0.3, np.float32)}, 1.0),
    ),
    (
        "clip_value=0.1 on float32",
        "value",
        "within_bound",
        lambda: GradsCase({"W": np.array([1.0, -7.0], np.float32)}, 0.1),
    ),
    (
        "3-norm of 1e-120",
        "norm",
        "p_norms",
        lambda: GradsCase({"W": np.array([1e-120, 1e-120])}, 1.0),
    ),
    (
        "inf-norm with an empty gradient",
        "norm",
        "largest_magnitude",
        lambda: GradsCase({"W": np.array([3.0]), "b": np.array([], np.float32)}, 1.0),
    ),
)
"""Each finding reported against torch, as one case: what it is, its kind,
the invariant that judges it, and the case."""


_STATUS: dict[str, Literal["PASS", "FAIL", "SKIP"]] = {
    "pass": "PASS",
    "fail": "FAIL",
    "unsupported": "SKIP",
}


def check_scenarios(table: Sequence[Row]) -> dict[tuple[str, str], Cell]:
    """Judge each scenario on each row of its kind: ``(scenario, label)`` cells.

    Runs in this process (the scenarios hold no complex arrays, on which
    torch can crash); a row whose framework is missing gets n/a.
    """
    from gradclip.verify._suites import find
    from gradclip.verify._target import UsageError, convention_for
    from gradclip.verify.conventions import ConventionError
    from gradclip.verify.evaluation import evaluate

    cells: dict[tuple[str, str], Cell] = {}
    for row in table:
        try:
            convention = convention_for(row.target, row.kind, None)
        except (UsageError, ConventionError):
            convention = None
        for name, kind, invariant, case in SCENARIOS:
            if kind != row.kind:
                continue
            if convention is None:
                cells[name, row.label] = Cell("n/a")
                continue
            result = evaluate(find(kind, invariant), convention, case())
            cells[name, row.label] = Cell(_STATUS[result.status], result.error)
    return cells


def render_scenarios(
    table: Sequence[Row], cells: Mapping[tuple[str, str], Cell]
) -> str:
    """The scenarios as Markdown: a row per scenario, a column per implementation."""
    lines = [
        "## The findings, one case each",
        "",
        "Each finding first seen in torch, as one fixed case judged by the "
        "invariant named, on every implementation of its kind (the searches "
        "above report the first failure they shrink to, which may be another).",
        "",
    ]
    footnotes: list[str] = []
    for kind in _KINDS:
        labels = [row.label for row in table if row.kind == kind]
        chosen = [s for s in SCENARIOS if s[1] == kind]
        if not chosen:
            continue
        lines += [
            f"| {kind} case | invariant | " + " | ".join(labels) + " |",
            "|---|---" + "|---" * len(labels) + "|",
        ]
        for name, _, invariant, _ in chosen:
            texts = []
            for label in labels:
                cell = cells[name, label]
                text: str = cell.status
                if cell.detail is not None and cell.status != "PASS":
                    footnotes.append(
                        f"[^s{len(footnotes) + 1}]: {label}, {name}: "
                        f"{_escape(cell.detail)}"
                    )
                    text += f"[^s{len(footnotes)}]"
                texts.append(text)
            lines.append(f"| {name} | `{invariant}` | " + " | ".join(texts) + " |")
        lines.append("")
    return "\n".join([*lines, *footnotes]) + "\n"


_COMMAND = "gradclip verify --report docs/conformance.md --readme README.md"


def _versions() -> str:
    return f"Python {platform.python_version()}, NumPy {np.__version__}"


def render_full(
    results: Sequence[Result],
    suites: Mapping[Kind, Sequence[Invariant[Any, Any]]],
    *,
    max_examples: int,
) -> str:
    """The full table as Markdown: a section per kind, footnotes below each."""
    lines = [
        "# Gradient clipping conformance",
        "",
        "Generated by running the invariants of `gradclip.verify`; do not edit",
        "by hand. To regenerate (with torch, JAX + optax and TensorFlow",
        "installed):",
        "",
        "```sh",
        _COMMAND,
        "```",
        "",
        f"{max_examples} derandomized cases per invariant; {_versions()}. "
        "PASS: no case failed; FAIL: the footnote holds the shrunk "
        "counterexample (the NumPy arrays given, before the call) and what was "
        "wrong; SKIP: every case was one the implementation cannot take (a "
        "dtype its framework lacks), or its calling convention lacks what the "
        "invariant needs (a returned norm, clipping in place); the footnote "
        "says why. A PASS may have skipped some cases. Each invariant's "
        "statement is listed below its table.",
        "",
    ]
    footnotes: list[str] = []
    for kind in _KINDS:
        chosen = [result for result in results if result.kind == kind]
        if not chosen:
            continue
        invariants = suites[kind]
        lines += [f"## {kind}", ""]
        lines += ["| implementation | version | called as |", "|---|---|---|"]
        lines += [f"| {r.label} | {r.version} | {_escape(r.call)} |" for r in chosen]
        lines.append("")
        header = [f"`{i.name}` ({i.tier})" for i in invariants]
        lines.append("| implementation | " + " | ".join(header) + " |")
        lines.append("|---" * (len(header) + 1) + "|")
        for result in chosen:
            cells = []
            for invariant in invariants:
                cell = result.cells[invariant.name]
                text: str = cell.status
                if cell.detail is not None:
                    footnotes.append(
                        f"[^{len(footnotes) + 1}]: {result.label}, {kind}, "
                        f"`{invariant.name}`: {_escape(cell.detail)}"
                    )
                    text += f"[^{len(footnotes)}]"
                cells.append(text)
            lines.append(f"| {result.label} | " + " | ".join(cells) + " |")
        lines += ["", "Statements:", ""]
        lines += [f"- `{i.name}`: {i.statement}" for i in invariants]
        lines.append("")
    lines += footnotes
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """One Markdown table cell or footnote line: no pipes, no newlines."""
    flat = " ".join(text.split())
    if len(flat) > 600:
        flat = flat[:600] + " …"
    return flat.replace("|", "\\|")


def render_short(
    results: Sequence[Result], suites: Mapping[Kind, Sequence[Invariant[Any, Any]]]
) -> str:
    """A table of tallies per implementation and kind, naming the failures."""
    lines = [
        "| implementation | kind | version | core | robust | fails |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        invariants = suites[result.kind]
        tallies = []
        for tier in ("core", "robust"):
            held = [i for i in invariants if i.tier == tier]
            cells = [result.cells[i.name] for i in held]
            if all(cell.status == "n/a" for cell in cells):
                tallies.append("n/a")
                continue
            passed = sum(cell.status == "PASS" for cell in cells)
            skipped = sum(cell.status == "SKIP" for cell in cells)
            tally = f"{passed}/{len(cells) - skipped}"
            tallies.append(tally + (f" ({skipped} SKIP)" if skipped else ""))
        failed = [
            f"`{name}`" for name, cell in result.cells.items() if cell.status == "FAIL"
        ]
        lines.append(
            f"| {result.label} | {result.kind} | {result.version} | "
            f"{tallies[0]} | {tallies[1]} | {', '.join(failed) or '-'} |"
        )
    return "\n".join(lines) + "\n"


_START = "<!-- conformance: generated -->"
_END = "<!-- conformance: end -->"


def write_report(
    report: Path,
    *,
    readme: Path | None = None,
    max_examples: int = 100,
    on_result: Callable[[Result], None] = lambda result: None,
) -> list[Result]:
    """Check every row, write the full table to ``report``, the short one to
    ``readme`` (between its markers), and return the results."""
    from gradclip.verify._suites import SUITES

    suites = {kind: SUITES[kind] for kind in _KINDS}
    results = list(
        check_rows(rows(), suites, max_examples=max_examples, on_result=on_result)
    )
    table = rows()
    scenarios = render_scenarios(table, check_scenarios(table))
    full = render_full(results, suites, max_examples=max_examples)
    report.write_text(full + "\n" + scenarios)
    if readme is not None:
        text = readme.read_text()
        start, end = text.find(_START), text.find(_END)
        if start < 0 or end < start:
            raise ValueError(f"{readme} lacks the markers {_START} and {_END}")
        short = (
            f"{_START}\n{render_short(results, suites)}\n"
            f"{max_examples} derandomized cases per invariant; {_versions()}.\n"
        )
        readme.write_text(text[:start] + short + text[end:])
    return results
