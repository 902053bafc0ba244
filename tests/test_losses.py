"""Losses (gradcore/ops/loss.py and gradcore/nn/modules/loss.py) against PyTorch: values,
dtypes and input/target gradients for every reduction, class weights, ignore_index (also a
batch where everything is ignored), label smoothing, class-probability targets, spatial
inputs, pos_weight broadcasting; gradcheck / gradgradcheck in float64; node names; PyTorch's
warnings and errors word for word; the nn.Module forms."""
import warnings
import zlib

import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck
from gradcore.ops import loss as F

TOL = {"float32": 2e-5, "float64": 1e-10}
REDUCTIONS = ["mean", "sum", "none"]
DTYPES = ["float32", "float64"]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _host(t):
    return np.asarray(t.detach().cpu().numpy())


def _close(got, want, what):
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    tol = TOL[str(want.dtype)]
    finite = want[np.isfinite(want)]
    scale = max(1.0, float(np.abs(finite).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, err_msg=what)


def _tensor(lib, a, rg, device=None):
    if a is None:
        return None
    kw = {"device": device} if device is not None else {}
    return lib.tensor(a, requires_grad=rg and a.dtype.kind == "f", **kw)


def run_both(torch, fn, arrays, grad=(0,), device="cpu", seed=0):
    """fn(F, *tensors) with gradcore's losses and with torch.nn.functional: the outputs agree
    (value, shape, dtype) and so do the gradients of sum(out * random) for ``arrays[grad]``.
    Returns gradcore's output."""
    gs = [_tensor(gradcore, a, i in grad, device) for i, a in enumerate(arrays)]
    ts = [_tensor(torch, a, i in grad) for i, a in enumerate(arrays)]
    yg, yt = fn(F, *gs), fn(torch.nn.functional, *ts)
    want = yt.detach().numpy()
    assert yg.dtype.name == str(yt.dtype).replace("torch.", ""), (yg.dtype, yt.dtype)
    _close(_host(yg), want, "value")
    if not grad:
        return yg
    w = np.random.default_rng(seed).standard_normal(want.shape).astype(want.dtype)
    (yg * gradcore.tensor(w, device=device)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    for i in grad:
        _close(_host(gs[i].grad), ts[i].grad.numpy(), f"grad of argument {i}")
    return yg


def same_error(torch, fn, arrays, device="cpu"):
    """fn raises the same exception type with the same message in gradcore and PyTorch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as want:
            fn(torch.nn.functional, *[_tensor(torch, a, False) for a in arrays])
        with pytest.raises(want.type) as got:
            fn(F, *[_tensor(gradcore, a, False, device) for a in arrays])
    msg = str(want.value).replace("torch.Size", "gradcore.Size")
    assert str(got.value) == msg


# ---- mse / l1 / smooth L1 ------------------------------------------------------------------

POINTWISE = [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
             ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0})]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kw", POINTWISE, ids=[f"{n}{k}" for n, k in POINTWISE])
def test_pointwise_losses_match_torch(torch, device, name, kw, dtype):
    rng = _rng(name, dtype)
    x, t = (rng.standard_normal((3, 4, 5)).astype(dtype) for _ in range(2))
    for red in REDUCTIONS:
        run_both(torch, lambda L, a, b: getattr(L, name)(a, b, reduction=red, **kw), [x, t],
                 grad=(0, 1), device=device)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss"])
def test_pointwise_losses_broadcast_with_a_warning(torch, device, name):
    rng = _rng(name)
    x, t = rng.standard_normal(3), rng.standard_normal((3, 1))
    with pytest.warns(UserWarning) as rec:
        y = run_both(torch, lambda L, a, b: getattr(L, name)(a, b), [x, t], grad=(0, 1),
                     device=device)
    assert str(rec[0].message) == (
        "Using a target size (gradcore.Size([3, 1])) that is different to the input size "
        "(gradcore.Size([3])). This will likely lead to incorrect results due to "
        "broadcasting. Please ensure they have the same size.")
    if name == "mse_loss":
        assert type(y.grad_fn.next_functions[0][0]).__name__ == "ExpandBackward0"


def test_pointwise_losses_promote_dtypes_and_accept_integer_targets(torch, device):
    rng = _rng("promote")
    x = rng.standard_normal((2, 3)).astype(np.float32)
    run_both(torch, lambda L, a, b: L.mse_loss(a, b), [x, rng.standard_normal((2, 3))],
             grad=(0, 1), device=device)
    run_both(torch, lambda L, a, b: L.smooth_l1_loss(a, b), [x, rng.integers(-1, 2, (2, 3))],
             device=device)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_mse_and_l1_with_elementwise_weight(torch, device, name):
    rng = _rng(name)
    x, t, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.random((4, 3))
    for red in REDUCTIONS:
        run_both(torch, lambda L, a, b, c: getattr(L, name)(a, b, reduction=red, weight=c),
                 [x, t, w], grad=(0, 1), device=device)


def test_pointwise_losses_of_empty_inputs(torch, device):
    for red in REDUCTIONS:
        for name in ("mse_loss", "smooth_l1_loss", "l1_loss"):
            run_both(torch, lambda L, a, b: getattr(L, name)(a, b, reduction=red),
                     [np.zeros((0, 3)), np.zeros((0, 3))], grad=(0, 1), device=device)


# ---- nll_loss / cross_entropy with class-index targets -------------------------------------

# (input shape, target shape): unbatched, (N, C), and spatial (N, C, d1, ...) inputs
INDEX_SHAPES = [((5,), ()), ((6, 5), (6,)), ((3, 4, 6), (3, 6)), ((2, 3, 4, 5), (2, 4, 5)),
                ((2, 3, 2, 2, 3), (2, 2, 2, 3))]


def _index_case(shapes, ignore_index, weighted, dtype, tag):
    """Input, class-index target (every third entry ignored), optional weight."""
    (xs, ts) = shapes
    rng = _rng(xs, ignore_index, weighted, dtype, tag)
    n_classes = xs[1] if len(xs) > 1 else xs[0]
    x = rng.standard_normal(xs).astype(dtype)
    t = rng.integers(0, n_classes, ts)
    if ignore_index is not None and t.ndim:
        t.reshape(-1)[::3] = ignore_index
    w = rng.uniform(0.2, 2.0, n_classes).astype(dtype) if weighted else None
    return x, t, w


def _each_dtype_and_reduction():
    return [(d, r) for d in DTYPES for r in REDUCTIONS]


@pytest.mark.parametrize("ignore_index", [-100, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shapes", INDEX_SHAPES, ids=[str(s[0]) for s in INDEX_SHAPES])
def test_nll_loss_matches_torch(torch, device, shapes, weighted, ignore_index):
    for dtype, red in _each_dtype_and_reduction():
        x, t, w = _index_case(shapes, ignore_index, weighted, dtype, "nll")
        run_both(torch, lambda L, a, b, c: L.nll_loss(a, b, c, reduction=red,
                                                      ignore_index=ignore_index),
                 [x, t, w], device=device)


# (ignore_index, label_smoothing); an in-range ignore_index without smoothing is nll's case
CE_CASES = [(-100, 0.0), (-100, 0.3), (2, 0.3)]


@pytest.mark.parametrize("ignore_index,label_smoothing", CE_CASES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shapes", INDEX_SHAPES, ids=[str(s[0]) for s in INDEX_SHAPES])
def test_cross_entropy_matches_torch(torch, device, shapes, weighted, ignore_index,
                                     label_smoothing):
    for dtype, red in _each_dtype_and_reduction():
        x, t, w = _index_case(shapes, ignore_index, weighted, dtype, "ce")
        run_both(torch, lambda L, a, b, c: L.cross_entropy(
            a, b, c, reduction=red, label_smoothing=label_smoothing, ignore_index=ignore_index),
            [x, t, w], device=device)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("xs", [(4, 5), (2, 3, 4, 5)])
def test_all_ignored_batch(torch, device, xs, weighted, label_smoothing):
    rng = _rng(xs, "ignored")
    x = rng.standard_normal(xs)
    t = np.full((xs[0],) + xs[2:], -100)
    w = rng.random(xs[1]) if weighted else None
    for red in REDUCTIONS:
        y = run_both(torch, lambda L, a, b, c: L.cross_entropy(
            a, b, c, reduction=red, label_smoothing=label_smoothing), [x, t, w], device=device)
        if red == "mean":
            assert np.isnan(_host(y))
        run_both(torch, lambda L, a, b, c: L.nll_loss(a, b, c, reduction=red), [x, t, w],
                 device=device)


def test_cross_entropy_of_an_empty_batch(torch, device):
    for red in REDUCTIONS:
        run_both(torch, lambda L, a, b: L.cross_entropy(a, b, reduction=red),
                 [np.zeros((0, 4)), np.zeros(0, dtype=np.int64)], device=device)


def test_byte_targets(torch, device):
    x, t, _ = _index_case(INDEX_SHAPES[1], None, False, "float64", "byte")
    run_both(torch, lambda L, a, b: L.cross_entropy(a, b), [x, t.astype(np.uint8)],
             device=device)
    run_both(torch, lambda L, a, b: L.cross_entropy(a, b, label_smoothing=0.1),
             [x, t.astype(np.uint8)], device=device)


# ---- cross_entropy with class-probability targets ------------------------------------------

def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("xs", [(5,), (4, 5), (2, 3, 4, 5)])
def test_cross_entropy_with_probability_targets(torch, device, xs, weighted, label_smoothing):
    for dtype, red in _each_dtype_and_reduction():
        rng = _rng(xs, weighted, dtype, "probs")
        axis = 0 if len(xs) == 1 else 1
        x = rng.standard_normal(xs).astype(dtype)
        p = _softmax(rng.standard_normal(xs), axis).astype(dtype)
        w = rng.uniform(0.2, 2.0, xs[axis]).astype(dtype) if weighted else None
        run_both(torch, lambda L, a, b, c: L.cross_entropy(
            a, b, c, reduction=red, label_smoothing=label_smoothing), [x, p, w],
            grad=(0, 1), device=device)


# ---- binary cross entropy ------------------------------------------------------------------

@pytest.mark.parametrize("weight", [None, "full", "per-column"])
def test_binary_cross_entropy_matches_torch(torch, device, weight):
    for dtype, red in _each_dtype_and_reduction():
        rng = _rng("bce", weight, dtype)
        x = rng.uniform(0.02, 0.98, (4, 3)).astype(dtype)
        t = rng.random((4, 3)).astype(dtype)
        w = {None: None, "full": rng.random((4, 3)), "per-column": rng.random(3)}[weight]
        w = None if w is None else w.astype(dtype)
        run_both(torch, lambda L, a, b, c: L.binary_cross_entropy(a, b, c, reduction=red),
                 [x, t, w], grad=(0, 1), device=device)


def test_binary_cross_entropy_clamps_the_log_at_minus_100(torch, device):
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5], dtype=np.float32)
    for red in REDUCTIONS:
        y = run_both(torch, lambda L, a, b: L.binary_cross_entropy(a, b, reduction=red),
                     [x, t], grad=(), device=device)
    assert _host(y)[0] == 100.0


@pytest.mark.parametrize("pos_weight", [None, "per-class", "full"])
@pytest.mark.parametrize("weight", [None, "full", "per-class"])
def test_binary_cross_entropy_with_logits_matches_torch(torch, device, weight, pos_weight):
    for dtype, red in _each_dtype_and_reduction():
        rng = _rng("bcel", weight, pos_weight, dtype)
        x = (rng.standard_normal((4, 3)) * 4).astype(dtype)
        x[0] = [60.0, -60.0, 0.0]  # large logits stay finite: log-sigmoid is computed stably
        t = rng.random((4, 3)).astype(dtype)
        pick = {None: None, "full": (4, 3), "per-class": (3,)}
        w, pw = (None if pick[k] is None else rng.uniform(0.2, 3.0, pick[k]).astype(dtype)
                 for k in (weight, pos_weight))
        y = run_both(torch, lambda L, a, b, c, d: L.binary_cross_entropy_with_logits(
            a, b, c, reduction=red, pos_weight=d), [x, t, w, pw], grad=(0, 1), device=device)
        assert np.isfinite(_host(y)).all()


# ---- gradcheck / gradgradcheck (float64) ---------------------------------------------------

def _rg(a):
    return gradcore.tensor(a, requires_grad=True)


def _check(fn, *inputs):
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_pointwise_losses(reduction):
    rng = _rng("gc", reduction)
    x, t = _rg(rng.standard_normal((3, 4))), _rg(rng.standard_normal((3, 4)))
    _check(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, t)
    _check(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.7), x, t)
    _check(lambda a, b: F.l1_loss(a, b, reduction=reduction), x, t)
    w = gradcore.tensor(rng.random((3, 4)))
    _check(lambda a, b: F.mse_loss(a, b, reduction=reduction, weight=w), x, t)


GRADCHECK_SHAPES = [((4,), ()), ((3, 4), (3,)), ((2, 3, 2), (2, 2)), ((2, 3, 2, 1), (2, 2, 1))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", GRADCHECK_SHAPES, ids=[str(s[0]) for s in GRADCHECK_SHAPES])
def test_gradcheck_nll_and_cross_entropy(shapes, reduction):
    x, t, w = _index_case(shapes, -100, True, "float64", "gradcheck")
    x, t, w = _rg(x), gradcore.tensor(t), gradcore.tensor(w)
    _check(lambda a: F.nll_loss(a, t, w, reduction=reduction), x)
    _check(lambda a: F.cross_entropy(a, t, w, reduction=reduction), x)
    _check(lambda a: F.cross_entropy(a, t, w, reduction=reduction, label_smoothing=0.2), x)
    _check(lambda a: F.cross_entropy(a, t, reduction=reduction, label_smoothing=0.2), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_probability_targets(reduction):
    rng = _rng("gc-probs", reduction)
    x, p = _rg(rng.standard_normal((3, 4))), _rg(_softmax(rng.standard_normal((3, 4)), 1))
    w = gradcore.tensor(rng.random(4))
    _check(lambda a, b: F.cross_entropy(a, b, w, reduction=reduction, label_smoothing=0.1),
           x, p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_binary_cross_entropy(reduction):
    rng = _rng("gc-bce", reduction)
    x, t = _rg(rng.uniform(0.1, 0.9, (3, 4))), _rg(rng.random((3, 4)))
    w, pw = gradcore.tensor(rng.random((3, 4))), gradcore.tensor(rng.uniform(0.5, 2, 4))
    _check(lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction), x, t)
    z = _rg(rng.standard_normal((3, 4)) * 3)
    _check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction), z, t)
    _check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction,
                                                           pos_weight=pw), z, t)


def test_double_backward_matches_torch(torch):
    """Second derivatives (through the fused backward kernels) agree with PyTorch's."""
    rng = _rng("double")
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    cls = rng.integers(0, 4, 3)

    def classes(L):
        return (gradcore if L is F else torch).tensor(cls)
    cases = [lambda L, a, b: L.mse_loss(a, b), lambda L, a, b: L.smooth_l1_loss(a, b, beta=.8),
             lambda L, a, b: L.cross_entropy(a, classes(L), label_smoothing=0.1),
             lambda L, a, b: L.nll_loss(a.log_softmax(1), classes(L)),
             lambda L, a, b: L.binary_cross_entropy(a.sigmoid(), b.sigmoid()),
             lambda L, a, b: L.binary_cross_entropy_with_logits(a, b.sigmoid())]
    for fn in cases:
        grads = []
        for lib, L in ((gradcore, F), (torch, torch.nn.functional)):
            a, b = lib.tensor(x, requires_grad=True), lib.tensor(t, requires_grad=True)
            ga, gb = lib.autograd.grad(fn(L, a, b), (a, b), create_graph=True,
                                       allow_unused=True)
            s = (ga * ga).sum() + (0 if gb is None else (gb * ga).sum())
            grads.append([_host(g) for g in lib.autograd.grad(s, (a, b), allow_unused=True)
                          if g is not None])
        for g, w in zip(*grads):
            _close(g, w, "second derivative")


# ---- node names ----------------------------------------------------------------------------

def _names(y):
    """grad_fn names down the first edges."""
    out, node = [], y.grad_fn
    while node is not None and type(node).__name__ != "AccumulateGrad":
        out.append(type(node).__name__)
        node = node.next_functions[0][0] if node.next_functions else None
    return out


def test_node_names_match_torch(torch):
    rng = _rng("names")
    x2, t2 = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    x3, x4 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4, 5))
    cases = [
        (lambda L, a, b: L.mse_loss(a, b), [x2, t2]),
        (lambda L, a, b: L.l1_loss(a, b), [x2, t2]),
        (lambda L, a, b: L.l1_loss(a, b, reduction="none"), [x2, t2]),
        (lambda L, a, b: L.smooth_l1_loss(a, b), [x2, t2]),
        (lambda L, a, b: L.smooth_l1_loss(a, b, beta=0.0), [x2, t2]),
        (lambda L, a, b: L.cross_entropy(a, b), [x2, rng.integers(0, 5, 4)]),
        (lambda L, a, b: L.nll_loss(a, b), [x2, rng.integers(0, 5, 4)]),
        (lambda L, a, b: L.cross_entropy(a, b), [x4, rng.integers(0, 3, (2, 4, 5))]),
        (lambda L, a, b: L.cross_entropy(a, b, reduction="none"), [x3, rng.integers(0, 3, (2, 4))]),
        (lambda L, a, b: L.cross_entropy(a, b), [x3, rng.integers(0, 3, (2, 4))]),
        (lambda L, a, b: L.binary_cross_entropy(a.sigmoid(), b), [x2, rng.random((4, 5))]),
        (lambda L, a, b: L.binary_cross_entropy_with_logits(a, b), [x2, rng.random((4, 5))]),
    ]
    for fn, arrays in cases:
        g = fn(F, *[_tensor(gradcore, a, True) for a in arrays])
        t = fn(torch.nn.functional, *[_tensor(torch, a, True) for a in arrays])
        assert _names(g) == _names(t)


def test_weight_and_pos_weight_are_buffers_not_graph_inputs():
    x = _rg(np.zeros((2, 3)))
    y = F.binary_cross_entropy_with_logits(x, gradcore.zeros(2, 3), gradcore.ones(3),
                                           pos_weight=gradcore.ones(3))
    assert [n is None for n, _ in y.grad_fn.next_functions] == [False, True, True, True]


# ---- legacy arguments, warnings, errors ----------------------------------------------------

LEGACY = [(False, None, "sum"), (None, False, "none"), (True, True, "mean"),
          (False, False, "none"), (True, None, "mean")]


@pytest.mark.parametrize("size_average,reduce,expected", LEGACY)
def test_legacy_size_average_and_reduce(torch, size_average, reduce, expected):
    rng = _rng("legacy")
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    c = rng.integers(0, 4, 3)
    kw = {"size_average": size_average, "reduce": reduce}
    for fn, arrays in [(lambda L, a, b: L.mse_loss(a, b, **kw), [x, t]),
                       (lambda L, a, b: L.cross_entropy(a, b, **kw), [x, c]),
                       (lambda L, a, b: L.nll_loss(a, b, **kw), [x, c]),
                       (lambda L, a, b: L.binary_cross_entropy_with_logits(a, b.sigmoid(), **kw),
                        [x, t])]:
        with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
            y = run_both(torch, fn, arrays)
        assert (y.ndim == 0) == (expected != "none")


def test_elementwise_mean_is_mean_with_a_warning():
    x = gradcore.ones(3)
    with pytest.warns(UserWarning, match="reduction='elementwise_mean' is deprecated"):
        assert F.mse_loss(x, x * 2, reduction="elementwise_mean").item() == 1.0


X45 = np.linspace(-1, 1, 20).reshape(4, 5).astype(np.float32)
P45 = np.full((4, 5), 0.2, dtype=np.float32)
ERRORS = {
    "index out of bounds": (lambda L, a, b: L.cross_entropy(a, b), [X45, np.array([0, 1, 5, 2])]),
    "negative index": (lambda L, a, b: L.cross_entropy(a, b), [X45, np.array([0, 1, -1, 2])]),
    "index out of bounds, none": (lambda L, a, b: L.nll_loss(a, b, reduction="none"),
                                  [X45, np.array([0, 7, 1, 2])]),
    "2d index out of bounds": (lambda L, a, b: L.nll_loss(a, b),
                               [np.zeros((2, 3, 4, 5), np.float32), np.full((2, 4, 5), 7)]),
    "float target": (lambda L, a, b: L.cross_entropy(a, b),
                     [X45, np.array([0, 1, 3, 2], np.float32)]),
    "int32 target": (lambda L, a, b: L.cross_entropy(a, b),
                     [X45, np.array([0, 1, 3, 2], np.int32)]),
    "batch size": (lambda L, a, b: L.cross_entropy(a, b), [X45, np.array([0, 1, 3])]),
    "0-d target for a batch": (lambda L, a, b: L.nll_loss(a, b), [X45, np.array(1)]),
    "3d target size": (lambda L, a, b: L.cross_entropy(a, b),
                       [np.zeros((2, 3, 4), np.float32), np.zeros((2, 2), np.int64)]),
    "4d target size": (lambda L, a, b: L.cross_entropy(a, b),
                       [np.zeros((2, 3, 4, 5), np.float32), np.zeros((2, 4, 4), np.int64)]),
    "4d target dims": (lambda L, a, b: L.nll_loss(a, b),
                       [np.zeros((2, 3, 4, 5), np.float32), np.zeros((2, 4), np.int64)]),
    "multi-target": (lambda L, a, b: L.nll_loss(a, b), [X45, np.zeros((4, 1), np.int64)]),
    "1d input, 2 targets": (lambda L, a, b: L.nll_loss(a, b),
                            [np.zeros(5, np.float32), np.array([1, 2])]),
    "0-d input": (lambda L, a, b: L.nll_loss(a, b), [np.float32(1.0), np.array([1])]),
    "integer input": (lambda L, a, b: L.nll_loss(a, b),
                      [np.zeros((4, 5), np.int64), np.array([0, 1, 3, 2])]),
    "integer 4d input": (lambda L, a, b: L.nll_loss(a, b),
                         [np.zeros((2, 3, 4, 5), np.int64), np.zeros((2, 4, 5), np.int64)]),
    "weight size": (lambda L, a, b, c: L.cross_entropy(a, b, c),
                    [X45, np.array([0, 1, 3, 2]), np.ones(3, np.float32)]),
    "4d weight size": (lambda L, a, b, c: L.nll_loss(a, b, c),
                       [np.zeros((2, 3, 4, 5), np.float32), np.zeros((2, 4, 5), np.int64),
                        np.ones(2, np.float32)]),
    "weight dtype": (lambda L, a, b, c: L.nll_loss(a, b, c),
                     [X45, np.array([0, 1, 3, 2]), np.ones(5)]),
    "probs weight size": (lambda L, a, b, c: L.cross_entropy(a, b, c),
                          [X45, P45, np.ones(3, np.float32)]),
    "probs with ignore_index": (lambda L, a, b: L.cross_entropy(a, b, ignore_index=1), [X45, P45]),
    "long probs": (lambda L, a, b: L.cross_entropy(a, b), [X45, np.zeros((4, 5), np.int64)]),
    "label_smoothing > 1": (lambda L, a, b: L.cross_entropy(a, b, label_smoothing=1.5),
                            [X45, np.array([0, 1, 3, 2])]),
    "label_smoothing > 1, probs": (lambda L, a, b: L.cross_entropy(a, b, label_smoothing=1.5),
                                   [X45, P45]),
    "mse broadcast": (lambda L, a, b: L.mse_loss(a, b),
                      [np.zeros(3, np.float32), np.zeros(4, np.float32)]),
    "l1 broadcast": (lambda L, a, b: L.l1_loss(a, b),
                     [np.zeros(3, np.float32), np.zeros(4, np.float32)]),
    "mse integer": (lambda L, a, b: L.mse_loss(a, b), [np.zeros(3, np.int64)] * 2),
    "smooth_l1 integer": (lambda L, a, b: L.smooth_l1_loss(a, b), [np.zeros(3, np.int64)] * 2),
    "mse weight size": (lambda L, a, b, c: L.mse_loss(a, b, weight=c), [X45, X45, X45[0]]),
    "smooth_l1 beta": (lambda L, a, b: L.smooth_l1_loss(a, b, beta=-1.0), [X45, X45]),
    "bce input range": (lambda L, a, b: L.binary_cross_entropy(a, b),
                        [np.array([0.5, 1.5], np.float32), np.array([0.0, 1.0], np.float32)]),
    "bce negative input": (lambda L, a, b: L.binary_cross_entropy(a, b),
                           [np.array([-0.5, 0.5], np.float32), np.array([0.0, 1.0], np.float32)]),
    "bce nan input": (lambda L, a, b: L.binary_cross_entropy(a, b),
                      [np.array([np.nan, 0.5], np.float32), np.array([0.0, 1.0], np.float32)]),
    "bce target range": (lambda L, a, b: L.binary_cross_entropy(a, b),
                         [np.array([0.5, 0.2], np.float32), np.array([1.0, 2.0], np.float32)]),
    "bce size": (lambda L, a, b: L.binary_cross_entropy(a, b),
                 [np.array([0.5, 0.2], np.float32), np.array([1.0, 0, 1], np.float32)]),
    "bce dtype": (lambda L, a, b: L.binary_cross_entropy(a, b),
                  [np.array([0.5, 0.2]), np.array([1.0, 0], np.float32)]),
    "bce weight shape": (lambda L, a, b, c: L.binary_cross_entropy(a, b, c),
                         [P45, P45, np.ones(2, np.float32)]),
    "bce logits size": (lambda L, a, b: L.binary_cross_entropy_with_logits(a, b),
                        [np.zeros(2, np.float32), np.zeros(3, np.float32)]),
    "bce logits pos_weight": (lambda L, a, b, c: L.binary_cross_entropy_with_logits(
        a, b, pos_weight=c), [X45, P45, np.ones(4, np.float32)]),
    "bce logits weight": (lambda L, a, b, c: L.binary_cross_entropy_with_logits(a, b, c),
                          [X45, P45, np.ones(4, np.float32)]),
    "bce logits pos_weight grows output": (lambda L, a, b, c: L.binary_cross_entropy_with_logits(
        a, b, pos_weight=c), [X45, P45, np.ones((2, 4, 5), np.float32)]),
}
for _name in ("mse_loss", "l1_loss", "smooth_l1_loss", "binary_cross_entropy_with_logits"):
    ERRORS[f"{_name} reduction"] = (lambda L, a, b, n=_name: getattr(L, n)(a, b, reduction="x"),
                                    [P45, P45])
for _name in ("cross_entropy", "nll_loss"):
    ERRORS[f"{_name} reduction"] = (lambda L, a, b, n=_name: getattr(L, n)(a, b, reduction=None),
                                    [X45, np.array([0, 1, 3, 2])])
ERRORS["bce reduction"] = (lambda L, a, b: L.binary_cross_entropy(a, b, reduction="avg"),
                           [P45, P45])


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_match_torch(torch, device, case):
    fn, arrays = ERRORS[case]
    same_error(torch, fn, arrays, device)


def test_out_of_bounds_target_message():
    x = gradcore.zeros(4, 3)
    with pytest.raises(IndexError, match=r"^Target 5 is out of bounds\.$"):
        F.cross_entropy(x, gradcore.tensor([0, 5, 1, 2]))
    with pytest.raises(ValueError, match=r"^Expected input batch_size \(4\) to match target "
                                         r"batch_size \(3\)\.$"):
        F.cross_entropy(x, gradcore.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="^all elements of input should be between 0 and 1$"):
        F.binary_cross_entropy(gradcore.tensor([2.0]), gradcore.tensor([1.0]))
    with pytest.raises(ValueError, match="^foo is not a valid value for reduction$"):
        F.mse_loss(x, x, reduction="foo")


def test_mse_broadcast_failure_warns_then_raises():
    with pytest.warns(UserWarning, match=r"target size \(gradcore.Size\(\[4\]\)\)"):
        with pytest.raises(RuntimeError, match="must match the size of tensor b"):
            F.mse_loss(gradcore.zeros(3), gradcore.zeros(4))


@pytest.mark.parametrize("fn", [
    lambda w: F.nll_loss(gradcore.zeros(2, 3), gradcore.tensor([0, 1]), w),
    lambda w: F.cross_entropy(gradcore.zeros(2, 3), gradcore.tensor([0, 1]), w),
    lambda w: F.binary_cross_entropy(gradcore.full((2, 3), 0.5), gradcore.zeros(2, 3), w),
    lambda w: F.binary_cross_entropy_with_logits(gradcore.zeros(2, 3), gradcore.zeros(2, 3), w),
    lambda w: F.binary_cross_entropy_with_logits(gradcore.zeros(2, 3), gradcore.zeros(2, 3),
                                                 pos_weight=w),
])
def test_weights_that_require_grad_are_refused(torch, fn):
    w = gradcore.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="is not differentiable with respect to argument"):
        fn(w)
    with gradcore.no_grad():
        fn(w)


# ---- the modules ---------------------------------------------------------------------------

MODULES = [
    ("MSELoss", {}, "pointwise"), ("L1Loss", {}, "pointwise"),
    ("SmoothL1Loss", {"beta": 0.5}, "pointwise"), ("SmoothL1Loss", {"reduction": "sum"},
                                                   "pointwise"),
    ("CrossEntropyLoss", {"weight": "w", "ignore_index": 1, "label_smoothing": 0.1}, "index"),
    ("CrossEntropyLoss", {"reduction": "none"}, "index"),
    ("NLLLoss", {"weight": "w", "reduction": "sum"}, "index"),
    ("BCELoss", {"weight": "w"}, "prob"),
    ("BCEWithLogitsLoss", {"weight": "w", "pos_weight": "w"}, "logits"),
    ("BCEWithLogitsLoss", {"size_average": False}, "logits"),
]


@pytest.mark.parametrize("name,kwargs,kind", MODULES, ids=[m[0] + str(i) for i, m in
                                                            enumerate(MODULES)])
def test_loss_modules_match_torch(torch, device, name, kwargs, kind):
    import gradcore.nn as nn
    rng = _rng(name, kind)
    x = rng.standard_normal((4, 5))
    target = {"pointwise": rng.standard_normal((4, 5)), "index": rng.integers(0, 5, 4),
              "prob": rng.random((4, 5)), "logits": rng.random((4, 5))}[kind]
    if kind == "prob":
        x = 1 / (1 + np.exp(-x))
    w = rng.uniform(0.5, 2, 5)

    def build(lib, L):
        kw = {k: (lib.tensor(w) if v == "w" else v) for k, v in kwargs.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = getattr(L, name)(**kw)
        return m

    gm, tm = build(gradcore, nn), build(torch, torch.nn)
    assert repr(gm) == repr(tm)
    assert gm.reduction == tm.reduction
    assert sorted(gm.state_dict()) == sorted(tm.state_dict())
    assert [k for k, _ in gm.named_buffers()] == [k for k, _ in tm.named_buffers()]
    for attr in ("ignore_index", "label_smoothing", "beta"):
        assert getattr(gm, attr, None) == getattr(tm, attr, None)
    if device.type != "cpu":
        gm = gm.to(device)
    run_both(torch, lambda L, a, b: (gm if L is F else tm)(a, b), [x, target], device=device)


def test_loss_module_buffers_and_defaults():
    import gradcore.nn as nn
    m = nn.CrossEntropyLoss()
    assert m.weight is None and m.ignore_index == -100 and m.label_smoothing == 0.0
    assert list(m.state_dict()) == []
    w = gradcore.tensor([1.0, 2.0, 3.0])
    m = nn.BCEWithLogitsLoss(pos_weight=w)
    assert m.pos_weight is w and m.weight is None
    assert list(m.state_dict()) == ["pos_weight"]
    assert list(nn.NLLLoss(weight=w).parameters()) == []
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.MSELoss(reduce=False).reduction == "none"
    assert nn.L1Loss(reduction="sum")(gradcore.ones(2), gradcore.zeros(2)).item() == 2.0


def test_functional_exports():
    import gradcore.nn.functional as NF
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
                 "binary_cross_entropy", "binary_cross_entropy_with_logits"):
        assert getattr(NF, name) is getattr(F, name)
