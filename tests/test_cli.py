"""The ``gradclip`` command line: dispatch, ``--version``, optional extras, pipes."""

import importlib.metadata
import os
import subprocess
import sys

import pytest

from gradclip.cli import main


def _forget_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next import of gradclip.verify run afresh."""
    for name in list(sys.modules):
        if name == "gradclip.verify" or name.startswith("gradclip.verify."):
            monkeypatch.delitem(sys.modules, name)


def test_cli_version_is_the_installed_distributions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert (
        capsys.readouterr().out
        == f"gradclip {importlib.metadata.version('gradclip')}\n"
    )


def test_cli_help_lists_every_command_without_importing_them() -> None:
    code = (
        "import sys\n"
        "from gradclip.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "optional = ('hypothesis', 'gradclip.verify', 'gradclip.bench', 'torch')\n"
        "print([name for name in optional if name in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    for command in ("demo", "verify", "bench"):
        assert f"    {command} " in result.stdout
    assert result.stdout.rstrip().endswith("[]")


def test_cli_subcommand_help_is_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: gradclip bench ")


def test_cli_unknown_option_of_a_command_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--no-such-option"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_cli_verify_without_hypothesis_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _forget_verify(monkeypatch)
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # import now fails
    assert main(["verify", "clip"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "gradclip verify: error: needs hypothesis, which is not installed; "
        "install it with: pip install 'gradclip[hypothesis]'\n"
    )


def test_cli_demo_into_a_closed_pipe_ends_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line, as `| head -0`
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gradclip", "demo"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, b"")
