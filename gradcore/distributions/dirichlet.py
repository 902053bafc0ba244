"""The Dirichlet distribution."""
from ._namespace import G as gradcore

from . import constraints
from ._dirichlet_grad import sample_dirichlet
from .distribution import Distribution
from .kl import register_kl

__all__ = ["Dirichlet"]


class Dirichlet(Distribution):
    """Dirichlet(concentration, validate_args=None)

    The Dirichlet distribution over the simplex of the last dim of ``concentration`` (at least
    one-dimensional; the leading dims are the batch).  rsample is g / g.sum(-1), g independent
    standard gamma draws: differentiable in concentration through them."""
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Dirichlet

        This distribution with concentration broadcast to ``batch_shape`` + event_shape."""
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = gradcore.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        """rsample(sample_shape=()) -> Tensor

        Standard gamma draws of the concentrations, normalised over the last dim; the
        gradient is PyTorch's implicit reparameterisation one (_Dirichlet,
        torch._dirichlet_grad: _dirichlet_grad.py)."""
        return sample_dirichlet(self.concentration.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        sum xlogy(alpha - 1, value) + lgamma(sum alpha) - sum lgamma(alpha)."""
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return (gradcore.xlogy(a - 1.0, value).sum(-1) + gradcore.lgamma(a.sum(-1))
                - gradcore.lgamma(a).sum(-1))

    @property
    def mean(self):
        """alpha / sum alpha."""
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        """(alpha - 1)+ / sum (alpha - 1)+; where every alpha < 1, the one-hot vector of the
        largest (as PyTorch)."""
        am1 = (self.concentration - 1).clamp(min=0.0)
        mode = am1 / am1.sum(-1, True)
        k = am1.shape[-1]
        hot = (gradcore.arange(k, device=mode.device) == mode.argmax(-1, keepdim=True))
        mask = (self.concentration < 1).all(dim=-1, keepdim=True)
        return gradcore.where(mask, hot.to(mode.dtype), mode)

    @property
    def variance(self):
        """alpha (a0 - alpha) / (a0**2 (a0 + 1)), a0 = sum alpha."""
        a0 = self.concentration.sum(-1, True)
        return self.concentration * (a0 - self.concentration) / (a0.pow(2) * (a0 + 1))

    def entropy(self):
        """entropy() -> Tensor

        sum lgamma(alpha) - lgamma(a0) - (k - a0) digamma(a0) - sum (alpha - 1) digamma(alpha)."""
        a = self.concentration
        k, a0 = a.size(-1), a.sum(-1)
        return (gradcore.lgamma(a).sum(-1) - gradcore.lgamma(a0)
                - (k - a0) * gradcore.digamma(a0)
                - ((a - 1.0) * gradcore.digamma(a)).sum(-1))


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sp, sq = p.concentration.sum(-1), q.concentration.sum(-1)
    t1 = sp.lgamma() - sq.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = p.concentration.digamma() - sp.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)
