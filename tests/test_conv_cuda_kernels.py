"""kernels/conv.cu (implicit-GEMM convolution) and kernels/bias_act.cu (a GEMM's bias +
activation epilogue) on CUDA, without a GPU.

- ``conv_cases`` / ``bias_act_cases``: each kernel of a ``CupyBackend(0, xp=numpy)`` whose
  loader runs the real .cu source on the CPU (tests/cuda_emu) against the NumPy reference
  (the im2col path; ops/bias_act.py) -- odd sizes, groups, stride 2, dilation 2, asymmetric
  padding, 1x1, batch 1, 1-d and 3-d, a weight gradient cut in several chunks, every
  activation.  tests/test_emulator_kernels.py runs them in every thread order and launch
  shape, tests/cuda_emu/run_case.py under ASan+UBSan and TSan.
- Here: the routes (which kernel runs, which declines), launch-shape independence (bit for
  bit), the ConvGeom layout against the .cu struct, and whole convolutions -- forward,
  backward, double backward, conv_transpose -- through gradcore on an emulated ``cuda:0``
  against PyTorch.
- ``gpu``-marked: the same on a real GPU (skipped here).
"""
import math
import os
import re

import numpy as np
import pytest

import gradcore
from gradcore.backend import bias_act_launch, conv_launch
from gradcore.backend import cupy_backend as cb
from gradcore.backend.numpy_backend import NumpyBackend
from gradcore.ops.conv import _ConvGeom

from cuda_emu.loader import EmuLoader, have_compiler

REF = NumpyBackend()
# about 10 ulp of 1 in float16/bfloat16 (their results are rounded once from float32 sums in
# another order), a few float32/float64 roundings of the largest term otherwise
TOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-14}
try:
    from ml_dtypes import bfloat16 as BF16
    TOL[np.dtype(BF16)] = 8e-2
except ImportError:  # the optional bfloat16 dependency
    BF16 = None
DTYPES = [np.float16, np.float32, np.float64] + ([BF16] if BF16 else [])

needs_compiler = pytest.mark.skipif(not have_compiler(), reason="needs a host C++ compiler (g++)")

# (x shape, w shape, stride, pads (before, after per dim), dilation, groups)
CONV_CASES = [
    ((2, 6, 9, 7), (4, 3, 3, 2), (2, 1), (1, 1, 0, 0), (2, 1), 2),   # groups, stride, dilation
    ((1, 3, 5, 5), (5, 3, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),   # 1x1, batch 1
    ((3, 4, 8, 11), (6, 4, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),  # several column tiles
    ((2, 2, 5, 5), (70, 2, 1, 3), (1, 2), (1, 0, 0, 1), (1, 1), 1),  # > 64 rows, asymmetric pad
    ((2, 1, 20, 25), (2, 1, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),  # weight grad: 3 chunks
    ((2, 3, 17), (4, 3, 3), (2,), (2, 2), (2,), 1),                  # 1-d
    ((1, 4, 5, 4, 6), (2, 2, 2, 3, 2), (1, 2, 1), (1, 1, 0, 0, 1, 1), (1, 1, 2), 2),  # 3-d
]
ACTS = ("none", "relu", "gelu", "gelu_tanh")


def _close(got, want, scale=1.0):
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape,
                                                                 got.dtype, want.dtype)
    tol = TOL[want.dtype]
    wf = want.astype(np.float64)
    finite = np.abs(wf[np.isfinite(wf)])   # the scale: the largest finite value
    s = scale * max(1.0, float(finite.max(initial=0.0)))
    np.testing.assert_allclose(got.astype(np.float64), wf, rtol=4 * tol, atol=tol * s)


def _launched(be, *names):
    ran = {n for n, _, _ in be.loader.launches}
    for n in names:
        assert n in ran, f"{n} did not run (ran: {sorted(ran)})"


def conv_cases(emu, rng, dtype):
    """Each case's three kernels against the im2col reference (the bias on every other)."""
    ct = cb.CTYPES[np.dtype(dtype).char]
    for i, (xs, ws, stride, pads, dil, g) in enumerate(CONV_CASES):
        geom = _ConvGeom(stride, pads, dil, g)
        x = rng.standard_normal(xs).astype(dtype)
        w = rng.standard_normal(ws).astype(dtype)
        b = rng.standard_normal(ws[0]).astype(dtype) if i % 2 == 0 else None
        y = emu.conv_forward(x, w, b, geom)
        _close(y, REF.conv_forward(x, w, b, geom), math.sqrt(math.prod(ws[1:])))
        gy = rng.standard_normal(y.shape).astype(dtype)
        _close(emu.conv_input_grad(gy, w, geom, xs), REF.conv_input_grad(gy, w, geom, xs),
               math.sqrt(ws[0] // g * math.prod(ws[2:])))
        depth = xs[0] * math.prod(y.shape[2:])
        _close(emu.conv_weight_grad(x, gy, geom, ws), REF.conv_weight_grad(x, gy, geom, ws),
               math.sqrt(depth))
    _launched(emu, f"conv_forward<{ct}>", f"conv_input_grad<{ct}>", f"conv_weight_grad<{ct}>")


def bias_act_cases(emu, rng, dtype):
    """Both bias_act kernels, every activation, against the reference; the forward leaves
    the pre-activation in x (the backward's input for gelu)."""
    ct = cb.CTYPES[np.dtype(dtype).char]
    for rows, cols in ((3, 37), (600, 5)):   # (600, 5): the bias sums in 3 chunks of rows
        x = (rng.standard_normal((rows, cols)) * 2).astype(dtype)
        x[0, :3] = [0, -0.0, np.nan]
        b = rng.standard_normal(cols).astype(dtype)
        gy = rng.standard_normal((rows, cols)).astype(dtype)
        for act in ACTS:
            y_ref, pre_ref = REF.bias_act_forward(x, b, act)
            xk = x.copy()
            y, pre = emu.bias_act_forward(xk, b, act)
            _close(y, y_ref)
            assert pre.dtype == pre_ref.dtype
            # (as float32: NumPy 2.2's assert_array_equal does not see bfloat16 NaNs as equal)
            np.testing.assert_array_equal(pre.astype(np.float32), pre_ref.astype(np.float32))
            if act != "none":
                assert pre is xk   # written in place
            s = None if act == "none" else (y_ref if act == "relu" else pre_ref)
            gx_ref, gb_ref = REF.bias_act_backward(gy, s, act)
            gx, gb = emu.bias_act_backward(gy, s, act)
            _close(gx, gx_ref)
            _close(gb, gb_ref, math.sqrt(rows))
    _launched(emu, f"bias_act_forward<{ct}>", f"bias_act_backward<{ct}>")


# ---- here: one thread order, routes, launch-shape independence --------------------------------

@pytest.fixture
def emu():
    loader = EmuLoader(order="random", seed=11)
    prev = cb.set_loader(loader)
    be = cb.CupyBackend(0, xp=np, sm_count=2)
    be.loader = loader
    yield be
    cb.set_loader(prev)


@needs_compiler
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_kernels_against_the_reference(emu, rng, dtype):
    conv_cases(emu, rng, dtype)
    bias_act_cases(emu, rng, dtype)


@needs_compiler
def test_results_do_not_depend_on_the_launch_shape(rng):
    """The depth is summed in one order whatever the grid and block (tiles of 4 * blockDim/16
    rows): every launch shape gives the same bits, also for the chunked weight gradient."""
    xs, ws, stride, pads, dil, g = CONV_CASES[4]
    geom = _ConvGeom(stride, pads, dil, g)
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    gy = rng.standard_normal((2, 2, 20, 25)).astype(np.float32)
    assert conv_launch.weight_split(2, 9, 1, 1000) == (3, 336)
    outs = []
    for order, reshape in [("forward", None), ("reverse", lambda n, gr, bl: ((1,), (32,))),
                           ("random", lambda n, gr, bl: ((7,), (96,)))]:
        prev = cb.set_loader(EmuLoader(order=order, seed=2, reshape=reshape))
        try:
            be = cb.CupyBackend(0, xp=np, sm_count=2)
            outs.append((be.conv_forward(x, w, None, geom), be.conv_input_grad(gy, w, geom, xs),
                         be.conv_weight_grad(x, gy, geom, ws)))
        finally:
            cb.set_loader(prev)
    for other in outs[1:]:
        for a, b in zip(outs[0], other):
            np.testing.assert_array_equal(a, b)


class _Recorder:
    """A loader whose kernels record their launch and do nothing (routes only)."""

    def __init__(self):
        self.launches = []

    def __call__(self, path, names, options):
        rec = self

        class Module:
            def get_function(self, name):
                return lambda grid, block, args, shared_mem=0: rec.launches.append(name)
        return Module()


def test_routes_and_declines():
    """float16/32/64 and bfloat16 launch; mixed dtypes, integers and empty tensors take the
    reference."""
    rec = _Recorder()
    prev = cb.set_loader(rec)
    try:
        be = cb.CupyBackend(0, xp=np, sm_count=2)
        geom = _ConvGeom((1, 1), (0, 0, 0, 0), (1, 1), 1)
        x, w = np.ones((1, 2, 4, 4), np.float32), np.ones((3, 2, 3, 3), np.float32)
        be.conv_forward(x, w, None, geom)
        assert rec.launches == ["conv_forward<float>"]
        rec.launches.clear()
        for a, b in [(x, w.astype(np.float64)), (x[:0], w),
                     (x.astype(np.int64), w.astype(np.int64))]:
            np.testing.assert_array_equal(be.conv_forward(a, b, None, geom),
                                          REF.conv_forward(a, b, None, geom))
        xi, bi = x[0, 0].astype(np.int64), x[0, 0, 0].astype(np.int64)
        np.testing.assert_array_equal(be.bias_act_forward(xi, bi, "relu")[0],
                                      REF.bias_act_forward(xi, bi, "relu")[0])
        assert rec.launches == []
        if BF16 is not None:
            be.conv_forward(x.astype(BF16), w.astype(BF16), None, geom)
            be.bias_act_forward(x[0, 0].astype(BF16), x[0, 0, 0].astype(BF16), "relu")
            assert rec.launches == ["conv_forward<gc_bfloat16>",
                                    "bias_act_forward<gc_bfloat16>"]
    finally:
        cb.set_loader(prev)


def test_weight_split_depends_on_the_shape_only():
    for rows, cols, g, depth in [(6, 36, 1, 264), (512, 4608, 1, 4096), (16, 27, 1, 65536),
                                 (4, 1, 8, 7)]:
        splits, chunk = conv_launch.weight_split(rows, cols, g, depth)
        assert chunk % conv_launch.STEP == 0 and splits * chunk >= depth
        assert (splits - 1) * chunk < depth
        assert splits == 1 or chunk >= conv_launch.MIN_CHUNK
        assert conv_launch.weight_split(rows, cols, g, depth) == (splits, chunk)


def test_conv_geom_matches_the_cu_struct():
    text = open(os.path.join(cb.kernels_dir(), conv_launch.CONV)).read()
    body = re.search(r"struct ConvGeom \{(.*?)\};", text, re.S).group(1)
    fields = [f for line in body.splitlines() for f in
              re.findall(r"(\w+)[,;]", line.split("//")[0].replace("index_t", ""))]
    assert tuple(fields) == conv_launch.CONV_GEOM.names
    assert conv_launch.CONV_GEOM.itemsize == 8 * len(fields)
    consts = dict(re.findall(r"#define (GC_CONV_\w+) (\d+)", text))
    assert int(consts["GC_CONV_BK"]) == conv_launch.STEP
    assert int(consts["GC_CONV_BM"]) == conv_launch.TILE_M
    assert int(consts["GC_CONV_BN"]) == conv_launch.TILE_N
    acts = dict(re.findall(r"#define GC_ACT_(\w+) (\d+)",
                           open(os.path.join(cb.kernels_dir(), bias_act_launch.BIAS_ACT)).read()))
    assert {k.lower(): int(v) for k, v in acts.items()} == bias_act_launch.ACTS


# ---- whole convolutions on an emulated cuda:0, against PyTorch ---------------------------------

@pytest.fixture
def emulated_cuda(monkeypatch):
    from gradcore import backend
    loader = EmuLoader(order="random", seed=5)
    prev = cb.set_loader(loader)
    be = cb.CupyBackend(0, xp=np, sm_count=2)
    be.loader = loader
    # CupyBackend.index_add_ is cupyx's scatter (CuPy arrays only): NumPy's stands in
    monkeypatch.setattr(be, "index_add_", NumpyBackend.index_add_.__get__(be))
    monkeypatch.setitem(backend._built, ("cuda", 0), be)
    yield be
    cb.set_loader(prev)


CALLS = [  # (function, x shape, w shape, kwargs)
    ("conv2d", (2, 4, 7, 6), (6, 2, 3, 2), dict(stride=2, padding=1, dilation=(1, 2), groups=2)),
    ("conv1d", (1, 3, 11), (5, 3, 3), dict(padding="same", dilation=2)),
    ("conv3d", (2, 2, 4, 5, 3), (3, 2, 2, 3, 1), dict(stride=(1, 2, 1), padding=1)),
    ("conv_transpose2d", (2, 4, 5, 4), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
]


@needs_compiler
@pytest.mark.parametrize("fn, xs, ws, kw", CALLS, ids=[c[0] for c in CALLS])
def test_convolutions_on_emulated_cuda_match_torch(emulated_cuda, torch, rng, fn, xs, ws, kw):
    _against_torch(torch, rng, fn, xs, ws, kw)
    ran = {n for n, _, _ in emulated_cuda.loader.launches}
    # (conv_transpose: its forward is conv_input_grad, its input gradient conv_forward)
    want = {"conv_forward<double>", "conv_input_grad<double>", "conv_weight_grad<double>"}
    assert want <= ran, sorted(ran)


@pytest.mark.gpu
@pytest.mark.parametrize("fn, xs, ws, kw", CALLS, ids=[c[0] for c in CALLS])
def test_convolutions_on_the_gpu_match_torch(torch, rng, fn, xs, ws, kw):
    pytest.importorskip("cupy")
    _against_torch(torch, rng, fn, xs, ws, kw)


def _against_torch(torch, rng, fn, xs, ws, kw):
    """fn on gradcore's cuda:0 against PyTorch's CPU: output and the three gradients."""
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(
        ws[1] * kw.get("groups", 1) if "transpose" in fn else ws[0])
    gy_seed = np.random.default_rng(3)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = getattr(torch.nn.functional, fn)(tx, tw, tb, **kw)
    gy = gy_seed.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(gy))
    gx, gw, gb = (gradcore.tensor(a, device="cuda", requires_grad=True) for a in (x, w, b))
    y = getattr(gradcore.nn.functional, fn)(gx, gw, gb, **kw)
    assert y.device.type == "cuda" and y.grad_fn.name() == "ConvolutionBackward0"
    y.backward(gradcore.tensor(gy, device="cuda"))
    for got, want in [(y, ty), (gx.grad, tx.grad), (gw.grad, tw.grad), (gb.grad, tb.grad)]:
        np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(),
                                   rtol=1e-12, atol=1e-12)


@needs_compiler
def test_double_backward_on_emulated_cuda(emulated_cuda, torch, rng):
    """create_graph through the kernels: the gradient's gradient is PyTorch's."""
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    res = []
    for lib, dev in ((torch, "cpu"), (gradcore, "cuda")):
        a = lib.tensor(x, requires_grad=True, device=dev)
        k = lib.tensor(w, requires_grad=True, device=dev)
        y = lib.nn.functional.conv2d(a, k, stride=2, padding=1)
        g, = lib.autograd.grad((y * y).sum(), a, create_graph=True)
        (g * g).sum().backward()
        res.append([t.detach().cpu().numpy() for t in (g, a.grad, k.grad)])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)


# ---- on a real GPU ------------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_kernels_on_the_gpu(rng, dtype):
    cupy = pytest.importorskip("cupy")
    be = cb.CupyBackend(0)

    class OnGpu:   # the cases' backend, its arrays moved to the GPU and back
        def __getattr__(self, name):
            fn = getattr(be, name)

            def call(*args):
                out = fn(*(cupy.asarray(a) if isinstance(a, np.ndarray) else a for a in args))
                return (tuple(cupy.asnumpy(o) for o in out) if isinstance(out, tuple)
                        else cupy.asnumpy(out))
            return call

    gpu = OnGpu()
    for xs, ws, stride, pads, dil, g in CONV_CASES:
        geom = _ConvGeom(stride, pads, dil, g)
        x = rng.standard_normal(xs).astype(dtype)
        w = rng.standard_normal(ws).astype(dtype)
        y = gpu.conv_forward(x, w, None, geom)
        _close(y, REF.conv_forward(x, w, None, geom), math.sqrt(math.prod(ws[1:])))
        gy = rng.standard_normal(y.shape).astype(dtype)
        _close(gpu.conv_input_grad(gy, w, geom, xs), REF.conv_input_grad(gy, w, geom, xs),
               math.sqrt(ws[0] // g * math.prod(ws[2:])))
        _close(gpu.conv_weight_grad(x, gy, geom, ws), REF.conv_weight_grad(x, gy, geom, ws),
               math.sqrt(xs[0] * math.prod(y.shape[2:])))
    for act in ACTS:  # bias_act_cases' checks but the in-place one (the arrays are copies)
        x = (rng.standard_normal((600, 37)) * 2).astype(dtype)
        b = rng.standard_normal(37).astype(dtype)
        gy = rng.standard_normal(x.shape).astype(dtype)
        y_ref, pre_ref = REF.bias_act_forward(x, b, act)
        y, pre = gpu.bias_act_forward(x, b, act)
        _close(y, y_ref)
        np.testing.assert_array_equal(pre.astype(np.float32), pre_ref.astype(np.float32))
        s = None if act == "none" else (y_ref if act == "relu" else pre_ref)
        gx_ref, gb_ref = REF.bias_act_backward(gy, s, act)
        gx, gb = gpu.bias_act_backward(gy, s, act)
        _close(gx, gx_ref)
        _close(gb, gb_ref, math.sqrt(600))
