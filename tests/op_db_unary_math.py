"""OpInfo entries for gradcore/ops/unary_math.py (registered into op_db.OP_DB)."""
import numpy as np

from op_db import S, distinct, positive, register, unary


def _uniform(lo, hi):
    def dom(rng, shape, i):
        return rng.uniform(lo, hi, shape)
    dom.__name__ = f"uniform({lo},{hi})"
    return dom


def _off_integers(*whole):
    """An integer from ``whole`` plus a fraction in [0.2, 0.8]: away from the poles of lgamma,
    digamma and polygamma at 0, -1, -2 ..."""
    def dom(rng, shape, i):
        return rng.choice(whole, shape) + rng.uniform(0.2, 0.8, shape)
    return dom


def _with_non_finite(make):
    """nan, inf and -inf among finite values (their gradient is 0)."""
    for kw in ({}, {"nan": 0.5, "posinf": 3.0, "neginf": -2.0}, {"neginf": -1.5}):
        a = make(2, 3)
        a[0, 1], a[1, 0], a[1, 2] = np.nan, np.inf, -np.inf
        yield S(a, **kw)
    yield S(make(4), nan=1.0)


def _polygamma_samples(*ns):
    def gen(make):
        for n in ns:
            for shape in ((2, 3), (), (4,)):
                yield S(make(*shape), args=(n,))
    return gen


UNIT = _uniform(-0.9, 0.9)
MODULE = "unary_math"


def _reg(name, op, samples=unary, **kw):
    register(name, op, samples, module=MODULE, **kw)


_reg("log1p", lambda lib, x: lib.log1p(x), domain=_uniform(-0.5, 2.0))
_reg("expm1", lambda lib, x: x.expm1())
_reg("log2", lambda lib, x: lib.log2(x), domain=positive)
_reg("log10", lambda lib, x: x.log10(), domain=positive)
_reg("exp2", lambda lib, x: lib.exp2(x))
_reg("tan", lambda lib, x: lib.tan(x), domain=_uniform(-1.2, 1.2))
_reg("asin", lambda lib, x: lib.asin(x), domain=UNIT)
_reg("arcsin_method", lambda lib, x: x.arcsin(), domain=UNIT)
_reg("acos", lambda lib, x: x.acos(), domain=UNIT)
_reg("arccos", lambda lib, x: lib.arccos(x), domain=UNIT)
_reg("atan", lambda lib, x: lib.atan(x))
_reg("arctan_method", lambda lib, x: x.arctan())
_reg("sinh", lambda lib, x: lib.sinh(x))
_reg("cosh", lambda lib, x: x.cosh())
_reg("asinh", lambda lib, x: lib.asinh(x))
_reg("arcsinh", lambda lib, x: lib.arcsinh(x))
_reg("acosh", lambda lib, x: x.acosh(), domain=_uniform(1.2, 3.0))
_reg("arccosh_method", lambda lib, x: x.arccosh(), domain=_uniform(1.2, 3.0))
_reg("atanh", lambda lib, x: lib.atanh(x), domain=UNIT)
_reg("arctanh", lambda lib, x: lib.arctanh(x), domain=UNIT)
_reg("deg2rad", lambda lib, x: lib.deg2rad(x * 90))
_reg("rad2deg", lambda lib, x: x.rad2deg())
_reg("frac", lambda lib, x: lib.frac(x * 3), domain=distinct)
# torch's gradient of sgn alone is a ZeroTensor, which op_db.to_numpy cannot read: a second
# output (x * 2) makes x's gradient an ordinary tensor, 0 from sgn + 2 from it
_reg("sgn", lambda lib, x: (x.sgn(), x * 2), domain=distinct)
_reg("sinc", lambda lib, x: lib.sinc(x))
_reg("sinc_wide", lambda lib, x: x.sinc() * 4)
_reg("logit", lambda lib, x: lib.logit(x), domain=_uniform(0.05, 0.95))
_reg("logit_eps", lambda lib, x: x.logit(eps=0.2), domain=_uniform(0.05, 0.95))
_reg("nan_to_num", lambda lib, x, **kw: lib.nan_to_num(x, **kw), _with_non_finite)
_reg("nan_to_num_method", lambda lib, x, **kw: x.nan_to_num(**kw), _with_non_finite)
_reg("positive", lambda lib, x: lib.positive(x))
_reg("erfinv", lambda lib, x: lib.erfinv(x), domain=UNIT)
_reg("erfinv_tail", lambda lib, x: x.erfinv(), domain=_uniform(0.99, 0.99999))
_reg("i0", lambda lib, x: lib.i0(x * 3))
_reg("lgamma", lambda lib, x: lib.lgamma(x), domain=_off_integers(-3, -2, -1, 0, 1, 2, 5))
_reg("lgamma_method", lambda lib, x: x.lgamma(), domain=_uniform(0.5, 30.0))
# PyTorch's trigamma (polygamma(1, x), digamma's derivative) truncates its asymptotic series
# after a shift of 6 (~1e-9 relative below x = 3): the digamma and polygamma(0, 1) samples
# are drawn where it is within the float64 parity tolerance, the negative ones through its
# reflection.  tests/test_unary_math.py checks gradcore's against mpmath over the whole range.
_TRIGAMMA_OK = _off_integers(-4, -3, -2, -1, 4, 5, 7)
_reg("digamma", lambda lib, x: lib.digamma(x), domain=_TRIGAMMA_OK)
_reg("polygamma", lambda lib, x, n: lib.polygamma(n, x), _polygamma_samples(0, 1),
     domain=_TRIGAMMA_OK)
_reg("polygamma_high", lambda lib, x, n: lib.polygamma(n, x), _polygamma_samples(2, 3, 4),
     domain=_off_integers(-2, -1, 0, 1, 2))
_reg("polygamma_method", lambda lib, x, n: x.polygamma(n), _polygamma_samples(2),
     domain=_uniform(0.3, 3.0))
