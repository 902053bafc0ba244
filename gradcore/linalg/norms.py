"""torch.linalg's norms: vector_norm (reduction.norm's node), matrix_norm ('fro' a vector norm,
'nuc' and +-2 over the singular values, +-1 and +-inf the extreme column / row sums) and norm,
which picks one of them as PyTorch does."""
import math

from ..ops import reduction as _red
from ..tensor import _wrap_dim
from .decompositions import _check_matrix, svdvals


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor

    The vector ord-norm of x over ``dim`` (an int or a tuple; None: all elements); ord may be
    inf, -inf or 0 (the nonzero count). Gradient: 0 at a zero norm; split among ties for
    ord=+-inf."""
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    return _red.norm(x, float(ord), dim, keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """matrix_norm(A, ord='fro', dim=(-2, -1), keepdim=False, *, dtype=None, out=None) -> Tensor

    The matrix ord-norm over the two dims ``dim``: 'fro', 'nuc' (the sum of the singular
    values), 2 / -2 (the largest / smallest), 1 / -1 (the largest / smallest absolute column
    sum), inf / -inf (row sum)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(map(str, dims)))
    d0, d1 = (_wrap_dim(d, A.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, "
                           f"{dims[1]})")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord not in ("nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    _check_matrix("linalg.matrix_norm", A, square=False)
    pick = _red.amax if ord in ("nuc", 1, 2, math.inf) else _red.amin
    if ord in ("nuc", 2, -2):
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        res = S.sum(-1) if ord == "nuc" else pick(S, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                res = res.unsqueeze(d)
        return res
    if ord in (math.inf, -math.inf):  # row sums: PyTorch swaps the dims
        d0, d1 = d1, d0
    if not keepdim and d1 > d0:
        d1 -= 1
    return pick(A.abs().sum(d0, keepdim), d1, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor

    A vector norm (dim an int, or A 1-D) or a matrix norm (dim a 2-tuple, or A 2-D) of order
    ``ord``; with ord and dim both None, the 2-norm of all elements."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if (len(dims) == 2 and ord is not None) or isinstance(ord, str):
            return matrix_norm(A, ord, dims, keepdim, dtype=dtype)
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.ndim}D.")
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)
