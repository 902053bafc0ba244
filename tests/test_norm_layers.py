"""GroupNorm, InstanceNorm1d/2d/3d, BatchNorm3d, LocalResponseNorm, RMSNorm, LayerNorm and
F.normalize against PyTorch: forward, gradients (input and parameters), running statistics in
train / eval, state_dict, repr, errors."""
import warnings

import numpy as np
import pytest

import gradcore
import gradcore.nn as gnn
import gradcore.nn.functional as gF
from gradcore.autograd import gradcheck, gradgradcheck

TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def _pair(torch, name, *args, dtype="float64", **kw):
    """The same layer in both libraries, gradcore's loaded from torch's state_dict (parameters
    randomized first so weight and bias matter)."""
    tm = getattr(torch.nn, name)(*args, **kw).to(getattr(torch, dtype))
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn_like(p))
    gm = getattr(gnn, name)(*args, **kw).to(getattr(gradcore, dtype))
    gm.load_state_dict({k: gradcore.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert repr(gm) == repr(tm)
    assert list(gm.state_dict()) == list(tm.state_dict())
    for (gk, gv), (tk, tv) in zip(gm.state_dict().items(), tm.state_dict().items()):
        assert tuple(gv.shape) == tuple(tv.shape) and gv.dtype.name == str(tv.dtype)[6:]
    return gm, tm


def _check(torch, gm, tm, x, dtype="float64", steps=1):
    """Forward, input and parameter gradients, buffers after each step."""
    tol = TOL[dtype]
    for step in range(steps):
        a = x + step
        gx = gradcore.tensor(a.astype(dtype), requires_grad=True)
        tx = torch.tensor(a.astype(dtype), requires_grad=True)
        gy, ty = gm(gx), tm(tx)
        np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), **tol)
        assert type(gy.grad_fn).__name__ == type(ty.grad_fn).__name__
        up = np.random.default_rng(step).standard_normal(tuple(ty.shape)).astype(dtype)
        gy.backward(gradcore.tensor(up))
        ty.backward(torch.tensor(up))
        np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), **tol)
        for (n, gp), (_, tp) in zip(gm.named_parameters(), tm.named_parameters()):
            np.testing.assert_allclose(gp.grad.numpy(), tp.grad.numpy(), **tol, err_msg=n)
            gp.grad = None
            tp.grad = None
        for (n, gb), (_, tb) in zip(gm.named_buffers(), tm.named_buffers()):
            np.testing.assert_allclose(gb.numpy(), tb.numpy(), **tol, err_msg=n)


# ---- GroupNorm ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("groups,shape", [(2, (3, 4, 5)), (1, (2, 6, 3, 4)), (6, (2, 6, 3, 4)),
                                          (3, (4, 6)), (2, (2, 4, 2, 3, 2))])
@pytest.mark.parametrize("kw", [{}, dict(affine=False), dict(bias=False), dict(eps=1e-3)])
def test_group_norm(torch, rng, dtype, groups, shape, kw):
    gm, tm = _pair(torch, "GroupNorm", groups, shape[1], dtype=dtype, **kw)
    _check(torch, gm, tm, rng.standard_normal(shape) * 2 + 1, dtype)


def test_group_norm_gradcheck(rng):
    x = gradcore.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    w = gradcore.tensor(rng.standard_normal(4), requires_grad=True)
    b = gradcore.tensor(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda *a: gF.group_norm(a[0], 2, a[1], a[2]), (x, w, b))
    assert gradgradcheck(lambda *a: gF.group_norm(a[0], 2, a[1], a[2]), (x, w, b))


def test_group_norm_errors(torch, rng):
    x = rng.standard_normal((2, 4, 3))
    for fn in (lambda F, lib, t: F.group_norm(t, 3), lambda F, lib, t: F.group_norm(t[0, 0], 1),
               lambda F, lib, t: F.group_norm(t[:1, :2, :1], 2),
               lambda F, lib, t: F.group_norm(t, 2, lib.ones(3, dtype=lib.float64))):
        _errors_match(torch, fn, x)
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups"):
        gnn.GroupNorm(3, 4)


def _errors_match(torch, fn, *arrays):
    t_in = [torch.tensor(a) for a in arrays]
    g_in = [gradcore.tensor(a) for a in arrays]
    with pytest.raises(Exception) as te:
        fn(torch.nn.functional, torch, *t_in)
    with pytest.raises(type(te.value)) as ge:
        fn(gF, gradcore, *g_in)
    assert str(ge.value) == str(te.value)


# ---- InstanceNorm / BatchNorm3d ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm1d", (4, 5)),
                                        ("InstanceNorm2d", (2, 4, 3, 5)),
                                        ("InstanceNorm2d", (4, 3, 5)),
                                        ("InstanceNorm3d", (2, 4, 2, 3, 3))])
@pytest.mark.parametrize("kw", [{}, dict(affine=True), dict(track_running_stats=True),
                                dict(affine=True, track_running_stats=True, momentum=0.3),
                                dict(track_running_stats=True, momentum=None),
                                dict(affine=True, bias=False)])
def test_instance_norm_train_eval(torch, rng, dtype, name, shape, kw):
    gm, tm = _pair(torch, name, 4, dtype=dtype, **kw)
    x = rng.standard_normal(shape) * 3 + 2
    _check(torch, gm, tm, x, dtype, steps=3)
    gm.eval()
    tm.eval()
    _check(torch, gm, tm, x * 0.5, dtype, steps=2)


def test_instance_norm_functional(torch, rng):
    x = rng.standard_normal((3, 2, 6))
    rm, rv = rng.standard_normal(2), rng.uniform(0.5, 2, 2)
    g_rm, g_rv = gradcore.tensor(rm), gradcore.tensor(rv)
    t_rm, t_rv = torch.tensor(rm), torch.tensor(rv)
    for use in (True, False):
        gy = gF.instance_norm(gradcore.tensor(x), g_rm, g_rv, use_input_stats=use, momentum=0.2)
        ty = torch.nn.functional.instance_norm(torch.tensor(x), t_rm, t_rv,
                                               use_input_stats=use, momentum=0.2)
        np.testing.assert_allclose(gy.numpy(), ty.numpy(), **TOL["float64"])
        np.testing.assert_allclose(g_rm.numpy(), t_rm.numpy(), **TOL["float64"])
        np.testing.assert_allclose(g_rv.numpy(), t_rv.numpy(), **TOL["float64"])
    xg = gradcore.tensor(x, requires_grad=True)
    assert gradgradcheck(lambda t: gF.instance_norm(t), (xg,))


def test_instance_norm_errors_and_warning(torch, rng):
    _errors_match(torch, lambda F, lib, t: F.instance_norm(t), rng.standard_normal((2, 3, 1)))
    _errors_match(torch, lambda F, lib, t: F.instance_norm(t, lib.zeros(3, dtype=lib.float64),
                                                           lib.ones(3, dtype=lib.float64)),
                  rng.standard_normal((2, 4, 3)))
    x = rng.standard_normal((2, 4, 3))
    for kw in (dict(affine=True), {}):
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            try:
                torch.nn.InstanceNorm1d(5, **kw)(torch.tensor(x))
                terr = None
            except ValueError as e:
                terr = str(e)
        with warnings.catch_warnings(record=True) as gw:
            warnings.simplefilter("always")
            try:
                gnn.InstanceNorm1d(5, **kw)(gradcore.tensor(x))
                gerr = None
            except ValueError as e:
                gerr = str(e)
        assert gerr == terr
        assert [str(w.message) for w in gw] == [str(w.message) for w in tw]
    for name, shape in (("InstanceNorm1d", (2, 3, 4, 5)), ("InstanceNorm2d", (2, 3)),
                        ("InstanceNorm3d", (2, 3, 4)), ("BatchNorm3d", (2, 3, 4))):
        with pytest.raises(ValueError) as te:
            getattr(torch.nn, name)(3)(torch.zeros(shape))
        with pytest.raises(ValueError) as ge:
            getattr(gnn, name)(3)(gradcore.zeros(shape))
        assert str(ge.value) == str(te.value)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [{}, dict(affine=False), dict(momentum=None),
                                dict(track_running_stats=False), dict(bias=False)])
def test_batch_norm_3d(torch, rng, dtype, kw):
    gm, tm = _pair(torch, "BatchNorm3d", 3, dtype=dtype, **kw)
    x = rng.standard_normal((2, 3, 2, 3, 4)) * 2 - 1
    _check(torch, gm, tm, x, dtype, steps=3)
    gm.eval()
    tm.eval()
    _check(torch, gm, tm, x, dtype, steps=1)


# ---- LocalResponseNorm / RMSNorm / LayerNorm / normalize ---------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 6, 3, 4), (1, 4, 2, 3, 2)])
def test_local_response_norm(torch, rng, dtype, size, shape):
    gm, tm = _pair(torch, "LocalResponseNorm", size, alpha=0.1, beta=0.6, k=2.0, dtype=dtype)
    _check(torch, gm, tm, rng.standard_normal(shape) * 3, dtype)


def test_local_response_norm_errors(torch, rng):
    _errors_match(torch, lambda F, lib, t: F.local_response_norm(t, 2),
                  rng.standard_normal((3, 4)))
    x = gradcore.tensor(rng.standard_normal((1, 4, 3)), requires_grad=True)
    assert gradgradcheck(lambda t: gF.local_response_norm(t, 3, alpha=0.5), (x,))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,norm", [((3, 5), 5), ((2, 3, 4), (3, 4)), ((4,), [4])])
@pytest.mark.parametrize("kw", [{}, dict(eps=1e-3), dict(elementwise_affine=False)])
def test_rms_norm(torch, rng, dtype, shape, norm, kw):
    gm, tm = _pair(torch, "RMSNorm", norm, dtype=dtype, **kw)
    _check(torch, gm, tm, rng.standard_normal(shape), dtype)


def test_rms_norm_errors(torch, rng):
    x = rng.standard_normal((2, 4, 3))
    _errors_match(torch, lambda F, lib, t: F.rms_norm(t, (4,)), x)
    _errors_match(torch, lambda F, lib, t: F.rms_norm(t, (3,), lib.ones(4, dtype=lib.float64)), x)
    _errors_match(torch, lambda F, lib, t: F.rms_norm(t.int(), (3,)), x)
    xg = gradcore.tensor(x, requires_grad=True)
    w = gradcore.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradgradcheck(lambda a, b: gF.rms_norm(a, (3,), b), (xg, w))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [{}, dict(elementwise_affine=False), dict(bias=False),
                                dict(eps=1e-2)])
def test_layer_norm_options(torch, rng, dtype, kw):
    gm, tm = _pair(torch, "LayerNorm", (3, 4), dtype=dtype, **kw)
    _check(torch, gm, tm, rng.standard_normal((2, 3, 4)), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [{}, dict(p=1, dim=-1), dict(p=3.0, dim=0),
                                dict(p=float("inf"), dim=2), dict(eps=10.0)])
def test_normalize(torch, rng, dtype, kw):
    a = rng.standard_normal((3, 4, 5)).astype(dtype)
    gx = gradcore.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    gy, ty = gF.normalize(gx, **kw), torch.nn.functional.normalize(tx, **kw)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), **TOL[dtype])
    up = rng.standard_normal(a.shape).astype(dtype)
    gy.backward(gradcore.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), **TOL[dtype])


def test_normalize_out(torch, rng):
    a = rng.standard_normal((3, 4))
    out = gradcore.empty(3, 4, dtype=gradcore.float64)
    r = gF.normalize(gradcore.tensor(a), out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), torch.nn.functional.normalize(torch.tensor(a)).numpy(),
                               **TOL["float64"])


def test_group_norm_of_an_empty_batch(torch):
    for lib in (gradcore, torch):
        x = lib.randn(0, 6, 4, 4, requires_grad=True)
        y = lib.nn.GroupNorm(3, 6)(x)
        y.sum().backward()
        assert tuple(y.shape) == tuple(x.grad.shape) == (0, 6, 4, 4)
