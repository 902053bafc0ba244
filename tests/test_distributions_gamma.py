"""Gamma, Exponential, Beta and Dirichlet against torch.distributions (log_prob, entropy,
moments, cdf, KL, shapes, gradients, validation errors), the implicit-reparameterisation
derivative of gamma samples against torch._standard_gamma_grad and finite differences of the
CDF, and seeded sample moments (within 5 standard errors)."""
import math

import numpy as np
import pytest

import gradcore
import gradcore.distributions as D
from gradcore.distributions._standard_gamma import (gammainc, standard_gamma,
                                                    standard_gamma_grad)

A = np.array([[0.3, 1.0, 2.5, 40.0]])
R = np.array([[1.0, 0.5, 3.0, 2.0]])
CONC = np.array([[0.5, 2.0, 3.0], [4.0, 1.0, 0.2], [0.3, 0.6, 0.9]])


def _t(lib, a, grad=False):
    return lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _pair(torch, make):
    return make(gradcore, gradcore.distributions), make(torch, torch.distributions)


def _close(a, b, rtol=1e-10):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=1e-12)


MAKERS = {
    "gamma": (lambda L, M: M.Gamma(_t(L, A), _t(L, R)), np.array([[0.2, 1.0, 0.7, 25.0]])),
    "gamma_scalar": (lambda L, M: M.Gamma(2.0, 0.5), np.array([0.1, 3.0])),
    "exponential": (lambda L, M: M.Exponential(_t(L, [0.5, 2.0])), np.array([0.3, 1.5])),
    "exponential_scalar": (lambda L, M: M.Exponential(1.5), np.array([0.0, 2.0])),
    "beta": (lambda L, M: M.Beta(_t(L, [0.5, 2.0, 3.0]), _t(L, [[1.0], [0.3]])),
             np.array([[0.2, 0.5, 0.9], [0.1, 0.99, 0.4]])),
    "beta_scalar": (lambda L, M: M.Beta(2.0, 5.0), np.array([0.3, 0.6])),
    "dirichlet": (lambda L, M: M.Dirichlet(_t(L, CONC)),
                  np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])),
}


@pytest.mark.parametrize("name", list(MAKERS))
def test_log_prob_entropy_and_moments_match_torch(torch, name):
    make, value = MAKERS[name]
    g, t = _pair(torch, make)
    assert tuple(g.batch_shape) == tuple(t.batch_shape)
    assert tuple(g.event_shape) == tuple(t.event_shape)
    _close(g.log_prob(_t(gradcore, value)), t.log_prob(_t(torch, value)))
    _close(g.entropy(), t.entropy())
    for attr in ("mean", "variance", "stddev", "mode"):
        _close(getattr(g, attr), getattr(t, attr))
    assert repr(g).replace("gradcore.", "torch.") == repr(t)
    for shape in ((), (4,), (2, 3)):
        assert tuple(g.sample(shape).shape) == tuple(t.sample(shape).shape)
        assert g.rsample(shape).dtype.name == str(t.rsample(shape).dtype)[6:]
    big, tbig = g.expand((5,) + tuple(g.batch_shape)), t.expand((5,) + tuple(t.batch_shape))
    assert tuple(big.batch_shape) == tuple(tbig.batch_shape)
    batched = value.ndim > len(g.batch_shape) + len(g.event_shape)
    one = value[0] if batched else value  # one value of the unbatched ones
    _close(big.log_prob(_t(gradcore, one)), tbig.log_prob(_t(torch, one)))
    assert tuple(big.sample((2,)).shape) == tuple(tbig.sample((2,)).shape)


@pytest.mark.parametrize("what", ["log_prob", "entropy"])
def test_log_prob_and_entropy_gradients_match_torch(torch, what):
    def grads(lib, mod):
        a, r = _t(lib, A, True), _t(lib, R, True)
        c = _t(lib, CONC, True)
        v = _t(lib, MAKERS["dirichlet"][1])
        if what == "log_prob":
            out = (mod.Gamma(a, r).log_prob(_t(lib, [[0.2, 1.0, 0.7, 25.0]])).sum()
                   + mod.Dirichlet(c).log_prob(v).sum()
                   + mod.Beta(a, r).log_prob(_t(lib, [[0.1, 0.5, 0.9, 0.6]])).sum())
        else:
            out = (mod.Gamma(a, r).entropy().sum() + mod.Dirichlet(c).entropy().sum()
                   + mod.Beta(a, r).entropy().sum() + mod.Exponential(r).entropy().sum())
        return lib.autograd.grad(out, (a, r, c))
    # entropy's gradient is trigamma's: PyTorch's is ~1e-9 off below 3 (op_db_unary_math.py)
    for mine, want in zip(*_pair(torch, grads)):
        _close(mine, want, rtol=1e-10 if what == "log_prob" else 1e-8)


def test_cdf_and_icdf_match_torch(torch):
    g, t = _pair(torch, MAKERS["gamma"][0])
    v = np.array([[0.2, 1.0, 0.7, 25.0], [3.0, 0.01, 2.0, 19.0]])
    # PyTorch's gammainc is ~1e-9 off at a = 40 (its asymptotic series; mpmath agrees with
    # gradcore to 1e-15 there: test_gammainc_matches_mpmath)
    _close(g.cdf(_t(gradcore, v)), t.cdf(_t(torch, v)), rtol=2e-9)
    g, t = _pair(torch, MAKERS["exponential"][0])
    _close(g.cdf(_t(gradcore, [0.3, 1.5])), t.cdf(_t(torch, [0.3, 1.5])))
    _close(g.icdf(_t(gradcore, [0.1, 0.9])), t.icdf(_t(torch, [0.1, 0.9])))


def test_gammainc_values_and_x_gradient_match_torch(torch):
    a = np.array([1e-3, 0.5, 1.0, 3.0, 10.0, 150.0, 3e4, 3e4, 2.0, 2.0])
    x = np.array([1e-4, 0.3, 2.0, 9.0, 10.5, 140.0, 3.01e4, 2.9e4, 0.0, np.inf])
    ga, gx = _t(gradcore, a), _t(gradcore, x, True)
    ta, tx = _t(torch, a), _t(torch, x, True)
    mine, want = gammainc(ga, gx), torch.special.gammainc(ta, tx)
    _close(mine, want, rtol=1e-9)  # PyTorch's is ~5e-10 off at a = 150 (mpmath: see below)
    mine.sum().backward()
    want.sum().backward()
    _close(gx.grad, tx.grad)


def test_gammainc_matches_mpmath():
    mp = pytest.importorskip("mpmath")
    a = np.array([0.01, 0.7, 2.0, 10.0, 40.0, 40.0, 150.0, 300.0, 5e3, 3e4])
    x = np.array([0.5, 3.0, 0.1, 10.5, 50.0, 38.0, 140.0, 290.0, 5.1e3, 2.98e4])
    want = [float(mp.gammainc(mp.mpf(p), 0, mp.mpf(q), regularized=True)) for p, q in zip(a, x)]
    # the prefactor exp(a log x - x - lgamma(a)) carries its exponent's rounding: a few ulp
    # of a |log x| + x
    mine = gammainc(_t(gradcore, a), _t(gradcore, x)).numpy()
    bound = 4e-16 * (a * np.abs(np.log(x)) + x + 10) * np.abs(want)
    assert (np.abs(mine - want) <= bound).all(), mine - want


A_GRID = np.array([1e-3, 0.05, 0.4, 1.0, 1.7, 5.0, 7.9, 8.5, 30.0, 300.0, 5e3, 1.5e4])


def _samples():
    rng = np.random.default_rng(0)  # values spread over each Gamma(a, 1): quantiles
    qs = np.array([0.01, 0.3, 0.5, 0.8, 0.999])
    a = np.repeat(A_GRID, len(qs))
    x = np.maximum(np.concatenate([np.quantile(rng.gamma(s, size=20_000), qs)
                                   for s in A_GRID]), 1e-300)
    return a, x


def test_standard_gamma_grad_matches_finite_differences_of_the_cdf(torch):
    a, x = _samples()
    ta, tx = _t(torch, a), _t(torch, x)
    h = 1e-6 * a  # dx/da = -dP/da / dP/dx, dP/da by central differences of torch's gammainc
    dpda = (torch.special.gammainc(ta + _t(torch, h), tx)
            - torch.special.gammainc(ta - _t(torch, h), tx)) / _t(torch, 2 * h)
    pdf = torch.exp(torch.xlogy(ta - 1, tx) - tx - torch.lgamma(ta))
    want = -dpda / pdf
    mine = standard_gamma_grad(_t(gradcore, a), _t(gradcore, x))
    np.testing.assert_allclose(mine.numpy(), want.numpy(), rtol=2e-7)


def test_standard_gamma_grad_is_close_to_torchs_approximation(torch):
    # PyTorch's _standard_gamma_grad is a Taylor series / saddle point / rational fit,
    # good to about 5e-4 relative; gradcore's is exact (the test above)
    a, x = _samples()
    want = torch._standard_gamma_grad(_t(torch, a), _t(torch, x))
    mine = standard_gamma_grad(_t(gradcore, a), _t(gradcore, x))
    np.testing.assert_allclose(mine.numpy(), want.numpy(), rtol=1e-3)
    f32 = standard_gamma_grad(gradcore.tensor(a, dtype=gradcore.float32),
                              gradcore.tensor(x, dtype=gradcore.float32))
    assert f32.dtype == gradcore.float32


def test_rsample_gradients(torch):
    alpha = gradcore.tensor([0.5, 3.0], dtype=gradcore.float64, requires_grad=True)
    rate = gradcore.tensor([2.0, 0.5], dtype=gradcore.float64, requires_grad=True)
    gradcore.manual_seed(0)
    n = 20_000
    x = D.Gamma(alpha, rate).rsample((n,))
    assert x.grad_fn.name() == "DivBackward0"
    x.sum().backward()
    xd = x.detach()
    _close(rate.grad, -(xd / rate.detach()).sum(0))  # d(g / rate) / drate
    want = standard_gamma_grad(alpha.detach().expand(n, 2), xd * rate.detach()).sum(0)
    _close(alpha.grad, want / rate.detach())
    # unbiased: E[dx/dalpha] = d E[x] / dalpha = 1 / rate (here for Gamma(alpha, 1))
    grads = standard_gamma_grad(alpha.detach().expand(n, 2), xd * rate.detach()).numpy()
    se = grads.std(0) / math.sqrt(n)
    assert (np.abs(grads.mean(0) - 1.0) < 5 * se).all()
    assert not D.Gamma(alpha, rate).sample((3,)).requires_grad


def _batched_gradient(make, param, batches=20, n=2_000):
    """The mean pathwise gradient of make(param).sum() over ``batches`` batches of n samples,
    and its standard error (from the spread of the batch means)."""
    means = []
    for _ in range(batches):
        g, = gradcore.autograd.grad(make(param).sum(), param)
        means.append(g.numpy() / n)
    means = np.array(means)
    return means.mean(0), means.std(0, ddof=1) / math.sqrt(batches)


def test_dirichlet_and_beta_rsample_gradients_are_unbiased():
    gradcore.manual_seed(1)
    conc = np.array([0.7, 2.0, 4.0])
    c = gradcore.tensor(conc, requires_grad=True)
    mean, se = _batched_gradient(lambda p: D.Dirichlet(p).rsample((2_000,))[:, 0], c)
    a0 = conc.sum()
    want = (a0 * np.eye(3)[0] - conc[0]) / a0 ** 2  # d E[x0] / dc, E[x0] = c0 / a0
    assert (np.abs(mean - want) < 5 * se).all(), (mean, want, se)
    c1 = gradcore.tensor(2.0, dtype=gradcore.float64, requires_grad=True)
    mean, se = _batched_gradient(lambda p: D.Beta(p, 3.0).rsample((2_000,)), c1)
    assert abs(mean - 3.0 / 25.0) < 5 * se  # d (a / (a + b)) / da = b / (a + b)^2


def test_standard_gamma_node_double_backward_and_generator(torch):
    a = gradcore.tensor([1.5, 3.0], dtype=gradcore.float64, requires_grad=True)
    x = standard_gamma(a)
    assert x.grad_fn.name() == "StandardGammaBackward0"
    g, = gradcore.autograd.grad(x.sum(), a, create_graph=True)
    msgs = []
    for lib, y in ((gradcore, g), (torch, None)):
        if y is None:
            ta = torch.tensor([1.5, 3.0], dtype=torch.float64, requires_grad=True)
            y, = torch.autograd.grad(torch._standard_gamma(ta).sum(), ta, create_graph=True)
        with pytest.raises(NotImplementedError) as e:
            y.sum().backward()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
    one, two = gradcore.Generator().manual_seed(5), gradcore.Generator().manual_seed(5)
    assert standard_gamma(a.detach(), one).tolist() == standard_gamma(a.detach(), two).tolist()
    tiny = standard_gamma(gradcore.full((1000,), 1e-3, dtype=gradcore.float32))
    assert float(tiny.min()) >= np.finfo(np.float32).tiny


def test_sample_moments():
    gradcore.manual_seed(3)
    n = 100_000
    cases = [(D.Gamma(0.5, 2.0), 0.25, 0.125), (D.Gamma(9.0, 3.0), 3.0, 1.0),
             (D.Exponential(4.0), 0.25, 1 / 16), (D.Beta(2.0, 3.0), 0.4, 0.04),
             (D.Beta(0.3, 0.3), 0.5, 0.25 / 1.6)]
    for d, mean, var in cases:
        s = d.sample((n,)).numpy().astype(np.float64)
        assert abs(s.mean() - mean) < 5 * math.sqrt(var / n), d
        # the variance: its standard error from the fourth moment
        se_var = math.sqrt(max(((s - mean) ** 4).mean() - var ** 2, 0) / n)
        assert abs(s.var() - var) < 5 * se_var, d
    conc = gradcore.tensor([0.5, 2.0, 3.5], dtype=gradcore.float64)
    d = D.Dirichlet(conc)
    s = d.sample((n,)).numpy()
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-12)
    se = np.sqrt(d.variance.numpy() / n)
    assert (np.abs(s.mean(0) - d.mean.numpy()) < 5 * se).all()


KL_PAIRS = [
    lambda L, M: (M.Gamma(_t(L, A), _t(L, R)), M.Gamma(_t(L, R), 2.0)),
    lambda L, M: (M.Exponential(_t(L, [0.5, 2.0])), M.Exponential(_t(L, [[1.0], [3.0]]))),
    lambda L, M: (M.Beta(_t(L, [0.5, 2.0]), _t(L, [1.0, 3.0])), M.Beta(1.5, _t(L, [0.2, 4.0]))),
    lambda L, M: (M.Dirichlet(_t(L, CONC)), M.Dirichlet(_t(L, CONC[::-1].copy()))),
]


@pytest.mark.parametrize("k", range(len(KL_PAIRS)))
def test_kl_divergence_matches_torch(torch, k):
    (gp, gq), (tp, tq) = _pair(torch, KL_PAIRS[k])
    _close(D.kl_divergence(gp, gq), torch.distributions.kl_divergence(tp, tq))


ERRORS = [
    lambda L, M: M.Gamma(_t(L, [1.0, -1.0]), 1.0),
    lambda L, M: M.Gamma(1.0, _t(L, [0.0])),
    lambda L, M: M.Gamma(_t(L, [1.0]), 1.0).log_prob(_t(L, [-0.5])),
    lambda L, M: M.Exponential(_t(L, [-2.0])),
    lambda L, M: M.Beta(_t(L, [1.0]), _t(L, [-1.0])),
    lambda L, M: M.Beta(2.0, 2.0).log_prob(_t(L, [1.5])),
    lambda L, M: M.Dirichlet(_t(L, 1.0)),
    lambda L, M: M.Dirichlet(_t(L, [1.0, 0.0])),
    lambda L, M: M.Dirichlet(_t(L, [1.0, 2.0])).log_prob(_t(L, [0.5, 0.6])),
    lambda L, M: M.Dirichlet(_t(L, [1.0, 2.0])).log_prob(_t(L, [0.5, 0.2, 0.3])),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_validation_errors_match_torch(torch, k):
    out = []
    for lib, mod in ((gradcore, gradcore.distributions), (torch, torch.distributions)):
        with pytest.raises(Exception) as e:
            ERRORS[k](lib, mod)
        out.append((e.type.__name__, str(e.value).replace("gradcore.", "torch.")))
    assert out[0] == out[1]
