"""Properties of two-layer nets with the book's API: every net invariant.

``test_net`` runs once per invariant on the implementation chosen with
``--net-impl``, gradclip's ``TwoLayerNet`` by default.
"""

from gradclip.testing import InvariantCheck, Kind

KIND: Kind = "net"


def test_net(check: InvariantCheck) -> None:
    """The implementation satisfies the invariant named in the test's id."""
    check()
