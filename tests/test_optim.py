"""Optimizers and LR schedulers against PyTorch: the same parameters and gradients in both,
parameters compared after every step; state, state_dict, param groups, errors, schedules."""
import copy
import math
import warnings

import numpy as np
import pytest

import gradcore as gc
import gradcore.optim as optim
from gradcore.optim import lr_scheduler

# float64 to a few ulps (PyTorch's vectorized CPU kernels fuse multiply-adds); float32 close
TOL = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-5, atol=1e-6)}


# ---- a small regression problem, run in both libraries --------------------------------------
def _problem(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((4, 6)).astype(dtype),
            "b": rng.standard_normal(4).astype(dtype),
            "X": rng.standard_normal((7, 6)).astype(dtype),
            "Y": rng.standard_normal((7, 4)).astype(dtype)}


def _torch_params(torch, prob):
    return [torch.tensor(prob[k], requires_grad=True) for k in ("W", "b")]


def _gc_params(prob, device):
    return [gc.tensor(prob[k], device=device, requires_grad=True) for k in ("W", "b")]


def _torch_loss(torch, params, prob):
    W, b = params
    out = torch.tanh(torch.tensor(prob["X"]) @ W.T + b)
    return (out - torch.tensor(prob["Y"])).pow(2).mean()


def _gc_loss(params, prob, device):
    W, b = params
    out = gc.tanh(gc.tensor(prob["X"], device=device) @ W.T + b)
    return (out - gc.tensor(prob["Y"], device=device)).pow(2).mean()


def _np(t):
    return t.detach().cpu().numpy()


def _copy_grads(tparams, gparams, device):
    """Give the gradcore parameters PyTorch's gradients (None stays None)."""
    for tp, gp in zip(tparams, gparams):
        gp.grad = None if tp.grad is None else gc.tensor(tp.grad.numpy(), device=device)


def _torch_step(torch, topt, tparams, prob):
    topt.zero_grad()
    _torch_loss(torch, tparams, prob).backward()


def _assert_params(tparams, gparams, dtype):
    for tp, gp in zip(tparams, gparams):
        np.testing.assert_allclose(_np(gp), tp.detach().numpy(), **TOL[dtype])


def _to_gc(obj, device=None):
    """A PyTorch state_dict with its tensors as gradcore tensors."""
    import torch
    if isinstance(obj, torch.Tensor):
        return gc.tensor(obj.numpy(), device=device)
    if isinstance(obj, dict):
        return {k: _to_gc(v, device) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_gc(v, device) for v in obj]
    return obj


def _parity(torch, device, name, kwargs, dtype, steps=6, groups=None):
    """Run ``name`` in both libraries for ``steps`` steps with PyTorch's gradients; compare
    the parameters after each step, then the state.  ``groups(params)`` makes param groups."""
    prob = _problem(dtype)
    tparams, gparams = _torch_params(torch, prob), _gc_params(prob, device)
    make = groups or (lambda ps: ps)
    topt = getattr(torch.optim, name)(make(tparams), **kwargs)
    gopt = getattr(optim, name)(make(gparams), **kwargs)
    for _ in range(steps):
        _torch_step(torch, topt, tparams, prob)
        _copy_grads(tparams, gparams, device)
        topt.step()
        gopt.step()
        _assert_params(tparams, gparams, dtype)
    for tp, gp in zip(tparams, gparams):
        tstate, gstate = topt.state[tp], gopt.state[gp]
        assert sorted(gstate) == sorted(tstate)
        for key, tval in tstate.items():
            gval = gstate[key]
            if key == "step":
                assert gval.item() == tval.item() and gval.device == gc.device("cpu")
                continue
            assert gval.device == gp.device and gval.dtype == gp.dtype
            np.testing.assert_allclose(_np(gval), tval.numpy(), **TOL[dtype])
    return topt, gopt, tparams, gparams, prob


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.5, weight_decay=0.2, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, maximize=True, eps=1e-3)),
    ("Adam", dict(lr=0.02, betas=(0.3, 0.4), amsgrad=True, weight_decay=0.05,
                  maximize=True)),  # 1 - beta1 >= 0.5: lerp's other branch
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.2, 0.9), maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1,
                     maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.2)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, maximize=True, lr_decay=0.01)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_torch(torch, device, name, kwargs, dtype):
    _parity(torch, device, name, kwargs, dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_with_their_own_options(torch, device, name):
    extra = {"SGD": {"momentum": 0.9}, "Adam": {"amsgrad": True}, "AdamW": {"weight_decay": 0.5},
             "RMSprop": {"centered": True}, "Adagrad": {"lr_decay": 0.1}}[name]
    topt, gopt, *_ = _parity(
        torch, device, name, {"lr": 0.01}, np.float64,
        groups=lambda ps: [{"params": [ps[0]]}, dict({"params": ps[1], "lr": 0.1}, **extra)])
    assert [g["lr"] for g in gopt.param_groups] == [0.01, 0.1]
    assert gopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_step_leaves_grad_alone_and_bumps_versions(device):
    p = gc.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    p.grad = gc.tensor([0.5, 0.5, -1.0], device=device)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)
    v = p._version
    opt.step()
    assert p._version == v + 1
    np.testing.assert_array_equal(_np(p.grad), [0.5, 0.5, -1.0])
    np.testing.assert_allclose(_np(p), [1.0 + 0.1 * (0.5 - 0.1), -2.0 + 0.1 * (0.5 + 0.2),
                                        3.0 + 0.1 * (-1.0 - 0.3)], rtol=1e-6)
    assert not p.grad.requires_grad and p.requires_grad and p.is_leaf and p.grad_fn is None


# ---- zero_grad, params without gradients, closure ------------------------------------------
def test_zero_grad(device):
    a = gc.ones(3, device=device, requires_grad=True)
    b = gc.ones(2, device=device, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1)
    (a * 2).sum().backward()
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and b.grad is None
    np.testing.assert_array_equal(_np(a.grad), [0, 0, 0])
    opt.zero_grad()
    assert a.grad is None
    (a * a).sum().backward(create_graph=True)  # a grad with history is detached, then zeroed
    assert a.grad.grad_fn is not None
    opt.zero_grad(set_to_none=False)
    assert a.grad.grad_fn is None and not a.grad.requires_grad
    np.testing.assert_array_equal(_np(a.grad), [0, 0, 0])


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_params_without_grad_are_skipped_and_zero_grads_step(device, name):
    a = gc.ones(3, device=device, requires_grad=True)
    b = gc.ones(2, device=device, requires_grad=True)
    extra = {"momentum": 0.9} if name == "SGD" else {}  # plain SGD keeps no state
    opt = getattr(optim, name)([a, b], lr=0.1, weight_decay=0.5, **extra)
    a.grad = gc.zeros(3, device=device)
    opt.step()
    assert b not in opt.state and a in opt.state
    np.testing.assert_array_equal(_np(b), [1, 1])
    assert (_np(a) < 1).all()  # weight decay acts on a zero gradient


def test_closure(torch, device):
    prob = _problem(np.float64, seed=3)
    tparams, gparams = _torch_params(torch, prob), _gc_params(prob, device)
    topt = torch.optim.SGD(tparams, lr=0.2, momentum=0.9)
    gopt = optim.SGD(gparams, lr=0.2, momentum=0.9)
    calls = []

    def gclosure():
        calls.append(gc.is_grad_enabled())
        gopt.zero_grad()
        loss = _gc_loss(gparams, prob, device)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = _torch_loss(torch, tparams, prob)
        loss.backward()
        return loss

    for _ in range(6):
        with gc.no_grad():
            gl = gopt.step(gclosure)
        tl = topt.step(tclosure)
        assert abs(gl.item() - tl.item()) < 1e-12
        for tp, gp in zip(tparams, gparams):  # gradcore's own gradients: not bit-identical
            np.testing.assert_allclose(_np(gp), tp.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert calls == [True] * 6
    assert gopt.step() is None


# ---- state ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name,kwargs,keys", [
    ("Adam", {}, ["exp_avg", "exp_avg_sq", "step"]),
    ("RMSprop", {"momentum": 0.9, "centered": True},
     ["grad_avg", "momentum_buffer", "square_avg", "step"]),
    ("SGD", {"momentum": 0.9}, ["momentum_buffer"])])
def test_state_is_made_lazily_on_the_params_device(device, name, kwargs, keys):
    p = gc.tensor([[1.0, 2.0]], dtype=gc.float64, device=device, requires_grad=True)
    opt = getattr(optim, name)([p], lr=0.1, **kwargs)
    assert len(opt.state) == 0
    opt.zero_grad()
    p.grad = gc.ones_like(p)
    opt.step()
    assert sorted(opt.state[p]) == keys
    for key, value in opt.state[p].items():
        if key == "step":  # a CPU float32 tensor, as PyTorch keeps it
            assert value.device == gc.device("cpu") and value.dtype == gc.float32
            assert value.item() == 1.0
        else:
            assert value.device == p.device and value.dtype == gc.float64
            assert value.shape == p.shape


def test_adagrad_state_is_made_in_the_constructor(torch):
    topt = torch.optim.Adagrad([torch.ones(2, requires_grad=True)], initial_accumulator_value=.3)
    gopt = optim.Adagrad([gc.ones(2, requires_grad=True)], initial_accumulator_value=0.3)
    tsd, gsd = topt.state_dict(), gopt.state_dict()
    assert gsd["state"][0]["step"].item() == tsd["state"][0]["step"].item() == 0
    np.testing.assert_allclose(_np(gsd["state"][0]["sum"]), tsd["state"][0]["sum"].numpy())


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
])
def test_state_dict_round_trip(torch, device, name, kwargs):
    topt, gopt, tparams, gparams, prob = _parity(torch, device, name, kwargs, np.float64, 3)
    tsd, gsd = topt.state_dict(), gopt.state_dict()
    assert gsd["param_groups"] == tsd["param_groups"]
    assert list(gsd["state"]) == list(tsd["state"]) == [0, 1]
    assert all(sorted(gsd["state"][i]) == sorted(tsd["state"][i]) for i in (0, 1))
    # a fresh optimizer on copies of the params, loaded mid-training, continues identically
    saved = copy.deepcopy(gsd)
    clones = [gc.tensor(_np(p), device=device, requires_grad=True) for p in gparams]
    fresh = getattr(optim, name)(clones, lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    assert fresh.param_groups[0]["params"][0] is clones[0]
    # ... and so does one loaded from PyTorch's own state_dict
    from_torch_params = [gc.tensor(_np(p), device=device, requires_grad=True) for p in gparams]
    from_torch = getattr(optim, name)(from_torch_params)
    from_torch.load_state_dict(_to_gc(tsd))
    for _ in range(3):
        _torch_step(torch, topt, tparams, prob)
        topt.step()
        for ps, opt in ((gparams, gopt), (clones, fresh), (from_torch_params, from_torch)):
            _copy_grads(tparams, ps, device)
            opt.step()
        for a, b in zip(clones, gparams):
            np.testing.assert_array_equal(_np(a), _np(b))
        _assert_params(tparams, gparams, np.float64)
        _assert_params(tparams, from_torch_params, np.float64)


def test_load_state_dict_casts_and_moves_state(device):
    p = gc.tensor([1.0, 2.0], dtype=gc.float64, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = gc.ones_like(p)
    opt.step()
    sd = opt.state_dict()
    q = gc.tensor([1.0, 2.0], dtype=gc.float32, device=device, requires_grad=True)
    opt2 = optim.Adam([q])
    opt2.load_state_dict(sd)
    st = opt2.state[q]
    assert st["exp_avg"].dtype == gc.float32 and st["exp_avg"].device == q.device
    assert st["step"] is sd["state"][0]["step"]  # the step count is kept as saved
    assert opt2.param_groups[0]["lr"] == 0.1


def test_load_state_dict_errors(torch):
    a, b = gc.ones(2, requires_grad=True), gc.ones(2, requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    ta, tb = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    tsd = torch.optim.SGD([ta, tb], lr=0.1).state_dict()
    for groups, tgroups in (([a], [ta]), ([{"params": [a]}, {"params": [b]}],
                                          [{"params": [ta]}, {"params": [tb]}])):
        with pytest.raises(ValueError) as expected:
            torch.optim.SGD(tgroups, lr=0.1).load_state_dict(tsd)
        with pytest.raises(ValueError) as got:
            optim.SGD(groups, lr=0.1).load_state_dict(sd)
        assert str(got.value) == str(expected.value)


# ---- add_param_group, errors, repr --------------------------------------------------------
def test_add_param_group(torch, device):
    prob = _problem(np.float64)
    tparams, gparams = _torch_params(torch, prob), _gc_params(prob, device)
    topt = torch.optim.Adam([tparams[0]], lr=0.01)
    gopt = optim.Adam([gparams[0]], lr=0.01)
    for step in range(6):
        if step == 2:
            topt.add_param_group({"params": tparams[1], "lr": 0.1, "amsgrad": True})
            gopt.add_param_group({"params": gparams[1], "lr": 0.1, "amsgrad": True})
        _torch_step(torch, topt, tparams, prob)
        _copy_grads(tparams, gparams, device)
        topt.step()
        gopt.step()
        _assert_params(tparams, gparams, np.float64)
    assert gopt.param_groups[1]["betas"] == (0.9, 0.999)
    assert gopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        gopt.add_param_group({"params": [gparams[1]]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        gopt.add_param_group([gparams[1]])


def _same_error(torch, make_torch, make_gc):
    with pytest.raises(Exception) as expected:
        make_torch()
    with pytest.raises(type(expected.value)) as got:
        make_gc()
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1e-3)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=-1.0)), ("Adam", dict(eps=-1e-8)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.1)),
    ("AdamW", dict(betas=(0.9, 1.5))), ("AdamW", dict(lr=-0.001)),
    ("RMSprop", dict(lr=-0.01)), ("RMSprop", dict(eps=-1.0)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-0.5)),
    ("Adagrad", dict(lr=-0.01)), ("Adagrad", dict(lr_decay=-0.5)),
    ("Adagrad", dict(weight_decay=-2)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1e-10)),
])
def test_invalid_options(torch, name, kwargs):
    _same_error(torch, lambda: getattr(torch.optim, name)([torch.ones(1, requires_grad=True)],
                                                          **kwargs),
                lambda: getattr(optim, name)([gc.ones(1, requires_grad=True)], **kwargs))


def test_invalid_params(torch):
    t, g = torch.ones(2, requires_grad=True), gc.ones(2, requires_grad=True)
    _same_error(torch, lambda: torch.optim.SGD([], lr=0.1), lambda: optim.SGD([], lr=0.1))
    _same_error(torch, lambda: torch.optim.SGD([t, 3], lr=0.1),
                lambda: optim.SGD([g, 3], lr=0.1))
    _same_error(torch, lambda: torch.optim.SGD([t * 2], lr=0.1),
                lambda: optim.SGD([g * 2], lr=0.1))
    _same_error(torch, lambda: torch.optim.SGD([{"params": {t}}], lr=0.1),
                lambda: optim.SGD([{"params": {g}}], lr=0.1))
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got "
                                        "gradcore.FloatTensor"):
        optim.SGD(g, lr=0.1)


def test_repr_matches_torch(torch):
    for name, kwargs in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", {}), ("AdamW", {}),
                         ("RMSprop", {}), ("Adagrad", {})]:
        t = getattr(torch.optim, name)([{"params": [torch.ones(1, requires_grad=True)]},
                                        {"params": [torch.ones(1, requires_grad=True)],
                                         "lr": 0.5}], **kwargs)
        g = getattr(optim, name)([{"params": [gc.ones(1, requires_grad=True)]},
                                  {"params": [gc.ones(1, requires_grad=True)], "lr": 0.5}],
                                 **kwargs)
        assert repr(g) == repr(t)


# ---- LR schedulers -------------------------------------------------------------------------
def _two_group_opts(torch, lr=(0.1, 0.02)):
    topt = torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)], "lr": lr[0]},
                            {"params": [torch.ones(1, requires_grad=True)], "lr": lr[1]}])
    gopt = optim.SGD([{"params": [gc.ones(1, requires_grad=True)], "lr": lr[0]},
                      {"params": [gc.ones(1, requires_grad=True)], "lr": lr[1]}])
    return topt, gopt


SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),  # 30 steps: past T_max, back up
    ("CosineAnnealingLR", dict(T_max=7)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: e // 4])),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_matches_torch(torch, name, kwargs):
    topt, gopt = _two_group_opts(torch)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    gsched = getattr(lr_scheduler, name)(gopt, **kwargs)
    assert gsched.base_lrs == tsched.base_lrs == [0.1, 0.02]
    assert [g["initial_lr"] for g in gopt.param_groups] == [0.1, 0.02]
    assert gsched.get_last_lr() == tsched.get_last_lr()
    for _ in range(30):
        topt.step()
        gopt.step()
        tsched.step()
        gsched.step()
        assert gsched.get_last_lr() == tsched.get_last_lr()  # exactly
        assert [g["lr"] for g in gopt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert gsched.last_epoch == tsched.last_epoch
    assert sorted(gsched.state_dict()) == sorted(tsched.state_dict())


@pytest.mark.parametrize("name,kwargs", SCHEDULES[:5], ids=[s[0] for s in SCHEDULES[:5]])
def test_schedule_state_dict_resumes(torch, name, kwargs):
    def run(opt, sched, n):
        out = []
        for _ in range(n):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        return out

    gopt = _two_group_opts(torch)[1]
    gsched = getattr(lr_scheduler, name)(gopt, **kwargs)
    run(gopt, gsched, 9)
    osd, ssd = copy.deepcopy(gopt.state_dict()), copy.deepcopy(gsched.state_dict())
    expected = run(gopt, gsched, 12)
    opt2 = _two_group_opts(torch, lr=(5.0, 5.0))[1]
    sched2 = getattr(lr_scheduler, name)(opt2, **kwargs)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    assert run(opt2, sched2, 12) == expected


PLATEAU = [dict(), dict(patience=2), dict(patience=1, factor=0.5, cooldown=2),
           dict(mode="max", patience=1, threshold=0.1), dict(threshold_mode="abs", patience=0,
                                                             threshold=0.05),
           dict(mode="max", threshold_mode="abs", patience=2, cooldown=1),
           dict(patience=0, factor=0.5, min_lr=[0.03, 0.001]),
           dict(patience=0, factor=0.9, eps=0.005)]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(torch, kwargs):
    losses = [1.0, 0.9, 0.95, 0.95, 0.89, 0.9, 0.91, 0.92, 0.5, 0.5, 0.6, 0.49, 0.49, 0.7,
              0.8, 0.9, 0.3, 0.3, 0.3, 0.3, 0.31, 0.2, 0.25, 0.25, 0.25, 0.1, 0.2, 0.3, 0.3, 1]
    topt, gopt = _two_group_opts(torch)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    gsched = lr_scheduler.ReduceLROnPlateau(gopt, **kwargs)
    lrs = []
    for i, loss in enumerate(losses):
        tsched.step(loss)
        gsched.step(gc.tensor(loss, dtype=gc.float64) if i % 2 else loss)
        assert gsched.get_last_lr() == tsched.get_last_lr()
        assert [g["lr"] for g in gopt.param_groups] == [g["lr"] for g in topt.param_groups]
        lrs.append(gsched.get_last_lr()[0])
    assert len(set(lrs)) > 1 or kwargs == {}  # the sequence does exercise a reduction
    tsd, gsd = tsched.state_dict(), gsched.state_dict()
    assert sorted(gsd) == sorted(tsd)
    assert {k: gsd[k] for k in gsd} == {k: tsd[k] for k in tsd}
    fresh = lr_scheduler.ReduceLROnPlateau(gopt)
    fresh.load_state_dict(copy.deepcopy(gsd))
    assert fresh.best == gsched.best and fresh.mode == gsched.mode


def test_scheduler_errors_and_warnings(torch):
    gopt = _two_group_opts(torch)[1]
    topt = _two_group_opts(torch)[0]
    _same_error(torch, lambda: torch.optim.lr_scheduler.StepLR(object(), 3),
                lambda: lr_scheduler.StepLR(object(), 3))
    _same_error(torch, lambda: torch.optim.lr_scheduler.StepLR(topt, 3, last_epoch=4),
                lambda: lr_scheduler.StepLR(gopt, 3, last_epoch=4))
    _same_error(torch, lambda: torch.optim.lr_scheduler.LambdaLR(topt, [lambda e: 1]),
                lambda: lr_scheduler.LambdaLR(gopt, [lambda e: 1]))
    for kwargs in (dict(factor=1.0), dict(mode="avg"), dict(threshold_mode="x"),
                   dict(min_lr=[0.1])):
        _same_error(torch, lambda: torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs),
                    lambda: lr_scheduler.ReduceLROnPlateau(gopt, **kwargs))
    sched = lr_scheduler.ExponentialLR(gopt, 0.5)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    gopt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
    assert sched.get_last_lr() == [0.1 * 0.25, 0.02 * 0.25]


def test_scheduler_with_a_closed_form_epoch(torch):
    topt, gopt = _two_group_opts(torch)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=10)
    gsched = lr_scheduler.CosineAnnealingLR(gopt, T_max=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tsched.step(4)
        gsched.step(4)
    assert gsched.get_last_lr() == tsched.get_last_lr()
    assert math.isclose(gsched.get_last_lr()[0], 0.05 * (1 + math.cos(math.pi * 0.4)))
