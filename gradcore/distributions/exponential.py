"""The exponential distribution."""
import numbers

from ._namespace import G as gradcore

from . import constraints
from .distribution import Distribution
from .kl import register_kl
from .utils import broadcast_all

__all__ = ["Exponential"]


class Exponential(Distribution):
    """Exponential(rate, validate_args=None)

    The exponential distribution of ``rate`` (1 / scale; a tensor or number): rsample is
    e / rate, e a standard exponential draw."""
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        self.rate, = broadcast_all(rate)
        batch = gradcore.Size() if isinstance(rate, numbers.Number) else self.rate.size()
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Exponential

        This distribution with rate broadcast to ``batch_shape``."""
        new = self._get_checked_instance(Exponential, _instance)
        batch_shape = gradcore.Size(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """1 / rate."""
        return self.rate.reciprocal()

    @property
    def mode(self):
        """0."""
        return gradcore.zeros_like(self.rate)

    @property
    def stddev(self):
        """1 / rate."""
        return self.rate.reciprocal()

    @property
    def variance(self):
        """rate ** -2."""
        return self.rate.pow(-2)

    def rsample(self, sample_shape=gradcore.Size()):
        """rsample(sample_shape=Size([])) -> Tensor

        Standard exponential draws / rate: differentiable in rate."""
        shape = self._extended_shape(sample_shape)
        e = gradcore.empty(shape, dtype=self.rate.dtype, device=self.rate.device).exponential_()
        return e / self.rate

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        log(rate) - rate value."""
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        """cdf(value) -> Tensor

        1 - exp(-rate value)."""
        if self._validate_args:
            self._validate_sample(value)
        return 1 - gradcore.exp(-self.rate * value)

    def icdf(self, value):
        """icdf(value) -> Tensor

        -log1p(-value) / rate."""
        return -gradcore.log1p(-value) / self.rate

    def entropy(self):
        """entropy() -> Tensor

        1 - log(rate)."""
        return 1.0 - gradcore.log(self.rate)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return -rate_ratio.log() + rate_ratio - 1
