"""Fractional max pooling (2-d and 3-d) and channel_shuffle against PyTorch: outputs, indices,
node names and gradients from the same ``_random_samples``, in float32 and float64, batched
and unbatched; gradcheck / gradgradcheck in float64; the layers (FractionalMaxPool2d/3d,
ChannelShuffle) with their reprs and buffers; the *_with_indices forms; PyTorch's error
types and messages."""
import inspect

import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
import gradcore.nn.functional as gF
from gradcore.autograd import gradcheck, gradgradcheck

from test_conv_pool import _arrays, _np, _second_order
from test_reduction_ops import run_both


def _F(lib):
    return gF if lib is gradcore else lib.nn.functional


# ---- fractional max pooling ------------------------------------------------------------------

FRACTIONAL = [  # (id, dims, input shape, kwargs)
    ("2d", 2, (2, 3, 9, 10), dict(kernel_size=3, output_size=(5, 6))),
    ("2d-rect-kernel", 2, (2, 2, 11, 7), dict(kernel_size=(2, 3), output_size=(6, 4))),
    ("2d-overlap", 2, (1, 2, 7, 7), dict(kernel_size=2, output_size=6)),
    ("2d-ratio", 2, (2, 3, 10, 12), dict(kernel_size=2, output_ratio=(0.5, 0.75))),
    ("2d-out-1", 2, (2, 2, 5, 6), dict(kernel_size=(3, 2), output_size=(1, 5))),
    ("2d-unbatched", 2, (3, 8, 9), dict(kernel_size=2, output_size=(4, 6))),
    ("3d", 3, (2, 3, 9, 10, 11), dict(kernel_size=2, output_size=(5, 4, 6))),
    ("3d-rect-kernel", 3, (2, 2, 6, 8, 8), dict(kernel_size=(2, 3, 2), output_size=(3, 5, 6))),
    ("3d-ratio", 3, (1, 2, 8, 6, 10), dict(kernel_size=2, output_ratio=0.5)),
    ("3d-unbatched", 3, (2, 5, 6, 7), dict(kernel_size=(1, 2, 3), output_size=(4, 4, 3))),
]


def _samples(key, xs, nd, dtype):
    n, c = (1, xs[0]) if len(xs) == nd + 1 else xs[:2]
    return np.random.default_rng(len(key) * 7 + nd).random((n, c, nd)).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", FRACTIONAL, ids=[c[0] for c in FRACTIONAL])
def test_fractional_max_pool_matches_torch(torch, device, case, dtype):
    key, nd, xs, kw = case
    x, = _arrays("frac" + key, xs, distinct=True)
    u = _samples(key, xs, nd, dtype)
    name = f"fractional_max_pool{nd}d"

    def fn(L, x):
        s = L.tensor(u, device=device) if L is gradcore else L.tensor(u)
        return getattr(_F(L), name)(x, return_indices=True, _random_samples=s, **kw)
    y, idx = run_both(torch, fn, [x], dtype, device)
    assert idx.dtype == gradcore.int64


def test_fractional_max_pool_follows_the_samples_and_nan(torch):
    """Two planes with different samples get different windows; a NaN wins its window."""
    x = np.arange(2 * 10 * 10, dtype=np.float64).reshape(1, 2, 10, 10) % 7
    x[0, 0, 3, 4] = np.nan
    u = np.array([[[0.1, 0.9], [0.7, 0.2]]])
    got = gF.fractional_max_pool2d(gradcore.tensor(x), 3, 4, return_indices=True,
                                   _random_samples=gradcore.tensor(u))
    want = torch.nn.functional.fractional_max_pool2d(torch.tensor(x), 3, 4, return_indices=True,
                                                     _random_samples=torch.tensor(u))
    np.testing.assert_array_equal(_np(got[1]), want[1].numpy())
    np.testing.assert_array_equal(_np(got[0]), want[0].numpy())
    assert np.isnan(_np(got[0])).any()


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_gradcheck_and_gradgradcheck(device, nd):
    xs = (1, 2, 7, 6) if nd == 2 else (1, 2, 5, 6, 5)
    x = gradcore.tensor(_arrays(f"fgc{nd}", xs, distinct=True)[0], device=device,
                        requires_grad=True)
    u = gradcore.tensor(_samples("gc", xs, nd, "float64"), device=device)
    f = getattr(gF, f"fractional_max_pool{nd}d")
    fn = lambda a: f(a, 2, output_size=3, _random_samples=u)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_second_derivatives_match_torch(torch, device, nd):
    xs = (2, 2, 8, 7) if nd == 2 else (2, 2, 7, 7, 8)
    x = _arrays(f"fsecond{nd}", xs, distinct=True)
    u = _samples("second", xs, nd, "float64")

    def fn(L, x):
        s = L.tensor(u, device=device) if L is gradcore else L.tensor(u)
        return getattr(_F(L), f"fractional_max_pool{nd}d")(x, 3, output_size=4,
                                                           _random_samples=s).square()
    _second_order(torch, device, fn, x)


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_draws_its_samples(device, nd):
    """Without _random_samples each call draws its own: the output is a max of each window
    (so at most the input's max, at least its min), and the indices point at the values."""
    xs = (2, 3, 9, 8) if nd == 2 else (2, 3, 7, 8, 6)
    x = gradcore.tensor(_arrays(f"draw{nd}", xs, distinct=True)[0], device=device)
    f = getattr(gF, f"fractional_max_pool{nd}d")
    y, idx = f(x, 2, output_ratio=(0.5,) * nd, return_indices=True)
    assert tuple(y.shape) == xs[:2] + tuple(n // 2 for n in xs[2:])
    flat = _np(x).reshape(xs[0], xs[1], -1)
    np.testing.assert_array_equal(
        np.take_along_axis(flat, _np(idx).reshape(xs[0], xs[1], -1), 2).reshape(y.shape),
        _np(y))
    gradcore.manual_seed(3)
    a = f(x, 2, output_size=3)
    gradcore.manual_seed(3)
    np.testing.assert_array_equal(_np(f(x, 2, output_size=3)), _np(a))


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_modules_match_torch(torch, device, nd):
    xs = (2, 3, 9, 10) if nd == 2 else (2, 3, 6, 7, 8)
    u = _samples("module", xs, nd, "float64")
    name = f"FractionalMaxPool{nd}d"
    for kw in (dict(output_size=4), dict(output_ratio=0.5, return_indices=True)):
        gm = getattr(nn, name)(2, _random_samples=gradcore.tensor(u, device=device), **kw)
        tm = getattr(torch.nn, name)(2, _random_samples=torch.tensor(u), **kw)
        assert repr(gm) == repr(tm)
        assert (gm.kernel_size, gm.output_size, gm.output_ratio) == (
            tm.kernel_size, tm.output_size, tm.output_ratio)
        assert list(gm.state_dict()) == list(tm.state_dict()) == ["_random_samples"]
        x, = _arrays("fmod" + name, xs, distinct=True)
        run_both(torch, lambda L, x: (gm if L is gradcore else tm)(x), [x], "float64", device)
    m = getattr(nn, name)(3, output_size=2)  # no samples: a buffer slot of None, drawn per call
    assert m._random_samples is None and list(m.state_dict()) == []
    assert tuple(m(gradcore.randn(*xs, device=device)).shape) == xs[:2] + (2,) * nd


def _r(L, *shape, dtype=None):
    return L.zeros(*shape, dtype=dtype or L.float32)


def _u(L, *shape, dtype=None):
    return L.full(shape, 0.5, dtype=dtype or L.float32)


FRACTIONAL_ERRORS = [  # (id, fn(F, L), exception type)
    ("no-size", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 6), 2), ValueError),
    ("ratio-len", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 6), 2,
                                                       output_ratio=(0.5, 0.5, 0.5)),
     ValueError),
    ("ratio-number", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 6), 2,
                                                          output_ratio=0.5), TypeError),
    ("kernel-len", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 6), (2, 2, 2), 3,
                                                        _random_samples=_u(L, 1, 2, 2)),
     RuntimeError),
    ("size-len", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 6), 2, (3, 3, 3),
                                                      _random_samples=_u(L, 1, 2, 2)),
     RuntimeError),
    ("2d", lambda F, L: F.fractional_max_pool2d(_r(L, 6, 6), 2, 3,
                                                _random_samples=_u(L, 1, 2, 2)), RuntimeError),
    ("empty", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 0, 6, 6), 2, 3), RuntimeError),
    ("too-large-h", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 9), 3, (5, 4),
                                                         _random_samples=_u(L, 1, 2, 2)),
     RuntimeError),
    ("too-large-w", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 9, 6), 3, (4, 5),
                                                         _random_samples=_u(L, 1, 2, 2)),
     RuntimeError),
    ("samples-dtype", lambda F, L: F.fractional_max_pool2d(
        _r(L, 1, 2, 6, 6), 2, 3, _random_samples=_u(L, 1, 2, 2, dtype=L.float64)),
     RuntimeError),
    ("samples-dims", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 6), 2, 3,
                                                          _random_samples=_u(L, 2, 2)),
     RuntimeError),
    ("samples-batch", lambda F, L: F.fractional_max_pool2d(_r(L, 3, 2, 6, 6), 2, 3,
                                                           _random_samples=_u(L, 2, 2, 2)),
     RuntimeError),
    ("samples-channels", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 6), 2, 3,
                                                              _random_samples=_u(L, 1, 3, 2)),
     RuntimeError),
    ("samples-last", lambda F, L: F.fractional_max_pool2d(_r(L, 1, 2, 6, 6), 2, 3,
                                                          _random_samples=_u(L, 1, 2, 3)),
     RuntimeError),
    ("int", lambda F, L: F.fractional_max_pool2d(
        _r(L, 1, 2, 6, 6, dtype=L.int64), 2, 3, _random_samples=_u(L, 1, 2, 2, dtype=L.int64)),
     NotImplementedError),
    ("3d-no-size", lambda F, L: F.fractional_max_pool3d(_r(L, 1, 2, 6, 6, 6), 2), ValueError),
    ("3d-kernel-len", lambda F, L: F.fractional_max_pool3d(_r(L, 1, 2, 6, 6, 6), (2, 2), 3,
                                                           _random_samples=_u(L, 1, 2, 3)),
     RuntimeError),
    ("3d-size-len", lambda F, L: F.fractional_max_pool3d(_r(L, 1, 2, 6, 6, 6), 2, (3, 3),
                                                         _random_samples=_u(L, 1, 2, 3)),
     RuntimeError),
    ("3d-3d", lambda F, L: F.fractional_max_pool3d(_r(L, 6, 6, 6), 2, 3,
                                                   _random_samples=_u(L, 1, 2, 3)),
     RuntimeError),
    ("3d-empty", lambda F, L: F.fractional_max_pool3d(_r(L, 1, 2, 0, 6, 6), 2, 3,
                                                      _random_samples=_u(L, 1, 2, 3)),
     RuntimeError),
    ("3d-too-large-t", lambda F, L: F.fractional_max_pool3d(_r(L, 1, 2, 5, 9, 9), 2, 5,
                                                            _random_samples=_u(L, 1, 2, 3)),
     RuntimeError),
    ("3d-too-large-w", lambda F, L: F.fractional_max_pool3d(_r(L, 1, 2, 9, 9, 5), 2, 5,
                                                            _random_samples=_u(L, 1, 2, 3)),
     RuntimeError),
    ("3d-just-too-large-h", lambda F, L: F.fractional_max_pool3d(
        _r(L, 1, 2, 9, 7, 9), (2, 3, 2), (3, 5, 3), _random_samples=_u(L, 1, 2, 3)),
     RuntimeError),
    ("3d-samples-last", lambda F, L: F.fractional_max_pool3d(_r(L, 1, 2, 6, 6, 6), 2, 3,
                                                             _random_samples=_u(L, 1, 2, 2)),
     RuntimeError),
    ("3d-int", lambda F, L: F.fractional_max_pool3d(
        _r(L, 1, 2, 6, 6, 6, dtype=L.int64), 2, 3,
        _random_samples=_u(L, 1, 2, 3, dtype=L.int64)), NotImplementedError),
    ("module-nothing", lambda F, L: L.nn.FractionalMaxPool2d(2), ValueError),
    ("module-both", lambda F, L: L.nn.FractionalMaxPool2d(2, 3, 0.5), ValueError),
    ("module-ratio", lambda F, L: L.nn.FractionalMaxPool2d(2, output_ratio=(0.5, 1.0)),
     ValueError),
    ("module3-kernel", lambda F, L: L.nn.FractionalMaxPool3d((2, 0, 2), 3), ValueError),
    ("module3-ratio", lambda F, L: L.nn.FractionalMaxPool3d(2, output_ratio=1.5), ValueError),
    ("module3-nothing", lambda F, L: L.nn.FractionalMaxPool3d(2), ValueError),
]


def _errors_match(torch, fn, exc):
    with pytest.raises(exc) as ours:
        fn(gF, gradcore)
    with pytest.raises(exc) as theirs:
        fn(torch.nn.functional, torch)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("case", FRACTIONAL_ERRORS, ids=[c[0] for c in FRACTIONAL_ERRORS])
def test_fractional_max_pool_errors_match_torch(torch, case):
    _errors_match(torch, case[1], case[2])


# ---- channel_shuffle -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 4), 3), ((2, 6, 3, 4), 2), ((1, 4, 5), 4),
                                          ((2, 8, 2, 3, 2), 2), ((3, 5, 2), 1), ((0, 6, 3), 2)])
def test_channel_shuffle_matches_torch(torch, device, dtype, shape, groups):
    x, = _arrays(f"cs{shape}{groups}", shape)
    for name in ("channel_shuffle", "native_channel_shuffle"):
        want = getattr(torch.nn.functional, name)(torch.tensor(x.astype(dtype)), groups)
        got = getattr(gF, name)(gradcore.tensor(x.astype(dtype), device=device), groups)
        np.testing.assert_array_equal(_np(got), want.numpy())
    if shape[0]:
        run_both(torch, lambda L, x: L.channel_shuffle(x, groups), [x], dtype, device)


def test_channel_shuffle_gradcheck_and_module(torch, device):
    x = gradcore.tensor(_arrays("csgc", (2, 6, 2, 3))[0], device=device, requires_grad=True)
    assert gradcheck(lambda a: gF.channel_shuffle(a, 3), (x,))
    assert gradgradcheck(lambda a: gF.channel_shuffle(a, 3), (x,))
    gm, tm = nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3)
    assert repr(gm) == repr(tm) == "ChannelShuffle(groups=3)"
    run_both(torch, lambda L, x: (gm if L is gradcore else tm)(x), [_np(x)], "float64", device)
    assert gradcore.nn.modules.channelshuffle.ChannelShuffle is nn.ChannelShuffle


@pytest.mark.parametrize("fn", [
    lambda F, L: F.channel_shuffle(_r(L, 2, 6, 3), 4),
    lambda F, L: F.channel_shuffle(_r(L, 2, 6, 3), 0),
    lambda F, L: F.channel_shuffle(_r(L, 2, 6, 3), -2),
    lambda F, L: F.channel_shuffle(_r(L, 2, 6), 2),
    lambda F, L: F.channel_shuffle(_r(L, 6), 2),
    lambda F, L: F.native_channel_shuffle(_r(L, 2, 6), 2),
])
def test_channel_shuffle_errors_match_torch(torch, fn):
    _errors_match(torch, fn, RuntimeError)


def test_channel_shuffle_groups_must_be_an_int(torch):
    _errors_match(torch, lambda F, L: F.channel_shuffle(_r(L, 2, 6, 3), 2.0), TypeError)


def test_namespaces():
    for name in ("fractional_max_pool2d", "fractional_max_pool3d",
                 "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices",
                 "channel_shuffle", "native_channel_shuffle"):
        assert callable(getattr(gF, name)), name
    for name in ("channel_shuffle", "native_channel_shuffle", "max_pool1d_with_indices"):
        assert inspect.unwrap(getattr(gradcore, name)) is inspect.unwrap(getattr(gF, name))


@pytest.mark.parametrize("name,xs,args", [
    ("max_pool1d_with_indices", (2, 3, 9), (3, 2, 1)),
    ("max_pool2d_with_indices", (2, 3, 7, 6), (2,)),
    ("max_pool3d_with_indices", (1, 2, 5, 6, 4), ((2, 3, 2), 1, 1)),
    ("adaptive_max_pool1d_with_indices", (2, 3, 9), (4,)),
    ("adaptive_max_pool2d_with_indices", (2, 3, 7, 6), ((3, None),)),
    ("adaptive_max_pool3d_with_indices", (2, 5, 6, 4), (2,)),
    ("fractional_max_pool2d_with_indices", (2, 3, 7, 6), (2, 3)),
])
def test_with_indices_forms_match_torch(torch, device, name, xs, args):
    """The *_with_indices forms give (output, indices) whatever return_indices says."""
    x, = _arrays("wi" + name, xs, distinct=True)
    u = _samples(name, xs, 2, "float64")

    def kw(L):
        if not name.startswith("fractional"):
            return {}
        return dict(_random_samples=L.tensor(u, device=device) if L is gradcore
                    else L.tensor(u))
    y, idx = run_both(torch, lambda L, x: getattr(_F(L), name)(x, *args, return_indices=False,
                                                               **kw(L)), [x], "float64",
                      device)
    assert idx.dtype == gradcore.int64
