"""The losses beyond MSE / L1 / NLL / CE / BCE (gradcore/ops/loss.py and
gradcore/nn/modules/loss.py) against PyTorch: values and gradients (inputs, and var / the
second input where differentiable) for every reduction, float32 and float64; node names of the
ops with their own node; gradcheck / gradgradcheck in float64; PyTorch's errors; the modules
(repr, buffers); cross_entropy with label smoothing and probability targets, smooth_l1's beta."""
import warnings
import zlib

import numpy as np
import pytest

import gradcore
import gradcore.nn.functional as GF
from gradcore.autograd import gradcheck, gradgradcheck

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
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, err_msg=what)


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


# name -> (F-call(F, *tensors, reduction), [(array maker, differentiable)])
def _cases():
    return {
        "huber": (lambda F, x, t, r: F.huber_loss(x, t, reduction=r, delta=0.7),
                  [(lambda g: g.standard_normal((4, 5)) * 2, True),
                   (lambda g: g.standard_normal((4, 5)), True)]),
        "huber_weight": (lambda F, x, t, w, r: F.huber_loss(x, t, reduction=r, weight=w),
                         [(lambda g: g.standard_normal((3, 4)) * 2, True),
                          (lambda g: g.standard_normal((3, 4)), False),
                          (lambda g: g.uniform(0.5, 2, (3, 4)), False)]),
        "smooth_l1_beta": (lambda F, x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.4),
                           [(lambda g: g.standard_normal((4, 5)), True),
                            (lambda g: g.standard_normal((4, 5)), True)]),
        "soft_margin": (lambda F, x, y, r: F.soft_margin_loss(x, y, reduction=r),
                        [(lambda g: g.standard_normal((4, 5)) * 2, True),
                         (lambda g: _signs(g, (4, 5)), False)]),
        "multilabel_soft_margin": (
            lambda F, x, y, w, r: F.multilabel_soft_margin_loss(x, y, weight=w, reduction=r),
            [(lambda g: g.standard_normal((4, 5)) * 2, True),
             (lambda g: g.integers(0, 2, (4, 5)).astype(float), False),
             (lambda g: g.uniform(0.5, 2, 5), False)]),
        "margin_ranking": (lambda F, a, b, y, r: F.margin_ranking_loss(a, b, y, margin=0.3,
                                                                        reduction=r),
                           [(lambda g: g.standard_normal(7), True),
                            (lambda g: g.standard_normal(7), True),
                            (lambda g: _signs(g, 7), False)]),
        "hinge_embedding": (lambda F, x, y, r: F.hinge_embedding_loss(x, y, margin=1.5,
                                                                       reduction=r),
                            [(lambda g: g.standard_normal((4, 5)) * 2, True),
                             (lambda g: _signs(g, (4, 5)), False)]),
        "cosine_embedding": (lambda F, a, b, y, r: F.cosine_embedding_loss(a, b, y, margin=0.1,
                                                                            reduction=r),
                             [(lambda g: g.standard_normal((6, 4)), True),
                              (lambda g: g.standard_normal((6, 4)), True),
                              (lambda g: _signs(g, 6), False)]),
        "triplet": (lambda F, a, p, n, r: F.triplet_margin_loss(a, p, n, margin=1.5,
                                                                 reduction=r),
                    [(lambda g: g.standard_normal((5, 4)), True),
                     (lambda g: g.standard_normal((5, 4)), True),
                     (lambda g: g.standard_normal((5, 4)), True)]),
        "triplet_swap_p1": (lambda F, a, p, n, r: F.triplet_margin_loss(a, p, n, p=1, swap=True,
                                                                         reduction=r),
                            [(lambda g: g.standard_normal((5, 4)), True),
                             (lambda g: g.standard_normal((5, 4)), True),
                             (lambda g: g.standard_normal((5, 4)), True)]),
        "kl_div": (lambda F, x, t, r: F.kl_div(x, t, reduction=r),
                   [(lambda g: np.log(g.uniform(0.1, 1, (4, 5))), True),
                    (lambda g: g.uniform(0, 1, (4, 5)) * (g.uniform(size=(4, 5)) > 0.2),
                     False)]),  # zeros in the target: its gradient is nan there
        "kl_div_target_grad": (lambda F, x, t, r: F.kl_div(x, t, reduction=r),
                               [(lambda g: np.log(g.uniform(0.1, 1, (4, 5))), True),
                                (lambda g: g.uniform(0.1, 1, (4, 5)), True)]),
        "kl_div_log_target": (lambda F, x, t, r: F.kl_div(x, t, reduction=r, log_target=True),
                              [(lambda g: np.log(g.uniform(0.1, 1, (4, 5))), True),
                               (lambda g: np.log(g.uniform(0.1, 1, (4, 5))), True)]),
        "poisson": (lambda F, x, t, r: F.poisson_nll_loss(x, t, reduction=r),
                    [(lambda g: g.standard_normal((4, 5)), True),
                     (lambda g: g.poisson(2.0, (4, 5)).astype(float), False)]),
        "poisson_rate_full": (lambda F, x, t, r: F.poisson_nll_loss(x, t, log_input=False,
                                                                     full=True, reduction=r),
                              [(lambda g: g.uniform(0.2, 3, (4, 5)), True),
                               (lambda g: g.poisson(2.0, (4, 5)).astype(float), False)]),
        "gaussian": (lambda F, x, t, v, r: F.gaussian_nll_loss(x, t, v, reduction=r),
                     [(lambda g: g.standard_normal((4, 5)), True),
                      (lambda g: g.standard_normal((4, 5)), True),
                      (lambda g: g.uniform(0.2, 2, (4, 5)), True)]),
        "gaussian_homo_full": (lambda F, x, t, v, r: F.gaussian_nll_loss(x, t, v, full=True,
                                                                          reduction=r),
                               [(lambda g: g.standard_normal((4, 5)), True),
                                (lambda g: g.standard_normal((4, 5)), False),
                                (lambda g: g.uniform(0.2, 2, (4, 1)), True)]),
        "gaussian_one_dim_short": (lambda F, x, t, v, r: F.gaussian_nll_loss(x, t, v,
                                                                              reduction=r),
                                   [(lambda g: g.standard_normal((4, 5)), True),
                                    (lambda g: g.standard_normal((4, 5)), False),
                                    (lambda g: g.uniform(0.2, 2, 4), True)]),
        "ce_smoothing": (lambda F, x, t, r: F.cross_entropy(x, t, reduction=r,
                                                             label_smoothing=0.2),
                         [(lambda g: g.standard_normal((5, 4)), True),
                          (lambda g: g.integers(0, 4, 5), False)]),
        "ce_probs": (lambda F, x, t, r: F.cross_entropy(x, t, reduction=r),
                     [(lambda g: g.standard_normal((5, 4)), True),
                      (lambda g: g.dirichlet(np.ones(4), 5), True)]),
        "ce_probs_smoothing": (lambda F, x, t, r: F.cross_entropy(x, t, reduction=r,
                                                                   label_smoothing=0.3),
                               [(lambda g: g.standard_normal((3, 4, 2)), True),
                                (lambda g: g.dirichlet(np.ones(4), (3, 2)).transpose(0, 2, 1),
                                 False)]),
    }


CASES = _cases()
NODES = {"huber": "HuberLossBackward0", "soft_margin": "SoftMarginLossBackward0"}


def _make(name, lib, dtype, key):
    call, specs = CASES[name]
    rng = _rng(name, key)
    out = []
    for maker, diff in specs:
        a = np.ascontiguousarray(maker(rng))
        if a.dtype.kind == "f":
            out.append(lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=diff))
        else:
            out.append(lib.tensor(a))
    return call, out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_losses_match_torch(torch, name, reduction, dtype):
    call, ts = _make(name, torch, dtype, "parity")
    _, gs = _make(name, gradcore, dtype, "parity")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warning (tested on its own)
        yt = call(torch.nn.functional, *ts, reduction)
        yg = call(GF, *gs, reduction)
    _close(_host(yg), yt.detach().numpy(), f"{name} forward", dtype)
    gy = _rng(name, "gy").standard_normal(tuple(yt.shape)) + 1.5
    yt.backward(torch.tensor(gy, dtype=yt.dtype))
    yg.backward(gradcore.tensor(gy, dtype=yg.dtype))
    for i, (t, g) in enumerate(zip(ts, gs)):
        if t.requires_grad:
            _close(_host(g.grad), t.grad.numpy(), f"{name} grad {i}", dtype)
    if name in NODES:
        assert yg.grad_fn.name() == type(yt.grad_fn).__name__ == NODES[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_losses_gradcheck(name):
    call, gs = _make(name, gradcore, "float64", "gc")
    diff = [i for i, g in enumerate(gs) if g.requires_grad]

    def fn(*xs):
        args = list(gs)
        for i, x in zip(diff, xs):
            args[i] = x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(GF, *args, "sum")
    xs = tuple(gs[i] for i in diff)
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)


# ---- multi_margin_loss ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 0.7, False),
                                               (1, 1.3, True), (2, 1.0, True)])
def test_multi_margin_matches_torch(torch, p, margin, weighted, reduction, dtype):
    rng = _rng("mm", p, margin, weighted)
    a, t = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    w = rng.uniform(0.5, 2, 4) if weighted else None
    out = []
    for lib in (torch, gradcore):
        x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
        wt = None if w is None else lib.tensor(w, dtype=getattr(lib, dtype))
        y = lib.nn.functional.multi_margin_loss(x, lib.tensor(t), p=p, margin=margin,
                                                weight=wt, reduction=reduction)
        y.backward(lib.ones_like(y) * 1.7)
        out.append((y, x))
    (yt, xt), (yg, xg) = out
    _close(_host(yg), yt.detach().numpy(), "multi_margin forward", dtype)
    _close(_host(xg.grad), xt.grad.numpy(), "multi_margin grad", dtype)
    assert yg.grad_fn.name() == type(yt.grad_fn).__name__ == "MultiMarginLossBackward0"


def test_multi_margin_1d_and_gradgradcheck(torch):
    a = _rng("mm1").standard_normal(5)
    for red in REDUCTIONS:
        yt = torch.nn.functional.multi_margin_loss(torch.tensor(a), torch.tensor(2),
                                                   reduction=red)
        yg = GF.multi_margin_loss(gradcore.tensor(a), gradcore.tensor(2), reduction=red)
        _close(_host(yg), yt.numpy(), f"1-d {red}", "float64")
    x = gradcore.tensor(_rng("mm-gg").standard_normal((3, 4)), requires_grad=True)
    t = gradcore.tensor([0, 3, 1])
    fn = lambda x: GF.multi_margin_loss(x, t, p=2, margin=0.5)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# ---- modules ----------------------------------------------------------------------------------

def test_loss_modules_match_torch(torch):
    rng = _rng("modules")
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    s = _signs(rng, (4, 3))
    cls = rng.integers(0, 3, 4)
    w = rng.uniform(0.5, 2, 3)
    cases = [
        ("KLDivLoss", dict(reduction="batchmean"), lambda L: (L.tensor(a).log_softmax(1),
                                                            L.tensor(b).softmax(1))),
        ("KLDivLoss", dict(reduction="sum", log_target=True),
         lambda L: (L.tensor(a), L.tensor(b))),
        ("HuberLoss", dict(delta=0.5), lambda L: (L.tensor(a), L.tensor(b))),
        ("SoftMarginLoss", {}, lambda L: (L.tensor(a), L.tensor(s))),
        ("MultiLabelSoftMarginLoss", dict(weight="w"), lambda L: (L.tensor(a),
                                                                   L.tensor((s > 0) * 1.0))),
        ("MultiMarginLoss", dict(p=2, margin=0.5, weight="w"),
         lambda L: (L.tensor(a), L.tensor(cls))),
        ("MarginRankingLoss", dict(margin=0.2), lambda L: (L.tensor(a[:, 0]), L.tensor(b[:, 0]),
                                                           L.tensor(s[:, 0]))),
        ("HingeEmbeddingLoss", dict(margin=0.5), lambda L: (L.tensor(a), L.tensor(s))),
        ("CosineEmbeddingLoss", dict(margin=0.2), lambda L: (L.tensor(a), L.tensor(b),
                                                             L.tensor(s[:, 0]))),
        ("TripletMarginLoss", dict(margin=0.5, p=3.0, swap=True),
         lambda L: (L.tensor(a), L.tensor(b), L.tensor(a * b))),
        ("PoissonNLLLoss", dict(full=True), lambda L: (L.tensor(a), L.tensor(np.abs(b) * 3))),
        ("GaussianNLLLoss", dict(full=True, eps=0.1),
         lambda L: (L.tensor(a), L.tensor(b), L.tensor(np.abs(a * b)))),
    ]
    for name, kw, inputs in cases:
        mods = []
        for L in (torch, gradcore):
            k = {key: (L.tensor(w) if v == "w" else v) for key, v in kw.items()}
            mods.append(getattr(L.nn, name)(**k))
        tm, gm = mods
        assert repr(gm) == repr(tm)
        assert list(gm.state_dict()) == list(tm.state_dict()), name
        _close(_host(gm(*inputs(gradcore))), tm(*inputs(torch)).numpy(), name, "float64")


# ---- warnings and errors ---------------------------------------------------------------------

def _same_error(fn_t, fn_g):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(type(et.value)) as eg:
        fn_g()
    assert str(eg.value) == str(et.value).replace("torch.Size", "gradcore.Size")


def test_kl_div_mean_warns(torch):
    x, t = gradcore.zeros(2, 3), gradcore.ones(2, 3) / 3
    with pytest.warns(UserWarning) as rec:
        GF.kl_div(x, t)
    with pytest.warns(UserWarning) as rec_t:
        torch.nn.functional.kl_div(torch.zeros(2, 3), torch.ones(2, 3) / 3)
    assert str(rec[0].message) == str(rec_t[0].message)


def test_loss_errors_match_torch(torch):
    rng = _rng("errors")
    a = rng.standard_normal((3, 4))
    T, G = torch.nn.functional, GF
    x = {torch: torch.tensor(a), gradcore: gradcore.tensor(a)}
    cases = [
        lambda L, F: F.huber_loss(x[L], x[L], delta=0.0),
        lambda L, F: F.multi_margin_loss(x[L], L.tensor([0, 1])),
        lambda L, F: F.multi_margin_loss(x[L], L.tensor([0, 1, 5])),
        lambda L, F: F.multi_margin_loss(x[L], L.tensor([0, 1, 2]), p=3),
        lambda L, F: F.multi_margin_loss(x[L], L.tensor([0, 1, 2]), weight=L.ones(2)),
        lambda L, F: F.multi_margin_loss(x[L], L.tensor([0, 1, 2]), weight=L.ones(2, 2)),
        lambda L, F: F.soft_margin_loss(x[L], L.ones(3, 4, requires_grad=True)),
        lambda L, F: F.kl_div(x[L], x[L], reduction="bad"),
        lambda L, F: F.gaussian_nll_loss(x[L], x[L], L.ones(3, 2)),
        lambda L, F: F.gaussian_nll_loss(x[L], x[L], -L.ones(3, 4)),
        lambda L, F: F.gaussian_nll_loss(x[L], x[L], -1.0),
        lambda L, F: F.gaussian_nll_loss(x[L], x[L], L.ones(3, 4), reduction="bad"),
        lambda L, F: F.cosine_embedding_loss(x[L], x[L], L.ones(3, 1)),
        lambda L, F: F.cosine_embedding_loss(x[L], x[L], L.ones(())),
        lambda L, F: F.cosine_embedding_loss(x[L][0], x[L][0], L.ones(3)),
        lambda L, F: F.triplet_margin_loss(x[L], x[L], x[L][0]),
        lambda L, F: F.triplet_margin_loss(x[L], x[L], x[L], margin=0),
        lambda L, F: F.margin_ranking_loss(x[L], x[L], L.ones(3)),
        lambda L, F: F.poisson_nll_loss(x[L], x[L], reduction="bad"),
        lambda L, F: F.multilabel_soft_margin_loss(x[L], x[L], reduction="bad"),
        lambda L, F: F.huber_loss(x[L], x[L], weight=L.ones(3)),
        lambda L, F: L.nn.MultiMarginLoss(weight=L.ones(2, 2)),
        lambda L, F: L.nn.TripletMarginLoss(margin=-1.0),
    ]
    for case in cases:
        _same_error(lambda: case(torch, T), lambda: case(gradcore, G))


def test_gaussian_var_clamp_passes_gradient(torch):
    """var below eps is clamped without cutting its gradient (PyTorch's no_grad clamp_)."""
    v = np.array([1e-9, 0.5, 2.0])
    out = []
    for L in (torch, gradcore):
        var = L.tensor(v, requires_grad=True)
        L.nn.functional.gaussian_nll_loss(L.zeros(3, dtype=L.float64),
                                          L.ones(3, dtype=L.float64), var).backward()
        out.append(var.grad)
    _close(_host(out[1]), out[0].numpy(), "var grad", "float64")


# ---- multilabel_margin_loss ---------------------------------------------------------------

def _multilabel_targets(rng, n, c):
    """Per row a few distinct classes then -1 (and junk after it, which is ignored), one row
    with a repeated class and one that starts with -1."""
    t = np.full((n, c), -1)
    for i in range(n):
        k = rng.integers(1, c)
        t[i, :k] = rng.permutation(c)[:k]
        if k + 1 < c:
            t[i, k + 1:] = rng.integers(0, c, c - k - 1)
    t[0, :3] = [2, 2, -1]
    t[-1, 0] = -1
    return t


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 6), (6,), ()])
def test_multilabel_margin_matches_torch(torch, shape, reduction, dtype):
    rng = _rng("mlm", shape)
    n, c = (shape[0] if len(shape) == 2 else 1), (shape[-1] if shape else 1)
    a = rng.standard_normal((n, c)) * 0.6
    t = _multilabel_targets(rng, n, c) if c > 2 else np.array([[0]])
    a, t = a.reshape(shape), t.reshape(shape)
    out = []
    for lib in (torch, gradcore):
        x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
        y = lib.nn.functional.multilabel_margin_loss(x, lib.tensor(t), reduction=reduction)
        gy = _rng("mlm-gy").standard_normal(tuple(y.shape)) + 1.5
        y.backward(lib.tensor(gy, dtype=y.dtype))
        out.append((y, x))
    (yt, xt), (yg, xg) = out
    _close(_host(yg), yt.detach().numpy(), "multilabel_margin forward", dtype)
    _close(_host(xg.grad), xt.grad.numpy(), "multilabel_margin grad", dtype)
    assert yg.grad_fn.name() == type(yt.grad_fn).__name__ == "MultilabelMarginLossBackward0"
    if shape == (5, 6):
        assert np.abs(xt.grad.numpy()).max() > 0  # some margins are violated


def test_multilabel_margin_empty_batch_and_gradcheck(torch):
    empty = (gradcore.zeros(0, 3), gradcore.zeros(0, 3, dtype=gradcore.int64))
    yt = torch.nn.functional.multilabel_margin_loss(torch.zeros(0, 3), torch.zeros(
        0, 3, dtype=torch.long), reduction="none")
    _close(_host(GF.multilabel_margin_loss(*empty, reduction="none")), yt.numpy(), "empty",
           "float32")
    # PyTorch leaves its 'sum' and 'mean' of no samples unwritten (any number comes out):
    # here the sum over nothing and 0 / 0
    assert _host(GF.multilabel_margin_loss(*empty, reduction="sum")) == 0
    assert np.isnan(_host(GF.multilabel_margin_loss(*empty)))
    rng = _rng("mlm-gc")
    t = gradcore.tensor(_multilabel_targets(rng, 4, 5))
    x = gradcore.tensor(rng.standard_normal((4, 5)) * 0.6, requires_grad=True)
    for reduction in REDUCTIONS:
        assert gradcheck(lambda x: GF.multilabel_margin_loss(x, t, reduction=reduction), (x,))


def test_multilabel_margin_on_device(torch, device):
    rng = _rng("mlm-device")
    a, t = rng.standard_normal((5, 6)) * 0.6, _multilabel_targets(rng, 5, 6)
    xt = torch.tensor(a, requires_grad=True)
    torch.nn.functional.multilabel_margin_loss(xt, torch.tensor(t), reduction="sum").backward()
    x = gradcore.tensor(a, device=device, requires_grad=True)
    y = GF.multilabel_margin_loss(x, gradcore.tensor(t, device=device), reduction="sum")
    y.backward()
    assert x.grad.device == x.device
    _close(_host(x.grad), xt.grad.numpy(), "multilabel_margin grad on device", "float64")


def test_multilabel_margin_double_backward_raises_as_torch(torch):
    errors = []
    for lib in (torch, gradcore):
        x = lib.tensor([[0.1, 0.2, 0.4, 0.8]], requires_grad=True)
        y = lib.nn.functional.multilabel_margin_loss(x, lib.tensor([[3, 0, -1, 1]]))
        g, = lib.autograd.grad(y, x, create_graph=True)
        assert g.requires_grad and g.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError) as e:
            g.sum().backward()
        errors.append(str(e.value))
    assert errors[0] == errors[1]


def test_multilabel_margin_errors_match_torch(torch):
    a = _rng("mlm-errors").standard_normal((3, 4))
    y = [[3, 0, -1, 1], [1, 2, 3, -1], [-1, 1, 2, 0]]
    x = {torch: torch.tensor(a), gradcore: gradcore.tensor(a)}
    t = {torch: torch.tensor(y), gradcore: gradcore.tensor(y)}
    cases = [
        lambda L, F: F.multilabel_margin_loss(x[L][None], t[L][None]),
        lambda L, F: F.multilabel_margin_loss(x[L][:, :0], t[L][:, :0]),
        lambda L, F: F.multilabel_margin_loss(x[L], t[L][:2]),
        lambda L, F: F.multilabel_margin_loss(x[L][0], t[L][0, :2]),
        lambda L, F: F.multilabel_margin_loss(x[L][0], t[L][:1]),
        lambda L, F: F.multilabel_margin_loss(x[L][0, 0], t[L][:1, :1]),
        lambda L, F: F.multilabel_margin_loss(x[L], t[L] + 1),
        lambda L, F: F.multilabel_margin_loss(x[L], t[L] - 1),
        lambda L, F: F.multilabel_margin_loss(x[L], L.tensor([[0, -1, 9, 9]] * 3)),
        lambda L, F: F.multilabel_margin_loss(x[L], t[L].int()),
        lambda L, F: F.multilabel_margin_loss(x[L], t[L].float()),
        lambda L, F: F.multilabel_margin_loss(t[L], t[L].int()),
        lambda L, F: F.multilabel_margin_loss(x[L].half(), t[L]),
        lambda L, F: F.multilabel_margin_loss(x[L], t[L], reduction="bad"),
    ]
    for case in cases:
        _same_error(lambda: case(torch, torch.nn.functional), lambda: case(gradcore, GF))


# ---- triplet_margin_with_distance_loss --------------------------------------------------------

def _cosine_distance(L):
    return lambda a, b: 1 - L.nn.functional.cosine_similarity(a, b)


def _l1_distance(L):
    return lambda a, b: (a - b).abs().sum(-1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("distance,swap", [(None, False), (None, True), ("l1", True),
                                           ("cosine", False)])
def test_triplet_with_distance_matches_torch(torch, distance, swap, reduction, dtype):
    rng = _rng("twd", distance, swap)
    arrays = [rng.standard_normal((6, 4)) for _ in range(3)]
    out = []
    for L in (torch, gradcore):
        xs = [L.tensor(a, dtype=getattr(L, dtype), requires_grad=True) for a in arrays]
        fn = {None: None, "l1": _l1_distance(L), "cosine": _cosine_distance(L)}[distance]
        y = L.nn.functional.triplet_margin_with_distance_loss(
            *xs, distance_function=fn, margin=0.8, swap=swap, reduction=reduction)
        y.backward(L.ones_like(y) * 1.3)
        out.append((y, xs))
    (yt, xt), (yg, xg) = out
    _close(_host(yg), yt.detach().numpy(), "triplet_with_distance forward", dtype)
    for i, (t, g) in enumerate(zip(xt, xg)):
        _close(_host(g.grad), t.grad.numpy(), f"triplet_with_distance grad {i}", dtype)
    assert yg.grad_fn.name() == type(yt.grad_fn).__name__


def test_triplet_with_distance_gradcheck():
    rng = _rng("twd-gc")
    xs = tuple(gradcore.tensor(rng.standard_normal((4, 3)), requires_grad=True)
               for _ in range(3))
    for fn in (None, _l1_distance(gradcore)):
        def loss(a, p, n):
            return GF.triplet_margin_with_distance_loss(a, p, n, distance_function=fn,
                                                        margin=1.5, swap=True)
        assert gradcheck(loss, xs)
        assert gradgradcheck(loss, xs)


def test_new_loss_modules_match_torch(torch):
    rng = _rng("new-modules")
    a, p, n = (rng.standard_normal((5, 3)) for _ in range(3))
    t = _multilabel_targets(rng, 5, 3)
    for L_kw in (dict(), dict(margin=0.5, swap=True, reduction="sum")):
        mods = [L.nn.TripletMarginWithDistanceLoss(**L_kw) for L in (torch, gradcore)]
        assert repr(mods[1]) == repr(mods[0])
        got = mods[1](*(gradcore.tensor(v) for v in (a, p, n)))
        want = mods[0](*(torch.tensor(v) for v in (a, p, n)))
        _close(_host(got), want.numpy(), "TripletMarginWithDistanceLoss", "float64")
    pairs = [(L.nn.TripletMarginWithDistanceLoss(distance_function=L.nn.PairwiseDistance(p=1)),
              L.nn.TripletMarginWithDistanceLoss(distance_function=_l1_distance(L)))
             for L in (torch, gradcore)]
    for tm, gm in zip(*pairs):
        assert repr(gm) == repr(tm)
        assert [k for k, _ in gm.named_modules()] == [k for k, _ in tm.named_modules()]
    for kw in ({}, dict(reduction="none")):
        tm, gm = torch.nn.MultiLabelMarginLoss(**kw), gradcore.nn.MultiLabelMarginLoss(**kw)
        assert repr(gm) == repr(tm)
        _close(_host(gm(gradcore.tensor(a), gradcore.tensor(t))),
               tm(torch.tensor(a), torch.tensor(t)).numpy(), "MultiLabelMarginLoss", "float64")


def test_triplet_with_distance_errors_match_torch(torch):
    a = _rng("twd-errors").standard_normal((3, 4))
    x = {torch: torch.tensor(a), gradcore: gradcore.tensor(a)}
    cases = [
        lambda L, F: F.triplet_margin_with_distance_loss(x[L], x[L], x[L], margin=0),
        lambda L, F: F.triplet_margin_with_distance_loss(x[L], x[L], x[L], reduction="bad"),
        lambda L, F: F.triplet_margin_with_distance_loss(x[L], x[L], x[L][0]),
        lambda L, F: L.nn.TripletMarginWithDistanceLoss(margin=-1.0),
    ]
    for case in cases:
        _same_error(lambda: case(torch, torch.nn.functional), lambda: case(gradcore, GF))
    with pytest.raises(TypeError):
        GF.triplet_margin_with_distance_loss(x[gradcore], x[gradcore], x[gradcore], None)
