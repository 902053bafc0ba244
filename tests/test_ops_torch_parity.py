"""Parity with PyTorch for every op and sample in tests/op_db.py: forward values, dtypes,
shapes, ``grad_fn`` node names and backward gradients, on the same float32 and float64 data.

gradcore runs on the ``device`` fixture (cpu, and cuda when present); PyTorch on the CPU.
Tolerances: 1e-5 relative for float32, 1e-10 for float64 (op_db.RTOL).  Skipped without torch.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import gradcore

from op_db import (OP_BY_NAME, all_samples, as_list, assert_close, call, distinct, dtype_name,
                   make_inputs, node_name, nonzero, positive, real, to_numpy, SampleInput)

SAMPLES = all_samples()
IDS = [f"{op.name}-{k}-{s.desc}" for op, k, s in SAMPLES]
DTYPES = ["float32", "float64"]


def _backward(lib, outs, grads):
    """Backward through the outputs that require grad: implicit for one single-element output,
    else with ``grads`` (host arrays, one per differentiable output) as ``gradient=``."""
    diff = [o for o in outs if o.requires_grad]
    if not diff:
        return
    if len(diff) == 1 and diff[0].numel() == 1:
        diff[0].backward()
        return
    gts = [lib.tensor(g.astype(dtype_name(o)), dtype=o.dtype, device=o.device)
           for g, o in zip(grads, diff)]
    lib.autograd.backward(diff, gts)


def check_parity(torch, op, sample, dtype, device, seed=0):
    """Run ``op`` on ``sample`` in both libraries and compare everything observable."""
    where = f"{op.name}[{sample.desc}] {dtype} on {device}"
    t_in = make_inputs(torch, sample, dtype)
    t_outs = as_list(call(op, torch, sample, t_in))
    g_in = make_inputs(gradcore, sample, dtype, device)
    g_outs = as_list(call(op, gradcore, sample, g_in))

    assert len(g_outs) == len(t_outs), f"{where}: {len(g_outs)} outputs, torch has {len(t_outs)}"
    for n, (g, t) in enumerate(zip(g_outs, t_outs)):
        what = f"{where} output {n}"
        assert isinstance(g, gradcore.Tensor), f"{what}: got {type(g).__name__}"
        assert tuple(g.shape) == tuple(t.shape), \
            f"{what}: shape {tuple(g.shape)} != {tuple(t.shape)}"
        assert dtype_name(g) == dtype_name(t), f"{what}: dtype {g.dtype} != {t.dtype}"
        assert g.device == device, f"{what}: on {g.device}, expected {device}"
        assert g.requires_grad == t.requires_grad, \
            f"{what}: requires_grad {g.requires_grad} != {t.requires_grad}"
        assert_close(to_numpy(g), to_numpy(t), dtype, f"{what} (forward)")
    # grad_fn names are compared last, so a name-only mismatch still had its values and
    # gradients checked
    names = [(node_name(g), node_name(t)) for g, t in zip(g_outs, t_outs)]

    for g, t in zip(g_outs, t_outs):  # an op returns its input itself exactly when torch does
        for n, (gi, ti) in enumerate(zip(g_in, t_in)):
            assert (g is gi) == (t is ti), \
                f"{where}: output is input {n}: {g is gi}, in torch: {t is ti}"

    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(tuple(t.shape)) for t in t_outs if t.requires_grad]
    _backward(torch, t_outs, grads)
    _backward(gradcore, g_outs, grads)
    for n, (g, t) in enumerate(zip(g_in, t_in)):
        if t is None:
            continue
        what = f"{where} grad of input {n}"
        if t.grad is None:
            assert g.grad is None, f"{what}: expected None, got {g.grad}"
            continue
        assert g.grad is not None, f"{what}: None, torch has one"
        assert dtype_name(g.grad) == dtype_name(t.grad), f"{what}: dtype {g.grad.dtype}"
        assert g.grad.device == device, f"{what}: on {g.grad.device}"
        assert_close(to_numpy(g.grad), to_numpy(t.grad), dtype, what)
    for n, (got, expected) in enumerate(names):
        assert got == expected, f"{where} output {n}: grad_fn {got} != torch's {expected}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op,k,sample", SAMPLES, ids=IDS)
def test_op_matches_torch(torch, device, op, k, sample, dtype):
    check_parity(torch, op, sample, dtype, device, seed=k)


def test_parity_check_can_fail(torch):
    """The harness rejects a wrong forward, a wrong grad_fn name and a wrong gradient."""
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    sample = SampleInput(x)

    class Fake:  # an OpInfo stand-in whose gradcore side differs from torch's
        def __init__(self, name, fn):
            self.name, self.fn = name, fn

        def op(self, lib, t):
            return t.exp() if lib is torch else self.fn(t)

    dev = gradcore.device("cpu")
    check_parity(torch, Fake("exp", lambda t: t.exp()), sample, "float64", dev)  # the control
    for name, fn, match in [("wrong forward", lambda t: t.exp() * 1.0001, r"\(forward\)"),
                            ("wrong grad_fn", lambda t: t.exp().clone(), "grad_fn"),
                            ("wrong grad", _detached_exp_plus, "grad of input 0")]:
        with pytest.raises(AssertionError, match=match):
            check_parity(torch, Fake(name, fn), sample, "float64", dev)


def _detached_exp_plus(t):
    """exp's value with the gradient of t * exp(t0) (no ExpBackward0 of the right derivative):
    same value and node name as exp, different gradient."""
    class Exp(gradcore.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.detach().exp()

        @staticmethod
        def backward(ctx, gy):
            return gy * 2

    Exp._backward_cls.__name__ = "ExpBackward0"
    return Exp.apply(t)


# ---- hypothesis: random shapes, broadcast pairs, dims ----------------------------------------

BINARY = {"add": (real, real), "sub": (real, real), "mul": (real, real),
          "div": (real, nonzero), "pow_tensor": (positive, real),
          "maximum": (distinct, distinct), "minimum": (distinct, distinct)}
REDUCTIONS = ["sum", "mean", "amax", "amin", "logsumexp", "prod", "var", "std", "norm",
              "max_dim", "min_dim", "cumsum", "softmax", "log_softmax"]
NEED_DIM = {"logsumexp", "max_dim", "min_dim", "cumsum", "softmax", "log_softmax"}
ONE_INT_DIM = {"prod", "max_dim", "min_dim", "cumsum", "softmax", "log_softmax"}  # no tuples
NO_KEEPDIM = {"cumsum", "softmax", "log_softmax"}
HYP = settings(max_examples=40, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYP
@given(data=st.data())
def test_binary_broadcasting_matches_torch(torch, device, data):
    name = data.draw(st.sampled_from(sorted(BINARY)), label="op")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                         min_side=1, max_side=3), label="shapes")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    doms = BINARY[name]
    a = doms[0](rng, shapes.input_shapes[0], 0)
    b = doms[1](rng, shapes.input_shapes[1], 1)
    check_parity(torch, OP_BY_NAME[name], SampleInput(np.asarray(a, float), np.asarray(b, float)),
                 dtype, device)


@HYP
@given(data=st.data())
def test_reductions_random_dims_match_torch(torch, device, data):
    name = data.draw(st.sampled_from(REDUCTIONS), label="op")
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
                      label="shape")
    nd = max(len(shape), 1)
    dims = data.draw(st.none() | st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd,
                                          unique_by=lambda d: d % nd), label="dims")
    if name in NEED_DIM:
        assume(dims is not None)
    if name in ONE_INT_DIM and dims is not None:
        assume(len(dims) == 1)
    if name == "norm" and dims is not None:  # torch.norm takes at most two dims
        assume(len(dims) <= 2)
    kwargs = {}
    if dims is not None:
        if name in ONE_INT_DIM or len(dims) == 1 and data.draw(st.booleans(), label="int dim"):
            kwargs["dim"] = dims[0]
        else:
            kwargs["dim"] = tuple(dims)
        if name not in NO_KEEPDIM:
            kwargs["keepdim"] = data.draw(st.booleans(), label="keepdim")
    if name in ("var", "std"):  # at least two reduced elements: the unbiased estimate is finite
        reduced = np.prod([shape[d % nd] for d in dims] if dims is not None and shape else shape)
        assume(reduced >= 2)
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    op = OP_BY_NAME[name]
    x = np.asarray(op.domain(rng, shape, 0), dtype=np.float64)
    if name in ("softmax", "log_softmax"):  # these take dim positionally in the registry
        sample = SampleInput(x, args=(kwargs.pop("dim"),))
    else:
        sample = SampleInput(x, kwargs=kwargs)
    check_parity(torch, op, sample, dtype, device)
