"""linalg.matrix_exp (scaling and squaring of the degree-13 Pade approximant, Higham 2005, in
``xp`` matmuls and one batched solve: NumPy and CuPy alike, neither has an expm),
linalg.householder_product (Q of Householder reflectors, LAPACK's orgqr) and a private
geqrf (the reflectors of a QR, from ``xp.linalg.qr(mode='raw')``).

matrix_exp's gradient is PyTorch's: the upper-right block of exp([[A^H, G], [0, A^H]]),
itself a matrix_exp, so double backward needs nothing more.  householder_product applies
the reflectors one at a time and its backward sweeps them back; that math is written once
over a small vocabulary (``_Arrays`` / ``_Tensors``) and runs on arrays for the forward and
the first-order backward, on Tensors under create_graph.
"""
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..ops.join import cat
from ..tensor import Tensor, _wrap
from .decompositions import _check_matrix

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited".
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(xp, a):
    """exp of the batch of square matrices ``a`` (the Pade-13 approximant of a / 2^s, squared
    s times; s per matrix, from its 1-norm)."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    norm1 = xp.abs(a).sum(axis=-2).max(axis=-1)
    s = xp.maximum(xp.ceil(xp.log2(xp.maximum(norm1 / _THETA13, 1.0))), 0.0)
    s = xp.where(xp.isfinite(s), s, 0.0)
    a = a / (2.0 ** s)[..., None, None].astype(a.real.dtype)
    b = [a.dtype.type(c) for c in _PADE13]
    eye = xp.broadcast_to(xp.eye(n, dtype=a.dtype), a.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = (a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
         + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye)
    r = xp.linalg.solve(v - u, v + u)
    for k in range(int(s.max())):
        squared = r @ r
        r = xp.where((s > k)[..., None, None], squared, r)
    return r


class MatrixExp(ArrayFunction):
    node_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        a = A._arr
        if A.dtype.scalar_name in ("Half", "BFloat16"):  # no solve in these: float32's, cast
            return _expm(A._be.xp, a.astype(A._be.xp.float32)).astype(a.dtype)
        return _expm(A._be.xp, a)

    @staticmethod
    def backward(ctx, gy):
        A, = ctx.saved_tensors
        n = A.shape[-1]
        AH = A.mT.conj() if A.is_complex() else A.mT
        big = cat([cat([AH, gy], -1), cat([AH.new_zeros(AH.shape), AH], -1)], -2)
        return matrix_exp(big)[..., :n, n:]


def matrix_exp(A):
    """matrix_exp(A) -> Tensor

    The matrix exponential ``sum_k A^k / k!`` of each square matrix of ``A`` (*, n, n), by
    scaling and squaring of a Pade approximant (float16 / bfloat16: computed in float32);
    complex A too (forward only: gradcore's autograd has no complex); differentiable
    (PyTorch's gradient)."""
    _check_matrix("linalg.matrix_exp", A, floating=not (isinstance(A, Tensor) and A.is_complex()))
    return MatrixExp.apply(A)


def torch_matrix_exp(input):
    """matrix_exp(input) -> Tensor

    torch.matrix_exp and Tensor.matrix_exp: linalg.matrix_exp of ``input`` (*, n, n)."""
    return matrix_exp(input)


def _check_householder(A, tau):
    name = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if A.ndim - tau.ndim != 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but "
                           f"got tau.ndim equal to {tau.ndim} and input.ndim is equal to "
                           f"{A.ndim}")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if tau.dtype != A.dtype:
        raise RuntimeError(f"{name}: tau dtype {tau.dtype.scalar_name} does not match input "
                           f"dtype {A.dtype.scalar_name}")
    if not (_dtype.is_floating(A._arr.dtype) or A._arr.dtype.kind == "c") or (
            A.dtype.scalar_name in ("Half", "BFloat16")):  # PyTorch's orgqr has neither
        raise NotImplementedError(f"\"orgqr_cpu\" not implemented for "
                                  f"'{A.dtype.scalar_name}'")


class _Arrays:
    """The vocabulary of the reflector math on backend arrays."""

    def __init__(self, xp):
        self.xp = xp

    def const(self, arr):
        return arr

    def cat(self, xs, axis):
        return self.xp.concatenate(xs, axis=axis)

    def zeros(self, like, shape):
        return self.xp.zeros(shape, dtype=like.dtype)

    @staticmethod
    def mT(x):
        return x.swapaxes(-1, -2)

    @staticmethod
    def dtype(x):
        return x.dtype


class _Tensors:
    """The same vocabulary on Tensors (differentiable: the create_graph backward)."""

    def __init__(self, be):
        self.xp, self.be = be.xp, be

    def const(self, arr):
        return _wrap(arr, self.be)

    @staticmethod
    def cat(xs, axis):
        return cat(xs, axis)

    @staticmethod
    def zeros(like, shape):
        return like.new_zeros(shape)

    @staticmethod
    def mT(x):
        return x.mT

    @staticmethod
    def dtype(x):
        return x._arr.dtype


def _reflectors(F, A):
    """(V, E, below): the reflectors' vectors V (A strictly below the diagonal, 1 on it, 0
    above), E the first n columns of the identity and the strictly-lower mask, like ``A``."""
    xp = F.xp
    m, n = A.shape[-2], A.shape[-1]
    rows, cols = xp.arange(m)[:, None], xp.arange(n)[None, :]
    dtype = F.dtype(A)
    below = F.const(xp.asarray(rows > cols, dtype=dtype))
    eye = xp.asarray(rows == cols, dtype=dtype)
    E = F.const(xp.broadcast_to(eye, A.shape).copy())
    return A * below + F.const(eye), E, below


def _products(F, V, E, tau):
    """[Q_k, ..., Q_0]: Q_k = E, Q_i = H_i Q_(i+1) = Q_(i+1) - tau_i v_i (v_i^H Q_(i+1))."""
    Qs = [E]
    for i in reversed(range(tau.shape[-1])):
        v = V[..., :, i:i + 1]
        vh = F.mT(v).conj() if F.dtype(V).kind == "c" else F.mT(v)
        Qs.append(Qs[-1] - (tau[..., i, None, None] * v) @ (vh @ Qs[-1]))
    return Qs


def _householder_backward(F, A, tau, gy, needs):
    """Back through the reflectors H_0 .. H_(k-1) (real): with w_i = Q_(i+1)^T v_i and G_i
    the gradient of Q_i, G_(i+1) = H_i^T G_i, d tau_i = -v_i^T G_i w_i and
    d v_i = -tau_i (G_i w_i + Q_(i+1) G_i^T v_i); A's gradient is d V below the diagonal."""
    V, E, below = _reflectors(F, A)
    k, n = tau.shape[-1], A.shape[-1]
    if k == 0:
        return (F.zeros(A, A.shape) if needs[0] else None,
                F.zeros(tau, tau.shape) if needs[1] else None)
    Qs = _products(F, V, E, tau)  # Qs[k - 1 - i] is Q_(i+1)
    G = gy
    dvs, dtaus = [], []
    for i in range(k):  # Q_0 = H_0 Q_1: H_0 first
        Q_next = Qs[k - 1 - i]
        v = V[..., :, i:i + 1]
        t = tau[..., i, None, None]
        w = F.mT(Q_next) @ v
        Gtv = F.mT(G) @ v
        dtaus.append(-(F.mT(v) @ G @ w)[..., 0])
        dvs.append(-t * (G @ w + Q_next @ Gtv))
        G = G - t * v @ F.mT(Gtv)
    if n > k:
        dvs.append(F.zeros(A, (*A.shape[:-1], n - k)))
    return (F.cat(dvs, -1) * below if needs[0] else None,
            F.cat(dtaus, -1) if needs[1] else None)


class HouseholderProduct(ArrayFunction):
    node_name = "LinalgHouseholderProductBackward0"

    @staticmethod
    def forward(ctx, A, tau):
        ctx.save_for_backward(A, tau)
        F = _Arrays(A._be.xp)
        V, E, _ = _reflectors(F, A._arr)
        return _products(F, V, E, tau._arr)[-1]

    @staticmethod
    def backward(ctx, gy):
        A, tau = ctx.saved_tensors
        return _householder_backward(_Tensors(A._be), A, tau, gy, ctx.needs_input_grad)

    @staticmethod
    def array_backward(ctx, gy):
        A, tau = ctx.saved_arrays
        return _householder_backward(_Arrays(ctx._be.xp), A, tau, gy, ctx.needs_input_grad)


def householder_product(A, tau):
    """householder_product(A, tau) -> Tensor

    The first n columns of the product H_1 ... H_k of Householder reflectors
    ``H_i = I - tau_i v_i v_i^H`` (LAPACK's orgqr): v_i is column i of ``A`` (*, m, n), m >= n,
    below the diagonal, with a 1 on it and zeros above; ``tau`` is (*, k), k <= n.
    Differentiable, twice."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_householder_product(): argument 'input' (position 1) must be "
                        f"Tensor, not {type(A).__name__}")
    _check_householder(A, tau)
    return HouseholderProduct.apply(A, tau)


def _geqrf(A):
    """(reflectors, tau) of the QR factorization of ``A`` (*, m, n), LAPACK's geqrf (torch.geqrf;
    not differentiable): R on and above the diagonal, the reflectors' vectors below.  From
    ``xp.linalg.qr(mode='raw')`` (which gives them transposed, Fortran's order)."""
    h, tau = A._be.xp.linalg.qr(A.detach()._arr, mode="raw")
    return _wrap(A._be.xp.ascontiguousarray(h.swapaxes(-1, -2)), A._be), _wrap(tau, A._be)
