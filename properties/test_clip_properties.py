"""Properties of clipping by global norm: every clip invariant of gradclip.verify.

``test_clip`` runs once per invariant (``test_clip[clip-core-norm_bound]``
and so on; the statements are in ``gradclip verify clip``'s report) on the
implementation chosen with ``--clip-impl``, gradclip's ``clip_grads`` by
default. ``EXAMPLES`` pins the shrunk failures of bugs fixed before.
"""

import numpy as np

from gradclip.testing import InvariantCheck, Kind
from gradclip.verify import GradsCase

KIND: Kind = "clip"
EXAMPLES = {
    "clip_to_bound": [  # norm + 1e-6 is exactly 1.0
        GradsCase(threshold=0.5, grads={"W": np.array([0.999999])}),
    ],
    "clipping_at_extremes": [
        GradsCase(  # a norm beyond float64 once zeroed float16 arrays
            threshold=1.5e308,
            grads={"a": np.array(1.0, np.float16), "b": np.array([1.5e308, 1.5e308])},
        ),
        GradsCase(  # float32 squares overflow: the seed's norm becomes inf
            threshold=5.0, grads={"W": np.array([1e20, 1e20], np.float32)}
        ),
        GradsCase(  # subnormal norm: exact only to 2**-1074
            threshold=1.0, grads={"A": np.array([5e-324, 5e-324])}
        ),
    ],
    "threshold_beyond_float64": [  # 5 * 10**308 became inf: 1e309 stayed unclipped
        GradsCase(threshold=5 * 10**308, grads={"huge": np.full(10000, 1e307)}),
    ],
    "complex_arrays": [  # |z| taken in complex64 overflowed: finite grads refused
        GradsCase(threshold=1.0, grads={"z": np.array([3e38 + 3e38j], np.complex64)}),
    ],
}


def test_clip(check: InvariantCheck) -> None:
    """The implementation satisfies the invariant named in the test's id."""
    check()
