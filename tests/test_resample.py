"""pad, interpolate / Upsample (antialias too), grid_sample (4-D and 5-D, bicubic),
affine_grid, unfold / fold, pixel_shuffle and the padding layers against PyTorch: forward,
gradients (input and grid/theta), node names, errors."""
import numpy as np
import pytest

import gradcore
import gradcore.nn as gnn
import gradcore.nn.functional as gF
from gradcore.autograd import gradcheck, gradgradcheck

from test_reduction_ops import run_both

TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def _compare(torch, fn, arrays, dtype="float64", grad=True, node=True):
    """fn(lib, F, *tensors) on gradcore and torch; forward, input gradients, grad_fn name."""
    tF = torch.nn.functional
    g_in = [gradcore.tensor(a.astype(dtype), requires_grad=grad) for a in arrays]
    t_in = [torch.tensor(a.astype(dtype), requires_grad=grad) for a in arrays]
    gy = fn(gradcore, gF, *g_in)
    ty = fn(torch, tF, *t_in)
    tol = TOL[dtype]
    assert tuple(gy.shape) == tuple(ty.shape)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), **tol)
    if node and grad:
        assert type(gy.grad_fn).__name__ == type(ty.grad_fn).__name__
    if grad:
        up = np.random.default_rng(0).standard_normal(tuple(ty.shape)).astype(dtype)
        gy.backward(gradcore.tensor(up))
        ty.backward(torch.tensor(up))
        for g, t in zip(g_in, t_in):
            np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), **tol)
            assert g.grad.dtype.name == str(t.grad.dtype).split(".")[-1]
    return gy, ty


def _functional(lib):
    return gF if lib is gradcore else lib.nn.functional


def _errors_match(torch, fn, *arrays):
    """The same exception type and message from both."""
    g_in = [gradcore.tensor(a) for a in arrays]
    t_in = [torch.tensor(a) for a in arrays]
    with pytest.raises(Exception) as te:
        fn(torch, torch.nn.functional, *t_in)
    with pytest.raises(type(te.value)) as ge:
        fn(gradcore, gF, *g_in)
    assert str(ge.value) == str(te.value).replace("torch.Size", "gradcore.Size")


@pytest.fixture
def x4(rng):
    return rng.standard_normal((2, 3, 5, 6))


# ---- pad -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 3, 7), (2, 3)), ((3, 7), (1, 0)),
                                       ((2, 3, 5, 6), (1, 2, 3, 0)), ((3, 5, 6), (2, 2, 1, 4)),
                                       ((1, 2, 4, 5, 6), (1, 2, 0, 3, 2, 1)),
                                       ((2, 4, 5, 6), (3, 1, 2, 2, 1, 0))])
def test_pad_modes(torch, rng, dtype, mode, shape, pad):
    _compare(torch, lambda lib, F, x: F.pad(x, pad, mode=mode), [rng.standard_normal(shape)],
             dtype)


@pytest.mark.parametrize("pad", [(1, 1), (-1, 2), (0, 0, -2, 1), (1, 2, 3, 4, 5, 6, 1, 1),
                                 (2, -3, 1, 1, 0, 2)])
def test_pad_constant_any_dims_and_negative(torch, rng, pad):
    _compare(torch, lambda lib, F, x: F.pad(x, pad, value=1.5),
             [rng.standard_normal((2, 3, 5, 6))])


@pytest.mark.parametrize("pad", [(-1, 2, 1, -2), (-3, -3, 0, 0), (-5, 1, 0, 0), (-2, -4, 1, 1)])
def test_pad_negative_circular(torch, rng, pad):
    x = rng.standard_normal((2, 3, 5, 6))
    try:
        torch.nn.functional.pad(torch.tensor(x), pad, mode="circular")
    except RuntimeError:
        _errors_match(torch, lambda lib, F, t: F.pad(t, pad, mode="circular"), x)
        return
    _compare(torch, lambda lib, F, t: F.pad(t, pad, mode="circular"), [x], node=False)


def test_pad_empty_batch(torch):
    x = np.zeros((0, 3, 4, 5))
    for mode in ("reflect", "replicate", "constant"):
        _compare(torch, lambda lib, F, t: F.pad(t, (1, 1, 1, 1), mode=mode), [x], grad=False)
    _errors_match(torch, lambda lib, F, t: F.pad(t, (1, 1), mode="reflect"), np.zeros((2, 0, 4)))


def test_pad_gradcheck(rng):
    x = gradcore.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert gradcheck(lambda t: gF.pad(t, (2, 1, 1, 3), mode=mode), (x,))
        assert gradgradcheck(lambda t: gF.pad(t, (2, 1, 1, 3), mode=mode), (x,))


@pytest.mark.parametrize("case", [
    lambda F, x: F.pad(x, (1, 2, 3)),
    lambda F, x: F.pad(x, (1,) * 10),
    lambda F, x: F.pad(x, (-4, -3)),
    lambda F, x: F.pad(x, (6, 6), mode="reflect") if x.dim() == 3 else F.pad(x, (6, 6, 0, 0),
                                                                             mode="reflect"),
    lambda F, x: F.pad(x, (0, 0, 5, 1), mode="reflect"),
    lambda F, x: F.pad(x, (7, 0, 0, 0), mode="circular"),
    lambda F, x: F.pad(x, (1, 1, 1, 1), mode="foo"),
    lambda F, x: F.pad(x, (1, 1), mode="reflect"),
    lambda F, x: F.pad(x, (1, 1, 1, 1), mode="reflect", value=2.0),
])
def test_pad_errors(torch, x4, case):
    _errors_match(torch, lambda lib, F, x: case(F, x), x4)


def test_padding_modules(torch, rng):
    cases = [("ZeroPad1d", (2, 1), (2, 3, 5)), ("ZeroPad2d", (1, 2, 0, 3), (2, 3, 4, 5)),
             ("ZeroPad3d", 1, (1, 2, 3, 4, 5)), ("ConstantPad1d", (3, 0.5), (2, 3, 5)),
             ("ConstantPad2d", ((1, 0, 2, 1), -1.0), (2, 3, 4, 5)),
             ("ConstantPad3d", (1, 2.0), (1, 2, 3, 4, 5)), ("ReflectionPad1d", 2, (2, 3, 5)),
             ("ReflectionPad2d", (1, 2, 3, 0), (2, 3, 4, 5)), ("ReflectionPad3d", 1, (1, 2, 3, 4, 5)),
             ("ReplicationPad1d", (3, 1), (2, 3, 5)), ("ReplicationPad2d", 2, (2, 3, 4, 5)),
             ("ReplicationPad3d", (1, 0, 2, 1, 0, 1), (1, 2, 3, 4, 5)),
             ("CircularPad1d", 2, (2, 3, 5)), ("CircularPad2d", (1, 2, 3, 0), (2, 3, 4, 5)),
             ("CircularPad3d", 1, (1, 2, 3, 4, 5))]
    for name, args, shape in cases:
        args = args if isinstance(args, tuple) and name.startswith("Constant") else (args,)
        gm, tm = getattr(gnn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(gm) == repr(tm)
        _compare(torch, lambda lib, F, x: (gm if lib is gradcore else tm)(x),
                 [rng.standard_normal(shape)], node=not name.startswith("Circular"))


# ---- interpolate -----------------------------------------------------------------------------

SIZES_2D = [dict(scale_factor=2), dict(scale_factor=0.5), dict(scale_factor=(1.7, 0.6)),
            dict(scale_factor=3.3, recompute_scale_factor=True), dict(size=(7, 4)),
            dict(size=9), dict(size=(5, 6)), dict(scale_factor=1.3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
@pytest.mark.parametrize("kw", SIZES_2D)
@pytest.mark.parametrize("align", [None, False, True])
def test_interpolate_2d(torch, x4, dtype, mode, kw, align):
    if mode in ("nearest", "nearest-exact", "area"):
        if align is not None:
            return
    _compare(torch, lambda lib, F, x: F.interpolate(x, mode=mode, align_corners=align, **kw),
             [x4], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "area"])
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(scale_factor=0.4), dict(size=11),
                                dict(size=3), dict(scale_factor=2.5, recompute_scale_factor=True)])
@pytest.mark.parametrize("align", [None, True])
def test_interpolate_1d(torch, rng, dtype, mode, kw, align):
    if align and mode != "linear":
        return
    _compare(torch, lambda lib, F, x: F.interpolate(x, mode=mode, align_corners=align, **kw),
             [rng.standard_normal((2, 3, 7))], dtype)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "trilinear", "area"])
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(2, 5, 3)),
                                dict(scale_factor=(1.5, 0.5, 2.0))])
@pytest.mark.parametrize("align", [None, True])
def test_interpolate_3d(torch, rng, mode, kw, align):
    if align and mode != "trilinear":
        return
    _compare(torch, lambda lib, F, x: F.interpolate(x, mode=mode, align_corners=align, **kw),
             [rng.standard_normal((1, 2, 3, 4, 5))], "float64")


def test_interpolate_nearest_many_sizes(torch, rng):
    """PyTorch's float32 index arithmetic for nearest: no off-by-one at any size."""
    x = rng.standard_normal((1, 1, 13))
    for mode in ("nearest", "nearest-exact"):
        for out in range(1, 40):
            _compare(torch, lambda lib, F, t: F.interpolate(t, size=out, mode=mode),
                     [x], "float32", grad=False)
        for s in (0.3, 0.7, 1.1, 1.5, 2.2, 2.9, 3.0, 3.7):
            _compare(torch, lambda lib, F, t: F.interpolate(t, scale_factor=s, mode=mode),
                     [x], "float32", grad=False)


def test_interpolate_gradcheck(rng):
    x = gradcore.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    for mode, ac in (("bilinear", False), ("bicubic", True), ("nearest", None)):
        f = lambda t: gF.interpolate(t, size=(5, 3), mode=mode, align_corners=ac)
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


@pytest.mark.parametrize("case", [
    lambda F, x: F.interpolate(x, size=3, mode="nearest", align_corners=True),
    lambda F, x: F.interpolate(x),
    lambda F, x: F.interpolate(x, size=3, scale_factor=2),
    lambda F, x: F.interpolate(x, size=(3,)),
    lambda F, x: F.interpolate(x, scale_factor=(2,)),
    lambda F, x: F.interpolate(x, size=3, mode="linear"),
    lambda F, x: F.interpolate(x, size=3, mode="trilinear"),
    lambda F, x: F.interpolate(x, size=3, mode="foo"),
    lambda F, x: F.interpolate(x[0, 0], size=3),
    lambda F, x: F.interpolate(x, size=3, recompute_scale_factor=True),
    lambda F, x: F.interpolate(x, size=0),
    lambda F, x: F.interpolate(x, scale_factor=0.1),
])
def test_interpolate_errors(torch, x4, case):
    _errors_match(torch, lambda lib, F, x: case(F, x), x4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("kw", [dict(size=(4, 5)), dict(size=(3, 17)), dict(size=(9, 11)),
                                dict(scale_factor=0.3), dict(scale_factor=(0.45, 1.7)),
                                dict(scale_factor=0.3, recompute_scale_factor=True)])
def test_interpolate_antialias(torch, rng, dtype, mode, align, kw):
    """PyTorch's separable antialias filter: downsampling (widened), upsampling, and a
    scale factor used as given or recomputed from the size; the node is *AaBackward0."""
    x = rng.standard_normal((2, 3, 9, 11))
    _compare(torch, lambda lib, F, t: F.interpolate(t, mode=mode, align_corners=align,
                                                    antialias=True, **kw), [x], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(size=(4, 5)), dict(size=(3, 17)), dict(size=(2, 2)),
                                dict(scale_factor=0.3), dict(scale_factor=(0.45, 1.7))])
def test_interpolate_lanczos(torch, rng, dtype, kw):
    """mode='lanczos' (antialias only): the Lanczos-3 filter, UpsampleLanczos2DAaBackward0."""
    x = rng.standard_normal((2, 3, 9, 11))
    _compare(torch, lambda lib, F, t: F.interpolate(t, mode="lanczos", antialias=True, **kw),
             [x], dtype)


def test_interpolate_antialias_gradcheck_and_second_order(torch, rng):
    x = gradcore.tensor(rng.standard_normal((1, 2, 7, 6)), requires_grad=True)
    for mode in ("bilinear", "bicubic", "lanczos"):
        f = lambda t: gF.interpolate(t, size=(3, 4), mode=mode, antialias=True)  # noqa: E731
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))
        gy = gradcore.autograd.grad(f(x).square().sum(), x, create_graph=True)[0]
        ty = torch.tensor(x.detach().numpy(), requires_grad=True)
        tg = torch.autograd.grad(torch.nn.functional.interpolate(
            ty, size=(3, 4), mode=mode, antialias=True).square().sum(), ty, create_graph=True)[0]
        assert type(gy.grad_fn).__name__ == type(tg.grad_fn).__name__


@pytest.mark.parametrize("case", [
    lambda F, x: F.interpolate(x, size=3, mode="nearest", antialias=True),
    lambda F, x: F.interpolate(x, size=3, mode="area", antialias=True),
    lambda F, x: F.interpolate(x[0], size=3, mode="linear", antialias=True),
    lambda F, x: F.interpolate(x[None], size=3, mode="trilinear", antialias=True),
    lambda F, x: F.interpolate(x.long(), size=3, mode="bilinear", antialias=True),
    lambda F, x: F.interpolate(x, size=3, mode="lanczos"),
    lambda F, x: F.interpolate(x, size=3, mode="lanczos", antialias=True, align_corners=True),
    lambda F, x: F.interpolate(x[0], size=3, mode="lanczos"),
    lambda F, x: F.interpolate(x[None], size=3, mode="lanczos", antialias=True),
    lambda F, x: F.interpolate(x.long(), size=3, mode="lanczos", antialias=True),
])
def test_interpolate_antialias_errors(torch, x4, case):
    _errors_match(torch, lambda lib, F, x: case(F, x), x4)


def test_upsample_modules(torch, x4):
    cases = [("Upsample", dict(scale_factor=2)), ("Upsample", dict(size=(7, 3), mode="bilinear")),
             ("Upsample", dict(scale_factor=1.5, mode="bicubic", align_corners=True)),
             ("UpsamplingNearest2d", dict(scale_factor=2)),
             ("UpsamplingNearest2d", dict(size=(3, 8))),
             ("UpsamplingBilinear2d", dict(scale_factor=2)),
             ("UpsamplingBilinear2d", dict(size=(4, 9)))]
    for name, kw in cases:
        gm, tm = getattr(gnn, name)(**kw), getattr(torch.nn, name)(**kw)
        assert repr(gm) == repr(tm)
        _compare(torch, lambda lib, F, x: (gm if lib is gradcore else tm)(x), [x4])


# ---- grid_sample / affine_grid ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample(torch, rng, dtype, mode, padding_mode, align):
    x = rng.standard_normal((2, 3, 5, 6))
    grid = rng.uniform(-1.6, 1.6, (2, 4, 7, 2))
    _compare(torch, lambda lib, F, a, g: F.grid_sample(a, g, mode=mode,
                                                       padding_mode=padding_mode,
                                                       align_corners=align), [x, grid], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_5d(torch, rng, dtype, mode, padding_mode, align):
    """Trilinear ('bilinear') and nearest sampling of a volume: values, the gradients of input
    and grid, GridSampler3DBackward0."""
    x = rng.standard_normal((2, 3, 4, 5, 6))
    grid = rng.uniform(-1.6, 1.6, (2, 3, 4, 5, 3))
    _compare(torch, lambda lib, F, a, g: F.grid_sample(a, g, mode=mode,
                                                       padding_mode=padding_mode,
                                                       align_corners=align), [x, grid], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_bicubic(torch, rng, dtype, padding_mode, align):
    """Bicubic sampling: each of the 16 taps padded on its own, as PyTorch's.  The grid's
    gradient sums 16 taps x 3 channels of terms up to ~10 that cancel to small values, so in
    float32 it is compared relative to its largest value (run_both's rule): PyTorch's own
    float32 grid gradient is ~1.5e-5 off the float64 one here, as gradcore's is."""
    x = rng.standard_normal((2, 3, 5, 6))
    grid = rng.uniform(-1.6, 1.6, (2, 4, 7, 2))
    run_both(torch, lambda lib, a, g: _functional(lib).grid_sample(
        a, g, mode="bicubic", padding_mode=padding_mode, align_corners=align), [x, grid], dtype)


def test_grid_sample_5d_and_bicubic_gradcheck(rng):
    x5 = gradcore.tensor(rng.standard_normal((1, 2, 3, 3, 4)), requires_grad=True)
    g5 = gradcore.tensor(rng.uniform(-1.3, 1.3, (1, 2, 2, 3, 3)), requires_grad=True)
    x4 = gradcore.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    g4 = gradcore.tensor(rng.uniform(-1.3, 1.3, (1, 3, 2, 2)), requires_grad=True)
    for pm in ("zeros", "border", "reflection"):
        for x, g, mode in ((x5, g5, "bilinear"), (x4, g4, "bicubic")):
            f = lambda a, b: gF.grid_sample(a, b, mode=mode, padding_mode=pm,  # noqa: E731
                                            align_corners=pm == "border")
            assert gradcheck(f, (x, g))
            assert gradgradcheck(f, (x, g))


def test_grid_sample_gradcheck(rng):
    x = gradcore.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    g = gradcore.tensor(rng.uniform(-1.3, 1.3, (1, 2, 3, 2)), requires_grad=True)
    for pm in ("zeros", "border", "reflection"):
        f = lambda a, b: gF.grid_sample(a, b, padding_mode=pm, align_corners=False)
        assert gradcheck(f, (x, g))
        assert gradgradcheck(f, (x, g))


def test_grid_sample_errors_and_warning(torch, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    for grid, kw in ((rng.standard_normal((2, 3, 3, 3)), {}),
                     (rng.standard_normal((3, 3, 3, 2)), {}),
                     (rng.standard_normal((2, 3, 3, 2)), dict(mode="foo")),
                     (rng.standard_normal((2, 3, 3, 2)), dict(padding_mode="foo"))):
        _errors_match(torch, lambda lib, F, a, g: F.grid_sample(a, g, align_corners=True, **kw),
                      x, grid)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        gF.grid_sample(gradcore.tensor(x), gradcore.zeros(2, 1, 1, 2, dtype=gradcore.float64))
    x5 = rng.standard_normal((2, 3, 4, 5, 6))
    for a, grid, kw in ((x5, rng.standard_normal((2, 3, 4, 5, 3)), dict(mode="bicubic")),
                        (x5, rng.standard_normal((2, 3, 4, 5, 2)), {}),
                        (x5, rng.standard_normal((1, 3, 4, 5, 3)), {}),
                        (x5[:, :, :0], rng.standard_normal((2, 3, 4, 5, 3)), {}),
                        (x5[0], rng.standard_normal((3, 4, 5, 3)), {}),
                        (x, rng.standard_normal((2, 1, 3, 4, 2)), {}),
                        (x[:, :, 0], rng.standard_normal((2, 3, 1)), {}),
                        (x5.astype(np.float32), rng.standard_normal((2, 3, 4, 5, 3)), {}),
                        (x.astype(np.int64), rng.standard_normal((2, 3, 3, 2)).astype(np.int64),
                         {}),
                        (x5.astype(np.int64),
                         rng.standard_normal((2, 3, 4, 5, 3)).astype(np.int64), {})):
        _errors_match(torch, lambda lib, F, a, g: F.grid_sample(a, g, align_corners=True, **kw),
                      a, grid)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 2, 3, 4)])
def test_affine_grid(torch, rng, dtype, align, size):
    theta = rng.standard_normal((2, 2, 3) if len(size) == 4 else (2, 3, 4))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare(torch, lambda lib, F, t: F.affine_grid(t, size, align_corners=align), [theta],
                 dtype)


def test_affine_grid_then_sample(torch, rng):
    theta, x = rng.standard_normal((2, 2, 3)) * 0.7, rng.standard_normal((2, 3, 6, 5))
    _compare(torch, lambda lib, F, t, a: F.grid_sample(
        a, F.affine_grid(t, (2, 3, 4, 7), align_corners=False), align_corners=False), [theta, x])


def test_affine_grid_then_sample_5d(torch, rng):
    theta, x = rng.standard_normal((2, 3, 4)) * 0.7, rng.standard_normal((2, 2, 4, 6, 5))
    _compare(torch, lambda lib, F, t, a: F.grid_sample(
        a, F.affine_grid(t, (2, 2, 3, 4, 5), align_corners=True), align_corners=True),
        [theta, x])


def test_affine_grid_errors(torch, rng):
    for theta, size in ((rng.standard_normal((2, 2, 3)), (2, 3, 4)),
                        (rng.standard_normal((2, 3, 3)), (2, 3, 4, 5)),
                        (rng.standard_normal((2, 2, 3)), (2, 3, 0, 5))):
        _errors_match(torch, lambda lib, F, t: F.affine_grid(t, size, align_corners=False),
                      theta)


# ---- unfold / fold / pixel_shuffle -----------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=2),
                                dict(kernel_size=3, padding=1, dilation=2),
                                dict(kernel_size=(3, 2), padding=(1, 0), stride=(2, 1))])
@pytest.mark.parametrize("batched", [True, False])
def test_unfold_fold(torch, rng, dtype, kw, batched):
    shape = (2, 3, 7, 8) if batched else (3, 7, 8)
    gu, tu = _compare(torch, lambda lib, F, x: F.unfold(x, **kw), [rng.standard_normal(shape)],
                      dtype)
    cols = rng.standard_normal(tuple(tu.shape))
    _compare(torch, lambda lib, F, c: F.fold(c, (7, 8), **kw), [cols], dtype)
    gm, tm = gnn.Unfold(**kw), torch.nn.Unfold(**kw)
    assert repr(gm) == repr(tm)
    gm, tm = gnn.Fold((7, 8), **kw), torch.nn.Fold((7, 8), **kw)
    assert repr(gm) == repr(tm)
    _compare(torch, lambda lib, F, c: (gm if lib is gradcore else tm)(c), [cols], dtype)


def test_unfold_fold_gradcheck(rng):
    x = gradcore.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    assert gradgradcheck(lambda t: gF.unfold(t, 2, padding=1, stride=2), (x,))
    c = gradcore.tensor(rng.standard_normal((1, 8, 6)), requires_grad=True)
    assert gradgradcheck(lambda t: gF.fold(t, (3, 4), 2), (c,))


def test_unfold_fold_errors(torch, rng):
    _errors_match(torch, lambda lib, F, x: F.unfold(x, 6), rng.standard_normal((2, 3, 4, 5)))
    _errors_match(torch, lambda lib, F, x: F.fold(x, (3, 3), 2), rng.standard_normal((2, 7, 4)))
    _errors_match(torch, lambda lib, F, x: F.fold(x, (3, 3), 2), rng.standard_normal((2, 8, 5)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,r", [((1, 8, 2, 3), 2), ((2, 3, 18, 2, 2), 3), ((4, 3, 5), 2)])
def test_pixel_shuffle(torch, rng, dtype, shape, r):
    _compare(torch, lambda lib, F, x: F.pixel_shuffle(x, r), [rng.standard_normal(shape)], dtype)
    ushape = shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    _compare(torch, lambda lib, F, x: F.pixel_unshuffle(x, r), [rng.standard_normal(ushape)],
             dtype)
    for name in ("PixelShuffle", "PixelUnshuffle"):
        assert repr(getattr(gnn, name)(r)) == repr(getattr(torch.nn, name)(r))
    _compare(torch, lambda lib, F, x: (gnn if lib is gradcore else torch.nn).PixelShuffle(r)(x),
             [rng.standard_normal(shape)], dtype)
    _compare(torch, lambda lib, F, x: (gnn if lib is gradcore else torch.nn).PixelUnshuffle(r)(x),
             [rng.standard_normal(ushape)], dtype)
    x = gradcore.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradgradcheck(lambda t: gF.pixel_shuffle(t, r), (x,))


@pytest.mark.parametrize("case,shape", [
    (lambda F, x: F.pixel_shuffle(x, 2), (3, 4)), (lambda F, x: F.pixel_shuffle(x, 2), (1, 5, 2, 2)),
    (lambda F, x: F.pixel_unshuffle(x, 2), (1, 4, 3, 4)),
    (lambda F, x: F.pixel_unshuffle(x, 2), (1, 4, 4, 3)),
    (lambda F, x: F.pixel_unshuffle(x, 2), (4, 4))])
def test_pixel_shuffle_errors(torch, rng, case, shape):
    _errors_match(torch, lambda lib, F, x: case(F, x), rng.standard_normal(shape))
