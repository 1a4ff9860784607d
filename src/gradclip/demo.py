"""``gradclip demo``: the seed notebook's worked examples, computed by gradclip.

The first example prints, byte for byte, what the seed notebook printed under
``In [3]`` (its Japanese headings included): two random gradient arrays
before and after ``clip_grads(grads, max_norm=5)``. The second prints the
gradients of a ``TwoLayerNet(5, 4, 3)`` before and after
``clip_grads(grads, max_norm=0.5)``, as under ``In [4]``. The notebook did not
show its random seed; ``np.random.seed(1234)`` reproduces every number it
printed (its NumPy printed ``-0.`` for some zeros that ours prints as ``0.``).
"""

import argparse
import io

import numpy as np
from numpy.typing import NDArray

from gradclip._typing import FloatArray
from gradclip.clipping import clip_grads
from gradclip.net import TwoLayerNet

__all__ = ["SECOND_EXAMPLE_SEED", "configure", "first_example", "run", "second_example"]

SECOND_EXAMPLE_SEED = 1234
"""The seed of NumPy's global generator that reproduces the notebook's In [4]."""


def first_example() -> str:
    """Return the output of the seed's first example, run with ``clip_grads``.

    The arrays come from ``np.random.seed(1324)``'s stream, drawn from a
    private ``RandomState`` so that NumPy's global random state is untouched.
    """
    random = np.random.RandomState(1324)
    g1 = random.rand(2, 5) * 10
    g2 = random.rand(3, 4) * 5
    grads = {"W1": g1, "W2": g2}
    out = io.StringIO()
    _print_grads(out, "クリッピング前", grads)
    clip_grads(grads, max_norm=5)
    _print_grads(out, "クリッピング後", grads)
    return out.getvalue()


def second_example() -> str:
    """Return the output of the seed's second example, run with gradclip.

    The weights come from ``np.random.seed(SECOND_EXAMPLE_SEED)``, as the book's
    network draws them; NumPy's global random state is restored afterwards.
    """
    state = np.random.get_state()
    try:
        np.random.seed(SECOND_EXAMPLE_SEED)
        tnet = TwoLayerNet(input_size=5, hidden_size=4, output_size=3)
    finally:
        np.random.set_state(state)
    x = np.array([[1, 2, 3, 4, 5]])
    t = np.array([[0, 0, 1]])
    grads = tnet.gradient(x, t)
    out = io.StringIO()
    print(
        f"### TwoLayerNetを用いた実行例 (np.random.seed({SECOND_EXAMPLE_SEED}))\n",
        file=out,
    )
    _print_each(out, "クリッピング前", grads)
    clip_grads(grads, max_norm=0.5)
    _print_each(out, "クリッピング後", grads)
    return out.getvalue()


def _print_each(out: io.StringIO, heading: str, grads: dict[str, FloatArray]) -> None:
    print(heading, file=out)
    for key, value in grads.items():
        print(key, "=", file=out)
        print(value, file=out)
        print(file=out)


def _print_grads(
    out: io.StringIO, heading: str, grads: dict[str, NDArray[np.float64]]
) -> None:
    print(heading, file=out)
    print("grads=", file=out)
    print(grads["W1"].round(2), file=out)
    print(grads["W2"].round(2), file=out)
    print("max of grads=", max(grads["W1"].max(), grads["W2"].max()), file=out)
    print(file=out)


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the demo's arguments: it has none."""


def run(args: argparse.Namespace) -> int:
    """Print the seed's examples and return 0."""
    print(first_example(), end="")
    print()
    print(second_example(), end="")
    return 0
