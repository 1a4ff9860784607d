"""The tutorial's RNN (docs/examples/rnn.py) backpropagates through time correctly.

The notebook that trains it runs only with the ``examples`` extra; this test
needs NumPy alone, so that a change to the RNN or to ``check_gradients`` that
breaks the tutorial is caught by the ordinary suite.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from gradclip import check_gradients

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


@pytest.fixture(scope="module")
def rnn() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rnn", EXAMPLES / "rnn.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _problem(rnn: ModuleType) -> tuple[object, np.ndarray, np.ndarray]:
    model = rnn.RnnClassifier(2, hidden_size=4, output_size=3, wh_scale=2.0, seed=3)
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((5, 6, 2))
    return model, xs, rng.integers(0, 3, 5)


def test_rnn_gradient_matches_central_differences(rnn: ModuleType) -> None:
    model, xs, t = _problem(rnn)
    result = check_gradients(model, xs, t)  # type: ignore[arg-type]  # an untyped example module
    assert result.ok, str(result)


def test_rnn_check_fails_when_bptt_drops_the_carried_gradient(
    rnn: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The classic mistake: each step's backward gets only its own dh, not the
    # gradient carried back from the step after it.
    def backward(self: object, dh_next: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx, _ = original(self, dh_next)
        return dx, np.zeros_like(dh_next)

    original = rnn.RNN.backward
    monkeypatch.setattr(rnn.RNN, "backward", backward)
    model, xs, t = _problem(rnn)
    result = check_gradients(model, xs, t)  # type: ignore[arg-type]  # as above
    assert not result.ok
    failed = {row.name for row in result.summaries if row.failed}
    assert {"Wx", "Wh", "b"} <= failed
    assert "W" not in failed
