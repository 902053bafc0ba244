"""The LU family: linalg.lu_factor (LAPACK getrf's packed LU and 1-based pivots, by partial
pivoting on ``xp``: NumPy and CuPy have no getrf), linalg.lu_factor_ex, linalg.lu,
linalg.lu_solve, torch.lu, torch.lu_unpack and torch.lu_solve.  lu_factor's gradient (square
matrices) is PyTorch's; the others are compositions of it, of triangular solves and of
indexing, so their gradients come with them."""
import numpy as np

from ._deprecated import warn_once
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from .decompositions import _check_matrix, _factors, _failure, _return_type
from .legacy import solve_triangular

lu_factor_result = _return_type("linalg_lu_factor", ["LU", "pivots"])
lu_factor_ex_result = _return_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
lu_result = _return_type("linalg_lu", ["P", "L", "U"])
lu_unpack_result = _return_type("lu_unpack", ["P", "L", "U"])
lu_with_info_result = _return_type("_lu_with_info", ["LU", "pivots", "info"])


def _getrf(xp, a):
    """(LU, pivots (1-based, int32), info (int32)) of the batched (..., m, n) array ``a``:
    right-looking elimination with partial pivoting (the first largest |entry|, as idamax),
    as getrf; info is the 1-based column of the first exactly zero pivot, or 0."""
    lu = a.copy()
    m, n = lu.shape[-2:]
    k = min(m, n)
    batch = lu.shape[:-2]
    flat = lu.reshape((-1, m, n))
    rows = xp.arange(flat.shape[0])
    piv = xp.zeros((flat.shape[0], k), np.int32)
    info = xp.zeros(flat.shape[0], np.int32)
    for j in range(k):
        p = j + xp.abs(flat[:, j:, j]).argmax(-1)
        piv[:, j] = (p + 1).astype(np.int32)
        top, low = flat[rows, j, :].copy(), flat[rows, p, :].copy()
        flat[rows, p, :] = top
        flat[rows, j, :] = low
        d = flat[:, j, j]
        zero = d == 0
        info = xp.where(zero & (info == 0), j + 1, info).astype(np.int32)
        scale = xp.where(zero, 0, 1 / xp.where(zero, 1, d))
        flat[:, j + 1:, j] *= scale[:, None]
        flat[:, j + 1:, j + 1:] -= flat[:, j + 1:, j:j + 1] * flat[:, j:j + 1, j + 1:]
    return (flat.reshape(lu.shape), piv.reshape(batch + (k,)), info.reshape(batch))


def _permutation(xp, piv, m, dtype):
    """P (..., m, m) with A = P L U from getrf's 1-based pivots (..., k)."""
    batch, k = piv.shape[:-1], piv.shape[-1]
    flat = piv.reshape((-1, k)).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (flat.shape[0], m)).copy()
    rows = xp.arange(flat.shape[0])
    for j in range(k):
        a, b = perm[rows, j].copy(), perm[rows, flat[:, j]].copy()
        perm[rows, j] = b
        perm[rows, flat[:, j]] = a
    eye = xp.eye(m, dtype=dtype)
    # row i of P^T A is row perm[i] of A: P^T = eye[perm], P = its transpose
    return xp.swapaxes(eye[perm], -1, -2).reshape(batch + (m, m))


class LuFactor(ArrayFunction):
    node_name = "LinalgLuFactorExBackward0"

    @staticmethod
    def forward(ctx, A, pivot):
        xp = A._be.xp
        lu, piv, info = _getrf(xp, A._arr)
        ctx.save_for_backward(A, _wrap(lu, A._be), _wrap(piv, A._be))
        return lu, piv, info

    @staticmethod
    def backward(ctx, gLU, gpiv=None, ginfo=None):
        # under create_graph LU is recomputed as a tensor of the graph (double backward)
        LU, piv = _factors(ctx, lambda A: LuFactor.apply(A, True)[:2])
        m, n = LU.shape[-2:]
        if m != n:
            raise NotImplementedError("gradcore: lu_factor's gradient is for square matrices "
                                      "only")
        eye = LU.new_tensor(np.eye(n, dtype=np.dtype(LU._arr.dtype.name)))
        L = LU.tril(-1) + eye
        U = LU.triu()
        phi = (L.mH @ gLU.tril(-1)).tril(-1) + (gLU.triu() @ U.mH).triu()
        X = solve_triangular(L.mH, phi, upper=True, unitriangular=True)
        X = solve_triangular(U.mH, X, upper=False, left=False)
        P = _wrap(_permutation(LU._be.xp, piv._arr, n, LU._arr.dtype), LU._be)
        return P @ X


def _checked(name, A, pivot):
    if isinstance(A, Tensor) and A.dim() < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(A.shape)} instead")
    _check_matrix(name, A, square=False)
    if not pivot and A.device.type == "cpu":
        # PyTorch's lu, lu_factor and lu_factor_ex all name lu_factor here (one kernel)
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """lu_factor_ex(A, *, pivot=True, check_errors=False, out=None) -> (LU, pivots, info)

    lu_factor with getrf's info (the 1-based index of the first zero pivot, or 0) instead of
    an error (unless check_errors)."""
    _checked("linalg.lu_factor_ex", A, pivot)
    LU, piv, info = LuFactor.apply(A, pivot)
    if check_errors and bool((info._arr != 0).any()):
        raise RuntimeError(str(_failure("torch.linalg.lu_factor_ex", np.asarray(_host(A)),
                                        _first_zero_pivot, _zero_pivot_message)))
    return lu_factor_ex_result(LU, piv, info)


def _host(A):
    a = A._arr
    return a.get() if hasattr(a, "get") else a


def _first_zero_pivot(m):
    return int(_getrf(np, m[None])[2][0])


def _zero_pivot_message(i):
    return (f"U[{i},{i}] is zero and using it on lu_solve would result in a division by zero. "
            "If you still want to perform the factorization, consider calling "
            "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A, *, pivot=True):
    """lu_factor(A, *, pivot=True, out=None) -> (LU, pivots)

    A = P L U packed as LAPACK's getrf: LU holds L's strict lower part (its unit diagonal
    implied) and U; pivots are 1-based int32 row swaps.  LinAlgError for a singular square
    A.  Gradient: PyTorch's (square A)."""
    _checked("linalg.lu_factor", A, pivot)
    LU, piv, info = LuFactor.apply(A, pivot)
    if A.shape[-1] == A.shape[-2] and bool((info._arr != 0).any()):
        raise RuntimeError(str(_failure("torch.linalg.lu_factor", np.asarray(_host(A)),
                                        _first_zero_pivot, _zero_pivot_message)))
    return lu_factor_result(LU, piv)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None)

    (P, L, U) from lu_factor's packed LU and pivots (empty tensors for what is not
    unpacked).  Gradient: to LU_data, through the triangles."""
    if LU_pivots.dtype != _dtype.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                           "torch.int32 dtype.\nNote: this function is intended to be used "
                           "with the output produced by torch.linalg.lu_factor")
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    empty = LU_data.new_empty((0,))
    L = U = P = empty
    if unpack_data:
        eye = LU_data.new_tensor(np.eye(m, k, dtype=np.dtype(LU_data._arr.dtype.name)))
        L = LU_data[..., :, :k].tril(-1) + eye
        U = LU_data[..., :k, :].triu()
    if unpack_pivots:
        P = _wrap(_permutation(LU_data._be.xp, LU_pivots._arr, m, LU_data._arr.dtype),
                  LU_data._be)
    return lu_unpack_result(P, L, U)


def lu(A, *, pivot=True):
    """lu(A, *, pivot=True, out=None) -> (P, L, U)

    A = P L U with L unit lower-trapezoidal and U upper-trapezoidal (partial pivoting).
    Gradient: lu_factor's, through the unpacking."""
    _checked("linalg.lu", A, pivot)
    LU, piv, _ = LuFactor.apply(A, pivot)
    return lu_result(*lu_unpack(LU, piv))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None) -> Tensor

    X with A X = B (left=False: X A = B; adjoint: A^H instead of A) from lu_factor's output.
    Gradient: through the triangular solves, to LU and B."""
    P, L, U = lu_unpack(LU, pivots)
    if left and not adjoint:   # A X = B: L U X = P^T B
        return solve_triangular(U, solve_triangular(L, P.mT @ B, upper=False,
                                                    unitriangular=True), upper=True)
    if left:                   # A^H X = B: U^H L^H P^T X = B
        Y = solve_triangular(L.mH, solve_triangular(U.mH, B, upper=False), upper=True,
                             unitriangular=True)
        return P @ Y
    if not adjoint:            # X A = B: X P L U = B
        Y = solve_triangular(L, solve_triangular(U, B, upper=True, left=False), upper=False,
                             left=False, unitriangular=True)
        return Y @ P.mT
    # X A^H = B: X U^H L^H P^T = B
    Y = solve_triangular(U.mH, solve_triangular(L.mH, B @ P, upper=True, left=False,
                                                unitriangular=True), upper=False, left=False)
    return Y


# ---- torch.* forms ------------------------------------------------------------------------------

def torch_lu(A, pivot=True, get_infos=False):
    """lu(A, pivot=True, get_infos=False, out=None) -> (Tensor, Tensor[, Tensor])

    torch.lu / Tensor.lu: (LU, pivots), with getrf's infos too when get_infos (a singular A
    raises no error, as PyTorch's)."""
    warn_once("lu")
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    return lu_with_info_result(LU, piv, info) if get_infos else (LU, piv)


def torch_lu_solve(b, LU_data, LU_pivots):
    """lu_solve(b, LU_data, LU_pivots, *, out=None) -> Tensor

    torch.lu_solve (argument order of old): X with A X = b from torch.lu's output."""
    warn_once("lu_solve")
    return lu_solve(LU_data, LU_pivots, b)

