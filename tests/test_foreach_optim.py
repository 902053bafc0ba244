"""The CPU's grouped update of small parameters (optim/optimizer.py ``_multi_tensor_groups``,
``array_ops.grouped_``): SGD, Adam and AdamW with foreach=None/True and fused=True update the
small parameters of one dtype in one NumPy pass over them all concatenated; it must give the
per-parameter update's bits (foreach=False) step after step, with parameters that skip a step
(momentum buffers starting late, Adam step counts apart), mixed dtypes and large parameters
(which keep their own update), and PyTorch's numbers as the per-parameter update does."""
import numpy as np
import pytest

import gradcore
from gradcore.optim import array_ops, optimizer

# float32: five small parameters and a large one (3000 elements); float64: four small
SHAPES = [(7,), (3, 5), (40, 50), (64,), (100, 30), (11,), (1,), (2, 2, 2), (9,), (5, 3)]


def _params(lib, dtypes, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(s).astype(dt), requires_grad=True)
            for s, dt in zip(SHAPES, dtypes)]


def _set_grads(lib, params, step, skip=()):
    rng = np.random.default_rng(50 + step)
    for i, p in enumerate(params):
        g = rng.standard_normal(tuple(p.shape)).astype(p.detach().numpy().dtype)
        p.grad = None if i in skip else lib.tensor(g)


OPTIMIZERS = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)),
              ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2, maximize=True)),
              ("SGD", dict(lr=0.1)),
              ("Adam", dict(lr=1e-2, amsgrad=True, weight_decay=0.1)),
              ("Adam", dict(lr=1e-2, betas=(0.2, 0.9), maximize=True)),
              ("AdamW", dict(lr=1e-2))]


@pytest.fixture
def grouped_calls(monkeypatch):
    calls = []
    real = array_ops.grouped_

    def spy(step, xp, lists, written, args):
        calls.append(len(lists[0]))
        return real(step, xp, lists, written, args)
    for mod in ("sgd", "adam"):
        monkeypatch.setattr(f"gradcore.optim.{mod}.grouped_", spy)
    return calls


@pytest.mark.parametrize("option", [{}, {"foreach": True}, {"fused": True}], ids=str)
@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=str)
def test_grouped_update_is_the_per_parameter_update(grouped_calls, name, kwargs, option):
    dts = [np.float32] * 6 + [np.float64] * 4
    grouped, single = _params(gradcore, dts), _params(gradcore, dts)
    cls = getattr(gradcore.optim, name)
    opt_g, opt_s = cls(grouped, **kwargs, **option), cls(single, **kwargs, foreach=False)
    for step in range(4):
        skip = (1, 7) if step == 1 else ()
        _set_grads(gradcore, grouped, step, skip)
        _set_grads(gradcore, single, step, skip)
        del grouped_calls[:]
        opt_g.step()
        opt_s.step()
        # 5 small float32 + 4 float64; a step without two of them: 4 float32, and 3 float64
        # are too few to group; after it Adam's two step counts are updated apart
        want = [4] if skip else [1, 1, 3, 4] if step > 1 and name != "SGD" else [4, 5]
        assert sorted(grouped_calls) == want
        for g, s in zip(grouped, single):
            np.testing.assert_array_equal(g.detach().numpy(), s.detach().numpy())
    for (kg, vg), (ks, vs) in zip(opt_g.state_dict()["state"].items(),
                                  opt_s.state_dict()["state"].items()):
        assert kg == ks and vg.keys() == vs.keys()
        for k in vg:
            np.testing.assert_array_equal(np.asarray(vg[k]), np.asarray(vs[k]))


def test_grouping_needs_several_small_parameters_of_one_dtype(grouped_calls):
    dts = [np.float32, np.float64, np.float16, np.float32, np.float64, np.float16, np.float32,
           np.float64]
    ps = _params(gradcore, dts)
    _set_grads(gradcore, ps, 0)
    gradcore.optim.SGD(ps, lr=0.1).step()
    assert grouped_calls == []          # at most 3 small parameters of each dtype
    assert optimizer.HOST_GROUP_MIN == 4 and optimizer.HOST_GROUP_MAX == 2048


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=str)
def test_grouped_update_matches_torch(torch, name, kwargs):
    """The grouped update gives what gradcore's per-parameter update gives -- PyTorch's
    numbers, to the last-bit differences of PyTorch's fused multiply-adds on the CPU (its
    add(x, alpha=a)), within float32 rounding."""
    dts = [np.float32] * 10
    ours, theirs = _params(gradcore, dts), _params(torch, dts)
    opt_o = getattr(gradcore.optim, name)(ours, **kwargs)
    opt_t = getattr(torch.optim, name)(theirs, **kwargs, foreach=False)
    for step in range(3):
        _set_grads(gradcore, ours, step)
        _set_grads(torch, theirs, step)
        opt_o.step()
        opt_t.step()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
