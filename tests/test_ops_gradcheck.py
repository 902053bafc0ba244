"""gradcheck (and gradgradcheck where supported) for every op and sample in tests/op_db.py:
autograd's gradients against central finite differences, in float64 on the CPU."""
import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck

from op_db import OP_DB, all_samples, as_list, call, make_inputs

SAMPLES = all_samples()
IDS = [f"{op.name}-{k}-{s.desc}" for op, k, s in SAMPLES]


def _func(op, sample):
    return lambda *tensors: call(op, gradcore, sample, tensors)


@pytest.mark.parametrize("op,k,sample", SAMPLES, ids=IDS)
def test_gradcheck(op, k, sample):
    if not op.gradcheck:
        pytest.skip(op.gradcheck_skip_reason)
    inputs = make_inputs(gradcore, sample, "float64")
    assert gradcheck(_func(op, sample), inputs, eps=1e-6, atol=op.atol, rtol=op.rtol)


GRADGRAD = [(op, k, s) for op, k, s in SAMPLES if op.gradcheck and op.gradgrad]


@pytest.mark.parametrize("op,k,sample", GRADGRAD,
                         ids=[f"{op.name}-{k}-{s.desc}" for op, k, s in GRADGRAD])
def test_gradgradcheck(op, k, sample):
    inputs = make_inputs(gradcore, sample, "float64")
    assert gradgradcheck(_func(op, sample), inputs, eps=1e-6, atol=op.atol, rtol=op.rtol)


def test_registry_is_well_formed():
    names = [op.name for op in OP_DB]
    assert len(names) == len(set(names))
    for op in OP_DB:
        samples = op.sample_inputs()
        assert samples, f"{op.name} has no samples"
        for s in samples:
            floats = [a for a in s.arrays if a is not None and np.asarray(a).dtype.kind == "f"]
            assert floats, f"{op.name}[{s.desc}] has no differentiable input"
            assert all(np.asarray(a).dtype == np.float64 for a in floats)
            assert all(np.asarray(a).size <= 32 for a in floats), \
                f"{op.name}[{s.desc}]: keep gradcheck samples small"
        # samples are deterministic: the same op gives the same arrays twice
        again = op.sample_inputs()
        for s, t in zip(samples, again):
            for a, b in zip(s.arrays, t.arrays):
                if a is not None:
                    np.testing.assert_array_equal(a, b)


def test_every_declared_op_has_an_opinfo_and_a_docstring():
    from gradcore.ops.declare import OPS
    names = {op.name for op in OP_DB}
    assert [n for n in OPS if n not in names] == [], "declared ops without an OpInfo entry"
    for name, op in OPS.items():
        doc = getattr(gradcore, name).__doc__ or ""
        assert doc.startswith(name + "("), f"{name}: its docstring starts with its signature"
        assert getattr(gradcore.Tensor, name) is op.function


def test_gradcheck_catches_a_wrong_gradient():
    """The harness can fail: an op with a deliberately wrong backward is rejected."""
    class Bad(gradcore.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, gy):
            x, = ctx.saved_tensors
            return gy * x  # should be 2 * gy * x

    x = gradcore.tensor([0.5, -1.5], dtype=gradcore.float64, requires_grad=True)
    with pytest.raises(gradcore.autograd.GradcheckError):
        gradcheck(Bad.apply, (x,))


# ---- the engine's two first-order paths, and its schedule ------------------------------------

def _diff_outputs_and_inputs(op, sample, dtype):
    inputs = make_inputs(gradcore, sample, dtype)
    outs = [o for o in as_list(call(op, gradcore, sample, inputs))
            if isinstance(o, gradcore.Tensor) and o.requires_grad]
    leaves = [t for t in inputs if t is not None and t.requires_grad]
    return outs, leaves


@pytest.mark.parametrize("op,k,sample", SAMPLES, ids=IDS)
def test_array_backward_matches_tensor_backward(op, k, sample):
    """Without create_graph the engine runs each op's ``array_backward`` on bare arrays; with it,
    the differentiable Tensor-level ``backward``.  Both must give the same first-order
    gradients, bit for bit on the CPU (they call the same backend kernels)."""
    rng = np.random.default_rng(k)
    for dtype in ("float64", "float32"):
        outs, leaves = _diff_outputs_and_inputs(op, sample, dtype)
        if not outs:
            pytest.skip("no differentiable output")
        weights = [gradcore.tensor(rng.standard_normal(o.shape), dtype=o.dtype) for o in outs]
        first = gradcore.autograd.grad(outs, leaves, weights, retain_graph=True,
                                       allow_unused=True)
        second = gradcore.autograd.grad(outs, leaves, weights, create_graph=True,
                                        allow_unused=True)
        for t, g1, g2 in zip(leaves, first, second):
            assert (g1 is None) == (g2 is None)
            if g1 is not None:
                assert g1.dtype == g2.dtype == t.dtype and g1.shape == g2.shape == t.shape
                np.testing.assert_array_equal(g1.detach().numpy(), g2.detach().numpy())


@pytest.mark.parametrize("op,k,sample", SAMPLES, ids=IDS)
def test_sequence_numbers_fall_along_every_edge(op, k, sample):
    """The engine's schedule (highest ``_seq`` first, no dependency count) is topological only
    if every node was numbered after the nodes of its inputs."""
    outs, _ = _diff_outputs_and_inputs(op, sample, "float64")
    seen, stack = set(), [o.grad_fn for o in outs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for nxt, _ in node.next_functions:
            if nxt is not None:
                assert nxt._seq < node._seq, (type(node).__name__, type(nxt).__name__)
                stack.append(nxt)
