"""conv1d/conv3d, conv_transpose1d/2d/3d, the 1-d and 3-d pools, adaptive max pools, max
unpooling and LP pools in 1, 2 and 3 dims (gradcore/ops/conv.py) and their modules
(gradcore/nn/modules/conv.py, pooling.py): outputs, indices, node names and gradients (input, weight, bias) against PyTorch
from identical weights over strides, paddings ('same' / 'valid' and the padding modes),
output paddings, dilations, groups, ceil_mode, count_include_pad, divisor_override and
unbatched inputs, in float32 and float64; unpool round trips; gradcheck / gradgradcheck in
float64; PyTorch's error messages."""
import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
from gradcore.autograd import gradcheck, gradgradcheck
from gradcore.ops import conv as G

from test_conv_pool import _F, _arrays, _copy_params, _np, _second_order
from test_reduction_ops import _close, run_both


# ---- conv1d / conv3d -------------------------------------------------------------------------

CONV = [  # (id, dims, input shape, weight shape, bias, kwargs)
    ("1d-plain", 1, (2, 3, 9), (4, 3, 3), True, {}),
    ("1d-stride-pad", 1, (2, 3, 10), (5, 3, 4), True, dict(stride=3, padding=2)),
    ("1d-dilated-groups", 1, (2, 4, 11), (6, 2, 3), False, dict(dilation=2, groups=2,
                                                                  padding=1)),
    ("1d-depthwise", 1, (3, 4, 8), (8, 1, 3), True, dict(groups=4, stride=2)),
    ("1d-same-even", 1, (2, 3, 9), (4, 3, 4), True, dict(padding="same", dilation=1)),
    ("1d-same-dilated", 1, (2, 3, 9), (4, 3, 3), True, dict(padding="same", dilation=3)),
    ("1d-valid", 1, (2, 3, 9), (4, 3, 5), True, dict(padding="valid")),
    ("1d-unbatched", 1, (3, 9), (4, 3, 2), True, dict(stride=2, padding=1)),
    ("1d-batch-wide", 1, (12, 2, 5), (3, 2, 3), True, dict(padding=1)),  # batch-last path
    ("3d-plain", 3, (2, 3, 5, 6, 4), (4, 3, 3, 3, 2), True, {}),
    ("3d-mixed", 3, (2, 4, 6, 5, 7), (6, 2, 2, 3, 3), True,
     dict(stride=(2, 1, 2), padding=(1, 0, 2), dilation=(1, 2, 1), groups=2)),
    ("3d-same", 3, (1, 2, 4, 5, 6), (3, 2, 3, 2, 3), False, dict(padding="same")),
    ("3d-unbatched", 3, (2, 4, 4, 5), (3, 2, 2, 2, 2), True, dict(stride=2, padding=1)),
    ("3d-batch-wide", 3, (9, 2, 3, 3, 3), (3, 2, 2, 2, 2), True, {}),  # batch-last path
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CONV, ids=[c[0] for c in CONV])
def test_conv_matches_torch(torch, device, case, dtype):
    key, nd, xs, ws, bias, kw = case
    arrays = _arrays(key, xs, ws, (ws[0],))[:3 if bias else 2]
    name = f"conv{nd}d"
    run_both(torch, lambda L, x, w, b=None: getattr(_F(L), name)(x, w, b, **kw), arrays, dtype,
             device)


CONV_T = [  # (id, dims, input shape, weight shape (C_in, C_out / g, *k), bias, kwargs)
    ("1d-plain", 1, (2, 3, 6), (3, 4, 3), True, {}),
    ("1d-stride-outpad", 1, (2, 3, 5), (3, 2, 4), True, dict(stride=3, padding=1,
                                                              output_padding=2)),
    ("1d-dilation-groups", 1, (2, 4, 6), (4, 3, 3), False, dict(dilation=2, groups=2,
                                                                output_padding=1, stride=2)),
    ("1d-unbatched", 1, (3, 7), (3, 2, 2), True, dict(stride=2)),
    ("2d-plain", 2, (2, 3, 4, 5), (3, 4, 3, 3), True, {}),
    ("2d-stride-pad", 2, (2, 3, 5, 4), (3, 2, 3, 2), True, dict(stride=2, padding=1)),
    ("2d-outpad", 2, (2, 2, 4, 4), (2, 3, 3, 3), True, dict(stride=(2, 3), padding=(1, 0),
                                                             output_padding=(1, 2))),
    ("2d-dilated-groups", 2, (2, 4, 5, 4), (4, 2, 2, 3), True,
     dict(dilation=(2, 1), groups=2, padding=(1, 1), stride=(1, 2))),
    ("2d-outpad-dilation", 2, (1, 2, 3, 3), (2, 2, 3, 3), False, dict(dilation=3,
                                                                       output_padding=2)),
    ("2d-unbatched", 2, (3, 4, 4), (3, 2, 2, 2), True, dict(stride=2, padding=1)),
    ("2d-batch-wide", 2, (9, 2, 3, 3), (2, 3, 2, 2), True, dict(stride=2)),
    ("3d-plain", 3, (2, 3, 3, 4, 3), (3, 2, 2, 3, 2), True, {}),
    ("3d-mixed", 3, (2, 4, 3, 3, 4), (4, 1, 3, 2, 2), True,
     dict(stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 0), groups=4)),
    ("3d-unbatched", 3, (2, 3, 3, 3), (2, 2, 2, 2, 2), False, dict(stride=2, dilation=(1, 2, 1))),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CONV_T, ids=[c[0] for c in CONV_T])
def test_conv_transpose_matches_torch(torch, device, case, dtype):
    key, nd, xs, ws, bias, kw = case
    groups = kw.get("groups", 1)
    arrays = _arrays("t" + key, xs, ws, (ws[1] * groups,))[:3 if bias else 2]
    name = f"conv_transpose{nd}d"
    run_both(torch, lambda L, x, w, b=None: getattr(_F(L), name)(x, w, b, **kw), arrays, dtype,
             device)


def test_conv_transpose_is_conv_input_gradient(device):
    """conv_transpose2d(g, w) is the gradient of sum(conv2d(x, w) * g) in x."""
    x, w, g = _arrays("adjoint", (2, 4, 7, 6), (6, 2, 3, 2), (2, 6, 4, 4))
    gx = gradcore.tensor(x, device=device, requires_grad=True)
    gw, gg = gradcore.tensor(w, device=device), gradcore.tensor(g, device=device)
    (G.conv2d(gx, gw, stride=2, padding=1, groups=2) * gg).sum().backward()
    y = G.conv_transpose2d(gg, gw, stride=2, padding=1, groups=2)
    assert y.shape == gx.shape
    np.testing.assert_allclose(_np(y), _np(gx.grad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn", ["conv1d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                "conv_transpose3d"])
def test_conv_second_derivatives_match_torch(torch, device, fn):
    nd = int(fn[-2])
    xs, ws = {1: ((2, 4, 6), (4, 2, 3)), 2: ((2, 4, 4, 5), (4, 2, 3, 2)),
              3: ((1, 4, 3, 4, 3), (4, 2, 2, 2, 2))}[nd]
    kw = dict(stride=2, padding=1, groups=2)
    if fn.startswith("conv_t"):
        kw["output_padding"] = 1
    arrays = _arrays("second" + fn, xs, ws, (4,))
    _second_order(torch, device, lambda L, x, w, b: getattr(_F(L), fn)(x, w, b, **kw).tanh(),
                  arrays)


@pytest.mark.parametrize("fn,xs,ws,kw", [
    ("conv1d", (2, 2, 5), (2, 1, 2), dict(stride=2, padding=1, dilation=2, groups=2)),
    ("conv3d", (1, 2, 3, 3, 2), (2, 2, 2, 2, 1), dict(padding=(1, 0, 0))),
    ("conv_transpose1d", (1, 2, 4), (2, 1, 3), dict(stride=2, output_padding=1, groups=2)),
    ("conv_transpose2d", (1, 2, 3, 2), (2, 2, 2, 2), dict(stride=2, padding=1, dilation=2)),
    ("conv_transpose3d", (1, 1, 2, 2, 2), (1, 2, 2, 1, 2), dict(stride=(1, 2, 1))),
], ids=lambda v: v if isinstance(v, str) else None)
def test_conv_gradcheck_and_gradgradcheck(device, fn, xs, ws, kw):
    groups = kw.get("groups", 1)
    bias = ws[0] if fn.startswith("conv1") or fn.startswith("conv3") else ws[1] * groups
    ins = [gradcore.tensor(a, device=device, requires_grad=True)
           for a in _arrays("gc" + fn, xs, ws, (bias,))]
    f = lambda x, w, b: getattr(G, fn)(x, w, b, **kw)  # noqa: E731
    assert gradcheck(f, ins)
    assert gradgradcheck(f, ins)


def test_conv1d_conv3d_integer_inputs(torch, device):
    for nd, xs, ws in ((1, (2, 3, 6), (4, 3, 2)), (3, (1, 2, 3, 4, 3), (2, 2, 2, 2, 2))):
        x, w = [np.rint(a * 3).astype(np.int64) for a in _arrays(f"int{nd}", xs, ws)]
        got = getattr(G, f"conv{nd}d")(gradcore.tensor(x, device=device),
                                       gradcore.tensor(w, device=device), stride=2, padding=1)
        want = getattr(torch.nn.functional, f"conv{nd}d")(torch.tensor(x), torch.tensor(w),
                                                          stride=2, padding=1)
        assert got.dtype is gradcore.int64
        np.testing.assert_array_equal(_np(got), want.numpy())


# ---- conv modules ----------------------------------------------------------------------------

CONV_MODULES = [  # (class name, input shape, args, kwargs)
    ("Conv1d", (2, 3, 9), (3, 4, 3), {}),
    ("Conv1d", (2, 4, 9), (4, 6, 2), dict(stride=2, padding=1, dilation=2, groups=2,
                                          bias=False)),
    ("Conv1d", (2, 3, 8), (3, 4, 4), dict(padding="same")),
    ("Conv1d", (3, 8), (3, 4, 3), dict(padding=2, padding_mode="reflect")),
    ("Conv1d", (2, 3, 8), (3, 4, 4), dict(padding="same", padding_mode="replicate")),
    ("Conv1d", (2, 3, 8), (3, 4, 3), dict(padding=3, stride=2, padding_mode="circular")),
    ("Conv1d", (2, 3, 8), (3, 5, 2), dict(padding="valid")),
    ("Conv2d", (2, 3, 7, 6), (3, 4, 3), dict(padding=(1, 2), padding_mode="circular")),
    ("Conv3d", (2, 3, 5, 4, 6), (3, 4, 3), {}),
    ("Conv3d", (2, 4, 5, 6, 5), (4, 6, (3, 2, 2)), dict(stride=(1, 2, 2), padding=(1, 0, 1),
                                                        groups=2)),
    ("Conv3d", (1, 2, 4, 5, 4), (2, 3, 2), dict(padding="same", dilation=(1, 2, 1))),
    ("Conv3d", (2, 4, 4, 5), (2, 3, 3), dict(padding=(1, 2, 1), padding_mode="reflect")),
    ("Conv3d", (1, 2, 4, 5, 4), (2, 3, (2, 3, 2)), dict(padding="same",
                                                        padding_mode="replicate")),
    ("Conv3d", (1, 2, 4, 5, 4), (2, 3, 3), dict(padding=(2, 1, 3), padding_mode="circular")),
    ("ConvTranspose1d", (2, 3, 6), (3, 4, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose1d", (4, 6), (4, 6, 2), dict(groups=2, dilation=2, bias=False)),
    ("ConvTranspose2d", (2, 3, 4, 5), (3, 4, 3), dict(stride=2, padding=1)),
    ("ConvTranspose2d", (2, 4, 4, 3), (4, 6, (3, 2)), dict(stride=(2, 1), groups=2,
                                                           output_padding=(1, 0))),
    ("ConvTranspose3d", (1, 2, 3, 3, 4), (2, 3, 2), dict(stride=2, padding=1,
                                                         output_padding=1)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CONV_MODULES,
                         ids=[f"{c[0]}-{c[3]}" for c in CONV_MODULES])
def test_conv_module_matches_torch(torch, device, case, dtype):
    name, xs, args, kw = case
    tdt, gdt = getattr(torch, dtype), getattr(gradcore, dtype)
    tm = getattr(torch.nn, name)(*args, dtype=tdt, **kw)
    gm = getattr(nn, name)(*args, dtype=gdt, device=device, **kw)
    assert repr(gm) == repr(tm)
    assert list(gm.state_dict()) == list(tm.state_dict())
    for attr in ("kernel_size", "stride", "padding", "dilation", "groups", "transposed",
                 "output_padding", "padding_mode", "_reversed_padding_repeated_twice"):
        assert getattr(gm, attr) == getattr(tm, attr), attr
    for (k, g), t in zip(gm.state_dict().items(), tm.state_dict().values()):
        assert tuple(g.shape) == tuple(t.shape) and g.dtype is gdt, k
    gm.load_state_dict({k: gradcore.tensor(v.detach().numpy(), device=device)
                        for k, v in tm.state_dict().items()})
    x, = _arrays("mod" + name + str(kw), xs)
    gx = gradcore.tensor(x, dtype=gdt, device=device, requires_grad=True)
    tx = torch.tensor(x, dtype=tdt, requires_grad=True)
    gy, ty = gm(gx), tm(tx)
    _close(_np(gy), ty.detach().numpy(), dtype, "output")
    gy.square().sum().backward()
    ty.square().sum().backward()
    _close(_np(gx.grad), tx.grad.numpy(), dtype, "input grad")
    for pname, p in tm.named_parameters():
        _close(_np(getattr(gm, pname).grad), p.grad.numpy(), dtype, pname + " grad")


@pytest.mark.parametrize("name,args,xs,size", [
    ("ConvTranspose1d", (2, 3, 3), (1, 2, 5), [14]),
    ("ConvTranspose2d", (2, 3, 3), (2, 2, 4, 5), [2, 3, 11, 15]),
    ("ConvTranspose3d", (2, 1, 2), (2, 3, 3, 2), [7, 6, 5]),
])
def test_conv_transpose_output_size(torch, name, args, xs, size):
    tm = getattr(torch.nn, name)(*args, stride=3, padding=1, dtype=torch.float64)
    gm = getattr(nn, name)(*args, stride=3, padding=1, dtype=gradcore.float64)
    _copy_params(gm, tm, "cpu")
    x, = _arrays("osize" + name, xs)
    got, want = gm(gradcore.tensor(x), size), tm(torch.tensor(x), size)
    assert tuple(got.shape) == tuple(want.shape)
    _close(_np(got), want.detach().numpy(), "float64", "output")
    with pytest.raises(ValueError) as ours:
        gm(gradcore.tensor(x), [s + 5 for s in size])
    with pytest.raises(ValueError) as theirs:
        tm(torch.tensor(x), [s + 5 for s in size])
    assert str(ours.value) == str(theirs.value)


def test_conv_module_default_init():
    gradcore.manual_seed(0)
    for m, fan_in in ((nn.Conv1d(4, 6, 3, groups=2), 2 * 3), (nn.Conv3d(2, 4, (2, 3, 1)), 12),
                      (nn.ConvTranspose2d(4, 6, 3, groups=2), 3 * 9)):
        bound = 1 / np.sqrt(fan_in)
        w, b = _np(m.weight), _np(m.bias)
        assert m.weight.dtype is gradcore.float32 and m.weight.requires_grad
        assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
        assert w.std() > 0.3 * bound


@pytest.mark.parametrize("name,kw", [
    ("Conv1d", dict(groups=2, in_channels=3)),
    ("Conv3d", dict(padding="same", stride=2)),
    ("Conv1d", dict(padding="full")),
    ("ConvTranspose2d", dict(padding_mode="reflect")),
    ("ConvTranspose1d", dict(groups=2, out_channels=7)),
    ("Conv3d", dict(padding_mode="mirror")),
])
def test_conv_module_errors(torch, name, kw):
    args = dict(in_channels=4, out_channels=8, kernel_size=3)
    args.update(kw)
    with pytest.raises(ValueError) as ours:
        getattr(nn, name)(**args)
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn, name)(**args)
    if "{" not in str(theirs.value):  # a set's printed order varies between processes
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name,pad,shape,mode", [
    ("Conv1d", 4, (1, 1, 3), "reflect"), ("Conv1d", 4, (1, 3), "reflect"),
    ("Conv3d", (4, 1, 1), (1, 1, 3, 9, 9), "reflect"),
    ("Conv3d", (1, 1, 4), (1, 9, 9, 3), "reflect"),
    ("Conv3d", (1, 1, 4), (1, 1, 9, 9, 3), "circular"),
])
def test_conv_module_padding_too_large(torch, name, pad, shape, mode):
    with pytest.raises(RuntimeError) as ours:
        getattr(nn, name)(1, 1, 3, padding=pad, padding_mode=mode)(gradcore.zeros(*shape))
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.nn, name)(1, 1, 3, padding=pad, padding_mode=mode)(torch.zeros(*shape))
    assert str(ours.value) == str(theirs.value)


# ---- pools -----------------------------------------------------------------------------------

POOLS = [  # (id, function name, input shape, kwargs)
    ("max1-k2", "max_pool1d", (2, 3, 8), dict(kernel_size=2)),
    ("max1-pad-ceil", "max_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1,
                                                    ceil_mode=True)),
    ("max1-dilated-idx", "max_pool1d", (2, 2, 11), dict(kernel_size=3, stride=1, padding=1,
                                                        dilation=2, return_indices=True)),
    ("max1-unbatched", "max_pool1d", (3, 7), dict(kernel_size=2, ceil_mode=True,
                                                  return_indices=True)),
    ("max3-k2", "max_pool3d", (2, 2, 4, 6, 5), dict(kernel_size=2)),
    ("max3-mixed", "max_pool3d", (1, 2, 5, 6, 7), dict(kernel_size=(3, 2, 3), stride=(2, 1, 2),
                                                       padding=(1, 1, 0), ceil_mode=True)),
    ("max3-dilated-idx", "max_pool3d", (2, 1, 6, 5, 6), dict(kernel_size=2, stride=1,
                                                             dilation=(2, 1, 2), padding=1,
                                                             return_indices=True)),
    ("max3-unbatched", "max_pool3d", (2, 4, 5, 6), dict(kernel_size=3, stride=2, padding=1,
                                                        return_indices=True)),
    ("avg1-k2", "avg_pool1d", (2, 3, 8), dict(kernel_size=2)),
    ("avg1-pad", "avg_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    ("avg1-no-count-ceil", "avg_pool1d", (2, 3, 10), dict(kernel_size=3, stride=2, padding=1,
                                                          ceil_mode=True,
                                                          count_include_pad=False)),
    ("avg1-unbatched", "avg_pool1d", (3, 7), dict(kernel_size=2, ceil_mode=True)),
    ("avg3-k2", "avg_pool3d", (2, 2, 4, 6, 5), dict(kernel_size=2)),
    ("avg3-pad", "avg_pool3d", (1, 2, 5, 6, 7), dict(kernel_size=(3, 2, 3), stride=(2, 1, 2),
                                                     padding=(1, 1, 0))),
    ("avg3-no-count-ceil", "avg_pool3d", (1, 2, 5, 6, 7),
     dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg3-divisor", "avg_pool3d", (2, 4, 5, 6), dict(kernel_size=2, stride=1, padding=1,
                                                      divisor_override=3)),
    ("aavg1", "adaptive_avg_pool1d", (2, 3, 10), dict(output_size=4)),
    ("aavg1-larger", "adaptive_avg_pool1d", (2, 5), dict(output_size=7)),
    ("aavg1-global", "adaptive_avg_pool1d", (2, 3, 5), dict(output_size=1)),
    ("aavg3", "adaptive_avg_pool3d", (2, 2, 5, 7, 6), dict(output_size=(2, 3, 4))),
    ("aavg3-none", "adaptive_avg_pool3d", (1, 2, 5, 4, 6), dict(output_size=(3, None, 2))),
    ("aavg3-int-unbatched", "adaptive_avg_pool3d", (2, 5, 4, 6), dict(output_size=3)),
    ("aavg3-global", "adaptive_avg_pool3d", (2, 2, 3, 4, 3), dict(output_size=1)),
    ("amax1", "adaptive_max_pool1d", (2, 3, 10), dict(output_size=4, return_indices=True)),
    ("amax1-larger", "adaptive_max_pool1d", (2, 5), dict(output_size=7)),
    ("amax2", "adaptive_max_pool2d", (2, 3, 7, 5), dict(output_size=(3, 2),
                                                        return_indices=True)),
    ("amax2-none", "adaptive_max_pool2d", (2, 2, 5, 7), dict(output_size=(2, None))),
    ("amax2-larger-unbatched", "adaptive_max_pool2d", (2, 3, 4), dict(output_size=(5, 6),
                                                                      return_indices=True)),
    ("amax2-int", "adaptive_max_pool2d", (1, 2, 9, 7), dict(output_size=4,
                                                            return_indices=True)),
    ("amax3", "adaptive_max_pool3d", (2, 2, 5, 7, 6), dict(output_size=(2, 3, 4),
                                                           return_indices=True)),
    ("amax3-none", "adaptive_max_pool3d", (1, 2, 5, 4, 6), dict(output_size=(3, None, 2))),
    ("amax3-larger-unbatched", "adaptive_max_pool3d", (2, 3, 2, 4),
     dict(output_size=(4, 3, 5), return_indices=True)),
    ("amax3-int", "adaptive_max_pool3d", (1, 2, 7, 5, 6), dict(output_size=3,
                                                               return_indices=True)),
    ("lp1", "lp_pool1d", (2, 3, 9), dict(norm_type=2, kernel_size=3, stride=2)),
    ("lp1-p3-ceil", "lp_pool1d", (2, 3, 10), dict(norm_type=3, kernel_size=3, ceil_mode=True)),
    ("lp1-inf", "lp_pool1d", (2, 3, 8), dict(norm_type=float("inf"), kernel_size=2)),
    ("lp2", "lp_pool2d", (2, 3, 7, 6), dict(norm_type=2, kernel_size=(2, 3))),
    ("lp2-p1.5-stride", "lp_pool2d", (2, 2, 7, 6), dict(norm_type=1.5, kernel_size=2,
                                                        stride=1)),
    ("lp2-neg-inf", "lp_pool2d", (3, 6, 6), dict(norm_type=-float("inf"), kernel_size=3,
                                                 stride=2, ceil_mode=True)),
    ("lp3", "lp_pool3d", (2, 2, 5, 6, 4), dict(norm_type=2, kernel_size=(2, 3, 2))),
    ("lp3-p1.5-stride-ceil", "lp_pool3d", (1, 2, 5, 6, 5),
     dict(norm_type=1.5, kernel_size=2, stride=(1, 2, 2), ceil_mode=True)),
    ("lp3-inf-unbatched", "lp_pool3d", (2, 4, 4, 6), dict(norm_type=float("inf"),
                                                          kernel_size=2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", POOLS, ids=[c[0] for c in POOLS])
def test_pool_matches_torch(torch, device, case, dtype):
    key, name, xs, kw = case
    x, = _arrays(key, xs, distinct=True)
    if name.startswith("lp") and kw["norm_type"] not in (2, float("inf"), -float("inf")):
        x = np.abs(x) + 0.5  # a fractional power of a negative sum is NaN in both
    run_both(torch, lambda L, x: getattr(_F(L), name)(x, **kw), [x], dtype, device)


POOL_GRADCHECK = {
    "max_pool1d": lambda x: G.max_pool1d(x[..., 0, :], 3, 2, 1),
    "max_pool3d": lambda x: G.max_pool3d(x.unsqueeze(2).expand(-1, -1, 2, -1, -1) * 1, 2, 1, 1),
    "avg_pool3d": lambda x: G.avg_pool3d(x.unsqueeze(2), (1, 3, 2), 2, (0, 1, 1),
                                         ceil_mode=True, count_include_pad=False),
    "adaptive_avg_pool3d": lambda x: G.adaptive_avg_pool3d(x.unsqueeze(2), (1, 3, 2)),
    "adaptive_max_pool2d": lambda x: G.adaptive_max_pool2d(x, (3, 2)),
    "adaptive_max_pool1d": lambda x: G.adaptive_max_pool1d(x[0], 3),
    "max_unpool2d": lambda x: G.max_unpool2d(*G.max_pool2d(x, 2, return_indices=True), 2),
    "lp_pool2d": lambda x: G.lp_pool2d(x, 2, 2, 1),
    "adaptive_max_pool3d": lambda x: G.adaptive_max_pool3d(x.unsqueeze(2), (1, 3, 2)),
    "max_unpool3d": lambda x: G.max_unpool3d(
        *G.max_pool3d(x.unsqueeze(2).expand(-1, -1, 2, -1, -1) * 1, 2, return_indices=True),
        2, output_size=(2, 5, 4)),
    "lp_pool3d": lambda x: G.lp_pool3d(x.unsqueeze(2), 2, (1, 2, 2), 1),
}


@pytest.mark.parametrize("name", POOL_GRADCHECK)
def test_pool_gradcheck_and_gradgradcheck(device, name):
    x = gradcore.tensor(_arrays("gcv" + name, (1, 2, 5, 4), distinct=True)[0], device=device,
                        requires_grad=True)
    assert gradcheck(POOL_GRADCHECK[name], (x,))
    assert gradgradcheck(POOL_GRADCHECK[name], (x,))


SECOND = {
    "max3": lambda L, x: _F(L).max_pool3d(x, 2, stride=1, padding=1),
    "avg3": lambda L, x: _F(L).avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "aavg3": lambda L, x: _F(L).adaptive_avg_pool3d(x, (2, 3, 2)),
}


@pytest.mark.parametrize("name", SECOND)
def test_pool_second_derivatives_match_torch(torch, device, name):
    x = _arrays("second3" + name, (2, 2, 4, 5, 4), distinct=True)
    _second_order(torch, device, lambda L, x: SECOND[name](L, x).square(), x)


def test_adaptive_max_pool2d_second_derivatives_match_torch(torch, device):
    x = _arrays("second-amax", (2, 2, 7, 5), distinct=True)
    _second_order(torch, device,
                  lambda L, x: _F(L).adaptive_max_pool2d(x, (3, 2)).square(), x)


def test_adaptive_max_pool3d_second_derivatives_match_torch(torch, device):
    x = _arrays("second-amax3", (2, 2, 5, 4, 6), distinct=True)
    _second_order(torch, device,
                  lambda L, x: _F(L).adaptive_max_pool3d(x, (2, 3, 4)).square(), x)


# ---- max unpooling ---------------------------------------------------------------------------

UNPOOL = [  # (id, dims, input shape, pool kwargs, output_size)
    ("1d", 1, (2, 3, 8), dict(kernel_size=2), None),
    ("1d-stride-pad", 1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1), None),
    ("1d-output-size", 1, (2, 3, 9), dict(kernel_size=2), [9]),
    ("1d-unbatched", 1, (3, 8), dict(kernel_size=2, stride=2), None),
    ("2d", 2, (2, 3, 6, 6), dict(kernel_size=2), None),
    ("2d-stride-pad", 2, (2, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1), [7, 6]),
    ("2d-output-size", 2, (1, 2, 7, 5), dict(kernel_size=2), [1, 2, 7, 5]),
    ("2d-unbatched", 2, (3, 6, 4), dict(kernel_size=(2, 1), stride=(2, 1)), None),
    ("3d", 3, (2, 2, 4, 6, 4), dict(kernel_size=2), None),
    ("3d-stride-pad", 3, (1, 2, 5, 7, 6), dict(kernel_size=3, stride=2, padding=1), [5, 7, 6]),
    ("3d-output-size", 3, (2, 1, 5, 4, 7), dict(kernel_size=(2, 2, 3)), [2, 1, 5, 4, 7]),
    ("3d-unbatched", 3, (3, 4, 6, 4), dict(kernel_size=(2, 3, 1), stride=(2, 3, 1)), None),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", UNPOOL, ids=[c[0] for c in UNPOOL])
def test_max_unpool_round_trip_matches_torch(torch, device, case, dtype):
    key, nd, xs, kw, size = case
    x, = _arrays("unpool" + key, xs, distinct=True)
    x = np.abs(x) + 1  # positive: the unpooled zeros never win when pooled again

    def fn(L, x):
        F = _F(L)
        y, idx = getattr(F, f"max_pool{nd}d")(x, return_indices=True, **kw)
        up = getattr(F, f"max_unpool{nd}d")(y, idx, output_size=size, **kw)
        return up, getattr(F, f"max_pool{nd}d")(up, **kw)
    up, again = run_both(torch, fn, [x], dtype, device)
    y, _ = getattr(G, f"max_pool{nd}d")(gradcore.tensor(x.astype(dtype), device=device),
                                        return_indices=True, **kw)
    _close(_np(again), _np(y), dtype, "pooling the unpooled output gives the pooled input")
    up = _np(up)  # the inputs are distinct and positive: every maximum, once, and zeros
    np.testing.assert_array_equal(np.sort(up[up != 0]), np.unique(_np(y)))


def test_max_unpool_modules_match_torch(torch, device):
    x, = _arrays("unpool-mod", (2, 3, 6, 8), distinct=True)
    x3, = _arrays("unpool-mod3", (2, 3, 4, 6, 4), distinct=True)
    for pool, unpool, xx in ((("MaxPool2d", 2, 2), ("MaxUnpool2d", 2, 2), x),
                             (("MaxPool1d", 3, 2, 1), ("MaxUnpool1d", 3, 2, 1), x[:, :, 0]),
                             (("MaxPool3d", 2), ("MaxUnpool3d", 2), x3),
                             (("MaxPool3d", (2, 3, 2), (2, 3, 2)),
                              ("MaxUnpool3d", (2, 3, 2), (2, 3, 2)), x3)):
        tp, tu = getattr(torch.nn, pool[0])(*pool[1:], return_indices=True), \
            getattr(torch.nn, unpool[0])(*unpool[1:])
        gp, gu = getattr(nn, pool[0])(*pool[1:], return_indices=True), \
            getattr(nn, unpool[0])(*unpool[1:])
        assert repr(gu) == repr(tu) and repr(gp) == repr(tp)
        run_both(torch, lambda L, x: (gu(*gp(x)) if L is gradcore else tu(*tp(x))), [xx],
                 "float64", device)


# ---- pool modules ----------------------------------------------------------------------------

POOL_MODULES = [
    ("MaxPool1d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True), (2, 3, 9)),
    ("MaxPool1d", (2,), dict(return_indices=True), (3, 8)),
    ("MaxPool3d", (2,), {}, (2, 2, 4, 6, 4)),
    ("MaxPool3d", ((2, 3, 2),), dict(stride=1, padding=1, return_indices=True),
     (1, 2, 4, 5, 4)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 9)),
    ("AvgPool3d", (2,), dict(ceil_mode=True, divisor_override=5), (2, 2, 5, 6, 5)),
    ("AvgPool3d", ((3, 2, 2),), dict(stride=1, padding=(1, 1, 0)), (2, 4, 5, 6)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 8)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (1, 2, 5, 4, 7)),
    ("AdaptiveMaxPool1d", (3,), dict(return_indices=True), (2, 3, 8)),
    ("AdaptiveMaxPool2d", ((3, None),), {}, (2, 3, 7, 5)),
    ("AdaptiveMaxPool2d", (2,), dict(return_indices=True), (3, 7, 5)),
    ("LPPool1d", (2, 3), dict(stride=2), (2, 3, 9)),
    ("LPPool2d", (2, (2, 3)), dict(stride=1, ceil_mode=True), (2, 3, 7, 6)),
    ("AdaptiveMaxPool3d", ((3, None, 2),), {}, (2, 3, 7, 5, 4)),
    ("AdaptiveMaxPool3d", (2,), dict(return_indices=True), (3, 5, 7, 5)),
    ("LPPool3d", (2, 2), {}, (2, 3, 4, 6, 4)),
    ("LPPool3d", (3, (2, 3, 2)), dict(stride=1, ceil_mode=True), (1, 2, 4, 5, 4)),
]


@pytest.mark.parametrize("name,args,kw,xs", POOL_MODULES,
                         ids=[f"{m[0]}{m[1]}{m[2]}" for m in POOL_MODULES])
def test_pool_modules_match_torch(torch, device, name, args, kw, xs):
    gm, tm = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(gm) == repr(tm)
    assert list(gm.state_dict()) == [] and list(gm.parameters()) == []
    x, = _arrays("pmv" + name, xs, distinct=True)
    run_both(torch, lambda L, x: (gm if L is gradcore else tm)(x), [x], "float64", device)


# ---- the 2-d machinery's speed ---------------------------------------------------------------

def test_conv2d_small_batch_and_wide_batch_layouts_agree(device):
    """The two im2col layouts (batch-first and batch-last) give the same conv, gradients
    included, on the N-d code path."""
    x, w = _arrays("layouts", (16, 2, 3, 3), (3, 2, 2, 2))
    outs = []
    for n in (16, 2):  # 16 >= 2 * 2 output positions: batch-last; 2 < 4: batch-first
        gx = gradcore.tensor(x[:n], device=device, requires_grad=True)
        gw = gradcore.tensor(w, device=device, requires_grad=True)
        G.conv2d(gx, gw).square().sum().backward()
        outs.append((_np(G.conv2d(gx, gw))[:2], _np(gx.grad)[:2]))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ---- errors ----------------------------------------------------------------------------------

def _r(L, *shape, dtype=None):
    return L.zeros(*shape, dtype=dtype or L.float32)


def _i(L, *shape, fill=0):
    return L.full(shape, fill, dtype=L.int64)


ERRORS = [  # (id, fn(F, L), exception type)
    ("c1-4d", lambda F, L: F.conv1d(_r(L, 1, 2, 3, 4), _r(L, 3, 2, 2)), RuntimeError),
    ("c1-1d", lambda F, L: F.conv1d(_r(L, 4), _r(L, 3, 2, 2)), RuntimeError),
    ("c3-3d", lambda F, L: F.conv3d(_r(L, 2, 3, 4), _r(L, 3, 2, 2, 2, 2)), RuntimeError),
    ("c1-kernel", lambda F, L: F.conv1d(_r(L, 1, 2, 3), _r(L, 3, 2, 5)), RuntimeError),
    ("c3-kernel", lambda F, L: F.conv3d(_r(L, 1, 2, 3, 3, 3), _r(L, 3, 2, 5, 2, 2)),
     RuntimeError),
    ("c1-stride-len", lambda F, L: F.conv1d(_r(L, 1, 2, 8), _r(L, 3, 2, 3), stride=(1, 2)),
     RuntimeError),
    ("c3-stride-len", lambda F, L: F.conv3d(_r(L, 1, 2, 8, 8, 8), _r(L, 3, 2, 3, 3, 3),
                                            stride=(1, 2)), RuntimeError),
    ("c1-weight-dims", lambda F, L: F.conv1d(_r(L, 1, 2, 8), _r(L, 3, 2, 3, 3)), RuntimeError),
    ("c1-weight-2d", lambda F, L: F.conv1d(_r(L, 1, 2, 8), _r(L, 3, 2)), RuntimeError),
    ("c2-weight-5d", lambda F, L: F.conv2d(_r(L, 1, 2, 8, 8), _r(L, 3, 2, 3, 3, 3)),
     RuntimeError),
    ("c1-channels", lambda F, L: F.conv1d(_r(L, 1, 2, 8), _r(L, 3, 3, 3)), RuntimeError),
    ("c3-same-strided", lambda F, L: F.conv3d(_r(L, 1, 2, 8, 8, 8), _r(L, 3, 2, 3, 3, 3),
                                              stride=2, padding="same"), RuntimeError),
    ("ct2-outpad", lambda F, L: F.conv_transpose2d(_r(L, 1, 2, 8, 8), _r(L, 2, 3, 3, 3),
                                                   output_padding=1), RuntimeError),
    ("ct1-outpad", lambda F, L: F.conv_transpose1d(_r(L, 1, 2, 8), _r(L, 2, 3, 3),
                                                   output_padding=1), RuntimeError),
    ("ct3-outpad", lambda F, L: F.conv_transpose3d(_r(L, 1, 2, 4, 4, 4), _r(L, 2, 3, 3, 3, 3),
                                                   output_padding=(1, 0, 0), stride=(1, 2, 2)),
     RuntimeError),
    ("ct2-outpad-dilation", lambda F, L: F.conv_transpose2d(
        _r(L, 1, 2, 8, 8), _r(L, 2, 3, 3, 3), output_padding=2, stride=2, dilation=2),
     RuntimeError),
    ("ct2-channels", lambda F, L: F.conv_transpose2d(_r(L, 1, 3, 8, 8), _r(L, 2, 3, 3, 3)),
     RuntimeError),
    ("ct2-groups", lambda F, L: F.conv_transpose2d(_r(L, 1, 4, 8, 8), _r(L, 3, 3, 3, 3),
                                                   groups=2), RuntimeError),
    ("ct2-bias", lambda F, L: F.conv_transpose2d(_r(L, 1, 2, 8, 8), _r(L, 2, 3, 3, 3),
                                                 _r(L, 2)), RuntimeError),
    ("ct2-input-dims", lambda F, L: F.conv_transpose2d(_r(L, 8, 8), _r(L, 2, 3, 3, 3)),
     RuntimeError),
    ("ct2-output-too-small", lambda F, L: F.conv_transpose2d(_r(L, 1, 2, 2, 2),
                                                             _r(L, 2, 3, 3, 3), padding=3),
     RuntimeError),
    ("ct2-stride-0", lambda F, L: F.conv_transpose2d(_r(L, 1, 2, 2, 2), _r(L, 2, 3, 3, 3),
                                                     stride=0), RuntimeError),
    ("ct2-negative-pad", lambda F, L: F.conv_transpose2d(_r(L, 1, 2, 2, 2), _r(L, 2, 3, 3, 3),
                                                         padding=-1), RuntimeError),
    ("ct1-weight-dims", lambda F, L: F.conv_transpose1d(_r(L, 1, 2, 8), _r(L, 2, 3, 3, 3)),
     RuntimeError),
    ("mp1-4d", lambda F, L: F.max_pool1d(_r(L, 1, 2, 3, 4), 2), RuntimeError),
    ("mp1-1d", lambda F, L: F.max_pool1d(_r(L, 4), 2), RuntimeError),
    ("mp1-kernel-len", lambda F, L: F.max_pool1d(_r(L, 1, 2, 4), (2, 2)), RuntimeError),
    ("mp1-too-small", lambda F, L: F.max_pool1d(_r(L, 1, 2, 4), 5), RuntimeError),
    ("mp1-pad", lambda F, L: F.max_pool1d(_r(L, 1, 2, 4), 2, padding=2), RuntimeError),
    ("mp1-stride-0", lambda F, L: F.max_pool1d(_r(L, 1, 2, 4), 2, stride=0), RuntimeError),
    ("mp1-indices-too-small", lambda F, L: F.max_pool1d(_r(L, 1, 2, 4), 5,
                                                        return_indices=True), RuntimeError),
    ("mp1-indices-kernel-len", lambda F, L: F.max_pool1d(_r(L, 1, 2, 4), (2, 2),
                                                         return_indices=True), RuntimeError),
    ("ap1-4d", lambda F, L: F.avg_pool1d(_r(L, 1, 2, 3, 4), 2), RuntimeError),
    ("ap1-kernel-len", lambda F, L: F.avg_pool1d(_r(L, 1, 2, 4), (2, 2)), RuntimeError),
    ("ap1-too-small", lambda F, L: F.avg_pool1d(_r(L, 1, 2, 4), 5), RuntimeError),
    ("ap1-pad", lambda F, L: F.avg_pool1d(_r(L, 1, 2, 4), 2, padding=2), RuntimeError),
    ("mp3-3d", lambda F, L: F.max_pool3d(_r(L, 2, 3, 4), 2), RuntimeError),
    ("mp3-kernel-len", lambda F, L: F.max_pool3d(_r(L, 1, 2, 4, 4, 4), (2, 2)), RuntimeError),
    ("mp3-too-small", lambda F, L: F.max_pool3d(_r(L, 1, 2, 4, 4, 4), 5), RuntimeError),
    ("mp3-pad", lambda F, L: F.max_pool3d(_r(L, 1, 2, 4, 4, 4), 2, padding=2), RuntimeError),
    ("mp3-pad-dilated", lambda F, L: F.max_pool3d(_r(L, 1, 2, 8, 8, 8), 3, padding=2,
                                                  dilation=2), RuntimeError),
    ("mp3-stride", lambda F, L: F.max_pool3d(_r(L, 1, 2, 4, 4, 4), 2, stride=-1),
     RuntimeError),
    ("mp3-kernel-0", lambda F, L: F.max_pool3d(_r(L, 1, 2, 4, 4, 4), 0, stride=1),
     RuntimeError),
    ("mp3-dilation-0", lambda F, L: F.max_pool3d(_r(L, 1, 2, 4, 4, 4), 2, dilation=0),
     RuntimeError),
    ("ap3-3d", lambda F, L: F.avg_pool3d(_r(L, 2, 3, 4), 2), RuntimeError),
    ("ap3-kernel-len", lambda F, L: F.avg_pool3d(_r(L, 1, 2, 4, 4, 4), (2, 2)), RuntimeError),
    ("ap3-too-small", lambda F, L: F.avg_pool3d(_r(L, 1, 2, 4, 4, 4), 5), RuntimeError),
    ("ap3-pad", lambda F, L: F.avg_pool3d(_r(L, 1, 2, 4, 4, 4), 2, padding=2), RuntimeError),
    ("ap3-divisor-0", lambda F, L: F.avg_pool3d(_r(L, 1, 2, 4, 4, 4), 2, divisor_override=0),
     RuntimeError),
    ("aap1-4d", lambda F, L: F.adaptive_avg_pool1d(_r(L, 1, 2, 3, 4), 2), RuntimeError),
    ("aap1-size-len", lambda F, L: F.adaptive_avg_pool1d(_r(L, 1, 2, 4), (2, 2)),
     RuntimeError),
    ("aap3-2d", lambda F, L: F.adaptive_avg_pool3d(_r(L, 2, 4), 2), RuntimeError),
    ("aap3-size-len", lambda F, L: F.adaptive_avg_pool3d(_r(L, 1, 2, 4, 4, 4), (2, 2)),
     RuntimeError),
    ("aap3-negative", lambda F, L: F.adaptive_avg_pool3d(_r(L, 1, 2, 4, 4, 4), (2, 2, -1)),
     RuntimeError),
    ("aap3-empty", lambda F, L: F.adaptive_avg_pool3d(_r(L, 1, 2, 0, 4, 4), 2), RuntimeError),
    ("aap3-int", lambda F, L: F.adaptive_avg_pool3d(_r(L, 1, 2, 4, 4, 4, dtype=L.int64), 2),
     NotImplementedError),
    ("amp2-2d", lambda F, L: F.adaptive_max_pool2d(_r(L, 2, 4), 2), RuntimeError),
    ("amp2-size-len", lambda F, L: F.adaptive_max_pool2d(_r(L, 1, 2, 4, 4), (2, 2, 2)),
     RuntimeError),
    ("amp2-negative", lambda F, L: F.adaptive_max_pool2d(_r(L, 1, 2, 4, 4), (2, -1)),
     RuntimeError),
    ("amp2-empty", lambda F, L: F.adaptive_max_pool2d(_r(L, 1, 2, 0, 4), 2), RuntimeError),
    ("amp2-int", lambda F, L: F.adaptive_max_pool2d(_r(L, 1, 2, 4, 4, dtype=L.int64), 2),
     NotImplementedError),
    ("amp1-4d", lambda F, L: F.adaptive_max_pool1d(_r(L, 1, 2, 3, 4), 2), RuntimeError),
    ("amp1-size-len", lambda F, L: F.adaptive_max_pool1d(_r(L, 1, 2, 4), (2, 2)),
     RuntimeError),
    ("unpool2-bad-index", lambda F, L: F.max_unpool2d(_r(L, 1, 2, 2, 2),
                                                      _i(L, 1, 2, 2, 2, fill=99), 2),
     RuntimeError),
    ("unpool2-float-index", lambda F, L: F.max_unpool2d(_r(L, 1, 2, 2, 2), _r(L, 1, 2, 2, 2),
                                                        2), RuntimeError),
    ("unpool2-index-shape", lambda F, L: F.max_unpool2d(_r(L, 1, 2, 2, 2), _i(L, 1, 2, 2, 3),
                                                        2), RuntimeError),
    ("unpool2-2d", lambda F, L: F.max_unpool2d(_r(L, 2, 2), _i(L, 2, 2), 2), RuntimeError),
    ("unpool2-output-size", lambda F, L: F.max_unpool2d(_r(L, 1, 2, 2, 2), _i(L, 1, 2, 2, 2),
                                                        2, output_size=(9, 9)), ValueError),
    ("unpool2-output-size-len", lambda F, L: F.max_unpool2d(
        _r(L, 1, 2, 2, 2), _i(L, 1, 2, 2, 2), 2, output_size=(4, 4, 4)), ValueError),
    ("unpool1-bad-index", lambda F, L: F.max_unpool1d(_r(L, 1, 2, 2), _i(L, 1, 2, 2, fill=99),
                                                      2), RuntimeError),
    ("unpool1-negative-index", lambda F, L: F.max_unpool1d(_r(L, 1, 2, 2),
                                                           _i(L, 1, 2, 2, fill=-1), 2),
     RuntimeError),
    ("lp2-too-small", lambda F, L: F.lp_pool2d(_r(L, 1, 2, 2, 2), 2, 3), RuntimeError),
    ("amp3-3d", lambda F, L: F.adaptive_max_pool3d(_r(L, 2, 4, 4), 2), RuntimeError),
    ("amp3-size-len", lambda F, L: F.adaptive_max_pool3d(_r(L, 1, 2, 4, 4, 4), (2, 2)),
     RuntimeError),
    ("amp3-negative", lambda F, L: F.adaptive_max_pool3d(_r(L, 1, 2, 4, 4, 4), (2, 3, -1)),
     RuntimeError),
    ("amp3-empty", lambda F, L: F.adaptive_max_pool3d(_r(L, 1, 2, 0, 4, 4), 2), RuntimeError),
    ("amp3-int", lambda F, L: F.adaptive_max_pool3d(_r(L, 1, 2, 4, 4, 4, dtype=L.int64), 2),
     NotImplementedError),
    ("unpool3-bad-index", lambda F, L: F.max_unpool3d(_r(L, 1, 2, 2, 2, 2),
                                                      _i(L, 1, 2, 2, 2, 2, fill=64), 2),
     RuntimeError),
    ("unpool3-negative-index", lambda F, L: F.max_unpool3d(_r(L, 1, 2, 2, 2, 2),
                                                           _i(L, 1, 2, 2, 2, 2, fill=-1), 2),
     RuntimeError),
    ("unpool3-float-index", lambda F, L: F.max_unpool3d(_r(L, 1, 2, 2, 2, 2),
                                                        _r(L, 1, 2, 2, 2, 2), 2), RuntimeError),
    ("unpool3-index-shape", lambda F, L: F.max_unpool3d(_r(L, 1, 2, 2, 2, 2),
                                                        _i(L, 1, 2, 2, 2, 3), 2), RuntimeError),
    ("unpool3-3d", lambda F, L: F.max_unpool3d(_r(L, 2, 2, 2), _i(L, 2, 2, 2), 2),
     RuntimeError),
    ("unpool3-empty", lambda F, L: F.max_unpool3d(_r(L, 1, 0, 2, 2, 2), _i(L, 1, 0, 2, 2, 2),
                                                  2), RuntimeError),
    ("unpool3-output-size", lambda F, L: F.max_unpool3d(
        _r(L, 1, 2, 2, 2, 2), _i(L, 1, 2, 2, 2, 2), 2, output_size=(9, 4, 4)), ValueError),
    ("unpool3-output-size-len", lambda F, L: F.max_unpool3d(
        _r(L, 1, 2, 2, 2, 2), _i(L, 1, 2, 2, 2, 2), 2, output_size=(4, 4)), ValueError),
    ("unpool3-stride-0", lambda F, L: F.max_unpool3d(_r(L, 1, 2, 2, 2, 2),
                                                     _i(L, 1, 2, 2, 2, 2, fill=99), 2, 0),
     RuntimeError),
    ("unpool3-kernel-len", lambda F, L: F.max_unpool3d(_r(L, 1, 2, 2, 2, 2),
                                                       _i(L, 1, 2, 2, 2, 2), (2, 2)),
     RuntimeError),
    ("unpool3-int", lambda F, L: F.max_unpool3d(_r(L, 1, 2, 2, 2, 2, dtype=L.int64),
                                                _i(L, 1, 2, 2, 2, 2, fill=99), 2),
     NotImplementedError),
    ("unpool2-int", lambda F, L: F.max_unpool2d(_r(L, 1, 2, 2, 2, dtype=L.int64),
                                                _i(L, 1, 2, 2, 2, fill=99), 2),
     NotImplementedError),
    ("lp3-too-small", lambda F, L: F.lp_pool3d(_r(L, 1, 2, 2, 2, 2), 2, 3), RuntimeError),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(torch, case):
    _, fn, exc = case
    with pytest.raises(exc) as ours:
        fn(G, gradcore)
    with pytest.raises(exc) as theirs:
        fn(torch.nn.functional, torch)
    assert str(ours.value) == str(theirs.value).split("\n")[0]


def test_functional_namespace():
    """nn.functional serves ops/conv.py's pools (through an out= wrapper where PyTorch's
    function takes out=, and autocast's on its lists: inspect.unwrap sees through both)."""
    import inspect

    import gradcore.nn.functional as F
    for name in ("conv1d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "max_pool1d", "max_pool3d", "avg_pool1d", "avg_pool3d",
                 "adaptive_avg_pool1d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
                 "adaptive_max_pool2d", "max_unpool1d", "max_unpool2d", "lp_pool1d",
                 "lp_pool2d", "adaptive_max_pool3d", "max_unpool3d", "lp_pool3d",
                 "conv2d", "max_pool2d"):
        assert inspect.unwrap(getattr(F, name)) is inspect.unwrap(getattr(G, name)), name


def test_a_max_pool_window_of_padding_only_gets_no_gradient():
    """dilation + padding + ceil_mode can make a window read padding only: its value is -inf,
    its index -1, and no gradient goes anywhere from it (PyTorch returns an out-of-range index
    there and its 3-d backward can crash, so there is no reference to compare with)."""
    x = gradcore.tensor(np.ones((1, 2, 1, 2)), requires_grad=True)
    y, i = gradcore.nn.functional.max_pool2d(x, (1, 2), 1, (0, 1), (1, 3),
                                             return_indices=True)
    assert i.tolist() == [[[[-1]], [[-1]]]] and bool((y == -np.inf).all())
    y.backward(gradcore.ones_like(y))
    assert x.grad.tolist() == [[[[0.0, 0.0]], [[0.0, 0.0]]]]
    # next to ordinary windows, in a second channel: nothing leaks into the first channel
    x = gradcore.tensor(np.arange(12.0).reshape(1, 2, 1, 6), requires_grad=True)
    y, i = gradcore.nn.functional.max_pool2d(x, (1, 2), 2, (0, 1), (1, 4), ceil_mode=True,
                                             return_indices=True)
    (y[y > -np.inf]).sum().backward()
    g = x.grad.numpy()
    assert g.sum() == float((y > -np.inf).sum()) and (g >= 0).all()
