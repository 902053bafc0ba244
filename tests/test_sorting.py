"""Sorting and selection (gradcore/ops/sorting.py) beyond the op registry: integer / bool
dtypes, NaN ordering, stable ties, the integer results (argsort, unique, searchsorted,
bucketize, argwhere, indices), kwargs, named tuples and PyTorch's errors."""
import math

import numpy as np
import pytest

import gradcore

NAN = math.nan
ROWS = [[3.0, 1.0, NAN, 1.0, 2.0], [NAN, 0.0, 5.0, 0.0, NAN], [2.0, 2.0, 2.0, 1.0, 2.0]]


def _outs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def same(torch, fn, *arrays, indices=True):
    """fn(lib, *tensors) in both libraries: every output's values (NaN where torch has NaN),
    dtype and shape agree; ``indices=False`` skips the int64 outputs (ambiguous on ties)."""
    got = _outs(fn(gradcore, *[gradcore.tensor(a) for a in arrays]))
    want = _outs(fn(torch, *[torch.tensor(a) for a in arrays]))
    assert len(got) == len(want)
    for g, t in zip(got, want):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(g.shape) == tuple(t.shape)
        if indices or t.dtype != torch.int64:
            np.testing.assert_array_equal(g.numpy(), t.numpy())
    return got


# ---- sort / argsort / msort: stability, NaN, dtypes ------------------------------------------

@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_is_stable_and_puts_nan_last(torch, descending, dim):
    x = np.array(ROWS)
    same(torch, lambda lib, t: lib.sort(t, dim=dim, descending=descending, stable=True), x)
    same(torch, lambda lib, t: t.argsort(dim=dim, descending=descending, stable=True), x)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int16, np.float32])
def test_sort_integer_dtypes(torch, dtype):
    x = np.array([[5, 0, 3, 3, 9, 1], [2, 2, 7, 0, 1, 2]], dtype=dtype)
    same(torch, lambda lib, t: lib.sort(t, dim=1, stable=True), x)
    same(torch, lambda lib, t: lib.sort(t, dim=0, descending=True, stable=True), x)
    same(torch, lambda lib, t: t.msort(), x)
    same(torch, lambda lib, t: t.topk(2), x, indices=False)
    same(torch, lambda lib, t: t.kthvalue(3, 1), x, indices=False)
    same(torch, lambda lib, t: t.median(), x)


def test_sort_bool_and_0d_and_empty(torch):
    same(torch, lambda lib, t: lib.sort(t, stable=True), np.array([True, False, True, False]))
    same(torch, lambda lib, t: lib.sort(t), np.array(2.5))
    same(torch, lambda lib, t: lib.argsort(t), np.array(2.5))
    same(torch, lambda lib, t: lib.sort(t, 1), np.zeros((2, 0)))
    same(torch, lambda lib, t: t.topk(0, 1), np.zeros((2, 0)))


def test_sort_returns_named_tuples():
    x = gradcore.tensor([[2.0, 1.0, 3.0]], requires_grad=True)
    for name, out in [("sort", x.sort()), ("topk", x.topk(2)), ("kthvalue", x.kthvalue(1)),
                      ("median", x.median(1)), ("nanmedian", x.nanmedian(1)),
                      ("mode", x.mode())]:
        assert type(out).__name__ == name
        assert out.values is out[0] and out.indices is out[1]
        assert out.indices.dtype == gradcore.int64 and not out.indices.requires_grad
        assert out.values.requires_grad
        assert repr(out).startswith(f"gradcore.return_types.{name}(")
    assert x.argsort().grad_fn is None and x.argsort().dtype == gradcore.int64


def test_sort_node_names(torch):
    for kw in ({}, {"stable": True}, {"stable": False}):
        g = gradcore.sort(gradcore.ones(3, requires_grad=True), **kw).values.grad_fn.name()
        t = torch.sort(torch.ones(3, requires_grad=True), **kw).values.grad_fn.name()
        assert g == t


# ---- selections: NaN, ties, indices ----------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_median_nan_and_ties(torch, dim, keepdim):
    x = np.array(ROWS)
    same(torch, lambda lib, t: t.median(dim, keepdim=keepdim), x)
    same(torch, lambda lib, t: t.nanmedian(dim, keepdim), x)
    values, idx = same(torch, lambda lib, t: t.kthvalue(2, dim, keepdim), x, indices=False)
    # ties make torch's index ambiguous: it must hold the value
    picked = np.take_along_axis(x, idx.numpy() if keepdim else np.expand_dims(idx.numpy(), dim),
                                dim)
    np.testing.assert_array_equal(picked.reshape(values.shape), values.numpy())


def test_median_all(torch):
    for x in (np.array(ROWS), np.array([4.0, 1.0, 3.0, 2.0]), np.array([NAN, NAN]),
              np.array([]), np.array(7.0), np.array([5, 2, 9, 2], dtype=np.int32)):
        same(torch, lambda lib, t: (t.median(), t.nanmedian()), x)


def test_median_all_gradient_is_shared_among_ties(torch):
    for x in ([1.0, 3.0, 1.0, 0.0], [2.0, NAN, 1.0, NAN]):
        g = gradcore.tensor(x, requires_grad=True)
        t = torch.tensor(x, requires_grad=True)
        g.median().backward()
        t.median().backward()
        np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


def test_mode_values_and_last_index(torch):
    x = np.array([[1, 1, 2, 2, 3], [2, 1, 2, 1, 3], [4, 4, 4, 0, 4]])
    same(torch, lambda lib, t: t.mode(1), x)
    same(torch, lambda lib, t: lib.mode(t, 0, True), x, indices=False)
    same(torch, lambda lib, t: t.mode(), np.array([True, False, False]))
    same(torch, lambda lib, t: t.mode(), np.array(3.0))


def test_topk_nan_is_largest(torch):
    x = np.array([1.0, NAN, 3.0, -1.0])
    same(torch, lambda lib, t: t.topk(2), x)
    same(torch, lambda lib, t: t.topk(2, largest=False), x)


def test_selection_gradients_go_to_the_indices(torch):
    x = np.array([[0.3, -1.2, 2.5, 0.7], [1.1, 0.2, -0.4, 3.0]])
    for fn in (lambda t: t.sort(1, descending=True).values, lambda t: t.topk(3).values,
               lambda t: t.kthvalue(2, 0).values, lambda t: t.median(1).values,
               lambda t: t.mode(0, keepdim=True).values):
        g = gradcore.tensor(x, requires_grad=True)
        t = torch.tensor(x, requires_grad=True)
        w = np.arange(1.0, 1.0 + fn(t).numel()).reshape(tuple(fn(t).shape))
        (fn(g) * gradcore.tensor(w)).sum().backward()
        (fn(t) * torch.tensor(w)).sum().backward()
        np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


# ---- quantile ----------------------------------------------------------------------------------

@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_interpolations_and_nan(torch, interpolation):
    x = np.array([[1.0, 4.0, 2.0, 8.0], [NAN, 1.0, 3.0, 2.0]])
    for q in (0.5, 0.25, [0.0, 0.5, 1.0 / 3, 1.0]):
        def fn(lib, t, dim=None, keepdim=False):
            qq = lib.tensor(q, dtype=t.dtype) if isinstance(q, list) else q
            return (t.quantile(qq, dim, keepdim, interpolation=interpolation),
                    lib.nanquantile(t, qq, dim=dim, keepdim=keepdim,
                                    interpolation=interpolation))
        for dim, keepdim in ((None, False), (None, True), (1, False), (0, True), (-1, True)):
            got = _outs(fn(gradcore, gradcore.tensor(x), dim, keepdim))
            want = _outs(fn(torch, torch.tensor(x), dim, keepdim))
            for g, t in zip(got, want):
                assert tuple(g.shape) == tuple(t.shape)
                np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12, atol=0)


def test_quantile_errors(torch):
    f32 = gradcore.tensor([1.0, 2.0])
    cases = [(lambda lib: lib.tensor([1, 2]).quantile(0.5), RuntimeError),
             (lambda lib: lib.tensor([1.0, 2.0]).quantile(1.5), RuntimeError),
             (lambda lib: lib.tensor([1.0, 2.0]).quantile(lib.tensor([0.5, -0.1])), RuntimeError),
             (lambda lib: lib.tensor([1.0, 2.0]).quantile(lib.tensor([[0.5]])), RuntimeError),
             (lambda lib: lib.tensor([1.0, 2.0]).quantile(lib.tensor([0.5], dtype=lib.float64)),
              RuntimeError),
             (lambda lib: lib.tensor([1.0, 2.0]).quantile(0.5, interpolation="foo"),
              RuntimeError),
             (lambda lib: lib.tensor([]).nanquantile(0.5), RuntimeError)]
    assert f32.quantile(0.5).item() == 1.5
    for fn, exc in cases:
        _same_error(torch, fn, exc)


# ---- unique / unique_consecutive ---------------------------------------------------------------

def test_unique(torch):
    x = np.array([3.0, 1.0, NAN, 2.0, NAN, 1.0, 3.0])
    same(torch, lambda lib, t: t.unique(), x)
    for kw in ({"return_inverse": True}, {"return_counts": True},
               {"return_inverse": True, "return_counts": True, "sorted": False}):
        same(torch, lambda lib, t: lib.unique(t, **kw), np.array([[4, 1, 4], [0, 1, 7]]))
    m = np.array([[1, 2], [1, 2], [0, 1], [1, 0]])
    same(torch, lambda lib, t: t.unique(dim=0, return_inverse=True, return_counts=True), m)
    same(torch, lambda lib, t: t.unique(dim=-1, return_counts=True), m)
    same(torch, lambda lib, t: t.unique(), np.array(5.0))
    same(torch, lambda lib, t: t.unique(return_counts=True), np.zeros(0))


def test_unique_consecutive(torch):
    x = np.array([[1, 1, 2], [2, 1, 1]])
    for kw in ({}, {"return_inverse": True}, {"return_counts": True},
               {"return_inverse": True, "return_counts": True}):
        same(torch, lambda lib, t: t.unique_consecutive(**kw), x)
        same(torch, lambda lib, t: lib.unique_consecutive(t, dim=1, **kw), x)
    m = np.array([[1, 2], [1, 2], [0, 1], [1, 2]], dtype=np.float32)
    same(torch, lambda lib, t: t.unique_consecutive(return_counts=True, dim=0), m)
    same(torch, lambda lib, t: t.unique_consecutive(return_inverse=True), np.zeros(0))


@pytest.mark.parametrize("call", [lambda t: t.unique(), lambda t: t.unique(dim=0),
                                  lambda t: t.unique_consecutive()])
def test_unique_is_not_differentiable(torch, call):
    g = call(gradcore.tensor([1.0, 2.0, 2.0], requires_grad=True))
    t = call(torch.tensor([1.0, 2.0, 2.0], requires_grad=True))
    assert g.requires_grad and g.grad_fn.name() == t.grad_fn.name()
    with pytest.raises(NotImplementedError) as want:
        t.sum().backward()
    with pytest.raises(NotImplementedError, match="^" + str(want.value) + "$"):
        g.sum().backward()


# ---- searchsorted / bucketize / argwhere ---------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"right": True}, {"side": "right"}, {"side": "left"},
                                {"out_int32": True}, {"right": True, "side": "right"}])
def test_searchsorted(torch, kw):
    seq = np.array([1.0, 3.0, 3.0, 5.0, 7.0])
    v = np.array([[0.0, 3.0, 4.0], [7.0, 8.0, 1.0]])
    same(torch, lambda lib, s, t: lib.searchsorted(s, t, **kw), seq, v)
    rows = np.array([[1, 3, 5, 7], [2, 2, 4, 6], [0, 10, 20, 30]])
    vals = np.array([[3, 0, 8], [2, 5, 9], [10, 31, -1]])
    same(torch, lambda lib, s, t: lib.searchsorted(s, t, **kw), rows, vals)
    same(torch, lambda lib, s, t: lib.searchsorted(s, t, **kw), rows.reshape(3, 1, 4),
         vals.reshape(3, 1, 3).astype(np.float64) + 0.5)
    same(torch, lambda lib, s: lib.searchsorted(s, 3, **kw), seq)
    same(torch, lambda lib, s, t: lib.searchsorted(s, t, **kw), seq, np.array(6.0))


def test_searchsorted_sorter(torch):
    seq, sorter = np.array([5.0, 1.0, 3.0]), np.array([1, 2, 0])
    same(torch, lambda lib, s, t, o: lib.searchsorted(s, t, sorter=o), seq,
         np.array([0.0, 3.0, 6.0]), sorter)
    seq2 = np.array([[5, 1, 3], [0, 9, 4]])
    same(torch, lambda lib, s, t, o: lib.searchsorted(s, t, sorter=o, right=True), seq2,
         np.array([[3], [4]]), np.argsort(seq2, axis=1))


def test_bucketize(torch):
    bounds = np.array([1, 3, 5, 7])
    x = np.array([[1, 6], [3, 9], [0, 5]])
    for kw in ({}, {"right": True}, {"out_int32": True}):
        same(torch, lambda lib, t, b: lib.bucketize(t, b, **kw), x, bounds)
    same(torch, lambda lib, b: lib.bucketize(3, b), bounds)


def test_argwhere(torch):
    for x in (np.array([[0, 1.5], [2.0, 0]]), np.array(3.0), np.array(0.0),
              np.array([True, False, True]), np.zeros((2, 0))):
        same(torch, lambda lib, t: t.argwhere(), x)
        same(torch, lambda lib, t: lib.argwhere(t), x)


# ---- errors ------------------------------------------------------------------------------------

def _same_error(torch, fn, exc):
    with pytest.raises(exc) as want:
        fn(torch)
    message = str(want.value).splitlines()[0]
    with pytest.raises(exc) as got:
        fn(gradcore)
    assert str(got.value).splitlines()[0] == message


@pytest.mark.parametrize("fn,exc", [
    (lambda lib: lib.tensor([1, 2, 3]).topk(4), RuntimeError),
    (lambda lib: lib.tensor([1.0, 2.0]).topk(-1), RuntimeError),
    (lambda lib: lib.tensor([True, False]).topk(1), RuntimeError),
    (lambda lib: lib.tensor([1.0, 2.0, 3.0]).kthvalue(0), RuntimeError),
    (lambda lib: lib.tensor([1.0, 2.0, 3.0]).kthvalue(4), RuntimeError),
    (lambda lib: lib.zeros(0).kthvalue(1), IndexError),
    (lambda lib: lib.tensor([True, False]).kthvalue(1), NotImplementedError),
    (lambda lib: lib.tensor([True, False]).median(), NotImplementedError),
    (lambda lib: lib.tensor([True, False]).nanmedian(), NotImplementedError),
    (lambda lib: lib.tensor([True, False]).median(0), NotImplementedError),
    (lambda lib: lib.tensor([True, False]).nanmedian(0), NotImplementedError),
    (lambda lib: lib.zeros(2, 0).median(1), IndexError),
    (lambda lib: lib.zeros(0).mode(), IndexError),
    (lambda lib: lib.zeros(2, 0).mode(1), IndexError),
    (lambda lib: lib.sort(lib.tensor([[1, 2]]), dim=2), IndexError),
    (lambda lib: lib.searchsorted(lib.tensor([1, 3]), lib.tensor([3]), right=True, side="left"),
     RuntimeError),
    (lambda lib: lib.searchsorted(lib.tensor([1, 3]), lib.tensor([3]), side="middle"),
     RuntimeError),
    (lambda lib: lib.searchsorted(lib.tensor([[1, 3, 5], [2, 4, 6]]), lib.tensor([3, 3])),
     RuntimeError),
    (lambda lib: lib.searchsorted(lib.tensor([[1, 3, 5]]), 3), RuntimeError),
    (lambda lib: lib.searchsorted(lib.tensor([1, 2]), lib.tensor([1]), sorter=lib.tensor([0])),
     RuntimeError),
    (lambda lib: lib.bucketize(lib.tensor([1]), lib.tensor([[1, 3]])), RuntimeError),
])
def test_errors_match_torch(torch, fn, exc):
    _same_error(torch, fn, exc)


def test_results_are_instances_of_gradcore_return_types(torch):
    for lib in (gradcore, torch):
        x = lib.tensor([[3.0, 1.0], [2.0, 5.0]])
        rt = lib.return_types
        pairs = [(x.max(0), rt.max), (x.min(0), rt.min), (x.sort(), rt.sort),
                 (x.topk(1), rt.topk), (x.kthvalue(1), rt.kthvalue), (x.median(0), rt.median),
                 (x.nanmedian(0), rt.nanmedian), (x.mode(0), rt.mode), (x.cummax(0), rt.cummax),
                 (x.cummin(0), rt.cummin), (lib.aminmax(x), rt.aminmax)]
        assert all(isinstance(r, t) for r, t in pairs)
