"""Calls to the public strategies that both checkers must reject.

Each line carries the error code mypy must report and the rule pyright must
report; a line that stops failing is reported as an unused ignore.
"""

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from gradclip.strategies import (
    NetCase,
    gradient_arrays,
    gradient_dicts,
    gradient_lists,
    max_norms,
    net_cases,
    net_inputs,
    net_params,
    net_sizes,
    net_targets,
)

# Options are keyword-only, with the names Hypothesis uses.
gradient_arrays(np.float32)  # type: ignore[call-arg, arg-type]  # pyright: ignore[reportCallIssue]
gradient_lists(gradient_arrays(), 0, 3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
max_norms(0.0, 1.0)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
net_sizes(1, 3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
gradient_lists(allow_alias=True)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
max_norms(allow_inf=True)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
net_inputs(2, 3, allow_integers=True)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
net_params(2, 3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
NetCase(1, 2, 3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]

# Options of the wrong type.
gradient_lists(max_size=3.5)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
gradient_arrays(dtypes=np.float32)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
gradient_arrays(allow_nan=None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
max_norms(min_value="0")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
net_targets(4, 3, one_hot="yes")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
net_cases(one_hot=1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
# A strategy of something other than gradient arrays.
gradient_lists(st.integers())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
gradient_lists(st.just(np.arange(3)))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
# gradient_dicts is overloaded on keys: mypy reports the failed overload
# match, pyright the argument or the call.
gradient_dicts(arrays=st.integers())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
gradient_dicts(min_size="1")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
gradient_dicts(keys=["W1", "b1"])  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
gradient_dicts(size=3)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]

# What the strategies make.
d: dict[int, NDArray[np.float64]] = gradient_dicts().example()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
lst: list[NDArray[np.int64]] = gradient_lists().example()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
case: NetCase = net_sizes().example()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
targets: NDArray[np.float64] = net_targets(2, 3).example()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
