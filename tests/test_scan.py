"""Scans and the extra reductions (gradcore/ops/scan.py) beyond the op registry: integer / bool
dtypes, NaN and ties in cummax/cummin, extreme values in logcumsumexp, cumprod_ in place,
diff's prepend/append and bool xor, dtype=, named tuples and PyTorch's errors."""
import math
import warnings

import numpy as np
import pytest

import gradcore

NAN, INF = math.nan, math.inf


def _outs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def same(torch, fn, *arrays, rtol=0.0):
    """fn(lib, *tensors) in both libraries: values (NaN where torch has NaN), dtypes, shapes."""
    got = _outs(fn(gradcore, *[gradcore.tensor(a) for a in arrays]))
    want = _outs(fn(torch, *[torch.tensor(a) for a in arrays]))
    assert len(got) == len(want)
    for g, t in zip(got, want):
        assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(g.shape) == tuple(t.shape)
        if rtol:
            np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=rtol)
        else:
            np.testing.assert_array_equal(g.numpy(), t.numpy())
    return got


def grads_match(torch, fn, x, **kw):
    """The gradient of sum(fn(x) * w) (w: 1, 2, 3...) agrees with torch's."""
    g = gradcore.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    out_t = fn(torch, t)
    w = np.arange(1.0, 1.0 + out_t.numel()).reshape(tuple(out_t.shape))
    (fn(gradcore, g) * gradcore.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), **kw)


# ---- cumprod -----------------------------------------------------------------------------------

@pytest.mark.parametrize("x", [np.array([[1, 2, 3], [0, 4, 5]]), np.array([True, True, False]),
                               np.array([[2, 3]], dtype=np.int32), np.array(3, dtype=np.uint8)])
def test_cumprod_integers_promote_to_int64(torch, x):
    same(torch, lambda lib, t: t.cumprod(-1), x)
    same(torch, lambda lib, t: lib.cumprod(t, 0, dtype=lib.float32), x)


def test_cumprod_dtype_and_gradient_dtype(torch):
    x = np.array([[0.5, -2.0, 0.0, 3.0]], dtype=np.float32)
    same(torch, lambda lib, t: t.cumprod(1, dtype=lib.float64), x)
    g = gradcore.tensor(x, requires_grad=True)
    g.cumprod(1, dtype=gradcore.float64).sum().backward()
    assert g.grad.dtype == gradcore.float32


@pytest.mark.parametrize("x", [[0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 3.0], [2.0, 3.0, 0.0],
                               [[1.5, 0.0, 2.0], [0.0, 0.0, -1.0]]])
def test_cumprod_gradient_with_zeros(torch, x):
    grads_match(torch, lambda lib, t: t.cumprod(-1), np.array(x))
    grads_match(torch, lambda lib, t: t.cumprod(0), np.array(x))


def test_cumprod_double_backward_with_zeros(torch):
    x = np.array([[1.5, 0.0, -0.7, 2.0, 0.0], [0.0, 1.2, 0.0, 0.8, 0.5]])
    w = np.arange(10.0).reshape(2, 5) - 4

    def second(lib):
        t = lib.tensor(x, requires_grad=True)
        g, = lib.autograd.grad((t.cumprod(1) * lib.tensor(w)).sum(), t, create_graph=True)
        (g * g).sum().backward()
        return g.detach().numpy(), t.grad.numpy()
    for a, b in zip(second(gradcore), second(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_cumprod_in_place(torch):
    g, t = gradcore.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[1.0, 2.0, 3.0]])
    assert g.cumprod_(1) is g
    t.cumprod_(1)
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    leaf = gradcore.tensor([1.0, 2.0], requires_grad=True)
    y = leaf * 1
    y.cumprod_(0)
    assert y.grad_fn.name() == "CumprodBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), [3.0, 1.0])


# ---- cummax / cummin ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_cummin_ties_nan_and_dtypes(torch, fn):
    rows = np.array([[1.0, 3.0, 3.0, 2.0, 1.0, 1.0], [2.0, NAN, 5.0, NAN, -1.0, 7.0],
                     [-INF, -INF, INF, 0.0, INF, -INF]])
    for dim in (0, 1, -1):
        same(torch, lambda lib, t: getattr(lib, fn)(t, dim), rows)
    same(torch, lambda lib, t: getattr(t, fn)(1), np.array([[3, 1, 3, 1, 4], [0, 0, 9, 9, 2]]))
    same(torch, lambda lib, t: getattr(t, fn)(0), np.array([True, False, True, False]))
    same(torch, lambda lib, t: getattr(t, fn)(0), np.array(2.5))
    same(torch, lambda lib, t: getattr(t, fn)(1), np.zeros((2, 0)))
    out = getattr(gradcore.tensor([1.0, 2.0]), fn)(0)
    assert type(out).__name__ == fn and out.values is out[0] and out.indices is out[1]


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_gradient_adds_up_at_the_indices(torch, fn):
    x = np.array([[1.0, 3.0, 3.0, 2.0, 5.0], [4.0, 1.0, 4.0, 0.5, 0.5]])  # ties
    grads_match(torch, lambda lib, t: getattr(t, fn)(1).values, x)
    grads_match(torch, lambda lib, t: getattr(t, fn)(0).values, x)


# ---- logcumsumexp ------------------------------------------------------------------------------

def test_logcumsumexp_extremes(torch):
    x = np.array([[-INF, -INF, 0.0, 800.0, -800.0], [1000.0, -1000.0, 1000.0, -INF, 3.0],
                  [-INF, -INF, -INF, -INF, -INF]])
    same(torch, lambda lib, t: t.logcumsumexp(1), x, rtol=1e-12)
    same(torch, lambda lib, t: lib.logcumsumexp(t, 0), x, rtol=1e-12)
    same(torch, lambda lib, t: t.logcumsumexp(0), np.array(1.5))
    same(torch, lambda lib, t: t.logcumsumexp(0), np.zeros(0))
    grads_match(torch, lambda lib, t: t.logcumsumexp(1), np.array([[-50.0, 0.0, 30.0, 31.0]]),
                rtol=1e-12)


def test_logcumsumexp_float32_long_scan(torch):
    x = np.random.default_rng(0).standard_normal((3, 300)).astype(np.float32) * 20
    same(torch, lambda lib, t: t.logcumsumexp(1), x, rtol=1e-5)


# ---- diff --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"n": 2}, {"n": 0}, {"n": 7}, {"dim": 0}, {"n": 2, "dim": -2}])
def test_diff(torch, kw):
    x = np.array([[1.0, 4.0, 9.0, 16.0], [2.0, 1.0, 0.0, 5.0]])
    same(torch, lambda lib, t: t.diff(**kw), x)
    same(torch, lambda lib, t: lib.diff(t, **kw), np.array([[1, 4, 9, 3], [0, 7, 2, 2]]))
    same(torch, lambda lib, t: t.diff(**kw), np.array([[True, False, False, True]] * 2))


def test_diff_order_zero_is_a_copy():
    x = gradcore.tensor([1.0, 2.0], requires_grad=True)
    y = x.diff(n=0)
    assert y is not x and y.data_ptr() != x.data_ptr() and y.requires_grad


def test_diff_prepend_append_promote(torch):
    x, pre, app = np.array([[1, 2], [3, 5]]), np.array([[0.5], [1.5]]), np.array([[7], [1]])
    same(torch, lambda lib, t, p, a: lib.diff(t, prepend=p, append=a), x, pre, app)
    same(torch, lambda lib, t, a: t.diff(n=2, dim=0, append=a), x, np.array([[1, 1]]))
    grads_match(torch, lambda lib, t: t.diff(n=2, prepend=t * 2), np.array([[1.0, 4.0, -2.0]]))


# ---- aminmax, nansum, nanmean ------------------------------------------------------------------

@pytest.mark.parametrize("x", [np.array([[3, 1, 4], [1, 5, 9]]), np.array([True, False]),
                               np.array([[1.0, NAN], [2.0, -INF]]), np.array(4.0)])
def test_aminmax(torch, x):
    same(torch, lambda lib, t: lib.aminmax(t), x)
    same(torch, lambda lib, t: t.aminmax(dim=0), x)
    same(torch, lambda lib, t: t.aminmax(dim=-1, keepdim=True), x)
    same(torch, lambda lib, t: t.aminmax(keepdim=True), x)
    out = gradcore.aminmax(gradcore.tensor(x))
    assert type(out).__name__ == "aminmax" and out.min is out[0] and out.max is out[1]


def test_aminmax_gradient_is_shared_among_ties(torch):
    x = np.array([[1.0, 3.0, 1.0], [3.0, 2.0, 3.0]])
    grads_match(torch, lambda lib, t: lib.aminmax(t).min * 2 + lib.aminmax(t).max, x)
    grads_match(torch, lambda lib, t: t.aminmax(dim=1).max, x)


@pytest.mark.parametrize("x", [np.array([[1, 2], [3, 4]]), np.array([True, True, False]),
                               np.array([[1.0, NAN], [NAN, NAN]], dtype=np.float32)])
def test_nansum_dtypes(torch, x):
    same(torch, lambda lib, t: t.nansum(), x)
    same(torch, lambda lib, t: lib.nansum(t, 0, keepdim=True), x)
    same(torch, lambda lib, t: t.nansum(dim=(0,), dtype=lib.float64), x)


def test_nanmean(torch):
    x = np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN]], dtype=np.float32)
    same(torch, lambda lib, t: t.nanmean(), x)
    same(torch, lambda lib, t: t.nanmean(1, keepdim=True), x)
    same(torch, lambda lib, t: lib.nanmean(t, dim=0, dtype=lib.float64), x)
    same(torch, lambda lib, t: t.nanmean(1), np.zeros((2, 0)))
    grads_match(torch, lambda lib, t: t.nanmean(1), x.astype(np.float64))


# ---- var_mean / std_mean -----------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
def test_var_mean_kwargs_and_partial_gradients(torch, fn):
    x = np.array([[1.0, 2.0, 4.0], [0.5, 0.5, 3.0]])
    for args, kw in [((), {}), ((1,), {}), ((0, False), {}), ((), {"dim": 1, "correction": 0}),
                     ((False,), {}), ((), {"dim": (0, 1), "keepdim": True, "correction": 2})]:
        got = same(torch, lambda lib, t: getattr(lib, fn)(t, *args, **kw), x, rtol=1e-12)
        assert type(got) is list and len(got) == 2
    for k in (0, 1):  # only one of the outputs used: the other's gradient is absent
        grads_match(torch, lambda lib, t: getattr(lib, fn)(t, 1)[k], x, rtol=1e-12)
    g = getattr(gradcore, fn)(gradcore.tensor(x))
    assert isinstance(g, tuple)


@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
def test_var_mean_one_element_warns(torch, fn):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        got = getattr(gradcore, fn)(gradcore.tensor([2.0]))
    assert any("degrees of freedom" in str(w.message) for w in seen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(torch, fn)(torch.tensor([2.0]))
    for g, t in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), t.numpy())


# ---- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn,exc", [
    (lambda lib: lib.tensor([1, 2]).logcumsumexp(0), NotImplementedError),
    (lambda lib: lib.tensor(2.0).cumprod(1), IndexError),
    (lambda lib: lib.tensor([1.0]).cummax(1), IndexError),
    (lambda lib: lib.tensor(1.0).diff(), RuntimeError),
    (lambda lib: lib.tensor([1.0, 2.0]).diff(n=-1), RuntimeError),
    (lambda lib: lib.tensor([[1, 2]]).diff(prepend=lib.tensor([0])), RuntimeError),
    (lambda lib: lib.tensor([1.0, 2.0]).diff(append=lib.tensor(0.0)), RuntimeError),
    (lambda lib: lib.aminmax(lib.tensor([])), RuntimeError),
    (lambda lib: lib.aminmax(lib.zeros(2, 0), dim=1), IndexError),
    (lambda lib: lib.aminmax(lib.zeros(2, 0), dim=-1), IndexError),
    (lambda lib: lib.tensor([1, 2]).nanmean(), RuntimeError),
    (lambda lib: lib.tensor([1, 2]).nanmean(dtype=lib.float32), RuntimeError),
    (lambda lib: lib.var_mean(lib.tensor([1, 2])), RuntimeError),
    (lambda lib: lib.std_mean(lib.tensor([1, 2])), RuntimeError),
])
def test_errors_match_torch(torch, fn, exc):
    with pytest.raises(exc) as want:
        fn(torch)
    with pytest.raises(exc) as got:
        fn(gradcore)
    assert str(got.value).splitlines()[0] == str(want.value).splitlines()[0]
