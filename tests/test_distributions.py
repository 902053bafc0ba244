"""gradcore.distributions against torch.distributions: the same parameters give the same
log_prob, entropy, moments, cdf, KL divergences, shapes, gradients and validation errors;
samples have the right moments (seeded, with slack)."""
import math

import numpy as np
import pytest

import gradcore
import gradcore.distributions as D

P = np.array([0.1, 0.5, 0.9])
COV = np.array([[2.0, 0.3], [0.3, 1.0]])
LOC, SCALE = np.array([[0.0, 1.5, -2.0]]), np.array([[1.0, 0.5, 3.0]])


def _t(lib, a, grad=False):
    return lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _pair(torch, make):
    return make(gradcore, gradcore.distributions), make(torch, torch.distributions)


def _close(a, b):
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12)


MAKERS = {
    "normal": (lambda L, M: M.Normal(_t(L, LOC), _t(L, SCALE)), np.array([[0.3, 1.0, -5.0]])),
    "normal_scalar": (lambda L, M: M.Normal(0.5, 2.0), np.array([0.1, -3.0])),
    "bernoulli_probs": (lambda L, M: M.Bernoulli(_t(L, P)), np.array([1.0, 0.0, 1.0])),
    "bernoulli_logits": (lambda L, M: M.Bernoulli(logits=_t(L, [-2.0, 0.0, 3.0])),
                         np.array([0.0, 1.0, 1.0])),
    "categorical_probs": (lambda L, M: M.Categorical(_t(L, [[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]])),
                          np.array([2.0, 0.0])),
    "categorical_logits": (lambda L, M: M.Categorical(logits=_t(L, [0.5, -1.0, 2.0, 0.0])),
                           np.array([3.0, 1.0])),
    "uniform": (lambda L, M: M.Uniform(_t(L, [0.0, -1.0]), _t(L, [1.0, 3.0])),
                np.array([0.25, 2.5])),
    "independent": (lambda L, M: M.Independent(M.Normal(_t(L, LOC), _t(L, SCALE)), 1),
                    np.array([[0.3, 1.0, -5.0]])),
    "mvn_covariance": (lambda L, M: M.MultivariateNormal(_t(L, [0.5, -1.0]), _t(L, COV)),
                       np.array([[0.0, 0.0], [1.0, 2.0]])),
    "mvn_scale_tril_batched": (lambda L, M: M.MultivariateNormal(
        _t(L, [[0.5, -1.0], [0.0, 0.0], [1.0, 1.0]]), scale_tril=_t(L, np.linalg.cholesky(COV))),
        np.array([[0.0, 0.0], [1.0, 2.0], [0.5, 0.5]])),
    "mvn_precision": (lambda L, M: M.MultivariateNormal(_t(L, [0.5, -1.0]),
                                                        precision_matrix=_t(L, COV)),
                      np.array([0.3, 0.2])),
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
        try:
            want = getattr(t, attr)
        except NotImplementedError:
            continue
        _close(getattr(g, attr), want)
    assert repr(g).replace("gradcore.", "torch.") == repr(t)
    for shape in ((), (4,), (2, 3)):
        assert tuple(g.sample(shape).shape) == tuple(t.sample(shape).shape)
        assert g.sample(shape).dtype.name == str(t.sample(shape).dtype)[6:]
    big = g.expand((5,) + tuple(g.batch_shape))
    assert tuple(big.batch_shape) == tuple(t.expand((5,) + tuple(t.batch_shape)).batch_shape)
    tbig = t.expand((5,) + tuple(t.batch_shape))
    batched = value.ndim > len(g.batch_shape) + len(g.event_shape)
    one = value[0] if batched else value  # one value of the unbatched ones
    _close(big.log_prob(_t(gradcore, one)), tbig.log_prob(_t(torch, one)))


def test_cdf_and_icdf_match_torch(torch):
    for make in (lambda L, M: M.Normal(_t(L, LOC), _t(L, SCALE)),
                 lambda L, M: M.Uniform(_t(L, [[-1.0, 0.0, 0.0]]), _t(L, [[2.0, 3.0, 1.0]]))):
        g, t = _pair(torch, make)
        v = np.array([[0.3, 1.0, 0.6]])
        _close(g.cdf(_t(gradcore, v)), t.cdf(_t(torch, v)))
        if hasattr(gradcore, "erfinv") or isinstance(g, D.Uniform):
            q = np.array([[0.1, 0.5, 0.975]])
            _close(g.icdf(_t(gradcore, q)), t.icdf(_t(torch, q)))


KL_PAIRS = [
    lambda L, M: (M.Normal(_t(L, LOC), _t(L, SCALE)), M.Normal(_t(L, [[1.0, 0.0, 0.5]]), 2.0)),
    lambda L, M: (M.Bernoulli(_t(L, [0.0, 0.3, 1.0])), M.Bernoulli(_t(L, [0.5, 0.0, 0.7]))),
    lambda L, M: (M.Categorical(_t(L, [[0.2, 0.8, 0.0], [0.5, 0.5, 0.0]])),
                  M.Categorical(_t(L, [[0.1, 0.6, 0.3], [0.4, 0.0, 0.6]]))),
    lambda L, M: (M.Uniform(_t(L, [0.0, 0.0]), _t(L, [1.0, 2.0])),
                  M.Uniform(_t(L, [-1.0, 0.5]), _t(L, [2.0, 3.0]))),
    lambda L, M: (M.Independent(M.Normal(_t(L, LOC), _t(L, SCALE)), 1),
                  M.Independent(M.Normal(_t(L, SCALE), _t(L, SCALE) + 1), 1)),
    lambda L, M: (M.MultivariateNormal(_t(L, [0.5, -1.0]), _t(L, COV)),
                  M.MultivariateNormal(_t(L, [[1.0, -2.0], [0.0, 0.0]]),
                                       scale_tril=_t(L, np.linalg.cholesky(2 * COV)))),
]


@pytest.mark.parametrize("k", range(len(KL_PAIRS)))
def test_kl_divergence_matches_torch(torch, k):
    (gp, gq), (tp, tq) = _pair(torch, KL_PAIRS[k])
    _close(D.kl_divergence(gp, gq), torch.distributions.kl_divergence(tp, tq))


def test_kl_without_a_rule_raises_and_register_kl_adds_one():
    p, q = D.Categorical(gradcore.tensor([0.5, 0.5])), D.Uniform(0.0, 1.0)  # no rule in PyTorch
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(p, q)

    class MyNormal(D.Normal):
        pass

    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0))) == 0.5  # inherited

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return gradcore.tensor(7.0)

    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0))) == 7.0


def test_rsample_is_differentiable_and_sample_is_not(torch):
    loc = gradcore.tensor([0.5, -1.0], requires_grad=True)
    scale = gradcore.tensor([2.0, 0.5], requires_grad=True)
    d = D.Normal(loc, scale)
    gradcore.manual_seed(0)
    x = d.rsample((1000,))
    x.sum().backward()
    assert loc.grad.tolist() == [1000.0, 1000.0]
    eps = (x.detach() - loc.detach()) / scale.detach()
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-4)
    assert not d.sample((3,)).requires_grad
    low = gradcore.tensor(1.0, requires_grad=True)
    D.Uniform(low, 3.0).rsample((10,)).sum().backward()
    assert abs(float(low.grad) - 10 * (1 - 0.5)) < 4  # d/dlow = 1 - u, u ~ U(0, 1)
    assert not D.Bernoulli(gradcore.tensor(0.3)).has_rsample


def test_mvn_rsample_gradients_and_covariance(torch):
    loc = gradcore.tensor([0.5, -1.0], dtype=gradcore.float64, requires_grad=True)
    L = gradcore.tensor(np.linalg.cholesky(COV), requires_grad=True)
    d = D.MultivariateNormal(loc, scale_tril=L)
    gradcore.manual_seed(1)
    x = d.rsample((50_000,))
    x.sum().backward()
    assert loc.grad.tolist() == [50_000.0, 50_000.0]
    np.testing.assert_allclose(np.cov(x.detach().numpy().T), COV, atol=0.05)
    _close(d.covariance_matrix, torch.distributions.MultivariateNormal(
        torch.tensor([0.5, -1.0], dtype=torch.float64),
        scale_tril=torch.tensor(np.linalg.cholesky(COV)))
        .covariance_matrix)


def test_sample_moments():
    gradcore.manual_seed(3)
    n = 100_000
    cases = [(D.Normal(2.0, 3.0), 2.0, 9.0), (D.Uniform(-1.0, 3.0), 1.0, 16 / 12),
             (D.Bernoulli(gradcore.tensor(0.3)), 0.3, 0.21)]
    for d, mean, var in cases:
        s = d.sample((n,)).numpy().astype(np.float64)
        assert abs(s.mean() - mean) < 5 * math.sqrt(var / n), type(d).__name__
    c = D.Categorical(gradcore.tensor([0.2, 0.3, 0.5])).sample((n,)).numpy()
    np.testing.assert_allclose(np.bincount(c) / n, [0.2, 0.3, 0.5], atol=0.01)


ERRORS = [
    lambda L, M: M.Normal(_t(L, [0.0]), _t(L, [-1.0])),
    lambda L, M: M.Normal(0.0, 1.0).log_prob(_t(L, [float("nan")])),
    lambda L, M: M.Bernoulli(probs=0.5, logits=0.0),
    lambda L, M: M.Bernoulli(_t(L, [1.5])),
    lambda L, M: M.Bernoulli(_t(L, [0.3])).log_prob(_t(L, [0.5])),
    lambda L, M: M.Uniform(1.0, 0.0),
    lambda L, M: M.Categorical(_t(L, [-0.1, 1.1])),
    lambda L, M: M.Categorical(_t(L, [0.5, 0.5])).log_prob(_t(L, [2.0])),
    lambda L, M: M.Normal(_t(L, [0.0, 1.0]), 1.0).log_prob(_t(L, [0.0, 1.0, 2.0])),
    lambda L, M: M.Independent(M.Normal(0.0, 1.0), 1),
    lambda L, M: M.MultivariateNormal(_t(L, [0.0, 0.0]), _t(L, [[1.0, 2.0], [2.0, 1.0]])),
    lambda L, M: M.MultivariateNormal(_t(L, [0.0, 0.0]), scale_tril=_t(L, [[1.0, 1.0],
                                                                          [0.0, 1.0]])),
    lambda L, M: M.MultivariateNormal(_t(L, [0.0, 0.0]), _t(L, COV), scale_tril=_t(L, COV)),
    lambda L, M: M.MultivariateNormal(_t(L, 0.0), _t(L, COV)),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_validation_errors_match_torch(torch, k):
    out = []
    for lib, mod in ((gradcore, gradcore.distributions), (torch, torch.distributions)):
        with pytest.raises(Exception) as e:
            ERRORS[k](lib, mod)
        out.append((e.type.__name__, str(e.value).replace("gradcore.", "torch.")))
    assert out[0] == out[1]


def test_validation_can_be_turned_off():
    d = D.Normal(gradcore.tensor([0.0]), gradcore.tensor([-1.0]), validate_args=False)
    assert math.isnan(float(d.log_prob(gradcore.tensor([0.0]))))


def test_mvn_gradients_stay_in_the_lower_triangle_and_kl_broadcasts(torch):
    grads, kls = [], []
    for lib, mod in ((gradcore, gradcore.distributions), (torch, torch.distributions)):
        T = lib.tensor([[1.0, 0.0], [0.5, 2.0]], requires_grad=True)
        d = mod.MultivariateNormal(lib.zeros(2), scale_tril=T)
        (d.log_prob(lib.tensor([0.3, -1.0])) + d.entropy()).backward()
        grads.append(T.grad.numpy())
        p = mod.MultivariateNormal(lib.zeros(2, 1, 2), scale_tril=lib.eye(2))
        q = mod.MultivariateNormal(lib.ones(1, 3, 2), scale_tril=2 * lib.eye(2))
        kls.append(mod.kl_divergence(p, q).numpy())
    assert grads[0][0, 1] == 0.0
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)
    np.testing.assert_allclose(kls[0], kls[1], rtol=1e-5)
