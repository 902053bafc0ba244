"""The CuPy backend's RawKernels -- the real kernels/*.cu code -- run on the CPU.

``tests/cuda_emu`` compiles each .cu file with g++ against a CUDA-on-CPU header and runs its
kernels through a fiber scheduler (docs/emulator.md); ``cupy_backend.set_loader`` hands that
loader to a ``CupyBackend(0, xp=numpy)``, so the backend's own launch code (grids, argument
packing, Geom structs, sum_to passes) feeds the kernels NumPy arrays.  Every backward kernel
function is compared with the NumPy reference over odd sizes, views and broadcasts, the
dtypes each kernel is instantiated for, several grid/block shapes, and the three thread
orders (a result that changes with the order is a missing barrier).  A kernel error (a warp
shuffle some lane misses, a barrier part of a block skips, an argument that doesn't match the
kernel's C++ signature) raises EmulatorError.  tests/test_emulator_sanitizers.py reruns
cases under ASan+UBSan and ThreadSanitizer.
"""
import os
import zlib

import numpy as np
import pytest

from gradcore.backend import cupy_backend as cb
from gradcore.backend.numpy_backend import NumpyBackend

from cuda_emu.loader import EmulatorError, EmuLoader, build, have_compiler

pytestmark = [pytest.mark.skipif(not have_compiler(), reason="needs a host C++ compiler (g++)"),
              # float16 references overflow on the large inputs (so do the kernels: inf == inf)
              pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")]

REF = NumpyBackend()
ORDERS = ("forward", "reverse", "random")
# (name, reshape): the backend's own launch shape, one block, and small odd grids of
# narrower blocks (multiples of a warp: the warp-per-row kernels need whole warps)
SHAPES = {
    "backend": None,
    "one-block": lambda name, grid, block: ((1,), block),
    "5x96": lambda name, grid, block: ((5,), (96,)),
    "3x32": lambda name, grid, block: ((3,), (32,)),
}
LAUNCHED = set()


@pytest.fixture(scope="session", autouse=True)
def _prebuild():
    """Build every module once per session, in parallel (cached on disk across sessions)."""
    if not have_compiler():
        return
    from concurrent.futures import ThreadPoolExecutor
    jobs = [(os.path.join(cb.kernels_dir(), f), names)
            for (f, _), names in cb.instantiations().items()]
    with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as ex:
        list(ex.map(lambda j: build(*j), jobs))


@pytest.fixture(params=[(o, s) for o in ORDERS for s in SHAPES],
                ids=lambda p: f"{p[0]}-{p[1]}")
def emu(request):
    order, shape = request.param
    loader = EmuLoader(order=order, seed=zlib.crc32(request.node.name.encode()),
                       reshape=SHAPES[shape])
    prev = cb.set_loader(loader)
    backend = cb.CupyBackend(0, xp=np, sm_count=2)
    backend.loader = loader
    yield backend
    LAUNCHED.update(name for name, _, _ in loader.launches)
    cb.set_loader(prev)


def _arr(rng, shape, dtype=np.float32, positive=False):
    a = np.asarray(rng.standard_normal(shape))
    return (np.abs(a) + 0.5 if positive else a).astype(dtype)


TOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-14}


def _close(got, want, scale=1.0, exact=False):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        if exact:
            np.testing.assert_array_equal(g, w)
            continue
        tol = TOL[w.dtype]
        wf = w.astype(np.float64)
        finite = np.abs(wf[np.isfinite(wf)])
        s = scale * max(1.0, float(finite.max(initial=0.0)))
        np.testing.assert_allclose(g.astype(np.float64), wf, rtol=4 * tol, atol=tol * s)


def _launched(be, *names):
    ran = [n for n, _, _ in be.loader.launches]
    for n in names:
        assert n in ran, f"{n} did not run (ran: {sorted(set(ran))})"


# ---- elementwise -----------------------------------------------------------------------------

UNARY = [("relu_backward", ()), ("sigmoid_backward", ()), ("tanh_backward", ()),
         ("exp_backward", ()), ("log_backward", ()), ("sqrt_backward", ()),
         ("abs_backward", ()), ("sin_backward", ()), ("cos_backward", ()),
         ("pow_backward", (2.5,)), ("pow_backward", (0,)), ("clamp_backward", (-0.5, 0.25)),
         ("leaky_relu_backward", (0.2,)), ("gelu_backward", ("none",)),
         ("gelu_backward", ("tanh",))]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=str)
def test_unary_flat_and_strided(emu, rng, dtype):
    s, gy = _arr(rng, (3, 1037), dtype, positive=True), _arr(rng, (3, 1037), dtype)
    s[0, :4] = [0, -1, 3e3 if dtype == np.float16 else 1e5, 0.25]   # signs, zeros, big angles
    s_view = _arr(rng, (7, 1, 5), dtype, positive=True)[:, :, ::-1]  # broadcast + reversed
    gy_b = _arr(rng, (7, 3, 5), dtype)
    for op, params in UNARY:
        if op == "pow_backward" and dtype == np.float64:
            continue   # the CuPy-ops route (docs/kernels.md)
        src = np.abs(s) + 0.5 if op in ("log_backward", "sqrt_backward", "pow_backward") else s
        _close(getattr(emu, op)(src, gy, *params), getattr(REF, op)(src, gy, *params))
        sv = np.abs(s_view) + 0.5 if op in ("log_backward", "sqrt_backward") else s_view
        _close(getattr(emu, op)(sv, gy_b, *params), getattr(REF, op)(sv, gy_b, *params))
    ct = cb.CTYPES[np.dtype(dtype).char]
    _launched(emu, f"unary_backward<gelu_tanh_backward, {ct}>",
              f"unary_backward_strided<cos_backward, {ct}>")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=str)
def test_binary_pow_where(emu, rng, dtype):
    a, b = _arr(rng, (5, 203), dtype, positive=True), _arr(rng, (5, 203), dtype, positive=True)
    gy = _arr(rng, (5, 203), dtype)
    b[1, :9] = a[1, :9]   # ties
    ab, bb, gyb = _arr(rng, (3, 1, 7), dtype, True), _arr(rng, (4, 7), dtype, True), \
        _arr(rng, (3, 4, 7), dtype)
    for op in cb.BINARY_OPS:
        _close(getattr(emu, op)(a, b, gy), getattr(REF, op)(a, b, gy))
        _close(getattr(emu, op)(ab, bb, gyb), getattr(REF, op)(ab, bb, gyb), scale=8)
        _close(getattr(emu, op)(a.T, b.T, gy.T), getattr(REF, op)(a.T, b.T, gy.T))
    if dtype != np.float64:
        e = _arr(rng, (203,), dtype)
        e[3] = 0
        y = (a ** e).astype(dtype)
        _close(emu.pow_tensor_backward(a, e, y, gy), REF.pow_tensor_backward(a, e, y, gy))
        e2 = np.broadcast_to(e, a.shape).copy()
        _close(emu.pow_tensor_backward(a, e2, y, gy), REF.pow_tensor_backward(a, e2, y, gy))
    cond = rng.random((5, 203)) < 0.5
    _close(emu.where_backward(cond, gy), REF.where_backward(cond, gy), exact=True)
    _close(emu.where_backward(cond[:1], gy), REF.where_backward(cond[:1], gy), exact=True)


# ---- reductions ------------------------------------------------------------------------------

@pytest.mark.parametrize("gshape,shape", [
    ((7, 9001), (7, 1)),        # rows: 3 chunks of 4096, then a second pass
    ((601, 5), (5,)),           # columns: 3 chunks of 256, then a second pass
    ((33, 1), (1,)), ((1, 1, 31), (1,)), ((5, 6, 7), (6, 1)), ((3, 1, 4), (1, 4)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_sum_to(emu, rng, gshape, shape, dtype):
    g = _arr(rng, gshape, dtype)
    want = REF.sum_to(g, shape)
    _close(emu.sum_to(g, shape), want, scale=float(np.abs(g).sum()) / max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=str)
def test_sum_mean_extremum_index(emu, rng, dtype):
    for shape, axes, keepdim in [((5, 7, 3), (1,), False), ((5, 7, 3), (0, 2), True),
                                 ((5, 7, 3), None, False), ((33, 1), (1,), False)]:
        out = tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))
        if not keepdim:
            out = () if axes is None else tuple(n for i, n in enumerate(shape) if i not in axes)
        gy = _arr(rng, out, dtype)
        for fn in ("sum_backward", "mean_backward"):
            _close(getattr(emu, fn)(gy, shape, axes, keepdim),
                   getattr(REF, fn)(gy, shape, axes, keepdim))
    for shape, axes in [((4, 67), (1,)), ((67, 4), (0,)), ((3, 5, 7), (1,)), ((3, 5, 7), None),
                        ((2, 3, 37), (1, 2))]:
        x = rng.integers(0, 3, shape).astype(dtype)   # ties
        y = x.max(axis=axes, keepdims=True)
        gy = _arr(rng, y.shape, dtype)
        _close(emu.extremum_backward(x, y, gy, axes, True),
               REF.extremum_backward(x, y, gy, axes, True))
    x = _arr(rng, (3, 41, 5), dtype)
    for axis in (0, 1, 2):
        idx = x.argmax(axis=axis)
        gy = _arr(rng, idx.shape, dtype)
        _close(emu.index_backward_along(idx, gy, x.shape, axis, False),
               REF.index_backward_along(idx, gy, x.shape, axis, False), exact=True)
    ct = cb.CTYPES[np.dtype(dtype).char]
    _launched(emu, f"expand_scale<{ct}>", f"extremum_backward_rows<{ct}>",
              f"extremum_backward_cols<{ct}>", f"index_backward_along<{ct}>")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_softmax(emu, rng, dtype):
    for shape, axis in [((3, 5, 77), 2), ((3, 77, 5), 1), ((9, 2, 3), 0), ((4, 1), 1)]:
        x = _arr(rng, shape, np.float64)
        y = np.exp(x) / np.exp(x).sum(axis, keepdims=True)
        gy = _arr(rng, shape, dtype)
        for op, yy in (("softmax_backward", y), ("log_softmax_backward", np.log(y))):
            yy = yy.astype(dtype)
            _close(getattr(emu, op)(yy, gy, axis), getattr(REF, op)(yy, gy, axis), scale=4)


# ---- losses and optimizers -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_losses(emu, rng, dtype):
    x, t = _arr(rng, (7, 39), dtype), _arr(rng, (7, 39), dtype)
    for reduction in ("none", "mean", "sum"):
        gy = _arr(rng, (7, 39) if reduction == "none" else (), dtype)
        _close(emu.mse_loss_backward(x, t, gy, reduction),
               REF.mse_loss_backward(x, t, gy, reduction))
        _close(emu.smooth_l1_loss_backward(x, t, gy, reduction, 0.5),
               REF.smooth_l1_loss_backward(x, t, gy, reduction, 0.5))
    for shape in [(5, 7), (7,), (3, 4, 3, 5)]:
        C = shape[1] if len(shape) > 1 else shape[0]
        tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
        target = rng.integers(0, C, tshape).astype(np.int64)
        target.reshape(-1)[0] = -100
        for weighted in (False, True):
            weight = _arr(rng, (C,), dtype, positive=True) if weighted else None
            w = weight[np.clip(target, 0, C - 1)] if weighted else np.ones(target.shape, dtype)
            total = np.asarray(np.where(target != -100, w, 0).sum(), dtype=dtype)
            for reduction in ("none", "mean", "sum"):
                gy = _arr(rng, tshape if reduction == "none" else (), dtype)
                args = (gy, target, weight, total, shape, reduction, -100)
                _close(emu.nll_loss_backward(*args), REF.nll_loss_backward(*args))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_optimizers_exact(emu, rng, dtype):
    """The updates are correctly rounded operation for operation: bit-identical."""
    for momentum, dampening, nesterov, wd, maximize in [(0, 0, False, 0, False),
                                                        (0.9, 0.1, False, 1e-2, True),
                                                        (0.9, 0, True, 1e-2, False)]:
        p, g, buf = (_arr(rng, (3, 347), dtype) for _ in range(3))
        ref = [a.copy() for a in (p, g, buf)]
        for first in (True, False):
            args = (0.1, momentum, dampening, nesterov, wd, maximize, first)
            emu.sgd_step_(p, g, buf if momentum else None, *args)
            REF.sgd_step_(ref[0], ref[1], ref[2] if momentum else None, *args)
            _close(p, ref[0], exact=True)
            _close(buf, ref[2], exact=True)
    for amsgrad, maximize, decoupled, wd, beta1 in [(False, False, False, 0, 0.9),
                                                    (True, True, True, 0.1, 0.2),
                                                    (True, False, False, 0.1, 0.9)]:
        p, g = _arr(rng, (1031,), dtype), _arr(rng, (1031,), dtype)
        m, v, vmax = (np.zeros(1031, dtype) for _ in range(3))
        ref = [a.copy() for a in (p, g, m, v, vmax)]
        for step in (1, 2):
            args = (step, 1e-2, beta1, 0.999, 1e-8, wd, amsgrad, maximize, decoupled)
            emu.adam_step_(p, g, m, v, vmax if amsgrad else None, *args)
            REF.adam_step_(ref[0], ref[1], ref[2], ref[3], ref[4] if amsgrad else None, *args)
            for got, want in zip((p, m, v, vmax), (ref[0], ref[2], ref[3], ref[4])):
                _close(got, want, exact=True)


def _bits(a):
    """An array's bits (float16/bfloat16 compared exactly, whatever NumPy makes of them)."""
    return a.view(np.uint16) if a.itemsize == 2 else a


try:
    from ml_dtypes import bfloat16 as BF16
except ImportError:  # the optional bfloat16 dependency
    BF16 = None


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64] + ([BF16] if BF16 else []),
                         ids=str)
def test_multi_tensor_optimizers_exact(emu, rng, dtype):
    """multi_tensor_sgd / multi_tensor_adam (kernels/multi_tensor.cu) against the reference,
    bit for bit: 38 tensors (more than a table's 32: two launches), one of two chunks, odd
    sizes; Adam with a step count per tensor; float16/bfloat16 in float32, rounded once."""
    sizes = [65536 + 37, 1, 347, 1031] + [3 + i % 5 for i in range(34)]
    n = len(sizes)

    def lists(k):
        return [[_arr(rng, (s,)).astype(dtype) for s in sizes] for _ in range(k)]

    def check(got, want):
        for gl, wl in zip(got, want):
            for g, w in zip(gl, wl):
                np.testing.assert_array_equal(_bits(g), _bits(w))

    ct = cb.CTYPES[np.dtype(dtype).char]
    for momentum, dampening, nesterov, wd, maximize in [(0, 0, False, 0, False),
                                                        (0.9, 0.1, False, 1e-2, True),
                                                        (0.9, 0, True, 1e-2, False)]:
        got = lists(3)
        want = [[a.copy() for a in lst] for lst in got]
        for first in (True, False):
            args = (0.1, momentum, dampening, nesterov, wd, maximize, first)
            before = len(emu.loader.launches)
            emu.multi_tensor_sgd(got[0], got[1], got[2] if momentum else None, *args)
            REF.multi_tensor_sgd(want[0], want[1], want[2] if momentum else None, *args)
            check(got, want)
            assert [x[0] for x in emu.loader.launches[before:]] == \
                [f"multi_tensor_sgd<{ct}>"] * 2
    for amsgrad, maximize, decoupled, wd, beta1 in [(False, False, False, 0, 0.9),
                                                    (True, True, True, 0.1, 0.2),
                                                    (True, False, False, 0.1, 0.9)]:
        got = lists(2) + [[np.zeros(s, dtype) for s in sizes] for _ in range(3)]
        want = [[a.copy() for a in lst] for lst in got]
        for step in (1, 2):
            steps = [float(step + i % 3) for i in range(n)]
            args = (steps, 1e-2, beta1, 0.999, 1e-8, wd, amsgrad, maximize, decoupled)
            emu.multi_tensor_adam(*got[:4], got[4] if amsgrad else None, *args)
            REF.multi_tensor_adam(*want[:4], want[4] if amsgrad else None, *args)
            check(got, want)
    _launched(emu, f"multi_tensor_adam<{ct}>")


# ---- convolution and bias + activation (their cases: tests/test_conv_cuda_kernels.py) -------

@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64] + ([BF16] if BF16 else []),
                         ids=str)
def test_conv_and_bias_act(emu, rng, dtype):
    """kernels/conv.cu (implicit GEMM: forward, input and weight gradients) and
    kernels/bias_act.cu against their references."""
    import test_conv_cuda_kernels as t
    t.conv_cases(emu, rng, dtype)
    t.bias_act_cases(emu, rng, dtype)


# ---- recurrent steps -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=str)
def test_rnn_cells(emu, rng, dtype):
    """lstm/gru_cell_forward/backward: N x H = 5 x 67 (more than a block, not a multiple of
    one), saturated gates (exp(-x) overflowing), each absent-gradient form, and views (made
    contiguous by the launcher)."""
    N, H = 5, 67
    gates, c = _arr(rng, (N, 4 * H), dtype) * 3, _arr(rng, (N, H), dtype)
    gates[0, :4] = [40, -40, 0, -100]
    _close(emu.lstm_cell_forward(gates, c), REF.lstm_cell_forward(gates, c))
    _, _, act = REF.lstm_cell_forward(gates, c)
    gh, gc = _arr(rng, (N, H), dtype), _arr(rng, (N, H), dtype)
    for a, b in ((gh, gc), (gh, None), (None, gc), (gh.T.copy().T, gc[::-1])):
        _close(emu.lstm_cell_backward(a, b, act, c), REF.lstm_cell_backward(a, b, act, c))
    wide = _arr(rng, (N, 8 * H), dtype)[:, ::2]
    _close(emu.lstm_cell_forward(wide, c.T.copy().T), REF.lstm_cell_forward(wide, c))
    xg, hg, h = _arr(rng, (N, 3 * H), dtype) * 3, _arr(rng, (N, 3 * H), dtype), \
        _arr(rng, (N, H), dtype)
    xg[0, :3] = [40, -40, 0]
    _close(emu.gru_cell_forward(xg, hg, h), REF.gru_cell_forward(xg, hg, h))
    _close(emu.gru_cell_forward(xg[::-1], hg, h), REF.gru_cell_forward(xg[::-1], hg, h))
    _, act = REF.gru_cell_forward(xg, hg, h)
    _close(emu.gru_cell_backward(gh, act, hg, h), REF.gru_cell_backward(gh, act, hg, h))
    ct = cb.CTYPES[np.dtype(dtype).char]
    _launched(emu, *(f"{k}<{ct}>" for k in ("lstm_cell_forward", "lstm_cell_backward",
                                            "gru_cell_forward", "gru_cell_backward")))


# ---- the loader itself -----------------------------------------------------------------------

def test_argument_checks_against_the_cpp_signature(rng):
    loader = EmuLoader()
    path = os.path.join(cb.kernels_dir(), cb.ELEMENTWISE)
    mod = loader(path, cb.name_expressions(cb.ELEMENTWISE, "f"), cb.KERNEL_OPTIONS)
    fn = mod.get_function("unary_backward<relu_backward, float>")
    assert fn.signature == ["pf4", "pf4", "pf4", "vi8", "vf4", "vf4"]
    x = _arr(rng, (70,))
    out = np.empty_like(x)
    fn((1,), (64,), (x, x, out, np.int64(70), np.float32(0), np.float32(0)))
    np.testing.assert_array_equal(out, REF.relu_backward(x, x))
    bad = [(x.astype(np.float64), x, out, np.int64(70), np.float32(0), np.float32(0)),
           (x, x, out, np.int32(70), np.float32(0), np.float32(0)),
           (x, x, out, np.int64(70), 0.0, np.float32(0)),         # a Python float is a double
           (x, x, out, x, np.float32(0), np.float32(0)),
           (x, x, out, np.int64(70), np.float32(0))]
    for args in bad:
        with pytest.raises(EmulatorError):
            fn((1,), (64,), args)
    strided = mod.get_function("unary_backward_strided<relu_backward, float>")
    assert strided.signature[3] == f"vs{cb.GEOM.itemsize}"
    with pytest.raises(EmulatorError, match="not among"):
        mod.get_function("unary_backward<relu_backward, double>")


def test_every_instantiation_ran():
    """Taken together, the tests above launched every kernel the backend can load."""
    if not LAUNCHED:
        pytest.skip("runs after the tests above")
    every = {n for names in cb.instantiations().values() for n in names}
    assert every - LAUNCHED == set()


EMULATOR_SELF_TEST = r"""
__global__ void ids(int* out) {   // 2-D grid of 2-D blocks: linear thread id per element
  const int bx = blockIdx.x + gridDim.x * blockIdx.y;
  const int t = threadIdx.x + blockDim.x * threadIdx.y;
  out[bx * blockDim.x * blockDim.y + t] = t + 1000 * bx;
}
__global__ void warp_ops(const float* x, float* out) {  // one warp per 32 outputs, 5 columns
  const unsigned t = threadIdx.x, lane = t & 31;
  const float v = x[t];
  out[t * 5 + 0] = __shfl_xor_sync(0xffffffffu, v, 1);
  out[t * 5 + 1] = __shfl_up_sync(0xffffffffu, v, 3, 8);
  out[t * 5 + 2] = __shfl_down_sync(0xffffffffu, v, 2, 16);
  out[t * 5 + 3] = __shfl_sync(0xffffffffu, v, 5);
  __syncwarp();
  float s = v;
  if (lane < 16) s = __shfl_xor_sync(0x0000ffffu, s, 4, 16);   // half-warp mask
  out[t * 5 + 4] = s;
}
__global__ void atomics(int* counter, unsigned* mx, float* total, int* cas) {
  atomicAdd(counter, 1);
  atomicMax(mx, threadIdx.x + 100u * blockIdx.x);
  atomicAdd(total, 0.5f);
  atomicCAS(cas, 0, (int)threadIdx.x + 1);   // only the first thread to come wins
}
"""


@pytest.mark.parametrize("order", ORDERS)
def test_emulator_dims_shuffles_atomics(tmp_path, order):
    """The header's pieces the gradcore kernels don't use yet: 2-D grids and blocks, every
    shuffle kind with widths and partial masks, __syncwarp, atomics."""
    path = tmp_path / "self_test.cu"
    path.write_text(EMULATOR_SELF_TEST)
    mod = EmuLoader(order=order, seed=3)(str(path), ["ids", "warp_ops", "atomics"])
    out = np.full(3 * 2 * 32, -1, np.int32)
    mod.get_function("ids")((3, 2), (8, 4), (out,))
    np.testing.assert_array_equal(out, (np.arange(32)[None] + 1000 * np.arange(6)[:, None])
                                  .reshape(-1))
    x = np.arange(64, dtype=np.float32)
    res = np.zeros((64, 5), np.float32)
    mod.get_function("warp_ops")((1,), (64,), (x, res))
    lane, base = np.arange(64) % 32, np.arange(64) - np.arange(64) % 32
    np.testing.assert_array_equal(res[:, 0], base + (lane ^ 1))
    up = np.where(lane % 8 >= 3, x - 3, x)
    np.testing.assert_array_equal(res[:, 1], up)
    down = np.where(lane % 16 + 2 < 16, x + 2, x)
    np.testing.assert_array_equal(res[:, 2], down)
    np.testing.assert_array_equal(res[:, 3], base + 5)
    np.testing.assert_array_equal(res[:, 4], np.where(lane < 16, base + (lane ^ 4), x))
    counter, mx = np.zeros(1, np.int32), np.zeros(1, np.uint32)
    total, cas = np.zeros(1, np.float32), np.zeros(1, np.int32)
    mod.get_function("atomics")((4,), (96,), (counter, mx, total, cas))
    assert counter[0] == 384 and mx[0] == 395 and total[0] == 192 and 1 <= cas[0] <= 96
