"""Random sampling: normal (its four overloads), bernoulli, multinomial, poisson, and the in-place
samplers (normal_, uniform_, bernoulli_, exponential_, geometric_, cauchy_, log_normal_,
random_), every one honouring ``generator=``.

Each sampler checks its arguments as PyTorch does and asks the generator's stream
(``draw_stream``: on the CPU backend/mt19937.py, PyTorch's own transforms of its mt19937
draws, so seeded samples are PyTorch's; on CUDA backend/xp_stream.py) for the draw, then
combines it with tensor parameters as PyTorch's composite ops do (normal of tensor means and
stds: a standard normal times std plus mean).  Samples carry PyTorch's nodes with zero
gradients.
"""
import numbers

import numpy as np

from .. import _dtype
from .._generator import draw_stream
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from .inplace import inplace
from .shape import broadcast_shapes, sum_to


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


class _MemoryOrder:
    """A non-contiguous tensor's array seen with its dims in memory order (largest stride
    first): PyTorch's CPU samplers fill a tensor in memory order, not index order."""

    def __init__(self, t, perm):
        self._be, self._arr = t._be, t._arr.transpose(perm)
        self.perm, self.shape = perm, t._arr.shape


def _aligned(t, arr):
    """A parameter array broadcast to the tensor ``t`` being filled, in t's draw order."""
    if isinstance(t, _MemoryOrder):
        return t._be.xp.broadcast_to(arr, t.shape).transpose(t.perm)
    return arr


def _memory_ordered(draw, t):
    """``draw(t)``, its values placed in t's memory order (as PyTorch's TensorIterator)."""
    a = t._arr
    if a.ndim < 2 or a.flags.c_contiguous:
        return draw(t)
    perm = sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]))
    return draw(_MemoryOrder(t, perm)).transpose(np.argsort(perm))


def _sample_inplace(self, node, draw, *params):
    """Write ``draw(self)`` (an array of self's shape and dtype, drawn in self's memory order)
    into self, recorded as ``node`` of self and the tensor ``params`` (zero gradients);
    returns self."""
    return inplace(self, lambda t: _record(_memory_ordered(draw, t), t._be, node, t, *params))


def _float_only(t, kernel):
    if not t.is_floating_point():
        raise NotImplementedError(f'"{kernel}" not implemented for \'{t.dtype.scalar_name}\'')


def _continuous(t, name, spelled):
    if not t.is_floating_point():
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified {spelled(t.dtype)}")


# ---- normal ----------------------------------------------------------------------------------

def _check_std(std, name="normal"):
    if isinstance(std, Tensor):
        if std.numel() and not bool((std._arr >= 0).all()):
            raise RuntimeError(f"{name} expects all elements of std >= 0.0")
    elif not std >= 0:  # nan too
        raise RuntimeError(f"{name} expects std >= 0.0, but found std {std:g}")


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
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
        t = empty(tuple(size) if not isinstance(size, numbers.Integral) else (size,),
                  dtype=dtype, device=device)
        _float_only(t, "normal_kernel_cpu")
        t._arr = draw_stream(t._be, generator, "normal").normal(t._arr.shape, t._arr.dtype,
                                                                 mean, std)
        return t.requires_grad_(requires_grad)
    if size is not None:
        raise TypeError("normal() received an invalid combination of arguments: size= goes "
                        "with a float mean and a float std only")
    like = mean if tm else std
    _float_only(like, "normal_kernel_cpu")
    be = like._be
    shape = broadcast_shapes(mean.shape if tm else (), std.shape if ts else ())
    np_dt = like._arr.dtype  # mean's dtype when it is a tensor, as PyTorch
    # PyTorch: normal_(0, std) then + mean for a float std, else normal_(0, 1) * std + mean
    eps = draw_stream(be, generator, "normal").normal(shape, np_dt, 0.0, 1.0 if ts else std)
    arr = eps * std._arr if ts else eps
    arr = (arr + (mean._arr if tm else mean)).astype(np_dt, copy=False)
    node = "NormalBackward3" if tm and ts else "NormalBackward1" if tm else "NormalBackward2"
    return _record(arr, be, node, *[t for t in (mean, std) if isinstance(t, Tensor)])


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """normal_(mean=0, std=1, *, generator=None) -> Tensor

    self filled with normal samples of mean ``mean`` and standard deviation ``std``."""
    _float_only(self, "normal_kernel_cpu")
    _check_std(std)
    vectorised = self._arr.flags.c_contiguous  # PyTorch: 16-blocks for contiguous tensors only
    return _sample_inplace(self, "NormalBackward0", lambda t: draw_stream(
        t._be, generator, "normal_").normal(t._arr.shape, t._arr.dtype, mean, std, vectorised))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """log_normal_(mean=1, std=2, *, generator=None) -> Tensor

    self filled with exp(N(mean, std**2)) samples."""
    _float_only(self, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _sample_inplace(self, "LogNormalBackward0", lambda t: draw_stream(
        t._be, generator, "log_normal_").log_normal(t._arr.shape, t._arr.dtype, mean, std))


# ---- uniform transforms ----------------------------------------------------------------------

def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    """uniform_(from=0, to=1, *, generator=None) -> Tensor

    self filled with samples uniform on [from, to)."""
    _float_only(self, "check_uniform_bounds")
    a, b = from_, to
    limit = float(np.finfo(self.dtype.np).max)
    for what, v in (("from", a), ("to", b)):
        if not -limit <= v <= limit:
            raise RuntimeError(f"{what} is out of bounds for {_dtype.CPP_NAMES[self.dtype.name]}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} "
                           f"> to={b:g}")
    return _sample_inplace(self, "UniformBackward0", lambda t: draw_stream(
        t._be, generator, "uniform_").uniform(t._arr.shape, t._arr.dtype, a, b))


def exponential_(self, lambd=1.0, *, generator=None):
    """exponential_(lambd=1, *, generator=None) -> Tensor

    self filled with exponential samples of rate ``lambd``: -log(1 - u) / lambd."""
    _continuous(self, "Exponential", lambda d: d.scalar_name)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _sample_inplace(self, "ExponentialBackward0", lambda t: draw_stream(
        t._be, generator, "exponential_").exponential(t._arr.shape, t._arr.dtype, lambd))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """cauchy_(median=0, sigma=1, *, generator=None) -> Tensor

    self filled with Cauchy samples: median + sigma * tan(pi * (u - 1/2))."""
    _continuous(self, "Cauchy", lambda d: {"Long": "long int", "Int": "int"}.get(
        d.scalar_name, d.scalar_name))
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return _sample_inplace(self, "CauchyBackward0", lambda t: draw_stream(
        t._be, generator, "cauchy_").cauchy(t._arr.shape, t._arr.dtype, median, sigma))


def geometric_(self, p, *, generator=None):
    """geometric_(p, *, generator=None) -> Tensor

    self filled with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")

    return _sample_inplace(self, "GeometricBackward0", lambda t: draw_stream(
        t._be, generator, "geometric_").geometric(t._arr.shape, t._arr.dtype, p))


def _probabilities_in_range(p):
    xp = p._be.xp
    if p.numel() and not bool(xp.all((p._arr >= 0) & (p._arr <= 1))):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")


def bernoulli(input, p=None, *, generator=None):
    """bernoulli(input, p=None, *, generator=None) -> Tensor

    0/1 samples (input's dtype) that are 1 with probability input (each element in [0, 1]),
    or with probability ``p`` when given."""
    if p is not None:
        return bernoulli_(input.detach().clone(), p, generator=generator)
    _float_only(input, "bernoulli_tensor_cpu_p_")
    _probabilities_in_range(input)
    arr = draw_stream(input._be, generator, "bernoulli").bernoulli(
        input._arr.shape, input._arr, input._arr.dtype)
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
        return draw_stream(t._be, generator, "bernoulli_").bernoulli(
            t._arr.shape, _aligned(t, p._arr) if tensor_p else p, t._arr.dtype)
    if tensor_p:
        return _sample_inplace(self, "BernoulliBackward1", draw, p)
    return _sample_inplace(self, "BernoulliBackward2", draw)


def poisson(input, generator=None):
    """poisson(input, generator=None) -> Tensor

    Poisson samples with rates ``input`` (input's dtype; zero gradient)."""
    _float_only(input, "poisson_cpu")
    if input.numel() and not bool(input._be.xp.all(input._arr >= 0)):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    arr = draw_stream(input._be, generator, "poisson").poisson(input._arr, input._arr.dtype)
    return _record(arr, input._be, "PoissonBackward0", input)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """multinomial(input, num_samples, replacement=False, *, generator=None) -> LongTensor

    ``num_samples`` category indices per row of ``input`` (1-d or 2-d non-negative weights,
    not necessarily summing to 1), with or without replacement."""
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype.scalar_name}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not isinstance(num_samples, numbers.Integral) or isinstance(num_samples, bool):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    be, xp = input._be, input._be.xp
    w = input._arr.reshape(-1, n)
    if not bool(xp.all(xp.isfinite(w) & (w >= 0))):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not bool(xp.all(w.astype(np.float64).sum(axis=1) > 0)):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    idx = draw_stream(be, generator, "multinomial").multinomial(w, num_samples, replacement)
    return _wrap(idx.reshape(input.shape[:-1] + (num_samples,)), be)


# ---- random_: integers -------------------------------------------------------------------------

def _random_bounds(dt, args):
    """[low, high) of random_(*args): random_() spans the dtype's exactly representable
    integers (floats: 0 .. 2**mantissa), random_(to) is [0, to), random_(from, None) is
    [from, the dtype's largest]."""
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 arguments ({len(args)} given)")
    for v in args:
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool)):
            raise TypeError(f"random_(): argument must be int, not {type(v).__name__}")
    if dt is _dtype.bool:
        top = 1
    elif dt.is_floating_point:
        top = 2 ** (np.finfo(dt.np).nmant + 1)
    else:
        top = int(np.iinfo(dt.np).max)
    bottom = 0 if dt is _dtype.bool or dt.is_floating_point else int(np.iinfo(dt.np).min)
    if not args:
        lo, hi = 0, top + 1
    elif len(args) == 1:
        lo, hi = 0, args[0]
    else:
        lo, hi = args[0], top + 1 if args[1] is None else args[1]
    name = _dtype.CPP_NAMES[dt.name]
    if not dt.is_floating_point:
        if not bottom <= lo <= top:
            raise RuntimeError(f"from is out of bounds for {name}")
        if hi is not None and hi - 1 > top:
            raise RuntimeError(f"to - 1 is out of bounds for {name}")
    if hi is None or lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= "
                           f"to={hi}")
    return lo, hi


def random_(self, *args, generator=None, **kwargs):
    """random_(from=0, to=None, *, generator=None) -> Tensor

    self filled with integers uniform on [from, to); random_(to) is [0, to), random_(from,
    None) is [from, the dtype's largest] and random_() the dtype's whole exactly-representable
    range (the keywords are PyTorch's: ``from``, ``to``)."""
    if kwargs:
        unknown = set(kwargs) - {"from", "to"}
        if unknown:
            raise TypeError(f"random_() got an unexpected keyword argument '{unknown.pop()}'")
        args = (kwargs.get("from", args[0] if args else 0), kwargs.get("to", None))
    lo, hi = _random_bounds(self.dtype, args)
    node = ("RandomBackward2", "RandomBackward1", "RandomBackward0")[min(len(args), 2)]

    def draw(t):
        stream = draw_stream(t._be, generator, "random_")
        if not args:
            return stream.random_full(t._arr.shape, t._arr.dtype)
        return stream.randint(lo, hi, t._arr.shape, t._arr.dtype)
    return _sample_inplace(self, node, draw)


METHODS = {"normal_": normal_, "log_normal_": log_normal_, "uniform_": uniform_,
           "exponential_": exponential_, "cauchy_": cauchy_, "geometric_": geometric_,
           "bernoulli": bernoulli, "bernoulli_": bernoulli_, "multinomial": multinomial,
           "random_": random_}
FUNCTIONS = {"normal": normal, "bernoulli": bernoulli, "poisson": poisson,
             "multinomial": multinomial}
