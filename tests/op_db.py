"""The op registry behind the generic op tests (like PyTorch's OpInfo database).

Every differentiable op of gradcore has one ``OpInfo`` here:

- ``op(lib, *tensors, *args, **kwargs)``: the call, written once for both libraries -- ``lib``
  is ``gradcore`` or ``torch`` (their APIs match), ``tensors`` come from the sample's arrays.
- ``samples(make)``: ``SampleInput`` objects.  ``make(*shape, i=0)`` draws a float64 array for
  the op's i-th floating input from the op's domain.  Floating arrays become tensors of the
  dtype under test with ``requires_grad=True``; integer / bool arrays (indices, masks,
  conditions) become tensors as they are, without gradient.
- ``domain``: where the inputs are drawn (one function, or one per input): positive for
  log/sqrt, nonzero for div, ``distinct`` (no ties, away from kinks) for abs/relu/clamp/max...
- flags: ``gradgrad`` (double backward is checked), ``gradcheck`` (False only with a reason),
  ``atol``/``rtol`` for gradcheck.

Samples stay small (a few dozen elements at most) so that gradcheck + gradgradcheck over the
whole registry run in seconds.
"""
import importlib
import zlib

import numpy as np


# ---- domains: f(rng, shape, i) -> float64 array ----------------------------------------------

def real(rng, shape, i):
    return rng.standard_normal(shape)


def positive(rng, shape, i):
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng, shape, i):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def distinct(rng, shape, i):
    """Distinct values on a grid of step 0.3 offset by 0.05 + 0.1 * i: no ties within one
    tensor, none between inputs 0, 1 and 2 (their values differ by at least 0.1), never 0, and
    never on the clamp bounds used below (+-0.5)."""
    n = int(np.prod(shape, dtype=np.int64))
    vals = (rng.permutation(n) - n // 2) * 0.3 + 0.05 + 0.1 * i
    return vals.reshape(shape)


def lower_bounds(rng, shape, i):
    """Negative, on the residue 0.15 (mod 0.3): never equal to a ``distinct`` input 0 value."""
    return -(0.3 * rng.integers(0, 4, shape) + 0.15)


def upper_bounds(rng, shape, i):
    """Positive, on the residue 0.25 (mod 0.3)."""
    return 0.3 * rng.integers(0, 4, shape) + 0.25


# ---- samples and op infos --------------------------------------------------------------------

class SampleInput:
    def __init__(self, *arrays, args=(), kwargs=None, desc=None):
        self.arrays = arrays
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self._desc = desc

    @property
    def desc(self):
        if self._desc is not None:
            return self._desc
        parts = ["x".join(map(str, a.shape)) or "0d" for a in self.arrays]
        parts += [_short(a) for a in self.args]
        parts += [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        return ",".join(parts)

    def __repr__(self):
        return f"SampleInput({self.desc})"


def _short(v):
    if callable(v):
        return getattr(v, "__name__", "fn")
    return str(v).replace(" ", "")


class OpInfo:
    def __init__(self, name, op, samples, *, domain=real, gradgrad=True, gradcheck=True,
                 gradcheck_skip_reason=None, atol=1e-5, rtol=1e-3, module="elementwise"):
        self.name = name
        self.op = op
        self._samples = samples
        self.domain = domain
        self.gradgrad = gradgrad
        self.gradcheck = gradcheck
        self.gradcheck_skip_reason = gradcheck_skip_reason
        self.atol, self.rtol = atol, rtol
        self.module = module  # the gradcore.ops module the op is expected in (for reports)

    def sample_inputs(self):
        """Deterministic samples (the RNG is seeded by the op's name)."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))

        def make(*shape, i=0):
            dom = self.domain[i] if isinstance(self.domain, (tuple, list)) else self.domain
            return np.asarray(dom(rng, shape, i), dtype=np.float64)

        make.rng = rng
        return list(self._samples(make))

    def __repr__(self):
        return f"OpInfo({self.name})"


def S(*arrays, **kw):
    args = kw.pop("args", ())
    desc = kw.pop("desc", None)
    return SampleInput(*arrays, args=args, kwargs=kw, desc=desc)


def idx(*values):
    """An int64 index array (becomes an index tensor, without gradient)."""
    return np.array(values, dtype=np.int64)


# ---- sample generators -----------------------------------------------------------------------

BINARY_SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 2)), ((2, 1, 3), (2, 1)),
                 ((), (2, 3)), ((2, 3), ()), ((), ()), ((1,), (3, 1))]
UNARY_SHAPES = [(2, 3), (4,), (), (1, 3, 1)]


def unary(make):
    for shape in UNARY_SHAPES:
        yield S(make(*shape))


def binary(make):
    for sa, sb in BINARY_SHAPES:
        yield S(make(*sa, i=0), make(*sb, i=1))


def with_scalars(*scalars, shapes=((2, 3), (), (1, 2))):
    def gen(make):
        for s in scalars:
            for shape in shapes:
                yield S(make(*shape), args=(s,))
    return gen


def reductions(make, *, tuple_dims=True, all_dims=True):
    """dim as None / int / negative int / tuple, keepdim, 0-d and size-1 dims."""
    if all_dims:
        yield S(make(2, 3))
        yield S(make())
    yield S(make(2, 3), args=(1,))
    yield S(make(2, 3), args=(-1,), keepdim=True)
    yield S(make(3), args=(0,))
    yield S(make(), args=(0,))
    yield S(make(2, 1, 3), args=(1,), keepdim=True)
    if tuple_dims:
        yield S(make(2, 2, 3), args=((0, 2),))
        yield S(make(2, 2, 3), dim=(0, -1), keepdim=True)


def dim_only(make):
    yield from reductions(make, all_dims=False)


def dim_int_only(make):
    yield from reductions(make, all_dims=False, tuple_dims=False)


def var_std(make):
    yield S(make(2, 3))
    yield S(make(2, 3), args=(1,))
    yield S(make(2, 3), args=(-1,), keepdim=True)
    yield S(make(2, 2, 3), args=((0, 2),))
    yield S(make(3, 2), args=(0,), unbiased=False)
    yield S(make(2, 3), dim=1, correction=0)
    yield S(make(2, 3), dim=(0, 1), keepdim=True, correction=2)


def norm_samples(make):
    yield S(make(2, 3))
    yield S(make(2, 3), dim=1)
    yield S(make(2, 3), args=(2,), dim=-1, keepdim=True)
    yield S(make(2, 3), p=1)
    yield S(make(2, 3), p=1, dim=0)
    yield S(make(2, 2, 3), p=3, dim=(0, 2))
    yield S(make(4))


def cumsum_samples(make):
    yield S(make(2, 3), args=(0,))
    yield S(make(2, 3), args=(-1,))
    yield S(make(2, 1, 3), dim=2)
    yield S(make(4), dim=0)
    yield S(make(), args=(0,))


def prod_with_zero(make):
    a = make(2, 3)
    a[0, 1] = 0.0
    yield S(a.copy())
    yield S(a.copy(), args=(1,))
    yield S(a.copy(), args=(0,), keepdim=True)
    b = make(2, 3)
    b[1, 0] = b[1, 2] = 0.0
    yield S(b.copy())
    yield S(b.copy(), args=(1,))


def matmul_samples(make):
    for sa, sb in [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 2)),
                   ((2, 2, 3), (2, 3, 2)), ((2, 2, 3), (3, 2)), ((3,), (2, 3, 2)),
                   ((2, 2, 3), (3,)), ((2, 1, 2, 3), (2, 3, 2)), ((1, 3), (3, 1))]:
        yield S(make(*sa, i=0), make(*sb, i=1))


def where_samples(make):
    rng = make.rng
    for sc, sa, sb in [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((3,), (2, 3), ()),
                       ((), (2,), (2,)), ((2, 1), (1, 3), (2, 3))]:
        cond = np.asarray(rng.random(sc) > 0.5)
        yield S(cond, make(*sa, i=0), make(*sb, i=1))


def clamp_tensor_samples(make):
    rng = make.rng

    def lo(*s):
        return lower_bounds(rng, s, 1)

    def hi(*s):
        return upper_bounds(rng, s, 2)

    yield S(make(2, 3), lo(2, 3), hi(2, 3), desc="lo,hi")
    yield S(make(2, 3), lo(3), hi(2, 1), desc="lo,hi-broadcast")
    yield S(make(2, 3), lo(2, 3), None, desc="min-only")
    yield S(make(2, 3), None, hi(3), desc="max-only")
    yield S(make(4), lo(), hi(), desc="0d-bounds")


def _off_integers(q):
    """No quotient within 0.05 of an integer: floor / trunc of it (the rounded divisions, the
    derivatives of remainder and fmod) stay constant under gradcheck's perturbations."""
    q = np.asarray(q)
    return bool(np.all(np.abs(q - np.round(q)) > 0.05))


def divmod_samples(make):
    """``binary`` shapes, the quotients a / b away from integers (redrawn until they are)."""
    for sa, sb in BINARY_SHAPES:
        a, b = make(*sa, i=0), make(*sb, i=1)
        while not _off_integers(a / b):
            a, b = make(*sa, i=0), make(*sb, i=1)
        yield S(a, b)


def divmod_scalar_samples(*scalars, reflected=False):
    """``with_scalars``, x / s (s / x when ``reflected``) away from integers."""
    def gen(make):
        for s in scalars:
            for shape in ((2, 3), (), (1, 2)):
                x = make(*shape)
                while not _off_integers(s / x if reflected else x / s):
                    x = make(*shape)
                yield S(x, args=(s,))
    return gen


# ---- the registry ----------------------------------------------------------------------------

OP_DB = []


def register(*args, **kwargs):
    info = OpInfo(*args, **kwargs)
    OP_DB.append(info)
    return info


# elementwise binary ------------------------------------------------------------------------
register("add", lambda lib, a, b: a + b, binary)
register("add_alpha", lambda lib, a, b: lib.add(a, b, alpha=2), binary)
register("add_scalar", lambda lib, x, s: x + s, with_scalars(2.5, 3))
register("radd_scalar", lambda lib, x, s: s + x, with_scalars(2.5, -1))
register("sub", lambda lib, a, b: a - b, binary)
register("sub_alpha", lambda lib, a, b: lib.sub(a, b, alpha=0.5), binary)
register("sub_scalar", lambda lib, x, s: x - s, with_scalars(1.5, 2))
register("rsub_scalar", lambda lib, x, s: s - x, with_scalars(2, 0.5))
register("mul", lambda lib, a, b: a * b, binary)
register("mul_scalar", lambda lib, x, s: x * s, with_scalars(3, -0.5))
register("rmul_scalar", lambda lib, x, s: s * x, with_scalars(2.5, 4))
register("div", lambda lib, a, b: a / b, binary, domain=(real, nonzero))
register("div_scalar", lambda lib, x, s: x / s, with_scalars(2.5, -4))
register("rdiv_scalar", lambda lib, x, s: s / x, with_scalars(2, -1.5), domain=nonzero)
register("div_floor", lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), divmod_samples,
         domain=(real, nonzero))
register("div_trunc", lambda lib, a, b: a.div(b, rounding_mode="trunc"), divmod_samples,
         domain=(real, nonzero))
register("div_floor_scalar", lambda lib, x, s: x.div(s, rounding_mode="floor"),
         divmod_scalar_samples(0.7, -2))
register("rdiv_trunc_scalar", lambda lib, x, s: lib.div(s, x, rounding_mode="trunc"),
         divmod_scalar_samples(3, -2.5, reflected=True), domain=nonzero)
register("remainder", lambda lib, a, b: a % b, divmod_samples, domain=(real, nonzero))
register("remainder_fn", lambda lib, a, b: lib.remainder(a, b), divmod_samples,
         domain=(real, nonzero))
register("remainder_scalar", lambda lib, x, s: x % s, divmod_scalar_samples(0.7, -2, 3))
register("fmod", lambda lib, a, b: lib.fmod(a, b), divmod_samples, domain=(real, nonzero))
register("fmod_method", lambda lib, a, b: a.fmod(b), divmod_samples, domain=(real, nonzero))
register("fmod_scalar", lambda lib, x, s: lib.fmod(x, s), divmod_scalar_samples(0.7, -2, 3))
register("pow_tensor", lambda lib, a, b: a ** b, binary, domain=(positive, real))
register("pow_scalar", lambda lib, x, e: x ** e,
         with_scalars(2, 3, 0.5, -1.5, 1, 0), domain=positive)
register("pow_int_exponent_real_base", lambda lib, x, e: lib.pow(x, e),
         with_scalars(2, 3, -2), domain=nonzero)
register("rpow_scalar", lambda lib, x, s: s ** x, with_scalars(2, 0.5, 3.5))
register("maximum", lambda lib, a, b: lib.maximum(a, b), binary, domain=distinct)
register("minimum", lambda lib, a, b: lib.minimum(a, b), binary, domain=distinct)
register("max_binary", lambda lib, a, b: lib.max(a, b), binary, domain=distinct,
         module="reduction")
register("min_binary", lambda lib, a, b: a.min(b), binary, domain=distinct, module="reduction")
register("where", lambda lib, c, a, b: lib.where(c, a, b), where_samples)
register("where_scalar_other", lambda lib, c, a: lib.where(c, a, 0.5),
         lambda make: (S(*s.arrays[:2]) for s in where_samples(make)))

# elementwise unary -------------------------------------------------------------------------
register("neg", lambda lib, x: -x, unary)
register("neg_fn", lambda lib, x: lib.neg(x), unary)
register("abs", lambda lib, x: x.abs(), unary, domain=distinct)
register("exp", lambda lib, x: lib.exp(x), unary)
register("log", lambda lib, x: lib.log(x), unary, domain=positive)
register("sqrt", lambda lib, x: x.sqrt(), unary, domain=positive)
register("sin", lambda lib, x: lib.sin(x), unary)
register("cos", lambda lib, x: x.cos(), unary)
register("tanh", lambda lib, x: lib.tanh(x), unary)
register("sigmoid", lambda lib, x: x.sigmoid(), unary)
register("relu", lambda lib, x: lib.relu(x), unary, domain=distinct)
register("reciprocal", lambda lib, x: x.reciprocal(), unary, domain=nonzero)
register("rsqrt", lambda lib, x: lib.rsqrt(x), unary, domain=positive)
register("erf", lambda lib, x: lib.erf(x), unary, module="special")
register("erfc", lambda lib, x: x.erfc(), unary, module="special")
register("erf_wide", lambda lib, x: lib.erf(x * 4), unary, module="special")  # the tails
register("erfc_wide", lambda lib, x: lib.erfc(x * 4), unary, module="special")
# away from the origin and from the jump along the negative x axis (a = 0, b < 0)
register("atan2", lambda lib, a, b: lib.atan2(a, b), binary, domain=(nonzero, nonzero))
register("atan2_method", lambda lib, a, b: a.atan2(b), binary, domain=(nonzero, nonzero))
# piecewise constant: zero gradients, samples away from the jumps (``distinct`` never lands on
# an integer, a half or zero)
register("sign", lambda lib, x: x.sign(), unary, domain=distinct)
register("floor", lambda lib, x: lib.floor(x), unary, domain=distinct)
register("ceil", lambda lib, x: x.ceil(), unary, domain=distinct)
register("round", lambda lib, x: lib.round(x), unary, domain=distinct)
register("trunc", lambda lib, x: x.trunc(), unary, domain=distinct)
register("square", lambda lib, x: x.square(), unary)
register("clamp", lambda lib, x, *a, **k: x.clamp(*a, **k),
         lambda make: [S(make(2, 3), args=(-0.5, 0.5)), S(make(2, 3), min=-0.5),
                       S(make(2, 3), max=0.5), S(make(), args=(-0.5, 0.5)),
                       S(make(5), min=-0.5, max=0.5)],
         domain=distinct)
register("clamp_fn", lambda lib, x, *a, **k: lib.clamp(x, *a, **k),
         lambda make: [S(make(2, 3), min=-0.5, max=0.5), S(make(4), max=0.5)],
         domain=distinct)


def _clamp_tensor(lib, x, lo, hi):
    if lo is None:
        return lib.clamp(x, max=hi)
    if hi is None:
        return x.clamp(min=lo)
    return lib.clamp(x, lo, hi)


# arrays: x, lo, hi (None for an absent bound: the tests pass None through)
register("clamp_tensor", _clamp_tensor, clamp_tensor_samples, domain=distinct)

# reductions --------------------------------------------------------------------------------
register("sum", lambda lib, x, *a, **k: x.sum(*a, **k), reductions, module="reduction")
register("sum_fn", lambda lib, x, *a, **k: lib.sum(x, *a, **k), reductions, module="reduction")
register("mean", lambda lib, x, *a, **k: x.mean(*a, **k), reductions, module="reduction")
register("max_all", lambda lib, x: x.max(), unary, domain=distinct, module="reduction")
register("min_all", lambda lib, x: lib.min(x), unary, domain=distinct, module="reduction")
register("max_dim", lambda lib, x, *a, **k: x.max(*a, **k), dim_int_only, domain=distinct,
         module="reduction")
register("min_dim", lambda lib, x, *a, **k: lib.min(x, *a, **k), dim_int_only, domain=distinct,
         module="reduction")
register("amax", lambda lib, x, *a, **k: x.amax(*a, **k), reductions, domain=distinct,
         module="reduction")
register("amin", lambda lib, x, *a, **k: lib.amin(x, *a, **k), reductions, domain=distinct,
         module="reduction")
register("var", lambda lib, x, *a, **k: x.var(*a, **k), var_std, module="reduction")
register("std", lambda lib, x, *a, **k: lib.std(x, *a, **k), var_std, module="reduction")
register("logsumexp", lambda lib, x, *a, **k: x.logsumexp(*a, **k), dim_only,
         module="reduction")
register("prod", lambda lib, x, *a, **k: x.prod(*a, **k), dim_int_only, domain=nonzero,
         module="reduction")
register("prod_all", lambda lib, x: lib.prod(x), unary, domain=nonzero, module="reduction")
register("prod_with_zero", lambda lib, x, *a, **k: x.prod(*a, **k), prod_with_zero,
         module="reduction")
register("norm", lambda lib, x, *a, **k: x.norm(*a, **k), norm_samples, domain=nonzero,
         module="reduction")
register("norm_fn", lambda lib, x, *a, **k: lib.norm(x, *a, **k),
         lambda make: [S(make(2, 3)), S(make(3, 2), dim=0), S(make(2, 3), p=1, dim=1)],
         domain=nonzero, module="reduction")
register("cumsum", lambda lib, x, *a, **k: x.cumsum(*a, **k), cumsum_samples, module="reduction")

# linear algebra ----------------------------------------------------------------------------
register("matmul", lambda lib, a, b: lib.matmul(a, b), matmul_samples, module="linalg")
register("matmul_operator", lambda lib, a, b: a @ b,
         lambda make: [S(make(2, 3), make(3, 2, i=1)), S(make(2, 2, 3), make(3, i=1))],
         module="linalg")
register("mm", lambda lib, a, b: lib.mm(a, b),
         lambda make: [S(make(2, 3), make(3, 4, i=1)), S(make(1, 1), make(1, 2, i=1))],
         module="linalg")
register("mm_method", lambda lib, a, b: a.mm(b),
         lambda make: [S(make(3, 2), make(2, 2, i=1))], module="linalg")
register("bmm", lambda lib, a, b: lib.bmm(a, b),
         lambda make: [S(make(2, 2, 3), make(2, 3, 2, i=1)), S(make(1, 3, 1), make(1, 1, 2))],
         module="linalg")
register("dot", lambda lib, a, b: lib.dot(a, b),
         lambda make: [S(make(3), make(3, i=1)), S(make(1), make(1, i=1))], module="linalg")
register("mv", lambda lib, a, b: a.mv(b),
         lambda make: [S(make(2, 3), make(3, i=1)), S(make(1, 2), make(2, i=1))],
         module="linalg")
register("addmm", lambda lib, c, a, b, **k: lib.addmm(c, a, b, **k),
         lambda make: [S(make(2, 4), make(2, 3, i=1), make(3, 4, i=2)),
                       S(make(4), make(2, 3, i=1), make(3, 4, i=2)),
                       S(make(2, 1), make(2, 3, i=1), make(3, 2, i=2), beta=0.5, alpha=2),
                       S(make(), make(1, 2, i=1), make(2, 3, i=2), alpha=-1)],
         module="linalg")
register("outer", lambda lib, a, b: lib.outer(a, b),
         lambda make: [S(make(3), make(2, i=1)), S(make(1), make(4, i=1))], module="linalg")

# shape and views ---------------------------------------------------------------------------
register("reshape", lambda lib, x, *a: x.reshape(*a),
         lambda make: [S(make(2, 3), args=(3, 2)), S(make(2, 3), args=(-1,)),
                       S(make(2, 3), args=((1, 6),)), S(make(), args=(1,)),
                       S(make(1), args=((),)), S(make(2, 3), args=(2, -1, 1))],
         module="shape")
register("reshape_fn", lambda lib, x, s: lib.reshape(x, s),
         lambda make: [S(make(2, 2), args=((4,),)), S(make(2, 3).T, args=((6,),))],
         module="shape")
register("view", lambda lib, x, *a: x.view(*a),
         lambda make: [S(make(2, 3), args=(3, 2)), S(make(2, 3), args=(-1, 1)),
                       S(make(4), args=((2, 2),)), S(make(), args=(1, 1))],
         module="shape")
register("flatten", lambda lib, x, *a: x.flatten(*a),
         lambda make: [S(make(2, 1, 3)), S(make(2, 1, 3), args=(1,)),
                       S(make(2, 2, 3), args=(0, 1)), S(make())],
         module="shape")
register("flatten_fn", lambda lib, x, *a: lib.flatten(x, *a),
         lambda make: [S(make(2, 2, 2), args=(-2, -1))], module="shape")
register("unsqueeze", lambda lib, x, d: x.unsqueeze(d),
         lambda make: [S(make(2, 3), args=(0,)), S(make(2, 3), args=(-1,)),
                       S(make(2, 3), args=(1,)), S(make(), args=(0,))],
         module="shape")
register("squeeze", lambda lib, x, *a: x.squeeze(*a),
         lambda make: [S(make(2, 1, 3)), S(make(2, 1, 3), args=(1,)),
                       S(make(2, 1, 3), args=(-2,)), S(make(2, 1, 3), args=(0,)),
                       S(make(1, 1)), S(make()), S(make(2, 1, 1), args=((1, 2),))],
         module="shape")
register("expand", lambda lib, x, *a: x.expand(*a),
         lambda make: [S(make(3, 1), args=(3, 4)), S(make(3, 1), args=(2, 3, 4)),
                       S(make(3, 1), args=(-1, 2)), S(make(), args=(2, 2)),
                       S(make(1), args=((3,),))],
         module="shape")
register("expand_as", lambda lib, x, y: x.expand_as(y),
         lambda make: [S(make(1, 3), np.zeros((2, 3), dtype=np.int64)),
                       S(make(), np.zeros((2,), dtype=np.int64))], module="shape")
register("permute", lambda lib, x, *a: x.permute(*a),
         lambda make: [S(make(2, 3, 2), args=(2, 0, 1)), S(make(2, 3, 2), args=(-1, 0, 1)),
                       S(make(2, 3), args=((1, 0),))],
         module="shape")
register("permute_fn", lambda lib, x, d: lib.permute(x, d),
         lambda make: [S(make(2, 1, 3), args=((1, 0, 2),))], module="shape")
register("transpose", lambda lib, x, a, b: x.transpose(a, b),
         lambda make: [S(make(2, 3), args=(0, 1)), S(make(2, 3, 2), args=(-1, 0)),
                       S(make(2, 3, 2), args=(1, 1))],
         module="shape")
register("transpose_fn", lambda lib, x, a, b: lib.transpose(x, a, b),
         lambda make: [S(make(2, 2, 3), args=(1, 2))], module="shape")
register("t", lambda lib, x: x.t(), lambda make: [S(make(2, 3)), S(make(3))], module="shape")
register("T", lambda lib, x: x.T, lambda make: [S(make(2, 3)), S(make(1, 3))], module="shape")
register("contiguous", lambda lib, x: x.t().contiguous(),
         lambda make: [S(make(2, 3)), S(make(3, 1))], module="shape")
register("contiguous_noop", lambda lib, x: x.contiguous(),
         lambda make: [S(make(2, 3))], module="shape")
register("clone", lambda lib, x: x.clone(), unary)

# join / split ------------------------------------------------------------------------------
register("cat", lambda lib, *ts, dim=0: lib.cat(list(ts), dim=dim),
         lambda make: [S(make(2, 3), make(1, 3, i=1)), S(make(2, 3), make(2, 2, i=1), dim=1),
                       S(make(2, 1), make(2, 2, i=1), make(2, 1, i=2), dim=-1),
                       S(make(3)), S(make(2), make(3, i=1))],
         module="join")
register("cat_tuple", lambda lib, a, b: lib.cat((a, b), 1),
         lambda make: [S(make(1, 2, 2), make(1, 1, 2, i=1))], module="join")
register("stack", lambda lib, *ts, dim=0: lib.stack(list(ts), dim=dim),
         lambda make: [S(make(2, 3), make(2, 3, i=1)), S(make(2, 3), make(2, 3, i=1), dim=-1),
                       S(make(2, 3), make(2, 3, i=1), make(2, 3, i=2), dim=1),
                       S(make(), make(i=1)), S(make(3))],
         module="join")
register("split", lambda lib, x, *a, **k: x.split(*a, **k),
         lambda make: [S(make(3, 2), args=(2,)), S(make(2, 3), args=([1, 2],), dim=1),
                       S(make(2, 4), args=(2,), dim=-1), S(make(4), args=(4,))],
         module="join")
register("split_fn", lambda lib, x, *a, **k: lib.split(x, *a, **k),
         lambda make: [S(make(2, 3), args=(1,), dim=-1)], module="join")
register("chunk", lambda lib, x, *a, **k: x.chunk(*a, **k),
         lambda make: [S(make(4, 2), args=(2,)), S(make(2, 3), args=(3,), dim=1),
                       S(make(5), args=(2,)), S(make(2, 3), args=(2,), dim=-1)],
         module="join")
register("unbind", lambda lib, x, *a: x.unbind(*a),
         lambda make: [S(make(2, 3)), S(make(2, 3), args=(1,)), S(make(2, 1, 2), args=(-1,))],
         module="join")
register("unbind_fn", lambda lib, x, d: lib.unbind(x, d),
         lambda make: [S(make(3, 2), args=(0,))], module="join")
register("flip", lambda lib, x, *a: x.flip(*a),
         lambda make: [S(make(2, 3), args=(0,)), S(make(2, 3), args=((0, 1),)),
                       S(make(2, 3, 2), args=([-1],)), S(make(2, 3), args=(1, 0))],
         module="join")
register("flip_fn", lambda lib, x, d: lib.flip(x, d),
         lambda make: [S(make(2, 3), args=([-1],))], module="join")
register("repeat", lambda lib, x, *a: x.repeat(*a),
         lambda make: [S(make(2, 3), args=(2, 1)), S(make(2, 3), args=(2, 1, 2)),
                       S(make(), args=(3,)), S(make(3), args=((2, 2),)),
                       S(make(1, 2), args=(1, 1))],
         module="join")


# indexing ----------------------------------------------------------------------------------
# ``key(*index_tensors)`` builds the index from the sample's non-float tensors.
def _getitem(lib, x, *index_tensors, key):
    return x[key(*index_tensors)]


def _k(fn, name):
    fn.__name__ = name
    return fn


def getitem_samples(make):
    def s(shape, key, name, *index_arrays):
        return S(make(*shape), *index_arrays, key=_k(key, name))
    yield s((3, 4), lambda: 1, "[1]")
    yield s((3, 4), lambda: -1, "[-1]")
    yield s((3, 4), lambda: (1, 2), "[1,2]")
    yield s((4,), lambda: 2, "[2]-0d-result")
    yield s((4, 3), lambda: slice(1, 3), "[1:3]")
    yield s((5, 2), lambda: slice(None, None, 2), "[::2]")
    yield s((5, 4), lambda: (slice(1, None, 2), slice(None, 3)), "[1::2,:3]")
    yield s((2, 3, 2), lambda: (Ellipsis, 1), "[...,1]")
    yield s((2, 3), lambda: None, "[None]")
    yield s((2, 3), lambda: (slice(None), None, 1), "[:,None,1]")
    yield s((2, 3, 2), lambda: (0, Ellipsis, None), "[0,...,None]")
    yield s((3, 2), lambda: [0, 2], "[[0,2]]")
    yield s((3, 2), lambda: [0, 2, 0, 0], "[[0,2,0,0]]-duplicates")
    yield s((4, 2), lambda i: i, "[tensor]-duplicates", idx(1, 3, 1))
    yield s((3, 3), lambda i: (slice(1, None), i), "[1:,tensor]", idx(0, 0, 2))
    yield s((3, 4), lambda: ([0, 1, 2], [1, 3, 1]), "[[0,1,2],[1,3,1]]")
    yield s((3, 4), lambda i: (i, 1), "[2d-tensor,1]", np.array([[0, 2], [2, 2]]))
    yield s((2, 3), lambda m: m, "[bool-mask]",
            np.array([[True, False, True], [False, False, True]]))
    yield s((3, 2), lambda m: m, "[bool-rows]", np.array([True, False, True]))
    yield s((2, 3), lambda m: m, "[bool-all-false]", np.zeros((2, 3), dtype=bool))
    yield s((), lambda: None, "0d[None]")
    yield s((), lambda: Ellipsis, "0d[...]")


register("getitem", _getitem, getitem_samples, module="indexing")
register("index_select", lambda lib, x, i, d: x.index_select(d, i),
         lambda make: [S(make(3, 2), idx(2, 0), args=(0,)),
                       S(make(2, 3), idx(1, 1, 0, 2), args=(1,)),
                       S(make(2, 3), idx(2), args=(-1,)), S(make(4), idx(0, 3, 3), args=(0,))],
         module="indexing")
register("index_select_fn", lambda lib, x, i, d: lib.index_select(x, d, i),
         lambda make: [S(make(3, 2), idx(0, 0), args=(-2,))], module="indexing")
register("gather", lambda lib, x, i, d: x.gather(d, i),
         lambda make: [S(make(2, 3), np.array([[0, 2], [1, 1]]), args=(1,)),
                       S(make(3, 2), np.array([[2, 0], [0, 0]]), args=(0,)),
                       S(make(2, 3), np.array([[2], [0]]), args=(-1,)),
                       S(make(4), idx(3, 3, 0), args=(0,))],
         module="indexing")
register("gather_fn", lambda lib, x, i, d: lib.gather(x, d, i),
         lambda make: [S(make(2, 2), np.array([[1, 0], [1, 1]]), args=(1,))],
         module="indexing")
register("put", lambda lib, x, i, v: x.put(i, v),
         lambda make: [S(make(2, 3), idx(1, -1, 4), make(3, i=1)),
                       S(make(5), np.array([[0, 2]]), make(1, 2, i=1)),
                       S(make(), idx(0), make(1, i=1))], module="indexing")
register("put_accumulate", lambda lib, x, i, v: lib.put(x, i, v, accumulate=True),
         lambda make: [S(make(2, 3), idx(1, 1, 5), make(3, i=1))], module="indexing")
register("index_range", lambda lib, x: x[range(1, 3)],
         lambda make: [S(make(4, 2)), S(make(3))], module="indexing")
register("masked_fill", lambda lib, x, m, v: x.masked_fill(m, v),
         lambda make: [S(make(2, 3), np.array([[True, False, True], [False, False, True]]),
                         args=(0.5,)),
                       S(make(2, 3), np.array([False, True, True]), args=(-2.0,)),
                       S(make(), np.array(True), args=(1.0,)),
                       S(make(2, 2), np.array([[True], [False]]), args=(0,))],
         module="indexing")
register("masked_fill_tensor_value", lambda lib, x, m, v: x.masked_fill(m, v),
         lambda make: [S(make(2, 3), np.array([[True, False, True], [False, False, True]]),
                         make(i=1))],
         module="indexing")

# softmax -----------------------------------------------------------------------------------
register("softmax", lambda lib, x, d: x.softmax(d),
         lambda make: [S(make(2, 3), args=(-1,)), S(make(2, 3), args=(0,)),
                       S(make(2, 2, 3), args=(1,)), S(make(4), args=(0,)), S(make(), args=(0,))],
         module="softmax")
register("softmax_fn", lambda lib, x, d: lib.softmax(x, dim=d),
         lambda make: [S(make(2, 3), args=(1,))], module="softmax")
register("log_softmax", lambda lib, x, d: x.log_softmax(d),
         lambda make: [S(make(2, 3), args=(-1,)), S(make(2, 3), args=(0,)),
                       S(make(2, 2, 3), args=(1,)), S(make(4), args=(0,)), S(make(), args=(0,))],
         module="softmax")
register("log_softmax_fn", lambda lib, x, d: lib.log_softmax(x, d),
         lambda make: [S(make(2, 3), args=(0,))], module="softmax")

# dtype conversions -------------------------------------------------------------------------
register("to_float64", lambda lib, x: x.to(lib.float64), unary)
register("double", lambda lib, x: x.double(), unary)
register("to_dtype_kwarg_float64", lambda lib, x: x.to(dtype=lib.float64) * 2,
         lambda make: [S(make(2, 3))])
register("to_float32", lambda lib, x: x.float(), lambda make: [S(make(2, 3)), S(make())],
         gradcheck=False,
         gradcheck_skip_reason="its output is float32: finite differences of a float64 input "
                               "through a float32 output cannot meet gradcheck's tolerance "
                               "(PyTorch's OpInfo skips it too); the parity test covers it")

# composites: several ops in one graph (shared inputs, accumulation) --------------------------
register("composite_mlp",
         lambda lib, x, w, b: lib.tanh(x @ w + b).sum(-1).mean(),
         lambda make: [S(make(2, 3), make(3, 2, i=1), make(2, i=2))], module="linalg")
register("composite_shared_input", lambda lib, x: x * x.exp() - x.sin() / 2,
         lambda make: [S(make(2, 3))])

# the families' own entry files (each registers into OP_DB when imported)
for _family in ("unary_math", "binary_math", "sorting", "scan", "structure", "contraction",
                "activation", "conv"):
    importlib.import_module("op_db_" + _family)

OP_BY_NAME = {op.name: op for op in OP_DB}
assert len(OP_BY_NAME) == len(OP_DB), "duplicate op names in OP_DB"


def all_samples():
    """(op, index, sample) for every sample of every op, with a pytest id."""
    out = []
    for op in OP_DB:
        for k, s in enumerate(op.sample_inputs()):
            out.append((op, k, s))
    return out


# ---- helpers shared by the generic tests -----------------------------------------------------

def make_inputs(lib, sample, dtype, device=None, requires_grad=True):
    """``lib`` tensors for a sample: floating arrays as ``dtype`` (a name, e.g. "float32") with
    ``requires_grad``; integer / bool arrays as they are; None stays None."""
    out = []
    for a in sample.arrays:
        if a is None:
            out.append(None)
            continue
        a = np.asarray(a)
        kw = {} if device is None else {"device": device}
        if a.dtype.kind == "f":
            out.append(lib.tensor(a.astype(dtype), dtype=getattr(lib, dtype),
                                  requires_grad=requires_grad, **kw))
        else:
            out.append(lib.tensor(a, **kw))
    return out


def call(op, lib, sample, tensors):
    return op.op(lib, *tensors, *sample.args, **sample.kwargs)


def as_list(out):
    """An op's outputs as a list (tuples, namedtuples such as max(dim)'s, lists)."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


def node_name(t):
    fn = t.grad_fn
    return None if fn is None else type(fn).__name__


def dtype_name(t):
    return str(t.dtype).split(".")[-1]


def to_numpy(t):
    """Host copy of a gradcore or torch tensor."""
    return np.array(t.detach().cpu().numpy(), copy=True)


RTOL = {"float16": 1e-3, "float32": 1e-5, "float64": 1e-10}


def assert_close(got, expected, dtype, what=""):
    """Values agree to ``RTOL[dtype]`` relative to each element, with an absolute floor of the
    same size relative to the array's scale (max |expected|, at least 1)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected, err_msg=what)
        return
    rtol = RTOL[dtype]
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max(initial=0.0)))
    np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64),
                               rtol=rtol, atol=rtol * scale, err_msg=what)
