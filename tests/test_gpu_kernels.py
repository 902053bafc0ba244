"""The RawKernels on a real GPU (marker ``gpu``: skipped without a CUDA device).

Every backward kernel function of the CuPy backend against the NumPy reference on random
shapes -- odd sizes, broadcasting, non-contiguous views -- in float32 and float64 (and float16
where a kernel has a half instantiation), with a recording loader proving each call ran its
RawKernel; sum_to bit-identical on repeat; double backward through fused kernels; whole models
(backward and optimizer steps) on cuda against the CPU.  Run by ``python bench/gpu_check.py``.
"""
import numpy as np
import pytest

import gradcore
from gradcore.backend import cupy_backend as cb
from gradcore.backend import get_backend
from gradcore.backend.numpy_backend import NumpyBackend

pytestmark = pytest.mark.gpu

REF = NumpyBackend()
TOL = {np.float16: (2e-3, 2e-3), np.float32: (2e-5, 1e-6), np.float64: (1e-12, 1e-14)}
FLOATS = [np.float32, np.float64]


class _Recording:
    def __init__(self, module, names):
        self.module, self.names = module, names

    def get_function(self, name):
        fn = self.module.get_function(name)

        def launch(grid, block, args):
            self.names.append(name)
            return fn(grid, block, args)
        return launch


@pytest.fixture
def cuda():
    """The cuda:0 backend, with every launched kernel name recorded in ``be.launched``."""
    be = get_backend("cuda")
    launched = []
    prev = cb.set_loader(lambda p, n, o: _Recording(cb._cupy_loader(p, n, o), launched))
    be.launched = launched
    yield be
    cb.set_loader(prev)
    del be.launched


def _dev(be, *arrays):
    return tuple(be.from_host(np.array(a)) if isinstance(a, np.ndarray) else a for a in arrays)


def _check(be, method, *host_args, kernel=None):
    """be.<method> on device copies of the arguments against the reference on the host."""
    got = getattr(be, method)(*_dev(be, *host_args))
    want = getattr(REF, method)(*host_args)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    rtol, atol = TOL[want[0].dtype.type]
    for g, w in zip(got, want):
        g = be.to_host(g)
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol * max(1.0, np.abs(w).max(
            initial=0)))
    if kernel:
        assert kernel in be.launched, f"{kernel} did not run (ran: {be.launched})"


SHAPES = [(1,), (7,), (3, 17), (5, 1, 33), (257, 3), (2, 3, 4, 5), (1000, 129)]
UNARY = [("relu_backward", ()), ("sigmoid_backward", ()), ("tanh_backward", ()),
         ("exp_backward", ()), ("log_backward", ()), ("sqrt_backward", ()),
         ("abs_backward", ()), ("sin_backward", ()), ("cos_backward", ()),
         ("pow_backward", (3,)), ("pow_backward", (-1.5,)),
         ("clamp_backward", (-0.5, 0.75)), ("clamp_backward", (None, 0.75)),
         ("leaky_relu_backward", (0.02,)), ("gelu_backward", ("none",)),
         ("gelu_backward", ("tanh",))]


def _data(rng, shape, dtype, positive=False):
    a = np.asarray(rng.standard_normal(shape) * 2)
    return (np.abs(a) + 0.25 if positive else a).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("op,params", UNARY)
def test_unary(cuda, rng, op, params, dtype):
    positive = op in ("log_backward", "sqrt_backward", "pow_backward")
    for shape in SHAPES:
        s, gy = _data(rng, shape, dtype, positive), _data(rng, shape, dtype)
        kernel = None
        if not (op == "pow_backward" and dtype == np.float64):
            name = "gelu_tanh_backward" if params == ("tanh",) else op
            kernel = f"unary_backward<{name}, {cb.CTYPES[np.dtype(dtype).char]}>"
        _check(cuda, op, s, gy, *params, kernel=kernel)
    # a transposed gy and a broadcast s on the device: the strided kernel
    s = _data(rng, (33, 1), dtype, positive)
    gy = cuda.from_host(_data(rng, (5, 33), dtype)).T
    got = getattr(cuda, op)(cuda.from_host(s), gy, *params)
    want = getattr(REF, op)(s, cuda.to_host(gy), *params)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(cuda.to_host(got), want, rtol=rtol, atol=atol * 10)
    if kernel:
        assert kernel.replace("unary_backward", "unary_backward_strided") in cuda.launched


@pytest.mark.parametrize("dtype", FLOATS)
def test_sin_cos_over_the_whole_range(cuda, rng, dtype):
    """trig.cuh's own argument reduction: huge, tiny, near multiples of pi/2, inf and NaN."""
    info = np.finfo(dtype)
    x = np.concatenate([
        rng.uniform(-10, 10, 1000), rng.uniform(-1e6, 1e6, 1000),
        np.ldexp(rng.uniform(0.5, 1, 1000), rng.integers(-60, int(info.maxexp), 1000)),
        np.arange(-500, 500) * (np.pi / 2), [0.0, -0.0, 1e-30, np.inf, -np.inf, np.nan],
    ]).astype(dtype)
    gy = np.ones_like(x)
    with np.errstate(invalid="ignore"):
        for op in ("sin_backward", "cos_backward"):
            got = cuda.to_host(getattr(cuda, op)(*_dev(cuda, x, gy)))
            want = getattr(REF, op)(x, gy)
            np.testing.assert_allclose(got, want, rtol=4 * info.eps, atol=2 * info.eps)


BROADCASTS = [((4, 33), (4, 33)), ((3, 1, 5), (4, 5)), ((1,), (17, 9)), ((6, 1), (1, 7)),
              ((2, 1, 3, 1), (5, 1, 4))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", cb.BINARY_OPS)
def test_binary(cuda, rng, op, dtype):
    for sa, sb in BROADCASTS:
        a, b = _data(rng, sa, dtype, True), _data(rng, sb, dtype, True)
        if sa == sb:
            b[0, :7] = a[0, :7]  # ties
        gy = _data(rng, np.broadcast_shapes(sa, sb), dtype)
        strided = "" if sa == sb else "_strided"
        _check(cuda, op, a, b, gy, kernel=f"binary_backward{strided}<{op}, "
               f"{cb.CTYPES[np.dtype(dtype).char]}>")


def test_pow_tensor_and_where(cuda, rng):
    a = _data(rng, (5, 31), np.float32, True)
    b = _data(rng, (31,), np.float32)
    b[:3] = 0
    y, gy = a ** b, _data(rng, (5, 31), np.float32)
    _check(cuda, "pow_tensor_backward", a, b, y, gy, kernel="pow_tensor_backward_strided<float>")
    for dtype in FLOATS:
        cond = rng.random((7, 13)) < 0.4
        gy = _data(rng, (7, 13), dtype)
        _check(cuda, "where_backward", cond, gy)
        _check(cuda, "where_backward", cond[:, :1], gy)


SUM_TO = [((6, 10000), (6, 1)), ((700, 7), (7,)), ((50000,), ()), ((3, 4, 5), (4, 1)),
          ((2, 1, 3), (1, 3)), ((64, 512), (512,)), ((9, 33, 5), (1, 33, 1)), ((1 << 20,), ()),
          ((4, 300000), (4, 1)), ((1, 1), ())]


@pytest.mark.parametrize("dtype", FLOATS)
def test_sum_to_and_determinism(cuda, rng, dtype):
    for gshape, shape in SUM_TO:
        g = _data(rng, gshape, dtype)
        dev, = _dev(cuda, g)
        got, again = cuda.sum_to(dev, shape), cuda.sum_to(dev, shape)
        want = REF.sum_to(g.astype(np.float64), shape)
        n = g.size // max(1, int(np.prod(shape)))
        eps = np.finfo(dtype).eps
        np.testing.assert_allclose(cuda.to_host(got), want, rtol=0,
                                   atol=4 * eps * np.sqrt(n) * np.abs(g).max() + 1e-30)
        assert cuda.to_host(got).tobytes() == cuda.to_host(again).tobytes()
    assert set(cuda.launched) == {f"sum_rows<{cb.CTYPES[np.dtype(dtype).char]}>",
                                  f"sum_cols<{cb.CTYPES[np.dtype(dtype).char]}>"}


@pytest.mark.parametrize("dtype", [np.float16] + FLOATS)
def test_sum_mean_extremum_index_backward(cuda, rng, dtype):
    for shape, axes in [((4, 5, 6), (1,)), ((4, 5, 6), (0, 1)), ((4, 5, 6), None),
                        ((33, 129), (0,)), ((33, 129), (1,))]:
        for keepdim in (False, True):
            red = tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))
            out_shape = red if keepdim else (() if axes is None else tuple(
                n for i, n in enumerate(shape) if i not in axes))
            gy = _data(rng, out_shape, dtype)
            _check(cuda, "sum_backward", gy, shape, axes, keepdim)
            _check(cuda, "mean_backward", gy, shape, axes, keepdim)
            x = rng.integers(0, 4, shape).astype(dtype)  # ties
            y = np.asarray(x.max(axis=axes, keepdims=keepdim))
            _check(cuda, "extremum_backward", x, y, gy, axes, keepdim)
    for axis in (0, 1, 2):
        x = _data(rng, (5, 6, 7), dtype)
        idx, gy = x.argmax(axis), _data(rng, tuple(np.delete((5, 6, 7), axis)), dtype)
        _check(cuda, "index_backward_along", idx, gy, x.shape, axis, False)
    c = cb.CTYPES[np.dtype(dtype).char]
    assert {f"expand_scale<{c}>", f"extremum_backward_rows<{c}>",
            f"extremum_backward_cols<{c}>", f"index_backward_along<{c}>"} <= set(cuda.launched)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", cb.SOFTMAX_OPS)
def test_softmax_backward(cuda, rng, op, dtype):
    for shape, axis in [((4, 10), 1), ((4, 10), 0), ((3, 5, 7), 1), ((2, 3000), 1), ((17,), 0)]:
        x = _data(rng, shape, dtype)
        y = np.exp(x - x.max(axis, keepdims=True))
        y = y / y.sum(axis, keepdims=True)
        y = np.log(y) if op == "log_softmax_backward" else y
        _check(cuda, op, y, _data(rng, shape, dtype), axis)
    c = cb.CTYPES[np.dtype(dtype).char]
    assert {f"softmax_rows<{op}, {c}>", f"softmax_cols<{op}, {c}>"} <= set(cuda.launched)


@pytest.mark.parametrize("dtype", FLOATS)
def test_loss_backward(cuda, rng, dtype):
    for reduction in ("none", "mean", "sum"):
        x, t = _data(rng, (9, 13), dtype), _data(rng, (9, 13), dtype)
        gy = _data(rng, (9, 13) if reduction == "none" else (), dtype)
        _check(cuda, "mse_loss_backward", x, t, gy, reduction)
        _check(cuda, "smooth_l1_loss_backward", x, t, gy, reduction, 0.5)
        for shape in [(8, 5), (5,), (4, 5, 3, 2)]:
            C = shape[1] if len(shape) > 1 else shape[0]
            tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
            target = rng.integers(0, C, tshape).astype(np.int64)
            if target.ndim:
                target.reshape(-1)[0] = -100
            weight = _data(rng, (C,), dtype, True)
            w = np.where(target != -100, weight[np.clip(target, 0, C - 1)], 0)
            total = np.asarray(w.sum(), dtype=dtype)
            g = _data(rng, tshape if reduction == "none" else (), dtype)
            _check(cuda, "nll_loss_backward", g, target, weight, total, shape, reduction, -100)
    c = cb.CTYPES[np.dtype(dtype).char]
    assert {f"pointwise_loss_backward<mse_loss_backward, {c}>",
            f"nll_loss_backward<{c}>"} <= set(cuda.launched)


@pytest.mark.parametrize("dtype", FLOATS)
def test_optimizer_steps(cuda, rng, dtype):
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    for momentum, nesterov, wd, maximize in [(0, False, 0, False), (0.9, True, 1e-2, False),
                                             (0.9, False, 1e-2, True)]:
        p, g, buf = (_data(rng, (129, 7), dtype) for _ in range(3))
        dp, dg, dbuf = _dev(cuda, p, g, buf)
        for first in (True, False, False):
            args = (0.1, momentum, 0, nesterov, wd, maximize, first)
            cuda.sgd_step_(dp, dg, dbuf if momentum else None, *args)
            REF.sgd_step_(p, g, buf if momentum else None, *args)
        np.testing.assert_allclose(cuda.to_host(dp), p, rtol=rtol)
    for amsgrad, decoupled in [(False, False), (True, True)]:
        p, g = _data(rng, (1001,), dtype), _data(rng, (1001,), dtype)
        st = [np.zeros_like(p) for _ in range(3)]
        dp, dg, *dst = _dev(cuda, p, g, *st)
        for step in (1, 2, 3):
            args = (step, 1e-3, 0.9, 0.999, 1e-8, 0.01, amsgrad, False, decoupled)
            cuda.adam_step_(dp, dg, dst[0], dst[1], dst[2] if amsgrad else None, *args)
            REF.adam_step_(p, g, st[0], st[1], st[2] if amsgrad else None, *args)
        np.testing.assert_allclose(cuda.to_host(dp), p, rtol=rtol)
    c = cb.CTYPES[np.dtype(dtype).char]
    assert {f"sgd_step<{c}>", f"adam_step<{c}>"} <= set(cuda.launched)


@pytest.mark.parametrize("dtype", FLOATS)
def test_rnn_cells(cuda, rng, dtype):
    """lstm/gru_cell_forward/backward (kernels/rnn.cu) against the reference, with saturated
    gates, each absent-gradient form and batch x hidden sizes around a block."""
    c = cb.CTYPES[np.dtype(dtype).char]
    for N, H in ((1, 1), (3, 67), (64, 257)):
        gates, cs = _data(rng, (N, 4 * H), dtype), _data(rng, (N, H), dtype)
        gates[0, 0] = 60
        _check(cuda, "lstm_cell_forward", gates, cs, kernel=f"lstm_cell_forward<{c}>")
        act = REF.lstm_cell_forward(gates, cs)[2]
        gh, gc = _data(rng, (N, H), dtype), _data(rng, (N, H), dtype)
        for a, b in ((gh, gc), (gh, None), (None, gc)):
            _check(cuda, "lstm_cell_backward", a, b, act, cs, kernel=f"lstm_cell_backward<{c}>")
        xg, hg = _data(rng, (N, 3 * H), dtype), _data(rng, (N, 3 * H), dtype)
        xg[0, 0] = -60
        _check(cuda, "gru_cell_forward", xg, hg, cs, kernel=f"gru_cell_forward<{c}>")
        act = REF.gru_cell_forward(xg, hg, cs)[1]
        _check(cuda, "gru_cell_backward", gh, act, hg, cs, kernel=f"gru_cell_backward<{c}>")


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_rnn_layers_cuda_vs_cpu(cuda, cls):
    """A bidirectional two-layer LSTM/GRU, forward and backward, on cuda against the CPU: the
    fused step kernels run once per step and direction each way."""
    def run(device):
        gradcore.manual_seed(0)
        m = getattr(gradcore.nn, cls)(5, 7, num_layers=2, bidirectional=True).double()
        m = m.to(device)
        x = gradcore.tensor(np.random.default_rng(1).standard_normal((6, 3, 5)), device=device,
                            requires_grad=True)
        out, _ = m(x)
        (out * out).sum().backward()
        return [out.detach().cpu().numpy(), x.grad.cpu().numpy()] + [
            p.grad.cpu().numpy() for p in m.parameters()]
    for c, g in zip(run("cpu"), run("cuda")):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)
    k = cls.lower()
    assert cuda.launched.count(f"{k}_cell_forward<double>") == 6 * 2 * 2
    assert cuda.launched.count(f"{k}_cell_backward<double>") == 6 * 2 * 2


# ---- through the autograd engine: cuda against cpu ------------------------------------------
# (tests/test_kernel_routing.py runs the same two workloads on an emulated cuda:0)

def second_derivatives(device, seed=0):
    """Gradients and second derivatives through sigmoid/mul/div/maximum/softmax/log_softmax
    and broadcasting (sum_to), as host arrays."""
    rng = np.random.default_rng(seed)
    a, b, w = rng.standard_normal((4, 5)), rng.uniform(0.5, 2, (5,)), rng.standard_normal((4, 5))
    x, y = (gradcore.tensor(v, device=device, requires_grad=True) for v in (a, b))
    v = gradcore.tensor(w, device=device)
    out = (x.sigmoid() * y / (y + 1)).maximum(v).softmax(1).log_softmax(0) * v
    gx, gy = gradcore.autograd.grad(out.sum(), [x, y], create_graph=True)
    ((gx * gx).sum() + gy.sum() * 3).backward()
    return [t.detach().cpu().numpy() for t in (gx, gy, x.grad, y.grad)]


def train_small_mlp(device, seed=0, steps=3, foreach=None):
    """A small MLP (linear, relu, gelu, cross_entropy + mse) and SGD-with-momentum and Adam
    steps (``foreach``: the optimizers' option; on cuda None is one multi-tensor launch per
    step, False one launch per parameter); the parameters and the last loss as host arrays."""
    import gradcore.nn.functional as F
    import gradcore.optim as optim
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal((20, 32)) * 0.2, np.zeros(32),
            rng.standard_normal((32, 10)) * 0.2, np.zeros(10)]
    params = [gradcore.tensor(a, device=device, requires_grad=True) for a in init]
    x = gradcore.tensor(rng.standard_normal((16, 20)), device=device)
    t = gradcore.tensor(rng.integers(0, 10, 16), device=device)
    sgd = optim.SGD(params, lr=0.1, momentum=0.9, foreach=foreach)
    adam = optim.Adam(params, lr=1e-3, foreach=foreach)
    for _ in range(steps):
        sgd.zero_grad()
        h = F.gelu(F.relu(x @ params[0] + params[1]))
        logits = h @ params[2] + params[3]
        loss = F.cross_entropy(logits, t) + F.mse_loss(logits.tanh(), logits.sigmoid())
        loss.backward()
        sgd.step()
        adam.step()
    return [p.detach().cpu().numpy() for p in params] + [loss.detach().cpu().numpy()]


def test_double_backward_through_fused_kernels(cuda):
    for c, g in zip(second_derivatives("cpu"), second_derivatives("cuda")):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)
    assert "binary_backward_strided<mul_backward, double>" in cuda.launched


def test_model_backward_and_steps_cuda_vs_cpu(cuda):
    for c, g in zip(train_small_mlp("cpu"), train_small_mlp("cuda")):
        np.testing.assert_allclose(g, c, rtol=1e-9, atol=1e-12)
    for c, g in zip(train_small_mlp("cpu", foreach=False), train_small_mlp("cuda", foreach=False)):
        np.testing.assert_allclose(g, c, rtol=1e-9, atol=1e-12)
    assert {"sgd_step<double>", "adam_step<double>", "multi_tensor_sgd<double>",
            "multi_tensor_adam<double>", "sum_cols<double>",
            "nll_loss_backward<double>"} <= set(cuda.launched)
