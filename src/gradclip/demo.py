"""``gradclip demo``: the seed notebook's worked examples, computed by gradclip.

The first example prints, byte for byte, what the seed notebook printed under
``In [3]`` (its Japanese headings included): two random gradient arrays
before and after ``clip_grads(grads, max_norm=5)``.
"""

import argparse
import io

import numpy as np
from numpy.typing import NDArray

from gradclip.clipping import clip_grads

__all__ = ["configure", "first_example", "run"]


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
    return 0
