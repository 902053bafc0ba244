"""Compiled CPU loops through numba, when it is installed (the ``jit`` extra): PyTorch's CPU
random transforms in one pass each, and ``axpy`` (``add(.., alpha=..)``'s fma, for
``ops/scaled_add.py``).

NumPy can only write PyTorch's float32 Box-Muller (``avx_mathfun.py``) as ~70 array passes per
pair of values and its swap shuffle (``mt19937._swap_shuffle``) as pointer doubling; here each
is one loop, compiled on first use (and cached on disk by numba).  Every kernel has its NumPy
twin, which stays the reference and the path without numba: the two give the same bits
(``tests/test_rng_jit.py`` checks them against each other and against torch).  The FMAs are
LLVM's ``fma`` (one rounding, as the FMA instructions PyTorch's GCC build emits); the NumPy
twin emulates them in float64.

``kernels()`` is None when numba is missing or ``GRADCORE_JIT=0``; draws smaller than
``MIN_SIZE`` stay on NumPy (they cost microseconds there, and ``import numba`` ~0.15 s).
"""
import os

import numpy as np

from . import avx_mathfun as _am

MIN_SIZE = 1 << 14
_STATE = {}


def kernels():
    """The compiled kernels (a namespace), or None without numba or with ``GRADCORE_JIT=0``."""
    if "k" not in _STATE:
        _STATE["k"] = None
        if os.environ.get("GRADCORE_JIT", "1") != "0":
            try:
                import numba
            except ImportError:
                pass
            else:
                _STATE["k"] = _build(numba)
    return _STATE["k"]


def _build(numba):
    from types import SimpleNamespace

    from llvmlite import ir
    from numba import njit, types
    from numba.extending import intrinsic

    @intrinsic
    def f2i(typingctx, x):
        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], ir.IntType(32))
        return types.int32(types.float32), codegen

    @intrinsic
    def i2f(typingctx, x):
        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], ir.FloatType())
        return types.float32(types.int32), codegen

    @intrinsic
    def fma(typingctx, a, b, c):
        def codegen(context, builder, sig, args):
            return builder.fma(*args)
        return a(a, a, a), codegen

    f32, i32, u32 = np.float32, np.int32, np.uint32
    ONE, HALF = f32(1.0), f32(0.5)
    MIN_NORM, SQRTHF, FOPI = _am._MIN_NORM, _am._SQRTHF, _am._FOPI
    P0, P1, P2, P3, P4, P5, P6, P7, P8 = _am._LOG_P
    Q1, Q2 = _am._LOG_Q1, _am._LOG_Q2
    DP0, DP1, DP2 = _am._DP
    S0, S1, S2 = _am._SIN_P
    C0, C1, C2 = _am._COS_P
    TWO_PI, M2 = _am.TWO_PI, f32(-2.0)
    U24, MASK24 = f32(2.0 ** -24), u32(0xFFFFFF)
    U53, MASK53, TWO_PI64 = 2.0 ** -53, np.uint64((1 << 53) - 1), 2.0 * np.pi
    opts = dict(nogil=True, error_model="numpy", boundscheck=False, cache=True)

    @njit(inline="always", **opts)
    def log256(x):
        x = x if x > MIN_NORM else MIN_NORM
        bits = f2i(x)
        e = f32((bits >> 23) - 0x7F) + ONE
        bits = (bits & i32(~0x7F800000)) | i32(0x3F000000)
        x = i2f(bits)
        m = -i32(x < SQRTHF)  # AVX's all-ones mask: bit selections keep the loop vectorised
        tmp = i2f(bits & m)
        x = x - ONE
        e = e - i2f(m & i32(0x3F800000))
        x = x + tmp
        z = x * x
        y = fma(x, P0, P1)
        y = fma(y, x, P2)
        y = fma(y, x, P3)
        y = fma(y, x, P4)
        y = fma(y, x, P5)
        y = fma(y, x, P6)
        y = fma(y, x, P7)
        y = fma(y, x, P8)
        y = y * x
        y = fma(y, z, e * Q1)
        y = y - z * HALF
        x = x + y
        return fma(e, Q2, x)

    @njit(inline="always", **opts)
    def sincos256(x):
        xb = f2i(x)
        sign_sin = xb & i32(-0x80000000)
        x = i2f(xb & i32(0x7FFFFFFF))
        j = i32(x * FOPI)
        j = (j + i32(1)) & i32(~1)
        y = f32(j)
        sign_sin = sign_sin ^ ((j & i32(4)) << i32(29))
        poly = ((j & i32(2)) - i32(1)) >> i32(31)  # all ones where j & 2 == 0
        x = fma(y, DP0, x)
        x = fma(y, DP1, x)
        x = fma(y, DP2, x)
        sign_cos = (~(j - i32(2)) & i32(4)) << i32(29)
        z = x * x
        yc = fma(z, C0, C1)
        yc = fma(yc, z, C2)
        yc = yc * z
        yc = fma(yc, z, -(z * HALF))
        yc = yc + ONE
        ys = fma(z, S0, S1)
        ys = fma(ys, z, S2)
        ys = ys * z
        ys = fma(ys, x, x)
        ysb, ycb = f2i(ys), f2i(yc)
        s = (ysb & poly) | (ycb & ~poly)
        c = (ycb & poly) | (ysb & ~poly)
        return i2f(s ^ sign_sin), i2f(c ^ sign_cos)

    @njit(**opts)
    def pairs32(a, b, m, mean, std, oc, os_):
        """The Box-Muller of m pairs of words (contiguous: the loop LLVM vectorises)."""
        for i in range(m):
            u1 = ONE - f32(i32(a[i] & MASK24)) * U24
            u2 = f32(i32(b[i] & MASK24)) * U24
            r = np.sqrt(M2 * log256(u1))
            s, c = sincos256(TWO_PI * u2)
            oc[i] = fma(r * c, std, mean)
            os_[i] = fma(r * s, std, mean)

    @njit(**opts)
    def normal_words32(w, mean, std, out):
        """float32 normals from mt19937 words ``w`` (a multiple of 16): per block of 16,
        u1 = 1 - u24(w[0:8]), u2 = u24(w[8:16]); gathered into cache-sized runs of pairs."""
        run = 2048
        a = np.empty(run, np.uint32)
        b = np.empty(run, np.uint32)
        oc = np.empty(run, np.float32)
        os_ = np.empty(run, np.float32)
        npairs = w.size // 2
        for start in range(0, npairs, run):
            m = min(run, npairs - start)
            for i in range(m):
                p = start + i
                o = ((p >> 3) << 4) | (p & 7)
                a[i] = w[o]
                b[i] = w[o + 8]
            pairs32(a, b, m, mean, std, oc, os_)
            for i in range(m):
                p = start + i
                o = ((p >> 3) << 4) | (p & 7)
                out[o] = oc[i]
                out[o + 8] = os_[i]
        return out

    @njit(**opts)
    def normal_words64(w, mean, std, out):
        """float64 normals from mt19937 words (4 per pair: random64() is two, the first the
        high half): u = (random64() & (2**53 - 1)) * 2**-53, PyTorch's scalar Box-Muller
        per block of 16 with libm's log, cos and sin (as PyTorch's build calls them)."""
        for o in range(0, out.size, 16):
            for k in range(8):
                p, q = 2 * (o + k), 2 * (o + k + 8)
                u1 = np.float64(((np.uint64(w[p]) << np.uint64(32)) | np.uint64(w[p + 1]))
                                & MASK53) * U53
                u2 = np.float64(((np.uint64(w[q]) << np.uint64(32)) | np.uint64(w[q + 1]))
                                & MASK53) * U53
                r = np.sqrt(-2.0 * np.log(1.0 - u1))
                theta = TWO_PI64 * u2
                out[o + k] = fma(r * np.cos(theta), std, mean)
                out[o + k + 8] = fma(r * np.sin(theta), std, mean)
        return out

    @njit(**opts)
    def swap_shuffle(w, n, out):
        """PyTorch's randperm below 2**32 / 20: a[i] <-> a[i + w[i] % (n - i)], i < n - 1."""
        for i in range(n):
            out[i] = i
        for i in range(n - 1):
            z = i + np.int64(w[i] % np.uint32(n - i))
            t = out[i]
            out[i] = out[z]
            out[z] = t
        return out

    @njit(**opts)
    def inside_out(r, out):
        """PyTorch's randperm from 2**32 / 20 up: a[i] = a[r[i]]; a[r[i]] = i."""
        for i in range(r.size):
            z = np.int64(r[i])
            out[i] = out[z]
            out[z] = i
        return out

    # with Intel's SVML numba vectorises log/cos/sin through it, not glibc: not PyTorch's bits
    words64 = None if numba.config.USING_SVML else normal_words64
    @njit(**opts)
    def axpy(a, b, alpha, out):
        """out = a + alpha * b rounded once (1-d float32/float64), as PyTorch's CPU
        add(.., alpha=..): the loop LLVM vectorises into FMA instructions.  The NumPy
        route of ops/scaled_add.py is its twin."""
        for i in range(out.size):
            out[i] = fma(b[i], alpha, a[i])

    return SimpleNamespace(normal_words32=normal_words32, normal_words64=words64,
                           swap_shuffle=swap_shuffle,
                           inside_out=inside_out, axpy=axpy)
