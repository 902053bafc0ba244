"""Compiled CPU loops (numba, the ``jit`` extra) for the special functions: erf, erfc, lgamma,
digamma, polygamma and erfinv in one pass each.

Their NumPy twins (ops/special.py, ops/unary_math.py) take 20-60 array passes apiece (masked
recurrences, series where they are used, reflections), ~100 us at any size; here each element
runs the same algorithm as scalar code: the same coefficients, the same branches, float64
throughout, so the results agree with the twins' to float64's last bits (libm's exp and log
against NumPy's; tests/test_special_jit.py checks the two against each other at the edges).
The twins stay the reference, the path on CuPy and the path without numba (``GRADCORE_JIT=0``).

This module imports nothing of gradcore's: the callers hand in their constants (a namespace
``C``), so the twins' modules can dispatch here without an import circle.
"""
import math
import os

import numpy as np

_STATE = {}
_FLOATS = (np.float32, np.float64)
# the dtypes numba's loops take (not float16, bfloat16, complex or bool)
LOOP_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16,
                                              np.int32, np.int64, np.uint8, np.uint16,
                                              np.uint32, np.uint64))
FLOAT_DTYPES = frozenset(np.dtype(t) for t in _FLOATS)


def numba_module():
    """numba, or None without it or with ``GRADCORE_JIT=0``."""
    if "numba" not in _STATE:
        _STATE["numba"] = None
        if os.environ.get("GRADCORE_JIT", "1") != "0":
            try:
                import numba
            except ImportError:
                pass
            else:
                _STATE["numba"] = numba
    return _STATE["numba"]


def kernels(family, C):
    """The compiled elementwise kernels of ``family`` ("erf" or "gamma") built from the
    constants ``C`` (a namespace, or a function giving one), or None without numba.  Each takes
    (x, out), contiguous 1-d arrays of the same float dtype (and polygamma its n's tables)."""
    key = "k_" + family
    if key not in _STATE:
        numba = numba_module()
        _STATE[key] = None if numba is None else _BUILDERS[family](
            numba, C() if callable(C) else C)
    return _STATE[key]


def run(kernel, x, *args):
    """``kernel`` over the float32/float64 array ``x`` into a fresh array of its dtype and
    shape (None for other dtypes: the caller takes the twin)."""
    if x.dtype.type not in _FLOATS:
        return None
    out = np.empty(x.shape, x.dtype)
    kernel(np.ascontiguousarray(x).reshape(-1), out.reshape(-1), *args)
    return out


def _polyval_of(njit):
    @njit
    def polyval(x, coefs):
        out = coefs[0]
        for i in range(1, len(coefs)):
            out = out * x + coefs[i]
        return out
    return polyval


def _erf_scalars(njit, C):
    """(erf, erfc) of a float64: ops/special.py's Cephes algorithm, element by element."""
    polyval = _polyval_of(njit)
    T, U, P, Q, R, S = (np.array(c) for c in (C.ERF_T, C.ERF_U, C.ERFC_P, C.ERFC_Q,
                                               C.ERFC_R, C.ERFC_S))

    @njit
    def tail(ax):
        if ax < 8.0:
            return polyval(ax, P) / polyval(ax, Q)
        return polyval(ax, R) / polyval(ax, S)

    @njit
    def erf(x):
        if x != x:
            return x
        ax = min(abs(x), 10.0)  # erf(10) == 1 in float64
        z = ax * ax
        if ax <= 1.0:
            out = ax * polyval(z, T) / polyval(z, U)
        else:
            out = 1.0 - math.exp(-z) * tail(ax)
        return math.copysign(out, x)

    @njit
    def erfc(x):
        if x != x:
            return x
        ax = min(abs(x), 28.0)  # erfc(28) == 0 in float64
        if ax <= 1.0:
            z = ax * ax
            return 1.0 - math.copysign(ax * polyval(z, T) / polyval(z, U), x)
        hi = math.floor(ax * 16.0) / 16.0  # exp(-x**2) through an exact split of x**2
        lo = ax - hi
        upper = math.exp(-hi * hi) * math.exp(-(2.0 * hi + lo) * lo) * tail(ax)
        return 2.0 - upper if x < 0 else upper

    return erf, erfc


def _elementwise(njit, scalar):
    """The loop out[i] = scalar(float64(x[i]))."""
    @njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = scalar(np.float64(x[i]))
    return loop


def _build_erf(numba, C):
    from types import SimpleNamespace
    njit = jit_decorator(numba)
    erf, erfc = _erf_scalars(njit, C)
    return SimpleNamespace(erf=_elementwise(njit, erf), erfc=_elementwise(njit, erfc))


def jit_decorator(numba):
    """numba.njit with the house's options (no GIL, NumPy's error model, cached on disk)."""
    opts = dict(nogil=True, error_model="numpy", boundscheck=False, cache=True)

    def njit(fn):
        return numba.njit(**opts)(fn)
    return njit


def _build_gamma(numba, C):
    from types import SimpleNamespace
    njit = jit_decorator(numba)
    polyval = _polyval_of(njit)
    erf, erfc = _erf_scalars(njit, C)
    LG_A, LG_B, LG_C, TAY1, TAY2, PSI_A, PSI_TAY, GC, GT = (np.array(c) for c in (
        C.LG_A, C.LG_B, C.LG_C, C.LG_TAYLOR1, C.LG_TAYLOR2, C.PSI_A, C.PSI_TAYLOR,
        C.GILES_CENTRAL, C.GILES_TAIL))
    LS2PI, LG_NEAR, LG_TINY, PSI_NEAR = C.LS2PI, C.LG_NEAR, C.LG_TINY, C.PSI_NEAR
    ROOT0, ROOT1, SHIFT = C.PSI_ROOT[0], C.PSI_ROOT[1], C.ZETA_SHIFT
    PI, LOG_PI, SQRT_PI = math.pi, math.log(math.pi), math.sqrt(math.pi)
    INF, NAN = math.inf, math.nan

    @njit
    def sinpi_cospi(a):
        r = a - np.rint(a)  # reduced exactly to [-1/2, 1/2] (np.round's half-even)
        return math.sin(PI * r), math.sin(PI * (0.5 - abs(r)))

    @njit
    def lgamma_positive(t):
        if t < LG_TINY:  # 1 / t overflows
            return -math.log(t)
        if abs(t - 1.0) <= LG_NEAR:  # near the zeros at 1 and 2: Taylor series
            return (t - 1.0) * polyval(t - 1.0, TAY1)
        if abs(t - 2.0) <= LG_NEAR:
            return (t - 2.0) * polyval(t - 2.0, TAY2)
        if t < 13.0:  # recurrence into [2, 3), then the rational approximation
            u, z = t, 1.0
            while u >= 3.0:
                u = u - 1.0
                z = z * u
            while u < 2.0:
                z = z / u
                u = u + 1.0
            w = u - 2.0
            return math.log(z) + w * polyval(w, LG_B) / polyval(w, LG_C)
        if t == INF:
            return INF
        p = 1.0 / (t * t)
        return (t - 0.5) * math.log(t) - t + LS2PI + polyval(p, LG_A) / t

    @njit
    def lgamma(a):
        if a < 0:
            pos = lgamma_positive(1.0 - a)
            s, _ = sinpi_cospi(a)
            if s == 0 or a == -INF:
                return INF
            if a > -LG_TINY:  # sin(pi a) subnormal
                return -math.log(-a)
            return LOG_PI - math.log(abs(s)) - pos
        return lgamma_positive(abs(a))  # -0 as 0

    @njit
    def digamma(a):
        neg = a < 0
        t = 1.0 - a if neg else a
        acc = 0.0
        for _ in range(10):
            if not t < 10.0:
                break
            acc = acc - 1.0 / t
            t = t + 1.0
        z = 1.0 / (t * t)
        pos = acc + math.log(t) - 0.5 / t - (z * polyval(z, PSI_A) if t < 1e17 else 0.0)
        h = (a - ROOT0) - ROOT1  # near the positive zero: Taylor series
        if abs(h) < PSI_NEAR:
            pos = h * polyval(h, PSI_TAY)
        if neg:
            s, c = sinpi_cospi(a)
            return NAN if s == 0 else pos - PI * c / s
        return pos

    @njit
    def hurwitz_zeta(s, q, tail_coefs):
        total = 0.0
        e = -float(s)
        for k in range(SHIFT):
            total = total + (q + k) ** e
        w = q + SHIFT
        if w == INF:
            return total
        iw = 1.0 / w
        return total + w ** e * (w / (s - 1) + 0.5 + iw * polyval(iw * iw, tail_coefs))

    @njit
    def polygamma_loop(x, out, n, fact, pi_n1, tail_coefs, cot_coefs):
        """polygamma(n, x) for n >= 1 (``fact`` = n!, ``pi_n1`` = pi ** (n + 1), the tables
        of zeta(n + 1, .) and P_n: the caller's, as its twin computes them)."""
        sign = 1.0 if n % 2 else -1.0
        for i in range(x.size):
            a = np.float64(x[i])
            neg = a < 0
            pos = sign * fact * hurwitz_zeta(n + 1, 1.0 - a if neg else a, tail_coefs)
            s, c = sinpi_cospi(a)
            if a <= 0 and s == 0:
                out[i] = sign * INF
            elif a == -INF:
                out[i] = NAN
            elif neg:
                out[i] = (-sign) * pos - pi_n1 * polyval(c / s, cot_coefs)
            else:
                out[i] = pos

    @njit
    def erfinv(y):
        ay = abs(y)
        if not ay <= 1.0:
            return NAN
        if ay == 1.0:
            return math.copysign(INF, y)
        w = -math.log((1.0 - ay) * (1.0 + ay))
        if w < 16.0:  # Giles' approximation
            if w < 5.0:
                t = ay * polyval(w - 2.5, GC)
            else:
                t = ay * polyval(math.sqrt(w) - 3.0, GT)
        else:  # far out, erfc(t) ~ exp(-t^2) / (t sqrt(pi))
            q = 1.0 - ay
            t = math.sqrt(-math.log(q))
            for _ in range(2):
                t = math.sqrt(-math.log(q * t * SQRT_PI))
        for _ in range(2):  # Halley steps on erf(t) - |y| = (1 - |y|) - erfc(t)
            r = erf(t) - ay if ay <= 0.5 else (1.0 - ay) - erfc(t)
            delta = r / (2 / SQRT_PI * math.exp(-t * t))
            t = t - delta / (1.0 + t * delta)
        return math.copysign(t, y)

    return SimpleNamespace(lgamma=_elementwise(njit, lgamma),
                           digamma=_elementwise(njit, digamma),
                           erfinv=_elementwise(njit, erfinv), polygamma=polygamma_loop)


_BUILDERS = {"erf": _build_erf, "gamma": _build_gamma}
