"""The continuous uniform distribution."""
import numbers

from ._namespace import G as gradcore

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Uniform"]


class Uniform(Distribution):
    """Uniform(low, high, validate_args=None)

    Draws uniform on the half-open interval [low, high) (tensors or numbers, broadcast)."""
    has_rsample = True

    @property
    def arg_constraints(self):
        """low < high."""
        return {"low": constraints.less_than(self.high),
                "high": constraints.greater_than(self.low)}

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        batch = (gradcore.Size() if isinstance(low, numbers.Number)
                 and isinstance(high, numbers.Number) else self.low.size())
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Uniform

        This distribution with low and high broadcast to ``batch_shape``."""
        new = self._get_checked_instance(Uniform, _instance)
        batch_shape = gradcore.Size(batch_shape)
        new.low, new.high = self.low.expand(batch_shape), self.high.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def support(self):
        """interval(low, high)."""
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        """(high + low) / 2."""
        return (self.high + self.low) / 2

    @property
    def mode(self):
        """nan: every value is as likely."""
        return gradcore.nan * self.high

    @property
    def stddev(self):
        """(high - low) / sqrt(12)."""
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        """(high - low)**2 / 12."""
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=gradcore.Size()):
        """rsample(sample_shape=Size([])) -> Tensor

        low + u * (high - low), u uniform on [0, 1): differentiable in low and high."""
        shape = self._extended_shape(sample_shape)
        rand = gradcore.rand(*shape, dtype=self.low.dtype, device=self.low.device)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        -log(high - low) inside [low, high), -inf outside."""
        if self._validate_args:
            self._validate_sample(value)
        lb = self.low.le(value).type_as(self.low)
        ub = self.high.gt(value).type_as(self.low)
        return gradcore.log(lb * ub) - gradcore.log(self.high - self.low)

    def cdf(self, value):
        """cdf(value) -> Tensor

        (value - low) / (high - low), clamped to [0, 1]."""
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value):
        """icdf(value) -> Tensor

        low + value * (high - low)."""
        return value * (self.high - self.low) + self.low

    def entropy(self):
        """entropy() -> Tensor

        log(high - low)."""
        return gradcore.log(self.high - self.low)
