"""nn.utils against PyTorch: gradient clipping, parameters <-> vector, weight_norm and
spectral_norm (hook and parametrization forms), parametrize, fusion, pruning."""
import math
import warnings

import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
from gradcore.nn.utils import parametrizations, parametrize, prune

DTYPES = [("float32", 1e-5), ("float64", 1e-10)]


def _np(t):
    return t.detach().cpu().numpy()


def _pair(torch, build, dtype="float64"):
    """The same module in both libraries, gradcore's loaded from torch's state_dict."""
    tm = build(torch.nn).to(getattr(torch, dtype))
    gm = build(nn).to(getattr(gradcore, dtype))
    gm.load_state_dict({k: gradcore.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    return tm, gm


def _set_grads(torch, tps, gps, seed=0):
    rng = np.random.default_rng(seed)
    for tp, gp in zip(tps, gps):
        g = rng.standard_normal(tuple(tp.shape)) * 3
        tp.grad = torch.tensor(g, dtype=tp.dtype)
        gp.grad = gradcore.tensor(g, dtype=gp.dtype)


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, "inf", 3.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm(torch, dtype, tol, norm_type, max_norm):
    tm, gm = _pair(torch, lambda m: m.Sequential(m.Linear(4, 3), m.Linear(3, 2)), dtype)
    tps, gps = list(tm.parameters()), list(gm.parameters())
    _set_grads(torch, tps, gps)
    tps[1].grad = None
    gps[1].grad = None
    tn = torch.nn.utils.clip_grad_norm_(tm.parameters(), max_norm, norm_type)
    gn = nn.utils.clip_grad_norm_(gm.parameters(), max_norm, norm_type)
    assert isinstance(gn, gradcore.Tensor) and gn.shape == () and str(gn.dtype)[9:] == dtype
    np.testing.assert_allclose(_np(gn), tn.numpy(), rtol=tol)
    for tp, gp in zip(tps, gps):
        assert (tp.grad is None) == (gp.grad is None)
        if tp.grad is not None:
            np.testing.assert_allclose(_np(gp.grad), tp.grad.numpy(), rtol=tol, atol=tol)


def test_clip_grad_norm_single_tensor_empty_and_nonfinite(torch):
    p = nn.Parameter(gradcore.ones(3))
    p.grad = gradcore.tensor([3.0, 4.0, 0.0])
    n = nn.utils.clip_grad_norm_(p, 1.0)
    np.testing.assert_allclose(_np(n), 5.0)
    np.testing.assert_allclose(_np(p.grad), np.array([3, 4, 0]) / (5 + 1e-6), rtol=1e-6)
    assert float(nn.utils.clip_grad_norm_([], 1.0)) == float(
        torch.nn.utils.clip_grad_norm_([], 1.0))
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)
    p.grad = gradcore.tensor([1.0, float("nan"), 0.0])
    tp = torch.nn.Parameter(torch.ones(3))
    tp.grad = torch.tensor([1.0, float("nan"), 0.0])
    with pytest.raises(RuntimeError) as te:
        torch.nn.utils.clip_grad_norm_(tp, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as ge:
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert str(ge.value) == str(te.value)
    assert math.isnan(float(nn.utils.clip_grad_norm_(p, 1.0, foreach=True)))
    with pytest.warns(FutureWarning):
        nn.utils.clip_grad_norm(p, 1.0)


def test_get_total_norm_and_clip_grads_with_norm(torch):
    rng = np.random.default_rng(1)
    arrs = [rng.standard_normal((3, 2)), rng.standard_normal(5)]
    for nt in (2.0, 1.0, math.inf):
        t = torch.nn.utils.get_total_norm([torch.tensor(a) for a in arrs], nt)
        g = nn.utils.get_total_norm([gradcore.tensor(a) for a in arrs], nt)
        np.testing.assert_allclose(_np(g), t.numpy(), rtol=1e-12)
    tps = [torch.nn.Parameter(torch.tensor(a)) for a in arrs]
    gps = [nn.Parameter(gradcore.tensor(a)) for a in arrs]
    _set_grads(torch, tps, gps, seed=3)
    torch.nn.utils.clip_grads_with_norm_(tps, 0.7, torch.tensor(9.0, dtype=torch.float64))
    nn.utils.clip_grads_with_norm_(gps, 0.7, gradcore.tensor(9.0, dtype=gradcore.float64))
    for tp, gp in zip(tps, gps):
        np.testing.assert_allclose(_np(gp.grad), tp.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_clip_grad_value(torch, dtype, tol):
    tm, gm = _pair(torch, lambda m: m.Linear(4, 3), dtype)
    tps, gps = list(tm.parameters()), list(gm.parameters())
    _set_grads(torch, tps, gps)
    torch.nn.utils.clip_grad_value_(tm.parameters(), 1.5)
    assert nn.utils.clip_grad_value_(gm.parameters(), 1.5) is None
    for tp, gp in zip(tps, gps):
        np.testing.assert_array_equal(_np(gp.grad), tp.grad.numpy())


def test_parameters_to_vector_round_trip(torch):
    tm, gm = _pair(torch, lambda m: m.Sequential(m.Linear(3, 2), m.Linear(2, 4)))
    tv = torch.nn.utils.parameters_to_vector(tm.parameters())
    gv = nn.utils.parameters_to_vector(gm.parameters())
    np.testing.assert_array_equal(_np(gv), tv.detach().numpy())
    (gv * gradcore.arange(gv.numel(), dtype=gv.dtype)).sum().backward()
    (tv * torch.arange(tv.numel(), dtype=tv.dtype)).sum().backward()
    for tp, gp in zip(tm.parameters(), gm.parameters()):
        np.testing.assert_array_equal(_np(gp.grad), tp.grad.numpy())
    new = np.linspace(-1, 1, gv.numel())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tm.parameters())
    nn.utils.vector_to_parameters(gradcore.tensor(new), gm.parameters())
    for tp, gp in zip(tm.parameters(), gm.parameters()):
        np.testing.assert_array_equal(_np(gp), tp.detach().numpy())
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], gm.parameters())


def _forward_backward(torch, tm, gm, shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    tx = torch.tensor(x, dtype=next(tm.parameters()).dtype, requires_grad=True)
    gx = gradcore.tensor(x, dtype=next(gm.parameters()).dtype, requires_grad=True)
    ty, gy = tm(tx), gm(gx)
    (ty * ty).sum().backward()
    (gy * gy).sum().backward()
    return tx, gx, ty, gy


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_hook(torch, dtype, tol, dim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        tm = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).to(getattr(torch, dtype)), dim=dim)
        gm = nn.utils.weight_norm(nn.Linear(4, 3).to(getattr(gradcore, dtype)), dim=dim)
    assert list(gm.state_dict()) == list(tm.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert gm.weight_g.shape == tuple(tm.weight_g.shape)
    gm.load_state_dict({k: gradcore.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tx, gx, ty, gy = _forward_backward(torch, tm, gm, (5, 4))
    np.testing.assert_allclose(_np(gy), ty.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(_np(gx.grad), tx.grad.numpy(), rtol=tol, atol=tol)
    for n in ("weight_g", "weight_v", "bias"):
        np.testing.assert_allclose(_np(getattr(gm, n).grad), getattr(tm, n).grad.numpy(),
                                   rtol=tol * 10, atol=tol)
    torch.nn.utils.remove_weight_norm(tm)
    nn.utils.remove_weight_norm(gm)
    assert list(gm.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    assert isinstance(gm.weight, nn.Parameter)
    np.testing.assert_allclose(_np(gm.weight), tm.weight.detach().numpy(), rtol=tol)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(gm)


def test_weight_norm_twice_raises():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        m = nn.utils.weight_norm(nn.Linear(2, 2))
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
            nn.utils.weight_norm(m)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_spectral_norm_hook(torch, dtype, tol):
    tm = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 3).to(getattr(torch, dtype)),
                                      n_power_iterations=2)
    gm = nn.utils.spectral_norm(nn.Linear(5, 3).to(getattr(gradcore, dtype)),
                                n_power_iterations=2)
    assert list(gm.state_dict()) == list(tm.state_dict()) == [
        "bias", "weight_orig", "weight_u", "weight_v"]
    assert [n for n, _ in gm.named_parameters()] == ["bias", "weight_orig"]
    gm.load_state_dict({k: gradcore.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    for _ in range(2):  # training: the power iteration updates u and v
        tx, gx, ty, gy = _forward_backward(torch, tm, gm, (4, 5))
        np.testing.assert_allclose(_np(gy), ty.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(_np(gm.weight_u), tm.weight_u.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(_np(gx.grad), tx.grad.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(_np(gm.weight_orig.grad), tm.weight_orig.grad.numpy(),
                                   rtol=tol * 10, atol=tol)
    tm.eval(), gm.eval()
    u = _np(gm.weight_u).copy()
    _forward_backward(torch, tm, gm, (4, 5))
    np.testing.assert_array_equal(_np(gm.weight_u), u)
    assert gm.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    torch.nn.utils.remove_spectral_norm(tm)
    nn.utils.remove_spectral_norm(gm)
    assert list(gm.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(_np(gm.weight), tm.weight.detach().numpy(), rtol=tol)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


def _symmetric(m):
    class Symmetric(m.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)
    return Symmetric()


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_register_parametrization(torch, dtype, tol):
    tm, gm = _pair(torch, lambda m: m.Linear(3, 3), dtype)
    torch.nn.utils.parametrize.register_parametrization(tm, "weight", _symmetric(torch.nn))
    parametrize.register_parametrization(gm, "weight", _symmetric(nn))
    assert type(gm).__name__ == "ParametrizedLinear"
    assert parametrize.is_parametrized(gm) and parametrize.is_parametrized(gm, "weight")
    assert not parametrize.is_parametrized(gm, "bias")
    assert parametrize.type_before_parametrizations(gm) is nn.Linear
    assert list(gm.state_dict()) == list(tm.state_dict()) == [
        "bias", "parametrizations.weight.original"]
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    np.testing.assert_allclose(_np(gm.weight), tm.weight.detach().numpy(), rtol=tol)
    tx, gx, ty, gy = _forward_backward(torch, tm, gm, (2, 3))
    np.testing.assert_allclose(_np(gy), ty.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(_np(gm.parametrizations.weight.original.grad),
                               tm.parametrizations.weight.original.grad.numpy(), rtol=tol,
                               atol=tol)
    with parametrize.cached():
        assert gm.weight is gm.weight
    assert gm.weight is not gm.weight
    assert repr(gm).replace("gradcore", "torch") == repr(tm)
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        gm.weight = gradcore.zeros(3, 3, dtype=gm.bias.dtype)
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight")
    parametrize.remove_parametrizations(gm, "weight")
    assert type(gm) is nn.Linear and isinstance(gm.weight, nn.Parameter)
    np.testing.assert_allclose(_np(gm.weight), tm.weight.detach().numpy(), rtol=tol)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(gm, "weight")


def test_parametrization_right_inverse_chain_and_errors(torch):
    class Double(nn.Module):
        def forward(self, X):
            return X * 2

        def right_inverse(self, Y):
            return Y / 2

    m = nn.Linear(2, 2)
    w = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", Double())
    np.testing.assert_allclose(_np(m.weight), w, rtol=1e-6)
    np.testing.assert_allclose(_np(m.parametrizations.weight.original), w / 2, rtol=1e-6)
    parametrize.register_parametrization(m, "weight", Double())
    np.testing.assert_allclose(_np(m.weight), w * 2, rtol=1e-6)
    m.weight = gradcore.ones(2, 2)
    np.testing.assert_allclose(_np(m.parametrizations.weight.original), 0.25)
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_allclose(_np(m.weight), 0.25)

    class Bad(nn.Module):
        def forward(self, X):
            return X[0]

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Bad())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(nn.Linear(2, 2), "nope", Double())


@pytest.mark.parametrize("dtype,tol", DTYPES)
@pytest.mark.parametrize("dim", [0, 1])
def test_parametrizations_weight_norm(torch, dtype, tol, dim):
    tm = torch.nn.utils.parametrizations.weight_norm(
        torch.nn.Linear(4, 3).to(getattr(torch, dtype)), dim=dim)
    gm = parametrizations.weight_norm(nn.Linear(4, 3).to(getattr(gradcore, dtype)), dim=dim)
    assert list(gm.state_dict()) == list(tm.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    gm.load_state_dict({k: gradcore.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tx, gx, ty, gy = _forward_backward(torch, tm, gm, (5, 4))
    np.testing.assert_allclose(_np(gy), ty.detach().numpy(), rtol=tol, atol=tol)
    for k in ("original0", "original1"):
        np.testing.assert_allclose(
            _np(getattr(gm.parametrizations.weight, k).grad),
            getattr(tm.parametrizations.weight, k).grad.numpy(), rtol=tol * 10, atol=tol)
    # the old weight_norm's state_dict loads into the new one
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = nn.utils.weight_norm(nn.Linear(4, 3).to(getattr(gradcore, dtype)), dim=dim)
    gm.load_state_dict(old.state_dict())
    np.testing.assert_allclose(_np(gm.weight), _np(old.weight), rtol=tol)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_parametrizations_spectral_norm(torch, dtype, tol):
    tm = torch.nn.utils.parametrizations.spectral_norm(
        torch.nn.Linear(5, 4).to(getattr(torch, dtype)))
    gm = parametrizations.spectral_norm(nn.Linear(5, 4).to(getattr(gradcore, dtype)))
    assert list(gm.state_dict()) == list(tm.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
        "parametrizations.weight.0._v"]
    gm.load_state_dict({k: gradcore.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    for _ in range(2):
        tx, gx, ty, gy = _forward_backward(torch, tm, gm, (3, 5))
        np.testing.assert_allclose(_np(gy), ty.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(_np(gm.parametrizations.weight[0]._v),
                                   tm.parametrizations.weight[0]._v.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(_np(gm.parametrizations.weight.original.grad),
                                   tm.parametrizations.weight.original.grad.numpy(),
                                   rtol=tol * 10, atol=tol)
    # sigma is the largest singular value once the power iteration has converged
    s = np.linalg.svd(_np(gm.parametrizations.weight.original), compute_uv=False)[0]
    gm.eval()
    np.testing.assert_allclose(np.linalg.svd(_np(gm.weight), compute_uv=False)[0], 1.0,
                               rtol=1e-3)
    assert s > 0
    with pytest.raises(IndexError, match="Dimension out of range"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)


@pytest.mark.parametrize("dtype,tol", DTYPES)
def test_fuse_linear_bn_eval(torch, dtype, tol):
    tl, gl = _pair(torch, lambda m: m.Linear(4, 3), dtype)
    tb, gb = _pair(torch, lambda m: m.BatchNorm1d(3), dtype)
    rng = np.random.default_rng(0)
    for name, arr in (("running_mean", rng.standard_normal(3)),
                      ("running_var", rng.random(3) + 0.5), ("weight", rng.standard_normal(3)),
                      ("bias", rng.standard_normal(3))):
        getattr(tb, name).data = torch.tensor(arr, dtype=getattr(torch, dtype))
        getattr(gb, name).data = gradcore.tensor(arr, dtype=getattr(gradcore, dtype))
    tl.eval(), tb.eval(), gl.eval(), gb.eval()
    tf = torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    gf = nn.utils.fuse_linear_bn_eval(gl, gb)
    assert gf is not gl and isinstance(gf.weight, nn.Parameter)
    for k in ("weight", "bias"):
        np.testing.assert_allclose(_np(getattr(gf, k)), getattr(tf, k).detach().numpy(),
                                   rtol=tol, atol=tol)
    x = gradcore.tensor(rng.standard_normal((2, 4)), dtype=getattr(gradcore, dtype))
    np.testing.assert_allclose(_np(gf(x)), _np(gb(gl(x))), rtol=tol * 10, atol=tol)
    gl.train()
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_linear_bn_eval(gl, gb)


def test_fuse_conv_bn_weights(torch):
    rng = np.random.default_rng(2)
    arrs = [rng.standard_normal((4, 2, 3, 3)), None, rng.standard_normal(4),
            rng.random(4) + 0.5, 1e-5, rng.standard_normal(4), rng.standard_normal(4)]
    for transpose, shape in ((False, (4, 2, 3, 3)), (True, (2, 4, 3, 3))):
        arrs[0] = rng.standard_normal(shape)
        t = torch.nn.utils.fuse_conv_bn_weights(
            *[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in arrs], transpose)
        g = nn.utils.fuse_conv_bn_weights(
            *[gradcore.tensor(a) if isinstance(a, np.ndarray) else a for a in arrs], transpose)
        for tt, gg in zip(t, g):
            assert isinstance(gg, nn.Parameter)
            np.testing.assert_allclose(_np(gg), tt.detach().numpy(), rtol=1e-12)
    tc, gc = _pair(torch, lambda m: m.Conv2d(2, 4, 3))
    tb, gb = _pair(torch, lambda m: m.BatchNorm2d(4))
    tc.eval(), tb.eval(), gc.eval(), gb.eval()
    tf, gf = torch.nn.utils.fuse_conv_bn_eval(tc, tb), nn.utils.fuse_conv_bn_eval(gc, gb)
    np.testing.assert_allclose(_np(gf.weight), tf.weight.detach().numpy(), rtol=1e-12)


def test_prune_l1_unstructured_and_remove(torch):
    import torch.nn.utils.prune  # noqa: F401  (torch does not import it with nn.utils)
    tm, gm = _pair(torch, lambda m: m.Linear(5, 4))
    torch.nn.utils.prune.l1_unstructured(tm, "weight", amount=0.3)
    prune.l1_unstructured(gm, "weight", amount=0.3)
    assert list(gm.state_dict()) == list(tm.state_dict()) == [
        "bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in gm.named_parameters()] == ["bias", "weight_orig"]
    np.testing.assert_array_equal(_np(gm.weight_mask), tm.weight_mask.numpy())
    assert prune.is_pruned(gm) and not prune.is_pruned(nn.Linear(1, 1))
    tx, gx, ty, gy = _forward_backward(torch, tm, gm, (3, 5))
    np.testing.assert_allclose(_np(gy), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(_np(gm.weight_orig.grad), tm.weight_orig.grad.numpy(),
                               rtol=1e-12, atol=1e-12)
    # pruning again prunes among the remaining entries
    torch.nn.utils.prune.l1_unstructured(tm, "weight", amount=2)
    prune.l1_unstructured(gm, "weight", amount=2)
    assert isinstance(gm._forward_pre_hooks[next(iter(gm._forward_pre_hooks))],
                      prune.PruningContainer)
    np.testing.assert_array_equal(_np(gm.weight_mask), tm.weight_mask.numpy())
    torch.nn.utils.prune.remove(tm, "weight")
    prune.remove(gm, "weight")
    assert list(gm.state_dict()) == ["bias", "weight"] and not prune.is_pruned(gm)
    np.testing.assert_array_equal(_np(gm.weight), tm.weight.detach().numpy())
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(gm, "weight")
    with pytest.raises(ValueError, match="should either be a float in the range"):
        prune.l1_unstructured(gm, "weight", amount=1.5)
    with pytest.raises(ValueError, match="should be smaller than the number of parameters"):
        prune.l1_unstructured(gm, "bias", amount=10)
    assert "bias" in gm._parameters  # the failed pruning was rolled back


def test_prune_random_unstructured_ln_structured_custom(torch):
    import torch.nn.utils.prune  # noqa: F401
    m = nn.Linear(6, 4)
    prune.random_unstructured(m, "weight", amount=0.25)
    assert int((m.weight_mask == 0).sum()) == 6
    np.testing.assert_array_equal(_np(m.weight), _np(m.weight_orig) * _np(m.weight_mask))
    tm, gm = _pair(torch, lambda mm: mm.Linear(6, 4))
    torch.nn.utils.prune.ln_structured(tm, "weight", amount=2, n=1, dim=0)
    prune.ln_structured(gm, "weight", amount=2, n=1, dim=0)
    np.testing.assert_array_equal(_np(gm.weight_mask), tm.weight_mask.numpy())
    mask = np.array([1.0, 0.0, 1.0, 0.0])
    torch.nn.utils.prune.custom_from_mask(tm, "bias", torch.tensor(mask))
    prune.custom_from_mask(gm, "bias", gradcore.tensor(mask))
    np.testing.assert_array_equal(_np(gm.bias), tm.bias.detach().numpy())
