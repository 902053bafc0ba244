"""cat / stack / hstack / vstack / split / chunk / unbind / flip / roll / repeat / tile: values,
node names and gradients against PyTorch, gradcheck, views, errors."""
import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck
from gradcore.backend.numpy_backend import NumpyBackend


def _np(t):
    return t.detach().cpu().numpy()


def _name(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


def _run_both(torch, fn, arrays, dtypes=None):
    """fn(lib, *tensors) on gradcore and torch; outputs (one or a tuple), node names, dtypes
    and the gradients of every floating input under the same upstream gradients."""
    dtypes = dtypes or [None] * len(arrays)
    res = []
    for lib in (gradcore, torch):
        ts = [lib.tensor(a, dtype=getattr(lib, d) if d else None) for a, d in zip(arrays, dtypes)]
        for t in ts:
            if t.is_floating_point():
                t.requires_grad_()
        out = fn(lib, *ts)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        rng = np.random.default_rng(11)
        gys = [rng.standard_normal(tuple(o.shape)) for o in outs]
        loss = sum((o * lib.tensor(g, dtype=o.dtype)).sum() for o, g in zip(outs, gys)
                   if o.requires_grad)
        if isinstance(loss, (gradcore.Tensor, torch.Tensor)):
            loss.backward()
        res.append(([_np(o) if lib is gradcore else o.detach().numpy() for o in outs],
                    [str(o.dtype).split(".")[-1] for o in outs], [_name(o) for o in outs],
                    [None if t.grad is None else (_np(t.grad) if lib is gradcore else
                                                  t.grad.numpy()) for t in ts],
                    [str(t.grad.dtype).split(".")[-1] if t.grad is not None else None
                     for t in ts]))
    g, t = res
    assert len(g[0]) == len(t[0])
    for a, b in zip(g[0], t[0]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert g[1] == t[1] and g[2] == t[2] and g[4] == t[4]
    for a, b in zip(g[3], t[3]):
        assert (a is None) == (b is None)
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6)
    return g


A = np.arange(6.0).reshape(2, 3) / 5 - 0.3
B = np.arange(12.0).reshape(4, 3) / 7 + 0.1
C = np.arange(24.0).reshape(2, 3, 4) / 11


@pytest.mark.parametrize("fn,arrays,dtypes", [
    (lambda M, a, b: M.cat([a, b]), (A, B), None),
    (lambda M, a, b: M.cat((a, b), 0), (A, A), None),
    (lambda M, a, b: M.cat([a, b, a], dim=1), (A, A), None),
    (lambda M, a, b: M.cat([a, b], -1), (A, A * 2), None),
    (lambda M, a, b: M.concat([a, b]), (A, B), None),
    (lambda M, a, b: M.concatenate([a, b], axis=1), (A, A), None),
    (lambda M, a, b: M.cat([a, b]), (A, B), ("float32", "float64")),
    (lambda M, a, b: M.cat([a, b]), (A, B.astype(np.int64)), ("float32", None)),
    (lambda M, a, b: M.cat([a, b]), (A.astype(np.int64), B > 0.5), None),
    (lambda M, a, b: M.cat([a, b, a[:0, :]], 0), (A, B), None),
    (lambda M, a, b: M.cat([a, M.zeros(0, dtype=a.dtype), b]), (A, B), None),  # legacy skip
    (lambda M, a: M.cat([a]), (A,), None),
    (lambda M, a, b: M.stack([a, b]), (A, A * 3), None),
    (lambda M, a, b: M.stack([a, b, a], 1), (A, A * 3), None),
    (lambda M, a, b: M.stack((a, b), dim=-1), (A, A * 3), None),
    (lambda M, a, b: M.stack([a, b], 2), (A, A), ("float32", "float64")),
    (lambda M, a, b: M.stack([a[0, 0], b[0, 0]]), (A, A), None),
    (lambda M, a, b: M.hstack([a, b]), (A, A), None),
    (lambda M, a, b: M.hstack([a[0], b[1], a[0, 1]]), (A, A), None),
    (lambda M, a, b: M.vstack([a, b]), (A, B), None),
    (lambda M, a, b: M.vstack([a[0], b[1], a]), (A, B), None),
    (lambda M, a: a.split(2), (B,), None),
    (lambda M, a: a.split(3, 0), (B,), None),
    (lambda M, a: M.split(a, 2, dim=1), (B,), None),
    (lambda M, a: a.split([1, 3]), (B,), None),
    (lambda M, a: a.split([0, 2, 1], -1), (B,), None),
    (lambda M, a: a.split(5), (B,), None),
    (lambda M, a: a.split(2)[1], (B,), None),  # only one output gets a gradient
    (lambda M, a: a.chunk(3), (B,), None),
    (lambda M, a: M.chunk(a, 2, 1), (B,), None),
    (lambda M, a: a.chunk(4, -1), (C,), None),
    (lambda M, a: a.unbind(), (A,), None),
    (lambda M, a: M.unbind(a, 1), (A,), None),
    (lambda M, a: a.unbind(-1)[2], (C,), None),
    (lambda M, a: list(a), (A,), None),
    (lambda M, a: a.flip(0), (C,), None),
    (lambda M, a: a.flip([0, 2]), (C,), None),
    (lambda M, a: a.flip(2, 0), (C,), None),
    (lambda M, a: M.flip(a, (-1,)), (C,), None),
    (lambda M, a: a.flip(()), (C,), None),
    (lambda M, a: a.roll(1), (C,), None),
    (lambda M, a: a.roll(-2, 1), (C,), None),
    (lambda M, a: M.roll(a, (1, 5), (0, -1)), (C,), None),
    (lambda M, a: M.roll(a, 7, ()), (A,), None),
    (lambda M, a: a.repeat(2, 1), (A,), None),
    (lambda M, a: a.repeat(2, 1, 3), (A,), None),
    (lambda M, a: a.repeat((1, 0)), (A,), None),
    (lambda M, a: a.repeat([3]), (A[0],), None),
    (lambda M, a: a.tile(2), (A,), None),
    (lambda M, a: M.tile(a, (2, 1, 2)), (A,), None),
    (lambda M, a: a.tile((3, 2)), (A[0],), None),
    (lambda M, a: a.tile(2, 2), (A,), None),
])
def test_join_ops_match_torch(torch, fn, arrays, dtypes):
    _run_both(torch, fn, arrays, dtypes)


@pytest.mark.parametrize("fn,name", [
    (lambda M, a: M.cat([a, a]), "CatBackward0"),
    (lambda M, a: M.stack([a, a]), "StackBackward0"),
    (lambda M, a: M.hstack([a, a]), "CatBackward0"),
    (lambda M, a: a.split(1)[0], "SplitBackward0"),
    (lambda M, a: a.split([1, 1])[1], "SplitWithSizesBackward0"),
    (lambda M, a: a.chunk(2)[0], "SplitBackward0"),
    (lambda M, a: a.unbind()[0], "UnbindBackward0"),
    (lambda M, a: a.flip(0), "FlipBackward0"),
    (lambda M, a: a.roll(1), "RollBackward0"),
    (lambda M, a: a.repeat(1, 2), "RepeatBackward0"),
    (lambda M, a: a.tile(2), "RepeatBackward0"),
])
def test_node_names(torch, fn, name):
    for lib in (gradcore, torch):
        a = lib.tensor(A, requires_grad=True)
        assert _name(fn(lib, a)) == name


def test_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(2)
    a = gradcore.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = gradcore.tensor(rng.standard_normal((1, 3)), requires_grad=True)
    c = gradcore.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    for f, ins in [
        (lambda a, b: gradcore.cat([a, b, a]), (a, b)),
        (lambda a, c: gradcore.stack([a, c], 1), (a, c)),
        (lambda a, b: gradcore.vstack([b[0], a]), (a, b)),
        (lambda a: a.split([2, 1], 1), (a,)),
        (lambda a: a.split(1)[1], (a,)),
        (lambda a: a.chunk(3, 1), (a,)),
        (lambda a: a.unbind(1), (a,)),
        (lambda a: a.unbind(0)[0] * 3, (a,)),
        (lambda a: a.flip((0, 1)), (a,)),
        (lambda a: a.roll((1, -1), (0, 1)), (a,)),
        (lambda a: a.roll(2), (a,)),
        (lambda a: a.repeat(2, 1, 2), (a,)),
        (lambda a: a.tile(2), (a,)),
    ]:
        assert gradcheck(f, ins)
        assert gradgradcheck(f, ins)


def test_split_chunk_unbind_are_views():
    x = gradcore.zeros(4, 3)
    parts = x.split(2)
    parts[1][0, 0] = 5.0
    assert x[2, 0].item() == 5.0
    assert parts[0]._version == x._version == 1
    rows = x.unbind()
    rows[3].fill_(2.0)
    assert x[3].tolist() == [2, 2, 2]
    cols = x.chunk(3, 1)
    x.add_(1)
    assert cols[0][:, 0].tolist() == [1, 1, 6, 3]
    assert [r.tolist() for r in x] == x.tolist()
    cat = gradcore.cat([x, x])
    cat[0, 0] = -1.0
    assert x[0, 0].item() == 1.0  # cat, stack, flip, roll, repeat copy
    for y in (gradcore.stack([x]), x.flip(0), x.roll(1), x.repeat(1, 1)):
        assert y.data_ptr() != x.data_ptr()


def test_inplace_on_unbind_and_split_outputs_reach_base(torch):
    """gradcore lets a split/unbind output be modified in place (PyTorch forbids it for
    multi-output views): the base is rebased as for x[1].mul_(3) / x[2:].exp_() in torch."""
    grads = []
    for lib in (gradcore, torch):
        w = lib.tensor(B, requires_grad=True)
        x = w * 1
        if lib is gradcore:
            x.unbind(0)[1].mul_(3)
            x.split([2, 2])[1].exp_()
        else:
            x[1].mul_(3)
            x[2:].exp_()
        (x * x).sum().backward()
        grads.append((_np(x) if lib is gradcore else x.detach().numpy(),
                      _np(w.grad) if lib is gradcore else w.grad.numpy(), _name(x)))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])
    assert grads[0][2] == grads[1][2] == "CopySlices"


def test_cat_promotes_and_casts_gradients_back():
    a = gradcore.ones(2, dtype=gradcore.float32, requires_grad=True)
    b = gradcore.ones(2, dtype=gradcore.float64, requires_grad=True)
    y = gradcore.cat([a, b])
    assert y.dtype is gradcore.float64
    (y * gradcore.arange(4.0, dtype=gradcore.float64)).sum().backward()
    assert a.grad.dtype is gradcore.float32 and a.grad.tolist() == [0, 1]
    assert b.grad.dtype is gradcore.float64 and b.grad.tolist() == [2, 3]


def test_iter_uses_unbind():
    x = gradcore.tensor(A, requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and all(_name(r) == "UnbindBackward0" for r in rows)
    (rows[1] * 2).sum().backward()
    assert x.grad.tolist() == [[0, 0, 0], [2, 2, 2]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(gradcore.tensor(1.0))


# ---- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call,exc,msg", [
    (lambda M: M.cat([]), ValueError, r"torch.cat\(\): expected a non-empty list of Tensors"),
    (lambda M: M.cat([M.zeros(2, 2), M.zeros(3, 3)], 1), RuntimeError,
     r"Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for "
     r"tensor number 1 in the list."),
    (lambda M: M.cat([M.zeros(2, 2), M.zeros(2, 2), M.zeros(2, 4)], 0), RuntimeError,
     r"Sizes of tensors must match except in dimension 0. Expected size 2 but got size 4 for "
     r"tensor number 2 in the list."),
    (lambda M: M.cat([M.zeros(2, 2), M.zeros(2)], 1), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 1"),
    (lambda M: M.cat([M.zeros(2), M.zeros(())]), RuntimeError,
     r"zero-dimensional tensor \(at position 1\) cannot be concatenated"),
    (lambda M: M.cat([M.zeros(2, 2)], 2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda M: M.cat(M.zeros(2, 2)), TypeError, "must be tuple of Tensors, not Tensor"),
    (lambda M: M.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda M: M.stack([M.zeros(2, 3), M.zeros(2, 4)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[2, 4\] at "
     r"entry 1"),
    (lambda M: M.stack([M.zeros(2, 3)], 3), IndexError,
     r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"),
    (lambda M: M.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda M: M.zeros(5).split([2, 2]), RuntimeError,
     r"split_with_sizes expects split_sizes to sum exactly to 5 \(input tensor's size at "
     r"dimension 0\), but got split_sizes=\[2, 2\]"),
    (lambda M: M.zeros(5).split([6, -1]), RuntimeError,
     r"split_with_sizes expects split_sizes have only non-negative entries, but got "
     r"split_sizes=\[6, -1\]"),
    (lambda M: M.zeros(5).split(0), RuntimeError,
     "split_size can only be 0 if dimension size is 0, but got dimension size of 5"),
    (lambda M: M.zeros(5).split(-1), RuntimeError,
     "split expects split_size be non-negative, but got split_size=-1"),
    (lambda M: M.zeros(()).split(1), RuntimeError,
     "split expects at least a 1-dimensional tensor"),
    (lambda M: M.zeros(5).chunk(0), RuntimeError,
     "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda M: M.zeros(()).unbind(0), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda M: M.zeros(2, 3).flip((0, 0)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    (lambda M: M.zeros(2, 3).roll((1, 2)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:0"),
    (lambda M: M.zeros(2, 3).roll((1, 2), 0), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda M: M.zeros(2, 3).roll(()), RuntimeError, "`shifts` required"),
    (lambda M: M.zeros(2, 3).roll(1, 2), IndexError, "Dimension out of range"),
    (lambda M: M.zeros(2, 3).repeat(2), RuntimeError,
     "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
     "tensor"),
    (lambda M: M.zeros(2, 3).repeat(-1, 2), RuntimeError,
     r"Trying to create tensor with negative dimension -2: \[-2, 6\]"),
])
def test_errors(torch, call, exc, msg):
    for lib in (gradcore, torch):
        with pytest.raises(exc, match=msg):
            call(lib)


def test_cat_stack_mixed_devices():
    class FakeCuda(NumpyBackend):
        device = gradcore.device("cuda:0")

    a, b = gradcore.zeros(2), gradcore.zeros(2)
    b._be = FakeCuda()
    for fn in (gradcore.cat, gradcore.stack):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, "
                                               "but found at least two devices, cpu and "
                                               "cuda:0!"):
            fn([a, b])


def test_join_on_device(device):
    x = gradcore.tensor(B, device=device, requires_grad=True)
    parts = x.split([1, 3])
    y = gradcore.cat([parts[1], x.flip(0), x.roll(1, 0)]).sum() + gradcore.stack(
        list(x)).repeat(2, 1).sum() + x.chunk(2)[0].sum()
    y.backward()
    want = np.full(B.shape, 4.0)
    want[1:] += 1
    want[:2] += 1
    np.testing.assert_allclose(_np(x.grad), want)
    assert parts[0].device == x.device
