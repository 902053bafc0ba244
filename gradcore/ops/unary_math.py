"""Unary elementwise math beyond elementwise.py's: logs and exponentials (log1p, expm1, log2,
log10, exp2), trigonometric and hyperbolic functions and their inverses, logit,
deg2rad/rad2deg, frac, sgn, sinc, nan_to_num, positive and the special functions (erfinv,
lgamma, digamma, polygamma, i0).

The ops without parameters are declared once (ops/declare.py); logit(eps), polygamma(n) and
nan_to_num(nan, posinf, neginf) are ArrayFunctions (their in-place forms: ``INPLACE``).  NumPy
has no lgamma, digamma, polygamma, erfinv or i1 (and gradcore does not need SciPy): they are
written here over ``xp``, evaluated in float64 for every dtype -- Cephes' lgam (S. L. Moshier,
public domain) with reflection and Taylor series at the zeros 1 and 2, digamma by recurrence,
asymptotic series, reflection and a Taylor series at its positive zero, polygamma by the
Hurwitz zeta function (Euler-Maclaurin) with reflection, erfinv by Giles' approximation refined
by Halley steps on erf/erfc, i1 by Cephes' Chebyshev series.  Within a few ulp of mpmath for
positive arguments (tests/test_unary_math.py); below 0 the reflections cancel near the zeros.
On NumPy float32/float64 arrays lgamma, digamma, polygamma and erfinv run the same algorithms
as compiled loops when numba is installed (ops/special_jit.py); the ``_*_twin`` array code here
is their reference, CuPy's path and the path without numba.
"""
import collections
import functools
import math
from fractions import Fraction
from types import SimpleNamespace

import numpy as np

from .. import _dtype
from .._autocast import FP32, autocast_declared
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from .declare import OPS, TENSOR, unary
from .special import (ERF_CONSTANTS, _erf_twin, _erfc_twin, _polyval, compiled, erf_array,
                      erfc_array, with_kernel)

_PI = math.pi
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_SQRT_PI_2 = math.sqrt(math.pi) / 2


def _quiet(fn):
    """``fn(xp, x, ...)`` in float64 with NumPy's floating-point warnings off, cast back to x's
    dtype (inf and nan are the answers at poles and outside the domain, as PyTorch's)."""
    @functools.wraps(fn)
    def wrapped(xp, x, *args):
        with np.errstate(all="ignore"):
            return fn(xp, x.astype(np.float64), *args).astype(x.dtype, copy=False)
    return wrapped


def _np(name):
    """The forward ``xp.<name>(x)``, its warnings off (log of 0, arcsin of 2 ...), float16 and
    bfloat16 in float32 as PyTorch computes them (sinc's pi * x, deg2rad's constant, rounded
    once)."""
    def call(xp, a):
        return getattr(xp, name)(a)

    def forward(xp, x):
        with np.errstate(all="ignore"):
            return _dtype.in_opmath(call, xp, x)
    forward.__name__ = name
    return forward


def _op(F, name, x):
    """The op ``name`` in a derivative's vocabulary: gradcore's on Tensors, xp's on arrays."""
    return OPS[name].function(x) if F is TENSOR else getattr(F, name)(x)


def _floating(x):
    """Integer and bool tensors in the default float dtype (PyTorch's rule for these ops)."""
    return x if _dtype.is_floating(x._arr.dtype) else x.to(_dtype.get_default_dtype())


def _sinpi_cospi(xp, a):
    """(sin(pi a), cos(pi a)) with the argument reduced exactly to [-1/2, 1/2] first: exact
    zeros at integers and half-integers, full accuracy for large |a|."""
    r = a - xp.round(a)
    return xp.sin(_PI * r), xp.sin(_PI * (0.5 - xp.abs(r)))


def _series_where(xp, near, z, coefs, out):
    """``out`` (a fresh array or a NumPy scalar) with z * polynomial(z) where ``near``: a Taylor
    series, computed only where it is used."""
    out = xp.asarray(out)
    zn = z[near]
    out[near] = zn * _polyval(zn, coefs)
    return out


# ---- lgamma: Cephes' lgam ---------------------------------------------------------------------

_LG_A = (8.11614167470508450300E-4, -5.95061904284301438324E-4, 7.93650340457716943945E-4,
         -2.77777777730099687205E-3, 8.33333333333331927722E-2)
_LG_B = (-1.37825152569120859100E3, -3.88016315134637840924E4, -3.31612992738871184744E5,
         -1.16237097492762307383E6, -1.72173700820839662146E6, -8.53555664245765465627E5)
_LG_C = (1.0, -3.51815701436523470549E2, -1.70642106651881159223E4,
         -2.20528590553854454839E5, -1.13933444367982507207E6, -2.53252307177582951285E6,
         -2.01889141433532773231E6)
_LS2PI = 0.91893853320467274178  # log(sqrt(2 pi))


_LG_NEAR = 0.5  # |x - 1|, |x - 2| below which lgamma is its Taylor series
_LG_TINY = 1e-300  # below: lgamma(t) = -log(t) (Euler's gamma * t is far below its ulp)
_EULER_GAMMA = 0.5772156649015329


@functools.lru_cache(maxsize=None)
def _lg_taylor(q):
    """lgamma(q + z) / z for q = 1 or 2: psi(q) + sum over k >= 2 of (-1)^k zeta(k, q) / k
    z^(k-1) (to 0.5^65, below float64's precision), highest power first."""
    ks = range(66, 1, -1)
    return tuple((-1.0) ** k * float(_hurwitz_zeta(np, k, np.full((), float(q)))) / k
                 for k in ks) + (q - 1 - _EULER_GAMMA,)


def _lgamma_positive(xp, t):
    """log|Gamma(t)| for t >= 0 (inf at 0 and inf): below 13 by recurrence into [2, 3) and a
    rational approximation there, above by Stirling's series."""
    small = t < 13.0
    u = xp.where(small, t, 2.5)
    z = xp.ones_like(t)
    for _ in range(11):  # down into [2, 3): z = (u - 1)(u - 2)...
        m = u >= 3.0
        u = xp.where(m, u - 1.0, u)
        z = xp.where(m, z * u, z)
    for _ in range(2):  # up from (0, 2): z = 1 / (u (u + 1))
        m = u < 2.0
        z = xp.where(m, z / u, z)
        u = xp.where(m, u + 1.0, u)
    w = u - 2.0
    low = xp.log(z) + w * _polyval(w, _LG_B) / _polyval(w, _LG_C)
    big = xp.where(small, 13.0, t)
    p = 1.0 / (big * big)
    high = (big - 0.5) * xp.log(big) - big + _LS2PI + _polyval(p, _LG_A) / big
    out = xp.where(small, low, xp.where(t == np.inf, np.inf, high))
    for q in (2, 1):  # near the zeros at 1 and 2, where the above cancels
        out = _series_where(xp, xp.abs(t - q) <= _LG_NEAR, t - q, _lg_taylor(q), out)
    return xp.where(t < _LG_TINY, -xp.log(t), out)  # 1 / t overflows: -log(t) - gamma t


@_quiet
def _lgamma_twin(xp, a):
    """log|Gamma(a)| (inf at the poles 0, -1, -2 ... and at -inf), with the reflection
    log(pi / |sin(pi a)|) - lgamma(1 - a) below 0."""
    neg = a < 0
    pos = _lgamma_positive(xp, xp.where(neg, 1.0 - a, xp.abs(a)))  # -0 as 0
    s, _ = _sinpi_cospi(xp, a)
    refl = xp.where(a > -_LG_TINY, -xp.log(-a), math.log(_PI) - xp.log(xp.abs(s)) - pos)
    return xp.where(neg, xp.where((s == 0) | (a == -np.inf), np.inf, refl), pos)


# ---- digamma ------------------------------------------------------------------------------

_PSI_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
          -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
          8.33333333333333333333E-2)
_PSI_ROOT = (1.4616321449683622, 9.549995429965697e-17)  # psi's positive zero, hi + lo
_PSI_NEAR = 0.5


@functools.lru_cache(maxsize=None)
def _psi_taylor():
    """psi(x0 + h) / h = sum over k >= 1 of psi_k(x0) / k! h^(k-1) at psi's zero x0 (to
    (0.5 / x0)^36, below float64's precision), highest power first."""
    x0 = np.full((), _PSI_ROOT[0])
    return tuple(float(_polygamma_twin(np, x0, k)) / math.factorial(k) for k in range(36, 0, -1))


@_quiet
def _digamma_twin(xp, a):
    """psi(a) = Gamma'(a) / Gamma(a): -1/t recurrence up to t >= 10, then the asymptotic
    series; psi(1 - a) - pi cot(pi a) below 0.  -inf at +0, inf at -0, nan at the negative
    integers and -inf (PyTorch's values)."""
    neg = a < 0
    t = xp.where(neg, 1.0 - a, a)
    acc = xp.zeros_like(t)
    for _ in range(10):
        m = t < 10.0
        acc = xp.where(m, acc - 1.0 / t, acc)
        t = xp.where(m, t + 1.0, t)
    z = 1.0 / (t * t)
    pos = acc + xp.log(t) - 0.5 / t - xp.where(t < 1e17, z * _polyval(z, _PSI_A), 0.0)
    h = (a - _PSI_ROOT[0]) - _PSI_ROOT[1]  # near the positive zero, where the above cancels
    pos = _series_where(xp, xp.abs(h) < _PSI_NEAR, h, _psi_taylor(), pos)
    s, c = _sinpi_cospi(xp, a)
    refl = xp.where(s == 0, np.nan, pos - _PI * c / s)
    return xp.where(neg, refl, pos)


# ---- polygamma: the Hurwitz zeta function ------------------------------------------------

_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30),
              Fraction(5, 66), Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510),
              Fraction(43867, 798), Fraction(-174611, 330), Fraction(854513, 138),
              Fraction(-236364091, 2730))  # B_2, B_4, ... B_24
_ZETA_SHIFT = 10  # terms summed directly before Euler-Maclaurin's tail


@functools.lru_cache(maxsize=None)
def _zeta_tail_coefs(s):
    """Euler-Maclaurin's coefficients for zeta(s, w): B_2j / (2j)! * s (s+1) ... (s+2j-2),
    highest j first (as a polynomial in 1 / w**2)."""
    out, rising = [], Fraction(1)
    for j, b in enumerate(_BERNOULLI, 1):
        rising *= (s + 2 * j - 3) * (s + 2 * j - 2) if j > 1 else s
        out.append(float(b / math.factorial(2 * j) * rising))
    return tuple(reversed(out))


def _hurwitz_zeta(xp, s, q):
    """zeta(s, q) = sum over k >= 0 of (q + k) ** -s for an integer s >= 2 and q >= 0: ten terms
    directly, then w ** (1 - s) / (s - 1) + w ** -s / 2 + the Bernoulli series at w = q + 10."""
    total = xp.zeros_like(q)
    for k in range(_ZETA_SHIFT):
        total = total + (q + k) ** -s
    w = q + _ZETA_SHIFT
    b = w ** -s
    iw = 1.0 / w
    tail = b * (w / (s - 1) + 0.5 + iw * _polyval(iw * iw, _zeta_tail_coefs(s)))
    return total + xp.where(w == np.inf, 0.0, tail)


@functools.lru_cache(maxsize=None)
def _cot_derivative(n):
    """Coefficients (highest power first) of P_n with d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x)):
    P_0(c) = c, P_k+1(c) = -(1 + c^2) P_k'(c)."""
    p = [0, 1]  # lowest power first
    for _ in range(n):
        d = [k * p[k] for k in range(1, len(p))] or [0]
        p = [-(d[k] if k < len(d) else 0) - (d[k - 2] if 2 <= k < len(d) + 2 else 0)
             for k in range(len(d) + 2)]
    return tuple(float(c) for c in reversed(p))


@_quiet
def _polygamma_twin(xp, a, n):
    """The n-th derivative of digamma: (-1)^(n+1) n! zeta(n + 1, a) for a > 0; below 0 the
    reflection (-1)^n psi_n(1 - a) - pi^(n+1) P_n(cot(pi a)); (-1)^(n+1) inf at the poles
    0, -1, -2 ... (PyTorch's sign), nan at -inf."""
    if n == 0:
        return _digamma_twin(xp, a)
    fact = float(math.factorial(n)) if n <= 170 else np.inf
    sign = 1.0 if n % 2 else -1.0
    neg = a < 0
    pos = sign * fact * _hurwitz_zeta(xp, n + 1, xp.where(neg, 1.0 - a, a))
    s, c = _sinpi_cospi(xp, a)
    refl = (-sign) * pos - _PI ** (n + 1) * _polyval(c / s, _cot_derivative(n))
    pole = (a <= 0) & (s == 0)
    out = xp.where(neg, refl, pos)
    return xp.where(pole, sign * np.inf, xp.where(a == -np.inf, np.nan, out))


# ---- erfinv: Giles' approximation, refined ---------------------------------------------

_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
               0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


@_quiet
def _erfinv_twin(xp, y):
    """The inverse of erf on [-1, 1] (+-inf at +-1, nan beyond): Giles' single-precision
    approximation (M. Giles, "Approximating the erfinv function", 2010), then Halley steps on
    erf(t) - |y| = (1 - |y|) - erfc(t) (exact where erf(t) is near 1), with y's sign."""
    ay = xp.abs(y)
    w = -xp.log((1.0 - ay) * (1.0 + ay))
    t = ay * xp.where(w < 5.0, _polyval(w - 2.5, _GILES_CENTRAL),
                      _polyval(xp.sqrt(xp.maximum(w, 5.0)) - 3.0, _GILES_TAIL))
    q = xp.where(w < 16.0, 0.5, 1.0 - ay)  # far out, erfc(t) ~ exp(-t^2) / (t sqrt(pi)):
    far = xp.sqrt(-xp.log(q))
    for _ in range(2):
        far = xp.sqrt(-xp.log(q * far * math.sqrt(math.pi)))
    t = xp.where(ay < 1.0, xp.where(w < 16.0, t, far), 0.0)  # no inf or nan in the steps
    for _ in range(2):
        r = xp.where(ay <= 0.5, _erf_twin(xp, t) - ay, (1.0 - ay) - _erfc_twin(xp, t))
        delta = r / (2 / math.sqrt(math.pi) * xp.exp(-t * t))
        t = t - delta / (1.0 + t * delta)  # Halley: erf'' / erf' = -2 t
    t = xp.where(ay == 1.0, np.inf, xp.where(ay < 1.0, t, np.nan))
    return xp.copysign(t, y)


# ---- the compiled loops (ops/special_jit.py), the twins above as their reference ----------

def _gamma_constants():
    """The constants of the twins, for the compiled kernels (built on first use)."""
    return SimpleNamespace(
        LG_A=_LG_A, LG_B=_LG_B, LG_C=_LG_C, LG_TAYLOR1=_lg_taylor(1), LG_TAYLOR2=_lg_taylor(2),
        LS2PI=_LS2PI, LG_NEAR=_LG_NEAR, LG_TINY=_LG_TINY, PSI_A=_PSI_A, PSI_TAYLOR=_psi_taylor(),
        PSI_ROOT=_PSI_ROOT, PSI_NEAR=_PSI_NEAR, ZETA_SHIFT=_ZETA_SHIFT,
        GILES_CENTRAL=_GILES_CENTRAL, GILES_TAIL=_GILES_TAIL, **vars(ERF_CONSTANTS))


lgamma_array = with_kernel(compiled("gamma", "lgamma", _gamma_constants), _lgamma_twin)
digamma_array = with_kernel(compiled("gamma", "digamma", _gamma_constants), _digamma_twin)
erfinv_array = with_kernel(compiled("gamma", "erfinv", _gamma_constants), _erfinv_twin)
_polygamma_kernel = compiled("gamma", "polygamma", _gamma_constants)


def polygamma_array(xp, a, n):
    """polygamma(n, a) on arrays: the compiled loop where there is one, else the twin
    ``_polygamma_twin``."""
    if n == 0:
        return digamma_array(xp, a)
    fact = float(math.factorial(n)) if n <= 170 else np.inf
    out = _polygamma_kernel(xp, a, n, fact, _PI ** (n + 1),
                            np.array(_zeta_tail_coefs(n + 1)), np.array(_cot_derivative(n)))
    return _polygamma_twin(xp, a, n) if out is None else out


# ---- i0, i1: modified Bessel functions of the first kind ---------------------------------------

_I1_A = (2.77791411276104639959E-18, -2.11142121435816608115E-17, 1.55363195773620046921E-16,
         -1.10559694773538630805E-15, 7.60068429473540693410E-15, -5.04218550472791168711E-14,
         3.22379336594557470981E-13, -1.98397439776494371520E-12, 1.17361862988909016308E-11,
         -6.66348972350202774223E-11, 3.62559028155211703701E-10, -1.88724975172282928790E-9,
         9.38153738649577178388E-9, -4.44505912879632808065E-8, 2.00329475355213526229E-7,
         -8.56872026469545474066E-7, 3.47025130813767847674E-6, -1.32731636560394358279E-5,
         4.78156510755005422638E-5, -1.61760815825896745588E-4, 5.12285956168575772895E-4,
         -1.51357245063125314899E-3, 4.15642294431288815669E-3, -1.05640848946261981558E-2,
         2.47264490306265168283E-2, -5.29459812080949914269E-2, 1.02643658689847095384E-1,
         -1.76416518357834055153E-1, 2.52587186443633654823E-1)
_I1_B = (7.51729631084210481353E-18, 4.41434832307170791151E-18, -4.65030536848935832153E-17,
         -3.20952592199342395980E-17, 2.96262899764595013876E-16, 3.30820231092092828324E-16,
         -1.88035477551078244854E-15, -3.81440307243700780478E-15, 1.04202769841288027642E-14,
         4.27244001671195135429E-14, -2.10154184277266431302E-14, -4.08355111109219731823E-13,
         -7.19855177624590851209E-13, 2.03562854414708950722E-12, 1.41258074366137813316E-11,
         3.25260358301548823856E-11, -1.89749581235054123450E-11, -5.58974346219658380687E-10,
         -3.83538038596423702205E-9, -2.63146884688951950684E-8, -2.51223623787020892529E-7,
         -3.88256480887769039346E-6, -1.10588938762623716291E-4, -9.76109749136146840777E-3,
         7.78576235018280120474E-1)


def _chbevl(x, coefs):
    """Cephes' Chebyshev series (coefficients highest first, the constant term halved)."""
    b0, b1, b2 = coefs[0], 0.0, 0.0
    for c in coefs[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


@_quiet
def i0_array(xp, x):
    return xp.i0(x)


@_quiet
def i1_array(xp, x):
    """I1(x), odd: exp(|x|) times Cephes' series for exp(-x) I1(x) / x on [0, 8] and for
    sqrt(x) exp(-x) I1(x) beyond (nan at +-inf, as i0's)."""
    ax = xp.abs(x)
    low = _chbevl(xp.minimum(ax, 8.0) / 2.0 - 2.0, _I1_A) * ax
    big = xp.maximum(ax, 8.0)
    high = _chbevl(32.0 / big - 2.0, _I1_B) / xp.sqrt(big)
    out = xp.exp(ax) * xp.where(ax <= 8.0, low, high)
    return xp.where(ax == np.inf, np.nan, xp.copysign(out, x))


class I1(ArrayFunction):
    """I1(x), the derivative of i0 (torch.special.i1); its own derivative is i0(x) - i1(x) / x
    (1/2 at 0)."""
    node_name = "SpecialI1Backward0"
    save_output = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return i1_array(x._be.xp, x._arr)

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        safe = TENSOR.where(x == 0, 1.0, x)
        return gy * TENSOR.where(x == 0, 0.5, i0(x) - y / safe)


def _i1_of(F, x):
    return I1.apply(x) if F is TENSOR else i1_array(F, x)


# ---- the declared ops ------------------------------------------------------------------------

def _quiet_grad(grad):
    """A derivative with NumPy's floating-point warnings off on arrays (1 / 0 at the ends of
    atanh's domain, inf * 0 at lgamma's poles: PyTorch's values, without a warning)."""
    @functools.wraps(grad)
    def wrapped(F, *args):
        if F is TENSOR:
            return grad(F, *args)
        with np.errstate(all="ignore"):
            return grad(F, *args)
    return wrapped


def _declare(name, forward, grad, doc, *, saves="input", node=None, floating=True, **kw):
    """An op computed in the default float dtype for integer inputs, as most of these are."""
    node = node or "".join(p.capitalize() for p in name.split("_")) + "Backward0"
    return unary(name, forward, _quiet_grad(grad), node=node, saves=saves, floating=floating,
                 doc=doc, **kw)


def _sqrt(F, x):
    return _op(F, "sqrt", x)


log1p = _declare("log1p", _np("log1p"), lambda F, x, gy: gy / (x + 1),
                 node="Log1PBackward0", doc="log1p(input) -> Tensor\n\nlog(1 + input), "
                 "accurate for small inputs.  Derivative: 1 / (1 + x).")
expm1 = _declare("expm1", _np("expm1"), lambda F, y, gy: gy * (y + 1),
                 saves="output", doc="expm1(input) -> Tensor\n\nexp(input) - 1, accurate for "
                 "small inputs.  Derivative: exp(x) = output + 1.")
log2 = _declare("log2", _np("log2"), lambda F, x, gy: gy / (x * _LN2),
                doc="log2(input) -> Tensor\n\nThe base-2 logarithm of each element.  "
                "Derivative: 1 / (x log 2).")
log10 = _declare("log10", _np("log10"), lambda F, x, gy: gy / (x * _LN10),
                 doc="log10(input) -> Tensor\n\nThe base-10 logarithm of each element.  "
                 "Derivative: 1 / (x log 10).")
exp2 = _declare("exp2", _np("exp2"), lambda F, y, gy: gy * y * _LN2,
                saves="output", doc="exp2(input) -> Tensor\n\n2 ** input, elementwise.  "
                "Derivative: output * log 2.")
tan = _declare("tan", _np("tan"), lambda F, y, gy: gy * (y * y + 1),
               saves="output", doc="tan(input) -> Tensor\n\nThe tangent of each element (in "
               "radians).  Derivative: 1 + output ** 2.")
asin = _declare("asin", _np("arcsin"),
                lambda F, x, gy: gy / _sqrt(F, 1 - x * x), aliases=("arcsin",),
                doc="asin(input) -> Tensor\n\nThe arcsine of each element (nan outside "
                "[-1, 1]).  Derivative: 1 / sqrt(1 - x ** 2).")
acos = _declare("acos", _np("arccos"),
                lambda F, x, gy: -gy / _sqrt(F, 1 - x * x), aliases=("arccos",),
                doc="acos(input) -> Tensor\n\nThe arccosine of each element (nan outside "
                "[-1, 1]).  Derivative: -1 / sqrt(1 - x ** 2).")
atan = _declare("atan", _np("arctan"), lambda F, x, gy: gy / (x * x + 1),
                aliases=("arctan",), doc="atan(input) -> Tensor\n\nThe arctangent of each "
                "element.  Derivative: 1 / (1 + x ** 2).")
sinh = _declare("sinh", _np("sinh"), lambda F, x, gy: gy * _op(F, "cosh", x),
                doc="sinh(input) -> Tensor\n\nThe hyperbolic sine of each element.  "
                "Derivative: cosh(x).")
cosh = _declare("cosh", _np("cosh"), lambda F, x, gy: gy * _op(F, "sinh", x),
                doc="cosh(input) -> Tensor\n\nThe hyperbolic cosine of each element.  "
                "Derivative: sinh(x).")
asinh = _declare("asinh", _np("arcsinh"),
                 lambda F, x, gy: gy / _sqrt(F, x * x + 1), aliases=("arcsinh",),
                 doc="asinh(input) -> Tensor\n\nThe inverse hyperbolic sine of each element.  "
                 "Derivative: 1 / sqrt(x ** 2 + 1).")
acosh = _declare("acosh", _np("arccosh"),
                 lambda F, x, gy: gy / _sqrt(F, x * x - 1), aliases=("arccosh",),
                 doc="acosh(input) -> Tensor\n\nThe inverse hyperbolic cosine of each element "
                 "(nan below 1).  Derivative: 1 / sqrt(x ** 2 - 1).")
atanh = _declare("atanh", _np("arctanh"), lambda F, x, gy: gy / (1 - x * x),
                 aliases=("arctanh",), doc="atanh(input) -> Tensor\n\nThe inverse hyperbolic "
                 "tangent of each element (+-inf at +-1, nan beyond).  Derivative: "
                 "1 / (1 - x ** 2).")
deg2rad = _declare("deg2rad", _np("deg2rad"),
                   lambda F, gy: gy * (_PI / 180), saves=None, node="Deg2RadBackward0",
                   doc="deg2rad(input) -> Tensor\n\nDegrees to radians: input * pi / 180.")
rad2deg = _declare("rad2deg", _np("rad2deg"),
                   lambda F, gy: gy * (180 / _PI), saves=None, node="Rad2DegBackward0",
                   doc="rad2deg(input) -> Tensor\n\nRadians to degrees: input * 180 / pi.")
sinc = _declare("sinc", _np("sinc"),
                lambda F, x, gy: gy * _sinc_derivative(F, x),
                doc="sinc(input) -> Tensor\n\nThe normalized sinc: sin(pi x) / (pi x), 1 at 0.  "
                "Derivative: (cos(pi x) - sinc(x)) / x, 0 at 0.")


def _sinc_derivative(F, x):
    zero = x == 0
    safe = F.where(zero, 1.0, x)
    px = safe * _PI
    return F.where(zero, 0.0, (px * F.cos(px) - F.sin(px)) / (px * safe))


def _check_frac(x):
    if not _dtype.is_floating(x._arr.dtype):
        raise NotImplementedError(f'"frac_{x.device.type}" not implemented for '
                                  f"'{x.dtype.scalar_name}'")


def _frac(xp, x):
    with np.errstate(invalid="ignore"):  # inf - inf: nan
        return x - xp.trunc(x)


frac = _declare("frac", _frac, lambda F, gy: gy, node="FracBackward0", floating=False,
                saves=None, check=_check_frac, doc="frac(input) -> Tensor\n\nThe fractional "
                "part of each element, input - trunc(input), with its sign (floating inputs "
                "only).  Derivative: 1.")


def _sgn(xp, x):
    if x.dtype == np.bool_:
        return x.copy()
    out = xp.sign(x)
    # nan: 0, as PyTorch
    return xp.where(out != out, 0, out) if _dtype.is_floating(x.dtype) else out


sgn = unary("sgn", _sgn, lambda F, gy: gy * 0, node="SgnBackward0", saves=None,
            doc="sgn(input) -> Tensor\n\nsign(input) for real tensors: -1, 0 or 1 (0 for nan; "
            "bool and integer tensors keep their dtype).  Derivative: 0.")

# the special functions, their derivatives through one another

lgamma = _declare("lgamma", lgamma_array,
                  lambda F, x, gy: gy * (digamma(x) if F is TENSOR else digamma_array(F, x)),
                  doc="lgamma(input) -> Tensor\n\nlog|Gamma(input)|, inf at 0 and the "
                  "negative integers.  Derivative: digamma(x).")
digamma = _declare("digamma", digamma_array,
                   lambda F, x, gy: gy * (polygamma(1, x) if F is TENSOR
                                          else polygamma_array(F, x, 1)),
                   doc="digamma(input) -> Tensor\n\nThe logarithmic derivative of Gamma, "
                   "Gamma'(x) / Gamma(x) (-inf at 0, nan at the negative integers).  "
                   "Derivative: polygamma(1, x).")
erfinv = _declare("erfinv", erfinv_array, lambda F, y, gy: gy * _SQRT_PI_2 * F.exp(y * y),
                  saves="output", doc="erfinv(input) -> Tensor\n\nThe inverse error function "
                  "on [-1, 1] (+-inf at +-1, nan outside).  Derivative: sqrt(pi) / 2 * "
                  "exp(erfinv(x) ** 2).")
i0 = _declare("i0", i0_array, lambda F, x, gy: gy * _i1_of(F, x), node="I0Backward0",
              doc="i0(input) -> Tensor\n\nThe modified Bessel function of the first kind of "
              "order 0.  Derivative: i1(x).")


# ---- ops with parameters -------------------------------------------------------------------

def _check_number(fn, name, v, kinds=(int, float), optional=False):
    if (v is None and optional) or (isinstance(v, kinds) and not isinstance(v, bool)):
        return
    raise TypeError(f"{fn}(): argument '{name}' must be float, not {type(v).__name__}")


class Polygamma(ArrayFunction):
    node_name = "PolygammaBackward0"

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return polygamma_array(x._be.xp, x._arr, n)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * Polygamma.apply(x, ctx.n + 1)

    @staticmethod
    def array_backward(ctx, gy):
        x, = ctx.saved_arrays
        return gy * polygamma_array(ctx._be.xp, x, ctx.n + 1)


class PolygammaInplace(Polygamma):
    """polygamma_'s node, as PyTorch names it."""
    node_name = "PolygammaBackward1"


def _check_polygamma(n, input):
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if not isinstance(input, Tensor):
        raise TypeError(f"polygamma(): argument 'input' (position 2) must be Tensor, not "
                        f"{type(input).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")


def polygamma(n, input):
    """polygamma(n, input) -> Tensor

    The n-th derivative of digamma (n >= 0; polygamma(0, x) is digamma(x)), via the Hurwitz
    zeta function: (-1)^(n+1) n! zeta(n + 1, x).  Derivative: polygamma(n + 1, x)."""
    _check_polygamma(n, input)
    return Polygamma.apply(_floating(input), n)


def _polygamma_method(self, n):
    """polygamma(n) -> Tensor

    See gradcore.polygamma (the tensor is the input)."""
    return polygamma(n, self)


def _polygamma_inplace(self, n):
    _check_polygamma(n, self)
    return PolygammaInplace.apply(_floating(self), n)


_polygamma_inplace.__name__ = "polygamma"  # ops/inplace.py names polygamma_ after it


def _logit(xp, a, eps):
    with np.errstate(all="ignore"):
        if eps is not None:
            a = xp.clip(a, eps, 1 - eps)
        return xp.log(a / (1 - a))


class Logit(ArrayFunction):
    node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        return _dtype.in_opmath(_logit, x._be.xp, x._arr, eps)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        eps = ctx.eps
        g = gy / (x * (1 - x))
        if eps is None:
            return TENSOR.where((x < 0) | (x > 1), float("nan"), g)
        return TENSOR.where((x < eps) | (x > 1 - eps), 0.0, g)


def logit(input, eps=None):
    """logit(input, eps=None) -> Tensor

    log(p / (1 - p)), with p = input clamped to [eps, 1 - eps] when eps is given.  Derivative:
    1 / (x (1 - x)); nan outside [0, 1] without eps, 0 outside [eps, 1 - eps] with it."""
    _check_number("logit", "eps", eps, optional=True)
    return Logit.apply(_floating(input), None if eps is None else float(eps))


class NanToNum(ArrayFunction):
    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        a = x._arr
        if not _dtype.is_floating(a.dtype):
            return a.copy()
        info = np.finfo(a.dtype)  # the dtype's own limits (NumPy's nan_to_num misses bfloat16)
        posinf = float(info.max) if posinf is None else posinf
        neginf = float(info.min) if neginf is None else neginf
        return _dtype.in_opmath(lambda xp, a: xp.nan_to_num(a, copy=True, nan=nan, posinf=posinf,
                                                            neginf=neginf), x._be.xp, a)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return gy * x.isfinite()

    @staticmethod
    def array_backward(ctx, gy):
        x, = ctx.saved_arrays
        return gy * ctx._be.xp.isfinite(x)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """nan_to_num(input, nan=0.0, posinf=None, neginf=None) -> Tensor

    nan, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0, the
    dtype's largest and its lowest finite value); integer and bool tensors are copied.
    Derivative: 1 where input is finite, else 0."""
    for name, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        _check_number("nan_to_num", name, v, optional=name != "nan")
    return NanToNum.apply(input, nan, posinf, neginf)


def positive(input):
    """positive(input) -> Tensor

    input itself (the unary ``+``); refused for bool tensors."""
    if input._arr.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input



# ---- sign and infinity tests, frexp: no derivative for the tests -----------------------------

def _wrap_bool(fn, input):
    """fn(xp, input's array) as a tensor on input's backend (no graph)."""
    return _wrap(fn(input._be.xp, input._arr), input._be)


def _refuse_complex(name, input):
    if input.dtype.is_complex:
        if name == "signbit":
            raise NotImplementedError("signbit is not implemented for complex tensors.")
        raise RuntimeError(f"{name} does not support complex inputs.")


def signbit(input):
    """signbit(input) -> Tensor

    True where input's sign bit is set (-0.0 included), as a bool tensor."""
    _refuse_complex("signbit", input)
    return _wrap_bool(lambda xp, a: xp.signbit(a) if _dtype.is_floating(a.dtype) else a < 0,
                      input)


def isposinf(input):
    """isposinf(input) -> Tensor

    True where input is +inf, as a bool tensor (all False for integers)."""
    _refuse_complex("isposinf", input)
    return _wrap_bool(lambda xp, a: xp.isposinf(a) if _dtype.is_floating(a.dtype)
                      else xp.zeros(a.shape, bool), input)


def isneginf(input):
    """isneginf(input) -> Tensor

    True where input is -inf, as a bool tensor (all False for integers)."""
    _refuse_complex("isneginf", input)
    return _wrap_bool(lambda xp, a: xp.isneginf(a) if _dtype.is_floating(a.dtype)
                      else xp.zeros(a.shape, bool), input)


def frexp(input):
    """frexp(input) -> (Tensor mantissa, Tensor exponent)

    input = mantissa * 2**exponent with 0.5 <= |mantissa| < 1 (0, inf and nan kept), the
    exponent as int32; a named tuple.  The mantissa's gradient is gy / 2**exponent."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    xp = input._be.xp
    a = input._arr
    if a.dtype.char in _dtype.REDUCED_CHARS:
        _, e = xp.frexp(a.astype(xp.float32))
    else:
        _, e = xp.frexp(a)
    exponent = _wrap_bool(lambda xp, _: e.astype(xp.int32), input)
    mantissa = input / exponent.to(input.dtype).exp2()
    return FREXP(mantissa, exponent)


FREXP = collections.namedtuple("frexp", ["mantissa", "exponent"])
FREXP.__module__ = "gradcore.return_types"

FUNCTIONS = {"polygamma": polygamma, "logit": logit, "nan_to_num": nan_to_num,
             "positive": positive, "signbit": signbit, "isposinf": isposinf,
             "isneginf": isneginf, "frexp": frexp}
METHODS = {"polygamma": _polygamma_method, "logit": logit, "nan_to_num": nan_to_num,
           "positive": positive, "signbit": signbit, "isposinf": isposinf,
           "isneginf": isneginf, "frexp": frexp}
# the out-of-place functions of the in-place methods logit_, nan_to_num_ and polygamma_ (for
# ops/inplace.py, which this module cannot import: it imports this one)
INPLACE = {"logit": logit, "nan_to_num": nan_to_num, "polygamma": _polygamma_inplace}
autocast_declared(OPS, ("log1p", "expm1", "log2", "log10", "tan", "asin", "acos", "sinh", "cosh",
                        "erfinv"), cuda=FP32)  # CUDA's float32 list
