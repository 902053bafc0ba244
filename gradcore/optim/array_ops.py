"""The optimizers' update rules share these: in-place array arithmetic as PyTorch's, and slicing.

The rules (sgd.py, adam.py, rmsprop.py, adagrad.py) are functions of the array module ``xp``
updating the parameter and its state in place; SGD's and Adam's are registered kernels
(backend/kernels.py: their CUDA versions in kernels/optimizer.cu launch on CuPy).

PyTorch's single-tensor arithmetic, op for op (its ``add(x, alpha=a)`` is one fused
multiply-add, as its CPU kernel: ``ops/scaled_add.py``; ``addcmul(t1, t2, value=v)`` is
(v * t1) * t2 then +, ``addcdiv`` (v * t1) / t2 then +).
Scalars are Python numbers, so they take the arrays' dtype, as PyTorch's do.  On the host a
parameter larger than SLICE_BYTES is updated slice by slice (``sliced``): the rule runs on
aligned flat slices of it and its state, so its temporaries are slice-sized, never the
parameter's size (PyTorch's in-place update makes none).  The same elementwise ops on the
same elements: the same bits.  Plain momentum SGD, the common case, needs no scratch but its
last ``p += -lr * buf``: that one runs in slices on its own (``add_scaled_``), without the
whole rule's cost per slice.  Slices of 256 KiB cost nothing measurable against whole-array
updates (fewer page faults make up for the calls); 64 KiB ones made a 784x512 SGD step 1.7x
slower.
"""
import numpy as np

from ..ops.scaled_add import add_scaled

SLICE_BYTES = 256 * 1024  # 64K float32 / 32K float64 elements a slice


def sliced(step, xp, arrays, args):
    """Run the update rule ``step`` (called as ``step(xp, *arrays, *args)``) slice by slice
    when ``arrays`` (the parameter first, then its gradient and state, None kept) are host
    arrays of one shape, all C-contiguous, and the parameter has more than one slice; returns
    whether it did (if not, the caller updates the arrays whole)."""
    p = arrays[0]
    per = max(1, SLICE_BYTES // p.itemsize)
    if xp is not np or p.size <= per or any(
            a is not None and (a.shape != p.shape or not a.flags.c_contiguous)
            for a in arrays):
        return False
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    for lo in range(0, p.size, per):
        step(xp, *[None if a is None else a[lo:lo + per] for a in flat], *args)
    return True


def add_scaled_(xp, p, x, alpha):
    """p += alpha * x rounded once (PyTorch's ``add_(x, alpha=alpha)``: ops/scaled_add.py),
    slice by slice when ``p`` is a large contiguous host array (slice-sized temporaries)."""
    per = max(1, SLICE_BYTES // p.itemsize)
    if (xp is not np or p.size <= per or x.shape != p.shape or not p.flags.c_contiguous
            or not x.flags.c_contiguous):
        add_scaled(xp, p, x, alpha, out=p)
        return
    pf, xf = p.reshape(-1), x.reshape(-1)
    for lo in range(0, p.size, per):
        pv = pf[lo:lo + per]
        add_scaled(np, pv, xf[lo:lo + per], alpha, out=pv)


def update_grad(xp, p, g, weight_decay, maximize):
    """The gradient an update uses, -g when maximizing, plus weight_decay * p; returns it
    and a scratch array the caller may overwrite (None when it is ``g`` itself)."""
    if weight_decay != 0:  # grad.add(param, alpha=weight_decay): one fma
        d = add_scaled(xp, xp.negative(g) if maximize else g, p, weight_decay)
        return d, d
    if maximize:
        d = xp.negative(g)
        return d, d
    return g, None


def adam_moments_(xp, p, g, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled,
                  maximize):
    """The moment updates Adam's family shares, in place: decoupled weight decay on ``p``
    (AdamW's), the gradient used (update_grad), ``exp_avg`` lerped toward it and
    ``exp_avg_sq`` toward its square.  Returns (d, scratch, tmp) as update_grad's plus a
    scratch array of the moments' shape."""
    if weight_decay != 0 and decoupled:
        xp.multiply(p, 1 - lr * weight_decay, out=p)
        weight_decay = 0
    d, scratch = update_grad(xp, p, g, weight_decay, maximize)
    tmp = xp.empty_like(exp_avg)
    lerp_(xp, exp_avg, d, 1 - beta1, tmp)
    xp.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
    addcmul_(xp, exp_avg_sq, d, d, 1 - beta2, tmp)
    return d, scratch, tmp


def lerp_(xp, a, b, weight, tmp):
    """a = lerp(a, b, weight) in place with PyTorch's two-sided formula."""
    w = a.dtype.type(weight)
    xp.subtract(b, a, out=tmp)
    if abs(w) < 0.5:
        xp.multiply(tmp, w, out=tmp)
        xp.add(a, tmp, out=a)
    else:
        xp.multiply(tmp, a.dtype.type(1) - w, out=tmp)
        xp.subtract(b, tmp, out=a)


def addcmul_(xp, a, t1, t2, value, tmp):
    xp.multiply(t1, value, out=tmp)
    xp.multiply(tmp, t2, out=tmp)
    xp.add(a, tmp, out=a)


def addcdiv_(xp, a, t1, t2, value, tmp):
    tmp = xp.multiply(t1, value, out=tmp)
    xp.divide(tmp, t2, out=tmp)
    xp.add(a, tmp, out=a)


def in_opmath_(step, xp, arrays, written, args):
    """``step(xp, *arrays, *args)`` as the multi-tensor kernels compute it: float16 and
    bfloat16 arrays widened to float32 first and the ``written`` ones (indices into
    ``arrays``) rounded back once at the end; other dtypes updated directly."""
    p = arrays[0]
    if p.dtype.char not in "eE":
        step(xp, *arrays, *args)
        return
    wide = [None if a is None else a.astype(np.float32) for a in arrays]
    step(xp, *wide, *args)
    for i in written:
        if arrays[i] is not None:
            arrays[i][...] = wide[i].astype(arrays[i].dtype)


def grouped_(step, xp, lists, written, args):
    """``step(xp, *arrays, *args)`` once on the concatenation of each list of arrays (a list
    may be None), the ``written`` lists copied back into their arrays: the update of many
    small parameters in a few NumPy calls, element for element the same operations as one
    call per parameter (so the same bits).  The arrays are C-contiguous."""
    flat = [None if arrays is None else xp.concatenate([a.reshape(-1) for a in arrays])
            for arrays in lists]
    step(xp, *flat, *args)
    for k in written:
        if lists[k] is None:
            continue
        src, off = flat[k], 0
        for a in lists[k]:
            n = a.size
            xp.copyto(a.reshape(-1), src[off:off + n])
            off += n
