"""nn.Linear's one-node addmm (the weight's transpose folded in): values, first and second
derivatives against PyTorch for every subset of inputs requiring grad, and the graph shape."""
import itertools

import numpy as np
import pytest

import gradcore as gc

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("mask", [m for m in itertools.product((0, 1), repeat=3) if any(m)])
@pytest.mark.parametrize("bias_shape", [(3,), (5, 3)])
def test_linear_double_backward_matches_torch(mask, bias_shape):
    rng = np.random.default_rng(0)
    arrays = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(
        bias_shape)
    results = []
    for lib in (gc, torch):
        x, w, b = (lib.tensor(a, requires_grad=bool(m)) for a, m in zip(arrays, mask))
        ins = [t for t in (x, w, b) if t.requires_grad]
        y = lib.nn.functional.linear(x, w, b)
        gs = lib.autograd.grad((y ** 2).sum(), ins, create_graph=True)
        s = sum((g ** 3).sum() for g in gs)
        ggs = lib.autograd.grad(s, ins, allow_unused=True, materialize_grads=True)
        results.append([y.detach().numpy()] + [t.detach().numpy() for t in gs + ggs])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_linear_graph():
    lin = gc.nn.Linear(4, 3)
    y = lin(gc.randn(2, 4))
    assert y.grad_fn.name() == "AddmmBackward0"
    (b_acc, _), (x_edge, _), (w_acc, _) = y.grad_fn.next_functions
    assert b_acc.variable is lin.bias and x_edge is None and w_acc.variable is lin.weight
    y.sum().backward()
    assert lin.weight.grad.is_contiguous() and lin.weight.grad.shape == lin.weight.shape
