"""The fused recurrent steps (kernels/rnn.cu, kind ``rnn_cell``) without a GPU: their routes
through ``CupyBackend(0, xp=numpy)`` with test_kernel_routing's recording loader (every launch
checked against the kernel's C signature and emulated from its raw arguments), LSTM and GRU
layers on an emulated ``cuda:0`` against the CPU (one launch per step and direction each way),
and the fused nodes' gradients (gradcheck / gradgradcheck in float64).  The CUDA arithmetic
itself: tests/test_emulator_kernels.py (the .cu source on the CPU) and tests/test_gpu_kernels.py.
"""
import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
from gradcore.autograd import gradcheck, gradgradcheck
from gradcore.backend import cupy_backend as cb
from gradcore.backend.numpy_backend import NumpyBackend
from gradcore.ops import rnn as R

import test_kernel_routing as routing
from test_kernel_routing import REF, _flat, _write

KERNELS = ("lstm_cell_forward", "lstm_cell_backward", "gru_cell_forward", "gru_cell_backward")


# ---- the kernels emulated from their raw arguments (pointers read as the kernel reads them) --

def _mat(a, rows, cols):
    return _flat(a, rows * cols).reshape(rows, cols)


def _put(outs, results):
    for o, r in zip(outs, results):
        _write(o, r.size, r.reshape(-1))


def _lstm_forward(gates, c, h, c_new, act, N, H):
    N, H = int(N), int(H)
    _put((h, c_new, act), REF.lstm_cell_forward(_mat(gates, N, 4 * H), _mat(c, N, H)))


def _lstm_backward(gh, gc, act, c, dgates, dc, N, H, flags):
    N, H = int(N), int(H)
    _put((dgates, dc), REF.lstm_cell_backward(
        _mat(gh, N, H) if flags & 1 else None, _mat(gc, N, H) if flags & 2 else None,
        _mat(act, 5 * N, H).reshape(5, N, H), _mat(c, N, H)))


def _gru_forward(xg, hg, h, h_new, act, N, H):
    N, H = int(N), int(H)
    _put((h_new, act), REF.gru_cell_forward(_mat(xg, N, 3 * H), _mat(hg, N, 3 * H),
                                            _mat(h, N, H)))


def _gru_backward(gy, act, hg, h, dxg, dhg, dh, N, H):
    N, H = int(N), int(H)
    _put((dxg, dhg, dh), REF.gru_cell_backward(_mat(gy, N, H), _mat(act, 3 * N, H).reshape(
        3, N, H), _mat(hg, N, 3 * H), _mat(h, N, H)))


@pytest.fixture
def be(monkeypatch):
    for name, fn in zip(KERNELS, (_lstm_forward, _lstm_backward, _gru_forward, _gru_backward)):
        monkeypatch.setitem(routing.EMULATED, name, fn)
    rec = routing.Recorder()
    prev = cb.set_loader(rec)
    backend = cb.CupyBackend(0, xp=np, sm_count=routing.SM_COUNT)
    backend.rec = rec
    # CupyBackend.index_add_ is cupyx's atomic scatter, which needs CuPy arrays (indexing's
    # backward, used here by the create_graph runs): NumPy's stands in
    monkeypatch.setattr(backend, "index_add_", NumpyBackend.index_add_.__get__(backend))
    yield backend
    cb.set_loader(prev)


@pytest.fixture
def emulated_cuda(be, monkeypatch):
    from gradcore import backend
    monkeypatch.setitem(backend._built, ("cuda", 0), be)
    return be


def _arr(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _same(got, want):
    got, want = (got if isinstance(got, tuple) else (got,)), (
        want if isinstance(want, tuple) else (want,))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


# ---- routes --------------------------------------------------------------------------------

def test_kernels_are_registered_with_their_references():
    from gradcore.backend.kernels import REGISTRY
    for name in KERNELS:
        k = REGISTRY[name]
        assert k.kind == "rnn_cell" and k.reference is getattr(R, name).reference
        assert [t for f, t, _ in cb.templates() if t.startswith(name)] == [f"{name}<{{T}}>"]
    assert cb.name_expressions(cb.RNN, "e") == tuple(f"{n}<gc_half>" for n in KERNELS)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_each_kernel_launches_once_with_the_launch_shape(be, rng, dtype):
    N, H = 3, 70
    ct = cb.CTYPES[np.dtype(dtype).char]
    gates, c, gh, gc = (_arr(rng, s, dtype) for s in ((N, 4 * H), (N, H), (N, H), (N, H)))
    _same(be.lstm_cell_forward(gates, c), REF.lstm_cell_forward(gates, c))
    act = REF.lstm_cell_forward(gates, c)[2]
    assert act.shape == (5, N, H)
    for a, b in ((gh, gc), (gh, None), (None, gc)):
        _same(be.lstm_cell_backward(a, b, act, c), REF.lstm_cell_backward(a, b, act, c))
    xg, hg = _arr(rng, (N, 3 * H), dtype), _arr(rng, (N, 3 * H), dtype)
    _same(be.gru_cell_forward(xg, hg, c), REF.gru_cell_forward(xg, hg, c))
    act = REF.gru_cell_forward(xg, hg, c)[1]
    _same(be.gru_cell_backward(gh, act, hg, c), REF.gru_cell_backward(gh, act, hg, c))
    assert be.rec.names() == [f"{k}<{ct}>" for k in KERNELS[:1] + (KERNELS[1],) * 3
                              + KERNELS[2:]]
    flags = [args[-1] for name, _, args in be.rec.launches if name.startswith("lstm_cell_b")]
    assert flags == [3, 1, 2]
    for _, grid, args in be.rec.launches:  # (row, unit) pairs, GC_UNROLL a thread per step
        assert grid == (-(-N * H // (cb.THREADS * cb.UNROLL)),)
        assert [a for a in args if type(a) is np.int64] == [N, H]


def test_views_are_made_contiguous(be, rng):
    N, H = 4, 5
    gates = _arr(rng, (N, 8 * H))[:, ::2]
    c = _arr(rng, (H, N)).T
    _same(be.lstm_cell_forward(gates, c), REF.lstm_cell_forward(gates, c))
    xg, hg, h = _arr(rng, (N, 3 * H))[::-1], _arr(rng, (3 * H, N)).T, _arr(rng, (N, H))
    _same(be.gru_cell_forward(xg, hg, h), REF.gru_cell_forward(xg, hg, h))
    assert be.rec.names() == ["lstm_cell_forward<float>", "gru_cell_forward<float>"]
    for _, _, args in be.rec.launches:
        assert all(a.flags.c_contiguous for a in args if isinstance(a, np.ndarray))


def test_routes_that_take_the_reference(be, rng):
    """Mixed dtypes, integers, no elements: no launch, the reference's answer."""
    gates, c = _arr(rng, (2, 12)), _arr(rng, (2, 3))
    cases = [("lstm_cell_forward", (gates, c.astype(np.float64))),
             ("lstm_cell_forward", (gates.astype(np.int64), c.astype(np.int64))),
             ("lstm_cell_forward", (np.zeros((0, 12), np.float32), np.zeros((0, 3), np.float32))),
             ("gru_cell_forward", (gates[:, :9], gates[:, :9].astype(np.float64), c)),
             ("gru_cell_backward", (c.astype(np.float64), REF.gru_cell_forward(
                 gates[:, :9], gates[:, :9], c)[1], gates[:, :9], c))]
    for name, args in cases:
        with np.errstate(all="ignore"):
            _same(getattr(be, name)(*args), getattr(REF, name)(*args))
    assert be.rec.names() == []


# ---- layers on an emulated cuda:0 ------------------------------------------------------------

def _run(cls, device, x, kwargs, seed=0):
    gradcore.manual_seed(seed)
    m = getattr(nn, cls)(4, 6, **kwargs).double().to(device)
    xx = gradcore.tensor(x, device=device, requires_grad=True)
    out, state = m(xx)
    states = state if isinstance(state, tuple) else (state,)
    w = np.random.default_rng(1)
    loss = (out * gradcore.tensor(w.standard_normal(out.shape), device=device)).sum()
    for s in states:
        loss = loss + (s * gradcore.tensor(w.standard_normal(s.shape), device=device)).sum()
    loss.backward()
    return [t.detach().cpu().numpy() for t in (out,) + states + (xx.grad,)] + [
        p.grad.cpu().numpy() for p in m.parameters()]


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
@pytest.mark.parametrize("kwargs", [{}, {"bidirectional": True, "batch_first": True},
                                    {"num_layers": 2, "bias": False}])
def test_layers_on_emulated_cuda_match_the_cpu(emulated_cuda, rng, cls, kwargs):
    T, N = 5, 3
    x = rng.standard_normal((N, T, 4) if kwargs.get("batch_first") else (T, N, 4))
    for c, g in zip(_run(cls, "cpu", x, kwargs), _run(cls, "cuda", x, kwargs)):
        np.testing.assert_allclose(g, c, rtol=1e-12, atol=1e-14)
    steps = T * kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    names = emulated_cuda.rec.names()
    for k in KERNELS[:2] if cls == "LSTM" else KERNELS[2:]:
        assert names.count(f"{k}<double>") == steps, (k, names.count(f"{k}<double>"))


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_packed_input_and_double_backward_on_emulated_cuda(emulated_cuda, cls):
    """Packed sequences (the batch shrinking step by step), and create_graph through the fused
    nodes: first and second derivatives on cuda are the CPU's."""
    from gradcore.nn.utils import rnn as U

    def run(device, packed):
        gradcore.manual_seed(0)
        m = getattr(nn, cls)(3, 4, bidirectional=True).double().to(device)
        x = gradcore.tensor(np.random.default_rng(2).standard_normal((4, 3, 3)), device=device,
                            requires_grad=True)
        if packed:
            out, state = m(U.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False))
            out = out.data
        else:
            out, state = m(x)
        h = state[0] if cls == "LSTM" else state
        loss = (out ** 2).sum() + (h ** 3).sum()
        gx, = gradcore.autograd.grad(loss, x, create_graph=not packed)
        if packed:
            return [gx.cpu().numpy()]
        (gx ** 2).sum().backward()
        return [gx.detach().cpu().numpy(), x.grad.cpu().numpy()] + [
            p.grad.cpu().numpy() for p in m.parameters()]
    for packed in (True, False):
        for c, g in zip(run("cpu", packed), run("cuda", packed)):
            np.testing.assert_allclose(g, c, rtol=1e-11, atol=1e-13)
    k = "lstm" if cls == "LSTM" else "gru"
    assert {f"{k}_cell_forward<double>", f"{k}_cell_backward<double>"} <= set(
        emulated_cuda.rec.names())


# ---- the fused nodes' gradients --------------------------------------------------------------

def test_fused_nodes_gradcheck_and_gradgradcheck(rng):
    N, H = 3, 4
    gates = gradcore.tensor(rng.standard_normal((N, 4 * H)) * 2, requires_grad=True)
    c = gradcore.tensor(rng.standard_normal((N, H)), requires_grad=True)
    lstm = R._LSTMPointwise.apply
    assert gradcheck(lstm, (gates, c))
    assert gradgradcheck(lstm, (gates, c))
    assert gradcheck(lambda g, c: lstm(g, c)[0], (gates, c))   # gc absent
    assert gradcheck(lambda g, c: lstm(g, c)[1], (gates, c))   # gh absent
    assert gradgradcheck(lambda g, c: lstm(g, c)[1], (gates, c))
    xg = gradcore.tensor(rng.standard_normal((N, 3 * H)) * 2, requires_grad=True)
    hg = gradcore.tensor(rng.standard_normal((N, 3 * H)), requires_grad=True)
    h = gradcore.tensor(rng.standard_normal((N, H)), requires_grad=True)
    assert gradcheck(R._GRUPointwise.apply, (xg, hg, h))
    assert gradgradcheck(R._GRUPointwise.apply, (xg, hg, h))
    out = R._GRUPointwise.apply(xg, hg, h)
    assert type(out.grad_fn).__name__ == "GruStepBackward0"


def test_fused_gru_step_is_the_composite_step(rng):
    """The layer's fused step and GRUCell's composite ops give the same values and
    gradients."""
    N, H = 4, 5
    args = [gradcore.tensor(rng.standard_normal(s), requires_grad=True)
            for s in ((N, 3 * H), (N, 3 * H), (N, H))]
    fused = R._GRUPointwise.apply(*args)
    x_rz, x_n = args[0][:, :2 * H], args[0][:, 2 * H:]
    h_rz, h_n = args[1][:, :2 * H], args[1][:, 2 * H:]
    rz = (x_rz + h_rz).sigmoid()
    n = (x_n + rz[:, :H] * h_n).tanh()
    comp = (args[2] - n) * rz[:, H:] + n
    np.testing.assert_allclose(fused.detach().numpy(), comp.detach().numpy(), rtol=1e-14,
                               atol=1e-15)
    gy = gradcore.tensor(rng.standard_normal((N, H)))
    ga = gradcore.autograd.grad(fused, args, gy)
    gb = gradcore.autograd.grad(comp, args, gy)
    for a, b in zip(ga, gb):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-13, atol=1e-15)
