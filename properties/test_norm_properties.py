"""Properties of the global norm: every norm invariant of gradclip.verify.

``test_norm`` runs once per invariant on the implementation chosen with
``--norm-impl``, gradclip's ``global_norm`` by default.
"""

import numpy as np

from gradclip.testing import InvariantCheck, Kind
from gradclip.verify import GradsCase

KIND: Kind = "norm"
EXAMPLES = {
    "exact_at_extremes": [  # |z| taken in complex128 overflowed to inf
        GradsCase(threshold=1.0, grads={"z": np.array([1.5e308 + 1.5e308j, 1e-300j])}),
    ],
    "p_norms": [  # |z| rounded to a complex64 subnormal: 29% off for p=1
        GradsCase(
            threshold=1.0, grads={"z": np.array([1.4e-45 + 1.4e-45j], np.complex64)}
        ),
    ],
    "largest_magnitude": [  # torch raised RuntimeError for an empty gradient
        GradsCase(threshold=1.0, grads={"a": np.array([], np.float32)}),
    ],
}


def test_norm(check: InvariantCheck) -> None:
    """The implementation satisfies the invariant named in the test's id."""
    check()
