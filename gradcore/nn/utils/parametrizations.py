"""Parametrizations built on nn.utils.parametrize (torch.nn.utils.parametrizations):
orthogonal (matrix_exp, cayley or householder maps, with the buffer
``parametrizations.weight.0.base`` under the dynamic trivialization), weight_norm
(``parametrizations.weight.original0`` = g, ``original1`` = v) and spectral_norm (buffers
``parametrizations.weight.0._u`` / ``_v``)."""
from ..._info import finfo
from ...autograd.grad_mode import no_grad
from ...linalg import householder_product, matrix_exp, solve
from ...linalg.matrix_functions import _geqrf
from ...ops import factories
from ...ops.join import cat
from ...tensor import Tensor
from ..module import Module
from . import parametrize
from .spectral_norm import _TRANSPOSED, _normalize
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "weight_norm", "spectral_norm"]


def _mH(X):
    return X.mT.conj() if X.is_complex() else X.mT


def _is_orthogonal(Q):
    k = Q.size(-1)
    eye = factories.eye(k, dtype=Q.dtype, device=Q.device)
    return bool((_mH(Q) @ Q).allclose(eye, atol=10.0 * Q.size(-2) * finfo(Q.dtype).eps))


def _make_orthogonal(A):
    """The Q of A = QR (A tall) with R's diagonal made non-negative: geqrf's reflectors, their
    product, and the signs of R's diagonal (as PyTorch computes it)."""
    X, tau = _geqrf(A)
    Q = householder_product(X, tau)
    return Q * X.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


class _Orthogonal(Module):
    """An orthogonal (columns, or rows when wide) matrix from an unconstrained one: the
    matrix_exp or Cayley map of the skew-symmetric ``tril(X) - tril(X)^T``, or a product of
    Householder reflectors (X below its diagonal); times the buffer ``base`` with
    ``use_trivialization``."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == "householder":
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros((n, n - k)).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - _mH(X)
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)
            else:
                eye = factories.eye(n, dtype=A.dtype, device=A.device)
                Q = solve(eye.add(A, alpha=-0.5), eye.add(A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        """The original for the orthogonal ``Q``: with the trivialization, ``base`` becomes
        Q (orthogonalized by QR if it is not orthogonal; a wide/tall one completed with
        random columns) and the original minus the identity; without it (householder
        only), geqrf's reflectors with the signs of R on the diagonal."""
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape "
                                 f"{self.shape}. Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in ("cayley", "matrix_exp"):
                    raise NotImplementedError("It is not possible to assign to the matrix "
                                              "exponential or the Cayley parametrizations when "
                                              "use_trivialization=False.")
                A, tau = _geqrf(Q)
                signs = A.diagonal(dim1=-2, dim2=-1).sign()
                signs = signs.where(tau != 0.0, -signs)
                eye = factories.eye(n, k, dtype=A.dtype, device=A.device)
                A = A * (1 - eye) + eye * signs.unsqueeze(-2)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = factories.randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype,
                                    device=Q.device)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            return -factories.eye(*Q_init.shape[-2:], dtype=Q_init.dtype,
                                  device=Q_init.device).expand(*Q_init.shape).clone()


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """orthogonal(module, name='weight', orthogonal_map=None, *, use_trivialization=True) -> Module

    Reparametrize the matrix (or batch of matrices) ``module.<name>`` as an orthogonal one:
    orthonormal columns when tall, rows when wide.  ``orthogonal_map``: ``"matrix_exp"`` or
    ``"cayley"`` (of a skew-symmetric matrix) or ``"householder"`` (a product of reflectors);
    default matrix_exp for a square or complex matrix, else householder.  With
    ``use_trivialization`` the buffer ``parametrizations.<name>.0.base`` holds the starting
    orthogonal matrix (the weight itself when orthogonal, else its QR's Q), the parametrized
    weight is ``base @ map(original)`` and ``original`` starts at minus the identity.

    Example:
        >>> m = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3))
        >>> bool(torch.allclose(m.weight @ m.weight.T, torch.eye(3), atol=1e-6))
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.size(-2) == weight.size(-1)
                          or weight.is_complex() else "householder")
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    """``weight_g * weight_v / ||weight_v||`` (norm over every dim but ``dim``)."""

    def __init__(self, dim=0):
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        """(g, v) = (norm_except_dim(weight), weight)."""
        return _norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """weight_norm(module, name='weight', dim=0) -> Module

    Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norm over every dim but ``dim``;
    None: the whole tensor) with nn.utils.parametrize: ``g`` is
    ``module.parametrizations.<name>.original0``, ``v`` ``original1``.  Loading a state_dict of
    the old :func:`nn.utils.weight_norm` (``<name>_g``, ``<name>_v``) works."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs):
        g_key = f"{prefix}{name}_g"
        v_key = f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0 = state_dict.pop(g_key)
            original1 = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    """``weight / sigma``, sigma by power iteration on the buffers ``_u`` and ``_v`` (15 steps
    at creation, ``n_power_iterations`` per call in training mode)."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", _normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", _normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if weight.ndim <= 1:
            raise AssertionError(f"Expected weight to have more than 1 dimension, got "
                                 f"{weight.ndim}")
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(_normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(_normalize(weight_mat.t().conj().mv(self._u), dim=0,
                                         eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return _normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.conj().dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        """The identity (the original is stored as given)."""
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """spectral_norm(module, name='weight', n_power_iterations=1, eps=1e-12, dim=None) -> Module

    Reparametrize ``module.<name>`` as ``original / sigma`` with nn.utils.parametrize, sigma its
    largest singular value (as a matrix with ``dim`` first; default 1 for ConvTranspose, else
    0), estimated by power iteration in training mode."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if any(c.__name__ in _TRANSPOSED for c in type(module).__mro__) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
