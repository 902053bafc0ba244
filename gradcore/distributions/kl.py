"""kl_divergence(p, q) and the rules for the pairs PyTorch has (register_kl adds more)."""

from .bernoulli import Bernoulli
from .categorical import Categorical
from .independent import Independent, _sum_rightmost
from .multivariate_normal import (MultivariateNormal, _broadcast_shape, _half_log_det,
                                 _mahalanobis, _solve_lower)
from .normal import Normal
from .uniform import Uniform
from .utils import softplus

__all__ = ["kl_divergence", "register_kl"]

_KL = {}


def register_kl(type_p, type_q):
    """register_kl(type_p, type_q) -> decorator

    Register ``fn(p, q)`` as KL(p || q) for distributions of these types (subclasses
    included; the most specific registered pair wins)."""
    def decorator(fn):
        _KL[type_p, type_q] = fn
        return fn
    return decorator


def _dispatch(tp, tq):
    matches = [(p, q) for p, q in _KL if issubclass(tp, p) and issubclass(tq, q)]
    if not matches:
        return None
    return _KL[min(matches, key=lambda pq: (tp.__mro__.index(pq[0]),
                                            tq.__mro__.index(pq[1])))]


def kl_divergence(p, q):
    """kl_divergence(p, q) -> Tensor

    KL(p || q) = E_p[log p(x) - log q(x)], over the batch shape; NotImplementedError for a
    pair without a rule."""
    fn = _dispatch(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__}")
    return fn(p, q)


def _infinite_where(t, mask):
    return t.masked_fill(mask, float("inf"))


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = _infinite_where(t1, q.probs == 0).masked_fill(p.probs == 0, 0.0)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = _infinite_where(t2, q.probs == 1).masked_fill(p.probs == 1, 0.0)
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = _infinite_where(t, (q.probs == 0).expand_as(t)).masked_fill(
        (p.probs == 0).expand_as(t), 0.0)
    return t.sum(-1)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _infinite_where(result, (q.low > p.low) | (q.high < p.high))


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event "
                         "shapes cannot be computed")
    n = p.event_shape[0]
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = _half_log_det(lq) - _half_log_det(lp)
    batch = _broadcast_shape(p.batch_shape, q.batch_shape)
    x = _solve_lower(lq.expand(batch + (n, n)), lp.tril().expand(batch + (n, n)))  # lq^-1 lp
    term2 = (x * x).sum((-2, -1))
    term3 = _mahalanobis(lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    result = kl_divergence(p.base_dist, q.base_dist)
    return _sum_rightmost(result, p.reinterpreted_batch_ndims)


