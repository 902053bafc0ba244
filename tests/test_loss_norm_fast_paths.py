"""The fast paths of the losses and norms (issue 15) against PyTorch and against their own
create_graph path: the norms' and BCEs' first-order array backward equals the Tensor-op
backward it shares its formula with; nll_loss's gather/scatter with every target valid, with
ignored targets and with an ignore_index inside the class range; smooth_l1 / huber's bitwise
select with inf, nan and signed zeros; softmax of an all -inf row under a warnings-as-errors
filter."""
import warnings

import numpy as np
import pytest

import gradcore
import gradcore.nn.functional as gF

F64 = dict(rtol=1e-10, atol=1e-12)


def _both(torch, fn, arrays, grad_of=None, gy_seed=1):
    """fn in gradcore and torch on the same float64 arrays: (value, grads) of each, and
    gradcore's gradients once more through the create_graph (Tensor-op) backward."""
    grad_of = range(len(arrays)) if grad_of is None else grad_of
    out = []
    for lib, create in ((gradcore, False), (gradcore, True), (torch, False)):
        ts = [lib.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
        y = fn(lib, *ts)
        gy = lib.tensor(np.random.default_rng(gy_seed).standard_normal(tuple(y.shape)))
        gs = lib.autograd.grad(y, [ts[i] for i in grad_of], gy, create_graph=create)
        out.append((y.detach().numpy(), [g.detach().numpy() for g in gs]))
    return out


def _check(out):
    (ga, gga), (gc, ggc), (tv, tg) = out
    np.testing.assert_allclose(ga, tv, **F64)
    for a, c, t in zip(gga, ggc, tg):
        np.testing.assert_allclose(a, t, **F64)  # the array path against PyTorch
        np.testing.assert_allclose(a, c, rtol=1e-13, atol=1e-14)  # against the Tensor path


NORMS = {
    "layer_norm": (lambda L, x, w, b: L.nn.functional.layer_norm(x, (4,), w, b), (3, 4), 4),
    "layer_norm 2d": (lambda L, x, w, b: L.nn.functional.layer_norm(
        x, (2, 4), *(None if p is None else p.reshape(2, 4) for p in (w, b))), (3, 2, 4), 8),
    "batch_norm train": (lambda L, x, w, b: L.nn.functional.batch_norm(x, None, None, w, b,
                                                                       True), (4, 3, 2, 2), 3),
    "batch_norm 1d": (lambda L, x, w, b: L.nn.functional.batch_norm(x, None, None, w, b, True),
                      (5, 3), 3),
    "batch_norm eval": (lambda L, x, w, b: L.nn.functional.batch_norm(
        x, L.tensor([0.1, -0.2, 0.3], dtype=x.dtype), L.tensor([0.5, 1.5, 2.0], dtype=x.dtype),
        w, b, False), (4, 3, 5), 3),
    "group_norm": (lambda L, x, w, b: L.nn.functional.group_norm(x, 2, w, b), (2, 4, 3, 2), 4),
    "group_norm 1 group": (lambda L, x, w, b: L.nn.functional.group_norm(x, 1, w, b), (2, 4, 5),
                           4),
    "instance_norm": (lambda L, x, w, b: L.nn.functional.instance_norm(x, weight=w, bias=b),
                      (2, 3, 4), 3),
}


@pytest.mark.parametrize("name", NORMS)
@pytest.mark.parametrize("params", ["both", "weight", "bias", "none"])
def test_norm_backward_paths_agree_with_torch(torch, name, params):
    fn, shape, c = NORMS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 2 + 0.5
    w, b = rng.standard_normal(c), rng.standard_normal(c)

    def call(L, x, *p):
        p = list(p)
        wt = p.pop(0) if params in ("both", "weight") else None
        bt = p.pop(0) if params in ("both", "bias") else None
        if L is torch and wt is None and bt is not None and name.startswith("group_norm"):
            wt = L.ones(c, dtype=x.dtype)  # torch 2.13's group_norm fails on a bias alone
        return fn(L, x, wt, bt)
    arrays = [x] + ([w] if params in ("both", "weight") else []) + \
        ([b] if params in ("both", "bias") else [])
    _check(_both(torch, call, arrays))


@pytest.mark.parametrize("case", ["valid", "ignored", "ignore_in_range", "weighted",
                                  "spatial", "all_ignored"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_gather_scatter_paths(torch, case, reduction):
    rng = np.random.default_rng(1)
    shape = (5, 4, 3) if case == "spatial" else (6, 4)
    x = rng.standard_normal(shape)
    t = rng.integers(0, 4, (shape[0],) + shape[2:])
    kw = {"reduction": reduction}
    if case in ("ignored", "spatial"):
        t.reshape(-1)[::3] = -100
    if case == "ignore_in_range":
        kw["ignore_index"] = 2
    if case == "all_ignored":
        t[:] = -100
    w = rng.uniform(0.5, 2.0, 4) if case == "weighted" else None

    def fn(L, x):
        return L.nn.functional.cross_entropy(x, L.tensor(t), None if w is None else
                                             L.tensor(w), **kw)
    (ga, gga), (gc, ggc), (tv, tg) = _both(torch, fn, [x])
    np.testing.assert_allclose(ga, tv, equal_nan=True, **F64)
    np.testing.assert_allclose(gga[0], tg[0], equal_nan=True, **F64)
    np.testing.assert_allclose(gga[0], ggc[0], equal_nan=True, rtol=1e-13, atol=1e-14)


def test_nll_loss_out_of_range_targets_still_refused(torch):
    x = np.zeros((3, 4))
    for t in ([0, 4, 1], [0, -1, 1], [0, -100, 7]):
        for lib in (gradcore, torch):
            with pytest.raises(IndexError, match="out of bounds"):
                lib.nn.functional.nll_loss(lib.tensor(x), lib.tensor(t))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("loss", ["smooth_l1_loss", "huber_loss"])
def test_smooth_l1_and_huber_select_keeps_special_values(torch, dtype, loss):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((7, 9))
    a[0, :6] = [np.inf, -np.inf, np.nan, 1e30, -0.0, 0.0]
    y = rng.standard_normal((7, 9))
    y[1, :2] = [-0.0, np.inf]
    kw = {"beta": 0.7} if loss == "smooth_l1_loss" else {"delta": 1.3}
    outs = []
    for lib in (gradcore, torch):
        for extra in ({}, kw):
            v = getattr(lib.nn.functional, loss)(lib.tensor(a, dtype=getattr(lib, dtype)),
                                                 lib.tensor(y, dtype=getattr(lib, dtype)),
                                                 reduction="none", **extra)
            outs.append(v.float().numpy())
    tol = dict(rtol=1e-3, atol=1e-3) if dtype == "float16" else dict(rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(outs[0], outs[2], equal_nan=True, **tol)
    np.testing.assert_allclose(outs[1], outs[3], equal_nan=True, **tol)


@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_array_backward_matches_tensor_backward_and_torch(torch, pos_weight, reduction):
    rng = np.random.default_rng(3)
    x, p = rng.standard_normal((4, 5)) * 3, rng.uniform(0.02, 0.98, (4, 5))
    t, w, pw = rng.uniform(0, 1, (4, 5)), rng.uniform(0.5, 2, 5), rng.uniform(0.5, 2, 5)

    def logits(L, x, t):
        return L.nn.functional.binary_cross_entropy_with_logits(
            x, t, L.tensor(w), reduction=reduction, pos_weight=L.tensor(pw) if pos_weight
            else None)

    def probs(L, p, t):
        return L.nn.functional.binary_cross_entropy(p, t, L.tensor(w), reduction=reduction)
    _check(_both(torch, logits, [x, t]))
    _check(_both(torch, probs, [p, t]))


def test_bce_range_check_still_refuses_nan_and_out_of_range(torch):
    for bad in (1.5, -0.1, float("nan")):
        for lib in (gradcore, torch):
            x = lib.tensor([0.5, bad])
            with pytest.raises(RuntimeError, match="all elements of input should be between"):
                lib.nn.functional.binary_cross_entropy(x, lib.tensor([0.0, 1.0]))


def test_softmax_all_minus_inf_row_under_warnings_as_errors(torch):
    a = np.array([[-np.inf, -np.inf, -np.inf], [1.0, 2.0, 3.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in ("softmax", "log_softmax"):
            x = gradcore.tensor(a, requires_grad=True)
            y = getattr(gF, fn)(x, 1)
            y.backward(gradcore.ones(2, 3))
            ty = getattr(torch.nn.functional, fn)(torch.tensor(a), 1)
            np.testing.assert_allclose(y.detach().numpy(), ty.numpy(), equal_nan=True,
                                       rtol=1e-6, atol=1e-7)
