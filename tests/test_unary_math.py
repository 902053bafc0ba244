"""gradcore/ops/unary_math.py beyond the OpInfo registry: integer and bool inputs, special
values (inf, nan, poles, negative arguments) over wide ranges against PyTorch, accuracy of
the special functions against mpmath, in-place forms, errors and messages."""
import math

import numpy as np
import pytest

import gradcore
from gradcore.ops import unary_math as U

FLOAT_OPS = ["log1p", "expm1", "log2", "log10", "exp2", "tan", "asin", "arcsin", "acos",
             "arccos", "atan", "arctan", "sinh", "cosh", "asinh", "arcsinh", "acosh", "arccosh",
             "atanh", "arctanh", "logit", "deg2rad", "rad2deg", "sinc", "erfinv", "lgamma",
             "digamma", "i0"]
NON_FINITE = [0.0, -0.0, np.inf, -np.inf, np.nan]
RTOL = {"float32": 2e-6, "float64": 1e-13}


def _wide(rng):
    """Values over many magnitudes, both signs, integers (the poles), halves, non-finite."""
    mags = np.exp(rng.uniform(-40, 40, 200))
    ints = np.arange(-6.0, 7.0)
    return np.concatenate([mags, -mags, rng.uniform(-8, 8, 200), ints, ints + 0.5,
                           [1e-300, -1e-300, 1e300, -1e300, 1e17 + 0.5], NON_FINITE])


def _same(got, expected, dtype, what):
    """Equal nan patterns and infinities, finite values to RTOL[dtype] (relative, with a floor
    of the same size for values below 1)."""
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"{what}: nan")
    np.testing.assert_array_equal(got[np.isinf(expected)], expected[np.isinf(expected)],
                                  err_msg=f"{what}: infinities")
    fin = np.isfinite(expected)
    np.testing.assert_allclose(got[fin], expected[fin], rtol=RTOL[dtype],
                               atol=RTOL[dtype], err_msg=what)


def _both(torch, x, dtype):
    return (gradcore.tensor(x, dtype=getattr(gradcore, dtype)),
            torch.tensor(x, dtype=getattr(torch, dtype)))


# ---- dtypes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FLOAT_OPS)
@pytest.mark.parametrize("values", [[0, 1, -2, 3], [True, False]], ids=["int64", "bool"])
def test_integer_and_bool_inputs_promote_as_torch(torch, name, values):
    got = getattr(gradcore, name)(gradcore.tensor(values))
    expected = getattr(torch, name)(torch.tensor(values))
    assert str(got.dtype) == str(expected.dtype).replace("torch", "gradcore")
    _same(got.numpy(), expected.numpy(), "float32", name)


def test_integer_inputs_follow_the_default_dtype(torch):
    gradcore.set_default_dtype(gradcore.float64)
    try:
        assert gradcore.lgamma(gradcore.tensor([3])).dtype == gradcore.float64
        assert gradcore.polygamma(1, gradcore.tensor([3])).dtype == gradcore.float64
    finally:
        gradcore.set_default_dtype(gradcore.float32)


@pytest.mark.parametrize("values", [[0, 3, -2], [True, False]], ids=["int64", "bool"])
def test_sgn_positive_nan_to_num_keep_integer_dtypes(torch, values):
    g, t = gradcore.tensor(values), torch.tensor(values)
    for fn in ("sgn", "nan_to_num"):
        got, expected = getattr(gradcore, fn)(g), getattr(torch, fn)(t)
        assert str(got.dtype) == str(expected.dtype).replace("torch", "gradcore")
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
        assert got is not g
    if values[0] is not True:
        assert gradcore.positive(g) is g and torch.positive(t) is t


def test_float16_inputs(torch):
    x = [0.5, -0.25, 2.0, np.inf, -np.inf, np.nan]
    g, t = gradcore.tensor(x, dtype=gradcore.float16), torch.tensor(x, dtype=torch.float16)
    for fn in ("nan_to_num", "lgamma", "expm1", "sinc"):
        got, expected = getattr(gradcore, fn)(g), getattr(torch, fn)(t)
        assert got.dtype == gradcore.float16
        np.testing.assert_allclose(got.numpy().astype(float), expected.numpy().astype(float),
                                   rtol=1e-3, equal_nan=True)


# ---- values against torch, over wide ranges ----------------------------------------------------

ELEMENTARY = ["log1p", "expm1", "log2", "log10", "exp2", "tan", "asin", "acos", "atan", "sinh",
              "cosh", "asinh", "acosh", "atanh", "logit", "deg2rad", "rad2deg", "frac", "sgn",
              "sinc", "nan_to_num", "lgamma", "digamma", "i0"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ELEMENTARY)
def test_wide_range_matches_torch(torch, rng, name, dtype):
    x = _wide(rng)
    if name in ("asin", "acos", "atanh", "logit"):
        x = np.concatenate([x, rng.uniform(-1.2, 1.2, 200), [1.0, -1.0]])
    if name in ("sinc", "tan"):  # sin(pi x) and tan(x) of a huge x: the argument's rounding
        x = x[np.abs(x) < 1e4]
    if name == "i0" and dtype == "float32":  # torch's float32 exp(|x|) overflows before i0 does
        x = x[(np.abs(x) < 88) | (np.abs(x) > 92)]
    g, t = _both(torch, x, dtype)
    _same(getattr(gradcore, name)(g).numpy(), getattr(torch, name)(t).numpy(), dtype, name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erfinv_matches_torch(torch, rng, dtype):
    y = np.concatenate([rng.uniform(-1, 1, 500), 1 - np.exp(rng.uniform(-36, -1, 200)),
                        -np.exp(rng.uniform(-700, 0, 100)), [1.0, -1.0, 1.5, -2.0], NON_FINITE])
    g, t = _both(torch, y, dtype)
    got, expected = gradcore.erfinv(g).numpy(), torch.erfinv(t).numpy()
    if dtype == "float32":  # PyTorch's float32 erfinv runs in float32: ~1e-6 near +-1
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, equal_nan=True)
    else:
        _same(got, expected, dtype, "erfinv")
    assert np.signbit(gradcore.erfinv(gradcore.tensor([-0.0])).numpy()[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [0, 2, 3, 4, 7])
def test_polygamma_matches_torch(torch, rng, n, dtype):
    """Where PyTorch's Hurwitz zeta is accurate: positive x, moderate negative x, the poles.
    (It sums zeta(n + 1, q) directly for negative q, so it loses everything below about
    -1e3; at +inf it gives nan and at -inf +-inf, where gradcore takes the limit 0 and nan.)"""
    neg = rng.uniform(-8, 0, 200)
    neg = neg[np.abs(neg - np.round(neg)) > 0.01]  # torch's tan(pi * modf(x)) loses digits there
    x = np.concatenate([np.exp(rng.uniform(-10, 10, 200)), neg, np.arange(-5.0, 1.0),
                        [-0.0, np.nan]])
    g, t = _both(torch, x, dtype)
    got, expected = gradcore.polygamma(n, g).numpy(), torch.polygamma(n, t).numpy()
    if dtype == "float32":  # float32 round trips of huge values: compare in float32 range
        expected = np.where(np.abs(expected) > 1e37, np.sign(expected) * np.inf, expected)
        got = np.where(np.abs(got) > 1e37, np.sign(got) * np.inf, got)
    _same(got, expected, dtype, f"polygamma({n})")


def test_polygamma_infinities_and_poles():
    x = gradcore.tensor([np.inf, -np.inf, 0.0, -0.0, -3.0], dtype=gradcore.float64)
    for n in (1, 2, 3):
        sign = (-1.0) ** (n + 1)
        got = gradcore.polygamma(n, x).numpy()
        np.testing.assert_array_equal(got, [0.0, np.nan, sign * np.inf, sign * np.inf,
                                            sign * np.inf])


def test_trigamma_is_accurate_where_torchs_is_not(torch):
    """PyTorch's trigamma truncates its asymptotic series (~5e-10 relative at x = 1):
    gradcore's is within a few ulp of mpmath there, so the float64 comparison with torch for
    polygamma(1, x) and digamma's derivative uses torch's own error bound."""
    mpmath = pytest.importorskip("mpmath")
    x = np.array([0.3, 1.0, 1.5, 2.0, 3.0, -0.5, -2.25])
    ref = np.array([float(mpmath.polygamma(1, v)) for v in x])
    got = gradcore.polygamma(1, gradcore.tensor(x)).numpy()
    np.testing.assert_allclose(got, ref, rtol=4e-16)
    theirs = torch.polygamma(1, torch.tensor(x)).numpy()
    assert np.max(np.abs(theirs - ref) / ref) > 1e-10  # torch's truncation, not gradcore's
    np.testing.assert_allclose(got, theirs, rtol=1e-9)  # that error, bounded
    g = gradcore.tensor(x, requires_grad=True)
    gradcore.digamma(g).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), ref, rtol=4e-16)


# ---- accuracy against mpmath ---------------------------------------------------------------

def _ulps(got, ref):
    return np.abs(got - ref) / np.spacing(np.abs(ref))


ACCURACY = [  # (name, gradcore array function, mpmath function, domain, ulps)
    ("lgamma", U.lgamma_array, lambda m, x: m.log(abs(m.gamma(x))), "positive", 8),
    ("digamma", U.digamma_array, lambda m, x: m.digamma(x), "positive", 16),
    ("polygamma1", lambda xp, x: U.polygamma_array(xp, x, 1),
     lambda m, x: m.polygamma(1, x), "both", 8),
    ("polygamma2", lambda xp, x: U.polygamma_array(xp, x, 2),
     lambda m, x: m.polygamma(2, x), "both", 12),
    ("polygamma5", lambda xp, x: U.polygamma_array(xp, x, 5),
     lambda m, x: m.polygamma(5, x), "both", 24),
    ("erfinv", U.erfinv_array, lambda m, x: m.erfinv(x), "unit", 8),
    ("i0", U.i0_array, lambda m, x: m.besseli(0, x), "bessel", 8),
    ("i1", U.i1_array, lambda m, x: m.besseli(1, x), "bessel", 16),
]


def _domain(kind, rng):
    pos = np.concatenate([rng.uniform(0, 3, 150), np.exp(rng.uniform(-30, 30, 150))])
    if kind == "positive":
        return pos
    if kind == "both":
        neg = -np.concatenate([rng.uniform(0, 6, 150), np.exp(rng.uniform(2, 9, 50))])
        return np.concatenate([pos, neg[np.abs(neg - np.round(neg)) > 1e-3]])
    if kind == "unit":
        return np.concatenate([rng.uniform(-1, 1, 200), 1 - np.exp(rng.uniform(-36, -1, 100)),
                               np.exp(rng.uniform(-300, -1, 50))])
    return np.concatenate([rng.uniform(-10, 10, 150), rng.uniform(-700, 700, 100),
                           np.exp(rng.uniform(-30, 1, 50))])


@pytest.mark.parametrize("name,fn,ref,kind,ulps", ACCURACY, ids=[a[0] for a in ACCURACY])
def test_special_functions_are_accurate(rng, name, fn, ref, kind, ulps):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = _domain(kind, rng)
    expected = np.array([float(ref(mpmath, mpmath.mpf(float(v)))) for v in x])
    assert _ulps(fn(np, x), expected).max() <= ulps


def test_lgamma_and_digamma_are_accurate_for_negative_arguments(rng):
    """Below 0 the reflection cancels near the zeros of lgamma and digamma: absolute errors of a
    few ulp of the terms, relative ones elsewhere."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = -np.concatenate([rng.uniform(0, 6, 200), np.exp(rng.uniform(2, 9, 50))])
    x = x[np.abs(x - np.round(x)) > 1e-3]
    for fn, ref in ((U.lgamma_array, lambda v: mpmath.log(abs(mpmath.gamma(v)))),
                    (U.digamma_array, mpmath.digamma)):
        expected = np.array([float(ref(mpmath.mpf(float(v)))) for v in x])
        np.testing.assert_allclose(fn(np, x), expected, rtol=1e-14, atol=1e-14)


def test_lgamma_near_its_zeros(rng):
    """lgamma(1) = lgamma(2) = 0 exactly, and relative accuracy around them (the Taylor series)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = np.concatenate([1 + np.exp(rng.uniform(-30, -1, 50)) * rng.choice([-1, 1], 50),
                        2 + np.exp(rng.uniform(-30, -1, 50)) * rng.choice([-1, 1], 50)])
    expected = np.array([float(mpmath.loggamma(mpmath.mpf(float(v))).real) for v in x])
    assert _ulps(U.lgamma_array(np, x), expected).max() <= 8
    np.testing.assert_array_equal(U.lgamma_array(np, np.array([1.0, 2.0])), [0.0, 0.0])


# ---- gradients at special points ---------------------------------------------------------------

def _grad(lib, fn, x, dtype="float64"):
    t = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
    fn(lib, t).sum().backward()
    return t.grad.numpy()


@pytest.mark.parametrize("case", [
    ("sinc_at_0", lambda lib, t: lib.sinc(t), [0.0, 0.5, -1.5]),
    ("logit_outside", lambda lib, t: lib.logit(t), [-0.5, 0.5, 1.5, 0.0]),
    ("logit_eps_outside", lambda lib, t: lib.logit(t, eps=0.1), [0.05, 0.5, 0.95, 0.1]),
    ("nan_to_num", lambda lib, t: lib.nan_to_num(t, posinf=1.0), [np.nan, np.inf, -np.inf, 2.0]),
    ("lgamma_poles", lambda lib, t: lib.lgamma(t), [0.0, -1.0, -2.5, 3.0]),
    ("i0_at_0", lambda lib, t: lib.i0(t), [0.0, -2.0, 9.0]),
    ("erfinv_ends", lambda lib, t: lib.erfinv(t), [1.0, -1.0, 0.0, 0.3]),
    ("atanh_ends", lambda lib, t: lib.atanh(t), [1.0, -1.0, 0.0]),
    ("polygamma_method", lambda lib, t: t.polygamma(3), [0.5, -0.5, 9.0]),
], ids=lambda c: c[0])
def test_gradients_at_special_points_match_torch(torch, case):
    _, fn, x = case
    for dtype in ("float32", "float64"):
        _same(_grad(gradcore, fn, x, dtype), _grad(torch, fn, x, dtype), dtype, case[0])


def test_double_backward_of_i0_at_zero(torch):
    """i0'' = i1' = i0 - i1 / x, 1/2 at 0 (the internal i1's own derivative)."""
    def second(lib):
        x = lib.tensor([0.0, 1.5, -3.0], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(lib.i0(x).sum(), x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        return gg.numpy()

    np.testing.assert_allclose(second(gradcore), second(torch), rtol=1e-13)
    assert second(gradcore)[0] == 0.5


# ---- in-place forms ----------------------------------------------------------------------------

_PARAMETRIZED_INPLACE = ("logit_", "nan_to_num_", "polygamma_")


def _needs_inplace_forms(call, t=None):
    """logit_, nan_to_num_ and polygamma_ come from ops/inplace.py, from unary_math.INPLACE."""
    code = call.__code__.co_names if call is not None else _PARAMETRIZED_INPLACE
    missing = [n for n in _PARAMETRIZED_INPLACE if n in code and not hasattr(gradcore.Tensor, n)]
    if missing:
        pytest.skip(f"{missing}: ops/inplace.py does not bind unary_math.INPLACE yet")

@pytest.mark.parametrize("call", [
    lambda t: t.log1p_(), lambda t: t.arcsinh_(), lambda t: t.sinc_(), lambda t: t.lgamma_(),
    lambda t: t.erfinv_(), lambda t: t.logit_(), lambda t: t.logit_(eps=0.3),
    lambda t: t.polygamma_(2), lambda t: t.nan_to_num_(nan=1.0), lambda t: t.i0_(),
    lambda t: t.frac_(), lambda t: t.sgn_(), lambda t: t.digamma_(), lambda t: t.arccos_(),
])
def test_inplace_forms_match_torch(torch, call):
    x = np.array([0.25, 0.5, 0.75, np.nan])
    g, t = _both(torch, x, "float64")
    _needs_inplace_forms(call, g)
    assert call(g) is g and call(t) is t
    _same(g.numpy(), t.numpy(), "float64", "in place")


def test_inplace_on_an_integer_tensor_refuses_a_float_result(torch):
    for lib, exc in ((gradcore, RuntimeError), (torch, RuntimeError)):
        with pytest.raises(exc, match="result type Float can't be cast to the desired output "
                                      "type Long"):
            lib.tensor([1, 2]).log1p_()


def test_inplace_records_the_ops_node(torch):
    _needs_inplace_forms(None)
    for lib in (gradcore, torch):
        x = lib.tensor([0.3, 0.6], dtype=lib.float64, requires_grad=True)
        y = x * 1
        y.polygamma_(1)
        assert y.grad_fn.name() == "PolygammaBackward1"
        z = x * 1
        z.logit_(eps=0.1)
        assert z.grad_fn.name() == "LogitBackward0"


# ---- errors ----------------------------------------------------------------------------------

def _raises_like(torch, call, exc=None):
    """gradcore raises what torch raises for ``call(lib)``, with the same message."""
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(exc or type(expected.value)) as got:
        call(gradcore)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("call", [
    lambda lib: lib.frac(lib.tensor([1, 2])),
    lambda lib: lib.frac(lib.tensor([True])),
    lambda lib: lib.positive(lib.tensor([True])),
    lambda lib: lib.polygamma(-1, lib.tensor([1.0])),
    lambda lib: lib.tensor([1.0]).polygamma(-2),
    lambda lib: lib.polygamma(1.5, lib.tensor([1.0])),
    lambda lib: lib.polygamma(True, lib.tensor([1.0])),
    lambda lib: lib.polygamma(1, 2.0),
    lambda lib: lib.logit(lib.tensor([0.5]), eps="a"),
    lambda lib: lib.nan_to_num(lib.tensor([0.5]), nan="a"),
    lambda lib: lib.nan_to_num(lib.tensor([0.5]), posinf=[1.0]),
], ids=["frac-int", "frac-bool", "positive-bool", "polygamma-negative", "polygamma-method",
        "polygamma-float-n", "polygamma-bool-n", "polygamma-number", "logit-eps",
        "nan_to_num-nan", "nan_to_num-posinf"])
def test_errors_match_torch(torch, call):
    _raises_like(torch, call)


def test_nan_to_num_defaults_are_the_dtype_limits(torch):
    x = [np.inf, -np.inf, np.nan, 1.0]
    for dtype in ("float32", "float64"):
        g, t = _both(torch, x, dtype)
        np.testing.assert_array_equal(gradcore.nan_to_num(g).numpy(), torch.nan_to_num(t).numpy())
        np.testing.assert_array_equal(g.nan_to_num(nan=2, posinf=3, neginf=-4).numpy(),
                                      t.nan_to_num(nan=2, posinf=3, neginf=-4).numpy())


def test_empty_and_zero_dim(torch):
    for name in ("lgamma", "erfinv", "digamma", "expm1"):
        for shape in ((0,), (2, 0), ()):
            x = np.full(shape, 0.5)
            g, t = _both(torch, x, "float32")
            got, expected = getattr(gradcore, name)(g), getattr(torch, name)(t)
            assert tuple(got.shape) == tuple(expected.shape)
            _same(got.numpy(), expected.numpy(), "float32", name)
    g, t = _both(torch, np.full((), 0.5), "float64")
    _same(gradcore.polygamma(2, g).numpy(), torch.polygamma(2, t).numpy(), "float64", "0-d")


def test_constants():
    assert U._PSI_ROOT[0] + U._PSI_ROOT[1] == pytest.approx(1.4616321449683623, abs=1e-16)
    assert abs(float(U.digamma_array(np, np.array(U._PSI_ROOT[0])))) < 1e-16
    assert U._lg_taylor(1)[-1] == -U._EULER_GAMMA
    assert math.isclose(float(U._hurwitz_zeta(np, 2, np.array(1.0))), math.pi ** 2 / 6,
                        rel_tol=3e-16)
