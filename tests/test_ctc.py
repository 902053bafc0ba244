"""ctc_loss (gradcore/ops/ctc.py) and nn.CTCLoss against PyTorch: values and log_probs
gradients for every reduction, padded and concatenated targets, unbatched input, blank != 0,
zero_infinity with impossible alignments, lengths as Tensors or tuples, float32 and float64;
the node names; gradcheck in float64 (through log_softmax, as PyTorch tests it) and the
derivative itself by finite differences (PyTorch's gradient adds exp(log_probs), the
log_softmax part); double backward raising as PyTorch's; PyTorch's errors; the module's repr
and a few SGD steps of a tiny model, loss for loss."""
import zlib

import numpy as np
import pytest

import gradcore
import gradcore.nn.functional as GF
from gradcore.autograd import gradcheck

TOL = {"float32": 2e-5, "float64": 1e-10}
REDUCTIONS = ["mean", "sum", "none"]
DTYPES = ["float32", "float64"]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _host(t):
    return np.asarray(t.detach().cpu().numpy())


def _close(got, want, what, dtype):
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    tol = TOL[dtype]
    finite = np.isfinite(want)
    scale = max(1.0, float(np.abs(want[finite]).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, err_msg=what)


def _problem(key, T=12, N=4, C=6, S=5, blank=0, input_lengths=None, target_lengths=None):
    """Random unnormalised log_probs (T, N, C), padded targets (N, S) of labels != blank (with
    repeats, so the skip rule matters) and lengths."""
    rng = _rng(*key)
    labels = [c for c in range(C) if c != blank]
    a = rng.standard_normal((T, N, C)) * 2
    targets = rng.choice(labels, (N, S))
    targets[:, 1] = targets[:, 0]  # a repeated label: its alignments need a blank between
    il = input_lengths if input_lengths is not None else rng.integers(S + 3, T + 1, N)
    tl = target_lengths if target_lengths is not None else rng.integers(0, S + 1, N)
    return a, targets, np.asarray(il), np.asarray(tl)


def _concatenated(targets, tl):
    return np.concatenate([targets[i, :n] for i, n in enumerate(tl)])


def _run(lib, a, targets, il, tl, dtype, gy_key, **kw):
    """ctc_loss of ``lib``, then backward with a random gradient; (loss, grad, grad_fn)."""
    x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
    lengths = (lib.tensor(il), lib.tensor(tl)) if not kw.pop("as_tuples", False) else (
        tuple(int(v) for v in il), tuple(int(v) for v in tl))
    y = lib.nn.functional.ctc_loss(x, lib.tensor(targets), *lengths, **kw)
    gy = _rng(gy_key).standard_normal(tuple(y.shape)) + 1.5
    y.backward(lib.tensor(gy, dtype=y.dtype))
    name = y.grad_fn.name() if lib is gradcore else type(y.grad_fn).__name__
    return _host(y), _host(x.grad), name


def _same(torch, a, targets, il, tl, dtype, what, **kw):
    want = _run(torch, a, targets, il, tl, dtype, what, **dict(kw))
    got = _run(gradcore, a, targets, il, tl, dtype, what, **dict(kw))
    _close(got[0], want[0], f"{what} forward", dtype)
    _close(got[1], want[1], f"{what} grad", dtype)
    assert got[0].dtype == want[0].dtype and got[1].dtype == want[1].dtype, what
    assert got[2] == want[2], what
    return got


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("blank", [0, 3])
def test_ctc_matches_torch(torch, blank, layout, reduction, dtype):
    a, targets, il, tl = _problem(("parity", blank), blank=blank)
    if layout == "concatenated":
        targets = _concatenated(targets, tl)
    _same(torch, a, targets, il, tl, dtype, f"{layout} {reduction}", blank=blank,
          reduction=reduction)


@pytest.mark.parametrize("limit", [0, 10 ** 9])
@pytest.mark.parametrize("dtype", DTYPES)
def test_ctc_both_ways_of_summing_by_label(torch, monkeypatch, dtype, limit):
    """The backward sums alpha * beta per label by a one-hot product or, past
    ctc._ONE_HOT_LIMIT ((2S+1) * C: a large vocabulary), by a scatter-add: both PyTorch's."""
    from gradcore.ops import ctc
    monkeypatch.setattr(ctc, "_ONE_HOT_LIMIT", limit)
    for C in (6, 300):
        a, targets, il, tl = _problem(("vocabulary", C), C=C, blank=C // 2)
        _same(torch, a, targets, il, tl, dtype, f"C={C}, limit {limit}", blank=C // 2,
              reduction="sum")


@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_on_device(torch, device, layout):
    """On each device (the CuPy path where a GPU answers): log_probs there, targets and
    lengths on the CPU (moved, as PyTorch moves them), the same numbers as PyTorch's."""
    a, targets, il, tl = _problem(("device", layout), blank=1)
    if layout == "concatenated":
        targets = _concatenated(targets, tl)
    want = _run(torch, a, targets, il, tl, "float64", "device", blank=1, zero_infinity=True)
    x = gradcore.tensor(a, device=device, requires_grad=True)
    y = GF.ctc_loss(x, gradcore.tensor(targets), gradcore.tensor(il), gradcore.tensor(tl),
                    blank=1, zero_infinity=True)
    y.backward(gradcore.tensor(_rng("device").standard_normal(()) + 1.5, device=device))
    assert y.device == x.grad.device == x.device
    _close(_host(y), want[0], "device forward", "float64")
    _close(_host(x.grad), want[1], "device grad", "float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_lengths_as_tuples_and_other_dtypes(torch, reduction, dtype):
    """Lengths as tuples of ints; int32 lengths and float targets (converted, as PyTorch)."""
    a, targets, il, tl = _problem(("tuples",))
    _same(torch, a, targets, il, tl, dtype, "tuples", reduction=reduction, as_tuples=True)
    _same(torch, a, targets.astype(np.float64), il.astype(np.int32), tl.astype(np.int16),
          dtype, "int32 lengths", reduction=reduction)


def test_ctc_batch_first_view(torch):
    """log_probs as a (N, T, C) tensor's transpose (a strided view): the gradient reaches the
    (N, T, C) leaf as PyTorch's does."""
    a, targets, il, tl = _problem(("view",))
    out = []
    for L in (torch, gradcore):
        leaf = L.tensor(np.ascontiguousarray(a.transpose(1, 0, 2)), requires_grad=True)
        y = L.nn.functional.ctc_loss(leaf.transpose(0, 1), L.tensor(targets), L.tensor(il),
                                     L.tensor(tl), reduction="sum")
        y.backward()
        out.append((_host(y), _host(leaf.grad)))
    _close(out[1][0], out[0][0], "view forward", "float64")
    _close(out[1][1], out[0][1], "view grad", "float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_unbatched(torch, reduction, dtype):
    a, targets, _, _ = _problem(("unbatched",), N=1)
    a, target = a[:, 0], targets[0, :4]
    for il, tl in (([11], [4]), (11, 4)):  # (1,) and 0-d length tensors
        _same(torch, a, target, np.asarray(il), np.asarray(tl), dtype, "unbatched",
              reduction=reduction)
    _same(torch, a, target[:3], np.asarray([9]), np.asarray([3]), dtype, "unbatched tuples",
          reduction=reduction, as_tuples=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_impossible_alignments(torch, zero_infinity, reduction, dtype):
    """Targets too long for their inputs (a repeat needs a blank between: 5 labels with one
    repeat need 6 steps), an empty input with an empty target and one with a target: inf
    losses with nan gradients, or zeros with zero_infinity, as PyTorch."""
    a, targets, _, _ = _problem(("impossible",), T=8, N=5, S=5)
    il, tl = np.array([8, 5, 0, 0, 6]), np.array([5, 5, 0, 2, 5])
    loss, grad, _ = _same(torch, a, targets, il, tl, dtype, "impossible",
                          reduction=reduction, zero_infinity=zero_infinity)
    if reduction == "none":
        assert np.isinf(loss[1]) != zero_infinity and np.isinf(loss[3]) != zero_infinity
    assert np.isnan(grad[:, 1]).any() != zero_infinity
    assert np.isfinite(grad[:, [0, 2, 3, 4]]).all()


def test_ctc_empty_targets_and_mean_clamp(torch):
    """All targets empty: the 'mean' divides by max(length, 1)."""
    a, targets, il, _ = _problem(("empty",))
    tl = np.zeros(4, dtype=np.int64)
    for reduction in REDUCTIONS:
        _same(torch, a, targets, il, tl, "float64", "empty targets", reduction=reduction)
        _same(torch, a, targets[:, :0], il, tl, "float64", "no target columns",
              reduction=reduction)
        _same(torch, a, np.zeros(0, dtype=np.int64), il, tl, "float64", "no targets",
              reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_gradcheck_through_log_softmax(layout, reduction):
    """Through log_softmax (PyTorch's own test of it) its exp(log_probs) term cancels: the
    gradient is the derivative, blank != 0 and unequal lengths included."""
    a, targets, il, tl = _problem(("gc", layout), T=7, N=3, C=5, S=3, blank=2,
                                  input_lengths=[7, 6, 5], target_lengths=[3, 1, 2])
    if layout == "concatenated":
        targets = _concatenated(targets, tl)
    tg, ilt, tlt = gradcore.tensor(targets), gradcore.tensor(il), gradcore.tensor(tl)

    def fn(x):
        return GF.ctc_loss(x.log_softmax(2), tg, ilt, tlt, blank=2, reduction=reduction)
    assert gradcheck(fn, (gradcore.tensor(a, requires_grad=True),))


def test_ctc_gradient_is_the_derivative_plus_exp_log_probs():
    """On raw inputs PyTorch's gradient is d loss / d log_probs plus exp(log_probs) * gy at
    each time step inside the input: check the derivative part by central differences."""
    a, targets, il, tl = _problem(("fd",), T=6, N=2, C=4, S=2, input_lengths=[6, 4],
                                  target_lengths=[2, 1])
    tg, ilt, tlt = gradcore.tensor(targets), gradcore.tensor(il), gradcore.tensor(tl)
    weights = np.array([0.7, 1.9])

    def f(arr):
        y = GF.ctc_loss(gradcore.tensor(arr), tg, ilt, tlt, reduction="none")
        return float((_host(y) * weights).sum())
    x = gradcore.tensor(a, requires_grad=True)
    GF.ctc_loss(x, tg, ilt, tlt, reduction="none").backward(gradcore.tensor(weights))
    inside = (np.arange(6)[:, None] < il[None, :])[:, :, None]
    derivative = _host(x.grad) - np.exp(a) * weights[None, :, None] * inside
    numeric = np.zeros_like(a)
    eps = 1e-6
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (f(up) - f(down)) / (2 * eps)
    np.testing.assert_allclose(derivative, numeric, rtol=1e-6, atol=1e-7)
    assert np.abs(derivative).max() > 0.1  # a gradient that is there


def test_ctc_double_backward_raises_as_torch(torch):
    a, targets, il, tl = _problem(("gg",))
    errors = []
    for lib in (torch, gradcore):
        x = lib.tensor(a, requires_grad=True)
        y = lib.nn.functional.ctc_loss(x, lib.tensor(targets), lib.tensor(il), lib.tensor(tl))
        g, = lib.autograd.grad(y, x, create_graph=True)
        assert g.requires_grad
        assert g.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError) as e:
            g.sum().backward()
        errors.append(str(e.value))
    assert errors[0] == errors[1]


def test_ctc_create_graph_gradient_equals_array_path():
    """The create_graph backward (a node of its own) and the array backward agree bit for
    bit."""
    a, targets, il, tl = _problem(("paths",))
    grads = []
    for create_graph in (False, True):
        x = gradcore.tensor(a, requires_grad=True)
        y = GF.ctc_loss(x, gradcore.tensor(targets), gradcore.tensor(il), gradcore.tensor(tl),
                        reduction="sum", zero_infinity=True)
        g, = gradcore.autograd.grad(y, x, create_graph=create_graph)
        grads.append(_host(g))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_ctc_top_level_takes_the_reduction_enum(torch):
    a, targets, il, tl = _problem(("enum",))
    for enum in (0, 1, 2):
        want = torch.ctc_loss(torch.tensor(a), torch.tensor(targets), torch.tensor(il),
                              torch.tensor(tl), 1, enum, True)
        got = gradcore.ctc_loss(gradcore.tensor(a), gradcore.tensor(targets),
                                gradcore.tensor(il), gradcore.tensor(tl), 1, enum, True)
        _close(_host(got), want.numpy(), f"enum {enum}", "float64")


# ---- errors ------------------------------------------------------------------------------------

def _same_error(fn_t, fn_g):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(type(et.value)) as eg:
        fn_g()
    assert str(eg.value) == str(et.value)


def test_ctc_errors_match_torch(torch):
    a, targets, il, tl = _problem(("errors",), T=6, N=3, C=5, S=3, input_lengths=[6, 5, 4],
                                  target_lengths=[3, 2, 1])
    T = {torch: torch.tensor(a, dtype=torch.float32), gradcore: gradcore.tensor(a).float()}
    tg = {L: L.tensor(targets) for L in (torch, gradcore)}
    li = {L: L.tensor(il) for L in (torch, gradcore)}
    lt = {L: L.tensor(tl) for L in (torch, gradcore)}
    cases = [
        lambda L, F: F.ctc_loss(T[L][None], tg[L], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L][:, 0, 0], tg[L], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L][0, 0, 0], tg[L], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L], blank=5),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L], blank=-1),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L] + 1, lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L] - 5, lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L] + 1),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L] - 2),
        lambda L, F: F.ctc_loss(T[L], tg[L].flatten(), li[L], lt[L] - 2),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L][:2], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L][:2]),
        lambda L, F: F.ctc_loss(T[L], tg[L][:2], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L].flatten()[:5], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L][:, :, None], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L][0, 0], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L].float(), lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L].float()),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L].bool(), lt[L]),
        lambda L, F: F.ctc_loss(T[L].half(), tg[L], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L].long(), tg[L], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L], reduction="bad"),
        lambda L, F: F.ctc_loss(T[L][:, :0], tg[L][:0], li[L][:0], lt[L][:0]),
        lambda L, F: F.ctc_loss(T[L][:0], tg[L], li[L] * 0, lt[L]),
        lambda L, F: F.ctc_loss(T[L][:, 0], tg[L][0], [6, 5], [3, 3]),
        # the argument parser's TypeErrors
        lambda L, F: F.ctc_loss(T[L], tg[L], [6, 5, 4], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], (3, 2, 1)),
        lambda L, F: F.ctc_loss(T[L], tg[L], 6, 3),
        lambda L, F: F.ctc_loss(T[L], tg[L], [6.0, 5.0, 4.0], [3, 2, 1]),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L], blank=1.5),
        lambda L, F: F.ctc_loss(T[L], tg[L], li[L], lt[L], zero_infinity=1),
        lambda L, F: F.ctc_loss(T[L], [1, 2], li[L], lt[L]),
        lambda L, F: F.ctc_loss(T[L], tg[L], None, lt[L]),
    ]
    for i, case in enumerate(cases):
        _same_error(lambda: case(torch, torch.nn.functional), lambda: case(gradcore, GF))


def test_ctc_refuses_labels_out_of_range():
    """PyTorch reads outside log_probs for such a label; gradcore refuses it (only labels
    inside the target lengths are read: the padding may hold anything)."""
    x = gradcore.zeros(5, 2, 4).log_softmax(2)
    il, tl = gradcore.tensor([5, 5]), gradcore.tensor([2, 1])
    for bad in (4, -1):
        with pytest.raises(RuntimeError, match="Expected targets to have values in"):
            GF.ctc_loss(x, gradcore.tensor([[1, bad], [2, 2]]), il, tl)
    padded = GF.ctc_loss(x, gradcore.tensor([[1, 2], [2, -1]]), il, tl, reduction="none")
    again = GF.ctc_loss(x, gradcore.tensor([[1, 2], [2, 0]]), il, tl, reduction="none")
    np.testing.assert_array_equal(_host(padded), _host(again))


# ---- the module --------------------------------------------------------------------------------

def test_ctc_module_repr_and_forward(torch):
    a, targets, il, tl = _problem(("module",))
    for kw in ({}, dict(blank=3, reduction="sum", zero_infinity=True)):
        tm, gm = torch.nn.CTCLoss(**kw), gradcore.nn.CTCLoss(**kw)
        assert repr(gm) == repr(tm)
        assert (gm.blank, gm.reduction, gm.zero_infinity) == (tm.blank, tm.reduction,
                                                              tm.zero_infinity)
        want = tm(torch.tensor(a).log_softmax(2), torch.tensor(targets), torch.tensor(il),
                  torch.tensor(tl))
        got = gm(gradcore.tensor(a).log_softmax(2), gradcore.tensor(targets),
                 gradcore.tensor(il), gradcore.tensor(tl))
        _close(_host(got), want.numpy(), "module", "float64")


def test_ctc_training_matches_torch(torch):
    """A linear layer over (T, N, F) features, log_softmax, CTCLoss, five SGD steps with the
    same weights in both libraries: the same loss at every step (float32)."""
    rng = _rng("train")
    T, N, Fin, C = 10, 3, 5, 4
    feats = rng.standard_normal((T, N, Fin))
    targets = rng.integers(1, C, (N, 3))
    il, tl = np.array([10, 9, 8]), np.array([3, 2, 3])
    w, b = rng.standard_normal((C, Fin)) * 0.3, rng.standard_normal(C) * 0.1
    losses = []
    for L in (torch, gradcore):
        layer = L.nn.Linear(Fin, C)
        with L.no_grad():
            layer.weight.copy_(L.tensor(w, dtype=L.float32))
            layer.bias.copy_(L.tensor(b, dtype=L.float32))
        opt = L.optim.SGD(layer.parameters(), lr=0.5)
        crit = L.nn.CTCLoss()
        x = L.tensor(feats, dtype=L.float32)
        run = []
        for _ in range(5):
            opt.zero_grad()
            loss = crit(layer(x).log_softmax(2), L.tensor(targets), L.tensor(il), L.tensor(tl))
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    np.testing.assert_allclose(losses[1], losses[0], rtol=2e-5)
    assert losses[0][-1] < losses[0][0]  # it trains
