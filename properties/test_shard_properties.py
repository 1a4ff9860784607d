"""Properties of clipping shards by a global norm: every shard invariant.

``test_shard`` runs once per invariant on the implementation chosen with
``--shard-impl``, gradclip's ``clip_grads_with_norm`` by default.
"""

from gradclip.testing import InvariantCheck, Kind

KIND: Kind = "shard"


def test_shard(check: InvariantCheck) -> None:
    """The implementation satisfies the invariant named in the test's id."""
    check()
