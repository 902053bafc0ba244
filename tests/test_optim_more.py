"""The further optimizers (Adamax, NAdam, RAdam, Adadelta, ASGD, Rprop, LBFGS, SparseAdam)
and swa_utils against PyTorch: the same parameters and gradients in both, parameters compared
after every step, then the state; state_dicts both ways, param groups, flags, errors."""
import copy

import numpy as np
import pytest

import gradcore as gc
import gradcore.optim as optim
from gradcore.optim import swa_utils

TOL = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-5, atol=1e-6)}


def _problem(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((4, 6)).astype(dtype),
            "b": rng.standard_normal(4).astype(dtype),
            "X": rng.standard_normal((7, 6)).astype(dtype),
            "Y": rng.standard_normal((7, 4)).astype(dtype)}


def _np(t):
    return t.detach().cpu().numpy()


def _torch_loss(torch, params, prob):
    W, b = params
    out = torch.tanh(torch.tensor(prob["X"]) @ W.T + b)
    return (out - torch.tensor(prob["Y"])).pow(2).mean()


def _gc_loss(params, prob, device):
    W, b = params
    out = gc.tanh(gc.tensor(prob["X"], device=device) @ W.T + b)
    return (out - gc.tensor(prob["Y"], device=device)).pow(2).mean()


def _params(torch, prob, device):
    return ([torch.tensor(prob[k], requires_grad=True) for k in ("W", "b")],
            [gc.tensor(prob[k], device=device, requires_grad=True) for k in ("W", "b")])


def _torch_grads(torch, topt, tparams, prob):
    topt.zero_grad()
    _torch_loss(torch, tparams, prob).backward()


def _copy_grads(tparams, gparams, device):
    for tp, gp in zip(tparams, gparams):
        gp.grad = None if tp.grad is None else gc.tensor(tp.grad.numpy(), device=device)


def _assert_params(tparams, gparams, dtype):
    for tp, gp in zip(tparams, gparams):
        np.testing.assert_allclose(_np(gp), tp.detach().numpy(), **TOL[dtype])


def _assert_state(tstate, gstate, dtype, device):
    assert sorted(gstate) == sorted(tstate)
    for key, tval in tstate.items():
        gval = gstate[key]
        if key == "step":
            assert gval.item() == tval.item()
        elif tval.dim() == 0:  # a scalar state tensor (mu_product, eta, mu): its dtype too
            assert str(gval.dtype).split(".")[-1] == str(tval.dtype).split(".")[-1]
            assert gval.item() == tval.item(), key
        else:
            assert gval.device == device and str(gval.dtype).split(".")[-1] == \
                str(tval.dtype).split(".")[-1]
            np.testing.assert_allclose(_np(gval), tval.numpy(), **TOL[dtype])


def _to_gc(obj, device=None):
    import torch
    if isinstance(obj, torch.Tensor):
        return gc.tensor(obj.numpy(), device=device)
    if isinstance(obj, dict):
        return {k: _to_gc(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_gc(v, device) for v in obj)
    return obj


def _to_torch(obj):
    import torch
    if isinstance(obj, gc.Tensor):
        return torch.tensor(_np(obj))
    if isinstance(obj, dict):
        return {k: _to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_torch(v) for v in obj)
    return obj


def _parity(torch, device, name, kwargs, dtype, steps=10, groups=None, gkwargs=None):
    prob = _problem(dtype)
    tparams, gparams = _params(torch, prob, device)
    make = groups or (lambda ps: ps)
    topt = getattr(torch.optim, name)(make(tparams), **kwargs)
    gopt = getattr(optim, name)(make(gparams), **dict(kwargs, **(gkwargs or {})))
    for _ in range(steps):
        _torch_grads(torch, topt, tparams, prob)
        _copy_grads(tparams, gparams, device)
        topt.step()
        gopt.step()
        _assert_params(tparams, gparams, dtype)
    for tp, gp in zip(tparams, gparams):
        _assert_state(topt.state[tp], gopt.state[gp], dtype, gp.device)
    return topt, gopt, tparams, gparams, prob


CASES = [
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.05, betas=(0.3, 0.8), eps=1e-3, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, maximize=True, weight_decay=0.05)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.05, momentum_decay=0.1, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, betas=(0.3, 0.7), weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.02, maximize=True, eps=1e-4)),
    ("RAdam", dict()),  # rho_t > 5 from step 6 on: both branches
    ("RAdam", dict(lr=0.05, betas=(0.5, 0.6))),  # rho_inf = 4: never rectified
    ("RAdam", dict(lr=0.05, betas=(0.2, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.3, eps=1e-3, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),  # averaging on
    ("ASGD", dict(lr=0.1, t0=0, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.07))),  # both clamps
    ("Rprop", dict(lr=0.05, maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_torch(torch, device, name, kwargs, dtype):
    _parity(torch, device, name, kwargs, dtype)


def test_scalar_state_in_the_default_dtype(torch):
    """NAdam's mu_product, ASGD's eta and mu are float64 under a float64 default dtype."""
    old_t, old_g = torch.get_default_dtype(), gc.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    gc.set_default_dtype(gc.float64)
    try:
        for name, kwargs in (("NAdam", {"lr": 0.05}), ("ASGD", {"lr": 0.1, "t0": 2})):
            _parity(torch, gc.device("cpu"), name, kwargs, np.float64, steps=6)
    finally:
        torch.set_default_dtype(old_t)
        gc.set_default_dtype(old_g)


FLAG_CASES = [("Adamax", dict(foreach=True)), ("NAdam", dict(foreach=False)),
              ("RAdam", dict(foreach=True)), ("Adadelta", dict(foreach=True)),
              ("ASGD", dict(foreach=True)), ("Rprop", dict(foreach=True))]


@pytest.mark.parametrize("name,kwargs", FLAG_CASES, ids=[c[0] for c in FLAG_CASES])
def test_flags_give_the_same_results(torch, device, name, kwargs):
    """foreach as PyTorch's; capturable (PyTorch refuses it on the CPU) changes nothing."""
    topt, gopt, *_ = _parity(torch, device, name, dict(kwargs, lr=0.01), np.float64, steps=4)
    assert gopt.param_groups[0]["foreach"] == kwargs["foreach"]
    _parity(torch, device, name, dict(lr=0.01), np.float64, steps=4,
            gkwargs={"capturable": True})
    if name in ("Adamax", "NAdam", "RAdam"):
        with pytest.raises(NotImplementedError):
            getattr(optim, name)([gc.ones(1, requires_grad=True)], differentiable=True)


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "Adadelta", "ASGD", "Rprop"])
def test_param_groups_with_their_own_options(torch, device, name):
    extra = {"Adamax": {"betas": (0.5, 0.9)}, "NAdam": {"momentum_decay": 0.1},
             "RAdam": {"weight_decay": 0.2}, "Adadelta": {"rho": 0.5},
             "ASGD": {"t0": 2}, "Rprop": {"etas": (0.2, 2.0)}}[name]
    topt, gopt, *_ = _parity(
        torch, device, name, {"lr": 0.01}, np.float64,
        groups=lambda ps: [{"params": [ps[0]]}, dict({"params": ps[1], "lr": 0.05}, **extra)])
    assert gopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


@pytest.mark.parametrize("name,kwargs", [
    ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)), ("Adadelta", dict(lr=0.5)), ("ASGD", dict(lr=0.1, t0=2)),
    ("Rprop", dict(lr=0.01))])
def test_state_dict_both_ways(torch, device, name, kwargs):
    topt, gopt, tparams, gparams, prob = _parity(torch, device, name, kwargs, np.float64, 4)
    tsd, gsd = topt.state_dict(), gopt.state_dict()
    assert gsd["param_groups"] == tsd["param_groups"]
    assert list(gsd["state"]) == list(tsd["state"]) == [0, 1]
    # PyTorch's state_dict into gradcore, gradcore's into PyTorch: both continue as PyTorch
    # loaded with its own (loading casts scalar state such as mu_product to the params' dtype)
    def fresh_torch(sd):
        ps = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in tparams]
        opt = getattr(torch.optim, name)(ps, lr=123.0)
        opt.load_state_dict(sd)
        return ps, opt

    ours = [gc.tensor(_np(p), device=device, requires_grad=True) for p in gparams]
    from_torch = getattr(optim, name)(ours, lr=123.0)
    from_torch.load_state_dict(_to_gc(tsd, device))
    assert from_torch.param_groups[0]["lr"] == kwargs["lr"]
    reloaded, reloaded_opt = fresh_torch(copy.deepcopy(tsd))
    theirs, from_gc = fresh_torch(_to_torch(copy.deepcopy(gsd)))
    for i in (0, 1):
        _assert_state(reloaded_opt.state[reloaded[i]], from_torch.state[ours[i]], np.float64,
                      ours[i].device)
    for _ in range(4):
        _torch_grads(torch, topt, tparams, prob)
        for ps in (theirs, reloaded):
            for p, q in zip(ps, tparams):
                p.grad = q.grad.clone()
        for opt in (topt, from_gc, reloaded_opt):
            opt.step()
        for ps, opt in ((gparams, gopt), (ours, from_torch)):
            _copy_grads(tparams, ps, device)
            opt.step()
        _assert_params(tparams, gparams, np.float64)
        _assert_params(reloaded, ours, np.float64)
        _assert_params(reloaded, [gc.tensor(p.detach().numpy()) for p in theirs], np.float64)


def test_add_param_group(torch, device):
    prob = _problem(np.float64)
    tparams, gparams = _params(torch, prob, device)
    topt = torch.optim.NAdam([tparams[0]], lr=0.01)
    gopt = optim.NAdam([gparams[0]], lr=0.01)
    for step in range(6):
        if step == 2:
            topt.add_param_group({"params": tparams[1], "lr": 0.1, "momentum_decay": 0.2})
            gopt.add_param_group({"params": gparams[1], "lr": 0.1, "momentum_decay": 0.2})
        _torch_grads(torch, topt, tparams, prob)
        _copy_grads(tparams, gparams, device)
        topt.step()
        gopt.step()
        _assert_params(tparams, gparams, np.float64)
    assert gopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def _same_error(make_torch, make_gc):
    with pytest.raises(Exception) as expected:
        make_torch()
    with pytest.raises(type(expected.value)) as got:
        make_gc()
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("name,kwargs", [
    ("Adamax", dict(lr=-1.0)), ("Adamax", dict(eps=-1.0)), ("Adamax", dict(betas=(1.0, 0.9))),
    ("Adamax", dict(betas=(0.9, -0.1))), ("Adamax", dict(weight_decay=-1)),
    ("NAdam", dict(lr=-1.0)), ("NAdam", dict(momentum_decay=-0.1)),
    ("NAdam", dict(betas=(0.9, 1.0))), ("NAdam", dict(weight_decay=-1)),
    ("RAdam", dict(eps=-1e-8)), ("RAdam", dict(betas=(-0.1, 0.9))),
    ("Adadelta", dict(lr=-1.0)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)), ("ASGD", dict(lr=-0.1)),
    ("ASGD", dict(weight_decay=-0.1)), ("Rprop", dict(lr=-0.1)),
    ("Rprop", dict(etas=(1.5, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))),
    ("SparseAdam", dict(lr=0.0)), ("SparseAdam", dict(eps=0.0)),
    ("SparseAdam", dict(betas=(0.9, 1.0))), ("LBFGS", dict(lr=-1.0)),
])
def test_invalid_options(torch, name, kwargs):
    _same_error(lambda: getattr(torch.optim, name)([torch.ones(1, requires_grad=True)],
                                                   **kwargs),
                lambda: getattr(optim, name)([gc.ones(1, requires_grad=True)], **kwargs))


def test_repr_matches_torch(torch):
    for name, kwargs in [("Adamax", {}), ("NAdam", {}), ("RAdam", {}), ("Adadelta", {}),
                         ("ASGD", {}), ("Rprop", {}), ("SparseAdam", {}), ("LBFGS", {})]:
        ngroups = 1 if name == "LBFGS" else 2
        tg = [{"params": [torch.ones(1, requires_grad=True)], "lr": 0.5}
              for _ in range(ngroups)]
        gg = [{"params": [gc.ones(1, requires_grad=True)], "lr": 0.5} for _ in range(ngroups)]
        assert repr(getattr(optim, name)(gg, **kwargs)) == \
            repr(getattr(torch.optim, name)(tg, **kwargs))


def test_sparse_adam_refuses_dense_gradients(torch):
    tp, gp = torch.ones(3, requires_grad=True), gc.ones(3, requires_grad=True)
    tp.grad, gp.grad = torch.ones(3), gc.ones(3)
    _same_error(lambda: torch.optim.SparseAdam([tp]).step(),
                lambda: optim.SparseAdam([gp]).step())
    _same_error(lambda: torch.optim.SparseAdam([tp, torch.ones(1, dtype=torch.complex64)]),
                lambda: optim.SparseAdam([gp, gc.ones(1, dtype=gc.complex64)]))
    assert optim.SparseAdam([gp]).defaults == torch.optim.SparseAdam([tp]).defaults


# ---- LBFGS ---------------------------------------------------------------------------------
def _logistic(lib, params, prob):
    """A strongly convex logistic regression: L-BFGS converges, steadily, in both."""
    W, b = params
    z = lib.tensor(prob["X"]) @ W.T + b
    y = lib.tensor((prob["Y"] > 0).astype(prob["Y"].dtype))
    return (lib.log(1 + lib.exp(z)) - y * z).mean() + 0.05 * (W * W).sum()


LBFGS_CASES = [dict(), dict(lr=0.5, max_iter=5, history_size=3),
               dict(line_search_fn="strong_wolfe"),
               dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7, max_eval=12),
               dict(lr=0.1, tolerance_grad=1e-3, tolerance_change=1e-4)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_matches_torch(torch, kwargs, dtype):
    steps = 3
    if dtype == np.float32:  # stop short of convergence, where float32 noise decides
        steps, kwargs = 1, dict(kwargs, max_iter=min(kwargs.get("max_iter", 20), 8))
    prob = _problem(dtype, seed=5)
    tparams, gparams = _params(torch, prob, gc.device("cpu"))
    topt, gopt = torch.optim.LBFGS(tparams, **kwargs), optim.LBFGS(gparams, **kwargs)

    def tclosure():
        topt.zero_grad()
        loss = _logistic(torch, tparams, prob)
        loss.backward()
        return loss

    def gclosure():
        gopt.zero_grad()
        loss = _logistic(gc, gparams, prob)
        loss.backward()
        return loss

    # gradcore's own gradients and dot products: equal to PyTorch's to rounding only
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    for _ in range(steps):
        tl, gl = topt.step(tclosure), gopt.step(gclosure)
        np.testing.assert_allclose(gl.item(), tl.item(), **tol)
        for tp, gp in zip(tparams, gparams):
            np.testing.assert_allclose(_np(gp), tp.detach().numpy(), **tol)
    tst, gst = topt.state[tparams[0]], gopt.state[gparams[0]]
    assert sorted(gst) == sorted(tst)
    assert gst["func_evals"] == tst["func_evals"] and gst["n_iter"] == tst["n_iter"]
    assert len(gst["old_dirs"]) == len(tst["old_dirs"])
    # d and the steps are differences of the parameters (near convergence ~1e-5 where the
    # parameters are ~1e-1): their absolute error is the parameters' own, so they are held to
    # the parameters' absolute tolerance.  (This problem is sensitive at that level: torch's
    # own final d moves by 8e-13 when X changes by 2e-16 relatively; gradcore's add, bit for
    # bit PyTorch's fma since 2026-12-03, moved it by 1.7e-12 in the strong-Wolfe case.)
    scale = max(float(np.abs(tp.detach().numpy()).max()) for tp in tparams)
    dtol = dict(rtol=tol["rtol"], atol=max(tol["atol"], tol["rtol"] * scale))
    np.testing.assert_allclose(_np(gst["d"]), tst["d"].numpy(), **dtol)
    for a, b in zip(gst["old_stps"], tst["old_stps"]):
        np.testing.assert_allclose(_np(a), b.numpy(), **dtol)
    assert float(gst["t"]) == pytest.approx(float(tst["t"]), rel=tol["rtol"])
    assert isinstance(gst["t"], gc.Tensor) == isinstance(tst["t"], torch.Tensor)


def test_lbfgs_on_a_model_resumes_from_torch_state(torch):
    prob = _problem(np.float64, seed=2)
    tparams, gparams = _params(torch, prob, gc.device("cpu"))
    topt = torch.optim.LBFGS(tparams, max_iter=4, history_size=5,
                             line_search_fn="strong_wolfe")
    gopt = optim.LBFGS(gparams, max_iter=4, history_size=5, line_search_fn="strong_wolfe")

    def closures(ps, opt, loss_fn):
        def closure():
            opt.zero_grad()
            loss = loss_fn(ps)
            loss.backward()
            return loss
        return closure

    tclosure = closures(tparams, topt, lambda ps: _torch_loss(torch, ps, prob))
    for _ in range(2):
        topt.step(tclosure)
        gopt.step(closures(gparams, gopt, lambda ps: _gc_loss(ps, prob, "cpu")))
        for tp, gp in zip(tparams, gparams):
            np.testing.assert_allclose(_np(gp), tp.detach().numpy(), rtol=1e-9, atol=1e-11)
    # a fresh LBFGS on copies, loaded with PyTorch's state_dict, continues as PyTorch does
    copies = [gc.tensor(tp.detach().numpy(), requires_grad=True) for tp in tparams]
    fresh = optim.LBFGS(copies)
    fresh.load_state_dict(_to_gc(topt.state_dict()))
    assert fresh.param_groups[0]["line_search_fn"] == "strong_wolfe"
    topt.step(tclosure)
    fresh.step(closures(copies, fresh, lambda ps: _gc_loss(ps, prob, "cpu")))
    for tp, gp in zip(tparams, copies):
        np.testing.assert_allclose(_np(gp), tp.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_lbfgs_errors(torch):
    a, b = gc.ones(2, requires_grad=True), gc.ones(2, requires_grad=True)
    ta, tb = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    _same_error(lambda: torch.optim.LBFGS([{"params": [ta]}, {"params": [tb]}]),
                lambda: optim.LBFGS([{"params": [a]}, {"params": [b]}]))

    def run(lib, opt, p):
        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        return opt.step(closure)

    _same_error(lambda: run(torch, torch.optim.LBFGS([ta], line_search_fn="wolfe"), ta),
                lambda: run(gc, optim.LBFGS([a], line_search_fn="wolfe"), a))
    # already optimal: one evaluation, no step
    z = gc.zeros(2, requires_grad=True)
    opt = optim.LBFGS([z])
    assert run(gc, opt, z).item() == 0 and opt.state[z]["func_evals"] == 1


# ---- swa_utils -----------------------------------------------------------------------------
def _models(torch, seed=0):
    rng = np.random.default_rng(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                             torch.nn.Linear(4, 2)).double()
    gm = gc.nn.Sequential(gc.nn.Linear(3, 4), gc.nn.BatchNorm1d(4),
                          gc.nn.Linear(4, 2)).double()
    state = {k: rng.standard_normal(tuple(v.shape)) if v.dtype.is_floating_point else v.numpy()
             for k, v in tm.state_dict().items()}
    tm.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    gm.load_state_dict({k: gc.tensor(v) for k, v in state.items()})
    return tm, gm, rng


def _perturb(torch, tm, gm, rng):
    for (tk, tp), (gk, gp) in zip(tm.named_parameters(), gm.named_parameters()):
        delta = rng.standard_normal(tuple(tp.shape))
        with torch.no_grad():
            tp.add_(torch.tensor(delta))
        with gc.no_grad():
            gp.add_(gc.tensor(delta))
    x = rng.standard_normal((5, 3))
    tm(torch.tensor(x))  # training mode: moves the batch-norm buffers
    gm(gc.tensor(x))


@pytest.mark.parametrize("how", ["swa", "ema_avg_fn", "ema_multi", "swa_multi", "buffers",
                                 "custom"])
def test_averaged_model_matches_torch(torch, how):
    tm, gm, rng = _models(torch)
    kw_t, kw_g = {}, {}
    if how == "ema_avg_fn":
        kw_t["avg_fn"] = torch.optim.swa_utils.get_ema_avg_fn(0.9)
        kw_g["avg_fn"] = swa_utils.get_ema_avg_fn(0.9)
    elif how == "ema_multi":
        kw_t["multi_avg_fn"] = torch.optim.swa_utils.get_ema_multi_avg_fn(0.8)
        kw_g["multi_avg_fn"] = swa_utils.get_ema_multi_avg_fn(0.8)
    elif how == "swa_multi":
        kw_t["multi_avg_fn"] = torch.optim.swa_utils.get_swa_multi_avg_fn()
        kw_g["multi_avg_fn"] = swa_utils.get_swa_multi_avg_fn()
    elif how == "buffers":
        kw_t["use_buffers"] = kw_g["use_buffers"] = True
    elif how == "custom":
        kw_t["avg_fn"] = lambda a, c, n: a * 0.5 + c * 0.5
        kw_g["avg_fn"] = lambda a, c, n: a * 0.5 + c * 0.5
    tavg = torch.optim.swa_utils.AveragedModel(tm, **kw_t)
    gavg = swa_utils.AveragedModel(gm, **kw_g)
    assert list(gavg.state_dict()) == list(tavg.state_dict())
    for _ in range(4):
        _perturb(torch, tm, gm, rng)
        tavg.update_parameters(tm)
        gavg.update_parameters(gm)
        assert gavg.n_averaged.item() == tavg.n_averaged.item()
        assert gavg.n_averaged.dtype == gc.int64
        for (k, tv), (gk, gv) in zip(tavg.state_dict().items(), gavg.state_dict().items()):
            assert k == gk
            np.testing.assert_allclose(_np(gv), tv.numpy(), rtol=1e-12, atol=1e-14, err_msg=k)
    x = rng.standard_normal((5, 3))
    tavg.eval()
    gavg.eval()
    np.testing.assert_allclose(_np(gavg(gc.tensor(x))), tavg(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-14)


def test_averaged_model_errors(torch):
    m = gc.nn.Linear(2, 2)
    _same_error(lambda: torch.optim.swa_utils.AveragedModel(
        torch.nn.Linear(2, 2), avg_fn=lambda *a: a[0], multi_avg_fn=lambda *a: None),
        lambda: swa_utils.AveragedModel(m, avg_fn=lambda *a: a[0],
                                        multi_avg_fn=lambda *a: None))
    for fn in ("get_ema_avg_fn", "get_ema_multi_avg_fn"):
        _same_error(lambda: getattr(torch.optim.swa_utils, fn)(1.5),
                    lambda: getattr(swa_utils, fn)(1.5))


def test_update_bn_matches_torch(torch):
    tm, gm, rng = _models(torch, seed=4)
    batches = [rng.standard_normal((6, 3)) for _ in range(3)]
    tm.eval()
    gm.eval()
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], tm)
    swa_utils.update_bn([(gc.tensor(b), 0) for b in batches], gm)
    assert not gm.training and gm[1].momentum == tm[1].momentum == 0.1
    for (k, tv), (gk, gv) in zip(tm.state_dict().items(), gm.state_dict().items()):
        np.testing.assert_allclose(_np(gv), tv.numpy(), rtol=1e-12, atol=1e-14, err_msg=k)
    swa_utils.update_bn([], gc.nn.Linear(2, 2))  # no batch norm: nothing to do


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05), dict(swa_lr=[0.05, 0.5],
                                                            anneal_epochs=3,
                                                            anneal_strategy="linear"),
                                    dict(swa_lr=0.01, anneal_epochs=0)])
def test_swalr_matches_torch(torch, kwargs):
    topt = torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)], "lr": 0.1},
                            {"params": [torch.ones(1, requires_grad=True)], "lr": 0.02}])
    gopt = optim.SGD([{"params": [gc.ones(1, requires_grad=True)], "lr": 0.1},
                      {"params": [gc.ones(1, requires_grad=True)], "lr": 0.02}])
    tsched = torch.optim.swa_utils.SWALR(topt, **kwargs)
    gsched = swa_utils.SWALR(gopt, **kwargs)
    assert gsched.get_last_lr() == tsched.get_last_lr()
    for _ in range(15):
        topt.step()
        gopt.step()
        tsched.step()
        gsched.step()
        assert gsched.get_last_lr() == tsched.get_last_lr()
    assert sorted(gsched.state_dict()) == sorted(tsched.state_dict())
    fresh = swa_utils.SWALR(gopt, swa_lr=1.0, anneal_strategy="linear")
    fresh.load_state_dict(copy.deepcopy(gsched.state_dict()))
    assert fresh.anneal_func is fresh._cosine_anneal or kwargs.get("anneal_strategy")
    for bad in (dict(swa_lr=0.1, anneal_strategy="exp"), dict(swa_lr=0.1, anneal_epochs=-1),
                dict(swa_lr=[0.1])):
        _same_error(lambda: torch.optim.swa_utils.SWALR(topt, **bad),
                    lambda: swa_utils.SWALR(gopt, **bad))
