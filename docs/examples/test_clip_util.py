"""The reader's list ``clip_grads`` under pytest, one test per core invariant.

Run from this folder: ``pytest -q test_clip_util.py``. ``docs/ja.md`` shows
its output.
"""

from clip_util import clip_grads

from gradclip.testing import parametrize_with_invariants


@parametrize_with_invariants("clip", clip_grads, tier="core")
def test_clip_grads(check):
    check()
