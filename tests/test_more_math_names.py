"""Issue 12's names (fmax ... corrcoef, the legacy linalg forms, the small torch.linalg
functions): each checked against PyTorch itself -- values, dtypes, shapes, gradients (and
float64 gradcheck / gradgradcheck), error types and messages."""
import warnings

import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _fields(r):
    """A named tuple's field names (PyTorch's return types are structseqs)."""
    return tuple(getattr(r, "_fields", None) or type(r).__match_args__)


def _outs(r):
    return list(r) if isinstance(r, tuple) else [r]


def _compare(torch, fn, arrays, *, grad=True, rtol=1e-10, atol=1e-12, int_arrays=()):
    """fn(lib, *tensors) in both libraries on the same float64 arrays (int_arrays: integer
    tensors without gradient): outputs' values, dtypes, shapes and named-tuple field names,
    and the gradients of a random weighting of the differentiable outputs."""
    res = {}
    for lib in (torch, gradcore):
        ts = [lib.tensor(a, dtype=lib.float64, requires_grad=grad) for a in arrays]
        ts += [lib.tensor(a) for a in int_arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib, *ts)
        outs = _outs(out)
        loss = None
        rng = np.random.default_rng(0)
        for o in outs:
            if o.requires_grad:
                w = lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype)
                term = (o * w).sum()
                loss = term if loss is None else loss + term
        if loss is not None:
            loss.backward()
        res[lib] = (out, outs, [t.grad for t in ts[:len(arrays)]])
    (t_out, t_outs, t_grads), (g_out, g_outs, g_grads) = res[torch], res[gradcore]
    assert len(g_outs) == len(t_outs)
    if hasattr(type(t_out), "n_fields"):
        assert _fields(g_out) == _fields(t_out)
        assert type(g_out).__name__ == type(t_out).__name__
    for g, t in zip(g_outs, t_outs):
        assert tuple(g.shape) == tuple(t.shape)
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert g.requires_grad == t.requires_grad
        np.testing.assert_allclose(_np(g), _np(t), rtol=rtol, atol=atol)
    for g, t in zip(g_grads, t_grads):
        assert (g is None) == (t is None)
        if t is not None:
            np.testing.assert_allclose(_np(g), _np(t), rtol=1e-8, atol=1e-10)


def _errors_match(torch, fn):
    """fn(lib) raises in PyTorch; gradcore raises the same type with the same first line."""
    caught = []
    for lib in (torch, gradcore):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                fn(lib)
        caught.append((type(info.value).__name__, str(info.value).split("\n")[0]))
    assert caught[1] == caught[0]


def _rand(*shape, seed=0):
    return np.random.default_rng(seed + len(shape)).standard_normal(shape)


def _spd(n, batch=(), seed=0):
    a = np.random.default_rng(seed).standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _tri(n, upper, seed=0):
    a = np.random.default_rng(seed).standard_normal((n, n)) + 3 * np.eye(n)
    return np.triu(a) if upper else np.tril(a)


# ---- elementwise --------------------------------------------------------------------------------

NAN = float("nan")
FM_VALUES = [([1.0, NAN, 2.0, NAN, -0.0], [1.0, 0.0, 3.0, NAN, 0.0]),
             ([[0.5, -1.5]], [[NAN], [2.0]])]


@pytest.mark.parametrize("name", ["fmax", "fmin"])
@pytest.mark.parametrize("a,b", FM_VALUES)
def test_fmax_fmin_values_and_gradients_with_nan_and_ties(torch, name, a, b):
    _compare(torch, lambda lib, x, y: getattr(lib, name)(x, y), [np.array(a), np.array(b)])
    _compare(torch, lambda lib, x, y: getattr(x, name)(y), [np.array(a), np.array(b)])


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_dtypes_and_errors(torch, name):
    for dt_a, dt_b in (("int64", "float32"), ("int32", "int64"), ("bool", "bool")):
        outs = [getattr(lib, name)(lib.tensor([1, 0, 3]).to(getattr(lib, dt_a)),
                                   lib.tensor([2, 0, 1]).to(getattr(lib, dt_b)))
                for lib in (torch, gradcore)]
        assert str(outs[0].dtype).split(".")[-1] == str(outs[1].dtype).split(".")[-1]
        np.testing.assert_array_equal(_np(outs[1]), _np(outs[0]))
    _errors_match(torch, lambda lib: getattr(lib, name)(lib.ones(2), 1.0))
    _errors_match(torch, lambda lib: getattr(lib, name)(lib.ones(2), lib.ones(3)))


SPECIAL = [1.5, -0.0, 0.0, float("inf"), float("-inf"), NAN, -2.25, 1e-310, 3e38]


@pytest.mark.parametrize("name", ["signbit", "isposinf", "isneginf"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int8", "bool"])
def test_sign_and_infinity_tests(torch, name, dtype):
    vals = SPECIAL if dtype.startswith("float") else [3, 0, 1, 5]
    if dtype == "int64" or dtype == "int8":
        vals = [3, -1, 0, -128 if dtype == "int8" else -2 ** 40]
    outs = []
    for lib in (torch, gradcore):
        t = lib.tensor(vals, dtype=getattr(lib, dtype))
        outs.append((getattr(lib, name)(t), getattr(t, name)()))
    for g, t in zip(outs[1], outs[0]):
        assert str(g.dtype).split(".")[-1] == "bool" == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(_np(g), _np(t))
    out = gradcore.empty(0, dtype=gradcore.bool)
    assert getattr(gradcore, name)(gradcore.tensor([1.0]), out=out) is out
    _errors_match(torch, lambda lib: getattr(lib, name)(lib.tensor([1.0]), out=lib.empty(0)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_frexp(torch, dtype):
    vals = [1.0, -0.0, 0.0, 3.5, -1e-3, 1024.0, float("inf"), NAN, 6e-5]
    outs = [lib.frexp(lib.tensor(vals, dtype=getattr(lib, dtype))) for lib in (torch, gradcore)]
    assert _fields(outs[1]) == _fields(outs[0]) == ("mantissa", "exponent")
    for g, t in zip(outs[1], outs[0]):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(_np(g), _np(t))
    _compare(torch, lambda lib, x: lib.frexp(x), [np.array([1.5, -3.0, 0.1, 7.0])])
    _compare(torch, lambda lib, x: x.frexp().mantissa, [np.array([1.5, -3.0, 0.1, 7.0])])
    _errors_match(torch, lambda lib: lib.frexp(lib.tensor([1, 2])))


@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((3,), (2, 1)), ((), (4,))])
def test_ldexp(torch, shapes):
    sa, sb = shapes
    e = np.arange(int(np.prod(sb))).reshape(sb)
    # (exponents >= 0: PyTorch's LdexpBackward0 computes 2**other in integers, so its
    # gradient is 0 where other < 0; gradcore's is 2**other, which gradcheck confirms)
    _compare(torch, lambda lib, x, k: lib.ldexp(x, k), [_rand(*sa)], int_arrays=[e])
    _compare(torch, lambda lib, x, k: x.ldexp(k), [_rand(*sa)], int_arrays=[e])
    _compare(torch, lambda lib, x, k: lib.ldexp(x, k), [_rand(*sa)], int_arrays=[e - 3],
             grad=False)
    neg = gradcore.tensor(e - 3)
    assert gradcheck(lambda x: gradcore.ldexp(x, neg), (gradcore.tensor(_rand(*sa),
                                                                        requires_grad=True),))
    for lib_pair in [(torch, gradcore)]:
        got = [lib.ldexp(lib.tensor([1, 2, 3]), lib.tensor([2])) for lib in lib_pair]
        assert str(got[1].dtype).split(".")[-1] == str(got[0].dtype).split(".")[-1]
        np.testing.assert_array_equal(_np(got[1]), _np(got[0]))
    ts = [lib.tensor([1.0, -2.5]) for lib in (torch, gradcore)]
    for t, lib in zip(ts, (torch, gradcore)):
        assert t.ldexp_(lib.tensor([3])) is t
        assert lib.ldexp_(t, lib.tensor([1])) is t
    np.testing.assert_array_equal(_np(ts[1]), _np(ts[0]))


@pytest.mark.parametrize("alias,name", [("greater_equal", "ge"), ("less_equal", "le"),
                                        ("not_equal", "ne"), ("greater", "gt"),
                                        ("less", "lt")])
def test_comparison_method_aliases(torch, alias, name):
    outs = []
    for lib in (torch, gradcore):
        a, b = lib.tensor([1.0, 2.0, 3.0]), lib.tensor([2.0, 2.0, 1.0])
        outs.append((getattr(a, alias)(b), getattr(a, alias)(2), getattr(lib, alias)(a, b)))
        np.testing.assert_array_equal(_np(getattr(a, alias)(b)), _np(getattr(a, name)(b)))
    for g, t in zip(outs[1], outs[0]):
        np.testing.assert_array_equal(_np(g), _np(t))


def test_moveaxis(torch):
    for src, dst in ((0, 2), ((0, 1), (2, 0)), (-1, 0)):
        _compare(torch, lambda lib, x: lib.moveaxis(x, src, dst), [_rand(2, 3, 4)])
        _compare(torch, lambda lib, x: x.moveaxis(src, dst), [_rand(2, 3, 4)])


@pytest.mark.parametrize("p", [1, 2, 3])
def test_mvlgamma(torch, p):
    x = np.array([2.5, 3.0, 4.75])
    _compare(torch, lambda lib, t: lib.mvlgamma(t, p), [x])
    _compare(torch, lambda lib, t: t.mvlgamma(p), [x])
    ts = [lib.tensor(x) for lib in (torch, gradcore)]
    for t in ts:
        assert t.mvlgamma_(p) is t
    np.testing.assert_allclose(_np(ts[1]), _np(ts[0]), rtol=1e-12)
    assert gradcheck(lambda t: gradcore.mvlgamma(t, p),
                     (gradcore.tensor(x, requires_grad=True),))


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_igamma_igammac(torch, name):
    a, x = np.array([0.5, 1.0, 2.5, 4.0]), np.array([0.3, 2.0, 1.5, 5.0])
    _compare(torch, lambda lib, u, v: getattr(lib, name)(u, v), [a, x], grad=False)
    _compare(torch, lambda lib, u, v: getattr(u, name)(v), [a, x], grad=False)
    ts = [lib.tensor(a) for lib in (torch, gradcore)]
    for t, lib in zip(ts, (torch, gradcore)):
        assert getattr(t, name + "_")(lib.tensor(x)) is t
    np.testing.assert_allclose(_np(ts[1]), _np(ts[0]), rtol=1e-10)


# ---- reductions and statistics ------------------------------------------------------------

@pytest.mark.parametrize("p", [2, 1, 3.5, 0, float("inf")])
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4,), ())])
def test_dist(torch, p, shapes):
    grad = p != 0  # (PyTorch's p=0 backward fails: its node returns an undefined gradient)
    _compare(torch, lambda lib, a, b: lib.dist(a, b, p), [_rand(*shapes[0]),
                                                         _rand(*shapes[1], seed=1)], grad=grad)
    _compare(torch, lambda lib, a, b: a.dist(b, p), [_rand(*shapes[0]), _rand(*shapes[1])],
             grad=grad)


@pytest.mark.parametrize("p,dim,maxnorm", [(2, 0, 1.0), (1, 1, 0.5), (3, -1, 2.0),
                                           (2, 1, 100.0)])
def test_renorm(torch, p, dim, maxnorm):
    x = _rand(3, 4, 2) * 2
    _compare(torch, lambda lib, t: lib.renorm(t, p, dim, maxnorm), [x])
    _compare(torch, lambda lib, t: t.renorm(p, dim, maxnorm), [x])
    ts = [lib.tensor(x) for lib in (torch, gradcore)]
    for t in ts:
        assert t.renorm_(p, dim, maxnorm) is t
    np.testing.assert_allclose(_np(ts[1]), _np(ts[0]), rtol=1e-12)
    f = lambda t: gradcore.renorm(t, p, dim, maxnorm)  # noqa: E731
    assert gradcheck(f, (gradcore.tensor(x, requires_grad=True),))
    assert gradgradcheck(f, (gradcore.tensor(x, requires_grad=True),))


@pytest.mark.parametrize("call", [lambda lib: lib.renorm(lib.ones(2, 2), 0, 0, 1),
                                  lambda lib: lib.renorm(lib.ones(2, 2), 2, 0, -1),
                                  lambda lib: lib.renorm(lib.ones(2), 2, 0, 1),
                                  lambda lib: lib.renorm(lib.ones(2, 2), 2, 3, 1)])
def test_renorm_errors(torch, call):
    _errors_match(torch, call)


COV_CASES = [dict(), dict(correction=0), dict(correction=2), dict(fweights=[1, 2, 1, 3, 1]),
             dict(aweights=[0.5, 1.0, 2.0, 0.1, 1.0]),
             dict(fweights=[1, 2, 1, 3, 1], aweights=[0.5, 1.0, 2.0, 0.1, 1.0], correction=1)]


@pytest.mark.parametrize("kw", COV_CASES)
@pytest.mark.parametrize("shape", [(3, 5), (5,), (1, 5)])
def test_cov(torch, kw, shape):
    def fn(lib, x):
        k = {n: (lib.tensor(v) if isinstance(v, list) else v) for n, v in kw.items()}
        return lib.cov(x, **k)
    _compare(torch, fn, [_rand(*shape)])
    x = gradcore.tensor(_rand(*shape), requires_grad=True)
    assert gradcheck(lambda t: fn(gradcore, t), (x,))


@pytest.mark.parametrize("shape", [(3, 5), (5,), (2, 4)])
def test_corrcoef(torch, shape):
    _compare(torch, lambda lib, x: lib.corrcoef(x), [_rand(*shape)])
    _compare(torch, lambda lib, x: x.corrcoef(), [_rand(*shape)])
    got = [lib.corrcoef(lib.tensor([[1, 2, 4], [3, 1, 0]])) for lib in (torch, gradcore)]
    assert str(got[1].dtype).split(".")[-1] == str(got[0].dtype).split(".")[-1]
    np.testing.assert_allclose(_np(got[1]), _np(got[0]), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda lib: lib.cov(lib.ones(2, 2, 2)),
    lambda lib: lib.cov(lib.ones(2, 3), fweights=lib.tensor([1.0, 2.0, 1.0])),
    lambda lib: lib.cov(lib.ones(2, 3), fweights=lib.tensor([1, 2])),
    lambda lib: lib.cov(lib.ones(2, 3), aweights=lib.tensor([1, 2, 3])),
    lambda lib: lib.cov(lib.ones(2, 3), aweights=lib.ones(3, 1)),
])
def test_cov_errors(torch, call):
    _errors_match(torch, call)


def test_cov_warns_on_no_degrees_of_freedom(torch):
    for lib in (torch, gradcore):
        with pytest.warns(UserWarning if lib is torch else RuntimeWarning,
                          match="degrees of freedom is <= 0"):
            lib.cov(lib.ones(2, 1))


TRAPZ = [dict(), dict(dx=0.5), dict(dim=0), dict(dx=2.0, dim=0)]


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
@pytest.mark.parametrize("kw", TRAPZ)
def test_trapezoid_spacing(torch, name, kw):
    _compare(torch, lambda lib, y: getattr(lib, name)(y, **kw), [_rand(3, 4)])


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
@pytest.mark.parametrize("xshape,dim", [((4,), -1), ((3,), 0), ((3, 4), 1), ((3, 4), 0)])
def test_trapezoid_sample_points(torch, name, xshape, dim):
    xs = np.sort(_rand(*xshape, seed=3), axis=-1 if len(xshape) == 1 else dim)
    _compare(torch, lambda lib, y, x: getattr(lib, name)(y, x, dim=dim), [_rand(3, 4), xs])


@pytest.mark.parametrize("name", ["trapezoid", "cumulative_trapezoid"])
def test_trapezoid_integers_empty_and_errors(torch, name):
    got = [getattr(lib, name)(lib.tensor([1, 2, 4])) for lib in (torch, gradcore)]
    assert str(got[1].dtype).split(".")[-1] == str(got[0].dtype).split(".")[-1]
    np.testing.assert_allclose(_np(got[1]), _np(got[0]))
    got = [getattr(lib, name)(lib.zeros(2, 0)) for lib in (torch, gradcore)]
    assert tuple(got[1].shape) == tuple(got[0].shape)
    _errors_match(torch, lambda lib: getattr(lib, name)(lib.ones(2, 3), lib.ones(2)))
    _errors_match(torch, lambda lib: getattr(lib, name)(lib.ones(2, 3), dim=2))


@pytest.mark.parametrize("kw", [dict(), dict(minlength=9), dict(weights=[0.5, 1.5, 2.0, 1.0])])
@pytest.mark.parametrize("wdtype", ["float32", "float64", "int32"])
def test_bincount(torch, kw, wdtype):
    outs = []
    for lib in (torch, gradcore):
        k = dict(kw)
        if "weights" in k:
            k["weights"] = lib.tensor(k["weights"]).to(getattr(lib, wdtype))
        x = lib.tensor([0, 3, 3, 5])
        outs.append((lib.bincount(x, **k), x.bincount(**k)))
    for g, t in zip(outs[1], outs[0]):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(_np(g), _np(t))


@pytest.mark.parametrize("call", [
    lambda lib: lib.bincount(lib.tensor([-1, 2])),
    lambda lib: lib.bincount(lib.tensor([[1]])),
    lambda lib: lib.bincount(lib.tensor([1.0])),
    lambda lib: lib.bincount(lib.tensor([1]), minlength=-1),
    lambda lib: lib.bincount(lib.tensor([1, 2]), lib.ones(3)),
    lambda lib: lib.histc(lib.tensor([1, 2])),
    lambda lib: lib.histc(lib.tensor([1.0, 2.0]), bins=4, min=3, max=1),
    lambda lib: lib.histc(lib.tensor([1.0, 2.0]), bins=0),
    lambda lib: lib.histogram(lib.tensor([1, 2]), 3),
])
def test_count_errors(torch, call):
    _errors_match(torch, call)


@pytest.mark.parametrize("kw", [dict(), dict(bins=7), dict(bins=4, min=-1, max=1),
                                dict(bins=3, min=0.5, max=0.5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histc(torch, kw, dtype):
    x = _rand(40).round(1)
    outs = [lib.histc(lib.tensor(x, dtype=getattr(lib, dtype)), **kw) for lib in (torch, gradcore)]
    assert str(outs[1].dtype).split(".")[-1] == dtype
    np.testing.assert_array_equal(_np(outs[1]), _np(outs[0]))


@pytest.mark.parametrize("kw", [dict(bins=4), dict(bins=3, range=(0.0, 1.0)),
                                dict(bins=5, density=True), dict(bins="edges"),
                                dict(bins="edges", weight=True, density=True),
                                dict(bins=6, weight=True)])
def test_histogram(torch, kw):
    x = _rand(3, 8)
    outs, outs_32 = [], []
    for lib in (torch, gradcore):
        k = dict(kw)
        if k["bins"] == "edges":
            k["bins"] = lib.tensor([-2.0, -0.5, 0.0, 1.5, 2.0], dtype=lib.float64)
        if k.pop("weight", False):
            k["weight"] = lib.tensor(np.abs(_rand(3, 8, seed=5)))
        outs.append(lib.histogram(lib.tensor(x), **k))
        if "weight" not in k:  # float32 too
            outs_32.append(lib.histogram(lib.tensor(x, dtype=lib.float32), **{
                n: (v.float() if n == "bins" and not isinstance(v, int) else v)
                for n, v in k.items()}))
    assert type(outs[1]).__name__ == "histogram"
    assert _fields(outs[1]) == _fields(outs[0])
    for pair in (outs, outs_32):
        for g, t in zip(pair[1], pair[0]) if pair else ():
            assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_allclose(_np(g), _np(t), rtol=1e-6, atol=0)


# ---- structure ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,offset", [((3,), 0), ((2, 2), 1), ((4,), -2), ((2, 1, 2), 0)])
def test_diagflat(torch, shape, offset):
    _compare(torch, lambda lib, x: lib.diagflat(x, offset), [_rand(*shape)])
    _compare(torch, lambda lib, x: x.diagflat(offset), [_rand(*shape)])


SCATTERS = [
    ("select_scatter", (3, 4), (4,), (0, 1)), ("select_scatter", (3, 4), (3,), (1, -1)),
    ("select_scatter", (2, 3, 4), (2, 4), (1, 2)),
    ("slice_scatter", (4, 3), (2, 3), (0, 1, 3)), ("slice_scatter", (4, 6), (4, 2), (1, 0, 6, 3)),
    ("slice_scatter", (4, 3), (4, 3), ()), ("slice_scatter", (5, 2), (2, 2), (0, None, None, 3)),
    ("diagonal_scatter", (3, 3), (3,), ()), ("diagonal_scatter", (3, 4), (3,), (1,)),
    ("diagonal_scatter", (2, 3, 3), (2, 2), (-1, 1, 2)),
]


@pytest.mark.parametrize("name,shape,src,args", SCATTERS)
def test_scatter_ops(torch, name, shape, src, args):
    _compare(torch, lambda lib, x, s: getattr(lib, name)(x, s, *args),
             [_rand(*shape), _rand(*src, seed=2)])
    _compare(torch, lambda lib, x, s: getattr(x, name)(s, *args),
             [_rand(*shape), _rand(*src, seed=2)])
    inputs = (gradcore.tensor(_rand(*shape), requires_grad=True),
              gradcore.tensor(_rand(*src, seed=2), requires_grad=True))
    assert gradcheck(lambda x, s: getattr(gradcore, name)(x, s, *args), inputs)


@pytest.mark.parametrize("call", [
    lambda lib: lib.select_scatter(lib.zeros(3, 4), lib.ones(3), 0, 0),
    lambda lib: lib.select_scatter(lib.zeros(3, 4), lib.ones(4), 0, 5),
    lambda lib: lib.slice_scatter(lib.zeros(3, 4), lib.ones(2, 4), 0, 0, 1),
    lambda lib: lib.diagonal_scatter(lib.zeros(3, 4), lib.ones(2)),
])
def test_scatter_errors(torch, call):
    _errors_match(torch, call)


@pytest.mark.parametrize("r", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations(torch, r, with_replacement):
    _compare(torch, lambda lib, x: lib.combinations(x, r, with_replacement), [_rand(4)])
    got = [lib.combinations(lib.tensor([1, 2, 3]), r, with_replacement)
           for lib in (torch, gradcore)]
    assert str(got[1].dtype).split(".")[-1] == str(got[0].dtype).split(".")[-1]
    np.testing.assert_array_equal(_np(got[1]), _np(got[0]))


@pytest.mark.parametrize("call", [lambda lib: lib.combinations(lib.ones(2, 2)),
                                  lambda lib: lib.combinations(lib.ones(2), -1)])
def test_combinations_errors(torch, call):
    _errors_match(torch, call)


# ---- legacy linear algebra ----------------------------------------------------------------------

@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_cholesky_family(torch, upper, batch):
    A = _spd(3, batch)
    _compare(torch, lambda lib, a: lib.cholesky(a, upper), [A], rtol=1e-8)
    _compare(torch, lambda lib, a: a.cholesky(upper=upper), [A], rtol=1e-8)
    L = np.linalg.cholesky(A)
    F = np.swapaxes(L, -1, -2) if upper else L
    B = _rand(*batch, 3, 2)
    _compare(torch, lambda lib, b, f: lib.cholesky_solve(b, f, upper), [B, F], rtol=1e-8)
    _compare(torch, lambda lib, b, f: b.cholesky_solve(f, upper=upper), [B, F], rtol=1e-8)
    _compare(torch, lambda lib, f: lib.cholesky_inverse(f, upper), [F], rtol=1e-8)
    _compare(torch, lambda lib, f: f.cholesky_inverse(upper), [F], rtol=1e-8)
    # only the factor's triangle is read
    G = F + (np.tril(_rand(*batch, 3, 3), -1) if upper else np.triu(_rand(*batch, 3, 3), 1))
    _compare(torch, lambda lib, b, f: lib.cholesky_solve(b, f, upper), [B, G], grad=False)
    _compare(torch, lambda lib, f: lib.cholesky_inverse(f, upper), [G], grad=False)


def test_inverse_pinverse_matrix_power(torch):
    A = _spd(3) - 2 * np.eye(3)
    _compare(torch, lambda lib, a: lib.inverse(a), [A], rtol=1e-8)
    _compare(torch, lambda lib, a: a.inverse(), [A], rtol=1e-8)
    for rcond in (1e-15, 0.3):
        _compare(torch, lambda lib, a: lib.pinverse(a, rcond), [_rand(3, 4)], rtol=1e-8)
        _compare(torch, lambda lib, a: a.pinverse(rcond=rcond), [_rand(4, 2)], rtol=1e-8)
    for n in (0, 1, 3, -2):
        _compare(torch, lambda lib, a: lib.matrix_power(a, n), [A], rtol=1e-8)
        _compare(torch, lambda lib, a: a.matrix_power(n), [A], rtol=1e-8)
    _errors_match(torch, lambda lib: lib.inverse(lib.ones(2, 3)))
    _errors_match(torch, lambda lib: lib.matrix_rank(lib.eye(2)))


def _sign_fixed(U, V):
    """U, V with each singular pair's sign chosen so U's largest entry is positive."""
    U, V = np.array(U), np.array(V)
    k = min(U.shape[-1], V.shape[-1])
    idx = np.abs(U[..., :, :k]).argmax(-2)
    s = np.sign(np.take_along_axis(U[..., :, :k], idx[..., None, :], -2))
    U[..., :, :k] *= s
    V[..., :, :k] *= s
    return U, V


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (2, 3, 2)])
@pytest.mark.parametrize("some", [True, False])
def test_svd_and_qr_legacy(torch, shape, some):
    x = _rand(*shape)
    res = {}
    for lib in (torch, gradcore):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = lib.svd(lib.tensor(x), some=some)
            q = lib.qr(lib.tensor(x), some=some)
            z = lib.svd(lib.tensor(x), compute_uv=False)
        assert type(r).__name__ == "svd" and _fields(r) == ("U", "S", "V")
        assert type(q).__name__ == "qr" and _fields(q) == ("Q", "R")
        res[lib] = (r, q, z)
    (tr, tq, tz), (gr, gq, gz) = res[torch], res[gradcore]
    for g, t in zip(gr + gq + gz, tr + tq + tz):
        assert tuple(g.shape) == tuple(t.shape)
    gu, gv = _sign_fixed(_np(gr.U), _np(gr.V))
    tu, tv = _sign_fixed(_np(tr.U), _np(tr.V))
    k = min(shape[-2:])
    np.testing.assert_allclose(gu[..., :k], tu[..., :k], atol=1e-10)
    np.testing.assert_allclose(gv[..., :k], tv[..., :k], atol=1e-10)
    np.testing.assert_allclose(_np(gr.S), _np(tr.S), rtol=1e-12)
    recon = gu[..., :k] * _np(gr.S)[..., None, :] @ np.swapaxes(gv[..., :k], -1, -2)
    np.testing.assert_allclose(recon, x, atol=1e-12)
    for g, t in zip(gq, tq):
        np.testing.assert_allclose(_np(g), _np(t), atol=1e-10)
    for g, t in zip(gz, tz):  # compute_uv=False: zero-filled U and V, as PyTorch's
        np.testing.assert_allclose(_np(g), _np(t), atol=1e-12)
    # gradients through S and through U diag(S) V^T (sign-independent)
    _compare(torch, lambda lib, a: lib.svd(a, some=some).S, [x], rtol=1e-8)
    if some or shape[-2] <= shape[-1]:
        _compare(torch, lambda lib, a: a.qr(some=some).R, [x], rtol=1e-8)
    else:  # complete Q of a tall matrix: neither differentiates it
        _errors_match(torch, lambda lib: lib.qr(lib.tensor(x, requires_grad=True),
                                                some=False).R.sum().backward())


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_triangular_solve(torch, upper, transpose, unitriangular):
    A = _tri(3, upper) + (np.tril(_rand(3, 3), -1) if upper else np.triu(_rand(3, 3), 1))
    b = _rand(3, 2)
    _compare(torch, lambda lib, bb, aa: lib.triangular_solve(bb, aa, upper, transpose,
                                                             unitriangular), [b, A], rtol=1e-8)
    _compare(torch, lambda lib, bb, aa: bb.triangular_solve(aa, upper=upper,
                                                            transpose=transpose), [b, A],
             rtol=1e-8)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_linalg_solve_triangular(torch, upper, left, unitriangular):
    A = _tri(3, upper) + (np.tril(_rand(3, 3), -1) if upper else np.triu(_rand(3, 3), 1))
    B = _rand(3, 2) if left else _rand(2, 3)
    fn = lambda lib, a, b: lib.linalg.solve_triangular(  # noqa: E731
        a, b, upper=upper, left=left, unitriangular=unitriangular)
    _compare(torch, fn, [A, B], rtol=1e-8)
    inputs = (gradcore.tensor(A, requires_grad=True), gradcore.tensor(B, requires_grad=True))
    assert gradgradcheck(lambda a, b: fn(gradcore, a, b), inputs)


@pytest.mark.parametrize("shapes,dim", [(((2, 3), (2, 3)), -1), (((2, 3), (3,)), -1),
                                        (((4, 2), (4, 1)), 0)])
def test_linalg_vecdot(torch, shapes, dim):
    _compare(torch, lambda lib, a, b: lib.linalg.vecdot(a, b, dim=dim),
             [_rand(*shapes[0]), _rand(*shapes[1], seed=4)])
    _errors_match(torch, lambda lib: lib.linalg.vecdot(lib.ones(2), lib.ones(2).double()))


@pytest.mark.parametrize("N", [None, 2, 4])
@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_linalg_vander(torch, N, shape):
    _compare(torch, lambda lib, x: lib.linalg.vander(x, N=N), [_rand(*shape)])
    got = [lib.linalg.vander(lib.tensor([1, 2, 3]), N=N) for lib in (torch, gradcore)]
    assert str(got[1].dtype).split(".")[-1] == str(got[0].dtype).split(".")[-1]
    np.testing.assert_array_equal(_np(got[1]), _np(got[0]))


@pytest.mark.parametrize("kw", [dict(), dict(offset=1), dict(offset=-1, dim1=0, dim2=2)])
def test_linalg_diagonal(torch, kw):
    for N in (0, 1):
        _errors_match(torch, lambda lib: lib.linalg.vander(lib.ones(3), N=N))
    _compare(torch, lambda lib, x: lib.linalg.diagonal(x, **kw), [_rand(2, 3, 4)])


@pytest.mark.parametrize("name,call", [
    ("cholesky", lambda lib, o: lib.cholesky(lib.eye(2), out=o)),
    ("inverse", lambda lib, o: lib.inverse(lib.eye(2), out=o)),
    ("histc", lambda lib, o: lib.histc(lib.tensor([1.0, 2.0]), out=o)),
    ("ldexp", lambda lib, o: lib.ldexp(lib.ones(2), lib.tensor([1]), out=o)),
    ("vecdot", lambda lib, o: lib.linalg.vecdot(lib.ones(2, 2), lib.ones(2, 2), out=o)),
    ("solve_triangular", lambda lib, o: lib.linalg.solve_triangular(
        lib.eye(2), lib.ones(2, 1), upper=True, out=o)),
    ("fmax", lambda lib, o: lib.fmax(lib.ones(2), lib.zeros(2), out=o)),
])
def test_out_forms(torch, name, call):
    for dtype in ("float32", "int64", "bool"):
        want, got = [], []
        for lib, into in ((torch, want), (gradcore, got)):
            o = lib.empty(0, dtype=getattr(lib, dtype))
            try:
                r = call(lib, o)
                into.append(("ok", r is o, _np(o).tolist()))
            except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
                into.append((type(e).__name__, str(e).split("\n")[0]))
        assert got == want, (name, dtype)


def _phase_fixed(v):
    """Each column (eigenvector) turned so its largest entry is real and positive."""
    k = np.abs(v).argmax(-2)[..., None, :]
    top = np.take_along_axis(v, k, -2)
    return v * (np.abs(top) / top)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_linalg_eig_eigvals(torch, dtype, batch):
    a = np.random.default_rng(7).standard_normal(batch + (3, 3))
    if dtype == "complex128":
        a = a + 1j * np.random.default_rng(8).standard_normal(batch + (3, 3))
    outs = []
    for lib in (torch, gradcore):
        A = lib.tensor(a, dtype=getattr(lib, dtype))
        outs.append((lib.linalg.eig(A), lib.linalg.eigvals(A)))
    (tr, tw), (gr, gw) = outs
    assert type(gr).__name__ == "linalg_eig" and _fields(gr) == _fields(tr)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for g, t in (*zip(gr, tr), (gw, tw)):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(gw.numpy(), tw.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(gr.eigenvalues.numpy(), tr.eigenvalues.numpy(), rtol=tol,
                               atol=tol)
    # eigenvectors: unit norm, each up to a phase (LAPACK builds differ in it)
    np.testing.assert_allclose(_phase_fixed(gr.eigenvectors.numpy()),
                               _phase_fixed(tr.eigenvectors.numpy()), rtol=tol, atol=tol)
    _errors_match(torch, lambda lib: lib.linalg.eig(lib.ones(2, 3)))
    _errors_match(torch, lambda lib: lib.linalg.eigvals(lib.ones(3)))
    _errors_match(torch, lambda lib: lib.linalg.eigvals(lib.ones(2, 2), out=lib.empty(0)))
    w = gradcore.empty(0, dtype=gradcore.complex128)
    assert gradcore.linalg.eigvals(gradcore.eye(2), out=w) is w
    with pytest.raises(RuntimeError, match="does not support complex"):
        gradcore.linalg.eig(gradcore.eye(2, requires_grad=True))


@pytest.mark.parametrize("call", [
    lambda lib: lib.trapezoid(lib.ones(3), lib.ones(3), dx=1.0),
    lambda lib: lib.cumulative_trapezoid(lib.ones(3), lib.ones(3), dx=1.0),
    lambda lib: lib.cholesky_solve(lib.ones(2), lib.eye(2)),
    lambda lib: lib.cholesky_solve(lib.ones(2, 1), lib.ones(2)),
    lambda lib: lib.cholesky_inverse(lib.ones(2)),
    lambda lib: lib.triangular_solve(lib.ones(2), lib.eye(2)),
    lambda lib: lib.triangular_solve(lib.ones(2, 1), lib.ones(2)),
    lambda lib: lib.linalg.solve_triangular(lib.eye(2), lib.ones(3, 1), upper=True),
    lambda lib: lib.linalg.solve_triangular(lib.eye(2), lib.ones(1, 3), upper=True, left=False),
    lambda lib: lib.linalg.solve_triangular(lib.ones(2), lib.ones(2, 1), upper=True),
    lambda lib: lib.linalg.vecdot(lib.ones(2, 3), lib.ones(2, 4)),
    lambda lib: lib.diagflat(lib.ones(2), 1.5),
    lambda lib: lib.dist(lib.ones(2), lib.ones(3)),
    lambda lib: lib.cov(lib.ones(2, 3), correction=0.5),
    lambda lib: lib.corrcoef(lib.ones(2, 2, 2)),
    lambda lib: lib.histogram(lib.ones(3), 2, range=(1.5, 0.25)),
    lambda lib: lib.histogram(lib.ones(3), lib.tensor([0.0, 1.0], dtype=lib.float64)),
    lambda lib: lib.signbit(lib.ones(2, dtype=lib.complex64)),
    lambda lib: lib.isposinf(lib.ones(2, dtype=lib.complex64)),
    lambda lib: lib.isneginf(lib.ones(2, dtype=lib.complex64)),
    lambda lib: lib.svd(lib.ones(3)),
    lambda lib: lib.qr(lib.ones(3)),
    lambda lib: lib.pinverse(lib.ones(3)),
    lambda lib: lib.ldexp(lib.ones(2), 2),
    lambda lib: lib.linalg.eig(lib.ones(2, 2, dtype=lib.float16)),
    lambda lib: lib.linalg.eigvals(lib.ones(2, 2, dtype=lib.int64)),
])
def test_argument_errors(torch, call):
    _errors_match(torch, call)


# ---- the LU family ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 2)])
def test_lu_factor_lu_unpack_forward(torch, shape):
    a = np.random.default_rng(11).standard_normal(shape)
    outs = []
    for lib in (torch, gradcore):
        A = lib.tensor(a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f, ex, plu = lib.linalg.lu_factor(A), lib.linalg.lu_factor_ex(A), lib.linalg.lu(A)
            old = lib.lu(A, get_infos=True)
        outs.append((f, ex, plu, lib.lu_unpack(*f), old, A.lu()))
    for gs, ts in zip(outs[1], outs[0]):
        if hasattr(type(ts), "n_fields"):
            assert type(gs).__name__ == type(ts).__name__ and _fields(gs) == _fields(ts)
        for g, t in zip(gs, ts):
            assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_allclose(_np(g), _np(t), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_values_and_gradients(torch, left, adjoint):
    a = np.random.default_rng(12).standard_normal((2, 3, 3)) + 2 * np.eye(3)
    b = _rand(2, 3, 2) if left else _rand(2, 2, 3)

    def fn(lib, A, B):
        LU, piv = lib.linalg.lu_factor(A)
        return lib.linalg.lu_solve(LU, piv, B, left=left, adjoint=adjoint)
    _compare(torch, fn, [a, b], rtol=1e-9)
    inputs = (gradcore.tensor(a, requires_grad=True), gradcore.tensor(b, requires_grad=True))
    assert gradcheck(lambda A, B: fn(gradcore, A, B), inputs)


def test_lu_gradients(torch):
    a = np.random.default_rng(13).standard_normal((2, 4, 4))
    _compare(torch, lambda lib, A: lib.linalg.lu_factor(A).LU, [a], rtol=1e-9)
    _compare(torch, lambda lib, A: lib.linalg.lu(A), [a], rtol=1e-9)
    _compare(torch, lambda lib, A, b: lib.lu_solve(b, *lib.lu(A)), [a, _rand(2, 4, 1)],
             rtol=1e-9)
    x = gradcore.tensor(a, requires_grad=True)
    assert gradcheck(lambda A: gradcore.linalg.lu_factor(A).LU, (x,))
    assert gradgradcheck(lambda A: gradcore.linalg.lu(A).U, (x,))


@pytest.mark.parametrize("call", [
    lambda lib: lib.linalg.lu_factor(lib.zeros(2, 2)),
    lambda lib: lib.linalg.lu_factor(lib.tensor([[1.0, 2.0], [2.0, 4.0]])),
    lambda lib: lib.linalg.lu_factor_ex(lib.zeros(2, 3, 3), check_errors=True),
    lambda lib: lib.linalg.lu_factor(lib.eye(2), pivot=False),
    lambda lib: lib.linalg.lu_factor(lib.ones(3)),
    lambda lib: lib.lu_unpack(lib.eye(2), lib.tensor([1, 2])),
])
def test_lu_errors(torch, call):
    _errors_match(torch, call)


def test_lu_singular_infos(torch):
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]])
    outs = [(lib.linalg.lu_factor_ex(lib.tensor(a)), lib.lu(lib.tensor(a), get_infos=True))
            for lib in (torch, gradcore)]
    for gs, ts in zip(outs[1], outs[0]):
        for g, t in zip(gs, ts):
            assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_allclose(_np(g), _np(t), atol=1e-12)


# ---- cholesky_ex, inv_ex ------------------------------------------------------------------------

@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_ex_and_inv_ex(torch, upper):
    A = _spd(3, (2,))
    _compare(torch, lambda lib, a: lib.linalg.cholesky_ex(a, upper=upper), [A], rtol=1e-9)
    _compare(torch, lambda lib, a: lib.linalg.inv_ex(a), [A], rtol=1e-9)
    # a failed matrix: LAPACK's info as PyTorch's (its output there is LAPACK's partial
    # result in PyTorch, NaN here); the others are exact
    bad = np.stack([np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), A[0]])
    sing = np.stack([A[1], np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]])])
    outs = [(lib.linalg.cholesky_ex(lib.tensor(bad), upper=upper),
             lib.linalg.inv_ex(lib.tensor(sing))) for lib in (torch, gradcore)]
    (tc, ti), (gc, gi) = outs
    assert type(gc).__name__ == type(tc).__name__ and _fields(gc) == _fields(tc)
    assert type(gi).__name__ == type(ti).__name__ and _fields(gi) == _fields(ti)
    for g, t in ((gc.info, tc.info), (gi.info, ti.info)):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1] == "int32"
        np.testing.assert_array_equal(_np(g), _np(t))
    np.testing.assert_allclose(_np(gc.L)[1], _np(tc.L)[1], rtol=1e-12)
    np.testing.assert_allclose(_np(gi.inverse)[0], _np(ti.inverse)[0], rtol=1e-12)
    assert np.isnan(_np(gc.L)[0]).all() and np.isnan(_np(gi.inverse)[1]).all()
    for call in (lambda lib: lib.linalg.cholesky_ex(lib.tensor(bad), check_errors=True),
                 lambda lib: lib.linalg.inv_ex(lib.tensor(sing), check_errors=True)):
        msgs = []
        for lib in (torch, gradcore):
            with pytest.raises(lib.linalg.LinAlgError) as info:
                call(lib)
            msgs.append(str(info.value))
        assert msgs[1] == msgs[0]
