"""User tests drawing from the public strategies that must type-check."""

import math
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from gradclip import TwoLayerNet, clip_grads, global_norm
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


@given(gradient_dicts(min_size=1), max_norms(max_value=10.0))
def test_clipped_norm_is_at_most_max_norm(
    grads: dict[str, GradArray], max_norm: float
) -> None:
    clip_grads(grads, max_norm)
    assert global_norm(grads) <= max_norm * (1 + 1e-6)


@given(
    gradient_lists(
        gradient_arrays(dtypes=[np.float32, "float64"], allow_subnormal=True),
        max_size=4,
        allow_aliasing=True,
    ),
    max_norms(allow_infinity=True),
)
def test_list_of_arrays(grads: list[GradArray], max_norm: float) -> None:
    total: float = clip_grads(grads, max_norm)
    assert total >= 0 or math.isnan(total)


@given(st.data())
def test_drawn_values_keep_their_types(data: st.DataObject) -> None:
    grads = data.draw(gradient_dicts(keys=st.integers(0, 9), max_size=3))
    for index in grads:
        number: int = index
        assert number >= 0
    array = data.draw(gradient_arrays(max_dims=2, max_side=3, allow_nan=False))
    clip_grads([array], data.draw(max_norms()))
    input_size, hidden_size, output_size = data.draw(net_sizes(max_size=3))
    net = TwoLayerNet(input_size, hidden_size, output_size)
    drawn = data.draw(net_params(input_size, hidden_size, output_size))
    for key, value in drawn.items():
        net.params[key][...] = value
    x = data.draw(net_inputs(2, input_size, allow_integer=True))
    t = data.draw(net_targets(2, output_size, one_hot=False))
    clip_grads(net.gradient(x, t), 1.0)


@given(net_cases(max_size=3, one_hot=True, allow_integer_inputs=True))
def test_net_case(case: NetCase) -> None:
    net = TwoLayerNet(case.input_size, case.hidden_size, case.output_size)
    for key, value in case.params.items():
        net.params[key][...] = value
    assert clip_grads(net.gradient(case.x, case.t), 1.0) >= 0
