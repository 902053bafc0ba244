"""torch.amp.GradScaler against PyTorch's (its CPU scaler): the same steps skipped, the same
scales, parameters and state dicts, and PyTorch's errors."""
import math
import pickle
import warnings

import numpy as np
import pytest

import gradcore
from gradcore.amp import GradScaler


def _pair_models(torch, dtype="float32"):
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    gm = gradcore.nn.Sequential(gradcore.nn.Linear(3, 4), gradcore.nn.Tanh(),
                                gradcore.nn.Linear(4, 2))
    gm.load_state_dict({k: gradcore.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    return gm.to(getattr(gradcore, dtype)), tm.to(getattr(torch, dtype))


def _run(lib, model, steps, inject, clip, **kw):
    rng = np.random.default_rng(0)
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", **kw)
    trace = []
    for i in range(steps):
        x = lib.tensor(rng.standard_normal((5, 3)).astype(np.float32))
        y = lib.tensor(rng.standard_normal((5, 2)).astype(np.float32))
        opt.zero_grad()
        loss = lib.nn.functional.mse_loss(model(x), y)
        scaler.scale(loss).backward()
        if i in inject:  # a non-finite gradient: the step must be skipped
            with lib.no_grad():
                model[0].weight.grad[0, 0] = inject[i]
        if clip:
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        ret = scaler.step(opt)
        scaler.update()
        trace.append((ret, scaler.get_scale(), scaler.state_dict(),
                      [p.detach().numpy().copy() for p in model.parameters()]))
    return trace


@pytest.mark.parametrize("clip", [False, True])
def test_training_with_skipped_steps_matches_torch(torch, clip):
    gm, tm = _pair_models(torch)
    inject = {1: math.inf, 4: math.nan, 5: -math.inf}
    kw = dict(init_scale=2.0 ** 10, growth_interval=2)
    g = _run(gradcore, gm, 9, inject, clip, **kw)
    t = _run(torch, tm, 9, inject, clip, **kw)
    scales = [s for _, s, _, _ in t]
    assert len(set(scales)) > 2  # the run both backed off and grew
    for (gr, gs, gsd, gp), (tr, ts, tsd, tp) in zip(g, t):
        assert gr == tr and gs == ts and gsd == tsd
        for a, b in zip(gp, tp):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_skipped_step_leaves_parameters(torch):
    gm, _ = _pair_models(torch)
    before = [p.detach().numpy().copy() for p in gm.parameters()]
    trace = _run(gradcore, gm, 1, {0: math.inf}, False)
    assert trace[0][1] == 2.0 ** 15  # backed off once
    for a, b in zip(before, trace[0][3]):
        np.testing.assert_array_equal(a, b)


def test_scale_of_containers_and_errors(torch):
    for lib in (gradcore, torch):
        s = lib.amp.GradScaler("cpu", init_scale=4.0)
        a, b = lib.ones(2), lib.full((3,), 2.0)
        out = s.scale([a, (b, a)])
        assert isinstance(out, list) and isinstance(out[1], tuple)
        assert out[1][0].tolist() == [8.0] * 3
        assert list(s.scale(iter([a]))) [0].tolist() == [4.0, 4.0]
        with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable"):
            s.scale([a, 3])


def _errors(lib):
    out = []
    p = lib.zeros(2, requires_grad=True)
    opt = lib.optim.SGD([p], lr=1.0)

    def catch(f):
        try:
            f()
        except Exception as e:
            out.append((type(e).__name__, str(e)))
        else:
            out.append(None)
    s = lib.amp.GradScaler("cpu")
    catch(lambda: s.unscale_(opt))  # before scale()
    catch(lambda: s.step(opt))
    catch(lambda: s.update())
    s.scale(p.sum()).backward()
    s.unscale_(opt)
    catch(lambda: s.unscale_(opt))  # twice
    s.step(opt)
    catch(lambda: s.unscale_(opt))  # after step
    catch(lambda: s.step(opt))  # twice
    catch(lambda: s.step(opt, closure=lambda: None))
    s.update()
    catch(lambda: lib.amp.GradScaler("cpu", growth_factor=1.0))
    catch(lambda: lib.amp.GradScaler("cpu", backoff_factor=1.0))
    catch(lambda: lib.amp.GradScaler("cpu").load_state_dict({}))
    catch(lambda: s.update(lib.ones(2)))
    h = lib.zeros(2, dtype=lib.float16, requires_grad=True)
    opt16 = lib.optim.SGD([h], lr=1.0)
    s16 = lib.amp.GradScaler("cpu")
    s16.scale(h.float().sum()).backward()
    catch(lambda: s16.unscale_(opt16))  # float16 gradients
    return out


def test_errors_are_torch_errors(torch):
    assert _errors(gradcore) == _errors(torch)


def test_disabled_and_cuda_without_gpu(torch):
    if gradcore.cuda.is_available():
        pytest.skip("a GPU answers here")
    for lib in (gradcore, torch):
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
            s = lib.amp.GradScaler()
        assert not s.is_enabled() and s.get_scale() == 1.0 and s.state_dict() == {}
        t = lib.ones(2)
        assert s.scale(t) is t
        p = lib.zeros(1, requires_grad=True)
        p.grad = lib.ones(1)
        s.step(lib.optim.SGD([p], lr=1.0))  # passes through
        assert p.tolist() == [-1.0]
        with pytest.warns(FutureWarning, match=r"torch\.cuda\.amp\.GradScaler\(args\.\.\.\)` is "
                          r"deprecated\. Please use `torch\.amp\.GradScaler\('cuda', args"):
            lib.cuda.amp.GradScaler(enabled=False)
        with pytest.warns(FutureWarning, match=r"torch\.cpu\.amp\.GradScaler\(args"):
            assert lib.cpu.amp.GradScaler().is_enabled()


def test_state_dict_moves_between_libraries(torch):
    t = torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=3)
    g = GradScaler("cpu")
    g.load_state_dict(t.state_dict())
    assert g.state_dict() == t.state_dict()
    assert g.get_scale() == 8.0 and g.get_growth_interval() == 3
    g2 = pickle.loads(pickle.dumps(g))
    assert g2.state_dict() == g.state_dict()


def test_unscale_fills_found_inf_and_unscales(torch):
    for lib in (gradcore, torch):
        grads = [lib.tensor([1.0, 2.0]), lib.tensor([4.0, float("inf")])]
        found = lib.zeros(())
        inv = lib.full((), 0.5)
        lib._amp_foreach_non_finite_check_and_unscale_(grads, found, inv)
        assert found.item() == 1.0
        assert grads[0].tolist() == [0.5, 1.0] and grads[1][0].item() == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lib in (gradcore, torch):
            scale, tracker = lib.full((), 4.0), lib.zeros((), dtype=lib.int32)
            lib._amp_update_scale_(scale, tracker, lib.zeros(()), 2.0, 0.5, 2)
            assert (scale.item(), tracker.item()) == (4.0, 1)
            lib._amp_update_scale_(scale, tracker, lib.zeros(()), 2.0, 0.5, 2)
            assert (scale.item(), tracker.item()) == (8.0, 0)
            lib._amp_update_scale_(scale, tracker, lib.ones(()), 2.0, 0.5, 2)
            assert (scale.item(), tracker.item()) == (4.0, 0)
