"""Framework targets and forms: torch, optax and TensorFlow, checked as any code is.

Each framework's tests skip, with the reason, when it is not installed. The
findings are checked on hand-made cases (each the smallest we know), so that
a test fails when a framework fixes one or the adapter hides it; searches of
the core tier show that the adapters raise no false alarm.
"""

import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from gradclip.cli import main
from gradclip.verify import (
    CLIP_INVARIANTS,
    NORM_INVARIANTS,
    VALUE_INVARIANTS,
    Convention,
    GradsCase,
    Invariant,
    Kind,
    Unsupported,
    detect,
    run_invariants,
)
from gradclip.verify.frameworks import FRAMEWORK_FORMS, builtin_convention, load_target
from gradclip.verify.frameworks._arrays import import_framework

CHECKS = {
    (kind, invariant.name): invariant.check
    for kind, suite in (
        ("clip", CLIP_INVARIANTS),
        ("value", VALUE_INVARIANTS),
        ("norm", NORM_INVARIANTS),
    )
    for invariant in suite
}
SUITES: dict[str, tuple[Invariant[Any, Any], ...]] = {
    "clip": CLIP_INVARIANTS,
    "value": VALUE_INVARIANTS,
    "norm": NORM_INVARIANTS,
}


def _core_verdicts(convention: Convention, max_examples: int = 25) -> dict[str, str]:
    """Search the core tier; each invariant's verdict, with what failed."""
    core = [i for i in SUITES[convention.kind] if i.tier == "core"]
    outcomes = run_invariants(
        core, convention, max_examples=max_examples, derandomize=True, shrink=False
    )
    return {
        o.invariant.name: o.status
        + (f": {o.counterexample}: {o.error}" if o.error else "")
        for o in outcomes
    }


def _framework(kind: Kind, implementation: Any, framework: str) -> Convention:
    """Detect among a framework's forms, as ``--framework`` does."""
    return detect(kind, implementation, form=",".join(FRAMEWORK_FORMS[framework]))


def _assert_core_holds(verdicts: dict[str, str]) -> None:
    failed = {name: v for name, v in verdicts.items() if v.startswith("FAIL")}
    assert not failed, failed


def _case(threshold: float, **grads: Any) -> GradsCase:
    return GradsCase(grads=grads, threshold=threshold)


# Without any framework.


def test_core_cli_and_verify_import_no_framework() -> None:
    code = (
        "import sys, gradclip, gradclip.cli, gradclip.verify, "
        "gradclip.verify.frameworks, gradclip.verify.conformance\n"
        "gradclip.cli.main(['demo'])\n"
        "loaded = {'torch', 'jax', 'optax', 'tensorflow'} & set(sys.modules)\n"
        "assert not loaded, loaded"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_missing_framework_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=r"pip install 'gradclip\[torch\]'"):
        import_framework("torch", "torch")
    with pytest.raises(ImportError, match=r"gradclip\[torch\]"):
        load_target("torch", "clip")


def test_framework_forms_are_registered_for_each_grads_kind() -> None:
    from gradclip.verify.conventions import forms

    for kind in ("clip", "value", "shard"):
        names = {form.name for form in forms(kind)}
        assert {n for names_ in FRAMEWORK_FORMS.values() for n in names_} <= names


# torch.


@pytest.fixture
def torch() -> Any:
    return pytest.importorskip("torch", reason="torch is not installed")


def test_torch_clip_shares_memory_and_returns_the_norm(torch: Any) -> None:
    clip = load_target("torch", "clip").function
    backwards = np.array([0.0, 4.0, 3.0])[::-1]  # negative strides: copied back
    grads = {"W": np.array([3.0, 4.0]), "b": backwards}
    W = grads["W"]
    assert clip(grads, 1.0) == pytest.approx(math.sqrt(50))
    assert grads["W"] is W
    np.testing.assert_allclose(W, np.array([3.0, 4.0]) / math.sqrt(50), rtol=1e-6)
    np.testing.assert_allclose(
        backwards, np.array([3.0, 4.0, 0.0]) / math.sqrt(50), rtol=1e-6
    )


def test_torch_target_says_its_version(torch: Any) -> None:
    target = load_target("torch", "clip")
    assert target.version == f"torch {torch.__version__}"
    assert "clip_grad_norm_" in target.call


@pytest.mark.parametrize(
    "grads",
    [
        {"a": np.array([1, 2])},
        {"a": [1.0, 2.0]},
        {"a": np.array([3.0, 4.0], dtype=">f8")},
    ],
    ids=["integer array", "list", "non-native byte order"],
)
def test_torch_refuses_what_it_cannot_hold(torch: Any, grads: dict[str, Any]) -> None:
    with pytest.raises(Unsupported, match=r"grads\['a'\]"):
        load_target("torch", "clip").function(grads, 1.0)


def test_torch_read_only_array_is_unsupported(torch: Any) -> None:
    array = np.array([3.0, 4.0])
    array.flags.writeable = False
    with pytest.raises(Unsupported, match="read-only"):
        load_target("torch", "clip").function({"a": array}, 1.0)


def _tied() -> dict[str, Any]:
    shared = np.array([3.0, 4.0])
    return {"W": shared, "W_tied": shared}


# Each finding of issue 13, on a case that shows it, with what the check says.
TORCH_FINDINGS = [
    pytest.param(
        "clip",
        "clipping_at_extremes",
        _case(1.0, a=np.array([2e19, 2e19], np.float32)),
        AssertionError,
        r"should be clipped to .*, got 0\.0$",
        id="squares overflow float32: zeroed",
    ),
    pytest.param(
        "clip",
        "clipping_at_extremes",
        _case(1.0, a=np.array([6e4, 6e4], np.float16)),
        AssertionError,
        r"should be clipped to .*, got 0\.0$",
        id="norm beyond float16: zeroed",
    ),
    pytest.param(
        "clip",
        "clipping_at_extremes",
        _case(1.0, a=np.array([1e155, 1e155])),
        AssertionError,
        r"should be clipped to .*, got 0\.0$",
        id="squares overflow float64: zeroed",
    ),
    pytest.param(
        "norm",
        "p_norms",
        _case(1.0, a=np.array([1e-120, 1e-120])),
        AssertionError,
        r"norm_type=3\.0 gave 0\.0",
        id="3-norm underflows",
    ),
    pytest.param(
        "clip",
        "aliasing_counted_once",
        _case(1.0, **_tied()),
        AssertionError,
        "should be clipped",
        id="parameter listed twice",
    ),
    pytest.param(
        "clip",
        "bad_input_atomic",
        _case(-1.0, a=np.array([3.0, 4.0])),
        AssertionError,
        r"got no error.*became array\(\[-0\.59",
        id="negative max_norm flips signs",
    ),
    pytest.param(
        "norm",
        "largest_magnitude",
        _case(1.0, a=np.array([], np.float32)),
        RuntimeError,
        "infinity norm on an empty tensor",
        id="empty gradient, norm_type=inf",
    ),
    pytest.param(
        "clip",
        "zero_threshold",
        _case(0.0, a=np.zeros(2, np.float16)),
        AssertionError,
        "nan",
        id="max_norm=0 makes float16 zeros NaN",
    ),
    pytest.param(
        "clip",
        "large_arrays",
        _case(1.0, large=np.full((1 << 21) + 1, 0.3, np.float32)),
        AssertionError,
        r"should be clipped to \[0\.99999.*, got 1\.0006",
        id="float32 norm of 2M elements",
    ),
    pytest.param(
        "value",
        "within_bound",
        _case(0.1, a=np.array([1.0, -7.0], np.float32)),
        AssertionError,
        r"0\.10000000149011612",
        id="clip_grad_value_ above the bound",
    ),
]


@pytest.mark.parametrize(("kind", "name", "case", "error", "match"), TORCH_FINDINGS)
def test_torch_findings(
    torch: Any,
    kind: Kind,
    name: str,
    case: GradsCase,
    error: type[Exception],
    match: str,
) -> None:
    target = load_target("torch", kind).function
    with pytest.raises(error, match=match):
        CHECKS[kind, name](target, case)


@pytest.mark.parametrize("kind", ["clip", "value", "norm"])
def test_torch_targets_keep_the_core_contract(torch: Any, kind: Kind) -> None:
    verdicts = _core_verdicts(builtin_convention("torch", kind))
    if kind == "value":  # clip_grad_value_([]) raises RuntimeError
        assert verdicts.pop("elements_clipped").startswith("FAIL")
        verdicts = {k: v for k, v in verdicts.items() if "grads={}" not in v}
    _assert_core_holds(verdicts)


def _torch_norm(torch: Any, tensors: list[Any]) -> Any:
    squares = [torch.sum(t.double().abs() ** 2) for t in tensors]
    return torch.sqrt(torch.stack(squares).sum()) if squares else torch.zeros(())


def test_users_torch_tensor_clipper_is_verified(torch: Any) -> None:
    def clip(tensors: list[Any], max_norm: float) -> Any:
        total = _torch_norm(torch, tensors)
        rate = max_norm / (float(total) + 1e-6)
        if rate < 1:
            for tensor in tensors:
                tensor.mul_(rate)
        return total

    convention = _framework("clip", clip, "torch")
    assert convention.name == "torch-tensors"
    _assert_core_holds(_core_verdicts(convention))


def test_users_torch_parameters_clipper_is_verified(torch: Any) -> None:
    def clip(parameters: list[Any], max_norm: float) -> None:
        grads = [p.grad for p in parameters]
        rate = max_norm / (float(_torch_norm(torch, grads)) + 1e-6)
        if rate < 1:
            for p in parameters:
                p.grad = p.grad * rate  # a new tensor: copied back

    convention = _framework("clip", clip, "torch")
    assert convention.name == "torch-params"
    _assert_core_holds(_core_verdicts(convention))


def test_users_wrong_torch_clipper_fails(torch: Any) -> None:
    def per_tensor(tensors: list[Any], max_norm: float) -> None:
        for tensor in tensors:
            rate = max_norm / (float(_torch_norm(torch, [tensor])) + 1e-6)
            if rate < 1:
                tensor.mul_(rate)

    verdicts = _core_verdicts(_framework("clip", per_tensor, "torch"), 100)
    assert verdicts["clip_to_bound"].startswith("FAIL")


# JAX and optax.


@pytest.fixture
def jax() -> Iterator[Any]:
    module = pytest.importorskip("jax", reason="JAX is not installed")
    pytest.importorskip("optax", reason="optax is not installed")
    x64 = module.config.jax_enable_x64
    yield module
    module.config.update("jax_enable_x64", x64)


def test_optax_target_turns_x64_on_and_says_so(jax: Any) -> None:
    jax.config.update("jax_enable_x64", False)
    target = load_target("optax", "clip")
    assert jax.config.jax_enable_x64
    assert target.precision is not None
    assert "on" in target.precision
    assert "optax" in target.version


def test_optax_keeps_the_core_contract(jax: Any) -> None:
    for kind in ("clip", "value", "norm"):
        _assert_core_holds(_core_verdicts(builtin_convention("optax", kind), 10))


def test_optax_finding_zero_threshold_makes_float16_nan(jax: Any) -> None:
    clip = load_target("optax", "clip").function
    with pytest.raises(AssertionError, match="nan"):
        CHECKS["clip", "zero_threshold"](clip, _case(0.0, a=np.zeros(2, np.float16)))


def _jax_clip(jax: Any) -> Callable[..., object]:
    jnp = jax.numpy

    def clip(tree: dict[str, Any], max_norm: float) -> tuple[dict[str, Any], Any]:
        leaves = jax.tree.leaves(tree)
        norm = jnp.sqrt(sum((jnp.sum(jnp.abs(g) ** 2) for g in leaves), 0.0))
        rate = max_norm / (norm + 1e-6)
        scale = jnp.where(rate < 1, rate, 1.0)
        return jax.tree.map(lambda g: (g * scale).astype(g.dtype), tree), norm

    return clip


def test_users_jax_pytree_clipper_is_verified(jax: Any) -> None:
    jax.config.update("jax_enable_x64", True)
    convention = _framework("clip", _jax_clip(jax), "jax")
    assert "returned norm" in convention.offers
    _assert_core_holds(_core_verdicts(convention))


def test_jax_without_x64_skips_float64_and_judges_float32(jax: Any) -> None:
    jax.config.update("jax_enable_x64", False)
    convention = _framework("clip", _jax_clip(jax), "jax")
    with pytest.raises(Unsupported, match="jax_enable_x64 is off"):
        convention.adapted({"a": np.array([3.0, 4.0])}, 1.0)
    _assert_core_holds(_core_verdicts(convention))
    (outcome,) = run_invariants(
        CLIP_INVARIANTS[:1], convention, max_examples=25, derandomize=True
    )
    assert outcome.status == "PASS"  # on the float32 cases; float64 ones skipped


def test_users_wrong_jax_clipper_fails(jax: Any) -> None:
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def no_sqrt(tree: dict[str, Any], max_norm: float) -> Any:
        square = sum((jnp.sum(g**2) for g in jax.tree.leaves(tree)), 0.0)
        rate = max_norm / (square + 1e-6)
        return jax.tree.map(lambda g: jnp.where(rate < 1, g * rate, g), tree)

    verdicts = _core_verdicts(_framework("clip", no_sqrt, "jax"), 40)
    assert verdicts["clip_to_bound"].startswith("FAIL")


# TensorFlow.


@pytest.fixture
def tf() -> Any:
    return pytest.importorskip("tensorflow", reason="TensorFlow is not installed")


@pytest.mark.parametrize(
    ("grads", "match"),
    [
        ({"a": np.ones(2, np.float32), "b": np.ones(2)}, "cannot mix dtypes"),
        ({"a": np.array([1j])}, "complex128"),
    ],
    ids=["mixed dtypes", "complex"],
)
def test_tensorflow_refuses_what_it_cannot_compute(
    tf: Any, grads: dict[str, Any], match: str
) -> None:
    with pytest.raises(Unsupported, match=match):
        load_target("tensorflow", "clip").function(grads, 1.0)


def test_tensorflow_keeps_the_core_contract_but_rescales_below(tf: Any) -> None:
    convention = builtin_convention("tensorflow", "clip")
    verdicts = _core_verdicts(convention)
    verdicts.pop("noop_below_threshold")  # fails on some cases, as below
    _assert_core_holds(verdicts)
    # clip_norm * min(1 / norm, 1 / clip_norm) is not exactly 1 below the bound
    below = _case(1.5000930528259278, a=np.array([1.0], np.float32))
    with pytest.raises(AssertionError, match="was changed to"):
        CHECKS["clip", "noop_below_threshold"](convention.adapted, below)


def test_tensorflow_finding_infinite_max_norm_makes_nan(tf: Any) -> None:
    clip = load_target("tensorflow", "clip").function
    with pytest.raises(AssertionError, match="nan"):
        CHECKS["clip", "noop_below_threshold"](
            clip, _case(math.inf, a=np.array([3.0, 4.0], np.float32))
        )


def test_users_tensorflow_clipper_is_verified(tf: Any) -> None:
    def clip(tensors: list[Any], max_norm: float) -> tuple[list[Any], Any]:
        norms = [tf.norm(tf.cast(t, tf.float64)) for t in tensors]
        total = tf.norm(tf.stack(norms)) if norms else tf.constant(0.0, tf.float64)
        rate = max_norm / (float(total) + 1e-6)
        if rate >= 1:
            return tensors, total
        return [t * rate for t in tensors], total  # rate converted to t's dtype

    _assert_core_holds(_core_verdicts(_framework("clip", clip, "tensorflow")))


# The command line.

_TORCH_CLIPPER = """
import torch


def clip(tensors, max_norm):
    zero = torch.zeros((), dtype=torch.float64)
    total = torch.sqrt(sum((torch.sum(t.double() ** 2) for t in tensors), zero))
    rate = max_norm / (float(total) + 1e-6)
    if rate < 1:
        for tensor in tensors:
            tensor.mul_(rate)
"""

_JAX_CLIPPER = """
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)


def clip(tree, max_norm):
    leaves = jax.tree.leaves(tree)
    norm = jnp.sqrt(sum((jnp.sum(jnp.abs(g) ** 2) for g in leaves), 0.0))
    scale = jnp.minimum(max_norm / (norm + 1e-6), 1.0)
    return jax.tree.map(lambda g: (g * scale).astype(g.dtype), tree), norm
"""


def _verify(
    capsys: pytest.CaptureFixture[str], *argv: str, examples: int = 15
) -> tuple[int, str]:
    status = main(["verify", *argv, "--max-examples", str(examples), "--seed", "1"])
    return status, capsys.readouterr().out


@pytest.mark.parametrize(
    ("framework", "source", "form"),
    [("torch", _TORCH_CLIPPER, "torch-tensors"), ("jax", _JAX_CLIPPER, "jax-pytree")],
)
def test_cli_verifies_a_users_framework_clipper(
    framework: str,
    source: str,
    form: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip(framework, reason=f"{framework} is not installed")
    (tmp_path / "users_clipper.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    status, out = _verify(
        capsys,
        "clip",
        "users_clipper:clip",
        "--framework",
        framework,
        "--tier",
        "core",
        examples=5 if framework == "jax" else 15,  # JAX compiles each new shape
    )
    assert f"(--form {form})" in out
    assert "verdict: core holds (exit 0)" in out, out
    assert status == 0


def test_cli_checks_torch_and_reports_its_version(
    torch: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _verify(capsys, "clip", "torch", "--only", "zero_threshold")
    assert f"note: torch {torch.__version__}: torch.nn.utils.clip_grad_norm_" in out
    assert "FAIL robust zero_threshold" in out
    assert status == 0  # robust failures do not fail the verdict
    strict = main(["verify", "clip", "torch", "--only", "zero_threshold", "--strict"])
    assert strict == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["norm", "torch", "--form", "list"], "--form does not apply"),
        (["net", "torch"], "torch has no net target"),
        (["clip", "--framework", "torch"], "--framework needs a kind and MODULE:ATTR"),
        (["--readme", "README.md"], "--readme needs --report"),
    ],
    ids=["form", "net", "framework without target", "readme"],
)
def test_cli_refuses_bad_framework_arguments(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", *argv]) == 2
    assert message in capsys.readouterr().err
