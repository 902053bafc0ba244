"""The beta distribution: the first coordinate of a Dirichlet of [concentration1,
concentration0], as PyTorch's."""
import numbers

from ._namespace import G as gradcore

from . import constraints
from .dirichlet import Dirichlet
from .distribution import Distribution
from .kl import register_kl
from .utils import broadcast_all

__all__ = ["Beta"]


class Beta(Distribution):
    """Beta(concentration1, concentration0, validate_args=None)

    The beta distribution on [0, 1] of concentrations alpha = ``concentration1`` and beta =
    ``concentration0`` (tensors or numbers, broadcast).  rsample is the first coordinate of
    Dirichlet([alpha, beta]).rsample(): differentiable in both."""
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, numbers.Number) and isinstance(concentration0,
                                                                     numbers.Number):
            both = gradcore.tensor([float(concentration1), float(concentration0)])
        else:
            c1, c0 = broadcast_all(concentration1, concentration0)
            both = gradcore.stack([c1, c0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> Beta

        This distribution with its concentrations broadcast to ``batch_shape``."""
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = gradcore.Size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self):
        """alpha: the Dirichlet's first concentration."""
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        """beta: the Dirichlet's second concentration."""
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        """alpha / (alpha + beta)."""
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        """The Dirichlet's mode's first coordinate."""
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        """alpha beta / ((alpha + beta)**2 (alpha + beta + 1))."""
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        """rsample(sample_shape=()) -> Tensor

        The Dirichlet sample's first coordinate."""
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        The Dirichlet's log_prob of [value, 1 - value]."""
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(gradcore.stack([value, 1.0 - value], -1))

    def entropy(self):
        """entropy() -> Tensor

        The Dirichlet's entropy."""
        return self._dirichlet.entropy()


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sp = p.concentration1 + p.concentration0
    sq = q.concentration1 + q.concentration0
    t1 = q.concentration1.lgamma() + q.concentration0.lgamma() + sp.lgamma()
    t2 = p.concentration1.lgamma() + p.concentration0.lgamma() + sq.lgamma()
    t3 = (p.concentration1 - q.concentration1) * gradcore.digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * gradcore.digamma(p.concentration0)
    t5 = (sq - sp) * gradcore.digamma(sp)
    return t1 - t2 + t3 + t4 + t5
