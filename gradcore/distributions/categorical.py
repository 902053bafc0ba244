"""The categorical distribution."""
from ._namespace import G as gradcore

from . import constraints
from .distribution import Distribution
from .utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """Categorical(probs=None, logits=None, validate_args=None)

    Draws of a category index 0 .. K - 1 with the weights ``probs`` (non-negative, normalised
    over the last dim) or ``logits`` (unnormalised log weights) -- exactly one of the two; the
    leading dims are batch dims."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch = self._param.size()[:-1] if self._param.dim() > 1 else gradcore.Size()
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Categorical

        This distribution with its parameter broadcast to ``batch_shape``."""
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = gradcore.Size(batch_shape)
        shape = batch_shape + gradcore.Size((self._num_events,))
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(shape)
            new._param = new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def support(self):
        """integer_interval(0, K - 1)."""
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        """log(probs), made from probs on first use."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        """softmax(logits), made from logits on first use."""
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        """The shape of the parameter (batch_shape + (K,))."""
        return self._param.size()

    @property
    def mean(self):
        """nan (a category has no mean), over batch_shape."""
        return gradcore.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype,
                             device=self.probs.device)

    @property
    def mode(self):
        """The most likely category."""
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        """nan, over batch_shape."""
        return self.mean

    def sample(self, sample_shape=gradcore.Size()):
        """sample(sample_shape=Size([])) -> LongTensor

        Category indices of shape sample_shape + batch_shape."""
        sample_shape = gradcore.Size(sample_shape)
        probs_2d = self.probs.reshape(-1, self._num_events)
        with gradcore.no_grad():
            samples_2d = gradcore.multinomial(probs_2d, sample_shape.numel(), True).T
        return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        logits (normalised) at the category ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = gradcore.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        """entropy() -> Tensor

        -sum(probs * logits) over the categories (logits clamped at the dtype's min)."""
        min_real = gradcore.finfo(self.logits.dtype).min
        logits = gradcore.clamp(self.logits, min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        """enumerate_support(expand=True) -> LongTensor

        0 .. K - 1 along a new first dim (expanded over batch_shape)."""
        values = gradcore.arange(self._num_events, dtype=gradcore.long,
                                 device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
