"""Indexing: x[key] and x[key] = v (PyTorch's semantics, views, version counters, autograd),
and index_select / gather / scatter / masked_* / take_along_dim / nonzero / narrow / select."""
import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck


def _np(t):
    return t.detach().cpu().numpy()


def _name(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


def _leaf(arr, device="cpu"):
    return gradcore.tensor(arr, device=device, requires_grad=True)


# ---- x[key] against PyTorch ------------------------------------------------------------------

def _mask_row(M):
    return M.tensor([True, False, True])


GETITEM = [  # (shape, key builder taking the library)
    ((3,), lambda M: 1),
    ((3,), lambda M: -3),
    ((3, 4), lambda M: (1, 2)),
    ((3, 4), lambda M: (-1, -4)),
    ((3, 4), lambda M: (slice(None), 2)),
    ((3, 4, 5), lambda M: (Ellipsis, 1)),
    ((3, 4, 5), lambda M: (1, Ellipsis, slice(1, 3))),
    ((3, 4), lambda M: slice(1, None)),
    ((3, 4), lambda M: slice(None)),
    ((3, 4), lambda M: slice(None, None, 2)),
    ((5, 6), lambda M: (slice(1, 4, 2), slice(None, -1, 3))),
    ((3, 4), lambda M: slice(5, None)),
    ((3, 4), lambda M: (slice(-10, 10), slice(2, 1))),
    ((3, 4), lambda M: (None, 1)),
    ((3, 4), lambda M: (1, None)),
    ((3, 4), lambda M: None),
    ((3, 4), lambda M: (None, Ellipsis, None)),
    ((3, 4), lambda M: (None, slice(None), None, 2)),
    ((3, 4), lambda M: Ellipsis),
    ((3, 4), lambda M: ()),
    ((3, 4), lambda M: (slice(None), slice(None))),
    ((3, 4), lambda M: (M.tensor(1), slice(M.tensor(1), None))),
    ((3, 4), lambda M: np.int64(2)),
    ((3, 4), lambda M: [0, 2, 0]),
    ((3, 4), lambda M: []),
    ((3, 4), lambda M: M.tensor([[0, 1], [2, 2]])),
    ((3, 4), lambda M: M.tensor([1])),
    ((3, 4), lambda M: M.tensor([2, 0], dtype=M.int32)),
    ((3, 4), lambda M: np.array([2, 0, -1])),
    ((3, 4), lambda M: (M.tensor([0, 2]), M.tensor([1, 3]))),
    ((3, 4), lambda M: (M.tensor([[0], [2]]), M.tensor([1, 3, 3]))),
    ((3, 4), lambda M: (M.tensor([0, 2]), slice(1, 3))),
    ((3, 4), lambda M: (slice(1, None), [3, 0, 0])),
    ((3, 4), lambda M: (0, [1, 1, 3])),
    ((2, 3, 4, 5), lambda M: (slice(None), 0, slice(None), [0, 1])),
    ((2, 3, 4, 5), lambda M: ([0, 1], slice(None), [1, 2])),
    ((2, 3, 4, 5), lambda M: (slice(None), [0, 2], [1, 3])),
    ((2, 3, 4, 5), lambda M: ([0, 1], None, [1, 2])),
    ((2, 3, 4, 5), lambda M: (Ellipsis, [0, 4, 4])),
    ((2, 3, 4, 5), lambda M: (1, Ellipsis, [0, 0], slice(None, None, 2))),
    ((2, 3, 4, 5), lambda M: (slice(None), [[0], [2]], slice(1, 3), [1, 3])),
    ((3, 4), lambda M: _mask_row(M)),
    ((3, 4), lambda M: [True, False, True]),
    ((3, 4), lambda M: (slice(None), M.tensor([True, False, True, True]))),
    ((3, 4), lambda M: (_mask_row(M), slice(1, None))),
    ((3, 4), lambda M: (slice(1, None), M.tensor([True, False, False, True]))),
    ((3, 4), lambda M: M.tensor(np.arange(12).reshape(3, 4) % 3 == 0)),
    ((2, 3, 4), lambda M: (slice(None), M.tensor(np.arange(12).reshape(3, 4) % 5 == 1))),
    ((3, 4, 2), lambda M: (M.tensor(np.arange(12).reshape(3, 4) % 5 == 1), 1)),
    ((2, 3, 4), lambda M: (M.tensor([True, False]), [0, 2])),
    ((3, 4), lambda M: M.tensor([0, 1, 1], dtype=M.uint8)),
    ((3, 4), lambda M: True),
    ((3, 4), lambda M: False),
    ((3, 4), lambda M: (1, M.tensor(True))),
    ((), lambda M: None),
    ((), lambda M: Ellipsis),
    ((), lambda M: True),
    ((), lambda M: ()),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("shape,key", GETITEM)
def test_getitem_matches_torch(torch, rng, shape, key):
    arr = rng.standard_normal(shape)
    xg, xt = _leaf(arr), torch.tensor(arr, requires_grad=True)
    yg, yt = xg[key(gradcore)], xt[key(torch)]
    assert tuple(yg.shape) == tuple(yt.shape)
    np.testing.assert_array_equal(_np(yg), yt.detach().numpy())
    assert _name(yg) == _name(yt)
    gy = np.asarray(rng.standard_normal(tuple(yt.shape)))
    yg.backward(gradcore.tensor(gy))
    yt.backward(torch.tensor(gy))
    np.testing.assert_allclose(_np(xg.grad), xt.grad.numpy(), rtol=1e-12, atol=0)


def test_getitem_int_tensor_types_and_dtype(torch):
    x = gradcore.arange(12).reshape(3, 4)
    assert x[1, 2].dtype is gradcore.int64 and x[1, 2].item() == 6
    assert x[[0, 2]].tolist() == [[0, 1, 2, 3], [8, 9, 10, 11]]
    b = gradcore.tensor([True, False, True])
    assert b[[0, 2]].dtype is gradcore.bool


def test_duplicate_indices_accumulate():
    x = _leaf(np.arange(4.0))
    x[[0, 0, 0, 3, 3]].sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [3, 0, 0, 2])
    y = _leaf(np.ones((3, 2)))
    (y[[1, 1], [0, 0]] * gradcore.tensor([2.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(_np(y.grad), [[0, 0], [7, 0], [0, 0]])


def test_advanced_index_is_a_copy_and_basic_a_view():
    x = gradcore.zeros(3, 4)
    y = x[[0, 1]]
    y[0, 0] = 5.0
    assert x[0, 0].item() == 0
    v = x[1:, ::2]
    v[1, 1] = 7.0
    assert x[2, 2].item() == 7.0
    r = x[1]
    r[0] = 3.0
    assert x[1, 0].item() == 3.0
    s = x[2, 3]  # a 0-d view
    s.fill_(9.0)
    assert x[2, 3].item() == 9.0
    x.add_(1)
    assert r[0].item() == 4.0 and s.item() == 10.0
    assert x[...].data_ptr() == x.data_ptr()
    assert x[None]._version == x._version


def test_view_shares_version_counter():
    base = _leaf(np.arange(6.0).reshape(2, 3)) * 1
    v = base[0]
    assert v._version == base._version == 0
    base.add_(1)
    assert v._version == base._version == 1
    v.mul_(2)
    assert base._version == 2


def test_saved_view_modified_in_place_raises(torch):
    for lib in (gradcore, torch):
        leaf = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
        a = leaf * 1
        v = a[0]
        w = (v * v).sum()
        a.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            w.backward()


def test_inplace_on_view_gradients_match_torch(torch, rng):
    arr = rng.standard_normal((3, 4))
    res = []
    for lib in (gradcore, torch):
        x = lib.tensor(arr, requires_grad=True)
        a = x * 2
        a[1].mul_(3)
        a[:, 1:3].exp_()
        a.sum().backward()
        res.append((np.asarray(a.detach().numpy()), x.grad.numpy(), _name(a)))
    np.testing.assert_allclose(res[0][0], res[1][0])
    np.testing.assert_allclose(res[0][1], res[1][1])
    assert res[0][2] == res[1][2] == "CopySlices"


def test_getitem_gradcheck():
    x = _leaf(np.random.default_rng(0).standard_normal((3, 4)))
    for key in [(1, slice(1, None)), ([0, 2, 2], slice(None, None, 2)),
                (slice(None), [3, 0, 3]), gradcore.tensor([True, False, True]), (None, 1, None)]:
        def f(t, key=key):
            return t[key]
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


# ---- x[key] = value --------------------------------------------------------------------------

SETITEM = [  # (shape, key builder, value shape)
    ((3, 4), lambda M: 1, (4,)),
    ((3, 4), lambda M: (slice(None), 1), (3,)),
    ((3, 4), lambda M: (slice(None), 1), ()),
    ((3, 4), lambda M: (slice(0, 2), slice(1, 3)), (1, 2)),
    ((3, 4), lambda M: (1,), (1, 1, 4)),
    ((3, 4), lambda M: Ellipsis, (4,)),
    ((3, 4), lambda M: (None, 2), (4,)),
    ((3, 4), lambda M: [0, 2], (4,)),
    ((3, 4), lambda M: [0, 2], (2, 4)),
    ((3, 4), lambda M: [0, 2], (1, 2, 4)),
    ((3, 4), lambda M: (M.tensor([0, 2]), M.tensor([1, 3])), (2,)),
    ((3, 4), lambda M: (M.tensor([0, 2]), M.tensor([1, 3])), ()),
    ((3, 4), lambda M: _mask_row(M), (4,)),
    ((3, 4), lambda M: M.tensor(np.arange(12).reshape(3, 4) % 3 == 0), ()),
    ((3, 4), lambda M: M.tensor(np.arange(12).reshape(3, 4) % 3 == 0), (4,)),
    ((3, 4), lambda M: (0, [1, 2]), (2,)),
    ((3, 4), lambda M: (slice(None), [0, 3]), (3, 2)),
    ((2, 3, 4), lambda M: (slice(None), 0, [1, 2]), (2, 2)),
]


@pytest.mark.parametrize("shape,key,vshape", SETITEM)
def test_setitem_autograd_matches_torch(torch, rng, shape, key, vshape):
    arr, varr = rng.standard_normal(shape), np.asarray(rng.standard_normal(vshape))
    out = []
    for lib in (gradcore, torch):
        x = lib.tensor(arr, requires_grad=True)
        v = lib.tensor(varr, requires_grad=True)
        y = x * 1
        y[key(lib)] = v * 2
        gy = lib.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
        (y * gy).sum().backward()
        gx = None if x.grad is None else x.grad.numpy()  # y[...] = v: x gets no gradient
        out.append((y.detach().numpy(), gx, v.grad.numpy(), _name(y), y._version))
    g, t = out
    np.testing.assert_array_equal(g[0], t[0])
    # y[...] = v: torch's CopyBackwards gives x zeros, gradcore's Copy gives x no gradient
    gx = np.zeros(shape) if g[1] is None else g[1]
    np.testing.assert_allclose(gx, t[1], rtol=1e-12)
    np.testing.assert_allclose(g[2], t[2], rtol=1e-12)
    assert g[3] == t[3]
    assert g[4] == t[4] == 1


def test_setitem_scalars_and_casts():
    x = gradcore.zeros(3, 4)
    x[0] = 1
    x[1, 1:3] = 2.5
    x[x > 2] = -1.0
    x[[2, 2], [0, 3]] = True
    np.testing.assert_array_equal(_np(x), [[1, 1, 1, 1], [0, -1, -1, 0], [1, 0, 0, 1]])
    assert x._version == 4
    i = gradcore.zeros(3, dtype=gradcore.int64)
    i[0] = 2.7
    i[1:] = gradcore.tensor([1.9, -1.9])
    i[[0]] = 5
    assert i.tolist() == [5, 1, -1] and i.dtype is gradcore.int64
    x[...] = 0
    assert not x.numpy().any()


def test_setitem_only_value_requires_grad():
    v = gradcore.tensor([1.0, 2.0], requires_grad=True)
    x = gradcore.zeros(2, 3)
    x[:, 1] = v
    assert _name(x) == "CopySlices"
    z = gradcore.zeros(2, 3)
    z[[0, 1], [2, 2]] = v * 3
    assert _name(z) == "IndexPutBackward0"
    (x.sum() + z.sum()).backward()
    np.testing.assert_array_equal(_np(v.grad), [4, 4])


def test_setitem_under_no_grad_on_leaf():
    w = gradcore.zeros(2, 2, requires_grad=True)
    with gradcore.no_grad():
        w[0] = 1.0
        w[[1], [1]] = 2.0
    assert w.is_leaf and w.tolist() == [[1, 1], [0, 2]]


def test_setitem_gradcheck():
    rng = np.random.default_rng(3)
    x, v = _leaf(rng.standard_normal((3, 4))), _leaf(rng.standard_normal((2,)))

    def basic(x, v):
        y = x * 1
        y[1, 1:3] = v
        return y

    def advanced(x, v):
        y = x * 1
        y[[0, 2], [3, 3]] = v
        return y

    for f in (basic, advanced):
        assert gradcheck(f, (x, v))
        assert gradgradcheck(f, (x, v))


def test_index_put_accumulate():
    x = _leaf(np.zeros(4))
    v = _leaf(np.array([1.0, 2.0, 3.0]))
    i = gradcore.tensor([1, 1, 3])
    y = x.index_put((i,), v, accumulate=True)
    np.testing.assert_array_equal(_np(y), [0, 3, 0, 3])
    assert _name(y) == "IndexPutBackward0"
    (y * gradcore.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [1, 2, 3, 4])
    np.testing.assert_array_equal(_np(v.grad), [2, 2, 4])
    z = gradcore.zeros(2, 3)
    z.index_put_((gradcore.tensor([0, 0]), None), gradcore.tensor([1.0, 2.0, 3.0]),
                 accumulate=True)
    assert z.tolist() == [[2, 4, 6], [0, 0, 0]]
    assert gradcheck(lambda x, v: x.index_put((i,), v, accumulate=True), (x, v))


# ---- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,key,exc,msg", [
    ((3,), 5, IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ((3,), -4, IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    ((3, 4), (0, 5), IndexError, "index 5 is out of bounds for dimension 1 with size 4"),
    ((3, 4), (None, slice(None), 5), IndexError,
     "index 5 is out of bounds for dimension 2 with size 4"),
    ((), 0, IndexError, "invalid index of a 0-dim tensor"),
    ((), slice(None), IndexError, r"slice\(\) cannot be applied to a 0-dim tensor"),
    ((3,), (0, 0), IndexError, "too many indices for tensor of dimension 1"),
    ((3,), slice(None, None, -1), ValueError, "step must be greater than zero"),
    ((3,), slice(None, None, 0), ValueError, "slice step cannot be zero"),
    ((3,), 1.0, IndexError, r"only integers, slices .* \(got float\)"),
    ((3,), slice(0.5, None), TypeError, "slice indices must be integers"),
    ((3,), [0, 5, 7], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ((3, 4), ([0, 1], [0, 7]), IndexError,
     "index 7 is out of bounds for dimension 1 with size 4"),
    ((3,), [-7], IndexError, "index -7 is out of bounds for dimension 0 with size 3"),
    ((3, 4), ([0, 1], [0, 1, 2]), IndexError,
     r"shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], "
     r"\[3\]"),
    ((3,), [True, False], IndexError,
     r"The shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor "
     r"\[3\] at index 0"),
    ((2, 3, 4, 5), (slice(None), np.ones((2, 4), bool)), IndexError,
     r"The shape of the mask \[2, 4\] at index 0 does not match the shape of the indexed "
     r"tensor \[2, 3, 4, 5\] at index 1"),
    ((3,), np.array([1.0]), IndexError,
     "tensors used as indices must be long, int, byte or bool tensors"),
    ((3,), np.array([1], dtype=np.int16), IndexError, "tensors used as indices must be"),
])
def test_getitem_errors(torch, shape, key, exc, msg):
    for lib in (gradcore, torch):
        x = lib.zeros(shape)
        k = key
        if isinstance(key, np.ndarray):
            k = lib.tensor(key) if lib is torch else key
        with pytest.raises(exc, match=msg):
            x[k]


def test_getitem_tensor_index_errors():
    x = gradcore.zeros(3)
    with pytest.raises(IndexError, match="an index can only have a single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        x[gradcore.tensor([1.0])]
    with pytest.raises(IndexError, match="tensors used as indices"):
        x[gradcore.tensor([1], dtype=gradcore.int16)]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0"):
        x[gradcore.tensor([True, False])]


def test_setitem_errors(torch):
    for lib in (gradcore, torch):
        x = lib.zeros(3, 4)
        with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must "
                                               r"match the existing size \(3\)"):
            x[0] = lib.ones(3)
        with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] "
                                               r"cannot be broadcast to indexing result of "
                                               r"shape \[2, 4\]"):
            x[[0, 1]] = lib.ones(3)
        with pytest.raises(RuntimeError, match="Index put requires the source and destination "
                                               "dtypes match, got Float for the destination "
                                               "and Double for the source"):
            x[[0]] = lib.ones(4, dtype=lib.float64)
        with pytest.raises(TypeError, match="can't assign a list to a"):
            x[0] = [1, 2, 3, 4]
        with pytest.raises(TypeError, match="can't assign a numpy.ndarray to a"):
            x[0] = np.ones(4)
        leaf = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad "
                                               "is being used in an in-place operation"):
            leaf[0] = 1.0
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being "
                                               "used in an in-place operation"):
            leaf[[0]] = 1.0
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad"):
            leaf[leaf > 0] = 1.0


# ---- index ops -------------------------------------------------------------------------------

def _run_both(torch, fn, arrays, rng, name=None):
    """fn(lib, *tensors) on gradcore and torch: values, dtype, node name and gradients."""
    out, grads = [], []
    for lib in (gradcore, torch):
        ts = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        y = fn(lib, *ts)
        gy = np.random.default_rng(7).standard_normal(tuple(y.shape))
        if y.requires_grad:
            y.backward(lib.tensor(gy))
        out.append((y.detach().numpy(), str(y.dtype).split(".")[-1], _name(y)))
        grads.append([t.grad.numpy() if t.grad is not None else None for t in ts])
    (vg, dg, ng), (vt, dt, nt) = out
    np.testing.assert_allclose(vg, vt, rtol=1e-12)
    assert vg.shape == vt.shape and dg == dt and ng == nt
    if name is not None:
        assert ng == name
    for a, b in zip(*grads):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12)


X = np.arange(12.0).reshape(3, 4) / 7 - 0.5
IDX = np.array([[0, 1, 1, 3], [2, 0, 0, 0]])


@pytest.mark.parametrize("fn,arrays,name", [
    (lambda M, x, i: x.index_select(0, i), (X, np.array([0, 2, 2])), "IndexSelectBackward0"),
    (lambda M, x, i: M.index_select(x, -1, i), (X, np.array([3, 3, 1, 0])), None),
    (lambda M, x, i: x.index_select(1, i), (X, np.array(2)), None),
    (lambda M, x, i: x.index_select(0, i.int()), (X, np.array([1])), None),
    (lambda M, x, i: x.index_select(0, i), (X, np.zeros(0, np.int64)), None),
    (lambda M, x, i: x.gather(1, i), (X, IDX), "GatherBackward0"),
    (lambda M, x, i: M.gather(x, 0, i), (X, IDX[:, :3] % 3), None),
    (lambda M, x, i: x.gather(1, i.int()), (X, IDX[:1]), None),
    (lambda M, x, i, s: x.scatter(1, i, s), (X, IDX[:, :2], np.arange(4.0).reshape(2, 2)),
     "ScatterBackward0"),
    (lambda M, x, i: x.scatter(0, i, 2.5), (X, IDX[:, :3] % 3), "ScatterBackward1"),
    (lambda M, x, i, s: x.scatter_add(1, i, s), (X, IDX, np.arange(8.0).reshape(2, 4)),
     "ScatterAddBackward0"),
    (lambda M, x, i, s: M.scatter_add(x, 0, i, s), (X, IDX[:, :3] % 3, np.ones((2, 3))), None),
    (lambda M, x, m: x.masked_fill(m, 2.0), (X, np.array([True, False, True, False])),
     "MaskedFillBackward0"),
    (lambda M, x, m: x.masked_fill(m, 2.0), (X, np.ones((2, 3, 4), bool)), None),
    (lambda M, x, m, v: x.masked_fill(m, v * 3), (X, X > 0, np.array(1.5)),
     "MaskedFillBackward1"),
    (lambda M, x, m: M.masked_select(x, m), (X, X > 0.1), "MaskedSelectBackward0"),
    (lambda M, x, m: x.masked_select(m), (X, np.array([[True], [False], [True]])), None),
    (lambda M, x, m: x.masked_select(m), (X[0], np.eye(4, dtype=bool)), None),
    (lambda M, x, i: M.take_along_dim(x, i, 1), (X, np.array([[0], [3], [2]])),
     "GatherBackward0"),
    (lambda M, x, i: M.take_along_dim(x, i), (X, np.array([0, 11, 5, 5])), None),
    (lambda M, x, i: x.take_along_dim(i, dim=0), (X, np.array([[2, 0, 1, 1]])), None),
    (lambda M, x, i: M.take_along_dim(x, i, 1), (X[:1], np.array([[0], [3], [2]])), None),
    (lambda M, x: x.narrow(1, 1, 2), (X,), "SliceBackward0"),
    (lambda M, x: M.narrow(x, 0, -2, 2), (X,), None),
    (lambda M, x: x.narrow(0, M.tensor(1), 2), (X,), None),
    (lambda M, x: x.select(1, -1), (X,), "SelectBackward0"),
    (lambda M, x: M.select(x, 0, M.tensor(2)), (X,), None),
])
def test_index_ops_match_torch(torch, rng, fn, arrays, name):
    _run_both(torch, fn, arrays, rng, name)


def test_index_ops_on_int_tensors(torch):
    xi = np.arange(12).reshape(3, 4)
    for fn in [lambda M, x, i: x.scatter_add(1, i, x[:2] * 2),
               lambda M, x, i: x.gather(1, i), lambda M, x, i: x.scatter(1, i, 7),
               lambda M, x, i: x.masked_fill(x > 5, 2.7)]:
        g = fn(gradcore, gradcore.tensor(xi), gradcore.tensor(IDX))
        t = fn(torch, torch.tensor(xi), torch.tensor(IDX))
        assert g.dtype is gradcore.int64 and g.tolist() == t.tolist()


def test_index_ops_inplace():
    x = gradcore.zeros(2, 3)
    x.scatter_(1, gradcore.tensor([[2], [0]]), 1.0)
    x.scatter_add_(0, gradcore.tensor([[1, 1, 1]]), gradcore.ones(1, 3))
    x.masked_fill_(gradcore.tensor([True, False, False]), -1.0)
    assert x.tolist() == [[-1, 0, 1], [-1, 1, 1]] and x._version == 3
    leaf = gradcore.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.masked_fill_(gradcore.tensor([True, False, False]), 1.0)


def test_scatter_gather_gradcheck():
    rng = np.random.default_rng(5)
    x, s = _leaf(rng.standard_normal((3, 4))), _leaf(rng.standard_normal((2, 4)))
    i = gradcore.tensor(IDX)
    for f, ins in [(lambda x: x.gather(1, i), (x,)),
                   (lambda x: x.index_select(1, gradcore.tensor([3, 0, 3])), (x,)),
                   (lambda x, s: x.scatter_add(1, i, s), (x, s)),
                   # src larger than index: only its covered part gets a gradient (torch's
                                   # own backward fails on this shape)
                   (lambda x, s: x.scatter_add(0, i[:1, :3] % 3, s), (x, s)),
                   (lambda x, s: x.scatter(0, gradcore.tensor([[0, 1, 2], [1, 2, 0]]), s),
                    (x, s)),
                   (lambda x: x.masked_select(x > 0), (x,)),
                   (lambda x, s: x.masked_fill(gradcore.tensor([True, False, False, True]),
                                               s[0, 0]), (x, s)),
                   (lambda x: gradcore.take_along_dim(x, gradcore.tensor([[1], [0], [3]]), 1),
                    (x,))]:
        assert gradcheck(f, ins)
        assert gradgradcheck(f, ins)


def test_gather_duplicates_accumulate():
    x = _leaf(np.ones((2, 3)))
    x.gather(1, gradcore.tensor([[0, 0, 0, 2], [1, 1, 2, 2]])).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[3, 0, 1], [0, 2, 2]])


def test_nonzero(torch):
    a = np.array([[0, 1.5, 0], [2, 0, -1]])
    for arr in (a, a[0], np.array(5.0), np.array(0.0), np.zeros((2, 0))):
        g, t = gradcore.tensor(arr).nonzero(), torch.tensor(arr).nonzero()
        assert g.dtype is gradcore.int64 and tuple(g.shape) == tuple(t.shape)
        np.testing.assert_array_equal(g.numpy(), t.numpy())
        gt = gradcore.nonzero(gradcore.tensor(arr), as_tuple=True)
        tt = torch.nonzero(torch.tensor(arr), as_tuple=True)
        assert len(gt) == len(tt)
        for u, w in zip(gt, tt):
            np.testing.assert_array_equal(u.numpy(), w.numpy())
    w = gradcore.where(gradcore.tensor(a) > 0)
    assert [t.tolist() for t in w] == [[0, 1], [1, 0]]


@pytest.mark.parametrize("call,exc,msg", [
    (lambda M, x: x.select(0, 5), IndexError,
     r"select\(\): index 5 out of range for tensor of size \[3, 4\] at dimension 0"),
    (lambda M, x: x.select(2, 0), IndexError, "Dimension out of range"),
    (lambda M, x: M.zeros(()).select(0, 0), IndexError,
     r"select\(\) cannot be applied to a 0-dim tensor"),
    (lambda M, x: x.narrow(0, 2, 2), RuntimeError,
     r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    (lambda M, x: x.narrow(0, 0, -1), RuntimeError, "narrow\\(\\): length must be non-negative"),
    (lambda M, x: x.narrow(0, 5, 0), IndexError,
     r"start out of range \(expected to be in range of \[-3, 3\], but got 5\)"),
    (lambda M, x: x.index_select(0, M.tensor([[1]])), IndexError,
     r"index_select\(\): Index is supposed to be a vector"),
    (lambda M, x: x.index_select(0, M.tensor([5])), IndexError, "index out of range in self"),
    (lambda M, x: x.index_select(0, M.tensor([-1])), IndexError, "index out of range in self"),
    (lambda M, x: x.index_select(0, M.tensor([1.0])), RuntimeError,
     r"index_select\(\): Expected dtype int32 or int64 for index"),
    (lambda M, x: x.gather(1, M.tensor([0, 1])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda M, x: x.gather(1, M.tensor([[0, 1]] * 4)), RuntimeError,
     r"Size does not match at dimension 0 expected index \[4, 2\] to be no larger than self "
     r"\[3, 4\] apart from dimension 1"),
    (lambda M, x: x.gather(1, M.tensor([[0, 9]])), RuntimeError,
     "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda M, x: x.gather(1, M.tensor([[0, -1]])), RuntimeError,
     "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda M, x: x.gather(1, M.tensor([[0.0]])), RuntimeError,
     r"gather\(\): Expected dtype int32/int64 for index"),
    (lambda M, x: x.scatter(1, M.tensor([[0, 1], [1, 0]]), M.ones(1, 1)), RuntimeError,
     r"Expected index \[2, 2\] to be no larger than self \[3, 4\] apart from dimension 1 and "
     r"to be no larger size than src \[1, 1\]"),
    (lambda M, x: x.scatter(1, M.tensor([[0]]), M.ones(1, 1, dtype=M.float64)), RuntimeError,
     r"scatter\(\): Expected self.dtype to be equal to src.dtype"),
    (lambda M, x: x.scatter(1, M.tensor([[0, 9]]), 1.0), RuntimeError,
     "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda M, x: x.scatter(1, M.tensor([0, 1]), M.ones(2, 2)), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda M, x: x.scatter(1, M.tensor([[0.0]]), 1.0), RuntimeError,
     r"scatter\(\): Expected dtype int32/int64 for index"),
    (lambda M, x: x.masked_fill(M.tensor([1.0, 0, 0, 0]), 1.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype float"),
    (lambda M, x: x.masked_fill(M.tensor([1, 0, 0, 0]), 1.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    (lambda M, x: x.masked_fill(M.ones(4, dtype=M.bool), M.tensor([2.0])), RuntimeError,
     "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
     r"dimension\(s\)"),
    (lambda M, x: x.masked_fill(M.ones(3, dtype=M.bool), 1.0), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton "
     "dimension 1"),
    (lambda M, x: x.masked_fill_(M.ones(2, 3, 4, dtype=M.bool), 1.0), RuntimeError,
     r"output with shape \[3, 4\] doesn't match the broadcast shape \[2, 3, 4\]"),
    (lambda M, x: x.masked_select(M.ones(4)), RuntimeError,
     "masked_select: expected BoolTensor for mask"),
    (lambda M, x: M.take_along_dim(x, M.tensor([0]), 1), RuntimeError,
     r"torch.take_along_dim\(\): input and indices should have the same number of dimensions, "
     "but got 2 dimensions for input, and 1 dimensions for indices"),
    (lambda M, x: M.take_along_dim(x, M.tensor([[0.0]]), 1), RuntimeError,
     r"torch.take_along_dim\(\): dtype of indices should be Long but got Float"),
    (lambda M, x: M.take_along_dim(x, M.tensor([[0], [1]]), 1), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(2\)"),
])
def test_index_op_errors(torch, call, exc, msg):
    for lib in (gradcore, torch):
        with pytest.raises(exc, match=msg):
            call(lib, lib.zeros(3, 4))


# ---- devices (cuda when present) -------------------------------------------------------------

def test_indexing_on_device(device, rng):
    arr = rng.standard_normal((4, 5))
    x = _leaf(arr, device)
    i = gradcore.tensor([0, 0, 3], device=device)
    y = (x[i, 1:] * 2).sum() + x[x > 0].sum() * 7
    y = y + x.gather(1, gradcore.tensor([[1, 1]] * 4, device=device)).sum()
    # a CPU index tensor on any device, as PyTorch allows
    y = y + x[gradcore.tensor([3, 3])].sum()
    y.backward()
    want = np.zeros((4, 5))
    np.add.at(want, (np.array([0, 0, 3])[:, None], np.arange(1, 5)), 2)
    want += 7 * (arr > 0)
    want[:, 1] += 2
    want[3] += 2
    np.testing.assert_allclose(_np(x.grad), want, rtol=1e-12)
    z = gradcore.zeros(3, 4, device=device)
    z[[0, 0], [1, 1]] = gradcore.tensor(1.0, device=device)
    z.index_put_((gradcore.tensor([2, 2], device=device),), gradcore.ones(4, device=device),
                 accumulate=True)
    assert z.tolist() == [[0, 1, 0, 0], [0] * 4, [2] * 4]
    assert x[2, 3].device == x.device
