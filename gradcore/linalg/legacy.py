"""torch's legacy linear-algebra forms (torch.cholesky, torch.qr, torch.svd, torch.inverse,
torch.triangular_solve ...) and the small torch.linalg functions built from others
(solve_triangular, vecdot, vander, diagonal): compositions of the linalg functions, so their
gradients are those functions' gradients."""
import numpy as np

from ._deprecated import warn_once
from .._autocast import FP32, LOWER, autocast_op
from .. import _dtype
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import _wrap
from ..ops.join import cat
from .decompositions import Cholesky, _check_matrix, _return_type, cholesky as _cholesky, inv
from .decompositions import LinAlgError, _failure, _not_pd_minor, _zero_pivot, matrix_power, pinv
from .decompositions import qr as _qr, solve, svd as _svd, svdvals

qr_result = _return_type("qr", ["Q", "R"])
svd_result = _return_type("svd", ["U", "S", "V"])
eig_result = _return_type("linalg_eig", ["eigenvalues", "eigenvectors"])
cholesky_ex_result = _return_type("linalg_cholesky_ex", ["L", "info"])
inv_ex_result = _return_type("linalg_inv_ex", ["inverse", "info"])
triangular_solve_result = _return_type("triangular_solve", ["solution", "cloned_coefficient"])


def _triangle(A, upper, unitriangular):
    """A's upper (or lower) triangle; with ``unitriangular`` its diagonal taken as ones."""
    T = A.triu() if upper else A.tril()
    if unitriangular:
        d = T.diagonal(0, -2, -1)
        T = T - d.diag_embed() + (d * 0 + 1).diag_embed()
    return T


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None) -> Tensor

    X with A X = B (left=False: X A = B), reading only A's upper (upper=True) or lower
    triangle (and ones on its diagonal with unitriangular).  Gradient: solve's, masked to
    that triangle."""
    for arg in (A, B):
        if arg.dim() < 2:
            raise RuntimeError("linalg.solve_triangular: The input tensor "
                               f"{'A' if arg is A else 'B'} must have at least 2 dimensions.")
    n, (r, c) = A.shape[-1], B.shape[-2:]
    if A.shape[-2] != n or (r if left else c) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {eq} ({A.shape[-2]}x{n} and {r}x{c})")
    return solve(_triangle(A, upper, unitriangular), B, left=left)


@autocast_op(cpu=LOWER, cuda=LOWER)
def vecdot(x, y, *, dim=-1):
    """vecdot(x, y, *, dim=-1, out=None) -> Tensor

    The dot products of x's and y's vectors along dim (broadcasting): sum(x.conj() * y)."""
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {x.dtype.scalar_name} and y of type "
                           f"{y.dtype.scalar_name} instead")
    return (x.conj() * y).sum(dim)


def vander(x, *, N=None):
    """vander(x, *, N=None) -> Tensor

    The Vandermonde matrix of x's last dim: columns x**0, x**1, ..., x**(N-1) (N defaults to
    x.shape[-1]).  Gradient: through the running product."""
    if x.dim() < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    x = x if x.dtype != _dtype.bool else x.long()
    ones = x.unsqueeze(-1) * 0 + 1
    rest = x.unsqueeze(-1).expand(*x.shape, n - 1)
    return cat([ones, rest], -1).cumprod(-1)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """diagonal(A, *, offset=0, dim1=-2, dim2=-1) -> Tensor

    torch.diagonal with the matrices' last two dims as defaults (a view)."""
    return A.diagonal(offset, dim1, dim2)


def _complex_of(arr):
    return arr.astype(np.complex64 if arr.dtype in (np.float32, np.complex64) else np.complex128)


def _eig_checked(name, A):
    _check_matrix(name, A, floating=False)
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"Unknown Complex ScalarType for {A.dtype.scalar_name}")
    if A.dtype in (_dtype.float16, _dtype.bfloat16):
        raise NotImplementedError(f'"linalg_eig_out_{A.device.type}" not implemented for '
                                  f"'{A.dtype.scalar_name}'")
    if A.requires_grad and is_grad_enabled():
        raise RuntimeError(f"gradcore's autograd does not support complex tensors yet ({name} "
                           f"of a tensor that requires grad): call it on A.detach()")
    return A._be.xp


@autocast_op(cpu=FP32)
def eig(A):
    """eig(A, *, out=None) -> (Tensor, Tensor)

    (eigenvalues, eigenvectors), complex, of the square matrices A (LAPACK geev's order and
    unit-norm eigenvectors, as PyTorch's); forward only (autograd refuses complex)."""
    xp = _eig_checked("linalg.eig", A)
    w, v = xp.linalg.eig(A._arr)
    return eig_result(_wrap(_complex_of(w), A._be), _wrap(_complex_of(v), A._be))


@autocast_op(cpu=FP32)
def eigvals(A):
    """eigvals(A, *, out=None) -> Tensor

    The complex eigenvalues of the square matrices A (eig's); forward only."""
    xp = _eig_checked("linalg.eigvals", A)
    return _wrap(_complex_of(xp.linalg.eigvals(A._arr)), A._be)


def _ex(name, A, compute, info_of, message, check_errors):
    """(compute(A), info) of a linalg *_ex function: info per matrix (0: success; else
    LAPACK's ``info_of(matrix)``); with check_errors the LinAlgError its plain form raises.
    The result of a failed matrix is NaN (PyTorch leaves LAPACK's partial result there)."""
    _check_matrix(name, A)
    batch = tuple(A.shape[:-2])
    try:
        return compute(A), A.new_zeros(batch, dtype=_dtype.int32)
    except LinAlgError:
        host = A._arr.get() if hasattr(A._arr, "get") else np.asarray(A._arr)
        if check_errors:
            raise _failure(name, host, info_of, message) from None
    infos = np.array([info_of(m) for m in host.reshape((-1,) + host.shape[-2:])], np.int32)
    bad = A.new_tensor(infos.reshape(batch) != 0, dtype=_dtype.bool)
    mask = bad.reshape(batch + (1, 1))
    eye = A.new_tensor(np.eye(A.shape[-1], dtype=host.dtype))
    res = compute(A.masked_fill(mask, 0) + eye * mask)  # the failed matrices as the identity
    return (res.masked_fill(mask, float("nan")),
            A.new_tensor(infos.reshape(batch), dtype=_dtype.int32))


@autocast_op(cpu=FP32)
def cholesky_ex(A, *, upper=False, check_errors=False):
    """cholesky_ex(A, *, upper=False, check_errors=False, out=None) -> (L, info)

    linalg.cholesky with LAPACK's info (the order of the first leading minor that is not
    positive-definite, or 0) instead of an error (unless check_errors); a failed matrix's L
    is NaN.  Gradient: cholesky's."""
    L, info = _ex("linalg.cholesky_ex", A, lambda M: _cholesky(M, upper=upper), _not_pd_minor,
                  lambda k: "The factorization could not be completed because the input is "
                  f"not positive-definite (the leading minor of order {k} is not "
                  "positive-definite).", check_errors)
    return cholesky_ex_result(L, info)


@autocast_op(cpu=FP32)
def inv_ex(A, *, check_errors=False):
    """inv_ex(A, *, check_errors=False, out=None) -> (inverse, info)

    linalg.inv with LAPACK's info (the first exactly zero pivot of A's LU, or 0) instead of an
    error (unless check_errors); a singular matrix's inverse is NaN.  Gradient: inv's."""
    X, info = _ex("linalg.inv_ex", A, inv, _zero_pivot,
                  lambda i: f"The diagonal element {i} is zero, the inversion could not be "
                  "completed because the input matrix is singular.", check_errors)
    return inv_ex_result(X, info)


# ---- torch.* legacy forms ---------------------------------------------------------------------

@autocast_op(cpu=FP32)
def cholesky(input, upper=False):
    """cholesky(input, upper=False, *, out=None) -> Tensor

    torch.linalg.cholesky under its legacy name and argument (its errors say "cholesky:", as
    PyTorch's); deprecated: PyTorch's UserWarning once per process."""
    warn_once("cholesky")
    _check_matrix("cholesky", input, floating=False)
    if not _dtype.is_floating(input._arr.dtype):
        raise NotImplementedError(f'"cholesky_cpu" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    return Cholesky.apply(input, upper, "cholesky")


def _factor(L, upper):
    """L's lower (upper) triangle, the only part LAPACK reads, as the value; its gradient
    passes to all of L unmasked, as PyTorch's cholesky_solve/cholesky_inverse formulas do."""
    T = L.triu() if upper else L.tril()
    rest = L - T
    return T + (rest - rest.detach())


def _gram(L, upper):
    return L.mH.matmul(L) if upper else L.matmul(L.mH)


def cholesky_solve(input, input2, upper=False):
    """cholesky_solve(B, L, upper=False, *, out=None) -> Tensor

    X with A X = B for A = L L^H (upper=True: A = U^H U) given its Cholesky factor (only
    its triangle is read).  Gradient: PyTorch's formulas (unmasked for L)."""
    if input.dim() < 2 or input2.dim() < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.dim()} "
                           f"dimensions instead" if input.dim() < 2 else
                           f"u should have at least 2 dimensions, but has {input2.dim()} "
                           f"dimensions instead")
    return solve(_gram(_factor(input2, upper), upper), input)


def cholesky_inverse(input, upper=False):
    """cholesky_inverse(L, upper=False, *, out=None) -> Tensor

    The inverse of A = L L^H (upper=True: U^H U) from its triangular factor (only its
    triangle is read).  Gradient: PyTorch's formula (unmasked)."""
    if input.dim() < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 "
                           "dimensions.")
    return inv(_gram(_factor(input, upper), upper))


@autocast_op(cpu=FP32)
def inverse(input):
    """inverse(input, *, out=None) -> Tensor

    torch.linalg.inv under its legacy name."""
    return inv(input)


def pinverse(input, rcond=1e-15):
    """pinverse(input, rcond=1e-15) -> Tensor

    torch.linalg.pinv with relative tolerance rcond (and no absolute one)."""
    return pinv(input, atol=0.0, rtol=rcond)


@autocast_op(cpu=FP32)
def qr(input, some=True):
    """qr(input, some=True, *, out=None) -> (Tensor, Tensor)

    (Q, R), torch.return_types.qr: linalg.qr with mode 'reduced' (some=True) or 'complete';
    deprecated: PyTorch's UserWarning once per process."""
    warn_once("qr")
    return qr_result(*_qr(input, "reduced" if some else "complete"))


@autocast_op(cpu=FP32)
def svd(input, some=True, compute_uv=True):
    """svd(input, some=True, compute_uv=True, *, out=None) -> (Tensor, Tensor, Tensor)

    (U, S, V), torch.return_types.svd: input = U diag(S) V^H (V, not linalg.svd's Vh);
    some=False gives square U and V; compute_uv=False gives S and zero-filled U (m, m) and
    V (n, n)."""
    if input.dim() < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input.dim()} dimensions instead")
    if not compute_uv:
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        S = svdvals(input)
        return svd_result(input.new_zeros(batch + (m, m)), S, input.new_zeros(batch + (n, n)))
    U, S, Vh = _svd(input, full_matrices=not some)
    return svd_result(U, S, Vh.mH)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None)

    (solution, cloned_coefficient), torch.return_types.triangular_solve: X with
    op(A) X = b, op(A) = A or A^T, reading A's upper (or lower) triangle; and a copy of A."""
    for name, arg in (("b", input), ("A", A)):
        if arg.dim() < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {name} to have at least 2 "
                               f"dimensions, but it has {arg.dim()} dimensions instead")
    T = _triangle(A, upper, unitriangular)
    X = solve(T.mT if transpose else T, input)
    return triangular_solve_result(X, A.clone())


def matrix_rank(*args, **kwargs):
    """matrix_rank(...) -> Tensor

    Removed from PyTorch (1.9): raises its RuntimeError, pointing at linalg.matrix_rank."""
    raise RuntimeError("This function was deprecated since version 1.9 and is now removed.\n"
                       "Please use the `torch.linalg.matrix_rank` function instead. The "
                       "parameter 'symmetric' was renamed in `torch.linalg.matrix_rank()` to "
                       "'hermitian'.")


# torch.<name> and Tensor.<name> (gradcore/linalg/__init__ adds them to TORCH_FUNCTIONS)
TORCH_FUNCTIONS = {"cholesky": cholesky, "cholesky_solve": cholesky_solve,
                   "cholesky_inverse": cholesky_inverse, "inverse": inverse,
                   "pinverse": pinverse, "qr": qr, "svd": svd,
                   "triangular_solve": triangular_solve, "matrix_power": matrix_power}
TOP_ONLY = {"matrix_rank": matrix_rank}  # torch.<name> only, no Tensor method
LINALG = {"solve_triangular": solve_triangular, "vecdot": vecdot, "vander": vander,
          "diagonal": diagonal, "eig": eig, "eigvals": eigvals,
          "cholesky_ex": cholesky_ex, "inv_ex": inv_ex}
