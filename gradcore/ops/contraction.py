"""Contractions: einsum, tensordot, inner, vdot, chain_matmul, the fused multiply-adds (addmv,
addr, baddbmm, addbmm) and cdist.

einsum runs ``xp.einsum`` (NumPy's and CuPy's) forward; the gradient of each operand is one
more einsum of gy with the other operands, with an identity matrix per repeated subscript (the
diagonal is scattered back) and a ones vector per subscript summed out of that operand alone
(broadcast back).  tensordot and inner are mm between reshapes, as in PyTorch (hence its node
names); the fused multiply-adds share one node class over their product's forward and gradients.
"""
import math
import string
import warnings

from .._autocast import FP32, LOWER, PROMOTE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim
from . import elementwise as _ew
from . import linalg as _la
from .declare import TENSOR
from .shape import broadcast_shapes, expanded_shape, sum_to
from .out import caller_level

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's label order


# ---- einsum: parsing, as PyTorch checks it ------------------------------------------------

def _parse_operand(k, term, ndim):
    """The labels of operand ``k`` (letters; ellipsis dims as ('.', j) aligned right) and the
    number of dims its ellipsis covers (None: no ellipsis)."""
    if term.count("...") > 1 or "." in term.replace("...", "", 1):
        raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of any "
                           "ellipsis")
    head, ell, tail = term.partition("...")
    for c in head + tail:
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index "
                               f"{term.index(c)} in the equation string, subscripts must be "
                               "in [a-zA-Z]")
    n = len(head) + len(tail)
    if (not ell and n != ndim) or (ell and n > ndim):
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) does not "
                           f"match the number of dimensions ({ndim}) for operand {k}"
                           + (" and no ellipsis was given" if not ell else ""))
    ne = ndim - n if ell else None
    return list(head) + [(".", -ne + j) for j in range(ne or 0)] + list(tail), ne


def _parse(equation, shapes):
    """(input labels per operand, output labels, {label: size}, any label summed)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    subs, n_ell = [], 0
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        labels, ne = _parse_operand(k, term, len(shape))
        subs.append(labels)
        n_ell = max(n_ell, ne or 0)
    ell = [(".", j) for j in range(-n_ell, 0)]
    sizes = {}
    for k, (labels, shape) in enumerate(zip(subs, shapes)):
        mine = {}
        for lab, n in zip(labels, shape):
            if lab in mine and mine[lab] != n:
                raise RuntimeError(f"einsum(): subscript {lab} is repeated for operand {k} but "
                                   f"the sizes don't match, {n} != {mine[lab]}")
            mine[lab] = n
            seen = sizes.get(lab, 1)
            if n != 1 and seen != 1 and n != seen:  # size 1 broadcasts (a 0 does not)
                if isinstance(lab, tuple):
                    raise RuntimeError(
                        f"einsum(): dimension {n_ell + lab[1]} covered by ellipsis in operand "
                        f"{k}has size {n} which does not broadcast with previously seen "
                        f"ellipsis with size {seen} for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {lab} has size {n} for operand {k} "
                                   f"which does not broadcast with previously seen size {seen}")
            sizes[lab] = n if seen == 1 else seen
    if arrow:
        if rhs.count("...") > 1 or "." in rhs.replace("...", "", 1):
            raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                               "already found")
        head, dots, tail = rhs.partition("...")
        out = list(head) + (ell if dots else []) + list(tail)
        for c in head + tail:
            if c not in _LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript given at index "
                                   f"{len(lhs) + 2 + rhs.index(c)} in the equation string, "
                                   "subscripts must be in [a-zA-Z]")
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
            if (head + tail).count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
    else:  # implicit: the ellipsis, then the letters that appear once, sorted
        counts = [lab for labels in subs for lab in labels if not isinstance(lab, tuple)]
        out = ell + sorted((c for c in set(counts) if counts.count(c) == 1), key=_LETTERS.index)
    summed = any(lab not in out for labels in subs for lab in labels)
    return subs, out, sizes, summed


class _Spec:
    """One einsum, in NumPy's letters: each operand's subscripts (dims of size 1 broadcast
    against a larger size dropped), the output's, each operand's shape without those dims."""
    __slots__ = ("terms", "out", "shapes", "sizes", "letters")

    def __init__(self, terms, out, shapes, sizes, letters):
        self.terms, self.out, self.shapes, self.sizes, self.letters = (terms, out, shapes, sizes,
                                                                       letters)

    @property
    def equation(self):
        return ",".join(self.terms) + "->" + self.out

    def gradient(self, k):
        """(spec, constants) of operand k's gradient: an einsum over (gy, the other operands,
        the constants), constants given as (kind, size) with kind "eye" or "ones"."""
        fresh = iter(c for c in _LETTERS if c not in self.letters)
        target, extra, consts = "", [], []
        sizes = dict(self.sizes)
        for c in self.terms[k]:
            if c in target:  # a repeated subscript: the gradient lies on the diagonal
                d = next(fresh)
                extra.append(c + d)
                consts.append(("eye", sizes[c]))
                sizes[d] = sizes[c]
                c = d
            target += c
        others = [self.out] + [t for j, t in enumerate(self.terms) if j != k]
        for c in dict.fromkeys(self.terms[k]):
            if not any(c in t for t in others):  # summed out of operand k alone
                extra.append(c)
                consts.append(("ones", self.sizes[c]))
        return _Spec(others + extra, target, None, sizes, self.letters + target), consts


def _letters_for(subs, out):
    """Each label (letters and ellipsis dims) as one NumPy letter."""
    names, free = {}, iter(c for c in _LETTERS if not any(c in s for s in subs))
    for lab in [lab for s in subs for lab in s] + out:
        if lab not in names:
            names[lab] = lab if isinstance(lab, str) else next(free)
    return names


def _spec(subs, out, sizes, shapes):
    names = _letters_for(subs, out)
    terms, eff = [], []
    for labels, shape in zip(subs, shapes):
        keep = [j for j, (lab, n) in enumerate(zip(labels, shape)) if n == sizes[lab]]
        terms.append("".join(names[labels[j]] for j in keep))
        eff.append(tuple(shape[j] for j in keep))
    letters = "".join(dict.fromkeys("".join(terms) + "".join(names[lab] for lab in out)))
    return _Spec(terms, "".join(names[lab] for lab in out), eff,
                 {names[lab]: n for lab, n in sizes.items()}, letters)


def _einsum_arrays(xp, spec, arrays):
    def einsum(xp, *arrays):  # float16, bfloat16: in float32, rounded once (as PyTorch)
        return xp.einsum(spec.equation, *arrays, optimize=len(arrays) > 2)
    out = _dtype.in_opmath(einsum, xp, *arrays)
    return out.copy() if len(arrays) == 1 else out  # NumPy returns views of one operand


def _constants(be, consts, dtype):
    xp = be.xp
    return [xp.eye(n, dtype=dtype) if kind == "eye" else xp.ones(n, dtype=dtype)
            for kind, n in consts]


class Einsum(ArrayFunction):
    """One einsum of any number of operands (``spec``: a _Spec)."""
    node_name = "ViewBackward0"  # several operands, a subscript summed (PyTorch's bmm, view)

    @staticmethod
    def forward(ctx, spec, *ops):
        ctx.save_for_backward(*ops)
        ctx.spec = spec
        arrays = [t._arr.reshape(s) for t, s in zip(ops, spec.shapes)]
        return _einsum_arrays(ops[0]._be.xp, spec, arrays)

    @staticmethod
    def backward(ctx, gy):
        spec, ops = ctx.spec, ctx.saved_tensors
        ops = [t.reshape(s) for t, s in zip(ops, spec.shapes)]
        grads = []
        for k, need in enumerate(ctx.needs_input_grad[:len(ops)]):
            if not need:
                grads.append(None)
                continue
            gspec, consts = spec.gradient(k)
            args = [gy] + ops[:k] + ops[k + 1:]
            args += [_wrap(c, gy._be) for c in _constants(gy._be, consts, gy._arr.dtype)]
            gspec.shapes = tuple(t._arr.shape for t in args)
            g = _node_class(len(args), True).apply(gspec, *args)
            grads.append(g.reshape(ctx.saved_tensors[k]._arr.shape))
        return tuple(grads)

    @staticmethod
    def array_backward(ctx, gy):
        spec, ops = ctx.spec, ctx.saved_arrays
        xp = ctx._be.xp
        shaped = [a.reshape(s) for a, s in zip(ops, spec.shapes)]
        grads = []
        for k, need in enumerate(ctx.needs_input_grad[:len(ops)]):
            if not need:
                grads.append(None)
                continue
            gspec, consts = spec.gradient(k)
            args = [gy] + shaped[:k] + shaped[k + 1:] + _constants(ctx._be, consts, gy.dtype)
            grads.append(_einsum_arrays(xp, gspec, args).reshape(ops[k].shape))
        return tuple(grads)


class EinsumMul(Einsum):
    node_name = "MulBackward0"  # several operands, nothing summed: PyTorch multiplies


class EinsumSum(Einsum):
    node_name = "SumBackward1"  # one operand, a subscript summed


class EinsumPermute(Einsum):
    node_name = "PermuteBackward0"  # one operand, nothing summed: a (diagonal) permute


def _node_class(n_ops, summed):
    if n_ops == 1:
        return EinsumSum if summed else EinsumPermute
    return Einsum if summed else EinsumMul


def _sublist_equation(args):
    """einsum(op1, sublist1, op2, sublist2, ..., [sublist_out]) as (equation, operands)."""
    def term(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
    n = len(args) // 2
    eq = ",".join(term(s) for s in args[1:2 * n:2])
    return eq + ("->" + term(args[-1]) if len(args) % 2 else ""), list(args[0:2 * n:2])


@autocast_op(cpu=LOWER, cuda=LOWER)
def einsum(*args):
    """einsum(equation, *operands) -> Tensor

    Sums the product of the operands over the subscripts of ``equation`` (NumPy's notation:
    '...' for broadcast dims, a subscript repeated in one operand takes its diagonal, no '->'
    for the implicit output, size-1 dims broadcast); operands may be one list, or come
    interleaved with integer sublists. Gradient: einsums of gy with the other operands."""
    if not args or (len(args) == 1 and isinstance(args[0], str)):
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, ops = _sublist_equation(args)
    else:
        equation, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                        f"{type(equation).__name__}")
    for k, t in enumerate(ops):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 1, but got "
                            f"{type(t).__name__}")
    subs, out, sizes, summed = _parse(equation, [t._arr.shape for t in ops])
    ops = _einsum_dtypes(ops, summed)
    return _node_class(len(ops), summed).apply(_spec(subs, out, sizes,
                                                     [t._arr.shape for t in ops]), *ops)


def _einsum_dtypes(ops, summed):
    """PyTorch's dtypes: one operand summed sums integers in int64; several operands are
    promoted when only multiplied, else must agree (its bmm's check)."""
    if len(ops) == 1:
        t = ops[0]
        return [t.to(_dtype.int64) if summed and t._arr.dtype.kind in "biu" else t]
    if not summed:
        dt = _dtype.result_type(*ops)
        return [t if t.dtype == dt else t.to(dt) for t in ops]
    for t in ops[1:]:
        if t.dtype != ops[0].dtype:
            raise RuntimeError(f"expected scalar type {ops[0].dtype.scalar_name} but found "
                               f"{t.dtype.scalar_name}")
    if ops[0]._arr.dtype.kind == "b":
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    return ops


# ---- tensordot, inner, vdot, chain_matmul -------------------------------------------------

def _tensordot_dims(a, b, dims):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    if not isinstance(dims, (list, tuple)) or len(dims) != 2:
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] "
                           f"or list[list[int]] containing two lists, but got dims={dims}")
    da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    return da, db


@autocast_op(cpu=LOWER, cuda=PROMOTE)
def tensordot(a, b, dims=2):
    """tensordot(a, b, dims=2, out=None) -> Tensor

    Contracts the last ``dims`` dims of a with the first ``dims`` of b, or the dims listed in
    ``dims`` = (dims_a, dims_b); the result has a's free dims then b's. An mm between
    reshapes (gradients through them)."""
    da, db = _tensordot_dims(a, b, dims)
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    da = [_wrap_dim(d, a.ndim) for d in da]
    db = [_wrap_dim(d, b.ndim) for d in db]
    for dims_, t in ((da, a), (db, b)):
        if len(set(dims_)) != len(dims_):
            dup = next(d for d in dims_ if dims_.count(d) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in "
                               f"dim {j}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    am = a.permute(fa + da).reshape(math.prod(a.shape[d] for d in fa), k)
    bm = b.permute(db + fb).reshape(k, math.prod(b.shape[d] for d in fb))
    return _la.mm(am, bm).reshape([a.shape[d] for d in fa] + [b.shape[d] for d in fb])


def inner(input, other):
    """inner(input, other) -> Tensor

    The sum of products over the last dims of both (a 0-d operand multiplies); shape
    input.shape[:-1] + other.shape[:-1]."""
    if not input.ndim or not other.ndim:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


class Vdot(_la.Dot):
    node_name = "VdotBackward0"
@autocast_op(cuda=PROMOTE)
def vdot(input, other):
    """vdot(input, other) -> Tensor

    The inner product of two 1-D tensors (real: the same as dot), as a 0-d tensor."""
    _la.dot(input.detach(), other.detach())  # dot's checks and messages, which vdot shares
    return Vdot.apply(input, other)
@autocast_op(cuda=LOWER)
def chain_matmul(*matrices):
    """chain_matmul(*matrices, out=None) -> Tensor

    The product of 2-D matrices, in the cheapest order (deprecated: see linalg.multi_dot,
    which it calls)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=caller_level())
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(list(matrices))


def _chain_order(dims):
    """split[i][j]: where the cheapest product of matrices i..j splits (PyTorch's dynamic
    program; ``dims``: the n + 1 sizes of the chain)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(ms, split, i, j):
    if i == j:
        return ms[i]
    k = split[i][j]
    return _la.mm(_chain(ms, split, i, k), _chain(ms, split, k + 1, j))


@autocast_op(cpu=LOWER, cuda=LOWER)
def multi_dot(tensors):
    """multi_dot(tensors, *, out=None) -> Tensor

    The product of two or more matrices in the cheapest order; the first may be a row vector
    and the last a column vector (1-D), their dim then dropped from the result."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    for k, t in enumerate(tensors):
        allowed = (1, 2) if k in (0, n - 1) else (2,)
        if t.ndim not in allowed:
            what = ("the first tensor" if k == 0 else "the last tensor" if k == n - 1
                    else f"tensor {k}")
            raise RuntimeError(f"multi_dot(): {what} must be "
                               + ("1D or 2D" if len(allowed) == 2 else "2D")
                               + f" but got {t.ndim}D")
        if t.dtype != first.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {_la._C_NAMES[first.dtype.name]} and tensor {k} "
                               f"{_la._C_NAMES[t.dtype.name]}")
    ms = list(tensors)
    ms[0] = first.unsqueeze(0) if first.ndim == 1 else first
    ms[-1] = last.unsqueeze(1) if last.ndim == 1 else last
    for k in range(n - 1):
        if ms[k].shape[1] != ms[k + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {k} and {k + 1} with shapes "
                               f"{list(tensors[k].shape)} and {list(tensors[k + 1].shape)} "
                               "cannot be multiplied")
    out_shape = [first.shape[0]] if first.ndim == 2 else []
    out_shape += [last.shape[1]] if last.ndim == 2 else []
    if n == 3:  # PyTorch's rule for three: (AB)C unless A(BC) is cheaper
        (a, b), (c, d) = ms[0].shape, ms[2].shape
        res = (_la.mm(ms[0], _la.mm(ms[1], ms[2])) if a * c * (b + d) > b * d * (a + c)
               else _la.mm(_la.mm(ms[0], ms[1]), ms[2]))
    else:
        dims = [m.shape[0] for m in ms] + [ms[-1].shape[1]]
        res = _chain(ms, _chain_order(dims), 0, n - 1)
    return res.view(out_shape)


# ---- the fused multiply-adds: beta * input + alpha * product ------------------------------

class _AddProduct(ArrayFunction):
    """``beta * c + alpha * product(a, b)``; subclasses give the product (``fwd``, on arrays)
    and its gradients (``grads``, Tensor ops)."""

    @classmethod
    def forward(cls, ctx, c, a, b, beta, alpha):
        ctx.save_for_backward(a, b)
        ctx.c_shape, ctx.beta, ctx.alpha = c._arr.shape, beta, alpha
        def add_product(xp, c, a, b):
            ab = cls.fwd(xp, a, b)
            if alpha != 1:
                ab = ab * alpha
            if beta == 0:  # PyTorch ignores input then (nan and inf in it do not propagate)
                return ab
            return ab + (c if beta == 1 else c * beta)
        return _dtype.in_opmath(add_product, a._be.xp, c._arr, a._arr, b._arr)

    @classmethod
    def backward(cls, ctx, gy):
        a, b = ctx.saved_tensors
        need_c, need_a, need_b = ctx.needs_input_grad
        beta, alpha = ctx.beta, ctx.alpha
        gc = sum_to(gy if beta == 1 else gy * beta, ctx.c_shape) if need_c else None
        ga, gb = cls.grads(gy if alpha == 1 else gy * alpha, a, b, need_a, need_b)
        return gc, ga, gb


class Addmv(_AddProduct):
    node_name = "AddmvBackward0"
    fwd = staticmethod(lambda xp, a, b: xp.matmul(a, b))

    @staticmethod
    def grads(g, a, b, need_a, need_b):
        return _la.outer(g, b) if need_a else None, _la.mv(a.t(), g) if need_b else None


class Addr(_AddProduct):
    node_name = "AddrBackward0"
    fwd = staticmethod(lambda xp, a, b: a[:, None] * b)

    @staticmethod
    def grads(g, a, b, need_a, need_b):
        return _la.mv(g, b) if need_a else None, _la.mv(g.t(), a) if need_b else None


class Baddbmm(_AddProduct):
    node_name = "BaddbmmBackward0"
    fwd = staticmethod(lambda xp, a, b: xp.matmul(a, b))

    @staticmethod
    def grads(g, a, b, need_a, need_b):
        return _la.bmm(g, b.mT) if need_a else None, _la.bmm(a.mT, g) if need_b else None


class Addbmm(_AddProduct):
    node_name = "AddbmmBackward0"
    fwd = staticmethod(lambda xp, a, b: xp.matmul(a, b).sum(0))

    @staticmethod
    def grads(g, a, b, need_a, need_b):
        return (_la.matmul(g, b.mT) if need_a else None,
                _la.matmul(a.mT, g) if need_b else None)
@autocast_op(cuda=LOWER)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor

    beta * input + alpha * (mat @ vec) for a 2-D mat and a 1-D vec, input broadcast to the
    product's (n,); with beta=0, input is ignored."""
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    n = mat.shape[0]
    if input.shape not in ((n,), (1,), ()) or mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), "
                           f"mat ({n}x{mat.shape[1]}), vec ({vec.shape[0]})")
    dts = [t.dtype for t in (input, mat, vec)]
    if len(set(dts)) > 1:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           + ", ".join(d.scalar_name for d in dts[:2]) + f", and "
                           f"{dts[2].scalar_name}")
    _la._check_not_bool(mat)
    return Addmv.apply(input, mat, vec, beta, alpha)
@autocast_op(cuda=LOWER)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """addr(input, vec1, vec2, *, beta=1, alpha=1, out=None) -> Tensor

    beta * input + alpha * outer(vec1, vec2), input broadcast to (n, m); dtypes promoted; with
    beta=0, input is ignored."""
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.ndim}-D")
    dt = _dtype.result_type(input, vec1, vec2)
    input, vec1, vec2 = (t if t.dtype == dt else t.to(dt) for t in (input, vec1, vec2))
    expanded_shape(input, (vec1.shape[0], vec2.shape[0]))
    return Addr.apply(input, vec1, vec2, beta, alpha)


def _check_batched(name, input, b1, b2, shape):
    for arg, t in (("batch1", b1), ("batch2", b2)):
        if t.ndim != 3:
            raise RuntimeError(f"{arg} must be a 3D tensor")
    (p, n, k), (q, k2, m) = b1.shape, b2.shape
    if (p, k) != (q, k2):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{p}, {k}] but got: [{q}, {k2}].")
    if b1.dtype != b2.dtype and input.dtype == b1.dtype:
        raise RuntimeError(f"expected scalar type {b1.dtype.scalar_name} but found "
                           f"{b2.dtype.scalar_name}")
    if len({input.dtype, b1.dtype, b2.dtype}) > 1:
        raise RuntimeError(f"Input dtypes must be the same, got: input "
                           f"{_la._C_NAMES[input.dtype.name]}, batch1: "
                           f"{_la._C_NAMES[b1.dtype.name]}, batch2: "
                           f"{_la._C_NAMES[b2.dtype.name]}")
    _la._check_not_bool(b1)
    expanded_shape(input, shape(p, n, m))


@autocast_op(cpu=LOWER, cuda=LOWER)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor

    beta * input + alpha * bmm(batch1, batch2), input broadcast to (b, n, m); with beta=0,
    input is ignored."""
    _check_batched("baddbmm", input, batch1, batch2, lambda p, n, m: (p, n, m))
    return Baddbmm.apply(input, batch1, batch2, beta, alpha)


@autocast_op(cpu=LOWER, cuda=LOWER)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor

    beta * input + alpha * (the sum over the batch of bmm(batch1, batch2)), input broadcast to
    (n, m); with beta=0, input is ignored."""
    _check_batched("addbmm", input, batch1, batch2, lambda p, n, m: (n, m))
    return Addbmm.apply(input, batch1, batch2, beta, alpha)


# ---- cdist ----------------------------------------------------------------------------------

def _pnorm(xp, d, p):
    """The p-norm of ``d`` over its last axis (arrays)."""
    a = xp.abs(d)
    if p == 2:
        return xp.sqrt((d * d).sum(-1))
    if p == 1:
        return a.sum(-1)
    if p == 0:
        return (d != 0).sum(-1).astype(d.dtype)
    if p == math.inf:
        return a.max(-1) if d.shape[-1] else xp.zeros(d.shape[:-1], d.dtype)
    return (a ** p).sum(-1) ** (1 / p)


class Cdist(ArrayFunction):
    node_name = "CdistBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x1, x2, p):
        ctx.save_for_backward(x1, x2)
        ctx.p = p
        d = x1._arr[..., :, None, :] - x2._arr[..., None, :, :]
        return _pnorm(x1._be.xp, d, p)

    @staticmethod
    def backward(ctx, gy):
        x1, x2, y = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return (x1 * 0 if ctx.needs_input_grad[0] else None,
                    x2 * 0 if ctx.needs_input_grad[1] else None)
        d = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        y, g = y.unsqueeze(-1), gy.unsqueeze(-1)
        safe = _ew.where(y == 0, 1.0, y)  # equal rows: the gradient is 0 there (PyTorch's)
        if p == 1:
            dd = _ew.sign(d)
        elif p == 2:
            dd = d / safe
        elif p == math.inf:
            dd = _ew.sign(d) * (d.abs() == y)
        else:
            dd = _ew.sign(d) * _ew.where(d == 0, 1.0, d.abs()) ** (p - 1) / safe ** (p - 1)
        dd = g * _ew.where(y == 0, 0.0, dd)
        g1 = sum_to(dd.sum(-2), x1._arr.shape) if ctx.needs_input_grad[0] else None
        g2 = sum_to(-dd.sum(-3), x2._arr.shape) if ctx.needs_input_grad[1] else None
        return g1, g2


def _euclidean_dist_backward(F, gy, x1, x2, res):
    """PyTorch's _euclidean_dist_backward, on arrays (F = xp) or Tensors (F = TENSOR): with
    ratio = gy / res (0 where res is 0), x1 * sum(ratio, -1) - ratio @ x2 and its mirror."""
    ratio = F.where(res == 0, 0.0, gy / F.where(res == 0, 1.0, res))
    return (x1 * F.sum(ratio, axis=-1, keepdims=True) - ratio @ x2,
            x2 * F.sum(ratio, axis=-2, keepdims=True).mT - ratio.mT @ x1)


class EuclideanDist(ArrayFunction):
    """cdist's matrix-product path for p = 2 (PyTorch's _euclidean_dist, one node):
    sqrt(max(|a|^2 + |b|^2 - 2 a b^T, 0)) as one product of [-2a, |a|^2, 1] and
    [b, 1, |b|^2]; O(P R M) by BLAS instead of a (P, R, M) difference tensor."""
    node_name = "EuclideanDistBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x1, x2):
        ctx.save_for_backward(x1, x2)
        xp, a, b = x1._be.xp, x1._arr, x2._arr
        an, bn = (a * a).sum(-1, keepdims=True), (b * b).sum(-1, keepdims=True)
        left = xp.concatenate([-2 * a, an, xp.ones_like(an)], -1)
        right = xp.concatenate([b, xp.ones_like(bn), bn], -1)
        r = _la._matmul(xp, left, right.swapaxes(-1, -2))
        xp.maximum(r, 0, out=r)
        return xp.sqrt(r, out=r)

    @staticmethod
    def array_backward(ctx, gy):
        x1, x2, res = ctx.saved_arrays
        return _euclidean_dist_backward(ctx._be.xp, gy, x1, x2, res)

    @staticmethod
    def backward(ctx, gy):
        x1, x2, res = ctx.saved_tensors
        return _euclidean_dist_backward(TENSOR, gy, x1, x2, res)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


@autocast_op(cpu=FP32, cuda=FP32)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """cdist(x1, x2, p=2.0, compute_mode='use_mm_for_euclid_dist_if_necessary') -> Tensor

    The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M):
    (..., P, R), batch dims broadcast. Gradient: 0 where two rows are equal.  For p = 2 with
    more than 25 rows on either side (or compute_mode='use_mm_for_euclid_dist') it takes
    PyTorch's matrix-product path (``EuclideanDist``), as PyTorch does: faster, and PyTorch's
    numbers (less exact for nearly equal rows than the direct differences)."""
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t.ndim}D")
    for name, t in (("X1", x1), ("X2", x2)):
        if not _dtype.is_floating(t._arr.dtype):
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{t.dtype.scalar_name}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {x1.dtype.scalar_name} but found "
                           f"{x2.dtype.scalar_name}")
    batch = broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    P, R = x1.shape[-2], x2.shape[-2]
    if p == 2 and (compute_mode == _CDIST_MODES[1] or
                   compute_mode == _CDIST_MODES[0] and (P > 25 or R > 25)):
        m = x1.shape[-1]  # as PyTorch: batch dims expanded and flattened, the result a view
        if batch:
            a = x1.expand(tuple(batch) + (P, m)).reshape(-1, P, m)
            b = x2.expand(tuple(batch) + (R, m)).reshape(-1, R, m)
        else:
            a, b = x1, x2
        return EuclideanDist.apply(a, b).view(tuple(batch) + (P, R))
    return Cdist.apply(x1, x2, float(p))


METHODS = {"addmv": addmv, "addr": addr, "baddbmm": baddbmm, "addbmm": addbmm, "inner": inner,
           "vdot": vdot}
FUNCTIONS = {"einsum": einsum, "tensordot": tensordot, "chain_matmul": chain_matmul,
             "cdist": cdist, **METHODS}
