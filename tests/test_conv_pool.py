"""conv2d and the 2-D pools (gradcore/ops/conv.py) and their modules (nn.Conv2d, MaxPool2d,
AvgPool2d, AdaptiveAvgPool2d): outputs, indices, node names and gradients against PyTorch over
strides, paddings ('same' included), dilations, groups, ceil_mode, count_include_pad, odd and
unbatched shapes, float32 and float64; second derivatives against PyTorch; gradcheck and
gradgradcheck in float64; PyTorch's error messages."""
import ast
import math
import re
import warnings
import zlib

import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
from gradcore.autograd import gradcheck, gradgradcheck
from gradcore.ops import conv as G

from test_reduction_ops import _close, run_both


def _F(lib):
    """The functional namespace: gradcore's ops or torch.nn.functional."""
    return G if lib is gradcore else lib.nn.functional


def _arrays(key, *shapes, distinct=False):
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    if not distinct:
        return [rng.standard_normal(s) for s in shapes]
    # no ties and no near-ties: max pooling picks one well-defined element per window
    return [(rng.permutation(int(np.prod(s))) * 0.37 - 3.1).reshape(s) for s in shapes]


def _np(t):
    return t.detach().cpu().numpy().copy()


# ---- conv2d ----------------------------------------------------------------------------------

CONV = [  # (id, input shape, weight shape, bias, kwargs)
    ("plain", (2, 3, 7, 6), (4, 3, 3, 3), True, {}),
    ("stride2-pad1", (2, 3, 7, 6), (4, 3, 3, 3), True, dict(stride=2, padding=1)),
    ("mixed", (2, 3, 9, 8), (5, 3, 3, 2), True,
     dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1))),
    ("groups2", (2, 4, 6, 5), (6, 2, 3, 2), True, dict(groups=2, padding=1)),
    ("depthwise", (2, 4, 6, 6), (8, 1, 3, 3), True, dict(groups=4, padding=1, stride=2)),
    ("same-odd", (2, 3, 6, 5), (4, 3, 3, 5), True, dict(padding="same")),
    ("same-dilated", (1, 2, 7, 6), (3, 2, 4, 3), True, dict(padding="same", dilation=2)),
    ("valid", (2, 3, 5, 5), (2, 3, 2, 2), False, dict(padding="valid")),
    ("1x1", (2, 3, 4, 5), (6, 3, 1, 1), True, {}),
    ("1x1-strided", (2, 3, 5, 5), (6, 3, 1, 1), False, dict(stride=2)),
    ("no-bias", (2, 3, 6, 6), (4, 3, 3, 3), False, dict(padding=2, dilation=2)),
    ("odd-stride3", (1, 2, 9, 5), (3, 2, 2, 4), True, dict(stride=3, padding=(0, 1))),
    ("kernel=input", (2, 3, 4, 3), (5, 3, 4, 3), True, {}),
    ("stride>kernel", (2, 2, 8, 7), (3, 2, 2, 2), True, dict(stride=3)),
    ("unbatched", (3, 7, 6), (4, 3, 3, 3), True, dict(padding=1)),
    ("unbatched-groups", (4, 5, 5), (4, 2, 2, 2), False, dict(groups=2, stride=2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CONV, ids=[c[0] for c in CONV])
def test_conv2d_matches_torch(torch, device, case, dtype):
    key, xs, ws, bias, kw = case
    arrays = _arrays(key, xs, ws, (ws[0],))[:3 if bias else 2]
    run_both(torch, lambda L, x, w, b=None: _F(L).conv2d(x, w, b, **kw), arrays, dtype, device)


def test_conv2d_same_even_kernel_pads_after_and_warns(torch, device):
    arrays = _arrays("same-even", (2, 3, 6, 7), (4, 3, 4, 2), (4,))
    with pytest.warns(UserWarning, match="padding='same' with even kernel lengths"):
        G.conv2d(gradcore.tensor(arrays[0]), gradcore.tensor(arrays[1]), padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in ("float32", "float64"):
            run_both(torch, lambda L, x, w, b: _F(L).conv2d(x, w, b, padding="same"), arrays,
                     dtype, device)


def test_noncontiguous_inputs_and_list_arguments(torch, device):
    """Transposed views in, one-element lists for pairs: as PyTorch."""
    x, w, b = _arrays("views", (2, 3, 7, 6), (4, 3, 2, 3), (4,))
    t = lambda a: a.transpose(-1, -2)  # noqa: E731
    run_both(torch, lambda L, x, w, b: _F(L).conv2d(t(x), t(w), b, stride=[2], padding=[1]),
             [x, w, b], "float64", device)
    for fn in (lambda L, x: _F(L).max_pool2d(t(x), [3], stride=[2], padding=[1]),
               lambda L, x: _F(L).avg_pool2d(t(x), [3], [2], [1]),
               lambda L, x: _F(L).adaptive_avg_pool2d(t(x)[:, :, ::2], [2, 3])):
        run_both(torch, fn, [x], "float64", device)


def test_conv2d_empty_batch(torch, device):
    arrays = _arrays("empty", (0, 3, 5, 5), (4, 3, 3, 3), (4,))
    run_both(torch, lambda L, x, w, b: _F(L).conv2d(x, w, b), arrays, "float64", device)


def test_conv2d_integer_inputs(torch, device):
    x, w = [np.rint(a * 3).astype(np.int64) for a in _arrays("int", (2, 3, 5, 5), (4, 3, 2, 2))]
    got = G.conv2d(gradcore.tensor(x, device=device), gradcore.tensor(w, device=device),
                   stride=2, padding=1)
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), stride=2, padding=1)
    assert got.dtype is gradcore.int64
    np.testing.assert_array_equal(_np(got), want.numpy())


def test_conv2d_gradient_for_one_input_at_a_time(torch, device):
    arrays = _arrays("one", (2, 4, 6, 5), (6, 2, 3, 2), (6,))
    for which in range(3):
        g = [gradcore.tensor(a, device=device, requires_grad=i == which)
             for i, a in enumerate(arrays)]
        t = [torch.tensor(a, requires_grad=i == which) for i, a in enumerate(arrays)]
        G.conv2d(*g, stride=2, padding=1, groups=2).square().sum().backward()
        torch.nn.functional.conv2d(*t, stride=2, padding=1, groups=2).square().sum().backward()
        for i in range(3):
            assert (g[i].grad is None) == (i != which)
        _close(_np(g[which].grad), t[which].grad.numpy(), "float64", f"input {which}")


def _second_order(torch, device, fn, arrays, seed=0):
    """d/d(inputs) of sum(v * d(sum(u * fn(inputs)))/d(inputs)) in gradcore and torch: the
    double backward values and the first-order gradients' node names agree."""
    res = []
    for lib in (gradcore, torch):
        rng = np.random.default_rng(seed)
        kw = {"device": device} if lib is gradcore else {}
        ins = [lib.tensor(a, requires_grad=True, **kw) for a in arrays]
        out = fn(lib, *ins)
        out = out[0] if isinstance(out, tuple) else out
        u = lib.tensor(rng.standard_normal(tuple(out.shape)), **kw)
        grads = lib.autograd.grad((out * u).sum(), ins, create_graph=True)
        names = [type(g.grad_fn).__name__ for g in grads]
        vs = [lib.tensor(rng.standard_normal(tuple(g.shape)), **kw) for g in grads]
        total = sum((g * v).sum() for g, v in zip(grads, vs))
        second = lib.autograd.grad(total, ins, allow_unused=True)
        res.append((names, [None if s is None else _np(s) for s in second]))
    (g_names, g_second), (t_names, t_second) = res
    assert g_names == t_names
    for i, (a, b) in enumerate(zip(g_second, t_second)):
        if b is None or not np.any(b):
            assert a is None or not np.any(a), f"input {i}"
        else:
            _close(a, b, "float64", f"second derivative of input {i}")


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, groups=2),
                                dict(padding="same", dilation=(1, 2), groups=2)],
                         ids=["strided-groups", "same-dilated"])
def test_conv2d_second_derivatives_match_torch(torch, device, kw):
    arrays = _arrays("second" + str(kw), (2, 4, 6, 5), (6, 2, 3, 2), (6,))
    _second_order(torch, device, lambda L, x, w, b: _F(L).conv2d(x, w, b, **kw).tanh(), arrays)


GRADCHECK_CONV = [
    ((1, 2, 4, 4), (2, 1, 2, 2), dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
    ((2, 1, 4, 3), (2, 1, 2, 3), dict(padding="same")),
    ((1, 2, 5, 4), (1, 2, 3, 2), dict(stride=2)),
]


@pytest.mark.parametrize("xs,ws,kw", GRADCHECK_CONV, ids=["groups", "same", "stride"])
def test_conv2d_gradcheck_and_gradgradcheck(device, xs, ws, kw):
    ins = [gradcore.tensor(a, device=device, requires_grad=True)
           for a in _arrays("gc" + str(xs), xs, ws, (ws[0],))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn = lambda x, w, b: G.conv2d(x, w, b, **kw)  # noqa: E731
        assert gradcheck(fn, ins)
        assert gradgradcheck(fn, ins)


# ---- pooling ---------------------------------------------------------------------------------

MAX_POOL = [  # (id, input shape, kwargs)
    ("k2", (2, 3, 6, 6), dict(kernel_size=2)),
    ("k3-s2-p1", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1)),
    ("ceil", (2, 2, 7, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ("ceil-pad", (1, 2, 6, 7), dict(kernel_size=(3, 2), stride=(2, 3), padding=1,
                                    ceil_mode=True)),
    ("dilated", (2, 2, 9, 8), dict(kernel_size=3, stride=1, padding=1, dilation=2)),
    ("dilated-pad2", (2, 2, 9, 8), dict(kernel_size=5, stride=2, padding=2, dilation=(2, 1))),
    ("overlap", (2, 2, 5, 6), dict(kernel_size=(3, 2), stride=1, padding=(1, 0))),
    ("rect", (1, 3, 5, 9), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1))),
    ("indices", (2, 2, 7, 7), dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    ("unbatched", (3, 7, 5), dict(kernel_size=2, stride=2, ceil_mode=True,
                                  return_indices=True)),
    ("empty-batch", (0, 2, 4, 4), dict(kernel_size=2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", MAX_POOL, ids=[c[0] for c in MAX_POOL])
def test_max_pool2d_matches_torch(torch, device, case, dtype):
    key, xs, kw = case
    run_both(torch, lambda L, x: _F(L).max_pool2d(x, **kw), _arrays(key, xs, distinct=True),
             dtype, device)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # -inf outputs in the test loss
def test_max_pool2d_ties_nan_and_infinities(torch, device):
    """Ties go to the first maximum, NaN wins (the last NaN), padding never wins: PyTorch's
    CPU rule, indices and gradients alike."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (2, 3, 7, 6)).astype(np.float64)
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = x[1, 2, 0, 0] = np.nan
    x[1, 1] = -np.inf
    for kw in [dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=2, ceil_mode=True),
               dict(kernel_size=3, stride=2, padding=1, dilation=2)]:
        run_both(torch, lambda L, x: _F(L).max_pool2d(x, return_indices=True, **kw), [x],
                 "float64", device)


def test_max_pool2d_integer_input(torch, device):
    x = np.random.default_rng(2).integers(-50, 50, (2, 3, 5, 6))
    got = G.max_pool2d(gradcore.tensor(x, device=device), 3, 2, 1, return_indices=True)
    want = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    for g, t in zip(got, want):
        assert g.dtype is gradcore.int64
        np.testing.assert_array_equal(_np(g), t.numpy())


AVG_POOL = [
    ("k2", (2, 3, 6, 6), dict(kernel_size=2)),
    ("k3-s2-p1", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1)),
    ("no-pad-count", (2, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1,
                                        count_include_pad=False)),
    ("ceil", (2, 2, 7, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ("ceil-pad", (1, 2, 6, 7), dict(kernel_size=(3, 2), stride=(2, 3), padding=1,
                                    ceil_mode=True)),
    ("ceil-pad-no-count", (1, 2, 6, 7), dict(kernel_size=(3, 2), stride=(2, 3), padding=1,
                                             ceil_mode=True, count_include_pad=False)),
    ("divisor", (2, 2, 5, 5), dict(kernel_size=3, stride=2, padding=1, divisor_override=4)),
    ("overlap", (1, 3, 5, 6), dict(kernel_size=(2, 3), stride=1, padding=(1, 1))),
    ("unbatched", (3, 7, 5), dict(kernel_size=2, ceil_mode=True, count_include_pad=False)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", AVG_POOL, ids=[c[0] for c in AVG_POOL])
def test_avg_pool2d_matches_torch(torch, device, case, dtype):
    key, xs, kw = case
    run_both(torch, lambda L, x: _F(L).avg_pool2d(x, **kw), _arrays(key, xs), dtype, device)


def test_avg_pool2d_integer_input_rounds_toward_zero(torch, device):
    x = np.arange(-7, 9).reshape(1, 1, 4, 4)
    for kw in [dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=2, divisor_override=3)]:
        got = G.avg_pool2d(gradcore.tensor(x, device=device), **kw)
        assert got.dtype is gradcore.int64
        np.testing.assert_array_equal(_np(got), torch.nn.functional.avg_pool2d(
            torch.tensor(x), **kw).numpy())


ADAPTIVE = [
    ("divides", (2, 3, 6, 8), (3, 4)),
    ("uneven", (2, 3, 7, 5), (3, 2)),
    ("larger", (1, 2, 3, 4), (5, 7)),
    ("none", (2, 2, 5, 7), (2, None)),
    ("int", (2, 2, 9, 7), 4),
    ("global", (2, 3, 5, 4), 1),
    ("row", (2, 3, 5, 4), (1, 3)),
    ("unbatched", (3, 7, 6), (4, 5)),
    ("unbatched-global", (3, 7, 6), (1, 1)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ADAPTIVE, ids=[c[0] for c in ADAPTIVE])
def test_adaptive_avg_pool2d_matches_torch(torch, device, case, dtype):
    key, xs, size = case
    run_both(torch, lambda L, x: _F(L).adaptive_avg_pool2d(x, size), _arrays(key, xs), dtype,
             device)


def test_adaptive_avg_pool2d_empty_output(torch, device):
    x, = _arrays("empty-out", (2, 3, 4, 4))
    got = G.adaptive_avg_pool2d(gradcore.tensor(x, device=device), (3, 0))
    assert got.shape == tuple(torch.nn.functional.adaptive_avg_pool2d(
        torch.tensor(x), (3, 0)).shape) == (2, 3, 3, 0)


POOL_FNS = {
    "max": lambda L, x: _F(L).max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
    "max-overlap": lambda L, x: _F(L).max_pool2d(x, 2, stride=1, dilation=2),
    "avg": lambda L, x: _F(L).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "adaptive": lambda L, x: _F(L).adaptive_avg_pool2d(x, (3, 2)),
}


@pytest.mark.parametrize("name", POOL_FNS)
def test_pool_second_derivatives_match_torch(torch, device, name):
    x = _arrays("pool2" + name, (2, 2, 7, 6), distinct=True)
    _second_order(torch, device, lambda L, x: POOL_FNS[name](L, x).square(), x)


@pytest.mark.parametrize("name", POOL_FNS)
def test_pool_gradcheck_and_gradgradcheck(device, name):
    x, = [gradcore.tensor(a, device=device, requires_grad=True)
          for a in _arrays("gcpool" + name, (1, 2, 5, 4), distinct=True)]
    fn = lambda x: POOL_FNS[name](gradcore, x)  # noqa: E731
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


# ---- errors ----------------------------------------------------------------------------------

def _r(L, *shape, dtype=None):
    return L.zeros(*shape, dtype=dtype or L.float32)


ERRORS = [  # (id, fn(F, L), exception type, part of gradcore's message)
    ("conv-channels", lambda F, L: F.conv2d(_r(L, 2, 4, 8, 8), _r(L, 8, 3, 3, 3)), RuntimeError,
     "Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 8, 8] to have 3 "
     "channels, but got 4 channels instead"),
    ("conv-channels-unbatched", lambda F, L: F.conv2d(_r(L, 4, 8, 8), _r(L, 8, 3, 3, 3)),
     RuntimeError, "expected input[1, 4, 8, 8] to have 3 channels"),
    ("conv-2d-input", lambda F, L: F.conv2d(_r(L, 8, 8), _r(L, 8, 3, 3, 3)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [8, 8]"),
    ("conv-5d-input", lambda F, L: F.conv2d(_r(L, 1, 2, 3, 8, 8), _r(L, 8, 3, 3, 3)),
     RuntimeError, "but got input of size: [1, 2, 3, 8, 8]"),
    ("conv-kernel-too-big", lambda F, L: F.conv2d(_r(L, 2, 3, 2, 2), _r(L, 8, 3, 3, 3)),
     RuntimeError, "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). "
     "Kernel size can't be greater than actual input size"),
    ("conv-dilated-kernel-too-big",
     lambda F, L: F.conv2d(_r(L, 1, 3, 5, 6), _r(L, 2, 3, 3, 3), padding=1, dilation=(4, 2)),
     RuntimeError, "Calculated padded input size per channel: (7 x 8). Kernel size: (9 x 5)"),
    ("conv-groups-divide", lambda F, L: F.conv2d(_r(L, 2, 6, 8, 8), _r(L, 7, 3, 3, 3),
                                                 groups=2),
     RuntimeError, "Given groups=2, expected weight to be divisible by 2 at dimension 0"),
    ("conv-groups-too-many", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 2, 1, 3, 3),
                                                   groups=3),
     RuntimeError, "Given groups=3, expected weight to be at least 3 at dimension 0"),
    ("conv-bias-size", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3), _r(L, 7)),
     RuntimeError, "expected bias to be 1-dimensional with 8 elements, but got bias of size [7]"),
    ("conv-bias-dtype", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3),
                                              _r(L, 8, dtype=L.float64)),
     RuntimeError, "Input type (float) and bias type (double) should be the same"),
    ("conv-weight-dtype", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3,
                                                                         dtype=L.float64)),
     RuntimeError, "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should "
     "be the same"),
    ("conv-input-dtype", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8, dtype=L.float64),
                                               _r(L, 8, 3, 3, 3)),
     RuntimeError, "expected scalar type Double but found Float"),
    ("conv-weight-dims", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3)),
     RuntimeError, "expected stride to be a single integer value or a list of 1 values"),
    ("conv-stride-len", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3),
                                              stride=(1, 2, 3)),
     RuntimeError, "expected stride to be a single integer value or a list of 2 values to "
     "match the convolution dimensions, but got stride=[1, 2, 3]"),
    ("conv-stride-0", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3), stride=0),
     RuntimeError, "non-positive stride is not supported"),
    ("conv-negative-pad", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3),
                                                padding=-1),
     RuntimeError, "negative padding is not supported"),
    ("conv-dilation-0", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3),
                                              dilation=0),
     RuntimeError, "non-positive dilation is not supported"),
    ("conv-groups-0", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3), groups=0),
     RuntimeError, "non-positive groups is not supported"),
    ("conv-same-strided", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3), stride=2,
                                                padding="same"),
     RuntimeError, "padding='same' is not supported for strided convolutions"),
    ("conv-bad-padding-string", lambda F, L: F.conv2d(_r(L, 2, 3, 8, 8), _r(L, 8, 3, 3, 3),
                                                      padding="full"),
     RuntimeError, "Invalid padding string: 'full'"),
    ("max-pad-half", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 3, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
     "dilation=1"),
    ("max-pad-half-dilated", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 3, padding=2,
                                                       dilation=2),
     RuntimeError, "pad should be smaller than or equal to half of kernel size, but got "
     "padW = 2, padH = 2, kW = 3, kH = 3"),
    ("avg-pad-half", lambda F, L: F.avg_pool2d(_r(L, 2, 3, 8, 8), (2, 3), padding=(1, 2)),
     RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, "
     "kernel_size=3 and dilation=1"),
    ("max-too-small", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 9), RuntimeError,
     "Given input size: (3x8x8). Calculated output size: (3x0x0). Output size is too small"),
    ("avg-too-small", lambda F, L: F.avg_pool2d(_r(L, 3, 4, 5), (5, 6)), RuntimeError,
     "Given input size: (3x4x5). Calculated output size: (3x0x0). Output size is too small"),
    ("max-stride-0", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 2, stride=0), RuntimeError,
     "stride should not be zero"),
    ("max-stride-negative", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 2, stride=-1),
     RuntimeError, "stride should be greater than zero, but got dH: -1 dW: -1"),
    ("max-kernel-0", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 0, stride=1), RuntimeError,
     "kernel size should be greater than zero, but got kH: 0 kW: 0"),
    ("max-dilation-0", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 3, dilation=0),
     RuntimeError, "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    ("max-negative-pad", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 2, padding=-1),
     RuntimeError, "pad must be non-negative, but got pad: -1"),
    ("max-kernel-len", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), (2, 2, 2)), RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    ("max-stride-len", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 2, stride=(1, 2, 3)),
     RuntimeError, "max_pool2d: stride must either be omitted, a single int, or a tuple of two "
     "ints"),
    ("max-dilation-len", lambda F, L: F.max_pool2d(_r(L, 2, 3, 8, 8), 2, dilation=(1, 2, 3)),
     RuntimeError, "max_pool2d: dilation must be either a single int, or a tuple of two ints"),
    ("avg-padding-len", lambda F, L: F.avg_pool2d(_r(L, 2, 3, 8, 8), 2, padding=(1, 2, 3)),
     RuntimeError, "avg_pool2d: padding must either be a single int, or a tuple of two ints"),
    ("max-2d-input", lambda F, L: F.max_pool2d(_r(L, 8, 8), 2), RuntimeError,
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    ("avg-5d-input", lambda F, L: F.avg_pool2d(_r(L, 2, 3, 4, 5, 6), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
     "got:[2, 3, 4, 5, 6]"),
    ("max-empty-channels", lambda F, L: F.max_pool2d(_r(L, 2, 0, 8, 8), 2), RuntimeError,
     "but got:[2, 0, 8, 8]"),
    ("avg-2d-input", lambda F, L: F.avg_pool2d(_r(L, 8, 8), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("avg-divisor-0", lambda F, L: F.avg_pool2d(_r(L, 2, 3, 8, 8), 2, divisor_override=0),
     RuntimeError, "divisor must be not zero"),
    ("adaptive-2d-input", lambda F, L: F.adaptive_avg_pool2d(_r(L, 8, 8), 3), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [8, 8]"),
    ("adaptive-size-len", lambda F, L: F.adaptive_avg_pool2d(_r(L, 2, 3, 8, 8), (3, 4, 5)),
     RuntimeError, "adaptive_avg_pool2d: output_size must be 2"),
    ("adaptive-negative", lambda F, L: F.adaptive_avg_pool2d(_r(L, 2, 3, 8, 8), (-1, 2)),
     RuntimeError, "elements of output_size must be greater than or equal to 0 but received "
     "{-1, 2}"),
    ("adaptive-empty", lambda F, L: F.adaptive_avg_pool2d(_r(L, 2, 3, 0, 5), 2), RuntimeError,
     "but input has sizes [2, 3, 0, 5] with dimension 2 being empty"),
    ("adaptive-int", lambda F, L: F.adaptive_avg_pool2d(_r(L, 2, 3, 4, 4, dtype=L.int64), 2),
     NotImplementedError, "\"adaptive_avg_pool2d\" not implemented for 'Long'"),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(case):
    _, fn, exc, msg = case
    with pytest.raises(exc) as info:
        fn(G, gradcore)
    assert msg in str(info.value)


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(torch, case):
    _, fn, exc, _ = case
    with pytest.raises(exc) as ours:
        fn(G, gradcore)
    with pytest.raises(exc) as theirs:
        fn(torch.nn.functional, torch)
    assert str(ours.value) == str(theirs.value).split("\n")[0]


def test_device_mismatch_is_an_error(device):
    if device.type == "cpu":
        pytest.skip("needs a second device")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        G.conv2d(gradcore.zeros(1, 1, 3, 3, device=device), gradcore.zeros(1, 1, 2, 2))


# ---- modules ---------------------------------------------------------------------------------

def _copy_params(gm, tm, device):
    for name, p in tm.named_parameters():
        getattr(gm, name).data = gradcore.tensor(p.detach().numpy(), device=device)


CONV_MODULES = [
    (3, 8, 3, {}),
    (4, 6, (3, 2), dict(stride=2, padding=1, dilation=(1, 2), groups=2, bias=False)),
    (4, 8, 4, dict(padding="same", groups=4)),
    (3, 4, 3, dict(padding=(1, 2), padding_mode="reflect")),
    (3, 4, (2, 3), dict(padding="same", padding_mode="replicate")),
    (2, 4, 3, dict(padding=2, stride=2, padding_mode="circular")),
    (3, 5, 2, dict(padding="valid")),
]


@pytest.mark.parametrize("args", CONV_MODULES, ids=[str(a[3]) for a in CONV_MODULES])
def test_conv2d_module_matches_torch(torch, device, args):
    cin, cout, k, kw = args
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Conv2d(cin, cout, k, dtype=torch.float64, **kw)
        gm = nn.Conv2d(cin, cout, k, dtype=gradcore.float64, device=device, **kw)
        assert repr(gm) == repr(tm)
        assert list(gm.state_dict()) == list(tm.state_dict())
        assert gm.weight.shape == tuple(tm.weight.shape)
        for attr in ("kernel_size", "stride", "padding", "dilation", "groups", "transposed",
                     "output_padding", "padding_mode", "_reversed_padding_repeated_twice"):
            assert getattr(gm, attr) == getattr(tm, attr), attr
        _copy_params(gm, tm, device)
        x, = _arrays("mod" + str(kw), (2, cin, 7, 6))
        gx, tx = gradcore.tensor(x, device=device, requires_grad=True), torch.tensor(
            x, requires_grad=True)
        gy, ty = gm(gx), tm(tx)
        _close(_np(gy), ty.detach().numpy(), "float64", "output")
        gy.square().sum().backward()
        ty.square().sum().backward()
    _close(_np(gx.grad), tx.grad.numpy(), "float64", "input grad")
    for name, p in tm.named_parameters():
        _close(_np(getattr(gm, name).grad), p.grad.numpy(), "float64", name + " grad")


def test_conv2d_module_default_init_and_reset():
    gradcore.manual_seed(0)
    m = nn.Conv2d(6, 8, (3, 5), groups=2)
    bound = 1 / math.sqrt(3 * 3 * 5)  # fan_in = in_channels / groups * kh * kw
    w, b = _np(m.weight), _np(m.bias)
    assert m.weight.dtype is gradcore.float32 and m.weight.requires_grad and m.weight.is_leaf
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound
    gradcore.manual_seed(0)
    np.testing.assert_array_equal(_np(nn.Conv2d(6, 8, (3, 5), groups=2).weight), w)
    m.reset_parameters()
    assert not np.array_equal(_np(m.weight), w)
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None
    assert len(list(nn.Conv2d(1, 2, 3, bias=False).parameters())) == 1


@pytest.mark.parametrize("kw,msg", [
    (dict(groups=2, in_channels=3), "in_channels must be divisible by groups"),
    (dict(groups=2, out_channels=7), "out_channels must be divisible by groups"),
    (dict(groups=0), "groups must be a positive integer"),
    (dict(padding="full"), "Invalid padding string 'full', should be one of"),
    (dict(padding="same", stride=2), "padding='same' is not supported for strided convolutions"),
    (dict(padding_mode="mirror"), "padding_mode must be one of"),
])
def test_conv2d_module_errors(torch, kw, msg):
    args = dict(in_channels=4, out_channels=8, kernel_size=3)
    args.update(kw)
    with pytest.raises(ValueError, match=msg.replace("(", r"\(")) as ours:
        nn.Conv2d(**args)
    with pytest.raises(ValueError) as theirs:
        torch.nn.Conv2d(**args)

    def sets_sorted(msg):  # a set's printed order varies between processes
        return re.sub(r"\{[^}]*\}", lambda m: str(sorted(ast.literal_eval(m.group()))), msg)
    assert sets_sorted(str(ours.value)) == sets_sorted(str(theirs.value))


def test_conv2d_module_reflect_padding_too_large(torch):
    for shape in [(1, 1, 3, 9), (1, 3, 9)]:
        with pytest.raises(RuntimeError) as ours:
            nn.Conv2d(1, 1, 3, padding=(4, 1), padding_mode="reflect")(gradcore.zeros(*shape))
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.Conv2d(1, 1, 3, padding=(4, 1), padding_mode="reflect")(torch.zeros(*shape))
        assert str(ours.value) == str(theirs.value)


POOL_MODULES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((2, 3),), dict(stride=1, padding=1, dilation=2, ceil_mode=True)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, return_indices=True)),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", ((2, 3),), dict(stride=1, padding=1, ceil_mode=True, count_include_pad=False,
                                  divisor_override=3)),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveAvgPool2d", ((2, None),), {}),
    ("AdaptiveAvgPool2d", ((3, 4),), {}),
]


@pytest.mark.parametrize("name,args,kw", POOL_MODULES,
                         ids=[f"{m[0]}{m[1]}{m[2]}" for m in POOL_MODULES])
def test_pool_modules_match_torch(torch, device, name, args, kw):
    gm, tm = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(gm) == repr(tm)
    assert list(gm.state_dict()) == [] and list(gm.parameters()) == []
    x, = _arrays("pm" + name, (2, 3, 7, 8), distinct=True)
    run_both(torch, lambda L, x: (gm if L is gradcore else tm)(x), [x], "float64", device)


def test_small_cnn_training_step_matches_torch(torch, device):
    """Conv -> ReLU -> MaxPool -> Conv -> AvgPool -> AdaptiveAvgPool -> Flatten: the loss and
    every parameter gradient agree with PyTorch's."""
    def build(lib_nn):
        return lib_nn.Sequential(
            lib_nn.Conv2d(1, 4, 3, padding=1), lib_nn.ReLU(), lib_nn.MaxPool2d(2),
            lib_nn.Conv2d(4, 6, 3, groups=2, stride=1), lib_nn.AvgPool2d(2, ceil_mode=True),
            lib_nn.AdaptiveAvgPool2d((2, 1)), lib_nn.Flatten())
    tm, gm = build(torch.nn), build(nn).to(device)
    for (name, p) in tm.named_parameters():
        gm.get_parameter(name).data = gradcore.tensor(p.detach().numpy(), device=device)
    x, = _arrays("cnn", (3, 1, 12, 11))
    gl = gm(gradcore.tensor(x, dtype=gradcore.float32, device=device)).square().mean()
    tl = tm(torch.tensor(x, dtype=torch.float32)).square().mean()
    gl.backward()
    tl.backward()
    _close(_np(gl), tl.detach().numpy(), "float32", "loss")
    for name, p in tm.named_parameters():
        _close(_np(gm.get_parameter(name).grad), p.grad.numpy(), "float32", name)
