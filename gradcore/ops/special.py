"""Special functions: erf and erfc, declared as ops (ops/declare.py).

NumPy has no erf (and gradcore does not need SciPy), so the forwards are Cephes' rational
approximations (S. L. Moshier, public domain; the ones scipy.special.erf compiles), evaluated
in float64 for every dtype over ``xp``: within 2 ulp of erf and 10 of erfc over the float64
range (erfc's tail takes exp(-x**2) through an exact split of x**2; below 1 it is 1 - erf, as
Cephes').  ``erf_of(F, x)`` is erf in a derivative's vocabulary (gelu's uses it).

On NumPy float32/float64 arrays the same algorithm runs as a compiled loop when numba is
installed (ops/special_jit.py); the array code here is its twin: the reference, CuPy's path
and the path without numba.
"""
import math
from types import SimpleNamespace

import numpy as np

from . import special_jit
from .declare import TENSOR, unary

_ERF_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
          7.00332514112805075473E3, 5.55923013010394962768E4)
_ERF_U = (1.0, 3.35617141647503099647E1, 5.21357949780152679795E2,
          4.59432382970980127987E3, 2.26290000613890934246E4, 4.92673942608635921086E4)
_ERFC_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
           4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
           9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
_ERFC_Q = (1.0, 1.32281951154744992508E1, 8.67072140885989742329E1,
           3.54937778887819891062E2, 9.75708501743205489753E2, 1.82390916687909736289E3,
           2.24633760818710981792E3, 1.65666309194161350182E3, 5.57535340817727675546E2)
_ERFC_R = (5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
           6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0)
_ERFC_S = (1.0, 2.26052863220117276590E0, 9.39603524938001434673E0,
           1.20489539808096656605E1, 1.70814450747565897222E1, 9.60896809063285878198E0,
           3.36907645100081516050E0)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
ERF_CONSTANTS = SimpleNamespace(ERF_T=_ERF_T, ERF_U=_ERF_U, ERFC_P=_ERFC_P, ERFC_Q=_ERFC_Q,
                                ERFC_R=_ERFC_R, ERFC_S=_ERFC_S)


def compiled(family, name, C):
    """``fn(xp, x)``: the compiled kernel ``name`` of ``family`` over x where there is one
    (NumPy, float32/float64, numba installed), else None."""
    def fn(xp, x, *args):
        if xp is not np:
            return None
        k = special_jit.kernels(family, C)
        return None if k is None else special_jit.run(getattr(k, name), x, *args)
    return fn


def with_kernel(kernel, twin):
    """``twin(xp, x)`` (the array code) run as ``kernel`` where that gives a result."""
    def fn(xp, x, *args):
        out = kernel(xp, x, *args)
        return twin(xp, x, *args) if out is None else out
    fn.__name__ = twin.__name__.strip("_").replace("twin", "array")  # _erf_twin: erf_array
    fn.__doc__, fn.twin = twin.__doc__, twin
    return fn


def _polyval(x, coefs):
    out = coefs[0]
    for c in coefs[1:]:
        out = out * x + c
    return out


def _erf_parts(xp, x, clip):
    """(|x| clipped to ``clip``, its square, erf(|x|) for |x| <= 1, erfc(|x|) / exp(-x**2)
    for |x| > 1).  The clip keeps inf out of P/Q where erf is already 1 or erfc 0."""
    ax = xp.minimum(xp.abs(x), clip)
    z = ax * ax
    small = ax * _polyval(z, _ERF_T) / _polyval(z, _ERF_U)
    tail = xp.where(ax < 8.0, _polyval(ax, _ERFC_P) / _polyval(ax, _ERFC_Q),
                    _polyval(ax, _ERFC_R) / _polyval(ax, _ERFC_S))
    return ax, z, small, tail


def _erf_twin(xp, x):
    """erf of a floating array: x T(x^2) / U(x^2) for |x| <= 1, else 1 - exp(-x^2) P/Q
    (R/S beyond 8), with erf's sign."""
    a = x.astype(np.float64)
    ax, z, small, tail = _erf_parts(xp, a, 10.0)  # erf(10) == 1 in float64
    out = xp.where(ax <= 1.0, small, 1.0 - xp.exp(-z) * tail)
    return xp.copysign(out, a).astype(x.dtype, copy=False)


def _erfc_twin(xp, x):
    """erfc = 1 - erf without the cancellation: exp(-x^2) P/Q directly for x >= 1, 2 - that
    for x <= -1 (nan stays nan)."""
    a = x.astype(np.float64)
    with np.errstate(under="ignore"):
        ax, z, small, tail = _erf_parts(xp, a, 28.0)  # erfc(28) == 0 in float64
        # exp(-x**2) without x**2's rounding error, which exp multiplies by x**2 in the tail:
        # x = hi + lo, hi a multiple of 1/16 (hi**2 is exact)
        hi = xp.floor(ax * 16.0) / 16.0
        lo = ax - hi
        upper = xp.exp(-hi * hi) * xp.exp(-(2.0 * hi + lo) * lo) * tail  # erfc(|x|), |x| > 1
    out = xp.where(ax <= 1.0, 1.0 - xp.copysign(small, a), xp.where(a < 0, 2.0 - upper, upper))
    return xp.where(a != a, a, out).astype(x.dtype, copy=False)


erf_array = with_kernel(compiled("erf", "erf", ERF_CONSTANTS), _erf_twin)
erfc_array = with_kernel(compiled("erf", "erfc", ERF_CONSTANTS), _erfc_twin)


def erf_of(F, x):
    """erf(x) in a derivative's vocabulary ``F`` (the array module or TENSOR)."""
    return erf(x) if F is TENSOR else erf_array(F, x)


def _erf_backward(F, x, gy):
    return gy * _TWO_OVER_SQRT_PI * F.exp(-(x * x))


erf = unary("erf", erf_array, _erf_backward, node="ErfBackward0", floating=True,
            doc="erf(input) -> Tensor\n\nThe error function "
            "of each element: 2 / sqrt(pi) * integral from 0 to x of exp(-t**2) dt.  "
            "Derivative: 2 / sqrt(pi) * exp(-x**2).")
erfc = unary("erfc", erfc_array, lambda F, x, gy: gy * -_TWO_OVER_SQRT_PI * F.exp(-(x * x)),
             node="ErfcBackward0", floating=True, doc="erfc(input) -> Tensor\n\nThe "
             "complementary error function of each element: 1 - erf(input), accurate in the "
             "tail.  Derivative: -2 / sqrt(pi) * exp(-x**2).")
