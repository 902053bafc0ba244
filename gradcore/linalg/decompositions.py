"""Solves, inverses, determinants and factorizations, batched over leading dims, on ``xp.linalg``
(NumPy's LAPACK; CuPy's cuSOLVER has each function used here, batched), with PyTorch's
gradients written in Tensor ops (so double backward works).

LAPACK's failures (a singular matrix, one not positive-definite) raise NumPy's LinAlgError for
the whole batch; cuSOLVER reports none (it leaves inf / nan in the result, checked here with one
device sync).  The message -- which batch element, which pivot or leading minor -- is then found
on a host copy, as PyTorch words it.
"""
import collections

import numpy as np

from .._autocast import FP32, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor, _wrap
from ..ops import elementwise as _ew
from ..ops.join import cat
from ..ops.shape import broadcast_shapes, sum_to


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (singular, not positive-definite...): a
    RuntimeError, as torch.linalg.LinAlgError."""


def _return_type(name, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "gradcore.return_types"
    cls.__repr__ = lambda self: (f"gradcore.return_types.{name}(\n" + ",\n".join(
        f"{f}={v!r}" for f, v in zip(fields, self)) + ")")
    return cls


slogdet_result = _return_type("linalg_slogdet", ["sign", "logabsdet"])
torch_slogdet_result = _return_type("slogdet", ["sign", "logabsdet"])
qr_result = _return_type("linalg_qr", ["Q", "R"])
eigh_result = _return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
svd_result = _return_type("linalg_svd", ["U", "S", "Vh"])
lstsq_result = _return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


# ---- checks and failures, worded as PyTorch's -------------------------------------------------

def _check_matrix(name, A, square=True, floating=True):
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_{name.split('.')[-1]}(): argument 'A' (position 1) must be "
                        f"Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if floating and not _dtype.is_floating(A._arr.dtype):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype.scalar_name}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


_LOW_PRECISION = ("Half", "BFloat16")


def _refuse_low_precision(name, A):
    """PyTorch's errors for float16 / bfloat16 (no LAPACK for them): det's LU kernel is not
    implemented, slogdet and logdet refuse low precision dtypes."""
    scalar = A.dtype.scalar_name
    if scalar not in _LOW_PRECISION:
        return
    if name == "linalg.det":
        raise NotImplementedError(f"\"lu_{A.device.type}\" not implemented for '{scalar}'")
    raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {scalar}")


def _zero_pivot(m):
    """LAPACK getrf's info: the 1-based index of the first exactly zero pivot of m's LU with
    partial pivoting, or 0 (runs on a failure's host copy only)."""
    a = np.array(m, dtype=np.float64)
    for j in range(a.shape[0]):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        a[[j, p]] = a[[p, j]]
        a[j + 1:, j:] -= np.outer(a[j + 1:, j] / a[j, j], a[j, j:])
    return 0


def _not_pd_minor(m):
    """The order of m's first leading minor that is not positive-definite, or 0."""
    for k in range(1, m.shape[0] + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def _failure(name, a, info, message):
    """The LinAlgError for the first batch element of host array ``a`` where ``info(m)`` is
    nonzero: ``message(info)`` prefixed by the batch element when ``a`` is batched."""
    mats = a.reshape((-1,) + a.shape[-2:])
    for b, m in enumerate(mats):
        i = info(m)
        if i:
            where = f"(Batch element {b}): " if a.ndim > 2 else ""
            return LinAlgError(f"{name}: {where}{message(i)}")
    return LinAlgError(f"{name}: The algorithm failed.")


def _lapack(A, fn, describe):
    """``fn(A's array)``, with LAPACK's (or cuSOLVER's silent) failure raised by
    ``describe(host array)`` -> LinAlgError."""
    xp, a = A._be.xp, A._arr
    try:
        out = fn(xp, a)
    except np.linalg.LinAlgError:
        raise describe(np.asarray(a)) from None
    if xp is not np and a.size:
        first = out[0] if isinstance(out, tuple) else out
        if not bool(xp.isfinite(first).all()):  # cuSOLVER: inf / nan, no error
            raise describe(a.get())
    return out


def _singular(name):
    return lambda a: _failure(name, a, _zero_pivot, lambda i: (
        f"The diagonal element {i} is zero, the inversion could not be completed because the "
        "input matrix is singular."))


def _solver_singular(a):
    return _failure("torch.linalg.solve", a, _zero_pivot,
                    lambda i: "The solver failed because the input matrix is singular.")


def _not_pd(a, name="linalg.cholesky"):
    return _failure(name, a, _not_pd_minor, lambda k: (
        "The factorization could not be completed because the input is not positive-definite "
        f"(the leading minor of order {k} is not positive-definite)."))


def _t(x):
    return x.mT


def _factors(ctx, recompute):
    """A factorization's saved outputs (saved after its input); under create_graph they are
    recomputed by ``recompute(input)`` as Tensors of the graph, so the backward is
    differentiable (a node with several outputs saves none of them as graph outputs)."""
    A, *saved = ctx.saved_tensors
    return tuple(recompute(A)) if is_grad_enabled() else saved


# ---- inv, solve, det, slogdet -------------------------------------------------------------------

class Inv(ArrayFunction):
    node_name = "LinalgInvExBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A):
        return _lapack(A, lambda xp, a: xp.linalg.inv(a), _singular("linalg.inv"))

    @staticmethod
    def backward(ctx, g):
        Y, = ctx.saved_tensors
        return -(_t(Y) @ g @ _t(Y))


@autocast_op(cpu=FP32)
def inv(A):
    """inv(A, *, out=None) -> Tensor

    The inverse of each square matrix of A (..., n, n); LinAlgError when one is singular.
    Gradient: -A^-T g A^-T."""
    _check_matrix("linalg.inv", A)
    return Inv.apply(A)


def _is_vector_rhs(A, B):
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


class Solve(ArrayFunction):
    node_name = "LinalgSolveExBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A, B, vector, left):
        ctx.save_for_backward(A)
        ctx.shapes, ctx.vector, ctx.left = (A._arr.shape, B._arr.shape), vector, left
        xp = A._be.xp
        a, b = (A._arr, B._arr) if left else (A._arr.swapaxes(-1, -2), B._arr.swapaxes(-1, -2))
        b = b[..., None] if vector else b
        batch = broadcast_shapes(A._arr.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, batch + a.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        x = _lapack(_wrap(a, A._be), lambda xp, a: xp.linalg.solve(a, b), _solver_singular)
        return x[..., 0] if vector else x if left else x.swapaxes(-1, -2)

    @staticmethod
    def backward(ctx, g):
        """A X = B: gB = A^-T g, gA = -gB X^T; X A = B is that for A^T, B^T, X^T."""
        A, X = ctx.saved_tensors
        if not ctx.left:
            A, X, g = _t(A), _t(X), _t(g)
        gB = solve(_t(A), g)
        need_a, need_b = ctx.needs_input_grad
        gA = None
        if need_a:
            gA = -(gB.unsqueeze(-1) * X.unsqueeze(-2) if ctx.vector else gB @ _t(X))
            gA = sum_to(gA if ctx.left else _t(gA), ctx.shapes[0])
        gB = gB if ctx.left else _t(gB)
        return gA, sum_to(gB, ctx.shapes[1]) if need_b else None


@autocast_op(cpu=FP32)
def solve(A, B, *, left=True):
    """solve(A, B, *, left=True, out=None) -> Tensor

    X with A X = B (left=False: X A = B) for square A (..., n, n) and B (..., n, k) or a
    vector (..., n), batch dims broadcast; LinAlgError when A is singular. Gradient:
    gB = A^-T g, gA = -gB X^T."""
    _check_matrix("linalg.solve", A)
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype.scalar_name} and B of type "
                           f"{B.dtype.scalar_name} instead")
    vector = left and _is_vector_rhs(A, B)
    rows = B.shape[-1] if vector or not left else B.shape[-2]
    if rows != A.shape[-1]:
        cols = 1 if vector else B.shape[-1]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A.shape[-2]}x{A.shape[-1]} and {rows}x{cols})")
    return Solve.apply(A, B, vector, left)


def _flat(x, k):
    """x with its batch dims (all but the last k) flattened into one."""
    return x.reshape((-1,) + tuple(x.shape[x.ndim - k:]))


def _prod_others(S):
    """PyTorch's prod_safe_zeros_backward (of ones): for each i, the product of S[..., j != i]
    (exclusive cumulative products from both ends; no division, so zeros are fine)."""
    one = S[..., :1] * 0 + 1
    left = cat([one, S[..., :-1]], -1).cumprod(-1)
    right = cat([one, S[..., 1:].flip(-1)], -1).cumprod(-1).flip(-1)
    return left * right


def _cofactor_by_svd(A, g):
    """g times the cofactor matrix of A, PyTorch's formula for (near-)singular A: with
    A = U S Vh, U diag(g det(U) det(Vh) prod_{j != i} S_j) Vh (differentiable)."""
    U, S, Vh = svd(A)
    D = _prod_others(S) * (g * det(U) * det(Vh)).unsqueeze(-1)
    return (U * D.unsqueeze(-2)) @ Vh


def _inv_t_or_zero(A, d):
    """A^-T for each matrix of A whose det ``d`` is not exactly 0, 0 for the others (the
    identity is inverted there, so LAPACK sees no singular matrix)."""
    xp = A._be.xp
    zero = (d._arr == 0)[..., None, None]
    a = xp.where(zero, xp.eye(A.shape[-1], dtype=A._arr.dtype), A._arr)
    return _wrap(xp.where(zero, 0, xp.linalg.inv(a)).swapaxes(-1, -2), A._be)


def _masked_by_batch(mask, A, fn):
    """PyTorch's masked_fmap: ``fn(M, True, rows)`` of the matrices of A where ``mask`` (A's
    batch shape) holds, ``fn(M, False, rows)`` of the others (``rows``: their flat batch
    indices, None for all of A), put back in batch order (indexing: differentiable)."""
    xp, m = A._be.xp, np.asarray(mask.reshape(-1).tolist(), dtype=bool)
    if m.all() or not m.any():
        return fn(A, bool(m.all()), None)
    flat = _flat(A, 2)
    yes, no = (_wrap(xp.asarray(i), A._be) for i in (np.flatnonzero(m), np.flatnonzero(~m)))
    order = np.argsort(np.concatenate([np.flatnonzero(m), np.flatnonzero(~m)]))
    parts = cat([fn(flat[yes], True, yes), fn(flat[no], False, no)], 0)
    return parts[_wrap(xp.asarray(order), A._be)].reshape(A.shape)


class Det(ArrayFunction):
    node_name = "LinalgDetBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return A._be.xp.linalg.det(A._arr)

    @staticmethod
    def backward(ctx, g):
        """PyTorch's linalg_det_backward.  First order: g det(A) A^-T, which is 0 where det(A)
        is exactly 0 (PyTorch's LU solve with the zero pivots nudged by eps).  Under
        create_graph: matrices with |det| < 100 eps take the SVD formula of the cofactor
        matrix (finite, exact at rank n-1), the others g det(A) A^-T (PyTorch solves
        A^T X = g det(A) I: the same up to rounding, which NumPy's LAPACK does worse there)."""
        A, d = ctx.saved_tensors
        gd = g * d
        if not is_grad_enabled():
            return gd[..., None, None] * _inv_t_or_zero(A, d)
        singular = A._be.xp.abs(d._arr) < 100 * float(np.finfo(A._arr.dtype).eps)
        g, gd = g.expand(d.shape), gd.expand(d.shape)

        def part(M, is_singular, rows):
            pick = (lambda v: v) if rows is None else (lambda v: v.reshape(-1)[rows])
            if is_singular:
                return _cofactor_by_svd(M, pick(g))
            return pick(gd)[..., None, None] * _t(inv(M))
        return _masked_by_batch(singular, A, part)


def det(A):
    """det(A, *, out=None) -> Tensor

    The determinant of each square matrix of A (..., n, n). Gradient: PyTorch's, g det(A) A^-T
    where A is invertible and the cofactor matrix (through the SVD) where it is singular."""
    _check_matrix("linalg.det", A)
    _refuse_low_precision("linalg.det", A)
    return Det.apply(A)


class Slogdet(ArrayFunction):
    node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return tuple(A._be.xp.linalg.slogdet(A._arr))  # NumPy: a namedtuple

    @staticmethod
    def backward(ctx, g_sign, g_log):
        """g A^-T; where det(A) is exactly 0, g cofactor(A) / 0 (inf and nan, as PyTorch's
        LU solve through a zero pivot gives; no LinAlgError)."""
        if g_log is None:
            return None
        A, = ctx.saved_tensors
        d = det(A.detach())
        if not bool((d._arr == 0).any()):
            return g_log[..., None, None] * _t(inv(A))
        gl = g_log.expand(d.shape)
        return (gl[..., None, None] * _inv_t_or_zero(A, d)
                + _cofactor_by_svd(A.detach(), gl) / d[..., None, None] * (d == 0)[..., None, None])


def slogdet(A):
    """slogdet(A, *, out=None) -> (Tensor, Tensor)

    (sign, logabsdet) of the determinant of each square matrix of A, a namedtuple; a
    singular matrix gives (0, -inf). Gradient (of logabsdet): g A^-T; sign has none."""
    _check_matrix("linalg.slogdet", A)
    _refuse_low_precision("linalg.slogdet", A)
    return slogdet_result(*Slogdet.apply(A))


def torch_slogdet(input):
    """slogdet(input) -> (Tensor, Tensor)

    torch.slogdet: linalg.slogdet's (sign, logabsdet), as the namedtuple
    torch.return_types.slogdet."""
    return torch_slogdet_result(*slogdet(input))


def logdet(input):
    """logdet(input) -> Tensor

    The log of the determinant of each square matrix of input (..., n, n): logabsdet where the
    sign is not -1, nan where it is (-inf for a singular matrix). Gradient: slogdet's, 0 where
    the result is nan."""
    if not isinstance(input, Tensor):
        raise TypeError(f"logdet(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim < 2:
        raise RuntimeError("logdet: The input tensor A must have at least 2 dimensions.")
    if not _dtype.is_floating(input._arr.dtype):
        raise RuntimeError(f"logdet: Expected a floating point or complex tensor as input. "
                           f"Got {input.dtype.scalar_name}")
    if input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"logdet: A must be batches of square matrices, but they are "
                           f"{input.shape[-2]} by {input.shape[-1]} matrices")
    _refuse_low_precision("logdet", input)
    sign, logabsdet = Slogdet.apply(input)
    return _ew.where(sign == -1, float("nan"), logabsdet)


# ---- cholesky, qr ------------------------------------------------------------------------------

def _tril_mask(x, k=0):
    """x's lower triangle (below diagonal k): x times a constant mask."""
    n, m = x.shape[-2:]
    return x * _wrap(x._be.xp.tri(n, m, k, dtype=x._arr.dtype), x._be)


def _eye_like(x):
    """The identity of x's last dims, a constant of its dtype and device."""
    return _wrap(x._be.xp.eye(x.shape[-2], x.shape[-1], dtype=x._arr.dtype), x._be)


def _right_solve_upper_t(Y, R):
    """X with X R^T = Y."""
    return _t(solve(R, _t(Y)))


class Cholesky(ArrayFunction):
    node_name = "LinalgCholeskyExBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A, upper, name="linalg.cholesky"):
        ctx.upper = upper
        L = _lapack(A, lambda xp, a: xp.linalg.cholesky(a), lambda a: _not_pd(a, name))
        return L.swapaxes(-1, -2).copy() if upper else L

    @staticmethod
    def backward(ctx, g):
        L, = ctx.saved_tensors
        if ctx.upper:
            L, g = _t(L), _t(g)
        P = _tril_mask(_t(L) @ g)  # PyTorch's cholesky_backward
        P = 0.5 * (P + _t(_tril_mask(P, -1)))
        return _t(solve(_t(L), _t(solve(_t(L), P))))


@autocast_op(cpu=FP32)
def cholesky(A, *, upper=False):
    """cholesky(A, *, upper=False, out=None) -> Tensor

    L lower-triangular with A = L L^T (upper=True: U = L^T) for symmetric positive-definite
    A (..., n, n), only its lower triangle read; LinAlgError when A is not positive-definite.
    Gradient: L^-T Phi(L^T gL) L^-1 (PyTorch's)."""
    _check_matrix("linalg.cholesky", A)
    return Cholesky.apply(A, upper)


class Qr(ArrayFunction):
    node_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, A, mode):
        xp = A._be.xp
        ctx.mode = mode
        if mode == "r":
            R = xp.linalg.qr(A._arr, mode="r")
            return xp.empty((0,), A._arr.dtype), R
        Q, R = xp.linalg.qr(A._arr, mode=mode)
        ctx.save_for_backward(A, _wrap(Q, A._be), _wrap(R, A._be))
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        Q, R = _factors(ctx, lambda A: Qr.apply(A, ctx.mode))
        gQ = Q * 0 if gQ is None else gQ
        gR = R * 0 if gR is None else gR
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_backward(gQ, gR, Q, R)
        # A = [X | Y], R = [U | V]: X = Q U is a square QR, Y = Q V
        U, V, gU, gV = R[..., :m], R[..., m:], gR[..., :m], gR[..., m:]
        gX = _qr_backward(gQ + Q @ V @ _t(gV), gU, Q, U)
        return cat([gX, Q @ gV], -1)


def _qr_backward(gQ, gR, Q, R):
    """m >= n (PyTorch's linalg_qr_backward): gA = (gQ + Q syminvadj(triu(gR R^T - Q^T gQ)))
    R^-T."""
    M = gR @ _t(R) - _t(Q) @ gQ
    M = M - _tril_mask(M, -1)  # triu
    S = M + _t(M) - M * _eye_like(M)
    return _right_solve_upper_t(gQ + Q @ S, R)


@autocast_op(cpu=FP32)
def qr(A, mode="reduced"):
    """qr(A, mode='reduced', *, out=None) -> (Tensor, Tensor)

    (Q, R), a namedtuple: A = Q R with Q orthonormal columns and R upper-triangular; mode
    'reduced' (k = min(m, n) columns), 'complete' (Q square) or 'r' (Q empty). Gradient:
    PyTorch's (not for mode='r')."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_matrix("linalg.qr", A, square=False)
    return qr_result(*Qr.apply(A, mode))


# ---- eigh, svd ---------------------------------------------------------------------------------

class Eigh(ArrayFunction):
    node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, uplo, vectors):
        xp = A._be.xp
        ctx.vectors, ctx.uplo = vectors, uplo
        L, V = xp.linalg.eigh(A._arr, UPLO=uplo)
        ctx.save_for_backward(A, _wrap(L, A._be), _wrap(V, A._be))
        return (L, V) if vectors else L

    @staticmethod
    def backward(ctx, gL, gV=None):
        """gA = V (diag(gL) + (V^T gV) / E) V^T, E_ij = L_j - L_i (distinct eigenvalues); its
        symmetric part is PyTorch's (the antisymmetric part acts on no symmetric A)."""
        L, V = _factors(ctx, lambda A: Eigh.apply(A, ctx.uplo, True))
        inner = (L * 0 if gL is None else gL).diag_embed()
        if ctx.vectors and gV is not None:
            E = L.unsqueeze(-2) - L.unsqueeze(-1)
            E = _ew.where(_eye_like(E) == 1, 1.0, E)
            inner = inner + (_t(V) @ gV) / E * (1 - _eye_like(E))
        return V @ inner @ _t(V)


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@autocast_op(cpu=FP32)
def eigh(A, UPLO="L"):
    """eigh(A, UPLO='L', *, out=None) -> (Tensor, Tensor)

    (eigenvalues ascending, eigenvectors as columns), a namedtuple, of symmetric A (..., n, n)
    read from its lower (UPLO='L') or upper triangle. Gradient: for distinct eigenvalues."""
    _check_uplo(UPLO)
    _check_matrix("linalg.eigh", A)
    return eigh_result(*Eigh.apply(A, UPLO, True))


@autocast_op(cpu=FP32)
def eigvalsh(A, UPLO="L"):
    """eigvalsh(A, UPLO='L', *, out=None) -> Tensor

    The eigenvalues of symmetric A (..., n, n), ascending. Gradient: V diag(g) V^T."""
    _check_uplo(UPLO)
    _check_matrix("linalg.eigh", A)
    return Eigh.apply(A, UPLO, False)


class Svd(ArrayFunction):
    node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, A, full_matrices, vectors):
        xp = A._be.xp
        ctx.vectors = vectors
        U, S, Vh = xp.linalg.svd(A._arr, full_matrices=full_matrices)
        k = S.shape[-1]
        ctx.save_for_backward(A, _wrap(U[..., :k], A._be), _wrap(S, A._be),
                              _wrap(Vh[..., :k, :], A._be))
        return (U, S, Vh) if vectors else S

    @staticmethod
    def backward(ctx, *grads):
        """PyTorch's svd_backward (distinct singular values; of the full_matrices=True extra
        columns only the first k count)."""
        U, S, Vh = _factors(ctx, lambda A: Svd.apply(A, False, True))
        if not ctx.vectors:
            return U @ (grads[0].unsqueeze(-1) * Vh)
        gU, gS, gVh = grads
        k = S.shape[-1]
        m, n = U.shape[-2], Vh.shape[-1]
        V = _t(Vh)
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
        E = _ew.where(_eye_like(E) == 1, 1.0, E)
        inner = S.diag_embed() * 0 if gS is None else gS.diag_embed()
        if gU is not None:
            gU = gU[..., :k]
            UhgU = _t(U) @ gU
            inner = inner + (UhgU - _t(UhgU)) * S.unsqueeze(-2) / E
        if gVh is not None:
            gV = _t(gVh[..., :k, :])
            VhgV = _t(V) @ gV
            inner = inner + S.unsqueeze(-1) * (VhgV - _t(VhgV)) / E
        gA = U @ inner @ Vh
        if m > k and gU is not None:
            gA = gA + ((gU - U @ UhgU) / S.unsqueeze(-2)) @ Vh
        if n > k and gVh is not None:
            gA = gA + U @ _t((gV - V @ VhgV) / S.unsqueeze(-2))
        return gA


@autocast_op(cpu=FP32)
def svd(A, full_matrices=True, *, driver=None):
    """svd(A, full_matrices=True, *, driver=None, out=None) -> (Tensor, Tensor, Tensor)

    (U, S, Vh), a namedtuple: A = U diag(S) Vh, S descending; full_matrices=False keeps
    k = min(m, n) columns of U and rows of Vh. Gradient: for distinct singular values."""
    _check_matrix("linalg.svd", A, square=False)
    return svd_result(*Svd.apply(A, full_matrices, True))


@autocast_op(cpu=FP32)
def svdvals(A, *, driver=None):
    """svdvals(A, *, driver=None, out=None) -> Tensor

    The singular values of A (..., m, n), descending. Gradient: U diag(g) Vh."""
    _check_matrix("linalg.svd", A, square=False)
    return Svd.apply(A, False, False)


# ---- pinv, lstsq, matrix_rank, matrix_power ---------------------------------------------------

def _cutoff(xp, S, shape, atol, rtol):
    """PyTorch's tolerance: max(atol, rtol * largest singular value); rtol defaults to
    eps * max(m, n) when neither is given."""
    if rtol is None:
        rtol = np.finfo(S.dtype).eps * max(shape[-2:]) if atol is None or atol <= 0 else 0.0
    smax = S.max(-1, keepdims=True) if S.shape[-1] else xp.zeros(S.shape[:-1] + (1,), S.dtype)
    return xp.maximum(atol or 0.0, rtol * smax)


def _pinv_array(xp, a, atol, rtol):
    U, S, Vh = xp.linalg.svd(a, full_matrices=False)
    keep = S > _cutoff(xp, S, a.shape, atol, rtol)
    s_inv = xp.where(keep, 1 / xp.where(keep, S, 1), 0).astype(a.dtype)
    return xp.matmul(Vh.swapaxes(-1, -2) * s_inv[..., None, :], U.swapaxes(-1, -2))


def _pinv_backward(g, P, A):
    """PyTorch's pinv_backward (constant rank)."""
    m, n = A.shape[-2:]
    Ph, gh = _t(P), _t(g)
    if m <= n:
        K = gh @ P
        KPh = K @ Ph
        return -_t(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -_t(K @ P) + (gh - A @ K) @ P @ Ph + PhK - PhK @ P @ A


class Pinv(ArrayFunction):
    node_name = "LinalgPinvBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A, atol, rtol):
        ctx.save_for_backward(A)
        return _pinv_array(A._be.xp, A._arr, atol, rtol)

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        return _pinv_backward(g, P, A)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """pinv(A, *, atol=None, rtol=None, hermitian=False, out=None) -> Tensor

    The Moore-Penrose pseudo-inverse of A (..., m, n), through its SVD; singular values at
    most max(atol, rtol * the largest) count as 0. Gradient: PyTorch's (constant rank)."""
    if A.ndim < 2 or not _dtype.is_floating(A._arr.dtype):
        raise RuntimeError(f"linalg.pinv({A.dtype.scalar_name}{{{list(A.shape)}}}): expected "
                           "a tensor with 2 or more dimensions of float, double, cfloat or "
                           "cdouble types")
    return Pinv.apply(A, atol, rtol)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _lstsq_driver(driver, A):
    """PyTorch's driver choice: 'gelsy' on the CPU, 'gels' (the only one) on CUDA; the name
    is taken in any case."""
    cuda = A.device.type == "cuda"
    if driver is None:
        return "gels" if cuda else "gelsy"
    if not isinstance(driver, str):
        raise TypeError(f"linalg_lstsq(): argument 'driver' must be str, not "
                        f"{type(driver).__name__}")
    name = driver.lower()
    if cuda and name != "gels":
        raise RuntimeError("torch.linalg.lstsq: `driver` other than `gels` is not supported on "
                           "CUDA")
    if name not in _LSTSQ_DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    return name


class Lstsq(ArrayFunction):
    """(solution, residuals) of A X = B: X = pinv(A) B (the minimum-norm least-squares
    solution), residuals the squared column norms of A X - B, or empty when not computed."""
    node_name = "LinalgLstsqBackward0"

    @staticmethod
    def forward(ctx, A, B, rtol, vector, with_residuals):
        ctx.save_for_backward(A, B)
        ctx.vector = vector
        xp, a = A._be.xp, A._arr
        b = B._arr[..., None] if vector else B._arr
        X = xp.matmul(_pinv_array(xp, a, None, rtol), b)
        if with_residuals:
            r = xp.matmul(a, X) - b
            res = (r * r).sum(-2)
        else:
            res = xp.empty((0,), a.dtype)
        return (X[..., 0] if vector else X), res

    @staticmethod
    def backward(ctx, gX, gR):
        """PyTorch's linalg_lstsq_backward: through pinv(A) (its default tolerance) for the
        solution; the residuals' (at the least-squares optimum A^T r = 0): 2 r g X^T for A,
        -2 r g for B, r = A X - B."""
        A, B = ctx.saved_tensors
        vec = (lambda t: t.unsqueeze(-1)) if ctx.vector else (lambda t: t)
        need_a, need_b = ctx.needs_input_grad
        Bm, P = vec(B), pinv(A)
        gA = gB = 0
        if gX is not None:
            gXm = vec(gX)
            gA = _pinv_backward(gXm @ _t(Bm), P, A) if need_a else 0
            gB = _t(P) @ gXm if need_b else 0
        if gR is not None and gR.numel():
            X = P @ Bm
            rw = (A @ X - Bm) * gR.unsqueeze(-2)
            gA = gA + 2 * rw @ _t(X) if need_a else 0
            gB = gB - 2 * rw if need_b else 0
        gA = sum_to(gA, A._arr.shape) if need_a and isinstance(gA, Tensor) else None
        if need_b and isinstance(gB, Tensor):
            gB = sum_to(gB[..., 0] if ctx.vector else gB, B._arr.shape)
        else:
            gB = None
        return gA, gB


@autocast_op(cpu=FP32)
def lstsq(A, B, rcond=None, *, driver=None):
    """lstsq(A, B, rcond=None, *, driver=None) -> (Tensor, Tensor, Tensor, Tensor)

    (solution, residuals, rank, singular_values), a namedtuple: the least-squares solution of
    A X = B (B (..., m, k), or a vector (..., m) when it has one dim fewer than A), batch dims
    broadcast, through the SVD: pinv(A) @ B, singular values at most rcond * the largest
    (default eps * max(m, n)) counting as 0.  The fields are PyTorch's for each ``driver``
    ('gelsy', the CPU default; 'gels', CUDA's only one; 'gelsd', 'gelss'):

    - residuals, the squared norms of A X - B's columns: for m > n, with 'gels' (which assumes
      A has full rank) or 'gelsd' / 'gelss' when every matrix has full rank; otherwise empty;
    - rank: empty for 'gels'; else the rank of each matrix (int64);
    - singular_values: for 'gelsd' and 'gelss'; otherwise empty.

    The solution is the same for every driver except 'gels' on a rank-deficient A (LAPACK's
    unpivoted QR gives a different, ill-conditioned solution there: gradcore gives the
    minimum-norm one).  Gradient: PyTorch's, for the solution and the residuals."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_lstsq(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg_lstsq(): argument 'b' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {A.dtype.scalar_name} and other's "
                           f"dtype {B.dtype.scalar_name}")
    if not _dtype.is_floating(A._arr.dtype) or A.dtype.scalar_name in _LOW_PRECISION:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if not 0 <= A.ndim - B.ndim <= 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    # PyTorch's vector case: B 1-D, or B's shape A's batch shape and m
    vector = B.ndim == A.ndim - 1 and (B.ndim == 1 or tuple(B.shape) == tuple(A.shape[:-1]))
    if A.shape[-2] != B.shape[-1 if vector else -2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match "
                           f"other.size({-1 if vector else -2})")
    if B.ndim == A.ndim - 1 and not vector:  # PyTorch broadcasts A's batch dims with all of
        # B's but the last (as for a batch of vectors), then solves with B as one matrix
        batch = broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-1]))
        B = B.expand(*batch, *B.shape[-2:])
    name = _lstsq_driver(driver, A)
    xp, be, a = A._be.xp, A._be, A._arr
    m, n = a.shape[-2:]
    S = xp.linalg.svd(a, compute_uv=False)
    rtol = rcond if rcond is not None and rcond >= 0 else None
    rank = (S > _cutoff(xp, S, a.shape, None, rtol)).sum(-1).astype(np.int64)
    full = bool((rank == n).all())
    residuals = m > n and (name == "gels" or (name != "gelsy" and full))
    X, res = Lstsq.apply(A, B, rtol, vector, residuals)
    empty_int = _wrap(xp.empty((0,), np.int64), be)
    return lstsq_result(X, res, empty_int if name == "gels" else _wrap(rank, be),
                        _wrap(S, be) if name in ("gelsd", "gelss")
                        else _wrap(xp.empty((0,), a.dtype), be))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None) -> LongTensor

    The number of singular values of A above max(atol, rtol * the largest) (rtol defaults to
    eps * max(m, n)); no gradient."""
    _check_matrix("linalg.matrix_rank", A, square=False)
    xp = A._be.xp
    S = xp.linalg.svd(A._arr, compute_uv=False)
    rank = (S > _cutoff(xp, S, A._arr.shape, atol, rtol)).sum(-1).astype(np.int64)
    return _wrap(rank, A._be)


class _EyeLike(ArrayFunction):
    """matrix_power(A, 0): identities shaped like A, PyTorch's copy into zeros (its node
    name); the gradient is 0."""
    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, A):
        xp = A._be.xp
        return xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._arr.dtype), A._arr.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return g * 0


def matrix_power(A, n):
    """matrix_power(A, n, *, out=None) -> Tensor

    A to the integer power n for square A (..., m, m): identities for n = 0, inv(A)^-n for
    n < 0; PyTorch's binary decomposition of n into products."""
    _check_matrix("linalg.matrix_power", A, floating=False)
    if n == 0:
        return _EyeLike.apply(A)
    if n < 0:
        A, n = inv(A), -n
        if n == 1:
            return A
    if n == 1:
        return A.clone()
    if n in (2, 3):
        return A @ A if n == 2 else (A @ A) @ A
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = A if z is None else z @ z
        if bit:
            result = z if result is None else result @ z
    return result


class Cross(ArrayFunction):
    node_name = "LinalgCrossBackward0"

    @staticmethod
    def forward(ctx, a, b, axis):
        ctx.save_for_backward(a, b)
        ctx.axis = axis
        return a._be.xp.cross(a._arr, b._arr, axis=axis)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(Cross.apply(b, g, ctx.axis), a._arr.shape) if need_a else None,
                sum_to(Cross.apply(g, a, ctx.axis), b._arr.shape) if need_b else None)
def cross(input, other, *, dim=-1):
    """cross(input, other, *, dim=-1, out=None) -> Tensor

    The cross product of 3-vectors along ``dim``, batch dims broadcast. Gradient:
    cross(other, g) and cross(g, input)."""
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = broadcast_shapes(input.shape, other.shape)
    a, b = input.expand(shape), other.expand(shape)  # NumPy's cross broadcasts, but its axis
    return Cross.apply(a, b, dim if dim < 0 else dim - len(shape))
