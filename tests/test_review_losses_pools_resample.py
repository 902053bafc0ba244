"""Regressions from a review, against PyTorch, of ctc_loss, the fractional / 3-d pools,
lp_pool, channel_shuffle, grid_sample and interpolate's antialias: each test failed before
its fix.  Edges the authors' tests missed: empty batches, 1-element size tuples, infinite
upstream gradients (sign / floor / round, lp_pool at an all-zero window), grid_sample with
only the grid requiring grad or with a nan grid, float16 where PyTorch has no kernel or
computes in float32."""
import warnings

import numpy as np
import pytest

import gradcore
import gradcore.nn.functional as gF


def _F(lib):
    return gF if lib is gradcore else lib.nn.functional


def _np(t):
    return np.asarray(t.detach().cpu().numpy(), dtype=np.float64)


def _errors(torch, fn):
    """fn(lib) raising in both: (type name, message) for gradcore and for torch."""
    got = []
    for lib in (gradcore, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        got.append((type(info.value).__name__, str(info.value)))
    return got


# ---- ctc_loss ------------------------------------------------------------------------------

def test_ctc_loss_type_error_names_a_one_element_tuple_as_python_does(torch):
    def bad(lib):  # a float length in a 1-tuple: "tuple of (float,)", Python's repr
        _F(lib).ctc_loss(lib.zeros(5, 1, 4), lib.ones(1, 3, dtype=lib.long), (5.0,), (3,))
    ours, theirs = _errors(torch, bad)
    assert ours == theirs
    assert "tuple of (float,)" in ours[1]


# ---- fractional max pooling ------------------------------------------------------------------

@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_empty_batch(torch, nd):
    shape = (0, 3) + (7,) * nd
    outs = []
    for lib in (gradcore, torch):
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        f = getattr(_F(lib), f"fractional_max_pool{nd}d")
        y, idx = f(x, 2, output_size=3, return_indices=True,
                   _random_samples=lib.zeros((0, 3, nd), dtype=lib.float64))
        (y * 2).sum().backward()
        outs.append((tuple(y.shape), tuple(idx.shape), tuple(x.grad.shape)))
    assert outs[0] == outs[1] == (((0, 3) + (3,) * nd,) * 2 + (shape,))


@pytest.mark.parametrize("nd, kwargs", [
    (2, dict(kernel_size=(2,), output_size=3)),      # a 1-element kernel is not broadcast
    (3, dict(kernel_size=(2,), output_size=3)),
    (2, dict(kernel_size=2, output_size=(3,))),
    (3, dict(kernel_size=2, output_size=(3,))),
    (2, dict(kernel_size=2, output_ratio=(0.5,))),   # IndexError, as PyTorch's wrapper
    (3, dict(kernel_size=2, output_ratio=[0.5, 0.5])),
])
def test_fractional_max_pool_short_sizes_raise_as_torch(torch, nd, kwargs):
    def bad(lib):
        getattr(_F(lib), f"fractional_max_pool{nd}d")(lib.zeros((1, 1) + (8,) * nd), **kwargs)
    ours, theirs = _errors(torch, bad)
    assert ours == theirs


def test_channel_shuffle_backward_of_no_channels_raises_as_torch(torch):
    def bad(lib):
        x = lib.zeros(2, 0, 3, 4, requires_grad=True)
        _F(lib).channel_shuffle(x, 3).sum().backward()
    ours, theirs = _errors(torch, bad)
    assert ours == theirs


# ---- max_unpool, lp_pool -------------------------------------------------------------------

@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_empty_batch(torch, nd):
    outs = []
    for lib in (gradcore, torch):
        F = _F(lib)
        x = lib.zeros((0, 2) + (4,) * nd, dtype=lib.float64)
        y, idx = getattr(F, f"max_pool{nd}d")(x, 2, return_indices=True)
        y.requires_grad_()
        u = getattr(F, f"max_unpool{nd}d")(y, idx, 2)
        u.sum().backward()
        outs.append((tuple(u.shape), tuple(y.grad.shape)))
    assert outs[0] == outs[1] == (((0, 2) + (4,) * nd), (0, 2) + (2,) * nd)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_lp_pool_all_zero_window_has_zero_gradient(torch, nd):
    """(sign(out) * relu(|out|)) ** (1 / p) at out = 0: pow's infinite derivative meets relu's
    0, which PyTorch selects (threshold_backward) rather than multiplies (nan); first and
    second derivatives."""
    a = np.abs(np.random.default_rng(0).standard_normal((1, 2) + (4,) * nd))
    a[(0, 0) + (slice(0, 2),) * nd] = 0  # the first window of channel 0: all zeros
    grads = []
    for lib in (gradcore, torch):
        x = lib.tensor(a, requires_grad=True)
        y = getattr(_F(lib), f"lp_pool{nd}d")(x, 2, 2)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        g2, = lib.autograd.grad((g * g).sum(), x)
        grads.append((_np(y), _np(g), _np(g2)))
    assert not np.isnan(grads[1][1]).any()
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("op", ["sign", "floor", "round"])
def test_zero_derivatives_with_an_infinite_gradient(torch, op):
    """PyTorch's zeros_like(grad), not grad * 0 (nan for an infinite grad)."""
    grads = []
    for lib in (gradcore, torch):
        x = lib.tensor([-1.5, 0.0, 2.5], dtype=lib.float64, requires_grad=True)
        gy = lib.tensor([np.inf, np.inf, -np.inf], dtype=lib.float64)
        getattr(lib, op)(x).backward(gy)
        grads.append(_np(x.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_lp_pool3d_kernel_pair_raises_as_torch(torch):
    def bad(lib):
        _F(lib).lp_pool3d(lib.ones(1, 1, 4, 4, 4), 2, (2, 2))
    ours, theirs = _errors(torch, bad)
    assert ours == theirs == ("ValueError", "not enough values to unpack (expected 3, got 2)")


# ---- grid_sample -----------------------------------------------------------------------------

def _grid_sample_both(torch, x, grid, needs, **kw):
    out = []
    for lib in (gradcore, torch):
        xs = [lib.tensor(a, requires_grad=r) for a, r in zip((x, grid), needs)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = _F(lib).grid_sample(*xs, **kw)
        wrt = [t for t in xs if t.requires_grad]
        grads = lib.autograd.grad((y * y).sum(), wrt)
        out.append([_np(y)] + [_np(g) for g in grads])
    return out


@pytest.mark.parametrize("nd", [2, 3])
def test_grid_sample_nearest_grid_only_requires_grad(torch, nd):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2) + (4,) * nd)
    grid = rng.uniform(-1.2, 1.2, (2,) + (3,) * nd + (nd,))
    ours, theirs = _grid_sample_both(torch, x, grid, (False, True), mode="nearest",
                                     align_corners=False)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)  # the grid's gradient: zeros, as PyTorch's


@pytest.mark.parametrize("mode, nd", [("bilinear", 2), ("bilinear", 3), ("nearest", 2),
                                      ("nearest", 3), ("bicubic", 2)])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_grid_sample_non_finite_grid(torch, mode, nd, value):
    """A corner outside the input has weight 0 by a select: no nan reaches the input's
    gradient (it did through 0 * nan).  The output there is 0, as PyTorch's 3-d kernel and
    its 2-d nearest; its 2-d bilinear / bicubic kernels give nan there (not matched)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 2) + (4,) * nd)
    grid = rng.uniform(-0.9, 0.9, (1,) + (2,) * nd + (nd,))
    grid.reshape(-1, nd)[0] = value
    ours, theirs = _grid_sample_both(torch, x, grid, (True, True), mode=mode,
                                     align_corners=False)
    assert np.isfinite(theirs[1]).all() and np.isfinite(ours[1]).all()
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12)
    if nd == 3 or mode == "nearest":
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    else:
        finite = np.isfinite(theirs[0])
        np.testing.assert_allclose(ours[0][finite], theirs[0][finite], rtol=1e-12, atol=1e-12)
        assert (ours[0][~finite] == 0).all()


# ---- interpolate -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_interpolate_antialias_has_no_half_kernel(torch, dtype, mode):
    def bad(lib):
        _F(lib).interpolate(lib.zeros(1, 1, 6, 6, dtype=getattr(lib, dtype)), size=(3, 3),
                            mode=mode, antialias=True)
    ours, theirs = _errors(torch, bad)
    assert ours == theirs


@pytest.mark.parametrize("shape, mode, kw", [
    ((2, 0, 5), "nearest", {}), ((2, 0, 5), "linear", dict(antialias=False)),
    ((2, 0, 5, 5), "bilinear", dict(antialias=True)), ((2, 0, 5, 5), "bicubic", {}),
    ((2, 0, 4, 4, 4), "trilinear", {}), ((2, 0, 4, 4, 4), "nearest-exact", {}),
])
def test_interpolate_zero_channels_raises_as_torch(torch, shape, mode, kw):
    def bad(lib):
        _F(lib).interpolate(lib.zeros(shape), size=(3,) * (len(shape) - 2), mode=mode, **kw)
    ours, theirs = _errors(torch, bad)
    assert ours == theirs


@pytest.mark.parametrize("mode", ["linear", "bilinear", "bicubic", "trilinear"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("scale", [0.6, 1.3])
def test_interpolate_float16_is_float32_rounded_once(torch, mode, align_corners, scale):
    """float16 interpolated in float32 and rounded once (PyTorch's opmath): exactly the
    float32 result rounded, its gradient too; within an ulp of PyTorch's float16 for
    bilinear (its other half kernels round inside, several ulps off float32: not checked)."""
    nd = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}[mode]
    a = np.random.default_rng(5).standard_normal((2, 3, 7, 9, 5)[:2 + nd]).astype(np.float16)
    outs = {}
    for lib, dtype in ((gradcore, "float16"), (gradcore, "float32"), (torch, "float16")):
        x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
        y = _F(lib).interpolate(x, scale_factor=scale, mode=mode, align_corners=align_corners)
        gy = np.random.default_rng(6).standard_normal(tuple(y.shape)).astype(np.float16)
        w = lib.tensor(gy, dtype=getattr(lib, dtype))
        g, = lib.autograd.grad(y, x, w)
        outs[lib.__name__, dtype] = (y.detach().cpu().numpy(), g.cpu().numpy())
    half, single = outs["gradcore", "float16"], outs["gradcore", "float32"]
    assert half[0].dtype == half[1].dtype == np.float16
    np.testing.assert_array_equal(half[0], single[0].astype(np.float16))
    np.testing.assert_array_equal(half[1], single[1].astype(np.float16))
    if mode != "bilinear":
        return
    for ours, theirs in zip(half, outs["torch", "float16"]):
        np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64),
                                   rtol=2 ** -10, atol=2 ** -14)
