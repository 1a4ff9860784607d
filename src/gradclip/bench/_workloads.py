"""The gradient dicts the benchmark clips, at full and at quick sizes."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from gradclip._typing import GradArray

__all__ = ["GradientWorkload", "gradient_workloads"]

_STD = 0.01
"""Standard deviation of every element: gradient-sized, and so small that the
seed's float16 squares neither overflow nor vanish."""


@dataclass(frozen=True)
class _Sizes:
    """GPT-2's width, vocabulary and blocks; the mixed dict's width; the
    number of small arrays, and of tiny ones."""

    width: int
    vocab: int
    blocks: int
    mixed_width: int
    count: int
    tiny: int


_FULL = _Sizes(
    width=768, vocab=50257, blocks=12, mixed_width=256, count=10_000, tiny=10**6
)
"""The issue's sizes; the mixed dict is narrower, as NumPy's float16 is slow."""

_QUICK = _Sizes(width=16, vocab=50, blocks=2, mixed_width=16, count=100, tiny=1000)


@dataclass(frozen=True)
class GradientWorkload:
    """A named gradient dict to clip.

    Attributes:
        name: the short name used by ``--workload``.
        summary: what the dict holds, for the table's legend.
        grads: the arrays, freshly drawn.
        with_baselines: time the seed and torch too (not for a million
            arrays, where their Python loops would take most of the run).
        max_repeat: the most timed runs per candidate.
    """

    name: str
    summary: str
    grads: dict[str, GradArray]
    with_baselines: bool = True
    max_repeat: int = 1000


def gradient_workloads(names: set[str], *, quick: bool) -> Iterator[GradientWorkload]:
    """Yield the clipping workloads whose names are in ``names``, one at a time.

    Args:
        names: which of ``gpt2``, ``small``, ``mixed`` and ``tiny`` to build.
        quick: tiny sizes of the same shapes, for a run of seconds.

    Yields:
        The workloads, in the order ``gpt2``, ``small``, ``mixed``, ``tiny``; each is
        built only when the previous one may be freed.
    """
    sizes = _QUICK if quick else _FULL
    rng = np.random.default_rng(0)
    builders: dict[str, Callable[[], GradientWorkload]] = {
        "gpt2": lambda: _workload(
            "gpt2",
            "GPT-2-small-shaped float32 dict",
            _gpt2(rng, sizes.width, sizes.vocab, sizes.blocks),
        ),
        "small": lambda: _workload(
            "small",
            "float64 arrays of 64 elements",
            {f"g{i}": _normal(rng, (64,), np.float64) for i in range(sizes.count)},
        ),
        "mixed": lambda: _workload(
            "mixed",
            f"{sizes.blocks} GPT-2 blocks of width {sizes.mixed_width}, "
            "matrices float16, vectors float32",
            _gpt2(rng, sizes.mixed_width, 0, sizes.blocks, matrix_dtype=np.float16),
        ),
        "tiny": lambda: _workload(
            "tiny",
            "float32 arrays of 4 elements",
            {f"t{i}": _normal(rng, (4,), np.float32) for i in range(sizes.tiny)},
            with_baselines=False,
            max_repeat=3,
        ),
    }
    for name, build in builders.items():
        if name in names:
            yield build()


def _workload(
    name: str,
    summary: str,
    grads: dict[str, GradArray],
    *,
    with_baselines: bool = True,
    max_repeat: int = 1000,
) -> GradientWorkload:
    elements = sum(array.size for array in grads.values())
    megabytes = sum(array.nbytes for array in grads.values()) / 1e6
    return GradientWorkload(
        name,
        f"{name}: {summary}, {elements:,} elements in {len(grads):,} arrays, "
        f"{megabytes:,.1f} MB",
        grads,
        with_baselines,
        max_repeat,
    )


def _gpt2(
    rng: np.random.Generator,
    width: int,
    vocab: int,
    blocks: int,
    *,
    matrix_dtype: DTypeLike = np.float32,
) -> dict[str, GradArray]:
    """GPT-2's gradient shapes: a token embedding, then per block attention
    (qkv, projection), MLP (up, down) and two layer norms; no embedding when
    ``vocab`` is 0."""
    grads = {"wte": _normal(rng, (vocab, width), matrix_dtype)} if vocab else {}
    for block in range(blocks):
        shapes = {
            "attn.c_attn.w": (width, 3 * width),
            "attn.c_attn.b": (3 * width,),
            "attn.c_proj.w": (width, width),
            "attn.c_proj.b": (width,),
            "mlp.c_fc.w": (width, 4 * width),
            "mlp.c_fc.b": (4 * width,),
            "mlp.c_proj.w": (4 * width, width),
            "mlp.c_proj.b": (width,),
            "ln_1.w": (width,),
            "ln_2.w": (width,),
        }
        for name, shape in shapes.items():
            dtype = matrix_dtype if len(shape) == 2 else np.float32
            grads[f"h.{block}.{name}"] = _normal(rng, shape, dtype)
    return grads


def _normal(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: DTypeLike
) -> GradArray:
    array = rng.standard_normal(shape, dtype=np.float32)
    array *= _STD
    grad: GradArray = array.astype(dtype, copy=False)
    return grad
