"""PyTorch's vectorised Box-Muller for float32 (``normal_fill_16_AVX2``), on NumPy arrays.

PyTorch's CPU ``normal_`` of a contiguous float32 tensor of 16 or more elements takes uniform
draws in blocks of 16 -- u1 = 1 - d[0:8], u2 = d[8:16] -- and returns
``sqrt(-2 log u1) * (cos, sin)(2 pi u2) * std + mean`` with the float32 polynomials of
``avx_mathfun.h`` (Cephes' logf and sincosf), compiled by GCC, which fuses every multiply whose
only use is an add into one FMA.  These functions repeat those operations in that order: each
fused step is one ``_fma`` (the product exact in float64, one rounding to float32), every other
step a float32 NumPy operation, so the results are PyTorch's bit for bit (checked against
torch in tests/test_rng_parity.py).  Written on ``np``: the CPU generator's transforms only.
"""
import numpy as np

f32, f64 = np.float32, np.float64

_MIN_NORM = f32(1.17549435e-38)
_SQRTHF = f32(0.707106781186547524)
_LOG_P = [f32(c) for c in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                           -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                           2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)]
_LOG_Q1, _LOG_Q2 = f32(-2.12194440e-4), f32(0.693359375)
_FOPI = f32(1.27323954473516)
_DP = [f32(-0.78515625), f32(-2.4187564849853515625e-4), f32(-3.77489497744594108e-8)]
_SIN_P = [f32(-1.9515295891E-4), f32(8.3321608736E-3), f32(-1.6666654611E-1)]
_COS_P = [f32(2.443315711809948E-005), f32(-1.388731625493765E-003),
          f32(4.166664568298827E-002)]
_HALF, _ONE, _ZERO = f32(0.5), f32(1.0), f32(0.0)
TWO_PI = f32(2.0 * np.pi)


def _fma(a, b, c, out=None):
    """float32 a * b + c rounded once (the product of two float32s is exact in float64; the
    float64 sum's own rounding changes the float32 result with probability ~2**-29)."""
    if a.dtype == f64:  # a float64 copy made once for several FMAs
        t = a * b
    else:
        t = a.astype(f64)  # (cheaper than a mixed-type multiply with dtype=float64)
        t *= b  # b: a number, or an array (float64 where it is reused: cheaper)
    t += c
    if out is None:
        return t.astype(f32)
    np.copyto(out, t, casting="same_kind")
    return out


_SIGN = np.int32(-0x80000000)
_ONE_BITS = np.int32(0x3F800000)


def _all_ones(mask):
    """A bool mask as AVX's: int32 -1 where True, 0 where False (selections by bit operations:
    np.where on random masks costs ~15 multiplies)."""
    m = mask.view(np.int8).astype(np.int32)
    np.negative(m, out=m)
    return m


def log256(x):
    """avx_mathfun's log256_ps: natural log of float32 ``x`` > 0."""
    x = np.maximum(x, _MIN_NORM)
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(f32)
    e += _ONE
    bits &= ~0x7F800000
    bits |= 0x3F000000
    mask = _all_ones(x < _SQRTHF)
    tmp = (bits & mask).view(f32)
    x -= _ONE
    e -= (mask & _ONE_BITS).view(f32)
    x += tmp
    z = x * x
    x64 = x.astype(f64)  # the float64 copy the FMAs multiply by (exact)
    y = _fma(x64, _LOG_P[0], _LOG_P[1])
    for p in _LOG_P[2:]:
        _fma(y, x64, p, out=y)
    y *= x
    _fma(y, z.astype(f64), e * _LOG_Q1, out=y)
    z *= _HALF  # z * 0.5 is exact: fused or not, the same
    y -= z
    x += y
    return _fma(e, _LOG_Q2, x)


def sincos256(x):
    """avx_mathfun's sincos256_ps: (sin x, cos x) of float32 ``x``."""
    xb = x.view(np.int32)
    sign_sin = xb & _SIGN
    x = (xb & 0x7FFFFFFF).view(f32)
    j = (x * _FOPI).astype(np.int32)
    j += 1
    j &= ~1
    y = j.astype(f32)
    sign_sin ^= (j & 4) << 29
    poly = ((j & 2) - 1) >> 31  # all ones where j & 2 == 0
    y64 = y.astype(f64)
    for dp in _DP:  # extended-precision reduction: x - y * pi/4 in three parts
        x = _fma(y64, dp, x)
    j -= 2
    np.invert(j, out=j)
    j &= 4
    j <<= 29
    sign_cos = j
    z = x * x
    z64 = z.astype(f64)  # the float64 copy the FMAs multiply by (exact)
    yc = _fma(z64, _COS_P[0], _COS_P[1])
    _fma(yc, z64, _COS_P[2], out=yc)
    yc *= z
    _fma(yc, z64, -(z * _HALF), out=yc)
    yc += _ONE
    ys = _fma(z64, _SIN_P[0], _SIN_P[1])
    _fma(ys, z64, _SIN_P[2], out=ys)
    ys *= z
    _fma(ys, x.astype(f64), x, out=ys)
    ycb, ysb = yc.view(np.int32), ys.view(np.int32)
    other = ~poly
    s = (ysb & poly) | (ycb & other)
    c = (ycb & poly) | (ysb & other)
    s ^= sign_sin
    c ^= sign_cos
    return s.view(f32), c.view(f32)


_CHUNK = 1 << 15  # elements per pass: the temporaries stay in the CPU's cache


def normal_fill_16(u, mean, std):
    """Normals from float32 uniforms ``u`` (a multiple of 16 long), PyTorch's blocks of 16."""
    if u.size <= _CHUNK:
        return _fill(u, mean, std)
    out = np.empty_like(u)
    for i in range(0, u.size, _CHUNK):
        out[i:i + _CHUNK] = _fill(u[i:i + _CHUNK], mean, std)
    return out


def _fill(u, mean, std):
    d = u.reshape(-1, 2, 8)  # per block: u1 = 1 - d[0:8], u2 = d[8:16], each made contiguous
    u1 = np.subtract(_ONE, d[:, 0]).reshape(-1)
    radius = np.sqrt(f32(-2.0) * log256(u1))
    s, c = sincos256(TWO_PI * d[:, 1].reshape(-1))
    out = np.empty_like(d)
    np.multiply(radius.reshape(-1, 8), c.reshape(-1, 8), out=out[:, 0])
    np.multiply(radius.reshape(-1, 8), s.reshape(-1, 8), out=out[:, 1])
    out = out.reshape(-1)
    if mean != 0 or std != 1:
        out = _fma(out, f32(std), f32(mean))
    else:  # fma(x, 1, 0) is x, but for -0.0 (a zero radius times a negative cos): +0.0
        out += _ZERO
    return out
