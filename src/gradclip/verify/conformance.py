"""The conformance table: gradient clipping across implementations, generated.

Every built-in framework target (torch, optax, TensorFlow), gradclip itself,
the notebook's ``clip_grads`` (``gradclip.seed``) and the book's list-based
formula are checked against every invariant of their kind, and the results
written as Markdown: one row per implementation, one column per invariant,
PASS, FAIL or SKIP, each FAIL or SKIP with a footnote holding the shrunk
counterexample and what was wrong, or the reason it was skipped. Nothing in
the table is written by hand: ``gradclip verify --report FILE.md`` writes it.

A case a framework cannot express (a dtype it lacks, a read-only array) is
skipped; an invariant is SKIP when every case drawn for it was, and PASS only
on the cases that were checked.
"""

import platform
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from gradclip.verify._invariant import Invariant
from gradclip.verify.frameworks import TARGETS, load_target
from gradclip.verify.frameworks._arrays import Unsupported

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

Status = Literal["PASS", "FAIL", "SKIP", "n/a"]


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


def _book_on_dict(grads: dict[str, NDArray[Any]], max_norm: float) -> None:
    """The book's list-based formula, given the case's arrays as a list."""
    book_clip_grads(list(grads.values()), max_norm)


@dataclass(frozen=True)
class Row:
    """One implementation of one kind, as the table names it.

    Attributes:
        label: the row's name (``torch``, ``gradclip``, ...).
        kind: ``clip``, ``value`` or ``norm``.
        load: returns the function in the kind's canonical form, what is
            called, and the version checked; raises ImportError when its
            framework is missing.
    """

    label: str
    kind: str
    load: Callable[[], tuple[Callable[..., object], str, str]]


def _own(attribute: str, call: str) -> Callable[[], tuple[Any, str, str]]:
    def load() -> tuple[Any, str, str]:
        import gradclip

        return getattr(gradclip, attribute), call, f"gradclip {_version()}"

    return load


def _version() -> str:
    from importlib.metadata import version

    return version("gradclip")


def _seed() -> tuple[Any, str, str]:
    from gradclip.seed import clip_grads

    return clip_grads, "gradclip.seed.clip_grads(grads, max_norm)", "the notebook"


def _book() -> tuple[Any, str, str]:
    return _book_on_dict, "book_clip_grads(list(grads.values()), max_norm)", "vol. 2"


def _target(name: str, kind: str) -> Callable[[], tuple[Any, str, str]]:
    def load() -> tuple[Any, str, str]:
        target = load_target(name, kind)
        call = target.call + (f" ({target.precision})" if target.precision else "")
        return target.function, call, target.version

    return load


def rows() -> list[Row]:
    """Every implementation the table checks, kind by kind."""
    table = [
        Row("gradclip", "clip", _own("clip_grads", "gradclip.clip_grads")),
        Row("notebook (gradclip.seed)", "clip", _seed),
        Row("book, vol. 2 (list)", "clip", _book),
        Row("gradclip", "value", _own("clip_grads_value", "gradclip.clip_grads_value")),
        Row("gradclip", "norm", _own("global_norm", "gradclip.global_norm")),
    ]
    table += [
        Row(name, kind, _target(name, kind))
        for name, kinds in TARGETS.items()
        for kind in kinds
    ]
    order = {"clip": 0, "value": 1, "norm": 2}
    return sorted(table, key=lambda row: order[row.kind])


@dataclass(frozen=True)
class Cell:
    """The verdict of one invariant on one implementation.

    Attributes:
        status: PASS, FAIL, SKIP, or n/a when the implementation is missing.
        detail: the counterexample and error of a FAIL, the reason of a SKIP.
        skipped: how many cases drawn were skipped as unsupported.
    """

    status: Status
    detail: str | None = None
    skipped: int = 0


@dataclass
class Result:
    """A row's cells, with what was called and which version."""

    row: Row
    call: str
    version: str
    cells: dict[str, Cell] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Support:
    """Counts the cases an implementation's framework could not express."""

    checked: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def wrap(self, invariant: Invariant[Any, Any]) -> Invariant[Any, Any]:
        original = invariant.check

        def check(implementation: Any, case: Any) -> None:
            try:
                original(implementation, case)
            except Unsupported as reason:
                self.reasons[str(reason)] += 1
                return
            self.checked += 1

        check.__doc__ = original.__doc__
        return replace(invariant, check=check)


def check_rows(
    table: Iterable[Row],
    suites: Mapping[str, Sequence[Invariant[Any, Any]]],
    *,
    max_examples: int,
    on_result: Callable[[Result], None] = lambda result: None,
) -> Iterator[Result]:
    """Check every row against its kind's invariants, derandomized.

    Args:
        table: the rows.
        suites: each kind's invariants.
        max_examples: cases per invariant.
        on_result: called with each row's result as soon as it is known.
    """
    from gradclip.verify.runner import run_invariants

    for row in table:
        names = [invariant.name for invariant in suites[row.kind]]
        try:
            function, call, version = row.load()
        except ImportError as error:
            missing = Result(row, call=str(error), version="not installed")
            missing.cells = {name: Cell("n/a") for name in names}
            yield missing
            continue
        result = Result(row, call=call, version=version)
        started = time.perf_counter()
        for invariant in suites[row.kind]:
            support = _Support()
            (outcome,) = run_invariants(
                [support.wrap(invariant)],
                function,
                max_examples=max_examples,
                derandomize=True,
            )
            skipped = sum(support.reasons.values())
            if not outcome.passed:
                detail = f"{outcome.counterexample}: {outcome.error}"
                result.cells[invariant.name] = Cell("FAIL", detail, skipped)
            elif support.checked == 0 and skipped:
                reason, _ = support.reasons.most_common(1)[0]
                result.cells[invariant.name] = Cell("SKIP", reason, skipped)
            else:
                result.cells[invariant.name] = Cell("PASS", skipped=skipped)
        result.seconds = time.perf_counter() - started
        on_result(result)
        yield result


_COMMAND = "gradclip verify --report docs/conformance.md --readme README.md"


def _versions() -> str:
    return f"Python {platform.python_version()}, NumPy {np.__version__}"


def render_full(
    results: Sequence[Result],
    suites: Mapping[str, Sequence[Invariant[Any, Any]]],
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
        "wrong; SKIP: every case was one the framework cannot express (the "
        "footnote says why); a count of skipped cases follows a PASS or FAIL "
        "that skipped some. Invariants' statements are listed below each table.",
        "",
    ]
    footnotes: list[str] = []
    for kind in ("clip", "value", "norm"):
        chosen = [result for result in results if result.row.kind == kind]
        if not chosen:
            continue
        invariants = suites[kind]
        lines += [f"## {kind}", ""]
        lines += ["| implementation | version | called as |", "|---|---|---|"]
        lines += [
            f"| {r.row.label} | {r.version} | {_escape(r.call)} |" for r in chosen
        ]
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
                        f"[^{len(footnotes) + 1}]: {result.row.label}, {kind}, "
                        f"`{invariant.name}`: {_escape(cell.detail)}"
                    )
                    text += f"[^{len(footnotes)}]"
                if cell.skipped and cell.status != "SKIP":
                    text += f" ({cell.skipped} skipped)"
                cells.append(text)
            lines.append(f"| {result.row.label} | " + " | ".join(cells) + " |")
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
    results: Sequence[Result], suites: Mapping[str, Sequence[Invariant[Any, Any]]]
) -> str:
    """A table of tallies per implementation and kind, naming the failures."""
    lines = [
        "| implementation | kind | version | core | robust | fails |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        invariants = suites[result.row.kind]
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
            f"| {result.row.label} | {result.row.kind} | {result.version} | "
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
    from gradclip.verify.clipping import CLIP_INVARIANTS
    from gradclip.verify.norm import NORM_INVARIANTS
    from gradclip.verify.value import VALUE_INVARIANTS

    suites: Mapping[str, Sequence[Invariant[Any, Any]]] = {
        "clip": CLIP_INVARIANTS,
        "value": VALUE_INVARIANTS,
        "norm": NORM_INVARIANTS,
    }
    results = list(
        check_rows(rows(), suites, max_examples=max_examples, on_result=on_result)
    )
    report.write_text(render_full(results, suites, max_examples=max_examples))
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
