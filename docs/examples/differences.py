"""Where the book's clip_grads and gradclip.clip_grads differ, side by side.

Run from this folder: ``python differences.py``. ``docs/ja.md`` shows its
output. Each case gives the book's function (as ``clip_util.clip_grads``,
volume 2's list form) and gradclip's the same fresh gradients.
"""

import warnings

import numpy as np
from clip_util import clip_grads as book_clip_grads

from gradclip import clip_grads

print("1. The same array twice in the list (shared weights)")
for name, clip in [("book", book_clip_grads), ("gradclip", clip_grads)]:
    g = np.array([3.0, 4.0])  # norm 5
    clip([g, g], 1.0)
    print(f"   {name:>8}: {g}  norm {np.linalg.norm(g):.4f}")

print("2. float32 gradients whose squares overflow (1e20 ** 2 > 3.4e38)")
for name, clip in [("book", book_clip_grads), ("gradclip", clip_grads)]:
    g = np.array([1e20, 1e20], dtype=np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clip([g], 1.0)
    warned = f"  ({caught[0].message})" if caught else ""
    print(f"   {name:>8}: {g}{warned}")

print("3. An integer array after a float one")
for name, clip in [("book", book_clip_grads), ("gradclip", clip_grads)]:
    W = np.array([3.0, 4.0])
    b = np.array([12, 0])
    try:
        clip([W, b], 1.0)
    except (TypeError, ValueError) as error:
        print(f"   {name:>8}: {type(error).__name__}: {error}")
    print(f"   {'':>8}  W is now {W}")
