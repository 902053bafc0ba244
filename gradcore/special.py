"""gradcore.special: torch.special's functions, under its names -- the special functions of
ops/special.py and ops/unary_math.py, and small compositions of them (ndtr, ndtri, log_ndtr,
entr, xlog1py, multigammaln ...)."""
import math

from .distributions._standard_gamma import gammainc
from .nn.functional import log_softmax, softmax
from .ops import elementwise as _E, reduction as _R, special as _S, unary_math as _U
from .ops import binary_math as _B
from .ops.inplace import inplace as _inplace
from .ops.out import wrap_namespace as _wrap_namespace
from .tensor import Tensor as _Tensor

__all__ = ["digamma", "psi", "polygamma", "gammaln", "multigammaln", "gammainc", "gammaincc",
           "erf", "erfc", "erfinv", "ndtr", "ndtri", "log_ndtr", "expit", "logit", "exp2",
           "expm1", "log1p", "i0", "i1", "sinc", "round", "entr", "xlogy", "xlog1py",
           "logsumexp", "softmax", "log_softmax"]

digamma = psi = _U.digamma
polygamma = _U.polygamma
gammaln = _U.lgamma
erf, erfc, erfinv = _S.erf, _S.erfc, _U.erfinv
expit, logit = _E.sigmoid, _U.logit
exp2, expm1, log1p = _U.exp2, _U.expm1, _U.log1p
i0, sinc, round = _U.i0, _U.sinc, _E.round
xlogy = _B.xlogy
logsumexp = _R.logsumexp

_SQRT2 = math.sqrt(2.0)


def i1(input):
    """i1(input) -> Tensor

    The modified Bessel function of the first kind of order 1, elementwise (i0's derivative)."""
    return _U.I1.apply(input if input.is_floating_point() else input.float())


def gammaincc(input, other):
    """gammaincc(input, other) -> Tensor

    The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return 1 - gammainc(input, other)


def _in_float64(fn, input):
    """fn computed in float64 and rounded once to input's floating dtype (float32's 2 p - 1
    and 1 + erf lose the tails otherwise; the result is the correctly rounded value, where
    PyTorch's float32 kernels lose a few digits in the tails)."""
    dt = input.dtype if input.is_floating_point() else None
    out = fn(input.double())
    return out.to(dt) if dt is not None else out.float()


def ndtr(input):
    """ndtr(input) -> Tensor

    The standard normal CDF: erfc(-x / sqrt 2) / 2."""
    return _in_float64(lambda x: 0.5 * _S.erfc(-x / _SQRT2), input)


def ndtri(input):
    """ndtri(input) -> Tensor

    The standard normal quantile, ndtr's inverse: sqrt 2 * erfinv(2 p - 1)."""
    return _in_float64(lambda p: _SQRT2 * _U.erfinv(2 * p - 1), input)


def log_ndtr(input):
    """log_ndtr(input) -> Tensor

    log(ndtr(input)): log(erfc(-x / sqrt 2) / 2) below 0, log1p(-erfc(x / sqrt 2) / 2) above
    (so both tails keep their digits; -inf once erfc underflows, below x = -38)."""
    def f(x):
        return _E.where(x < 0, _E.log(0.5 * _S.erfc(-x / _SQRT2)),
                        _U.log1p(-0.5 * _S.erfc(x / _SQRT2)))
    return _in_float64(f, input)


def entr(input):
    """entr(input) -> Tensor

    -x log(x) elementwise: 0 at 0, -inf below 0."""
    x = input if input.is_floating_point() else input.float()
    out = -_B.xlogy(x, x)
    return _E.where(x < 0, -math.inf, out)


def xlog1py(input, other):
    """xlog1py(input, other) -> Tensor

    input * log1p(other), 0 where input is 0 (nan other stays nan)."""
    out = input * (_U.log1p(other) if isinstance(other, _Tensor) else math.log1p(other))
    return _E.where((input == 0) & (other == other), 0.0, out)


def multigammaln(input, p):
    """multigammaln(input, p) -> Tensor

    The log of the multivariate gamma function of dimension p: p (p - 1) / 4 log(pi) +
    sum_{j < p} lgamma(x - j / 2)."""
    total = p * (p - 1) / 4 * math.log(math.pi)
    for j in range(p):
        total = total + _U.lgamma(input - j / 2)
    return total


def _in_place(fn, name, sig):
    def method(self, *args):
        return _inplace(self, lambda t: fn(t, *args))
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{sig} -> Tensor\n\n{fn.__name__} done in place on self; returns self."
    return method


# torch.mvlgamma / igamma / igammac (gradcore/__init__ adds TORCH_FUNCTIONS), their Tensor
# methods and in-place forms
TORCH_FUNCTIONS = {"mvlgamma": multigammaln, "igamma": gammainc, "igammac": gammaincc}
for _name, _fn in TORCH_FUNCTIONS.items():
    setattr(_Tensor, _name, _fn)
_Tensor.mvlgamma_ = _in_place(multigammaln, "mvlgamma_", "mvlgamma_(p)")
_Tensor.igamma_ = _in_place(gammainc, "igamma_", "igamma_(other)")
_Tensor.igammac_ = _in_place(gammaincc, "igammac_", "igammac_(other)")

_wrap_namespace(globals(), "special.")  # out= where torch.special has one (ops/out.py)
