"""The demo reproduces the seed notebook's printed output byte for byte."""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

import gradclip
from gradclip.cli import main
from gradclip.demo import SECOND_EXAMPLE_SEED, first_example, second_example

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


def _seed_second_output() -> str:
    """What the seed printed under In [4] (cut short in the file), with its
    ``-0.`` shown as ``0.``: its NumPy's BLAS gave 0 times a negative number
    as -0.0, ours gives 0.0."""
    start = SEED.index("クリッピング前\nW1 =")
    return SEED[start:].rstrip("\n").replace("-0. ", " 0. ")


def test_demo_second_example_reproduces_every_number_the_seed_printed() -> None:
    header, body = second_example().split("\n\n", 1)
    assert (
        header
        == f"### TwoLayerNetを用いた実行例 (np.random.seed({SECOND_EXAMPLE_SEED}))"
    )
    expected = _seed_second_output()
    assert len(expected) > 900  # the file is cut short inside W2, after clipping
    assert body.startswith(expected)


def test_demo_second_example_has_the_structure_the_seed_shows() -> None:
    state = np.random.get_state()
    np.random.seed(SECOND_EXAMPLE_SEED)
    tnet = gradclip.TwoLayerNet(input_size=5, hidden_size=4, output_size=3)
    np.random.set_state(state)
    x, t = np.array([[1, 2, 3, 4, 5]]), np.array([[0, 0, 1]])
    grads = tnet.gradient(x, t)
    before = {key: value.copy() for key, value in grads.items()}
    logits = tnet.predict(x)
    softmax = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(grads["b2"], (softmax - t)[0], rtol=1e-12)
    np.testing.assert_allclose(grads["b2"], [1 / 3, 1 / 3, -2 / 3], atol=2e-3)
    dead = (x @ tnet.params["W1"] + tnet.params["b1"])[0] <= 0
    assert dead.tolist() == [False, True, False, True]
    assert not grads["W1"][:, dead].any()
    total = gradclip.clip_grads(grads, max_norm=0.5)
    for key, value in grads.items():
        np.testing.assert_allclose(
            value, before[key] * 0.5 / (total + 1e-6), rtol=1e-15
        )


def test_demo_second_example_leaves_global_random_state_alone() -> None:
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    second_example()
    assert np.random.rand() == expected


def test_cli_demo_prints_the_examples_and_exits_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out == first_example() + "\n" + second_example()
