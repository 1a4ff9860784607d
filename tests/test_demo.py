"""The demo reproduces the seed notebook's printed output byte for byte."""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

import gradclip
from gradclip.cli import main
from gradclip.demo import first_example

SEED = (Path(__file__).parent / "data" / "seed_notebook.txt").read_text("utf-8")


def _seed_first_output() -> str:
    """The text the seed printed under In [3]: up to its last ``print()``."""
    match = re.search(
        r"^クリッピング前\n.*?^max of grads= [0-9.]+\n\nクリッピング後\n"
        r".*?^max of grads= [0-9.]+\n\n",
        SEED,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert match is not None
    return match.group(0)


def _seed_first_code() -> str:
    """The code of the seed's In [3] cell."""
    match = re.search(r"^In \[3\]:\n(.*?)\nクリッピング前\n", SEED, re.M | re.S)
    assert match is not None
    return match.group(1)


def test_demo_first_example_matches_the_seed_byte_for_byte() -> None:
    assert first_example() == _seed_first_output()


def test_demo_first_example_leaves_global_random_state_alone() -> None:
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    first_example()
    assert np.random.rand() == expected


def test_seed_code_with_gradclip_clip_grads_prints_the_seed_output() -> None:
    out = io.StringIO()
    namespace = {"np": np, "clip_grads": gradclip.clip_grads}
    with contextlib.redirect_stdout(out):
        exec(_seed_first_code(), namespace)  # the seed's own cell, unchanged
    assert out.getvalue() == _seed_first_output()


def test_cli_demo_prints_the_examples_and_exits_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == 0
    assert capsys.readouterr().out.startswith(_seed_first_output())
