"""The further LR schedulers against PyTorch: the lr (and momentum / beta1) sequences, exactly,
over many steps; state_dicts that resume; the errors."""
import copy
import warnings

import pytest

import gradcore as gc
import gradcore.optim as optim
from gradcore.optim import lr_scheduler


def _opts(torch, name="SGD", lr=(0.1, 0.02), **kwargs):
    topt = getattr(torch.optim, name)(
        [{"params": [torch.ones(1, requires_grad=True)], "lr": lr[0]},
         {"params": [torch.ones(1, requires_grad=True)], "lr": lr[1]}], **kwargs)
    gopt = getattr(optim, name)(
        [{"params": [gc.ones(1, requires_grad=True)], "lr": lr[0]},
         {"params": [gc.ones(1, requires_grad=True)], "lr": lr[1]}], **kwargs)
    return topt, gopt


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _same(tsched, gsched, topt, gopt):
    assert gsched.get_last_lr() == tsched.get_last_lr()  # exactly
    assert [g["lr"] for g in gopt.param_groups] == [g["lr"] for g in topt.param_groups]
    assert _momenta(gopt) == _momenta(topt)
    assert getattr(gsched, "last_epoch", None) == getattr(tsched, "last_epoch", None)


def _run(torch, tsched, gsched, topt, gopt, steps):
    _same(tsched, gsched, topt, gopt)
    for _ in range(steps):
        topt.step()
        gopt.step()
        tsched.step()
        gsched.step()
        _same(tsched, gsched, topt, gopt)


SCHEDULES = [
    ("LinearLR", dict(), {}),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.5, total_iters=7), {}),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=9), {}),
    ("ConstantLR", dict(), {}),
    ("ConstantLR", dict(factor=0.3, total_iters=11), {}),
    ("PolynomialLR", dict(), {}),
    ("PolynomialLR", dict(total_iters=13, power=2.5), {}),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9), {}),
    ("MultiplicativeLR", dict(lr_lambda=[lambda e: 0.95, lambda e: 1 + 1 / (e + 1)]), {}),
    ("CosineAnnealingWarmRestarts", dict(T_0=5), {}),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001), {}),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4), dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=3,
                      step_size_down=5, mode="triangular2"), dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range",
                      gamma=0.95, base_momentum=0.7, max_momentum=0.95), dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3,
                      scale_fn=lambda x: 0.5 * (1 + x % 3), scale_mode="iterations"),
     dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False), {}),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=40), dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=4, steps_per_epoch=10, pct_start=0.25,
                        anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0),
     dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=40, three_phase=True,
                        base_momentum=[0.8, 0.7], max_momentum=0.9), dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=40, cycle_momentum=False), {}),
]


@pytest.mark.parametrize("name,kwargs,opt_kwargs", SCHEDULES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULES)])
def test_schedule_matches_torch(torch, name, kwargs, opt_kwargs):
    topt, gopt = _opts(torch, **opt_kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    gsched = getattr(lr_scheduler, name)(gopt, **kwargs)
    assert gsched.base_lrs == tsched.base_lrs
    _run(torch, tsched, gsched, topt, gopt, 40)
    assert sorted(gsched.state_dict()) == sorted(tsched.state_dict())
    assert sorted(k for g in gopt.param_groups for k in g) == \
        sorted(k for g in topt.param_groups for k in g)


@pytest.mark.parametrize("name,kwargs", [
    ("CyclicLR", dict(base_lr=0.001, max_lr=0.01, step_size_up=3)),
    ("OneCycleLR", dict(max_lr=0.01, total_steps=30)),
    ("OneCycleLR", dict(max_lr=0.01, total_steps=30, three_phase=True,
                        anneal_strategy="linear"))])
def test_cycle_momentum_moves_adams_beta1(torch, name, kwargs):
    topt, gopt = _opts(torch, "Adam")
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    gsched = getattr(lr_scheduler, name)(gopt, **kwargs)
    _run(torch, tsched, gsched, topt, gopt, 29)
    assert [g["betas"] for g in gopt.param_groups] == [g["betas"] for g in topt.param_groups]


def test_one_cycle_past_its_end(torch):
    topt, gopt = _opts(torch)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.1, total_steps=3)
    gsched = lr_scheduler.OneCycleLR(gopt, max_lr=0.1, total_steps=3)
    _run(torch, tsched, gsched, topt, gopt, 3)
    with pytest.raises(ValueError) as expected:
        tsched.step()
    with pytest.raises(ValueError) as got:
        gsched.step()
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_float_epochs(torch, T_mult):
    topt, gopt = _opts(torch)
    tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=4, T_mult=T_mult,
                                                                  eta_min=0.005)
    gsched = lr_scheduler.CosineAnnealingWarmRestarts(gopt, T_0=4, T_mult=T_mult,
                                                      eta_min=0.005)
    epochs = [i / 5 for i in range(0, 120)] + [50.5, 3.25, 0, 12, 27.75]
    for epoch in epochs:
        topt.step()
        gopt.step()
        tsched.step(epoch)
        gsched.step(epoch)
        _same(tsched, gsched, topt, gopt)
        assert (gsched.T_cur, gsched.T_i) == (tsched.T_cur, tsched.T_i)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        gsched.step(-1)


def _sequential(lib, opt):
    ls = lib.optim.lr_scheduler if hasattr(lib, "optim") else lib
    a = ls.LinearLR(opt, start_factor=0.1, total_iters=4)
    b = ls.ExponentialLR(opt, gamma=0.9)
    c = ls.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
    return ls.SequentialLR(opt, [a, b, c], milestones=[4, 9])


def _chained(lib, opt):
    ls = lib.optim.lr_scheduler if hasattr(lib, "optim") else lib
    return ls.ChainedScheduler([ls.ConstantLR(opt, factor=0.5, total_iters=3),
                                ls.ExponentialLR(opt, gamma=0.9),
                                ls.StepLR(opt, step_size=4, gamma=0.5)])


def _nested(lib, opt):
    ls = lib.optim.lr_scheduler if hasattr(lib, "optim") else lib
    warm = ls.ChainedScheduler([ls.LinearLR(opt, start_factor=0.2, total_iters=3),
                                ls.ConstantLR(opt, factor=0.5, total_iters=2)])
    return ls.SequentialLR(opt, [warm, ls.PolynomialLR(opt, total_iters=10, power=2.0)],
                           milestones=[5])


@pytest.mark.parametrize("make", [_sequential, _chained, _nested])
def test_composed_schedules_match_torch(torch, make):
    topt, gopt = _opts(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tsched, gsched = make(torch, topt), make(lr_scheduler, gopt)
    _run(torch, tsched, gsched, topt, gopt, 25)
    tsd, gsd = tsched.state_dict(), gsched.state_dict()
    assert sorted(gsd) == sorted(tsd)
    assert [sorted(s) for s in gsd["_schedulers"]] == [sorted(s) for s in tsd["_schedulers"]]


SD_CASES = [
    lambda ls, o: ls.LinearLR(o, start_factor=0.2, total_iters=12),
    lambda ls, o: ls.ConstantLR(o, factor=0.5, total_iters=12),
    lambda ls, o: ls.PolynomialLR(o, total_iters=15, power=0.5),
    lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2),
    lambda ls, o: ls.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4,
                              mode="triangular2"),
    lambda ls, o: ls.OneCycleLR(o, max_lr=0.3, total_steps=30, three_phase=True),
    _sequential, _chained,
]


@pytest.mark.parametrize("make", SD_CASES)
def test_state_dict_resumes(torch, make):
    def run(opt, sched, n):
        out = []
        for _ in range(n):
            opt.step()
            sched.step()
            out.append((sched.get_last_lr(), _momenta(opt)))
        return out

    def fresh():
        opt = optim.SGD([{"params": [gc.ones(1, requires_grad=True)], "lr": 0.1},
                         {"params": [gc.ones(1, requires_grad=True)], "lr": 0.02}],
                        momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return opt, make(lr_scheduler, opt)

    gopt, gsched = fresh()
    run(gopt, gsched, 9)
    osd, ssd = copy.deepcopy(gopt.state_dict()), copy.deepcopy(gsched.state_dict())
    expected = run(gopt, gsched, 12)
    opt2, sched2 = fresh()
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    assert run(opt2, sched2, 12) == expected


def test_cyclic_callable_scale_fn_state(torch):
    class Scale:
        def __init__(self):
            self.k = 0.5

        def __call__(self, x):
            return self.k ** x

    topt, gopt = _opts(torch, momentum=0.9)
    tsched = torch.optim.lr_scheduler.CyclicLR(topt, 0.01, 0.1, scale_fn=Scale())
    gsched = lr_scheduler.CyclicLR(gopt, 0.01, 0.1, scale_fn=Scale())
    tsd, gsd = tsched.state_dict(), gsched.state_dict()
    assert gsd["_scale_fn_custom"] == tsd["_scale_fn_custom"] == {"k": 0.5}
    assert sorted(gsd) == sorted(tsd)
    gsd["_scale_fn_custom"] = {"k": 0.25}
    gsched.load_state_dict(gsd)
    assert gsched._scale_fn_custom.k == 0.25


def _same_error(make_torch, make_gc):
    with pytest.raises(Exception) as expected:
        make_torch()
    with pytest.raises(type(expected.value)) as got:
        make_gc()
    assert str(got.value) == str(expected.value)


ERRORS = [
    ("LinearLR", dict(start_factor=0)), ("LinearLR", dict(start_factor=1.5)),
    ("LinearLR", dict(end_factor=-0.1)), ("ConstantLR", dict(factor=1.5)),
    ("MultiplicativeLR", dict(lr_lambda=[lambda e: 1])),
    ("MultiplicativeLR", dict(lr_lambda=3)),
    ("CosineAnnealingWarmRestarts", dict(T_0=0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=2.5)),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min="x")),
    ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, mode="sine")),
    ("CyclicLR", dict(base_lr=[0.1], max_lr=1.0)),
    ("OneCycleLR", dict(max_lr=0.1)), ("OneCycleLR", dict(max_lr=0.1, total_steps=0)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2.5, steps_per_epoch=3)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=0)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="exp")),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2, 0.3], total_steps=10)),
]


@pytest.mark.parametrize("name,kwargs", ERRORS, ids=[f"{n}-{i}" for i, (n, _) in
                                                     enumerate(ERRORS)])
def test_errors(torch, name, kwargs):
    topt, gopt = _opts(torch, momentum=0.9)
    _same_error(lambda: getattr(torch.optim.lr_scheduler, name)(topt, **kwargs),
                lambda: getattr(lr_scheduler, name)(gopt, **kwargs))


def test_cycle_momentum_needs_a_momentum_and_composition_errors(torch):
    for name, kwargs in (("CyclicLR", dict(base_lr=0.01, max_lr=0.1)),
                         ("OneCycleLR", dict(max_lr=0.1, total_steps=5))):
        topt, gopt = _opts(torch, "Adagrad")
        _same_error(lambda: getattr(torch.optim.lr_scheduler, name)(topt, **kwargs),
                    lambda: getattr(lr_scheduler, name)(gopt, **kwargs))
    topt, gopt = _opts(torch)
    tother, gother = _opts(torch)
    ts = [torch.optim.lr_scheduler.ExponentialLR(topt, 0.9),
          torch.optim.lr_scheduler.ReduceLROnPlateau(topt),
          torch.optim.lr_scheduler.ExponentialLR(tother, 0.9)]
    gs = [lr_scheduler.ExponentialLR(gopt, 0.9), lr_scheduler.ReduceLROnPlateau(gopt),
          lr_scheduler.ExponentialLR(gother, 0.9)]
    for cls in ("SequentialLR", "ChainedScheduler"):
        for idx in (1, 2):
            if cls == "SequentialLR":
                _same_error(lambda: torch.optim.lr_scheduler.SequentialLR(
                    topt, [ts[0], ts[idx]], [2]),
                    lambda: lr_scheduler.SequentialLR(gopt, [gs[0], gs[idx]], [2]))
            else:
                # the optimizers' reprs differ by library name in the message: compare types
                with pytest.raises(ValueError):
                    torch.optim.lr_scheduler.ChainedScheduler([ts[0], ts[idx]])
                with pytest.raises(ValueError):
                    lr_scheduler.ChainedScheduler([gs[0], gs[idx]])
    _same_error(lambda: torch.optim.lr_scheduler.SequentialLR(topt, [ts[0]], [2]),
                lambda: lr_scheduler.SequentialLR(gopt, [gs[0]], [2]))
    _same_error(lambda: torch.optim.lr_scheduler.SequentialLR(topt, [], []),
                lambda: lr_scheduler.SequentialLR(gopt, [], []))
    _same_error(lambda: torch.optim.lr_scheduler.ChainedScheduler([]),
                lambda: lr_scheduler.ChainedScheduler([]))


@pytest.mark.parametrize("kwargs", [
    dict(mode="min", threshold_mode="rel", patience=1, cooldown=1),
    dict(mode="max", threshold_mode="abs", threshold=0.05, patience=0, min_lr=[0.01, 0.015]),
    dict(mode="max", threshold_mode="rel", threshold=0.01, patience=1, factor=0.5,
         eps=1e-3),
    dict(mode="min", threshold_mode="abs", threshold=0.02, patience=2, cooldown=3,
         min_lr=0.004)])
def test_reduce_lr_on_plateau_long_run(torch, kwargs):
    import math
    losses = [1 + 0.3 * math.sin(i / 3) - 0.01 * i for i in range(60)]
    topt, gopt = _opts(torch)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    gsched = lr_scheduler.ReduceLROnPlateau(gopt, **kwargs)
    seen = set()
    for loss in losses:
        tsched.step(loss)
        gsched.step(loss)
        assert gsched.get_last_lr() == tsched.get_last_lr()
        assert (gsched.best, gsched.num_bad_epochs, gsched.cooldown_counter) == \
            (tsched.best, tsched.num_bad_epochs, tsched.cooldown_counter)
        seen.add(tuple(gsched.get_last_lr()))
    assert len(seen) > 1
    assert gsched.state_dict() == tsched.state_dict()
