"""The per-call fast paths of issue 15, round 2, against PyTorch and against the general code
they shortcut: ``Tensor.backward()`` straight into the engine, the leaf's AccumulateGrad (steal
or copy, in-place accumulation, sparse and threaded cases: an inline copy of it in the engine's
loop was tried and taken out again, ~1% for a second copy of its rules), ``nn.Linear`` reading its parameters from ``_parameters`` unless something shadows
them (pruning, parametrizations, functional_call), and the blocked column-times-row product
of a batch of one's weight gradient."""
import threading

import numpy as np
import pytest

import gradcore as gc
from gradcore.ops import linalg


def _same_bits(a, b):
    return (a.shape == b.shape and a.dtype == b.dtype
            and np.array_equal(a.view(np.uint8), b.view(np.uint8)))


# ---- Tensor.backward() ----------------------------------------------------------------------

def test_backward_twice_without_retain_graph_raises_as_torch(torch):
    msgs = []
    for lib in (gc, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError) as e:
            y.backward()
        msgs.append(str(e.value).split(".")[0])
    assert msgs[0] == msgs[1]


def test_backward_forms_give_torchs_grads(torch):
    data = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    got = []
    for lib in (gc, torch):
        x = lib.tensor(data, requires_grad=True)
        y = (x * x).exp()
        y.sum().backward(retain_graph=True)  # implicit gradient, graph kept
        y.backward(lib.ones_like(y) * 0.5)  # explicit gradient of a non-scalar
        (x * 3).sum().backward(lib.tensor(2.0, dtype=lib.float64))  # explicit 0-d gradient
        got.append(x.grad.detach().numpy().copy())
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for "
                                               "scalar outputs"):
            (x * 2).backward()
    np.testing.assert_allclose(got[0], got[1], rtol=1e-12)


# ---- AccumulateGrad -------------------------------------------------------------------------

def test_first_gradient_held_elsewhere_is_copied_not_shared(torch):
    """x's gradient is the very tensor a custom Function's backward also keeps: .grad must
    not alias it (PyTorch steals a gradient only when nothing else holds it)."""
    for lib in (gc, torch):
        kept = []

        class Keep(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 1

            @staticmethod
            def backward(ctx, g):
                out = g * 2
                kept.append(out)
                return out
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        Keep.apply(x).sum().backward()
        with lib.no_grad():
            x.grad.mul_(10)
        assert kept[0].tolist() == [2.0, 2.0, 2.0]
        assert x.grad.tolist() == [20.0, 20.0, 20.0]


def test_root_gradient_of_a_leaf_is_copied(torch):
    for lib in (gc, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        g = lib.tensor([3.0, 4.0])
        x.backward(g)
        with lib.no_grad():
            x.grad.add_(1)
        assert g.tolist() == [3.0, 4.0]


def test_second_backward_accumulates_in_place_and_bumps_the_version(torch):
    res = []
    for lib in (gc, torch):
        x = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
        (x * x).sum().backward()
        first = x.grad
        v = first._version
        (x * 3).sum().backward()
        res.append((x.grad is first, x.grad._version > v, x.grad.tolist()))
    assert res[0] == res[1]


def test_accumulate_path_keeps_hooks_and_post_accumulate_hooks(torch):
    seen = []
    for lib in (gc, torch):
        order = []
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([0.5, 0.5], requires_grad=True)
        w.register_hook(lambda g: order.append("w-hook") or g * 2)
        b.register_post_accumulate_grad_hook(lambda p: order.append("b-post"))
        (w * b).sum().backward()
        seen.append((order, w.grad.tolist(), b.grad.tolist()))
    assert seen[0][1:] == seen[1][1:]
    assert sorted(seen[0][0]) == sorted(seen[1][0])


def test_sparse_gradient_into_a_leaf(torch):
    res = []
    for lib in (gc, torch):
        emb = lib.nn.Embedding(5, 3, sparse=True)
        with lib.no_grad():
            emb.weight.copy_(lib.tensor(np.arange(15, dtype=np.float32).reshape(5, 3)))
        idx = lib.tensor([1, 3, 1])
        emb(idx).sum().backward()
        emb(idx).sum().backward()  # sparse + sparse
        res.append(emb.weight.grad.to_dense().tolist())
    assert res[0] == res[1]


def test_backward_from_threads_into_one_leaf_loses_nothing():
    x = gc.ones(64, 64, requires_grad=True)

    def work():
        for _ in range(20):
            (x * 2.0).sum().backward()
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.array_equal(x.grad.numpy(), np.full((64, 64), 160.0, np.float32))


def test_gradient_of_another_dtype_reaches_the_leaf_cast(torch):
    """A custom Function returning a float64 gradient for a float32 leaf: validated and cast,
    as PyTorch's engine does (the inline path only takes matching dtypes)."""
    res = []
    for lib in (gc, torch):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return (g * 2).double()
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        Twice.apply(x).sum().backward()
        res.append((str(x.grad.dtype).split(".")[-1], x.grad.tolist()))
    assert res[0] == res[1]


# ---- nn.Linear's parameters -----------------------------------------------------------------

def _linear_pair(torch, bias=True):
    tl = torch.nn.Linear(4, 3, bias=bias).double()
    gl = gc.nn.Linear(4, 3, bias=bias).double()
    gl.load_state_dict({k: gc.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
    x = np.linspace(-1, 1, 8).reshape(2, 4)
    return tl, gl, torch.tensor(x, requires_grad=True), gc.tensor(x, requires_grad=True)


def _check(tl, gl, tx, gx):
    ty, gy = tl(tx), gl(gx)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    ty.sum().backward()
    gy.sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_matches_torch(torch, bias):
    _check(*_linear_pair(torch, bias))


def test_linear_after_pruning_uses_the_masked_weight(torch):
    tl, gl, tx, gx = _linear_pair(torch)
    mask = np.array([[1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 0, 0]], dtype=np.float64)
    import torch.nn.utils.prune as tprune
    import gradcore.nn.utils.prune as gprune
    tprune.custom_from_mask(tl, "weight", torch.tensor(mask))
    gprune.custom_from_mask(gl, "weight", gc.tensor(mask))
    assert "weight" not in gl._parameters and "weight" in gl.__dict__
    _check(tl, gl, tx, gx)


def test_linear_with_a_shadowing_instance_attribute_uses_it(torch):
    tl, gl, tx, gx = _linear_pair(torch)
    w = np.full((3, 4), 0.25)
    object.__setattr__(tl, "weight", torch.tensor(w))
    object.__setattr__(gl, "weight", gc.tensor(w))
    _check(tl, gl, tx, gx)


def test_linear_with_a_parametrized_weight(torch):
    tl, gl, tx, gx = _linear_pair(torch)

    def make(lib):
        class Scale(lib.nn.Module):
            def forward(self, w):
                return w * 3
        return Scale()
    import torch.nn.utils.parametrize as tparam
    import gradcore.nn.utils.parametrize as gparam
    tparam.register_parametrization(tl, "weight", make(torch))
    gparam.register_parametrization(gl, "weight", make(gc))
    _check(tl, gl, tx, gx)


def test_linear_under_functional_call(torch):
    tl, gl, tx, gx = _linear_pair(torch)
    w = np.arange(12, dtype=np.float64).reshape(3, 4) / 10
    import torch.func
    import gradcore.func
    ty = torch.func.functional_call(tl, {"weight": torch.tensor(w)}, (tx,))
    gy = gradcore.func.functional_call(gl, {"weight": gc.tensor(w)}, (gx,))
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-12)


# ---- the blocked column-times-row product ---------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n", [(2048, 784), (1500, 700), (4100, 256)])
def test_blocked_outer_product_is_numpys_product_bit_for_bit(dtype, m, n):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((m, 1)).astype(dtype)
    b = rng.standard_normal((1, n)).astype(dtype)
    a.reshape(-1)[:4] = [0.0, -0.0, np.inf, 1e-300 if dtype == np.float64 else 1e-30]
    b.reshape(-1)[:4] = [-0.0, np.nan, -np.inf, 1e-300 if dtype == np.float64 else 1e-30]
    assert m * n >= linalg._OUTER_MIN and m % max(1, linalg._OUTER_BLOCK // n)  # a partial block
    with np.errstate(all="ignore"):
        assert _same_bits(linalg._matmul(np, a, b), np.matmul(a, b))


def test_linear_weight_gradient_at_batch_one_matches_torch(torch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 1100)).astype(np.float32)
    w = rng.standard_normal((1000, 1100)).astype(np.float32) / 30
    b = rng.standard_normal(1000).astype(np.float32)
    grads = []
    for lib in (gc, torch):
        lw, lb = lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)
        lx = lib.tensor(x, requires_grad=True)
        lib.nn.functional.linear(lx, lw, lb).relu().sum().backward()
        grads.append([t.grad.numpy() for t in (lw, lb, lx)])
    assert 1000 * 1100 >= linalg._OUTER_MIN
    for g, t in zip(*grads):
        np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-6)
