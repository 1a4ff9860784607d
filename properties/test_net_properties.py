"""Properties of two-layer nets with the book's API: wrappers over gradclip.verify.

Each test loads the invariant's drawn parameters into the class chosen with
``--net-impl`` (gradclip's ``TwoLayerNet`` by default) and runs its check.
Each docstring states the property.
"""

import sys

from hypothesis import given, note

from gradclip.verify import NET_INVARIANTS, Convention, NetProblem
from gradclip.verify.evaluation import check_case

INVARIANTS = {invariant.name: invariant for invariant in NET_INVARIANTS}


def _check(name: str, net_impl: Convention, problem: NetProblem) -> None:
    note(f"sizes {problem.sizes}, labels {problem.labels.tolist()}")
    check_case(INVARIANTS[name], net_impl, problem)


@given(problem=INVARIANTS["gradient_matches_numerical"].cases)
def test_gradient_matches_numerical(net_impl: Convention, problem: NetProblem) -> None:
    """Backprop equals the float64 central-difference gradient, away from kinks."""
    _check("gradient_matches_numerical", net_impl, problem)


@given(problem=INVARIANTS["batch_gradient_is_mean"].cases)
def test_batch_gradient_is_mean(net_impl: Convention, problem: NetProblem) -> None:
    """The gradient of a batch is the mean of the per-example gradients."""
    _check("batch_gradient_is_mean", net_impl, problem)


@given(problem=INVARIANTS["logit_shift_invariance"].cases)
def test_logit_shift_invariance(net_impl: Convention, problem: NetProblem) -> None:
    """A constant added to every logit changes nothing: W2 rows and b2 sum to 0."""
    _check("logit_shift_invariance", net_impl, problem)


@given(problem=INVARIANTS["one_hot_equals_labels"].cases)
def test_one_hot_equals_labels(net_impl: Convention, problem: NetProblem) -> None:
    """One-hot targets and class labels give the same loss and gradient."""
    _check("one_hot_equals_labels", net_impl, problem)


@given(problem=INVARIANTS["no_mutation"].cases)
def test_no_mutation(net_impl: Convention, problem: NetProblem) -> None:
    """``loss`` and ``gradient`` leave x, t and every parameter bit-identical."""
    _check("no_mutation", net_impl, problem)


@given(problem=INVARIANTS["initial_params"].cases)
def test_initial_params(net_impl: Convention, problem: NetProblem) -> None:
    """A new net has zero biases and weights of std 0.01 that np.random.seed repeats."""
    _check("initial_params", net_impl, problem)


@given(problem=INVARIANTS["accuracy_of_predict"].cases)
def test_accuracy_of_predict(net_impl: Convention, problem: NetProblem) -> None:
    """accuracy is the fraction of samples whose largest logit is the target's."""
    _check("accuracy_of_predict", net_impl, problem)


@given(problem=INVARIANTS["numerical_gradient_agrees"].cases)
def test_numerical_gradient_agrees(net_impl: Convention, problem: NetProblem) -> None:
    """The net's own numerical_gradient agrees with gradient, away from kinks."""
    _check("numerical_gradient_agrees", net_impl, problem)


@given(problem=INVARIANTS["kink_passes_nothing"].cases)
def test_kink_passes_nothing(net_impl: Convention, problem: NetProblem) -> None:
    """Where a hidden unit's input is exactly 0, ReLU passes no gradient back."""
    _check("kink_passes_nothing", net_impl, problem)


@given(problem=INVARIANTS["huge_logits_finite"].cases)
def test_huge_logits_finite(net_impl: Convention, problem: NetProblem) -> None:
    """With logits of magnitude up to about 1e5, loss and gradient stay finite."""
    _check("huge_logits_finite", net_impl, problem)


@given(problem=INVARIANTS["integer_inputs"].cases)
def test_integer_inputs(net_impl: Convention, problem: NetProblem) -> None:
    """Integer inputs give the loss and gradient of the same values as floats."""
    _check("integer_inputs", net_impl, problem)


@given(problem=INVARIANTS["single_sample"].cases)
def test_single_sample(net_impl: Convention, problem: NetProblem) -> None:
    """A 1-D x with a scalar label or one-hot row acts as a batch of one."""
    _check("single_sample", net_impl, problem)


@given(problem=INVARIANTS["float_targets"].cases)
def test_float_targets(net_impl: Convention, problem: NetProblem) -> None:
    """Float labels and one-hot rows give the loss and gradient of integer ones."""
    _check("float_targets", net_impl, problem)


@given(problem=INVARIANTS["bad_input_rejected"].cases)
def test_bad_input_rejected(net_impl: Convention, problem: NetProblem) -> None:
    """Bad sizes, weight_init_std, inputs or targets raise an error naming them."""
    _check("bad_input_rejected", net_impl, problem)


def test_every_net_invariant_has_a_property() -> None:
    """Each invariant of the package is wrapped here, under its own name."""
    module = sys.modules[__name__]
    missing = [name for name in INVARIANTS if not hasattr(module, f"test_{name}")]
    assert not missing, f"invariants without a property test: {missing}"
