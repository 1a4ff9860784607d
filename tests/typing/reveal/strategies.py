"""The types the public strategies make, as users see them."""

from fractions import Fraction
from typing import Any, assert_type

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

GradArray = NDArray[np.floating[Any] | np.complexfloating[Any, Any]]
SearchStrategy = st.SearchStrategy

assert_type(gradient_arrays(), SearchStrategy[GradArray])
assert_type(
    gradient_arrays(dtypes=["float32"], allow_nan=True), SearchStrategy[GradArray]
)
assert_type(gradient_dicts(), SearchStrategy[dict[str, GradArray]])
assert_type(
    gradient_dicts(gradient_arrays(max_dims=1)), SearchStrategy[dict[str, GradArray]]
)
assert_type(gradient_dicts(keys=st.integers()), SearchStrategy[dict[int, GradArray]])
assert_type(
    gradient_dicts(keys=st.tuples(st.text(), st.integers())),
    SearchStrategy[dict[tuple[str, int], GradArray]],
)
assert_type(gradient_lists(max_size=3), SearchStrategy[list[GradArray]])
assert_type(max_norms(), SearchStrategy[float])
assert_type(max_norms(min_value=1, max_value=10), SearchStrategy[float])
assert_type(net_sizes(), SearchStrategy[tuple[int, int, int]])
assert_type(net_params(5, 4, 3), SearchStrategy[dict[str, NDArray[np.float64]]])
assert_type(
    net_inputs(2, 5, allow_integer=True),
    SearchStrategy[NDArray[np.float64] | NDArray[np.int64]],
)
assert_type(net_targets(2, 3), SearchStrategy[NDArray[np.int64]])
assert_type(net_cases(), SearchStrategy[NetCase])


def fields(case: NetCase) -> None:
    assert_type(case.input_size, int)
    assert_type(case.hidden_size, int)
    assert_type(case.output_size, int)
    assert_type(case.params, dict[str, NDArray[np.float64]])
    assert_type(case.x, NDArray[np.float64] | NDArray[np.int64])
    assert_type(case.t, NDArray[np.int64])


assert_type(
    max_norms(allow_beyond_float64=True),
    SearchStrategy[float | int | Fraction | np.longdouble],
)
