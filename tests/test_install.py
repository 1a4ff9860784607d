"""The core install: a fresh virtual environment with ``pip install .`` alone.

NumPy is the only dependency; ``gradclip --help``, ``--version``, ``demo`` and
``bench`` must work there, and ``verify`` must say how to get its extra.
"""

import subprocess
import sys
import venv
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def core_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding gradclip and NumPy only; its scripts' folder."""
    home = tmp_path_factory.mktemp("core-install")
    venv.create(home, with_pip=True)
    bin_dir = home / "bin"
    subprocess.run(
        [bin_dir / "pip", "install", "--quiet", "--no-input", str(_ROOT)],
        check=True,
        capture_output=True,
    )
    return bin_dir


def _run(bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [bin_dir / "gradclip", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_core_install_holds_numpy_alone(core_bin: Path) -> None:
    listed = subprocess.run(
        [core_bin / "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {line.split("==")[0].lower() for line in listed.split()}
    assert {"gradclip", "numpy"} <= names
    assert "hypothesis" not in names


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("demo",),
        ("bench", "--quick", "--workload", "small"),
    ],
    ids=" ".join,
)
def test_core_install_runs_without_extras(
    core_bin: Path, args: tuple[str, ...]
) -> None:
    result = _run(core_bin, *args)
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr  # bench reports progress there, nothing else
    assert result.stdout


def test_core_install_demo_prints_what_the_checkout_prints(core_bin: Path) -> None:
    here = subprocess.run(
        [sys.executable, "-m", "gradclip", "demo"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert _run(core_bin, "demo").stdout == here.stdout


def test_core_install_verify_names_the_extra_in_one_line(core_bin: Path) -> None:
    result = _run(core_bin, "verify", "clip")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "gradclip verify: error: needs hypothesis, which is not installed; "
        "install it with: pip install 'gradclip[hypothesis]'"
    ]
