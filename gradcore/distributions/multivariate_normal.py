"""The multivariate normal distribution."""
import math

from . import constraints
from ._namespace import G as gradcore
from .distribution import Distribution
from .utils import lazy_property
from ..linalg import cholesky, inv, solve

__all__ = ["MultivariateNormal"]


def _broadcast_shape(*shapes):
    out = []
    for dims in zip(*(((1,) * (max(map(len, shapes)) - len(s)) + tuple(s)) for s in shapes)):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ValueError("Incompatible batch shapes: " + ", ".join(map(str, shapes)))
        out.append(sizes.pop() if sizes else 1)
    return gradcore.Size(out)


def _solve_lower(L, b):
    """L^-1 b for a lower-triangular L: only L's lower triangle is read, so no gradient
    reaches its upper one (PyTorch's solve_triangular)."""
    return solve(L.tril(), b)


def _mahalanobis(L, diff):
    """|L^-1 diff|**2 over the last dim, L broadcast against diff's batch dims."""
    batch = _broadcast_shape(L.shape[:-2], diff.shape[:-1])
    n = diff.shape[-1]
    z = _solve_lower(L.expand(batch + (n, n)),
                     diff.expand(batch + (n,)).unsqueeze(-1)).squeeze(-1)
    return (z * z).sum(-1)


def _half_log_det(L):
    return L.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class MultivariateNormal(Distribution):
    """MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
        validate_args=None)

    The normal distribution over vectors of mean ``loc`` and covariance given by exactly one
    of ``covariance_matrix``, ``precision_matrix`` or its lower Cholesky factor
    ``scale_tril``; rsample is loc + scale_tril @ eps."""
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (
                precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        given = next(m for m in (scale_tril, covariance_matrix, precision_matrix)
                     if m is not None)
        if given.dim() < 2:
            which = ("scale_tril" if scale_tril is not None else "covariance_matrix"
                     if covariance_matrix is not None else "precision_matrix")
            raise ValueError(f"{which} must be at least two-dimensional, with optional "
                             "leading batch dimensions" if which != "scale_tril" else
                             "scale_tril matrix must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        batch = _broadcast_shape(given.shape[:-2], loc.shape[:-1])
        n = loc.shape[-1]
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(batch + (n, n))
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(batch + (n, n))
        else:
            self.precision_matrix = precision_matrix.expand(batch + (n, n))
        self.loc = loc.expand(batch + (n,))
        super().__init__(batch, gradcore.Size((n,)), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = cholesky(inv(precision_matrix))

    def expand(self, batch_shape, _instance=None):
        """expand(batch_shape) -> MultivariateNormal

        This distribution with loc and the matrix broadcast to ``batch_shape``."""
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = gradcore.Size(batch_shape)
        n = self.event_shape[0]
        new.loc = self.loc.expand(batch_shape + (n,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(batch_shape + (n, n)))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        """The lower Cholesky factor of the covariance."""
        n = self.event_shape[0]
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + (n, n))

    @lazy_property
    def covariance_matrix(self):
        """scale_tril @ scale_tril.mT."""
        L = self._unbroadcasted_scale_tril
        n = self.event_shape[0]
        return (L @ L.mT).expand(self._batch_shape + (n, n))

    @lazy_property
    def precision_matrix(self):
        """The inverse of the covariance."""
        return inv(self.covariance_matrix)

    @property
    def mean(self):
        """loc."""
        return self.loc

    @property
    def mode(self):
        """loc."""
        return self.loc

    @property
    def variance(self):
        """The covariance's diagonal."""
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=gradcore.Size()):
        """rsample(sample_shape=Size([])) -> Tensor

        loc + scale_tril @ eps, eps standard normal: differentiable in loc and the matrix."""
        shape = self._extended_shape(sample_shape)
        eps = gradcore.randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        """log_prob(value) -> Tensor

        -(n log(2 pi) + |L^-1 (value - loc)|**2) / 2 - log det L."""
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _mahalanobis(self._unbroadcasted_scale_tril, diff)
        return (-0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M)
                - _half_log_det(self._unbroadcasted_scale_tril))

    def entropy(self):
        """entropy() -> Tensor

        n (1 + log(2 pi)) / 2 + log det L."""
        H = (0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi))
             + _half_log_det(self._unbroadcasted_scale_tril))
        return H.expand(self._batch_shape) if self._batch_shape else H
