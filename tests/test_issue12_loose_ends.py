"""Issue 12's loose ends and issue 13's node names, against PyTorch: det / slogdet / logdet at
singular matrices, lstsq's drivers, Dirichlet's reparameterisation gradient, the cross-family
KL rules, inference tensors as indices, deterministic fills of uninitialized memory, the
one-node pdist and embedding_bag, and the requires_grad of pools' and pads' gradients under
create_graph."""
import itertools
import math

import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck
from gradcore.distributions._dirichlet_grad import dirichlet_grad
from test_contraction import _raises_like

R = np.random.default_rng(12)


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "cpu") else t.detach().numpy()


def _close(g, t, **kw):
    """gradcore's and torch's tensors agree: dtype name, shape, values."""
    assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_allclose(_np(g), _np(t), **kw)


def _node(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


# ---- 1. det / slogdet / logdet at singular matrices ---------------------------------------

# matrices whose LU both LAPACKs (NumPy's, PyTorch's) factor exactly: det is exactly 0
RANK_N1 = [np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[2.0, 1, 0], [1, 3, 0], [0, 0, 0]]),
           np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])]
RANK_N2 = [np.zeros((2, 2)), np.array([[1.0, 2, 3], [2, 4, 6], [3, 6, 9]]),
           np.array([[0.0, 1, 0], [0, 0, 1], [0, 0, 0]])]
BATCHES = [np.stack([RANK_N1[0], np.array([[1.0, 0], [0, 0]])]),  # all singular
           np.stack([RANK_N1[1], np.diag([2.0, 3.0, 4.0])]),      # mixed
           np.stack([np.diag([1.0, 2.0]), RANK_N1[0], np.zeros((2, 2))])]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("M", RANK_N1 + RANK_N2 + BATCHES)
def test_det_gradient_at_singular_matrices_is_pytorchs(torch, M, create_graph):
    """First order: PyTorch's LU solve gives g det(A) A^-T = 0 at det(A) = 0; under
    create_graph its SVD formula gives the cofactor matrix (finite, rank n-1 and n-2)."""
    gs = []
    for lib in (torch, gradcore):
        A = lib.tensor(M, requires_grad=True)
        d = lib.linalg.det(A)
        g, = lib.autograd.grad(d.sum(), A, create_graph=create_graph)
        assert g.requires_grad == create_graph
        gs.append(g)
    assert np.isfinite(_np(gs[1])).all()
    _close(gs[1], gs[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("M", RANK_N1 + BATCHES[:2])
def test_det_double_backward_at_rank_n_minus_1(M):
    """gradgradcheck through the SVD formula (rank n-1: the singular values are distinct)."""
    A = gradcore.tensor(M, requires_grad=True)
    assert gradcheck(lambda a: gradcore.autograd.grad(gradcore.linalg.det(a).sum(), a,
                                                      create_graph=True)[0], (A,))
    assert gradgradcheck(gradcore.linalg.det, (A,))


def test_det_gradient_grad_fn_names_under_create_graph(torch):
    for M, node in [(RANK_N1[0], "MmBackward0"), (np.diag([1.0, 2.0]), None)]:
        names = []
        for lib in (torch, gradcore):
            A = lib.tensor(M, requires_grad=True)
            g, = lib.autograd.grad(lib.linalg.det(A), A, create_graph=True)
            names.append(_node(g))
        if node is not None:
            assert names == [node, node]
        assert names[1] is not None


def test_det_gradcheck_invertible_batch():
    A = gradcore.tensor(R.standard_normal((2, 3, 3)), requires_grad=True)
    assert gradcheck(gradcore.linalg.det, (A,))
    assert gradgradcheck(gradcore.linalg.det, (A,))


@pytest.mark.parametrize("M", RANK_N1 + RANK_N2 + BATCHES)
def test_slogdet_and_logdet_at_singular_matrices(torch, M):
    """(sign 0, logabsdet -inf), logdet -inf; logabsdet's gradient non-finite where PyTorch's
    is (its LU solve through a zero pivot), no LinAlgError."""
    out = []
    for lib in (torch, gradcore):
        A = lib.tensor(M, requires_grad=True)
        sign, logabsdet = lib.linalg.slogdet(A)
        g, = lib.autograd.grad(logabsdet.sum(), A)
        out.append((sign, logabsdet, lib.logdet(A.detach()), g))
    (ts, tl, tlog, tg), (gs, gl, glog, gg) = out
    _close(gs.abs(), ts.abs())
    _close(gl, tl)
    _close(glog, tlog)
    assert not np.isfinite(_np(gg)).all()
    if M.shape == (2, 2) and np.linalg.matrix_rank(M) == 1:  # no zero cofactor: all +-inf
        np.testing.assert_array_equal(np.isinf(_np(gg)), np.isinf(_np(tg)))


def test_torch_det_logdet_slogdet_and_methods(torch):
    M = np.array([[[2.0, 1], [1, -4]], [[2, 0.5], [0, 3]]])
    for name in ("det", "logdet"):
        vals = []
        for lib in (torch, gradcore):
            A = lib.tensor(M, requires_grad=True)
            y = getattr(lib, name)(A)
            assert _node(y) == _node(getattr(A, name)())
            g, = lib.autograd.grad(y.nansum() if name == "logdet" else y.sum(), A)
            vals.append((y, g, _node(y)))
        _close(vals[1][0], vals[0][0], equal_nan=True)
        _close(vals[1][1], vals[0][1], rtol=1e-12)
        assert vals[1][2] == vals[0][2]
    g, t = gradcore.slogdet(gradcore.tensor(M)), torch.slogdet(torch.tensor(M))
    assert type(g).__name__ == type(t).__name__ == "slogdet"
    _close(g.sign, t.sign)
    _close(g.logabsdet, t.logabsdet)
    A = gradcore.tensor(np.array([[2.0, 1], [1, 4]]), requires_grad=True)
    assert gradcheck(gradcore.logdet, (A,)) and gradgradcheck(gradcore.logdet, (A,))


@pytest.mark.parametrize("fn,arr", [
    (lambda lib, a: lib.logdet(a), np.ones((2, 3))),
    (lambda lib, a: lib.logdet(a), np.ones(2)),
    (lambda lib, a: lib.logdet(a), np.ones((2, 2), np.int64)),
    (lambda lib, a: lib.det(a), np.ones((2, 3))),
    (lambda lib, a: lib.slogdet(a), np.ones((2, 3))),
])
def test_det_family_errors(torch, fn, arr):
    _raises_like(torch, fn, arr)


# ---- 2. lstsq's drivers --------------------------------------------------------------------

A53 = R.standard_normal((5, 3))
LOW = A53[:, :1] @ R.standard_normal((1, 3))
LSTSQ_CASES = {
    "tall": (A53, R.standard_normal((5, 2))), "rank1": (LOW, R.standard_normal((5, 2))),
    "wide": (R.standard_normal((3, 5)), R.standard_normal((3, 2))),
    "batch": (np.stack([A53, 2 * A53]), R.standard_normal((2, 5, 2))),
    "broadcast": (np.stack([A53, 2 * A53]), R.standard_normal((1, 5, 2))),
    "vector": (A53, R.standard_normal(5)),
    "vector_batch": (np.stack([A53, A53 + 1]), R.standard_normal((2, 5))),
}


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss", "GELSD"])
@pytest.mark.parametrize("case", sorted(LSTSQ_CASES))
def test_lstsq_fields_and_gradients_per_driver(torch, case, driver):
    """Each field's shape, dtype and values as PyTorch's for the driver, and the gradients of
    the solution and of the residuals (gels on a rank-deficient A: LAPACK's unpivoted QR
    solution, which gradcore does not reproduce, is left out)."""
    a, b = LSTSQ_CASES[case]
    out = []
    for lib in (torch, gradcore):
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        r = lib.linalg.lstsq(ta, tb, driver=driver)
        w = lib.tensor(np.arange(1.0, r.solution.numel() + 1).reshape(tuple(r.solution.shape)))
        loss = (r.solution * w).sum()
        if r.residuals.numel():
            loss = loss + (r.residuals * r.residuals.detach()).sum()
        out.append((r, lib.autograd.grad(loss, (ta, tb))))
    (tr, tgrads), (gr, ggrads) = out
    assert type(gr).__name__ == "linalg_lstsq"
    deficient_gels = case == "rank1" and driver == "gels"
    for field in ("solution", "residuals", "rank", "singular_values"):
        g, t = getattr(gr, field), getattr(tr, field)
        assert tuple(g.shape) == tuple(t.shape) and g.dtype.is_floating_point == \
            t.dtype.is_floating_point, field
        if not (deficient_gels and field in ("solution", "residuals")):
            _close(g, t, rtol=1e-10, atol=1e-12)
    assert _node(gr.solution) == _node(tr.solution)
    if not deficient_gels:
        for g, t in zip(ggrads, tgrads):
            _close(g, t, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("driver", ["gelsy", "gelsd"])
def test_lstsq_gradcheck_solution_and_residuals(driver):
    a, b = (gradcore.tensor(v, requires_grad=True) for v in LSTSQ_CASES["tall"])
    assert gradcheck(lambda a, b: gradcore.linalg.lstsq(a, b, driver=driver)[:2], (a, b))
    assert gradgradcheck(lambda a, b: gradcore.linalg.lstsq(a, b, driver=driver)[:2], (a, b))
    a, b = (gradcore.tensor(v, requires_grad=True) for v in LSTSQ_CASES["wide"])
    assert gradcheck(lambda a, b: gradcore.linalg.lstsq(a, b, driver=driver).solution, (a, b))


def test_lstsq_rcond_sets_the_rank(torch):
    low = LOW + 1e-6 * R.standard_normal(LOW.shape)
    for rcond in (None, 1e-3, 1e-9):
        g = gradcore.linalg.lstsq(gradcore.tensor(low), gradcore.tensor(A53), rcond=rcond,
                                  driver="gelsd")
        t = torch.linalg.lstsq(torch.tensor(low), torch.tensor(A53), rcond=rcond, driver="gelsd")
        _close(g.rank, t.rank)
        _close(g.solution, t.solution, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fn,arrays", [
    (lambda lib, a, b: lib.linalg.lstsq(a, b, driver="foo"), (A53, A53)),
    (lambda lib, a, b: lib.linalg.lstsq(a, b, driver=3), (A53, A53)),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), (A53, np.ones((4, 2)))),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), (A53, np.ones(4))),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), (np.ones(5), np.ones(5))),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), (A53.astype(np.float32), np.ones((5, 2)))),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), (A53.astype(np.int64), np.ones((5, 2), np.int64))),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), (A53, np.ones((2, 2, 5, 2)))),
])
def test_lstsq_errors(torch, fn, arrays):
    _raises_like(torch, fn, *arrays)


# ---- 3. Dirichlet's (and Beta's) reparameterisation gradient -----------------------------

@pytest.mark.parametrize("conc", [[0.3, 0.5], [1.0, 2.0, 3.0], [7.0, 9.0], [20.0, 30.0, 5.0],
                                  [0.05, 3.0], [100.0, 200.0], [8.0, 0.2, 8.0], [2.5, 40.0]])
def test_dirichlet_grad_is_pytorchs_for_the_same_samples(torch, conc):
    """torch._dirichlet_grad's every branch (series near 0 and 1, saddle point, rational
    correction) on PyTorch's own samples."""
    a = torch.tensor(conc, dtype=torch.float64).expand(500, len(conc))
    x = torch._sample_dirichlet(a)
    total = a.sum(-1, True).expand_as(a)
    expected = torch._dirichlet_grad(x, a, total)
    got = dirichlet_grad(*(gradcore.tensor(t.numpy().copy()) for t in (x, a, total)))
    _close(got, expected, rtol=1e-10, atol=1e-300)


def test_dirichlet_rsample_backward_is_pytorchs_dirichlet_function(torch):
    gradcore.manual_seed(3)
    alpha = gradcore.tensor([0.7, 2.0, 5.0], dtype=gradcore.float64, requires_grad=True)
    x = gradcore.distributions.Dirichlet(alpha).rsample((6,))
    assert _node(x) == "_DirichletBackward"
    w = R.standard_normal((6, 3))
    (x * gradcore.tensor(w)).sum().backward()
    ta = torch.tensor([0.7, 2.0, 5.0], dtype=torch.float64)
    tx, tw = torch.tensor(_np(x)), torch.tensor(w)
    g = torch._dirichlet_grad(tx, ta.expand(6, 3), ta.sum().expand(6, 3))
    expected = (g * (tw - (tx * tw).sum(-1, True))).sum(0)
    _close(alpha.grad, expected, rtol=1e-10)
    tb = torch.distributions.Beta(torch.tensor(2.0, requires_grad=True), torch.tensor(3.0))
    gb = gradcore.distributions.Beta(gradcore.tensor(2.0, requires_grad=True),
                                     gradcore.tensor(3.0))
    assert [type(n[0]).__name__ for n in gb.rsample().grad_fn.next_functions] == \
        [type(n[0]).__name__ for n in tb.rsample().grad_fn.next_functions]


# ---- 4. kl_divergence's cross-family pairs ------------------------------------------------

_PARAMS = {
    "Normal": dict(loc=[0.3, -1.2], scale=[0.7, 1.5]),
    "Beta": dict(concentration1=[0.8, 2.5], concentration0=[1.3, 0.6]),
    "Gamma": dict(concentration=[0.8, 2.5], rate=[1.3, 0.6]),
    "Exponential": dict(rate=[0.5, 2.0]),
    "Uniform": dict(low=[0.1, -0.5], high=[0.7, 2.0]),
    "Bernoulli": dict(probs=[0.3, 0.6]),
    "Categorical": dict(probs=[[0.3, 0.7], [0.5, 0.5]]),
    "Dirichlet": dict(concentration=[[0.3, 0.7], [1.5, 2.5]]),
}


def _dist(lib, name):
    params = {k: lib.tensor(v, dtype=lib.float64, requires_grad=True)
              for k, v in _PARAMS[name].items()}
    return getattr(lib.distributions, name)(**params), list(params.values())


def test_kl_registry_covers_pytorchs_pairs_among_gradcores_families(torch):
    from torch.distributions.kl import _KL_REGISTRY
    from gradcore.distributions.kl import _KL
    fams = {"Normal", "Bernoulli", "Categorical", "Uniform", "Beta", "Gamma", "Dirichlet",
            "MultivariateNormal", "Independent", "Exponential"}
    theirs = {(p.__name__, q.__name__) for p, q in _KL_REGISTRY
              if p.__name__ in fams and q.__name__ in fams}
    ours = {(p.__name__, q.__name__) for p, q in _KL}
    assert theirs <= ours


@pytest.mark.parametrize("p,q", list(itertools.product(sorted(_PARAMS), repeat=2)))
def test_kl_divergence_pairs_values_gradients_and_errors(torch, p, q):
    out = []
    for lib in (torch, gradcore):
        dp, pp = _dist(lib, p)
        dq, qp = _dist(lib, q)
        try:
            k = lib.distributions.kl_divergence(dp, dq)
        except Exception as e:  # noqa: BLE001  (compared with PyTorch's below)
            out.append((type(e), str(e)))
            continue
        finite = lib.isfinite(k)
        grads = None
        if k.requires_grad and bool(finite.any()):
            grads = lib.autograd.grad(k[finite].sum(), pp + qp, allow_unused=True)
        out.append((k, grads))
    (tk, tg), (gk, gg) = out
    if isinstance(tk, type):
        assert issubclass(gk, next(c for c in tk.__mro__ if c.__module__ == "builtins"))
        assert gg == tg
        return
    _close(gk, tk, rtol=1e-10, atol=1e-12)
    assert (gg is None) == (tg is None)
    for g, t in zip(gg or (), tg or ()):
        assert (g is None) == (t is None)
        if g is not None:  # PyTorch's float64 trigamma (digamma's derivative) is off by up
            # to ~1.3e-9 relative at these points (gradcore's is exact to a few ulp)
            _close(g, t, rtol=5e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("p,q", [("Beta", "Normal"), ("Gamma", "Normal"), ("Uniform", "Gamma"),
                                 ("Exponential", "Gamma"), ("Uniform", "Beta")])
def test_kl_cross_family_gradcheck(p, q):
    """Where the divergence is finite (the Uniform's support inside q's)."""
    params = {"Uniform": dict(low=[0.1, 0.3], high=[0.7, 0.9])}
    pp = {k: gradcore.tensor(v, dtype=gradcore.float64, requires_grad=True)
          for k, v in params.get(p, _PARAMS[p]).items()}
    qp = {k: gradcore.tensor(v, dtype=gradcore.float64, requires_grad=True)
          for k, v in _PARAMS[q].items()}
    D = gradcore.distributions
    names = list(pp) + list(qp)

    def kl(*ts):
        kw = dict(zip(names, ts))
        return D.kl_divergence(getattr(D, p)(**{k: kw[k] for k in pp}),
                               getattr(D, q)(**{k: kw[k] for k in qp}))
    ins = tuple(pp.values()) + tuple(qp.values())
    assert bool(gradcore.isfinite(kl(*ins)).all())
    assert gradcheck(kl, ins)


# ---- 5. inference tensors as indices ---------------------------------------------------------

def _index_ops():
    return {
        "getitem": lambda x, i, m: x[i],
        "getitem_mask": lambda x, i, m: x[m],
        "getitem_tuple": lambda x, i, m: x[i, 0],
        "index_select": lambda x, i, m: x.index_select(0, i),
        "gather": lambda x, i, m: x.gather(0, i[1]) if isinstance(i, tuple) else None,
        "setitem": lambda x, i, m: x.clone().__setitem__(i, 5.0),
        "index_put": lambda x, i, m: x.index_put((i,), x[:3].detach()),
        "masked_select": lambda x, i, m: x.masked_select(m.unsqueeze(1)),
        "take": lambda x, i, m: x.take(i),
        "embedding": lambda x, i, m: gradcore_or_torch(x).nn.functional.embedding(i, x),
    }


def gradcore_or_torch(x):
    return gradcore if isinstance(x, gradcore.Tensor) else pytest.importorskip("torch")


@pytest.mark.parametrize("op", sorted(_index_ops()))
@pytest.mark.parametrize("requires_grad,mode", [(True, "grad"), (False, "grad"),
                                                 (True, "no_grad"), (True, "inference")])
def test_inference_tensor_index_raises_where_pytorch_saves_it(torch, op, requires_grad, mode):
    results = []
    for lib in (torch, gradcore):
        x = lib.arange(6.0).reshape(3, 2).requires_grad_(requires_grad)
        with lib.inference_mode():
            idx, mask = lib.tensor([0, 2, 2]), lib.tensor([True, False, True])
            if op == "gather":
                idx = (idx, lib.tensor([[0, 1], [2, 2]]))
        ctx = {"grad": lib.enable_grad, "no_grad": lib.no_grad,
               "inference": lib.inference_mode}[mode]
        try:
            with ctx():
                _index_ops()[op](x, idx, mask)
            results.append(None)
        except RuntimeError as e:
            results.append(str(e))
    assert results[1] == results[0]
    assert (results[0] is not None) == (requires_grad and mode == "grad")


def test_inference_index_made_normal_by_clone_works(torch):
    x = gradcore.arange(6.0).reshape(3, 2).requires_grad_()
    with gradcore.inference_mode():
        idx = gradcore.tensor([0, 2, 2])
    x[idx.clone()].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [0, 0], [2, 2]])


# ---- 6. deterministic fills ------------------------------------------------------------------

_DTYPES = ["float32", "float16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool",
           "complex64"]


def _empties(lib, dt):
    return [lib.empty(2, 3, dtype=dt), lib.empty_like(lib.zeros(3, dtype=dt)),
            lib.zeros(1, dtype=dt).new_empty((2, 2)),
            lib.empty_strided((2, 3), (1, 2), dtype=dt)]


@pytest.mark.parametrize("dtype", _DTYPES)
def test_deterministic_algorithms_fill_uninitialized_memory(torch, dtype):
    for lib in (torch, gradcore):
        assert lib.utils.deterministic.fill_uninitialized_memory is True
    try:
        for lib in (torch, gradcore):
            lib.use_deterministic_algorithms(True)
        filled = [_empties(lib, getattr(lib, dtype)) for lib in (torch, gradcore)]
        for t, g in zip(*filled):
            assert tuple(g.shape) == tuple(t.shape)
            np.testing.assert_array_equal(g.numpy(), t.numpy())  # nan == nan here
        assert filled[1][3].stride() == filled[0][3].stride()
        for lib in (torch, gradcore):
            lib.utils.deterministic.fill_uninitialized_memory = False
        assert not gradcore.utils.deterministic.fill_uninitialized_memory
    finally:
        for lib in (torch, gradcore):
            lib.utils.deterministic.fill_uninitialized_memory = True
            lib.use_deterministic_algorithms(False)
    assert not gradcore.are_deterministic_algorithms_enabled()


def test_fill_uninitialized_memory_takes_a_bool_and_empty_strided_checks(torch):
    for lib in (torch, gradcore):
        with pytest.raises(RuntimeError, match="expected a bool, but got int"):
            lib.utils.deterministic.fill_uninitialized_memory = 1
    _raises_like(torch, lambda lib: lib.empty_strided((2, 3), (1,)))
    x = gradcore.empty_strided((2, 3), (3, 1), dtype=gradcore.float64, requires_grad=True)
    assert x.requires_grad and x.stride() == (3, 1)


# ---- 7. one node: pdist and embedding_bag ------------------------------------------------

X5 = R.standard_normal((5, 3))
X5[3] = X5[1]           # a zero distance
X5[4, 0] = X5[2, 0]     # a zero coordinate difference


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf])
def test_pdist_is_one_node_with_pytorchs_gradient(torch, p):
    out = []
    for lib in (torch, gradcore):
        x = lib.tensor(X5, requires_grad=True)
        y = lib.nn.functional.pdist(x, p)
        gy = lib.tensor(np.arange(1.0, y.shape[0] + 1))
        g, = lib.autograd.grad(y, x, gy, create_graph=True)
        out.append((y, g, _node(y), _node(g)))
    (ty, tg, tn, tgn), (gy_, gg, gn, ggn) = out
    assert (gn, ggn) == (tn, tgn) == ("PdistBackward0", "PdistBackwardBackward0")
    _close(gy_, ty, rtol=1e-12)
    _close(gg, tg, rtol=1e-12, atol=1e-15)
    x = gradcore.tensor(R.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda t: gradcore.nn.functional.pdist(t, p), (x,))
    assert gradgradcheck(lambda t: gradcore.nn.functional.pdist(t, p), (x,))


def test_pdist_float32_empty_and_errors(torch):
    x = R.standard_normal((4, 2)).astype(np.float32)
    g = gradcore.nn.functional.pdist(gradcore.tensor(x))
    _close(g, torch.nn.functional.pdist(torch.tensor(x)), rtol=1e-6)
    _close(gradcore.nn.functional.pdist(gradcore.tensor(np.ones((1, 3)))),
           torch.nn.functional.pdist(torch.tensor(np.ones((1, 3)))))
    for arr in (np.ones((3, 2), np.int64), np.ones(3)):
        _raises_like(torch, lambda lib, a: lib.nn.functional.pdist(a), arr)
    _raises_like(torch, lambda lib, a: lib.nn.functional.pdist(a, -1), np.ones((3, 2)))


_W = R.standard_normal((10, 3))
_PSW = R.standard_normal(6)
_BAG_CASES = [dict(mode="sum"), dict(mode="mean"), dict(mode="max"),
              dict(mode="sum", psw=True), dict(mode="mean", padding_idx=4),
              dict(mode="max", padding_idx=4), dict(mode="mean", max_norm=1.0)]


@pytest.mark.parametrize("kw", _BAG_CASES, ids=str)
def test_embedding_bag_is_one_node_with_pytorchs_gradient(torch, kw):
    kw = dict(kw)
    use_psw = kw.pop("psw", False)
    out = []
    for lib in (torch, gradcore):
        w, ps = lib.tensor(_W, requires_grad=True), lib.tensor(_PSW, requires_grad=True)
        extra = {"per_sample_weights": ps} if use_psw else {}
        y = lib.nn.functional.embedding_bag(lib.tensor([1, 2, 4, 5, 4, 3]), w,
                                            lib.tensor([0, 3, 3]), **kw, **extra)
        ins = (w, ps) if use_psw else (w,)
        grads = lib.autograd.grad((y * y).sum(), ins, create_graph=True)
        out.append((y, grads, _node(y), _node(grads[0])))
    (ty, tgs, tn, tgn), (gy, ggs, gn, ggn) = out
    assert (gn, ggn) == (tn, tgn) == ("EmbeddingBagBackward0", "EmbeddingBagBackwardBackward0")
    _close(gy, ty, rtol=1e-12)
    for g, t in zip(ggs, tgs):
        _close(g, t, rtol=1e-12, atol=1e-15)
    if "max_norm" in kw:
        return
    w, ps = gradcore.tensor(_W, requires_grad=True), gradcore.tensor(_PSW, requires_grad=True)

    def bag(w, *ps):
        extra = {"per_sample_weights": ps[0]} if ps else {}
        return gradcore.nn.functional.embedding_bag(
            gradcore.tensor([1, 2, 4, 5, 4, 3]), w, gradcore.tensor([0, 3, 3]), **kw, **extra)
    ins = (w, ps) if use_psw else (w,)
    assert gradcheck(bag, ins) and gradgradcheck(bag, ins)


def test_embedding_bag_gradient_needs_grad_only_through_gy(torch):
    """PyTorch's _embedding_bag_backward does not take weight: with a constant gy the
    gradient of a 'sum' bag is a constant."""
    flags = []
    for lib in (torch, gradcore):
        w = lib.tensor(_W, requires_grad=True)
        y = lib.nn.functional.embedding_bag(lib.tensor([[1, 2], [4, 4]]), w, mode="max")
        g, = lib.autograd.grad(y.sum(), w, create_graph=True)
        flags.append(g.requires_grad)
    assert flags[1] == flags[0]


def test_bilinear_nodes_as_pytorchs(torch):
    names = []
    for lib in (torch, gradcore):
        a, b = lib.randn(2, 3, requires_grad=True), lib.randn(2, 4, requires_grad=True)
        W, bias = lib.randn(5, 3, 4, requires_grad=True), lib.randn(5, requires_grad=True)
        names.append((_node(lib.nn.functional.bilinear(a, b, W, bias)),
                      _node(lib.nn.functional.bilinear(a, b, W))))
    assert names[1] == names[0]


# ---- 8. the linear pools' and pads' gradients under create_graph -----------------------

F_CASES = {
    "avg_pool1d": (lambda F, t: F.avg_pool1d(t, 2), (1, 2, 6)),
    "avg_pool2d": (lambda F, t: F.avg_pool2d(t, 2, 1, 1), (1, 2, 4, 4)),
    "avg_pool3d": (lambda F, t: F.avg_pool3d(t, 2), (1, 1, 4, 4, 4)),
    "adaptive_avg_pool1d": (lambda F, t: F.adaptive_avg_pool1d(t, 3), (1, 2, 7)),
    "adaptive_avg_pool2d": (lambda F, t: F.adaptive_avg_pool2d(t, 3), (1, 2, 5, 5)),
    "adaptive_avg_pool3d": (lambda F, t: F.adaptive_avg_pool3d(t, 2), (1, 1, 3, 3, 3)),
    "pad_constant": (lambda F, t: F.pad(t, (1, 2)), (1, 2, 5)),
    "pad_reflect1d": (lambda F, t: F.pad(t, (1, 2), mode="reflect"), (1, 2, 5)),
    "pad_replicate1d": (lambda F, t: F.pad(t, (1, 2), mode="replicate"), (1, 2, 5)),
    "pad_circular1d": (lambda F, t: F.pad(t, (1, 2), mode="circular"), (1, 2, 5)),
    "pad_reflect2d": (lambda F, t: F.pad(t, (1, 2, 1, 1), mode="reflect"), (1, 2, 4, 5)),
    "pad_replicate2d": (lambda F, t: F.pad(t, (1, 2, 1, 1), mode="replicate"), (1, 2, 4, 5)),
    "pad_circular2d": (lambda F, t: F.pad(t, (1, 2, 1, 1), mode="circular"), (1, 2, 4, 5)),
    "pad_reflect3d": (lambda F, t: F.pad(t, (1,) * 6, mode="reflect"), (1, 1, 3, 3, 3)),
    "pad_replicate3d": (lambda F, t: F.pad(t, (1,) * 6, mode="replicate"), (1, 1, 3, 3, 3)),
    "pad_circular3d": (lambda F, t: F.pad(t, (1,) * 6, mode="circular"), (1, 1, 3, 3, 3)),
}


@pytest.mark.parametrize("name", sorted(F_CASES))
def test_linear_pool_and_pad_gradient_under_create_graph(torch, name):
    fn, shape = F_CASES[name]
    x0 = R.standard_normal(shape)
    out = []
    for lib in (torch, gradcore):
        x = lib.tensor(x0, requires_grad=True)
        g, = lib.autograd.grad(fn(lib.nn.functional, x).sum(), x, create_graph=True)
        gg = lib.autograd.grad(g.sum(), x, allow_unused=True)[0] if g.requires_grad else None
        y = fn(lib.nn.functional, x)
        g2, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        out.append((g, g.requires_grad, _node(g), gg, _node(g2)))
    (tg, treq, tnode, tgg, tnode2), (gg_, greq, gnode, ggg, gnode2) = out
    assert (greq, gnode, gnode2) == (treq, tnode, tnode2)
    _close(gg_, tg, rtol=1e-12)
    assert (ggg is None) == (tgg is None)
    if tgg is not None:
        _close(ggg, tgg)
    x = gradcore.tensor(x0, requires_grad=True)
    assert gradgradcheck(lambda t: fn(gradcore.nn.functional, t), (x,))
