"""Memory: saved tensors are dropped as soon as their node ran, gradients of a training loop
are reused, and a long training loop's memory stays flat (tracemalloc sees NumPy's buffers)."""
import gc
import tracemalloc
import weakref

import numpy as np

import gradcore as torch
import gradcore.nn as nn


def test_saved_tensors_freed_right_after_their_node_ran():
    a = torch.randn(64, 64, requires_grad=True)
    w = torch.randn(64, 64, requires_grad=True)
    h = a * 2
    e = h.exp()                       # saved (as its output) by ExpBackward0
    refs = {"e": weakref.ref(e), "e_arr": weakref.ref(e._arr)}
    out = (e * w).sum()               # MulBackward0 saves e and w
    del e
    seen = {}

    def check(grad):  # runs before h's node (MulBackward0 of a * 2), after Exp's and Mul's
        gc.collect()
        seen["e"] = refs["e"]() is None
        seen["e_arr"] = refs["e_arr"]() is None
    h.register_hook(check)
    out.backward()
    assert seen == {"e": True, "e_arr": True}
    assert out.grad_fn.next_functions[0][0]._saved is None


def test_retain_graph_keeps_saved_tensors():
    a = torch.randn(8, requires_grad=True)
    e = a.exp()
    ref = weakref.ref(e._arr)
    out = e.sum()
    del e
    out.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    out.backward()
    gc.collect()
    assert ref() is None


def _small_training_step(opt_cls, **opt_kw):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = opt_cls(model.parameters(), **opt_kw)
    crit = nn.MSELoss()
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((32, 16)).astype(np.float32))
    y = torch.from_numpy(rng.standard_normal((32, 1)).astype(np.float32))

    def step():
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
    return step


def _growth(step, warmup=200, steps=2000):
    for _ in range(warmup):
        step()
    gc.collect()
    tracemalloc.start()
    try:
        step()
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(steps - warmup):
            step()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()


def test_training_loop_memory_is_flat():
    grew = _growth(_small_training_step(torch.optim.SGD, lr=0.01, momentum=0.9))
    assert grew < 16 * 1024, f"{grew} bytes more after 1,800 further steps"


def test_training_loop_memory_is_flat_adam():
    step = _small_training_step(torch.optim.Adam, lr=1e-3)
    grew = _growth(step, warmup=100, steps=1000)
    assert grew < 16 * 1024, f"{grew} bytes more after 900 further steps"


def test_gradients_accumulate_in_place():
    lin = nn.Linear(4, 3)
    x = torch.randn(5, 4)
    lin(x).sum().backward()
    g = lin.weight.grad
    arr = g._arr
    lin(x).sum().backward()
    assert lin.weight.grad is g and lin.weight.grad._arr is arr
