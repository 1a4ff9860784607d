"""Properties of element-wise clipping: every value invariant of gradclip.verify.

``test_value`` runs once per invariant on the implementation chosen with
``--value-impl``, gradclip's ``clip_grads_value`` by default.
"""

import numpy as np

from gradclip.testing import InvariantCheck, Kind
from gradclip.verify import GradsCase

KIND: Kind = "value"
EXAMPLES = {
    "elements_clipped": [  # 0.30004 rounds up in float16: the bound must round down
        GradsCase(threshold=0.30004, grads={"a": np.array([0.31], np.float16)}),
    ],
    "within_bound": [  # np.clip and the frameworks leave float32(0.1) > 0.1 here
        GradsCase(threshold=0.1, grads={"a": np.array([1.0, -7.0], np.float32)}),
    ],
    "bound_beyond_float64": [  # 10**400 became inf, which left inf elements unclipped
        GradsCase(threshold=10**400, grads={"a": np.array([np.inf, -np.inf, 1.0])}),
    ],
}


def test_value(check: InvariantCheck) -> None:
    """The implementation satisfies the invariant named in the test's id."""
    check()
