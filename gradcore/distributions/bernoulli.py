"""The Bernoulli distribution."""
import numbers

from ._namespace import G as gradcore
from ..nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Bernoulli"]


class Bernoulli(Distribution):
    """Bernoulli(probs=None, logits=None, validate_args=None)

    0/1 draws that are 1 with probability ``probs`` (or sigmoid(``logits``)); give exactly one
    of the two."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        is_scalar = isinstance(given, numbers.Number)
        param, = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        super().__init__(gradcore.Size() if is_scalar else param.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Bernoulli

        This distribution with its parameter broadcast to ``batch_shape``."""
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = gradcore.Size(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self):
        """The shape of the parameter."""
        return self._param.size()

    @lazy_property
    def logits(self):
        """log(probs / (1 - probs)), made from probs on first use."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        """sigmoid(logits), made from logits on first use."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self):
        """probs."""
        return self.probs

    @property
    def mode(self):
        """1 where probs >= 0.5 (nan where probs == 0.5, as PyTorch), else 0."""
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    @property
    def variance(self):
        """probs * (1 - probs)."""
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=gradcore.Size()):
        """sample(sample_shape=Size([])) -> Tensor

        0/1 draws of shape sample_shape + batch_shape (probs' dtype)."""
        shape = self._extended_shape(sample_shape)
        with gradcore.no_grad():
            return gradcore.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        -binary_cross_entropy_with_logits(logits, value)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        """entropy() -> Tensor

        binary_cross_entropy_with_logits(logits, probs)."""
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        """enumerate_support(expand=True) -> Tensor

        The values 0 and 1 along a new first dim (expanded over batch_shape)."""
        values = gradcore.arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
