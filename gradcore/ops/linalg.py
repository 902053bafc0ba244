"""Matrix products with PyTorch's semantics: matmul / @ for every rank, mm, bmm, dot, mv, outer,
addmm.  Each backward is more products (of gy with the other operand, transposed), summed over
broadcast batch dims with ``sum_to``, so double backward works.

The node of each case is named as PyTorch names it: DotBackward0 (1-D @ 1-D), MvBackward0,
MmBackward0, SqueezeBackward4 (1-D @ 2-D), UnsafeViewBackward0 (batched), CloneBackward0 (2-D @
batched, which PyTorch computes transposed), BmmBackward0, AddmmBackward0.
"""
import math

import numpy as np

from .._autocast import LOWER, PROMOTE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor
from .shape import broadcast_shapes, expanded_shape, sum_to

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool"}


_REDUCED = _dtype.REDUCED_CHARS


def _matmul(xp, a, b):
    """a @ b on arrays (2-D or batched).  A column times a row (inner dimension 1: a batch of
    one's weight gradient) NumPy's matmul does not give to BLAS (numpy's matmul.c.src:
    "column @ row, 2d output, no blas needed", a plain loop, ~1.2 ns an output element, 10x a
    GEMM's time); padded to an inner dimension of 2 with zeros it goes through BLAS: every
    element a[i] * b[j] + 0 * 0, the one rounded product (as a GEMM of inner dimension 1, and
    NumPy's loop, give it).  Below 4096 outputs the loop is cheaper than the padding; integer
    products have no BLAS.

    A few rows times a transposed matrix at least 16 times the result's size (``x @ W.T``,
    Linear's forward at a small batch): OpenBLAS takes 1.5-1.8x longer over the transposed
    operand than computing ``(W @ x.T).T`` and copying that (small) result to rows -- the same
    dot products (OpenBLAS may sum them in another order: equal to the plain product to
    rounding, bit for bit on most shapes tried; tests/test_matmul_blas_paths.py)."""
    if a.ndim == 2 == b.ndim:
        if (b.flags.f_contiguous and not b.flags.c_contiguous and a.shape[0] * 16 <= a.shape[1]
                and a.dtype.char in "fd"):
            return xp.ascontiguousarray(xp.matmul(b.T, a.T).T)
    if (a.shape[-1] == 1 and a.ndim >= 2 and b.ndim >= 2 and a.dtype.char in "fd"
            and a.shape[-2] * b.shape[-1] >= 4096):
        a = xp.concatenate((a, xp.zeros_like(a)), -1)
        b = xp.concatenate((b, xp.zeros_like(b)), -2)
        if a.ndim == 2 == b.ndim and a.shape[0] * b.shape[1] >= _OUTER_MIN and xp is np:
            return _blocked_outer(a, b)
    return xp.matmul(a, b)


_OUTER_BLOCK = 1 << 16  # output elements per block: 256 KiB of float32, in L2
_OUTER_MIN = 1 << 20  # outputs from which blocks gain (4 MiB of float32: 512x784 loses)


def _blocked_outer(a, b):
    """The padded column-times-row product of ``_matmul`` (a (M, 2), b (2, N)) on the CPU, in
    row blocks of ``_OUTER_BLOCK`` outputs: OpenBLAS zeroes C and then accumulates into it,
    three passes over a large output (a 16 MB weight gradient at width 2048); a block is
    zeroed and filled while it is in cache.  The same GEMM per block: the same bits."""
    m, n = a.shape[0], b.shape[1]
    out = np.empty((m, n), np.result_type(a, b))
    rows = max(1, _OUTER_BLOCK // n)
    for i in range(0, m, rows):
        np.matmul(a[i:i + rows], b, out=out[i:i + rows])
    return out


def _dot(xp, a, b):
    return xp.dot(a, b)


def _linear(xp, x, w, bias):
    out = _matmul(xp, x, w.T)  # fresh: bias added in place
    out += bias
    return out


# ---- checks, worded as PyTorch's -----------------------------------------------------------

def _check_tensors(name, a, b):
    for pos, (arg, t) in enumerate((("input", a), ("other", b)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")


def _check_not_bool(a):
    if a._arr.dtype.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _check_mm_dtype(a, b):
    if a._arr.dtype != b._arr.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES[a.dtype.name]} != {_C_NAMES[b.dtype.name]}")
    _check_not_bool(a)


def _check_mm_shape(sa, sb):
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
                           f"{sb[0]}x{sb[1]})")


def _check_mv(mat, vec, rows):
    """``rows``: the matrix's row count as PyTorch reports it (batch dims folded in)."""
    k = mat._arr.shape[-1]
    if k != vec._arr.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec "
                           f"({vec._arr.shape[0]})")


def _check_mv_dtype(mat, vec):
    if mat._arr.dtype != vec._arr.dtype:
        v, m = vec.dtype.scalar_name, mat.dtype.scalar_name
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {v}, {m}, "
                           f"and {v}")
    _check_not_bool(mat)


def _check_batch(batch, ka, kb, a, b):
    n = math.prod(batch)
    if ka != kb:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {ka}] but got: [{n}, {kb}].")
    if a._arr.dtype != b._arr.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype.scalar_name} but found "
                           f"{b.dtype.scalar_name}")
    _check_not_bool(a)


# ---- the products --------------------------------------------------------------------------

class Dot(ArrayFunction):
    node_name = "DotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if a._arr.dtype.char in _REDUCED:  # float16, bfloat16: in float32, rounded once
            return _dtype.in_opmath(_dot, a._be.xp, a._arr, b._arr)
        return a._be.xp.dot(a._arr, b._arr)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return gy * b if need_a else None, gy * a if need_b else None


class Mm(ArrayFunction):
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if a._arr.dtype.char in _REDUCED:
            return _dtype.in_opmath(_matmul, a._be.xp, a._arr, b._arr)
        return _matmul(a._be.xp, a._arr, b._arr)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return mm(gy, b.t()) if need_a else None, _mat2_grad(a, b, gy) if need_b else None


def _mat2_grad(a, b, g):
    """a.t() @ g, computed in the layout of ``b`` (PyTorch's mm_mat2_backward): when b is a
    transposed matrix (Linear's weight.t()) the gradient comes out transposed too, so after the
    transpose's own backward it is a plain C-contiguous array, stored as .grad without a copy."""
    if b._arr.flags.f_contiguous and not b._arr.flags.c_contiguous:
        return mm(g.t(), a).t()
    return mm(a.t(), g)


class Mv(Mm):
    node_name = "MvBackward0"

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return outer(gy, b) if need_a else None, mv(a.t(), gy) if need_b else None


class Vm(Mm):
    """1-D @ 2-D (PyTorch: unsqueeze, mm, squeeze -- hence the node name)."""
    node_name = "SqueezeBackward4"

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return mv(b, gy) if need_a else None, outer(a, gy) if need_b else None


class Bmm(Mm):
    node_name = "BmmBackward0"

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return bmm(gy, b.mT) if need_a else None, bmm(a.mT, gy) if need_b else None


class Matmul(Mm):
    """matmul with a batched (>= 3-D) operand; batch dims broadcast, a 1-D operand is a row
    (left) or a column (right) vector whose dim is dropped from the result."""
    node_name = "UnsafeViewBackward0"

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        gy = gy.unsqueeze(-2) if a.ndim == 1 else gy.unsqueeze(-1) if b.ndim == 1 else gy
        (n, k), m = a2.shape[-2:], b2.shape[-1]
        ga = gb = None
        if need_a:
            if a2.ndim == 2:  # sum over the batch inside one mm: (n, B*m) @ (B*m, k)
                ga = mm(gy.movedim(-2, 0).reshape(n, -1), b2.movedim(-2, 0).reshape(k, -1).t())
            else:
                ga = sum_to(matmul(gy, b2.mT), a2.shape)
            ga = ga.reshape(a.shape) if a.ndim == 1 else ga
        if need_b:
            if b2.ndim == 2:  # (k, B*n) @ (B*n, m)
                gb = mm(a2.reshape(-1, k).t(), gy.reshape(-1, m))
            else:
                gb = sum_to(matmul(a2.mT, gy), b2.shape)
            gb = gb.reshape(b.shape) if b.ndim == 1 else gb
        return ga, gb


class MatmulTransposed(Matmul):
    """2-D @ batched: PyTorch computes (b^T @ a^T)^T and reports the final copy's node."""
    node_name = "CloneBackward0"
@autocast_op(cuda=PROMOTE)
def dot(input, other):
    """dot(input, other) -> Tensor

    The inner product sum(input * other) of two 1-D tensors of the same size and dtype, as a
    0-d tensor."""
    a, b = input, other
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a._arr.dtype != b._arr.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{a.dtype.scalar_name} and {b.dtype.scalar_name}")
    n, m = a._arr.shape[0], b._arr.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           f"respectively")
    return Dot.apply(a, b)


@autocast_op(cpu=LOWER, cuda=LOWER)
def mm(input, mat2):
    """mm(input, mat2) -> Tensor

    The matrix product of an (n, m) and an (m, p) tensor of the same dtype: (n, p). No
    broadcasting (see matmul)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_mm_shape(input._arr.shape, mat2._arr.shape)
    _check_mm_dtype(input, mat2)
    return Mm.apply(input, mat2)
@autocast_op(cuda=LOWER)
def mv(input, vec):
    """mv(input, vec) -> Tensor

    The product of an (n, m) matrix and an (m,) vector of the same dtype: an (n,) vector."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _check_mv(input, vec, input._arr.shape[0])
    _check_mv_dtype(input, vec)
    return Mv.apply(input, vec)


@autocast_op(cpu=LOWER, cuda=LOWER)
def bmm(input, mat2):
    """bmm(input, mat2) -> Tensor

    Batched matrix product of (b, n, m) and (b, m, p) tensors: (b, n, p), one mm per batch
    entry. No broadcasting (see matmul)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (p, _, k), (q, k2, _) = input._arr.shape, mat2._arr.shape
    if (p, k) != (q, k2):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{p}, {k}] but got: [{q}, {k2}].")
    _check_batch((p,), k, k2, input, mat2)
    return Bmm.apply(input, mat2)


@autocast_op(cpu=LOWER, cuda=LOWER)
def matmul(input, other):
    """matmul(input, other) -> Tensor

    input @ other for any ranks >= 1: 1-D @ 1-D is dot, 2-D @ 1-D mv, 2-D @ 2-D mm; otherwise
    batch dims broadcast, and a 1-D operand is a row (left) or column (right) vector whose dim
    is dropped from the result. Gradient: summed over the broadcast batch dims."""
    _check_tensors("matmul", input, other)
    a, b = input, other
    da, db = a.ndim, b.ndim
    if not da or not db:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if da <= 2 and db == 2:
        sa = a._arr.shape if da == 2 else (1,) + a._arr.shape
        _check_mm_shape(sa, b._arr.shape)
        _check_mm_dtype(a, b)
        return (Mm if da == 2 else Vm).apply(a, b)
    sa, sb = a._arr.shape, b._arr.shape
    if db <= 2:  # batched @ matrix or vector: PyTorch folds the batch into the rows
        rows = math.prod(sa[:-1])
        if db == 1:
            _check_mv(a, b, rows)
            _check_mv_dtype(a, b)
        else:
            _check_mm_shape((rows, sa[-1]), sb)
            _check_mm_dtype(a, b)
        return Matmul.apply(a, b)
    batch = broadcast_shapes(sa[:-2], sb[:-2])
    _check_batch(batch, sa[-1], sb[-2], a, b)
    return (MatmulTransposed if da == 2 else Matmul).apply(a, b)


def outer(input, vec2):
    """outer(input, vec2) -> Tensor

    The outer product of 1-D tensors (n,) and (m,): out[i][j] = input[i] * vec2[j], shape
    (n, m), dtypes promoted. ger is an alias."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return input.unsqueeze(1) * vec2


ger = outer


class Addmm(ArrayFunction):
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, c, a, b, beta, alpha):
        ctx.save_for_backward(a, b)
        ctx.c_shape, ctx.beta, ctx.alpha = c._arr.shape, beta, alpha
        def addmm_arrays(xp, c, a, b):
            ab = _matmul(xp, a, b)  # a fresh array: scaled and added in place
            if alpha != 1:
                ab *= alpha
            if beta == 0:  # PyTorch ignores input then (nan and inf in it do not propagate)
                return ab
            ab += c if beta == 1 else c * beta
            return ab
        return _dtype.in_opmath(addmm_arrays, a._be.xp, c._arr, a._arr, b._arr)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_c, need_a, need_b = ctx.needs_input_grad
        beta, alpha = ctx.beta, ctx.alpha
        g = gy if alpha == 1 else gy * alpha
        gc = sum_to(gy if beta == 1 else gy * beta, ctx.c_shape) if need_c else None
        return gc, mm(g, b.t()) if need_a else None, _mat2_grad(a, b, g) if need_b else None


@autocast_op(cpu=LOWER, cuda=LOWER)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor

    beta * input + alpha * (mat1 @ mat2) for 2-D mat1 and mat2, input broadcast to the
    product's shape; with beta=0, input is ignored (nan and inf in it don't propagate)."""
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    for name, t in (("self", input), ("mat1", mat1)):
        if t._arr.dtype != mat2._arr.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{t.dtype.scalar_name} and {mat2.dtype.scalar_name}")
    _check_not_bool(mat1)
    _check_mm_shape(mat1._arr.shape, mat2._arr.shape)
    expanded_shape(input, (mat1._arr.shape[0], mat2._arr.shape[1]))  # PyTorch's shape errors
    return Addmm.apply(input, mat1, mat2, beta, alpha)


def linear_backward(be, gy, x, w, bias_shape, need_b, need_x, need_w):
    """The gradients of bias (summed to ``bias_shape``), input (gy @ w) and weight
    (gy.T @ x, C-contiguous like the weight) that are needed, in that order (arrays of
    backend ``be``: y = x @ w.T + b)."""
    out = []
    if need_b:
        out.append(be.sum_to(gy, bias_shape))
    if need_x:
        out.append(_dtype.in_opmath(_matmul, be.xp, gy, w) if gy.dtype.char in _REDUCED
                   else _matmul(be.xp, gy, w))
    if need_w:
        out.append(_dtype.in_opmath(_matmul, be.xp, gy.T, x) if gy.dtype.char in _REDUCED
                   else _matmul(be.xp, gy.T, x))
    return tuple(out)


class Linear(ArrayFunction):
    """``input @ weight.t() + bias`` (nn.Linear with a bias, 2-D input) as one node.  PyTorch
    records addmm over a TBackward0 of the weight; here the transpose is folded into the
    node, so the graph is AddmmBackward0 -> (bias, input, weight) with one node fewer, and the
    weight's gradient ``gy.t() @ input`` comes out in the weight's own layout."""
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, bias, input, weight):
        ctx.save_for_backward(input, weight)
        ctx.bias_shape = bias._arr.shape
        if input._arr.dtype.char in _REDUCED:  # float16, bfloat16: in float32, rounded once
            return _dtype.in_opmath(_linear, input._be.xp, input._arr, weight._arr, bias._arr)
        return _linear(input._be.xp, input._arr, weight._arr, bias._arr)

    @staticmethod
    def backward(ctx, gy):
        input, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        if not any(need):
            return None, None, None
        grads = LinearGrad.apply(gy, input, weight, ctx.bias_shape, *need)
        grads = iter(grads if type(grads) is tuple else (grads,))
        return tuple([next(grads) if n else None for n in need])

    @staticmethod
    def array_backward(ctx, gy):
        input, weight = ctx.saved_arrays
        need = ctx.needs_input_grad
        if not any(need):
            return None, None, None
        grads = iter(linear_backward(ctx._be, gy, input, weight, ctx.bias_shape, *need))
        return tuple([next(grads) if n else None for n in need])


class LinearGrad(ArrayFunction):
    """The needed ones of (sum_to(gy, bias_shape), gy @ weight, gy.t() @ input) in one call
    (``linear_backward``): Linear's backward.  Its own backward is in Tensor ops."""
    node_name = "AddmmBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, input, weight, bias_shape, need_b, need_x, need_w):
        ctx.save_for_backward(gy, input, weight)
        ctx.need = need_b, need_x, need_w
        out = linear_backward(gy._be, gy._arr, input._arr, weight._arr, bias_shape, need_b,
                              need_x, need_w)
        return out if len(out) > 1 else out[0]

    @staticmethod
    def backward(ctx, *ggs):
        gy, input, weight = ctx.saved_tensors
        ggs = iter(ggs)
        ggb, ggx, ggw = (next(ggs) if n else None for n in ctx.need)
        need_gy, need_x, need_w = ctx.needs_input_grad
        dgy = None
        if need_gy:
            terms = [ggb.expand(gy.shape) if ggb is not None else None,
                     mm(ggx, weight.t()) if ggx is not None else None,
                     mm(input, ggw.t()) if ggw is not None else None]
            for t in terms:
                if t is not None:
                    dgy = t if dgy is None else dgy + t
        dx = mm(gy, ggw) if need_x and ggw is not None else None
        dw = mm(gy.t(), ggx) if need_w and ggx is not None else None
        return dgy, dx, dw


def linear_addmm(bias, input, weight):
    """``addmm(bias, input, weight.t())`` with addmm's checks, recorded as one node."""
    if input.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {input.ndim}-D tensor")
    if weight.ndim != 2:
        return addmm(bias, input, weight.t())  # t()'s own error for >2-D, else mat2's
    wdt = weight._arr.dtype
    if bias._arr.dtype != wdt or input._arr.dtype != wdt:
        return addmm(bias, input, weight.t())  # addmm's dtype error
    _check_not_bool(input)
    n, k = weight._arr.shape
    _check_mm_shape(input._arr.shape, (k, n))
    if bias._arr.shape not in ((n,), (input._arr.shape[0], n)):
        expanded_shape(bias, (input._arr.shape[0], n))  # PyTorch's shape errors
        return addmm(bias, input, weight.t())
    return Linear.apply(bias, input, weight)


def _matmul_op(self, other):
    """__matmul__(other) -> Tensor

    self @ other: matmul(self, other)."""
    return matmul(self, other) if isinstance(other, Tensor) else NotImplemented


def _rmatmul_op(self, other):
    """__rmatmul__(other) -> Tensor

    other @ self: matmul(other, self)."""
    return matmul(other, self) if isinstance(other, Tensor) else NotImplemented


METHODS = {"matmul": matmul, "mm": mm, "bmm": bmm, "dot": dot, "mv": mv, "outer": outer,
           "ger": ger, "addmm": addmm, "__matmul__": _matmul_op, "__rmatmul__": _rmatmul_op}
FUNCTIONS = {k: v for k, v in METHODS.items() if not k.startswith("__")}
