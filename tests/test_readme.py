"""The Markdown pages render as written, and the README shows the real CLI.

Each page is parsed with markdown-it-py (CommonMark with GitHub's tables), as
a renderer would: a line starting with ``|`` outside every table and code
block is a table that does not render (no separator row, or two tables glued
together), a table row with more or fewer cells than its header loses or
pads cells, and a relative link or image must name a file that exists (and
a heading of it, for a link with a fragment).

References:
    GitHub Flavored Markdown, tables: https://github.github.com/gfm/#tables-extension-
"""

import contextlib
import io
import itertools
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from gradclip.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    {
        ROOT / "README.md",
        *ROOT.glob("docs/**/*.md"),
        *ROOT.glob("properties/*.md"),
        *ROOT.glob("tests/**/*.md"),
    }
)
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _tokens(text: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def _lines_of(tokens: list[Token], types: set[str]) -> set[int]:
    """The 0-based source lines covered by block tokens of the given types."""
    lines: set[int] = set()
    for token in tokens:
        if token.type in types and token.map is not None:
            lines.update(range(*token.map))
    return lines


def _cells(row: str) -> int:
    """How many cells a GFM table row has: pipes not escaped, less the edges."""
    parts = _CELL_SEPARATOR.split(row.strip())
    if parts and parts[0] == "":
        parts = parts[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    return len(parts)


def table_problems(text: str) -> list[str]:
    """Describe every pipe line that renders as no table, and every ragged row."""
    tokens = _tokens(text)
    tables = [t for t in tokens if t.type == "table_open" and t.map is not None]
    covered = _lines_of(tokens, {"table_open", "fence", "code_block", "html_block"})
    lines = text.splitlines()
    problems = [
        f"line {number + 1} starts with '|' but is not in a table: {line[:60]!r}"
        for number, line in enumerate(lines)
        if line.lstrip().startswith("|") and number not in covered
    ]
    for table in tables:
        assert table.map is not None
        start, end = table.map
        header = _cells(lines[start])
        problems.extend(
            f"line {number + 1} has {_cells(lines[number])} cells, its table's "
            f"header (line {start + 1}) has {header}"
            for number in range(start + 2, end)
            if _cells(lines[number]) != header
        )
    return problems


def anchors(text: str) -> set[str]:
    """The fragments GitHub gives a page's headings.

    Lower case, punctuation dropped, spaces as hyphens; the suffixes GitHub
    adds to repeated headings are left out (no page links to one).
    """
    tokens = _tokens(text)
    return {
        re.sub(r"[^\w\- ]", "", tokens[i + 1].content.strip().lower()).replace(" ", "-")
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    }


def missing_targets(page: Path) -> list[str]:
    """The relative links and images of a page whose file or heading is missing."""
    missing = []
    for token in _tokens(page.read_text(encoding="utf-8")):
        for child in token.children or []:
            attribute = {"link_open": "href", "image": "src"}.get(child.type)
            target = str(child.attrs.get(attribute, "")) if attribute else ""
            path, _, fragment = target.partition("#")
            if _SCHEME.match(target) or not target:
                continue
            file = page.parent / path if path else page
            if not file.exists() or (
                fragment
                and file.suffix == ".md"
                and fragment not in anchors(file.read_text(encoding="utf-8"))
            ):
                missing.append(target)
    return missing


def help_block(text: str) -> str:
    """The README's code block that starts with ``$ gradclip --help``, less it."""
    for token in _tokens(text):
        if token.type == "fence" and token.content.startswith("$ gradclip --help\n"):
            return token.content.removeprefix("$ gradclip --help\n")
    raise AssertionError("README.md has no code block starting '$ gradclip --help'")


def shown_outputs(text: str) -> dict[str, str]:
    """Each ``text`` block that starts with ``$ command``: its output, by command."""
    return {
        first.removeprefix("$ "): rest
        for token in _tokens(text)
        if token.type == "fence" and token.info == "text"
        for first, _, rest in [token.content.partition("\n")]
        if first.startswith("$ ")
    }


def examples_with_output(text: str) -> list[tuple[int, str, str]]:
    """Each ``python`` block followed (past blank lines) by a ``text`` block.

    A text block that starts with ``$ `` shows a shell command's run (under
    ``mpiexec``, say), not what the code prints when executed alone: left out.

    Returns:
        The code block's first line (1-based), its code, and the text shown.
    """
    lines = text.splitlines()
    fences = [t for t in _tokens(text) if t.type == "fence" and t.map is not None]
    examples = []
    for code, shown in itertools.pairwise(fences):
        assert code.map is not None
        assert shown.map is not None
        between = lines[code.map[1] : shown.map[0]]
        if (
            code.info == "python"
            and shown.info == "text"
            and not "".join(between)
            and not shown.content.startswith("$ ")
        ):
            examples.append((code.map[0] + 1, code.content, shown.content))
    return examples


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_page_tables_render(page: Path) -> None:
    assert table_problems(page.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_page_relative_links_exist(page: Path) -> None:
    assert missing_targets(page) == []


def test_readme_help_is_the_real_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps to the terminal's width
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert help_block((ROOT / "README.md").read_text(encoding="utf-8")) == (
        capsys.readouterr().out
    )


def test_readme_lists_every_extra() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = set(pyproject["project"]["optional-dependencies"])
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Install\n") :]
    section = section[: section.index("\n## ", 1)]
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE))
    assert listed == extras


def test_readme_shows_the_notebook_figure() -> None:
    images = [
        child.attrs["src"]
        for token in _tokens((ROOT / "README.md").read_text(encoding="utf-8"))
        for child in token.children or []
        if child.type == "image"
    ]
    assert "docs/exploding_gradients.png" in images


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("| a | b |\n|---|---|\n| 1 | 2 |\n", []),
        ("| a | b |\n| 1 | 2 |\n", ["line 1", "line 2"]),
        ("| a | b |\n|---|---|\n| 1 | 2 |\n| c | d | e |\n", ["line 4 has 3 cells"]),
        ("| a | b |\n|---|---|\n| `x \\| y` | 2 |\n", []),
        ("| a |\n|---|\n| 1 |\n\n| b | c |\n| 2 | 3 |\n", ["line 5", "line 6"]),
        ("```text\n| not | a table |\n```\n", []),
        ("    | indented code |\n", []),
        ("| a | b |\n|---|\n| 1 | 2 |\n", ["line 1", "line 2", "line 3"]),
    ],
    ids=[
        "table",
        "no-separator",
        "ragged-row",
        "escaped-pipe",
        "second-table-without-separator",
        "fenced",
        "indented-code",
        "separator-of-another-width",
    ],
)
def test_table_problems_finds_each_defect(text: str, expected: list[str]) -> None:
    problems = table_problems(text)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)


@pytest.mark.parametrize("script", ["check_my_net.py", "differences.py"])
def test_japanese_guide_shows_the_real_output_of(script: str) -> None:
    shown = shown_outputs((ROOT / "docs" / "ja.md").read_text(encoding="utf-8"))
    run = subprocess.run(
        [sys.executable, script],
        cwd=ROOT / "docs" / "examples",
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown[f"python {script}"] == run.stdout


def test_japanese_guide_shows_the_real_demo(capsys: pytest.CaptureFixture[str]) -> None:
    shown = shown_outputs((ROOT / "docs" / "ja.md").read_text(encoding="utf-8"))
    assert main(["demo"]) == 0
    first_lines = capsys.readouterr().out.splitlines(keepends=True)[:17]
    assert shown["gradclip demo | head -n 17"] == "".join(first_lines)


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        pytest.param(code, shown, id=f"line {line}")
        for line, code, shown in examples_with_output(
            (ROOT / "README.md").read_text(encoding="utf-8")
        )
    ],
)
def test_readme_example_prints_what_it_shows(code: str, shown: str) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    assert printed.getvalue() == shown
