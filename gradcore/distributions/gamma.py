"""The gamma distribution."""
import numbers

from ._namespace import G as gradcore

from . import constraints
from ._standard_gamma import gammainc, standard_gamma
from .distribution import Distribution
from .kl import register_kl
from .utils import broadcast_all

__all__ = ["Gamma"]


class Gamma(Distribution):
    """Gamma(concentration, rate, validate_args=None)

    The gamma distribution of shape ``concentration`` (alpha) and ``rate`` (beta = 1 / scale),
    tensors or numbers broadcast together.  rsample is standard_gamma(alpha) / rate,
    differentiable in both (implicit reparameterisation in alpha).

        d = Gamma(torch.tensor([1.0, 3.0]), 2.0)
        d.rsample((5,)).shape   # (5, 2)"""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch = (gradcore.Size() if isinstance(concentration, numbers.Number)
                 and isinstance(rate, numbers.Number) else self.concentration.size())
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Gamma

        This distribution with concentration and rate broadcast to ``batch_shape``."""
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = gradcore.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """concentration / rate."""
        return self.concentration / self.rate

    @property
    def mode(self):
        """(concentration - 1) / rate, clamped at 0."""
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        """concentration / rate**2."""
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=gradcore.Size()):
        """rsample(sample_shape=Size([])) -> Tensor

        standard_gamma(concentration) / rate, at least the dtype's smallest normal number:
        differentiable in concentration and rate."""
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=gradcore.finfo(value.dtype).tiny)  # not in the graph
        return value

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        xlogy(alpha, rate) + xlogy(alpha - 1, value) - rate value - lgamma(alpha)."""
        value = gradcore.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (gradcore.xlogy(self.concentration, self.rate)
                + gradcore.xlogy(self.concentration - 1, value)
                - self.rate * value - gradcore.lgamma(self.concentration))

    def cdf(self, value):
        """cdf(value) -> Tensor

        gammainc(concentration, rate * value), the regularised lower incomplete gamma."""
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)

    def entropy(self):
        """entropy() -> Tensor

        alpha - log(rate) + lgamma(alpha) + (1 - alpha) digamma(alpha)."""
        a = self.concentration
        return (a - gradcore.log(self.rate) + gradcore.lgamma(a)
                + (1.0 - a) * gradcore.digamma(a))


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = gradcore.lgamma(q.concentration) - gradcore.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * gradcore.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4
