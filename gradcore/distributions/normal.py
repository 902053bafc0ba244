"""The normal distribution."""
import math
import numbers

from ._namespace import G as gradcore

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Normal"]


class Normal(Distribution):
    """Normal(loc, scale, validate_args=None)

    The normal (Gaussian) distribution of mean ``loc`` and standard deviation ``scale``
    (tensors or numbers, broadcast together).  rsample is loc + scale * eps, eps ~ N(0, 1).

        d = Normal(torch.zeros(3), 1.0)
        d.rsample((5,)).shape   # (5, 3)"""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch = (gradcore.Size() if isinstance(loc, numbers.Number)
                 and isinstance(scale, numbers.Number) else self.loc.size())
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Normal

        This distribution with loc and scale broadcast to ``batch_shape``."""
        new = self._get_checked_instance(Normal, _instance)
        batch_shape = gradcore.Size(batch_shape)
        new.loc, new.scale = self.loc.expand(batch_shape), self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """loc."""
        return self.loc

    @property
    def mode(self):
        """loc."""
        return self.loc

    @property
    def stddev(self):
        """scale."""
        return self.scale

    @property
    def variance(self):
        """scale ** 2."""
        return self.stddev.pow(2)

    def sample(self, sample_shape=gradcore.Size()):
        """sample(sample_shape=Size([])) -> Tensor

        Normal draws of shape sample_shape + batch_shape, without gradient."""
        shape = self._extended_shape(sample_shape)
        with gradcore.no_grad():
            return gradcore.normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=gradcore.Size()):
        """rsample(sample_shape=Size([])) -> Tensor

        loc + scale * eps, eps standard normal: differentiable in loc and scale."""
        shape = self._extended_shape(sample_shape)
        eps = gradcore.randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        -(value - loc)**2 / (2 scale**2) - log(scale) - log(sqrt(2 pi))."""
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        log_scale = (math.log(self.scale) if isinstance(self.scale, numbers.Real)
                     else self.scale.log())
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - math.log(
            math.sqrt(2 * math.pi))

    def cdf(self, value):
        """cdf(value) -> Tensor

        0.5 (1 + erf((value - loc) / (scale sqrt 2)))."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + gradcore.erf((value - self.loc) * self.scale.reciprocal()
                                       / math.sqrt(2)))

    def icdf(self, value):
        """icdf(value) -> Tensor

        loc + scale * erfinv(2 value - 1) * sqrt 2."""
        return self.loc + self.scale * gradcore.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        """entropy() -> Tensor

        0.5 + 0.5 log(2 pi) + log(scale)."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + gradcore.log(self.scale)
