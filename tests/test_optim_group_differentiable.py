"""Which update a step runs is the param group's ``differentiable`` flag (PyTorch's: the
group's flag picks the single-tensor differentiable math, the defaults' flag the grad mode),
so after load_state_dict of a state saved with the other flag the steps are still PyTorch's;
and a differentiable RMSprop / Adagrad takes a Tensor lr that does not require grad (PyTorch
passes lr as a Number argument, which takes such a 0-dim tensor)."""
import numpy as np
import pytest

import gradcore


def _steps(lib, name, saved_flag, new_flag):
    rng = np.random.default_rng(0)
    w0, grads = rng.standard_normal(5), rng.standard_normal((3, 5))
    w = lib.tensor(w0, dtype=lib.float64)
    opt = getattr(lib.optim, name)([w], lr=0.05, differentiable=saved_flag)
    w.grad = lib.tensor(grads[0])
    opt.step()
    w2 = w.detach().clone()
    opt2 = getattr(lib.optim, name)([w2], lr=0.05, differentiable=new_flag)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["differentiable"] is saved_flag
    for g in grads[1:]:
        w2.grad = lib.tensor(g)
        opt2.step()
    return w2.numpy()


@pytest.mark.parametrize("name", ["Adam", "AdamW", "SGD", "RMSprop", "Adagrad"])
@pytest.mark.parametrize("saved_flag,new_flag", [(True, False), (False, True)])
def test_steps_after_loading_the_other_flag_are_pytorchs(torch, name, saved_flag, new_flag):
    ours = _steps(gradcore, name, saved_flag, new_flag)
    theirs = _steps(torch, name, saved_flag, new_flag)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name,kwargs", [("RMSprop", {}), ("RMSprop", {"momentum": 0.9}),
                                         ("Adagrad", {}), ("Adagrad", {"lr_decay": 0.1})])
@pytest.mark.parametrize("lr_dtype", ["float64", "float32"])
def test_differentiable_update_takes_a_tensor_lr_without_grad(torch, name, kwargs, lr_dtype):
    out = []
    for lib in (torch, gradcore):
        base = lib.ones(3, dtype=lib.float64, requires_grad=True)
        w = base * 1
        lr = lib.tensor(0.01, dtype=getattr(lib, lr_dtype))
        opt = getattr(lib.optim, name)([w], lr=lr, differentiable=True, **kwargs)
        for _ in range(3):
            w.grad = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
            opt.step()
        out.append((w.detach().numpy(), lib.autograd.grad(w.sum(), base)[0].numpy()))
    for ours, theirs in zip(out[1], out[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)
