"""The Distribution base class: shapes, argument and sample validation, sample/rsample."""
from ._namespace import G as gradcore

from . import constraints
from .utils import lazy_property

__all__ = ["Distribution"]


class Distribution:
    """Distribution(batch_shape=Size([]), event_shape=Size([]), validate_args=None)

    The base of every distribution: ``batch_shape`` (independent draws of different
    parameters), ``event_shape`` (one draw's shape), ``sample`` (no gradient), ``rsample``
    (reparameterised, differentiable; where ``has_rsample``), ``log_prob``, ``entropy``,
    ``mean``, ``variance``, ``stddev``.  With ``validate_args`` (the default, as in PyTorch
    under ``__debug__``) parameters and log_prob's values are checked against
    ``arg_constraints`` and ``support``."""
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        """set_default_validate_args(value) -> None

        Turn argument validation on or off for distributions made afterwards."""
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=gradcore.Size(), event_shape=gradcore.Size(),
                 validate_args=None):
        self._batch_shape = gradcore.Size(batch_shape)
        self._event_shape = gradcore.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if constraint is constraints.dependent:
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param),
                                                             lazy_property):
                    continue  # made lazily from a checked parameter
                value = getattr(self, param)
                if not bool(constraint.check(value).all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self):
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of a single sample (without batching)."""
        return self._event_shape

    arg_constraints = {}
    support = None

    @property
    def mean(self):
        """The mean of the distribution."""
        raise NotImplementedError

    @property
    def mode(self):
        """The mode of the distribution."""
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self):
        """The variance of the distribution."""
        raise NotImplementedError

    @property
    def stddev(self):
        """The standard deviation: variance.sqrt()."""
        return self.variance.sqrt()

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Distribution

        The distribution with its parameters broadcast to ``batch_shape``."""
        raise NotImplementedError

    def sample(self, sample_shape=gradcore.Size()):
        """sample(sample_shape=Size([])) -> Tensor

        ``sample_shape`` batches of samples, without gradient."""
        with gradcore.no_grad():
            return self.rsample(sample_shape)

    def sample_n(self, n):
        """sample_n(n) -> Tensor

        n samples (sample((n,)))."""
        return self.sample(gradcore.Size((n,)))

    def rsample(self, sample_shape=gradcore.Size()):
        """rsample(sample_shape=Size([])) -> Tensor

        Reparameterised samples: differentiable with respect to the parameters."""
        raise NotImplementedError

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        The log of the probability density (or mass) at ``value``."""
        raise NotImplementedError

    def cdf(self, value):
        """cdf(value) -> Tensor

        The cumulative distribution function at ``value``."""
        raise NotImplementedError

    def icdf(self, value):
        """icdf(value) -> Tensor

        The inverse cumulative distribution function at ``value``."""
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        """enumerate_support(expand=True) -> Tensor

        Every value of a discrete support, along a new first dim."""
        raise NotImplementedError

    def entropy(self):
        """entropy() -> Tensor

        The entropy, over batch_shape."""
        raise NotImplementedError

    def perplexity(self):
        """perplexity() -> Tensor

        exp(entropy())."""
        return gradcore.exp(self.entropy())

    def _extended_shape(self, sample_shape=gradcore.Size()):
        return gradcore.Size(tuple(sample_shape) + tuple(self._batch_shape)
                             + tuple(self._event_shape))

    def _validate_sample(self, value):
        if not isinstance(value, gradcore.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = len(value.shape) - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.shape} vs {self._event_shape}.")
        actual = value.shape
        expected = gradcore.Size(tuple(self._batch_shape) + tuple(self._event_shape))
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual} vs {expected}.")
        support = self.support
        if support is not None and not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}")

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {type(self).__name__} of {cls.__name__} that "
                                      "defines a custom __init__ method must also define a "
                                      "custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}"  # noqa: E501
                         for p in names)
        return f"{type(self).__name__}({args})"
