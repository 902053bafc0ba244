"""Reductions (gradcore/ops/reduction.py): max/min/amax/amin/argmax/argmin, var/std, logsumexp,
prod, norm, all/any/count_nonzero, cumsum (and sum/mean's node names) -- forward values, dtypes,
node names and gradients against PyTorch, gradcheck/gradgradcheck in float64, ties, zeros in
prod, and PyTorch's errors."""
import math
import warnings
import zlib

import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck

TOL = {"float32": 1e-5, "float64": 1e-10}


def _distinct(rng, shape):
    """No ties (so argmax/max(dim) indices are unambiguous), nothing near 0."""
    n = int(np.prod(shape, dtype=np.int64))
    return ((rng.permutation(n) - n // 2) * 0.37 + 0.11).reshape(shape)


def _nonzero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.5, shape)


def _normal(rng, shape):
    return rng.standard_normal(shape)


def _outs(y):
    return list(y) if isinstance(y, tuple) else [y]


def _node(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _host(t):
    return np.asarray(t.detach().cpu().numpy())


def _close(got, want, dtype, what):
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        tol = TOL[dtype]
        scale = max(1.0, float(np.abs(want[np.isfinite(want)]).max(initial=0.0)))
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, err_msg=what)


def run_both(torch, fn, arrays, dtype="float64", device="cpu", seed=0):
    """fn(lib, *tensors) in gradcore and torch: outputs (value, dtype, node name) and the
    gradients of sum(out * random) agree.  Returns gradcore's outputs."""
    def inputs(lib, **kw):
        return [lib.tensor(a.astype(dtype), dtype=getattr(lib, dtype), requires_grad=True, **kw)
                for a in arrays]
    g_in, t_in = inputs(gradcore, device=device), inputs(torch)
    g_out, t_out = _outs(fn(gradcore, *g_in)), _outs(fn(torch, *t_in))
    assert len(g_out) == len(t_out)
    rng = np.random.default_rng(seed)
    g_loss = t_loss = 0
    for i, (g, t) in enumerate(zip(g_out, t_out)):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"output {i} dtype"
        _close(_host(g), _host(t), dtype, f"output {i}")
        assert _node(g) == _node(t), f"output {i}: node {_node(g)} != torch's {_node(t)}"
        if t.requires_grad:
            w = rng.standard_normal(tuple(t.shape)).astype(dtype)
            g_loss = g_loss + (g * gradcore.tensor(w, device=device)).sum()
            t_loss = t_loss + (t * torch.tensor(w)).sum()
    if not isinstance(t_loss, int):
        g_loss.backward()
        t_loss.backward()
        for i, (g, t) in enumerate(zip(g_in, t_in)):
            if t.grad is None:
                assert g.grad is None, f"input {i}: gradcore has a gradient, torch none"
            else:
                assert g.grad is not None, f"input {i}: no gradient"
                assert g.grad.dtype == g.dtype
                _close(_host(g.grad), _host(t.grad), dtype, f"grad of input {i}")
    return g_out


# ---- forward / backward / node names against PyTorch ---------------------------------------

CASES = [
    # (id, fn(lib, x), shape, domain)
    ("max", lambda L, x: x.max(), (3, 4), _distinct),
    ("max-0d", lambda L, x: L.max(x), (), _distinct),
    ("min", lambda L, x: L.min(x), (2, 3, 2), _distinct),
    ("max-dim", lambda L, x: x.max(1), (3, 4), _distinct),
    ("max-dim-neg-keepdim", lambda L, x: L.max(x, -1, keepdim=True), (2, 3, 4), _distinct),
    ("max-dim-kw", lambda L, x: x.max(dim=0), (3, 4), _distinct),
    ("max-dim-0d", lambda L, x: x.max(0), (), _distinct),
    ("max-dim-0d-keepdim", lambda L, x: x.max(-1, True), (), _distinct),
    ("min-dim", lambda L, x: L.min(x, 0, True), (3, 4), _distinct),
    ("min-dim-1d", lambda L, x: x.min(0), (5,), _distinct),
    ("amax", lambda L, x: x.amax(), (3, 4), _distinct),
    ("amax-dim", lambda L, x: L.amax(x, 1), (3, 4), _distinct),
    ("amax-tuple-keepdim", lambda L, x: x.amax((0, -1), keepdim=True), (2, 3, 4), _distinct),
    ("amax-list", lambda L, x: x.amax([2, 0]), (2, 3, 4), _distinct),
    ("amax-0d", lambda L, x: x.amax(0), (), _distinct),
    ("amin", lambda L, x: L.amin(x, (1, 2)), (2, 3, 4), _distinct),
    ("amin-keepdim-all", lambda L, x: x.amin(keepdim=True), (2, 3), _distinct),
    ("argmax", lambda L, x: x.argmax(), (3, 4), _distinct),
    ("argmax-keepdim-all", lambda L, x: x.argmax(keepdim=True), (3, 4), _distinct),
    ("argmax-dim", lambda L, x: L.argmax(x, 1), (3, 4), _distinct),
    ("argmin-dim-keepdim", lambda L, x: x.argmin(-3, keepdim=True), (2, 3, 4), _distinct),
    ("argmin-0d", lambda L, x: x.argmin(0), (), _distinct),
    ("var", lambda L, x: x.var(), (3, 4), _normal),
    ("var-dim", lambda L, x: L.var(x, 1), (3, 4), _normal),
    ("var-tuple-keepdim", lambda L, x: x.var((0, 2), keepdim=True), (2, 3, 4), _normal),
    ("var-unbiased-false", lambda L, x: x.var(0, unbiased=False), (3, 4), _normal),
    ("var-positional-unbiased", lambda L, x: x.var(1, False, True), (3, 4), _normal),
    ("var-bool-first", lambda L, x: x.var(False), (3, 4), _normal),
    ("var-correction", lambda L, x: x.var(dim=1, correction=2), (3, 4), _normal),
    ("var-correction-float", lambda L, x: L.var(x, correction=0.5), (3, 4), _normal),
    ("std", lambda L, x: L.std(x), (3, 4), _normal),
    ("std-dim", lambda L, x: x.std(-1, keepdim=True), (2, 3, 4), _normal),
    ("std-correction0", lambda L, x: x.std((0, 1), correction=0), (2, 3, 4), _normal),
    ("std-unbiased", lambda L, x: x.std(0, unbiased=True), (3, 4), _normal),
    ("logsumexp", lambda L, x: x.logsumexp(1), (3, 4), _normal),
    ("logsumexp-tuple-keepdim", lambda L, x: L.logsumexp(x, (0, 2), True), (2, 3, 4), _normal),
    ("logsumexp-all", lambda L, x: x.logsumexp((0, 1)), (3, 4), _normal),
    ("logsumexp-0d", lambda L, x: x.logsumexp(0), (), _normal),
    ("prod", lambda L, x: x.prod(), (3, 4), _nonzero),
    ("prod-dim", lambda L, x: L.prod(x, 1), (3, 4), _nonzero),
    ("prod-dim-keepdim", lambda L, x: x.prod(-1, keepdim=True), (2, 3, 4), _nonzero),
    ("prod-0d-dim", lambda L, x: x.prod(0), (), _nonzero),
    ("prod-dtype", lambda L, x: x.prod(0, dtype=L.float64), (3, 4), _nonzero),
    ("norm", lambda L, x: x.norm(), (3, 4), _normal),
    ("norm-fro-dim", lambda L, x: L.norm(x, "fro", 1), (3, 4), _normal),
    ("norm-fro-dims", lambda L, x: x.norm(p="fro", dim=(0, 2), keepdim=True), (2, 3, 4), _normal),
    ("norm-2-keepdim", lambda L, x: x.norm(2, dim=-1, keepdim=True), (3, 4), _normal),
    ("norm-keepdim-all", lambda L, x: x.norm(keepdim=True), (3, 4), _normal),
    ("norm-1", lambda L, x: x.norm(1, dim=0), (3, 4), _nonzero),
    ("norm-3", lambda L, x: x.norm(3), (3, 4), _nonzero),
    ("norm-0.5", lambda L, x: x.norm(0.5, dim=1), (3, 4), _nonzero),
    ("norm-inf", lambda L, x: x.norm(float("inf"), dim=1), (3, 4), _distinct),
    ("norm--inf", lambda L, x: x.norm(-math.inf), (3, 4), _distinct),
    ("norm-0", lambda L, x: x.norm(0), (3, 4), _nonzero),
    ("norm-dtype", lambda L, x: x.norm(dim=1, dtype=L.float64), (3, 4), _normal),
    ("cumsum", lambda L, x: x.cumsum(1), (3, 4), _normal),
    ("cumsum-neg", lambda L, x: L.cumsum(x, -3), (2, 3, 4), _normal),
    ("cumsum-kw", lambda L, x: x.cumsum(dim=0), (5,), _normal),
    ("cumsum-0d", lambda L, x: x.cumsum(0), (), _normal),
    ("cumsum-dtype", lambda L, x: x.cumsum(0, dtype=L.float64), (3, 4), _normal),
    ("sum-0d-dim", lambda L, x: x.sum(0), (), _normal),
    ("sum-empty-dims", lambda L, x: x.sum(()), (3, 4), _normal),
    ("sum-dtype", lambda L, x: x.sum(1, dtype=L.float64), (3, 4), _normal),
    ("mean-0d-dim", lambda L, x: x.mean(-1), (), _normal),
    ("mean-empty-dims", lambda L, x: x.mean(()), (3, 4), _normal),
    ("all", lambda L, x: (x > 0).all(), (3, 4), _normal),
    ("any-dim", lambda L, x: L.any(x > 1, 1, keepdim=True), (3, 4), _normal),
    ("all-tuple", lambda L, x: (x > -1).all((0, 2)), (2, 3, 4), _normal),
    ("all-float", lambda L, x: x.all(0), (3, 4), _normal),
    ("any-empty-dims", lambda L, x: (x > 0).any(()), (3, 4), _normal),
    ("count_nonzero", lambda L, x: (x > 0).count_nonzero(), (3, 4), _normal),
    ("count_nonzero-dims", lambda L, x: L.count_nonzero(x > 0, (0, 2)), (2, 3, 4), _normal),
    ("count_nonzero-float", lambda L, x: (x * (x > 0)).count_nonzero(1), (3, 4), _normal),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,fn,shape,domain", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(torch, device, name, fn, shape, domain, dtype):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    run_both(torch, fn, [domain(rng, shape)], dtype, device)


def test_max_dim_returns_named_pair(torch):
    x = gradcore.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    out = x.max(1)
    values, indices = out
    assert out.values is values and out[1] is indices
    assert indices.tolist() == [1, 0] and indices.dtype is gradcore.int64
    assert values.tolist() == [5.0, 7.0] and _node(values) == "MaxBackward0"
    assert not indices.requires_grad and indices.grad_fn is None
    assert type(out).__name__ == "max" and type(x.min(0)).__name__ == "min"
    assert repr(out).startswith("gradcore.return_types.max(\nvalues=tensor([5., 7.]")
    assert repr(out).endswith("indices=tensor([1, 0]))")
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_max_min_with_a_tensor_is_elementwise():
    a = gradcore.tensor([1.0, 4.0, 2.0], requires_grad=True)
    b = gradcore.tensor([3.0, 1.0, 2.0], requires_grad=True)
    y, z = gradcore.max(a, b), a.min(b)
    assert y.tolist() == [3.0, 4.0, 2.0] and z.tolist() == [1.0, 1.0, 2.0]
    assert _node(y) == "MaximumBackward0" and _node(z) == "MinimumBackward0"
    y.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.5] and b.grad.tolist() == [1.0, 0.0, 0.5]


def test_node_names_without_torch():
    x = gradcore.randn(3, 4, requires_grad=True)
    names = {
        "MaxBackward1": x.max(), "MinBackward1": x.min(), "MaxBackward0": x.max(1)[0],
        "MinBackward0": x.min(0).values, "AmaxBackward0": x.amax(1), "AminBackward0": x.amin(),
        "VarBackward0": x.var(1), "StdBackward0": x.std(), "LogsumexpBackward0": x.logsumexp(0),
        "ProdBackward0": x.prod(), "ProdBackward1": x.prod(1), "CumsumBackward0": x.cumsum(0),
        "LinalgVectorNormBackward0": x.norm(), "SumBackward0": x.sum(),
        "SumBackward1": x.sum(()), "MeanBackward0": x.mean(), "MeanBackward1": x.mean(0),
    }
    for name, y in names.items():
        assert _node(y) == name
    for y in (x.argmax(), x.argmin(1), x.all(), x.any(0), x.count_nonzero()):
        assert y.grad_fn is None and not y.requires_grad


def test_result_dtypes_for_integer_and_bool_inputs(torch):
    data = [[1, 0, 3], [4, 5, 6]]
    for dt in ("int64", "int32", "uint8", "bool"):
        g, t = gradcore.tensor(data, dtype=getattr(gradcore, dt)), torch.tensor(
            data, dtype=getattr(torch, dt))
        for fn in (lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.cumsum(0),
                   lambda x: x.all(), lambda x: x.any(1), lambda x: x.count_nonzero(0),
                   lambda x: x.amax(1), lambda x: x.min(), lambda x: x.amin(),
                   lambda x: x.max(), lambda x: x.max(0)[0], lambda x: x.max(0)[1],
                   lambda x: x.sum(1)):
            gy, ty = fn(g), fn(t)
            assert str(gy.dtype).split(".")[-1] == str(ty.dtype).split(".")[-1], dt
            np.testing.assert_array_equal(gy.numpy(), ty.numpy())
        if dt != "bool":
            assert g.argmax().item() == 5 and g.argmin(1).tolist() == [1, 0]
    gi = gradcore.tensor(data)
    assert gi.logsumexp(1).dtype is gradcore.float32
    np.testing.assert_allclose(gi.logsumexp(1).numpy(),
                               torch.tensor(data).logsumexp(1).numpy(), rtol=1e-6)
    assert gi.cumsum(0, dtype=gradcore.float32).dtype is gradcore.float32
    assert gi.prod(dtype=gradcore.float64).dtype is gradcore.float64


# ---- ties, zeros, edge values --------------------------------------------------------------

TIES = np.array([[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 0.0, 2.0], [-1.0, -1.0, -1.0, -1.0]])


@pytest.mark.parametrize("fn", [
    lambda L, x: x.max(), lambda L, x: x.min(), lambda L, x: x.amax(1),
    lambda L, x: x.amin(0, keepdim=True), lambda L, x: x.amax((0, 1)),
    lambda L, x: x.max(1), lambda L, x: x.min(0), lambda L, x: x.max(-1, keepdim=True),
    lambda L, x: x.norm(float("inf"), dim=1), lambda L, x: x.norm(-math.inf, dim=0),
], ids=["max", "min", "amax", "amin-keepdim", "amax-all", "max-dim", "min-dim",
        "max-dim-keepdim", "norm-inf", "norm--inf"])
def test_ties_match_torch(torch, device, fn):
    run_both(torch, fn, [TIES], "float64", device)


def test_ties_share_the_gradient_evenly():
    x = gradcore.tensor(TIES, requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, .5, .5, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    x.grad = None
    x.amin(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0, 1], [0, 0, 1, 0], [.25] * 4])
    x.grad = None
    x.max(1)[0].sum().backward()  # max(dim): all of it to the returned (first) index
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]])


def test_tie_double_backward_is_linear_in_the_incoming_gradient():
    # with ties the gradient is gy shared among them: d/dgy of <gx, v> is v averaged over them
    x = gradcore.tensor(TIES, requires_grad=True)
    gy = gradcore.ones(3, dtype=gradcore.float64, requires_grad=True)
    gx, = gradcore.autograd.grad(x.amax(1), x, gy, create_graph=True)
    ggy, = gradcore.autograd.grad((gx * gradcore.tensor(TIES)).sum(), gy)
    np.testing.assert_allclose(ggy.numpy(), [3.0, 2.0, -1.0])


PROD_ZEROS = [
    np.array([[1.5, 0.0, 3.0], [2.0, -1.0, 0.5]]),   # one zero
    np.array([[0.0, 0.0, 3.0], [2.0, -1.0, 0.5]]),   # two zeros in a slice
    np.array([[0.0, 0.0, 0.0], [0.0, 2.0, 0.0]]),    # mostly zeros
    np.array([[0.0, 2.0], [-3.0, 0.0], [0.0, 0.0]]),
]


@pytest.mark.parametrize("arr", PROD_ZEROS, ids=["one", "two", "many", "scattered"])
@pytest.mark.parametrize("fn", [lambda L, x: x.prod(), lambda L, x: x.prod(1),
                                lambda L, x: x.prod(0, keepdim=True)],
                         ids=["all", "dim", "dim0-keepdim"])
def test_prod_with_zeros_matches_torch(torch, device, arr, fn):
    run_both(torch, fn, [arr], "float64", device)


@pytest.mark.parametrize("arr", PROD_ZEROS, ids=["one", "two", "many", "scattered"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_second_derivative_with_zeros_matches_torch(torch, arr, dim):
    def hessian_vector(lib, a):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = x.prod() if dim is None else x.prod(dim)
        w = lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)),
                       dtype=lib.float64)
        gx, = lib.autograd.grad((y * w).sum(), x, create_graph=True)
        v = lib.tensor(np.linspace(0.5, -1.5, a.size).reshape(a.shape), dtype=lib.float64)
        hv, = lib.autograd.grad((gx * v).sum(), x)
        return gx.detach().numpy(), hv.numpy()
    for got, want in zip(hessian_vector(gradcore, arr), hessian_vector(torch, arr)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("arr", PROD_ZEROS, ids=["one", "two", "many", "scattered"])
def test_prod_with_zeros_gradgradcheck(arr):
    for fn in (lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0, keepdim=True)):
        x = gradcore.tensor(arr, requires_grad=True)
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


def test_prod_third_derivative_raises_clearly():
    x = gradcore.tensor([1.0, 0.0, 2.0, 3.0], dtype=gradcore.float64, requires_grad=True)
    gx, = gradcore.autograd.grad(x.prod(), x, create_graph=True)
    hx, = gradcore.autograd.grad(gx.sum(), x, create_graph=True)
    np.testing.assert_allclose(hx.detach().numpy(), [6.0, 11.0, 3.0, 2.0])
    with pytest.raises(RuntimeError, match="third and higher order"):
        gradcore.autograd.grad(hx.sum(), x)


def test_std_of_constant_has_zero_gradient(torch):
    for lib in (gradcore, torch):
        x = lib.tensor([2.0, 2.0, 2.0], dtype=lib.float64, requires_grad=True)
        x.std().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x = gradcore.tensor([[1.0, 1.0], [1.0, 3.0]], requires_grad=True)
    x.std(1).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_var_with_empty_dims_reduces_everything(torch):
    # (PyTorch's own backward for dim=() divides by 0: only the forward is compared)
    a = np.arange(12.0).reshape(3, 4) ** 1.5
    for name in ("var", "std"):
        got = getattr(gradcore.tensor(a), name)(())
        want = getattr(torch.tensor(a), name)(())
        assert got.shape == () and np.isclose(got.item(), want.item(), rtol=1e-12)
        assert np.isclose(got.item(), getattr(gradcore.tensor(a), name)().item(), rtol=1e-12)


def test_var_without_degrees_of_freedom_warns_and_is_nan(torch):
    for lib in (gradcore, torch):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            y = lib.tensor([3.0]).var()
        assert math.isnan(y.item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcore.tensor([3.0]).var(correction=0).item() == 0.0
    with pytest.warns(UserWarning, match=r"^std\(\)"):
        assert math.isnan(gradcore.tensor(2.0).std().item())


def test_logsumexp_is_numerically_stable(torch):
    inf = float("inf")
    for row in ([1000.0, 1000.0, -1000.0], [-inf, -inf], [-inf, 0.0], [inf, 1.0], [-1e4, -1e4]):
        g = gradcore.tensor(row, dtype=gradcore.float64).logsumexp(0)
        t = torch.tensor(row, dtype=torch.float64).logsumexp(0)
        np.testing.assert_allclose(g.item(), t.item(), rtol=1e-12)
    x = gradcore.tensor([[1000.0, 1000.0], [-1000.0, -1001.0]], dtype=gradcore.float64,
                        requires_grad=True)
    x.logsumexp(1).sum().backward()
    s = 1 / (1 + np.exp(-1))
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0.5], [s, 1 - s]], rtol=1e-12)
    assert gradcore.empty(0, 3).logsumexp(0).tolist() == [-inf] * 3
    # dim=() reduces every dim (PyTorch 2.13 itself fails on it with a shape error)
    y = gradcore.tensor([[1.0, 2.0], [3.0, 4.0]]).logsumexp(())
    assert y.shape == () and np.isclose(y.item(), np.log(np.exp([1, 2, 3, 4]).sum()))


def test_norm_of_zero_has_zero_gradient(torch):
    for p in (2, 3, 1, 0.5):
        x = gradcore.zeros(3, dtype=gradcore.float64, requires_grad=True)
        x.norm(p).backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0], p
    x = gradcore.tensor([0.0, 1.0, -2.0], dtype=gradcore.float64, requires_grad=True)
    t = torch.tensor([0.0, 1.0, -2.0], dtype=torch.float64, requires_grad=True)
    for p in (0.5, 3):
        x.grad = t.grad = None
        x.norm(p).backward()
        t.norm(p).backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_norm_zero_order_has_no_gradient(torch):
    x = gradcore.tensor([0.0, 1.5, -2.0], requires_grad=True)
    t = torch.tensor([0.0, 1.5, -2.0], requires_grad=True)
    x.norm(0).backward()
    t.norm(0).backward()
    assert x.norm(0).item() == 2.0
    assert x.grad is None and t.grad is None


def test_empty_reductions_with_an_identity(torch):
    for lib in (gradcore, torch):
        e = lib.empty(0, 3)
        assert e.sum(0).tolist() == [0.0] * 3 and e.prod(0).tolist() == [1.0] * 3
        assert e.all().item() is True and e.any().item() is False
        assert e.norm().item() == 0.0 and e.cumsum(0).shape == (0, 3)
        assert e.max(1).values.shape == (0,) and e.amax(1).shape == (0,)
        assert e.argmax(1).shape == (0,) and e.count_nonzero().item() == 0
    g = gradcore.empty(0, 3, requires_grad=True)
    g.amax(1).sum().backward()
    assert g.grad.shape == (0, 3)


# ---- gradcheck / gradgradcheck (float64, no torch needed) ----------------------------------

GRAD_CASES = [c for c in CASES if not c[0].startswith(("arg", "all", "any", "count", "norm-0"))]


@pytest.mark.parametrize("name,fn,shape,domain", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck_and_gradgradcheck(name, fn, shape, domain):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = gradcore.tensor(domain(rng, shape), requires_grad=True)
    f = lambda t: fn(gradcore, t)  # noqa: E731
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


# ---- errors, worded like PyTorch's ---------------------------------------------------------

ERRORS = [
    (lambda L: L.empty(0).max(), RuntimeError,
     "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda L: L.empty(0, 3).min(), RuntimeError,
     "min(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda L: L.empty(0, 3).amax(), RuntimeError,
     "amax(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda L: L.empty(0, 3).amin(()), RuntimeError,
     "amin(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda L: L.empty(0).argmax(), IndexError,
     "argmax(): Expected reduction dim to be specified for input.numel() == 0."),
    (lambda L: L.empty(0, 3).argmin(), IndexError,
     "argmin(): Expected reduction dim to be specified for input.numel() == 0."),
    (lambda L: L.empty(0, 3).max(0), IndexError,
     "max(): Expected reduction dim 0 to have non-zero size."),
    (lambda L: L.empty(0, 3).min(-2), IndexError,
     "min(): Expected reduction dim 0 to have non-zero size."),
    (lambda L: L.empty(0, 3).amax(-2), IndexError,
     "amax(): Expected reduction dim -2 to have non-zero size."),
    (lambda L: L.empty(0, 3).amin((1, 0)), IndexError,
     "amin(): Expected reduction dim 0 to have non-zero size."),
    (lambda L: L.empty(0, 3).argmax(-2), IndexError,
     "argmax(): Expected reduction dim 0 to have non-zero size."),
    (lambda L: L.randn(3, 4).max(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda L: L.randn(3, 4).amax((0, -3)), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda L: L.randn(3, 4).argmin(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda L: L.tensor(1.0).max(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda L: L.randn(3, 4).var(3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    (lambda L: L.randn(3, 4).logsumexp(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda L: L.randn(3, 4).cumsum(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda L: L.randn(3, 4).prod(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda L: L.randn(3, 4).amax((0, 0)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    (lambda L: L.randn(3, 4).var((1, -1)), RuntimeError,
     "dim 1 appears multiple times in the list of dims"),
    (lambda L: L.tensor([True, False]).argmax(), RuntimeError,
     "argmax(): does not support bool input"),
    (lambda L: L.tensor([[True, False]]).argmin(1), RuntimeError,
     "argmin(): does not support bool input"),
    (lambda L: L.arange(6).var(), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda L: L.arange(6).std(0), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda L: L.arange(6).norm(), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda L: L.ones(3, dtype=L.int32).norm(dim=0), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Int"),
    (lambda L: L.randn(2, 3, 4).norm(p="fro", dim=(0, 1, 2)), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    (lambda L: L.randn(2, 3).norm(p="abc"), RuntimeError,
     "linalg.matrix_norm: Order abc not supported."),
    (lambda L: L.empty(0, 3).norm(float("inf")), RuntimeError,
     "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
     "does not have an identity"),
    (lambda L: L.empty(0, 3).norm(-math.inf, dim=0), RuntimeError,
     "linalg.vector_norm cannot compute the -inf norm on the dimension 0because this dimension "
     "is empty and the operation does not have an identity"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS, ids=[e[2][:40] + str(i)
                                                     for i, e in enumerate(ERRORS)])
def test_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn(gradcore)
    assert str(info.value) == msg


@pytest.mark.parametrize("fn,exc,msg", ERRORS, ids=[e[2][:40] + str(i)
                                                     for i, e in enumerate(ERRORS)])
def test_errors_are_pytorchs(torch, fn, exc, msg):
    """The expected messages above are PyTorch's own."""
    with pytest.raises(exc) as info:
        fn(torch)
    assert str(info.value) == msg


def test_argument_type_errors():
    x = gradcore.randn(3, 4)
    with pytest.raises(TypeError, match=r"max\(\) received an invalid combination"):
        x.max(1.0)
    with pytest.raises(TypeError, match=r"min\(\) received an invalid combination"):
        x.min((0, 1))
    with pytest.raises(TypeError, match=r"prod\(\) received an invalid combination"):
        x.prod((0, 1))
    with pytest.raises(TypeError, match="'unbiased' and 'correction'"):
        x.var(unbiased=False, correction=0)
    with pytest.raises(TypeError):
        x.logsumexp()
    with pytest.raises(TypeError):
        x.cumsum()
    with pytest.raises(NotImplementedError, match="nuc"):
        x.norm(p="nuc")


def test_prod_backward_of_an_empty_tensor_is_empty_zeros(torch):
    for dims in ((), (1,), (0,)):
        grads = []
        for lib in (gradcore, torch):
            x = lib.zeros(0, 3, requires_grad=True)
            (x.prod(*dims) if dims else x.prod()).sum().backward()
            grads.append(x.grad.numpy())
        assert grads[0].shape == grads[1].shape == (0, 3)
