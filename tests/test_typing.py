"""The typing tests in tests/typing/ pass under mypy and pyright (see its README).

``pass/`` must be clean, every ``fail/`` line must be rejected with the error
code its ignore names (a case that stops failing is an unused ignore), and
``reveal/`` pins each public result with ``assert_type``.
"""

import ast
import json
import re
import runpy
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import gradclip

ROOT = Path(__file__).resolve().parent.parent
TYPING = ROOT / "tests" / "typing"
FOLDERS = ("pass", "fail", "reveal")
CASES = sorted(TYPING.glob("*/*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def test_typing_folders_hold_cases() -> None:
    for folder in FOLDERS:
        assert list((TYPING / folder).glob("*.py")), f"tests/typing/{folder}/ is empty"


def test_mypy_accepts_the_typing_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip(
        "mypy.api", reason="mypy is not installed: pip install -e '.[dev]'"
    )
    # mypy.ini's paths (mypy_path = src) and module names are relative to the root.
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = api.run(
        [
            "--config-file=mypy.ini",
            # The main run's cache: only what changed since is checked again.
            "--cache-dir=.mypy_cache",
            *(f"tests/typing/{folder}" for folder in FOLDERS),
        ]
    )
    assert status == 0, f"mypy on tests/typing:\n{stdout}{stderr}"


def test_pyright_settings_check_each_ignore() -> None:
    """pyright reads only its own ignores in tests/typing, and reports stale ones."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    settings = pyproject["tool"]["pyright"]
    environments = {env["root"]: env for env in settings["executionEnvironments"]}
    assert "tests/typing" in settings["strict"]
    assert environments["tests/typing"]["enableTypeIgnoreComments"] is False
    assert environments["tests/typing"]["reportUnnecessaryTypeIgnoreComment"] == "error"


def test_pyright_accepts_the_typing_cases() -> None:
    executable = shutil.which("basedpyright", path=Path(sys.executable).parent)
    if executable is None:
        pytest.skip("basedpyright is not installed here: pip install -e '.[dev]'")
    # Strict for these files, and no honouring of mypy's ignores: see
    # [tool.pyright] in pyproject.toml.
    result = subprocess.run(
        [
            executable,
            "--outputjson",
            f"--pythonpath={sys.executable}",
            *(f"tests/typing/{folder}" for folder in FOLDERS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"basedpyright failed:\n{result.stdout}{result.stderr}")
    problems = [
        f"{_relative(Path(d['file']))}:"
        f"{d['range']['start']['line'] + 1}: {d['severity']}: "
        f"{d['message']} ({d.get('rule', 'no rule')})"
        for d in report["generalDiagnostics"]
        if d["severity"] in ("error", "warning")
    ]
    assert not problems, "basedpyright on tests/typing:\n" + "\n".join(problems)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["summary"]["filesAnalyzed"] == len(CASES)


_IGNORE = re.compile(r"#\s*(type|pyright):\s*ignore(\[[^\]]*\])?")


@pytest.mark.parametrize("path", sorted(TYPING.glob("fail/*.py")), ids=_relative)
def test_fail_cases_name_the_code_for_each_checker(path: Path) -> None:
    """Each fail line names mypy's code and pyright's rule, or says which accepts it.

    A line that one checker accepts carries only the other's ignore, under a
    comment saying "mypy accepts" or "pyright accepts" and why.
    """
    lines = path.read_text("utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        ignores = dict(_IGNORE.findall(line))
        if not ignores:
            continue
        where = f"{_relative(path)}:{number}"
        assert all(ignores.values()), f"{where}: an ignore without [code]"
        if len(ignores) < 2:
            above = "\n".join(lines[max(0, number - 5) : number - 1])
            accepting = "pyright" if "type" in ignores else "mypy"
            assert f"{accepting} accepts" in above, (
                f"{where}: only a {next(iter(ignores))} ignore; add the other "
                f"checker's, or explain above it why {accepting} accepts the line"
            )


def _public_names() -> dict[str, list[str]]:
    import gradclip.strategies
    import gradclip.testing
    import gradclip.verify

    return {
        "gradclip": list(gradclip.__all__),
        "gradclip.strategies": list(gradclip.strategies.__all__),
        "gradclip.verify": list(gradclip.verify.__all__),
        "gradclip.testing": list(gradclip.testing.__all__),
    }


def test_reveal_cases_cover_the_public_api() -> None:
    """Every public name is used in an ``assert_type`` call in reveal/."""
    used: set[str] = set()
    for path in TYPING.glob("reveal/*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "assert_type"
            ):
                used.update(
                    name.id for name in ast.walk(node) if isinstance(name, ast.Name)
                )
                used.update(
                    name.attr
                    for name in ast.walk(node)
                    if isinstance(name, ast.Attribute)
                )
    for module, names in _public_names().items():
        missing = sorted(set(names) - used)
        assert not missing, (
            f"no assert_type in tests/typing/reveal/ for {module}.{missing}"
        )


@pytest.mark.parametrize("path", sorted(TYPING.glob("pass/*.py")), ids=_relative)
def test_pass_cases_run(path: Path) -> None:
    """The pass/ cases are real code: they run without error."""
    runpy.run_path(str(path), run_name="__typing_case__")


def test_py_typed_marks_the_package() -> None:
    assert (Path(gradclip.__file__).parent / "py.typed").is_file()
