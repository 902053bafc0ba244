"""Random sampling: normal (its four overloads), bernoulli, multinomial, poisson, and the in-place
samplers (normal_, uniform_, bernoulli_, exponential_, geometric_, cauchy_, log_normal_,
random_), every one honouring ``generator=``.

Each distribution is a transform of the backend's uniform and normal draws (``rand``,
``randn``: backend/protocol.py), as PyTorch's CPU samplers are (exponential: -log(1 - u) /
lambda, cauchy: median + sigma tan(pi (u - 1/2)), geometric: ceil(log(u) / log(1 - p)),
multinomial without replacement: the exponential race), so reproducing PyTorch's streams is a
matter of the generator alone.  Samples carry PyTorch's nodes with zero gradients.
"""
import math
import numbers

import numpy as np

from .. import _dtype
from .._generator import draw_backend
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from .inplace import inplace
from .shape import broadcast_shapes, sum_to


def _uniform(be, generator, shape, np_dtype, name):
    """Uniform [0, 1) draws of ``shape`` in ``np_dtype`` (float16 drawn in float32)."""
    return draw_backend(be, generator, name).rand(shape, np_dtype)


def _normal(be, generator, shape, np_dtype, name):
    return draw_backend(be, generator, name).randn(shape, np_dtype)


# ---- nodes: a sample's gradient is zero ------------------------------------------------------

_NODES = {}


def _node(name):
    """The ArrayFunction class recording a sample as PyTorch's node ``name``: forward returns
    the drawn array, backward zeros for each tensor input."""
    cls = _NODES.get(name)
    if cls is None:
        def forward(ctx, arr, *inputs):
            ctx.shapes = [t._arr.shape for t in inputs]
            return arr

        def backward(ctx, gy):
            z = gy * 0  # one gradient per tensor input (the drawn array is no input)
            return tuple(sum_to(z, s) for s in ctx.shapes)
        cls = _NODES[name] = type(name.replace("Backward", "Sample"), (ArrayFunction,), dict(
            node_name=name, __module__=__name__, forward=staticmethod(forward),
            backward=staticmethod(backward)))
    return cls


def _record(arr, be, node, *inputs):
    """``arr`` as a Tensor, in the graph as ``node`` of ``inputs`` when one requires grad."""
    if any(t._rg for t in inputs):
        return _node(node).apply(arr, *inputs)
    return _wrap(arr, be)


def _sample_inplace(self, node, draw):
    """Write ``draw(self)`` (an array of self's shape and dtype) into self, recorded as
    ``node`` (zero gradient); returns self."""
    return inplace(self, lambda t: _record(draw(t), t._be, node, t))


def _float_only(t, kernel):
    if not t.is_floating_point():
        raise NotImplementedError(f'"{kernel}" not implemented for \'{t.dtype.scalar_name}\'')


def _continuous(t, name, spelled):
    if not t.is_floating_point():
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified {spelled(t.dtype)}")


# ---- normal ----------------------------------------------------------------------------------

def _check_std(std):
    if isinstance(std, Tensor):
        if std.numel() and bool((std._be.xp.asarray(std._arr) < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False):
    """normal(mean, std, size=None, *, generator=None, dtype=None, device=None,
        requires_grad=False) -> Tensor

    Normal samples of the given means and standard deviations: tensors (broadcast together) or
    Python numbers; with two numbers, a tensor of shape ``size``.  The sample's gradient with
    respect to tensor means and stds is zero, as PyTorch's."""
    _check_std(std)
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            "(float, float), but expected (float mean, float std, tuple of "
                            "ints size, *, Generator generator, Tensor out, torch.dtype dtype, "
                            "torch.device device, bool requires_grad)")
        from .factories import empty
        t = empty(*size, dtype=dtype, device=device)
        _float_only(t, "normal_kernel_cpu")
        t._arr = (_normal(t._be, generator, t._arr.shape, t._arr.dtype, "normal") * std
                  + mean).astype(t._arr.dtype, copy=False)
        return t.requires_grad_(requires_grad)
    like = mean if tm else std
    be = like._be
    shape = broadcast_shapes(mean.shape if tm else (), std.shape if ts else ())
    np_dt = like._arr.dtype if not (tm and ts) else np.result_type(mean._arr, std._arr)
    eps = _normal(be, generator, shape, np_dt, "normal")
    m = mean._arr if tm else mean
    s = std._arr if ts else std
    arr = (eps * s + m).astype(np_dt, copy=False)
    node = "NormalBackward3" if tm and ts else "NormalBackward1" if tm else "NormalBackward2"
    return _record(arr, be, node, *[t for t in (mean, std) if isinstance(t, Tensor)])


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """normal_(mean=0, std=1, *, generator=None) -> Tensor

    self filled with normal samples of mean ``mean`` and standard deviation ``std``."""
    _float_only(self, "normal_kernel_cpu")
    _check_std(std)
    return _sample_inplace(self, "NormalBackward0", lambda t: (_normal(
        t._be, generator, t._arr.shape, t._arr.dtype, "normal_") * std + mean).astype(
            t._arr.dtype, copy=False))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """log_normal_(mean=1, std=2, *, generator=None) -> Tensor

    self filled with exp(N(mean, std**2)) samples."""
    _float_only(self, "log_normal_cpu")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _sample_inplace(self, "LogNormalBackward0", lambda t: t._be.xp.exp(_normal(
        t._be, generator, t._arr.shape, t._arr.dtype, "log_normal_") * std + mean).astype(
            t._arr.dtype, copy=False))


# ---- uniform transforms ----------------------------------------------------------------------

def _u(t, generator, name):
    return _uniform(t._be, generator, t._arr.shape, t._arr.dtype, name)


def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    """uniform_(from=0, to=1, *, generator=None) -> Tensor

    self filled with samples uniform on [from, to)."""
    _float_only(self, "check_uniform_bounds")
    a, b = from_, to
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} "
                           f"> to={b:g}")
    return _sample_inplace(self, "UniformBackward0", lambda t: (
        _u(t, generator, "uniform_") * (b - a) + a).astype(t._arr.dtype, copy=False))


def exponential_(self, lambd=1.0, *, generator=None):
    """exponential_(lambd=1, *, generator=None) -> Tensor

    self filled with exponential samples of rate ``lambd``: -log(1 - u) / lambd."""
    _continuous(self, "Exponential", lambda d: d.scalar_name)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _sample_inplace(self, "ExponentialBackward0", lambda t: (
        -t._be.xp.log1p(-_u(t, generator, "exponential_")) / lambd).astype(t._arr.dtype,
                                                                           copy=False))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """cauchy_(median=0, sigma=1, *, generator=None) -> Tensor

    self filled with Cauchy samples: median + sigma * tan(pi * (u - 1/2))."""
    _continuous(self, "Cauchy", lambda d: {"Long": "long int", "Int": "int"}.get(
        d.scalar_name, d.scalar_name))
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return _sample_inplace(self, "CauchyBackward0", lambda t: (median + sigma * t._be.xp.tan(
        math.pi * (_u(t, generator, "cauchy_") - 0.5))).astype(t._arr.dtype, copy=False))


def geometric_(self, p, *, generator=None):
    """geometric_(p, *, generator=None) -> Tensor

    self filled with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")

    def draw(t):
        u = _uniform(t._be, generator, t._arr.shape, np.float64, "geometric_")
        xp = t._be.xp
        return xp.ceil(xp.log1p(-u) / math.log1p(-p)).clip(1).astype(t._arr.dtype)
    return _sample_inplace(self, "GeometricBackward0", draw)


def _probabilities_in_range(p):
    xp = p._be.xp
    if p.numel() and not bool(xp.all((p._arr >= 0) & (p._arr <= 1))):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")


def bernoulli(input, p=None, *, generator=None, out=None):
    """bernoulli(input, p=None, *, generator=None) -> Tensor

    0/1 samples (input's dtype) that are 1 with probability input (each element in [0, 1]),
    or with probability ``p`` when given."""
    if p is not None:
        return bernoulli_(input.detach().clone(), p, generator=generator)
    _probabilities_in_range(input)
    u = _uniform(input._be, generator, input._arr.shape, np.float64, "bernoulli")
    arr = (u < input._arr).astype(input._arr.dtype)
    return _record(arr, input._be, "BernoulliBackward0", input)


def bernoulli_(self, p=0.5, *, generator=None):
    """bernoulli_(p=0.5, *, generator=None) -> Tensor

    self filled with 0/1 samples, 1 with probability p (a number, or a tensor broadcast to
    self)."""
    tensor_p = isinstance(p, Tensor)
    if tensor_p:
        _probabilities_in_range(p)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")

    def draw(t):
        u = _uniform(t._be, generator, t._arr.shape, np.float64, "bernoulli_")
        return (u < (p._arr if tensor_p else p)).astype(t._arr.dtype)
    return _sample_inplace(self, "BernoulliBackward1" if tensor_p else "BernoulliBackward2",
                           draw)


def poisson(input, generator=None):
    """poisson(input, generator=None) -> Tensor

    Poisson samples with rates ``input`` (input's dtype; zero gradient)."""
    if input.numel() and not bool(input._be.xp.all(input._arr >= 0)):
        raise RuntimeError("Expected all elements of rate >= 0")
    arr = draw_backend(input._be, generator, "poisson").poisson(input._arr, input._arr.dtype)
    return _record(arr, input._be, "PoissonBackward0", input)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """multinomial(input, num_samples, replacement=False, *, generator=None) -> LongTensor

    ``num_samples`` category indices per row of ``input`` (1-d or 2-d non-negative weights,
    not necessarily summing to 1), with or without replacement."""
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not isinstance(num_samples, numbers.Integral) or num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    be, xp = input._be, input._be.xp
    w = input._arr.astype(np.float64).reshape(-1, n)
    if not bool(xp.all(xp.isfinite(w) & (w >= 0))):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not bool(xp.all(w.sum(axis=1) > 0)):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = w.shape[0]
    if replacement:  # inverse CDF of each row at uniform draws
        cdf = xp.cumsum(w, axis=1)
        cdf /= cdf[:, -1:]
        u = _uniform(be, generator, (rows, num_samples), np.float64, "multinomial")
        idx = xp.stack([xp.searchsorted(cdf[r], u[r], side="right") for r in range(rows)])
        idx = xp.minimum(idx, n - 1)
    else:  # the exponential race: the num_samples smallest e / w, e ~ Exp(1)
        e = -xp.log1p(-_uniform(be, generator, (rows, n), np.float64, "multinomial"))
        with np.errstate(divide="ignore"):
            keys = xp.where(w > 0, e / w, xp.inf)
        idx = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64)
    return _wrap(idx.reshape(input.shape[:-1] + (num_samples,)), be)


# ---- random_: integers -------------------------------------------------------------------------

def _random_bounds(dt, a, b):
    """[low, high) of random_(a, b): random_() spans the dtype's exactly representable
    integers (floats: 0 .. 2**mantissa), random_(to) is [0, to)."""
    if a is None:
        if dt is _dtype.bool:
            return 0, 2
        if dt.is_floating_point:
            return 0, 2 ** (np.finfo(dt.np).nmant + 1) + 1
        # int64: up to 2**63 - 2, the generator's largest exclusive bound
        return 0, min(int(np.iinfo(dt.np).max) + 1, 2 ** 63 - 1)
    if b is None:
        a, b = 0, a
    if a >= b:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={a} >= "
                           f"to={b}")
    return a, b


def random_(self, from_=None, to=None, *, generator=None):
    """random_(from=0, to=None, *, generator=None) -> Tensor

    self filled with integers uniform on [from, to); random_(to) is [0, to) and random_() the
    dtype's whole exactly-representable range."""
    lo, hi = _random_bounds(self.dtype, from_, to)
    node = "RandomBackward2" if from_ is None else (
        "RandomBackward1" if to is None else "RandomBackward0")

    def draw(t):
        return draw_backend(t._be, generator, "random_").randint(
            lo, hi, t._arr.shape, np.int64).astype(t._arr.dtype)
    return _sample_inplace(self, node, draw)


METHODS = {"normal_": normal_, "log_normal_": log_normal_, "uniform_": uniform_,
           "exponential_": exponential_, "cauchy_": cauchy_, "geometric_": geometric_,
           "bernoulli": bernoulli, "bernoulli_": bernoulli_, "multinomial": multinomial,
           "random_": random_}
FUNCTIONS = {"normal": normal, "bernoulli": bernoulli, "poisson": poisson,
             "multinomial": multinomial}
