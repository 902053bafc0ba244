"""The CuPy backend's RawKernel launches, checked without a GPU or CuPy.

``CupyBackend(0, xp=numpy)`` with a loader (``cupy_backend.set_loader``) that records every
launch and emulates it in NumPy from its raw arguments -- pointers are read at the element
offsets the kernel would read (through the array's first-element address, as a kernel sees
it), outputs are written as the kernel writes them.  So each test checks, per backward kernel
function: which RawKernel runs (name and dtype instantiation, never a silent CuPy-ops route),
the launch shape, that every argument matches the kernel's C signature parsed from kernels/*.cu,
that the geometry and (P, R, Q) views read the right elements, and that the result is the
NumPy reference's.  What it can't check is the CUDA arithmetic itself (tests/test_gpu_kernels.py).
"""
import ctypes
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from gradcore.backend import cupy_backend as cb
from gradcore.backend import multi_tensor as mt
from gradcore.backend.numpy_backend import NumpyBackend
from gradcore.ops.scaled_add import add_scaled

REF = NumpyBackend()
DTYPES = {"gc_half": np.dtype(np.float16), "float": np.dtype(np.float32),
          "double": np.dtype(np.float64)}
try:
    from ml_dtypes import bfloat16 as _bf16
    DTYPES["gc_bfloat16"] = np.dtype(_bf16)
except ImportError:  # the optional bfloat16 dependency
    pass
SM_COUNT = 3  # a small device, so the one-wave grid cap shows


# ---- kernel signatures, from the sources ---------------------------------------------------

def _signatures():
    sigs = {}
    pattern = re.compile(r"__global__\s+void\s+__launch_bounds__\(\w+\)\s+(\w+)\(([^)]*)\)")
    for file in cb.FILES:
        text = open(os.path.join(cb.kernels_dir(), file)).read()
        for name, params in pattern.findall(text.replace("\n", " ")):
            types = []
            for p in params.split(","):
                words = p.replace("__restrict__", "").replace("*", " * ").split()[:-1]
                types.append(" ".join(words).replace(" *", "*"))
            sigs[name] = types
    return sigs


SIGNATURES = _signatures()


def _check_args(kernel, dt, args):
    types = SIGNATURES[kernel]
    assert len(args) == len(types), f"{kernel}: {len(args)} arguments for {types}"
    opmath = np.float32 if dt.char in "eE" else dt.type
    flat = not kernel.endswith("_strided") and kernel != "expand_scale"
    for t, a in zip(types, args):
        where = f"{kernel}: {t} got {type(a).__name__} {getattr(a, 'dtype', '')}"
        if t.endswith("*"):
            assert isinstance(a, np.ndarray) and a.size > 0, where
            want = {"T": dt, "unsigned char": np.bool_, "index_t": np.int64}[
                t.replace("const ", "")[:-1]]
            assert a.dtype == want, where
            if not t.startswith("const") or flat:
                assert a.flags.c_contiguous, where + " (not C-contiguous)"
        elif t == "const Geom":
            assert isinstance(a, np.ndarray) and a.dtype == cb.GEOM and a.shape == (1,), where
        elif t == "const gc_tensor_list":
            assert isinstance(a, np.ndarray) and a.dtype == mt.TENSOR_LIST and a.shape == (1,), \
                where
        else:
            want = {"index_t": np.int64, "int": np.int32, "opmath_t<T>": opmath, "T": dt.type}[t]
            assert type(a) is want, where


# ---- the emulator: reads and writes through raw addresses, as a kernel does ----------------

def _read(a, offsets):
    """Elements of ``a`` at element ``offsets`` from its first element (bounds-checked)."""
    lo, hi = np.lib.array_utils.byte_bounds(a)
    addr = a.__array_interface__["data"][0] + np.asarray(offsets, np.int64) * a.itemsize
    assert (addr >= lo).all() and (addr + a.itemsize <= hi).all(), "read outside the array"
    raw = np.frombuffer((ctypes.c_char * (hi - lo)).from_address(lo), dtype=np.uint8)
    return raw[(addr - lo)[:, None] + np.arange(a.itemsize)].copy().view(a.dtype).reshape(-1)


def _flat(a, n):
    return _read(a, np.arange(n))


def _write(out, n, values):
    assert out.flags.c_contiguous and out.size >= n
    out.reshape(-1)[:n] = values


def geom_offsets(geom, nin):
    """Element offsets of every output element in each input, as gc_offsets computes them."""
    g = geom[0]
    ndim, i = int(g["ndim"]), np.arange(int(g["size"]), dtype=np.int64)
    offs = np.zeros((nin, i.size), np.int64)
    for d in range(ndim):
        n = int(g["shape"][d])
        q = i // n if d + 1 < ndim else np.zeros_like(i)
        offs += (i - q * n) * g["stride"][:nin, d][:, None]
        i = q
    return offs


def _unary_ref(op, s, gy, p0, p1, dt):
    p0, p1 = dt.type(p0), dt.type(p1)
    if op == "gelu_tanh_backward":
        return REF.gelu_backward(s, gy, "tanh")
    extra = {"pow_backward": (p0,), "clamp_backward": (p0, p1), "gelu_backward": ("none",),
             "leaky_relu_backward": (p0,)}.get(op, ())
    return getattr(REF, op)(s, gy, *extra)


def _elementwise(kernel, op, dt, args):
    """unary/binary/pow_tensor/where, flat or strided: gather inputs, run the reference."""
    nin = {"unary": 2, "binary": 3, "pow": 4, "where": 2}[kernel.split("_")[0]]
    nout = 1 if kernel.startswith("unary") else 2
    ins, outs, rest = args[:nin], args[nin:nin + nout], args[nin + nout:]
    if kernel.endswith("_strided"):
        n = int(rest[0][0]["size"])
        offs = geom_offsets(rest[0], nin)
        vals = [_read(a, o) for a, o in zip(ins, offs)]
    else:
        n = int(rest[0])
        vals = [_flat(a, n) for a in ins]
    if kernel.startswith("unary"):
        res = (_unary_ref(op, *vals, rest[1], rest[2], dt),)
    else:
        name = {"binary": op, "pow": "pow_tensor_backward", "where": "where_backward"}[
            kernel.split("_")[0]]
        res = getattr(REF, name)(*vals)
    for o, r in zip(outs, res):
        _write(o, n, r)


def _sum_rows(g, out, units, R, C, chunk):
    P = int(units) // int(C)
    x = _flat(g, P * int(R)).reshape(P, int(R))
    _write(out, int(units), [x[u // C, (u % C) * chunk:min(R, (u % C + 1) * chunk)].sum()
                             for u in range(int(units))])


def _sum_cols(g, out, P, R, Q, C, chunk):
    x = _flat(g, int(P * R * Q)).reshape(int(P), int(R), int(Q))
    res = np.stack([x[:, c * chunk:min(R, (c + 1) * chunk)].sum(axis=1) for c in range(C)], 1)
    _write(out, int(P * C * Q), res.reshape(-1))


def _expand_scale(gy, out, geom, scale):
    n = int(geom[0]["size"])
    _write(out, n, _read(gy, geom_offsets(geom, 1)[0]) * out.dtype.type(scale))


def _extremum(x, y, gy, out, P, R, Q=1):
    xv = _flat(x, int(P * R * Q)).reshape(int(P), int(R), int(Q))
    yv, gv = (_flat(a, int(P * Q)).reshape(int(P), 1, int(Q)) for a in (y, gy))
    mask = xv == yv
    _write(out, xv.size, (gv / mask.sum(axis=1, keepdims=True, dtype=x.dtype) * mask).reshape(-1))


def _index_along(idx, gy, out, P, R, Q):
    iv, gv = (_flat(a, int(P * Q)).reshape(int(P), 1, int(Q)) for a in (idx, gy))
    r = np.arange(int(R)).reshape(1, -1, 1)
    _write(out, int(P * R * Q), np.where(r == iv, gv, 0).astype(gy.dtype).reshape(-1))


def _softmax(op, y, gy, gx, P, R, Q=1):
    shape = (int(P), int(R), int(Q))
    yv, gv = (_flat(a, int(P * R * Q)).reshape(shape) for a in (y, gy))
    _write(gx, yv.size, getattr(REF, op)(yv, gv, 1).reshape(-1))


def _pointwise_loss(op, x, t, gy, gx, n, gy_step, norm, param):
    xv, tv = _flat(x, n), _flat(t, n)
    gv = _flat(gy, n) if gy_step else _flat(gy, 1)[0]
    d = xv - tv if op == "mse_loss_backward" else np.clip((xv - tv) / param, -1, 1)
    _write(gx, n, d * norm * gv)


def _nll(gy, target, weight, tw, gx, N, C, S, ignore, flags):
    N, C, S = int(N), int(C), int(S)
    t = _flat(target, N * S).reshape(N, 1, S)
    w = _flat(weight, C)[np.clip(t, 0, C - 1)] if flags & 1 else np.ones_like(t, gx.dtype)
    g = _flat(gy, N * S).reshape(N, 1, S) if flags & 2 else _flat(gy, 1)[0]
    v = -w * g
    if flags & 4:
        with np.errstate(divide="ignore", invalid="ignore"):  # every target ignored
            v = v / _flat(tw, 1)[0]
    c = np.arange(C).reshape(1, C, 1)
    _write(gx, N * C * S, np.where((c == t) & (t != ignore), v, 0).astype(gx.dtype).reshape(-1))


def _fma(x, y, a):
    """x + a * y rounded once: the kernels' fma(y, a, x)."""
    return add_scaled(np, x, y, a)


def _sgd(p, g, buf, n, wd, momentum, omd, neg_lr, flags):
    pv, d = _flat(p, n), _flat(g, n)
    if flags & 2:
        d = -d
    if flags & 1:
        d = _fma(d, pv, wd)
    if flags & 4:
        if flags & 8:
            b = d
        else:
            b = _flat(buf, n) * momentum
            b = _fma(b, d, omd) if flags & 16 else b + d
        _write(buf, n, b)
        d = _fma(d, b, momentum) if flags & 32 else b
    _write(p, n, _fma(pv, d, neg_lr))


def _adam(p, g, m, v, vmax, n, factor, wd, w, omw, beta2, omb2, bc2, eps, neg_step, flags):
    pv = _flat(p, n) * factor if flags & 1 else _flat(p, n)
    d = _flat(g, n)
    if flags & 4:
        d = -d
    if flags & 2:
        d = _fma(d, pv, wd)
    mv = _flat(m, n)
    mv = mv + (d - mv) * w if flags & 16 else d - (d - mv) * omw
    vv = _flat(v, n) * beta2 + (d * omb2) * d
    second = vv
    if flags & 8:
        second = np.maximum(_flat(vmax, n), vv)
        _write(vmax, n, second)
    _write(p, n, pv + (mv * neg_step) / (np.sqrt(second) / bc2 + eps))
    _write(m, n, mv)
    _write(v, n, vv)


def _multi_tensor(kernel, dt, args):
    """multi_tensor_sgd/adam: each block's chunk of its tensor, read through the table's
    addresses (bounds: the tensor's numel), updated by _sgd/_adam's formulas."""
    tl, nblocks, chunk, *scalars = args
    t, chunk = tl[0], int(chunk)
    for b in range(int(nblocks)):
        j, c = int(t["block_tensor"][b]), int(t["block_chunk"][b])
        lo, numel = c * chunk, int(t["numel"][j])
        assert 0 <= lo < numel
        n = min(numel - lo, chunk)

        def view(k):
            addr = int(t["addr"][k, j]) + lo * dt.itemsize
            return np.frombuffer((ctypes.c_char * (n * dt.itemsize)).from_address(addr), dt)

        if kernel == "multi_tensor_sgd":
            _sgd(view(0), view(1), view(2), n, *scalars)
        else:
            m = type(scalars[0])   # opmath: the per-tensor scalars rounded to it
            factor, wd, w, omw, beta2, omb2, eps, flags = scalars
            _adam(view(0), view(1), view(2), view(3), view(4), n, factor, wd, w, omw, beta2,
                  omb2, m(t["bias_correction2_sqrt"][j]), eps, m(t["neg_step_size"][j]), flags)


EMULATED = {"sum_rows": _sum_rows, "sum_cols": _sum_cols, "expand_scale": _expand_scale,
            "extremum_backward_rows": _extremum, "extremum_backward_cols": _extremum,
            "index_backward_along": _index_along, "nll_loss_backward": _nll,
            "sgd_step": _sgd, "adam_step": _adam}


class Recorder:
    """A loader: records every module load and launch, and runs the emulation."""

    def __init__(self):
        self.loads, self.launches = [], []

    def __call__(self, path, names, options):
        assert os.path.isfile(path) and options == cb.KERNEL_OPTIONS
        self.loads.append((os.path.basename(path), tuple(names)))
        return _Module(self, names)

    def names(self):
        return [launch[0] for launch in self.launches]


class _Module:
    def __init__(self, rec, names):
        self.rec, self.names = rec, names

    def get_function(self, name):
        assert name in self.names, f"{name} was not among the module's name expressions"
        return lambda grid, block, args: self._launch(name, grid, block, args)

    def _launch(self, name, grid, block, args):
        kernel, ops, ctype = re.fullmatch(r"(\w+)<((?:\w+, )?)(\w+)>", name).groups()
        op, dt = ops[:-2] or None, DTYPES[ctype]
        assert block == (cb.THREADS,)
        assert len(grid) == 1 and 1 <= grid[0] <= SM_COUNT * 2048 // cb.THREADS
        _check_args(kernel, dt, args)
        self.rec.launches.append((name, grid, args))
        if kernel in EMULATED:
            EMULATED[kernel](*args)
        elif kernel.startswith("multi_tensor"):
            _multi_tensor(kernel, dt, args)
        elif kernel.startswith("softmax"):
            _softmax(op, *args)
        elif kernel.startswith("pointwise_loss"):
            _pointwise_loss(op, *args)
        else:
            _elementwise(kernel, op, dt, args)


@pytest.fixture
def be():
    rec = Recorder()
    prev = cb.set_loader(rec)
    backend = cb.CupyBackend(0, xp=np, sm_count=SM_COUNT)
    backend.rec = rec
    yield backend
    cb.set_loader(prev)


def _arr(rng, shape, dtype=np.float32, positive=False):
    a = np.asarray(rng.standard_normal(shape))
    return (np.abs(a) + 0.5 if positive else a).astype(dtype)


def _same(got, want, exact=True):
    got, want = (got if isinstance(got, tuple) else (got,)), (
        want if isinstance(want, tuple) else (want,))
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        if exact:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


# ---- elementwise backward ------------------------------------------------------------------

UNARY = [("relu_backward", ()), ("sigmoid_backward", ()), ("tanh_backward", ()),
         ("exp_backward", ()), ("log_backward", ()), ("sqrt_backward", ()),
         ("abs_backward", ()), ("sin_backward", ()), ("cos_backward", ()),
         ("pow_backward", (2.5,)), ("pow_backward", (0,)),
         ("clamp_backward", (-0.5, 0.25)), ("clamp_backward", (None, 0.25)),
         ("clamp_backward", (-1, None)), ("leaky_relu_backward", (0.2,)),
         ("gelu_backward", ("none",)), ("gelu_backward", ("tanh",))]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("op,params", UNARY)
def test_unary_backward_launches_its_kernel(be, rng, op, params, dtype):
    s, gy = _arr(rng, (3, 37), dtype, positive=True), _arr(rng, (3, 37), dtype)
    got = getattr(be, op)(s, gy, *params)
    _same(got, getattr(REF, op)(s, gy, *params))
    kernel = "gelu_tanh_backward" if params == ("tanh",) else op
    ctype = cb.CTYPES[np.dtype(dtype).char]
    if op == "pow_backward" and dtype == np.float64:
        assert be.rec.names() == []  # CUDA's double pow spills: the CuPy-ops route
    else:
        assert be.rec.names() == [f"unary_backward<{kernel}, {ctype}>"]
        assert be.rec.launches[0][2][3] == 3 * 37


def test_unary_strided_reads_views_and_broadcasts(be, rng):
    y = _arr(rng, (5, 8))
    gy = _arr(rng, (8, 5)).T                 # transposed
    got = be.sigmoid_backward(y, gy)
    _same(got, REF.sigmoid_backward(y, gy))
    y2 = _arr(rng, (6, 1, 4))[:, :, ::-1]    # negative stride, broadcast middle dim
    gy2 = _arr(rng, (6, 3, 4))
    _same(be.exp_backward(y2, gy2), REF.exp_backward(y2, gy2))
    assert be.rec.names() == ["unary_backward_strided<sigmoid_backward, float>",
                              "unary_backward_strided<exp_backward, float>"]


@pytest.mark.parametrize("op", cb.BINARY_OPS)
def test_binary_backward_one_kernel_two_gradients(be, rng, op):
    a, b, gy = _arr(rng, (4, 33), positive=True), _arr(rng, (4, 33), positive=True), \
        _arr(rng, (4, 33))
    b[0, :5] = a[0, :5]  # ties for maximum/minimum
    _same(getattr(be, op)(a, b, gy), getattr(REF, op)(a, b, gy))
    assert be.rec.names() == [f"binary_backward<{op}, float>"]


@pytest.mark.parametrize("op", cb.BINARY_OPS)
def test_binary_backward_broadcasting(be, rng, op):
    a = _arr(rng, (3, 1, 5), np.float64, positive=True)
    b = _arr(rng, (4, 5), np.float64, positive=True)
    gy = _arr(rng, (3, 4, 5), np.float64)
    got = getattr(be, op)(a, b, gy)
    _same(got, getattr(REF, op)(a, b, gy))
    assert got[0].shape == (3, 4, 5)
    assert be.rec.names() == [f"binary_backward_strided<{op}, double>"]


def test_pow_tensor_and_where(be, rng):
    a, b = _arr(rng, (2, 9), positive=True), _arr(rng, (9,))
    b[3] = 0
    y, gy = a ** b, _arr(rng, (2, 9))
    _same(be.pow_tensor_backward(a, b, y, gy), REF.pow_tensor_backward(a, b, y, gy))
    cond = rng.random((2, 9)) < 0.5
    _same(be.where_backward(cond, gy), REF.where_backward(cond, gy))
    _same(be.where_backward(cond[:1], gy), REF.where_backward(cond[:1], gy))
    assert be.rec.names() == ["pow_tensor_backward_strided<float>", "where_backward<float>",
                              "where_backward_strided<float>"]


def test_geometry_collapses_and_matches_numpy_strides(rng):
    base = np.zeros((4, 6, 10), np.float32)
    cases = [
        ((4, 6, 10), [base, base]),                                   # flat
        ((4, 6, 10), [base.transpose(0, 2, 1).copy().transpose(0, 2, 1), base]),
        ((4, 6, 10), [base[:, :, ::-1], base[:1]]),
        ((2, 4, 6, 10), [base[None, :1, :, :], base, base[:, :1, :1]]),
        ((6, 5), [base[0, :, ::2], base[1, :, 1::2]]),
    ]
    for shape, arrays in cases:
        kind, geom = cb.elementwise_plan(shape, arrays)
        if kind == "flat":
            assert all(a.flags.c_contiguous and a.shape == shape for a in arrays)
            continue
        assert int(geom[0]["size"]) == int(np.prod(shape))
        offs = geom_offsets(geom, len(arrays))
        idx = np.indices(shape).reshape(len(shape), -1)
        for k, a in enumerate(arrays):
            b = np.broadcast_to(a, shape)
            want = sum(idx[d] * (b.strides[d] // b.itemsize) for d in range(len(shape)))
            np.testing.assert_array_equal(offs[k], want)
    # dims that merge collapse: a C-contiguous (4, 6, 10) broadcast over nothing is 1-D
    kind, geom = cb.elementwise_plan((4, 6, 10), [base, base[:, :, :1]])
    assert kind == "strided" and int(geom[0]["ndim"]) == 2


def test_fallbacks_are_explicit(be, rng):
    """Unusual dtypes and layouts take the CuPy-ops route (no launch) with the reference's
    answer: ints, mixed dtypes, double pow, clamp with tensor bounds, > 6 dims."""
    i = np.arange(6, dtype=np.int32).reshape(2, 3)
    _same(be.relu_backward(i, i), REF.relu_backward(i, i))
    x32, x64 = _arr(rng, (2, 3)), _arr(rng, (2, 3), np.float64)
    _same(be.mul_backward(x32, x64, x64), REF.mul_backward(x32, x64, x64))
    pos = np.abs(x64) + 0.5
    _same(be.pow_tensor_backward(pos, pos, pos, pos), REF.pow_tensor_backward(pos, pos, pos, pos))
    lo = _arr(rng, (2, 3))
    _same(be.clamp_backward(x32, x32, lo, None), REF.clamp_backward(x32, x32, lo, None))
    big = _arr(rng, (2,) * 7)
    odd = big.T  # reversed strides: no two dims merge, 7 > MAX_DIMS
    _same(be.tanh_backward(odd, big), REF.tanh_backward(odd, big))
    assert be.rec.names() == []
    empty = np.zeros((0, 3), np.float32)
    _same(be.relu_backward(empty, empty), REF.relu_backward(empty, empty))
    assert be.rec.names() == []


# ---- reduction backward --------------------------------------------------------------------

@pytest.mark.parametrize("gshape,shape,passes", [
    ((6, 10000), (6, 1), ["sum_rows<float>", "sum_rows<float>"]),     # 3 chunks, then 1
    ((700, 7), (7,), ["sum_cols<float>", "sum_cols<float>"]),         # 3 chunks down columns
    ((50000,), (), ["sum_rows<float>"] * 2),                           # 13 chunks, then 1
    ((3, 4, 5), (4, 1), ["sum_rows<float>", "sum_cols<float>"]),      # two reduced groups
    ((2, 1, 3), (1, 3), ["sum_cols<float>"]),
])
def test_sum_to_passes(be, rng, gshape, shape, passes):
    g = _arr(rng, gshape)
    got = be.sum_to(g, shape)
    _same(got, REF.sum_to(g, shape), exact=False)
    names = be.rec.names()
    assert names[:len(passes)] == passes and len(names) == len(passes)


def test_sum_to_edge_routes(be, rng):
    g = _arr(rng, (4, 5))
    assert be.sum_to(g, (4, 5)) is g
    _same(be.sum_to(g.T, (5, 1)), REF.sum_to(g.T, (5, 1)), exact=False)  # made contiguous
    h = g.astype(np.float16)
    _same(be.sum_to(h, (5,)), REF.sum_to(h, (5,)))                        # half: CuPy ops
    one = _arr(rng, (1, 5))
    out = be.sum_to(one, (5,))
    _same(out, REF.sum_to(one, (5,)))
    assert not np.shares_memory(out, one)
    assert be.rec.names() == ["sum_rows<float>"]


def test_sum_to_chunks_depend_on_the_shape_only(be, rng):
    """The summation order is fixed by the launch: same shape, same passes, grids, chunks."""
    def passes():
        return [(name, grid, [a for a in args if not isinstance(a, np.ndarray)])
                for name, grid, args in be.rec.launches]
    be.sum_to(_arr(rng, (3000, 9)), (9,))
    first = passes()
    be.rec.launches.clear()
    be.sum_to(_arr(rng, (3000, 9)) * 7, (9,))
    assert passes() == first and len(first) == 2


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape,axes,keepdim", [
    ((4, 5, 6), (1,), False), ((4, 5, 6), (0, 2), True), ((4, 5, 6), None, False),
    ((3, 1), (1,), False)])
def test_sum_and_mean_backward(be, rng, shape, axes, keepdim, dtype):
    out_shape = tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))
    if not keepdim:
        out_shape = () if axes is None else tuple(n for i, n in enumerate(shape) if i not in axes)
    gy = _arr(rng, out_shape, dtype)
    for fn in ("sum_backward", "mean_backward"):
        _same(getattr(be, fn)(gy, shape, axes, keepdim), getattr(REF, fn)(gy, shape, axes, keepdim))
    assert be.rec.names() == [f"expand_scale<{cb.CTYPES[np.dtype(dtype).char]}>"] * 2


@pytest.mark.parametrize("shape,axes,kernel", [
    ((4, 6), (1,), "rows"), ((6, 4), (0,), "cols"), ((3, 4, 5), (1,), "cols"),
    ((3, 4, 5), None, "rows"), ((2, 3, 4), (1, 2), "rows")])
def test_extremum_backward_shares_ties(be, rng, shape, axes, kernel):
    x = rng.integers(0, 3, shape).astype(np.float32)   # plenty of ties
    y = x.max(axis=axes, keepdims=True)
    gy = _arr(rng, y.shape)
    _same(be.extremum_backward(x, y, gy, axes, True), REF.extremum_backward(x, y, gy, axes, True))
    assert be.rec.names() == [f"extremum_backward_{kernel}<float>"]


def test_extremum_over_separate_dims_takes_cupy_ops(be, rng):
    x = _arr(rng, (3, 4, 5))
    y = x.max(axis=(0, 2))
    gy = _arr(rng, y.shape)
    _same(be.extremum_backward(x, y, gy, (0, 2), False),
          REF.extremum_backward(x, y, gy, (0, 2), False))
    assert be.rec.names() == []


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("keepdim", [False, True])
def test_index_backward_along(be, rng, axis, keepdim):
    x = _arr(rng, (3, 4, 5))
    idx = x.argmax(axis=axis)
    gy = _arr(rng, idx.shape)
    if keepdim:
        idx, gy = np.expand_dims(idx, axis), np.expand_dims(gy, axis)
    _same(be.index_backward_along(idx, gy, x.shape, axis, keepdim),
          REF.index_backward_along(idx, gy, x.shape, axis, keepdim))
    assert be.rec.names() == ["index_backward_along<float>"]


@pytest.mark.parametrize("op", cb.SOFTMAX_OPS)
@pytest.mark.parametrize("axis,kernel", [(2, "rows"), (1, "cols"), (0, "cols")])
def test_softmax_backward(be, rng, op, axis, kernel):
    x = _arr(rng, (3, 4, 5), np.float64)
    y = np.exp(x) / np.exp(x).sum(axis, keepdims=True)
    y = np.log(y) if op == "log_softmax_backward" else y
    gy = _arr(rng, y.shape, np.float64)
    _same(getattr(be, op)(y, gy, axis), getattr(REF, op)(y, gy, axis))
    _same(getattr(be, op)(y.T.copy().T, gy, axis), getattr(REF, op)(y, gy, axis))
    assert be.rec.names() == [f"softmax_{kernel}<{op}, double>"] * 2


# ---- loss backward -------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_pointwise_loss_backward(be, rng, reduction):
    x, t = _arr(rng, (4, 7)), _arr(rng, (4, 7))
    gy = _arr(rng, (4, 7) if reduction == "none" else ())
    _same(be.mse_loss_backward(x, t, gy, reduction), REF.mse_loss_backward(x, t, gy, reduction))
    _same(be.smooth_l1_loss_backward(x, t, gy, reduction, 0.5),
          REF.smooth_l1_loss_backward(x, t, gy, reduction, 0.5))
    assert be.rec.names() == ["pointwise_loss_backward<mse_loss_backward, float>",
                              "pointwise_loss_backward<smooth_l1_loss_backward, float>"]


@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 4, 2, 2)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_backward(be, rng, shape, reduction, weighted):
    C = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    target = rng.integers(0, C, tshape).astype(np.int64)
    target.reshape(-1)[0] = -100  # ignored
    weight = _arr(rng, (C,), positive=True) if weighted else None
    gy = _arr(rng, tshape if reduction == "none" else ())
    w = weight[np.clip(target, 0, C - 1)] if weighted else np.ones(target.shape, np.float32)
    total = np.asarray(np.where(target != -100, w, 0).sum(), dtype=np.float32)
    args = (gy, target, weight, total, shape, reduction, -100)
    _same(be.nll_loss_backward(*args), REF.nll_loss_backward(*args))
    assert be.rec.names() == ["nll_loss_backward<float>"]


# ---- optimizer updates ---------------------------------------------------------------------

def _state(rng, dtype, *shapes):
    return [_arr(rng, s, dtype) for s in shapes]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum,dampening,nesterov,weight_decay,maximize", [
    (0, 0, False, 0, False), (0.9, 0, False, 0, False), (0.9, 0.1, False, 1e-2, True),
    (0.9, 0, True, 1e-2, False), (0, 0, False, 1e-2, True)])
def test_sgd_step_matches_reference_exactly(be, rng, dtype, momentum, dampening, nesterov,
                                            weight_decay, maximize):
    p, g, buf = _state(rng, dtype, (3, 11), (3, 11), (3, 11))
    ref = [a.copy() for a in (p, g, buf)]
    for first in (True, False, False):
        args = (0.1, momentum, dampening, nesterov, weight_decay, maximize, first)
        be.sgd_step_(p, g, buf if momentum else None, *args)
        REF.sgd_step_(ref[0], ref[1], ref[2] if momentum else None, *args)
        np.testing.assert_array_equal(p, ref[0])
        np.testing.assert_array_equal(buf, ref[2])
    assert be.rec.names() == [f"sgd_step<{cb.CTYPES[np.dtype(dtype).char]}>"] * 3


@pytest.mark.parametrize("amsgrad,maximize,decoupled,weight_decay", [
    (False, False, False, 0), (True, False, False, 0.1), (False, True, True, 0.1),
    (True, True, False, 0.1)])
@pytest.mark.parametrize("beta1", [0.9, 0.2])
def test_adam_step_matches_reference_exactly(be, rng, amsgrad, maximize, decoupled,
                                             weight_decay, beta1):
    p, g = _state(rng, np.float32, (5, 3), (5, 3))
    m, v, vmax = np.zeros((5, 3), np.float32), np.zeros((5, 3), np.float32), \
        np.zeros((5, 3), np.float32)
    ref = [a.copy() for a in (p, g, m, v, vmax)]
    for step in (1, 2, 3):
        args = (step, 1e-2, beta1, 0.999, 1e-8, weight_decay, amsgrad, maximize, decoupled)
        be.adam_step_(p, g, m, v, vmax if amsgrad else None, *args)
        REF.adam_step_(ref[0], ref[1], ref[2], ref[3], ref[4] if amsgrad else None, *args)
        for got, want in zip((p, m, v, vmax), (ref[0], ref[2], ref[3], ref[4])):
            np.testing.assert_array_equal(got, want)
    assert be.rec.names() == ["adam_step<float>"] * 3


def test_optimizer_fallbacks(be, rng):
    """A non-contiguous parameter or state, or half precision: the CuPy-ops route."""
    big = _arr(rng, (4, 8))
    p, g = big[:, ::2], _arr(rng, (4, 4))
    want = p.copy()
    be.sgd_step_(p, g, None, 0.1, 0, 0, False, 0, False, True)
    REF.sgd_step_(want, g, None, 0.1, 0, 0, False, 0, False, True)
    np.testing.assert_array_equal(p, want)
    h, hg = _arr(rng, (3,), np.float16), _arr(rng, (3,), np.float16)
    be.sgd_step_(h, hg, None, 0.1, 0, 0, False, 0, False, True)
    gt = _arr(rng, (4, 8)).T   # a transposed gradient is made contiguous instead
    q = _arr(rng, (8, 4))
    be.sgd_step_(q, gt, None, 0.1, 0, 0, False, 0, False, True)
    assert be.rec.names() == ["sgd_step<float>"]
    assert be.rec.launches[0][2][1].flags.c_contiguous


# ---- the loader seam -----------------------------------------------------------------------

def test_modules_load_once_per_file_and_dtype(be, rng):
    x32, x64 = _arr(rng, (8,)), _arr(rng, (8,), np.float64)
    be.relu_backward(x32, x32)
    be.tanh_backward(x32, x32)
    be.relu_backward(x64, x64)
    be.sum_to(_arr(rng, (3, 8)), (8,))
    def first(names):  # the instantiation that made the module load
        return next(n for n in names if n.startswith(("unary_backward<relu", "sum_rows<")))
    assert [(f, first(n)) for f, n in be.rec.loads] == [
        (cb.ELEMENTWISE, "unary_backward<relu_backward, float>"),
        (cb.ELEMENTWISE, "unary_backward<relu_backward, double>"),
        (cb.REDUCTION, "sum_rows<float>")]
    for (file, names) in be.rec.loads:
        char = {"float": "f", "double": "d"}[re.search(r"(\w+)>$", first(names)).group(1)]
        assert names == cb.name_expressions(file, char)


def test_grid_is_one_wave_of_resident_blocks():
    class Fn:
        def __init__(self, regs):
            self.attributes = {"num_regs": regs}
    assert [cb._blocks_per_sm(Fn(r)) for r in (16, 32, 33, 40, 64, 128, 255)] == \
        [8, 8, 6, 6, 4, 2, 1]
    assert cb._blocks_per_sm(object()) == 2048 // cb.THREADS


def test_backend_without_cupy_or_gpu():
    code = ("import sys, numpy, gradcore; from gradcore.backend import cupy_backend as cb; "
            "b = cb.CupyBackend(0, xp=numpy); assert str(b.device) == 'cuda:0'; "
            "assert 'cupy' not in sys.modules, 'cupy imported'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


# ---- the whole engine on an emulated cuda:0 ------------------------------------------------

@pytest.fixture
def emulated_cuda(be, monkeypatch):
    """cuda:0 served by the emulating backend: Tensors on 'cuda' run every RawKernel route."""
    from gradcore import backend
    monkeypatch.setitem(backend._built, ("cuda", 0), be)
    return be


def test_engine_on_emulated_cuda_matches_cpu(emulated_cuda):
    from test_gpu_kernels import second_derivatives, train_small_mlp
    for c, g in zip(second_derivatives("cpu"), second_derivatives("cuda")):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)
    for foreach in (None, False):   # one multi-tensor launch per step, or one per parameter
        before = len(emulated_cuda.rec.launches)
        for c, g in zip(train_small_mlp("cpu", foreach=foreach),
                        train_small_mlp("cuda", foreach=foreach)):
            np.testing.assert_allclose(g, c, rtol=1e-9, atol=1e-12)
        names = emulated_cuda.rec.names()[before:]
        kernels = ("sgd_step<double>", "adam_step<double>") if foreach is False else \
            ("multi_tensor_sgd<double>", "multi_tensor_adam<double>")
        per_step = 4 if foreach is False else 1   # 4 parameters
        assert [names.count(k) for k in kernels] == [3 * per_step] * 2   # 3 steps
    assert {"unary_backward<sigmoid_backward, double>", "unary_backward<relu_backward, double>",
            "unary_backward<gelu_backward, double>", "binary_backward<maximum_backward, double>",
            "binary_backward_strided<div_backward, double>", "sum_cols<double>",
            "softmax_rows<softmax_backward, double>", "expand_scale<double>",
            "softmax_cols<log_softmax_backward, double>",
            "pointwise_loss_backward<mse_loss_backward, double>",
            "nll_loss_backward<double>"} <= set(emulated_cuda.rec.names())


def test_cpu_scalar_tensor_joins_an_op_on_cuda(emulated_cuda, torch):
    # PyTorch lets a 0-d CPU tensor take part in a CUDA op, as a Python scalar would; its
    # gradient comes back to the CPU.  A 1-d CPU tensor is still refused.  (The values are
    # checked against PyTorch on the CPU: what differs on cuda is only where they live.)
    import gradcore
    got = []
    for lib, dev in ((gradcore, "cuda"), (torch, "cpu")):
        x = lib.tensor([1.0, 2.0, 4.0], device=dev, requires_grad=True)
        s = lib.tensor(3.0, requires_grad=True)
        y = lib.where(x > 1.5, x * s + s, s - x)
        assert y.device.type == dev
        (y * y).sum().backward()
        assert s.grad.device.type == "cpu" and x.grad.device.type == dev
        got.append((y.tolist(), x.grad.tolist(), s.grad.item()))
    assert got[0] == got[1]
    x = gradcore.ones(2, device="cuda")
    for bad in (gradcore.ones(2), gradcore.ones(1)):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, "
                                               "but found at least two devices, cuda:0 and "
                                               "cpu!"):
            x + bad


def test_cpu_scalar_tensor_as_the_target_of_an_in_place_op_with_cuda_is_refused(emulated_cuda):
    # only inputs may be CPU scalars: s.add_(cuda tensor) would write a CUDA result into s
    import gradcore
    s = gradcore.tensor(2.0)
    c = gradcore.tensor(3.0, device="cuda")
    for op in (lambda: s.add_(c), lambda: s.mul_(c), lambda: s.clamp_(max=c)):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            op()
    assert s.item() == 2.0
    s.copy_(c)  # copy_ moves its source first, as PyTorch's does
    assert s.item() == 3.0 and s.device.type == "cpu"
