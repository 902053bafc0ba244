"""Sparse (COO) gradients against PyTorch: the sparse embedding's gradient, its accumulation
(engine side table and AccumulateGrad), hooks, the layout's Tensor members and repr,
sparse_coo_tensor, SparseAdam / SGD / Adagrad on sparse gradients, and PyTorch's errors."""
import re

import numpy as np
import pytest

import gradcore
import gradcore.nn as gnn
import gradcore.nn.functional as gF

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks:UserWarning")


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same_sparse(g, t):
    """A gradcore sparse tensor equal to a PyTorch one: entries in the same order."""
    assert g.layout is gradcore.sparse_coo and g.is_sparse
    assert t.layout is not None and t.is_sparse
    assert tuple(g.shape) == tuple(t.shape)
    assert g.is_coalesced() == t.is_coalesced()
    assert g._nnz() == t._nnz()
    assert (g.sparse_dim(), g.dense_dim()) == (t.sparse_dim(), t.dense_dim())
    np.testing.assert_array_equal(_np(g._indices()), _np(t._indices()))
    np.testing.assert_allclose(_np(g._values()), _np(t._values()), rtol=1e-12, atol=0)
    np.testing.assert_allclose(_np(g.to_dense()), _np(t.to_dense()), rtol=1e-12, atol=0)


def _torch_repr(g):
    return repr(g).replace("gradcore.", "torch.")


IDX = [[1, 2, 1], [4, 0, 2]]


def _pair(torch, rows=5, dim=3):
    w0 = np.random.default_rng(0).standard_normal((rows, dim))
    return (gradcore.tensor(w0, requires_grad=True),
            torch.tensor(w0, requires_grad=True))


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_sparse_gradient_matches_torch(torch, padding_idx):
    wg, wt = _pair(torch)
    gy = np.random.default_rng(1).standard_normal((2, 3, 3))
    yg = gF.embedding(gradcore.tensor(IDX), wg, padding_idx=padding_idx, sparse=True)
    yt = torch.nn.functional.embedding(torch.tensor(IDX), wt, padding_idx=padding_idx,
                                       sparse=True)
    np.testing.assert_array_equal(_np(yg), _np(yt))
    yg.backward(gradcore.tensor(gy))
    yt.backward(torch.tensor(gy))
    _same_sparse(wg.grad, wt.grad)
    assert _torch_repr(wg.grad) == repr(wt.grad)
    cg, ct = wg.grad.coalesce(), wt.grad.coalesce()
    _same_sparse(cg, ct)
    np.testing.assert_array_equal(_np(cg.indices()), _np(ct.indices()))
    np.testing.assert_allclose(_np(cg.values()), _np(ct.values()), rtol=1e-12, atol=0)
    assert _torch_repr(cg) == repr(ct)
    assert type(yg.grad_fn).__name__ == type(yt.grad_fn).__name__


def test_sparse_embedding_gradient_passes_gradcheck():
    w = gradcore.randn(5, 3, dtype=gradcore.float64, requires_grad=True)
    idx = gradcore.tensor(IDX)
    assert gradcore.autograd.gradcheck(lambda w: gF.embedding(idx, w, sparse=True), (w,))
    assert gradcore.autograd.gradcheck(
        lambda w: gF.embedding(idx, w, sparse=True) * gF.embedding(idx.flip(0), w,
                                                                    sparse=True), (w,))


@pytest.mark.parametrize("padding_idx", [None, 0, 2])
def test_sparse_gradient_densified_is_the_dense_gradient(padding_idx):
    gy = gradcore.tensor(np.random.default_rng(4).standard_normal((2, 3, 3)))
    grads = []
    for sparse in (True, False):
        w = gradcore.tensor(np.random.default_rng(0).standard_normal((5, 3)),
                            requires_grad=True)
        gF.embedding(gradcore.tensor(IDX), w, padding_idx=padding_idx,
                     sparse=sparse).backward(gy)
        grads.append(w.grad)
    assert grads[0].is_sparse and not grads[1].is_sparse
    np.testing.assert_array_equal(_np(grads[0].to_dense()), _np(grads[1]))


def test_all_rows_padding_gives_an_empty_sparse_gradient(torch):
    wg, wt = _pair(torch)
    gF.embedding(gradcore.tensor([2, 2]), wg, padding_idx=2, sparse=True).sum().backward()
    torch.nn.functional.embedding(torch.tensor([2, 2]), wt, padding_idx=2,
                                  sparse=True).sum().backward()
    _same_sparse(wg.grad, wt.grad)
    assert _torch_repr(wg.grad) == repr(wt.grad)


def test_two_backward_calls_accumulate_as_torch(torch):
    wg, wt = _pair(torch)
    for w, F, T in ((wg, gF, gradcore), (wt, torch.nn.functional, torch)):
        F.embedding(T.tensor(IDX), w, padding_idx=2, sparse=True).sum().backward()
        (F.embedding(T.tensor(IDX), w, sparse=True) * 2).sum().backward()
    _same_sparse(wg.grad, wt.grad)  # PyTorch's CPU merge walk: 7 entries, not 10
    _same_sparse(wg.grad.coalesce(), wt.grad.coalesce())


def test_one_weight_looked_up_twice_sums_in_the_side_table(torch):
    wg, wt = _pair(torch)
    for w, F, T in ((wg, gF, gradcore), (wt, torch.nn.functional, torch)):
        w2 = w * 1  # a non-leaf: the two sparse gradients meet in the engine's side table
        a = F.embedding(T.tensor([3, 1]), w, sparse=True)
        b = F.embedding(T.tensor([1, 0, 3]), w, sparse=True)
        (a.sum() + (b * 3).sum() + 0 * w2.sum()).backward()
    np.testing.assert_allclose(_np(wg.grad), _np(wt.grad), rtol=1e-12)
    assert not wg.grad.is_sparse and not wt.grad.is_sparse  # sparse + dense is dense
    wg.grad = wt.grad = None
    for w, F, T in ((wg, gF, gradcore), (wt, torch.nn.functional, torch)):
        a = F.embedding(T.tensor([3, 1]), w, sparse=True)
        b = F.embedding(T.tensor([1, 0, 3]), w, sparse=True)
        (a.sum() + (b * 3).sum()).backward()
    # PyTorch's CPU sparse add merges entries only where both values are contiguous: its
    # sum's gradient is an expand (not contiguous: concatenated), gradcore's is written out
    # (merged).  The tensors are equal; their uncoalesced entry lists differ.
    assert wg.grad.is_sparse and wt.grad.is_sparse
    _same_sparse(wg.grad.coalesce(), wt.grad.coalesce())


@pytest.mark.parametrize("first_sparse", [True, False])
def test_sparse_and_dense_gradients_accumulate_into_grad_as_torch(torch, first_sparse):
    wg, wt = _pair(torch)
    for w, F, T in ((wg, gF, gradcore), (wt, torch.nn.functional, torch)):
        steps = [lambda: F.embedding(T.tensor(IDX), w, sparse=True).sum().backward(),
                 lambda: (w * w).sum().backward()]
        for s in (steps if first_sparse else steps[::-1]):
            s()
    assert wg.grad.is_sparse == wt.grad.is_sparse == False  # noqa: E712
    np.testing.assert_allclose(_np(wg.grad), _np(wt.grad), rtol=1e-12)


def test_hooks_and_autograd_grad_see_the_sparse_gradient(torch):
    wg, wt = _pair(torch)
    seen = {}

    def hook(name):
        def record(g):
            seen[name] = (g.is_sparse, g._nnz())
        return record

    for name, w, F, T in (("g", wg, gF, gradcore), ("t", wt, torch.nn.functional, torch)):
        w.register_hook(hook(name))
        F.embedding(T.tensor(IDX), w, sparse=True).sum().backward()
    assert seen["g"] == seen["t"] == (True, 6)
    (gg,) = gradcore.autograd.grad(gF.embedding(gradcore.tensor(IDX), wg, sparse=True).sum(),
                                   wg)
    (gt,) = torch.autograd.grad(torch.nn.functional.embedding(torch.tensor(IDX), wt,
                                                              sparse=True).sum(), wt)
    _same_sparse(gg, gt)


def test_module_and_from_pretrained_give_sparse_gradients(torch):
    w0 = np.random.default_rng(2).standard_normal((6, 4))
    for sparse_kw in ({"sparse": True},):
        eg = gnn.Embedding.from_pretrained(gradcore.tensor(w0), freeze=False, padding_idx=0,
                                           **sparse_kw)
        et = torch.nn.Embedding.from_pretrained(torch.tensor(w0), freeze=False, padding_idx=0,
                                                **sparse_kw)
        assert repr(eg) == repr(et)
        x = [[0, 5, 5], [3, 0, 1]]
        eg(gradcore.tensor(x)).pow(2).sum().backward()
        et(torch.tensor(x)).pow(2).sum().backward()
        _same_sparse(eg.weight.grad, et.weight.grad)


def _models(torch, seed=0):
    """The same Embedding(sparse=True) + Linear model in both libraries (float64)."""
    class G(gnn.Module):
        def __init__(self):
            super().__init__()
            self.emb = gnn.Embedding(20, 6, sparse=True, padding_idx=0, dtype=gradcore.float64)
            self.fc = gnn.Linear(6, 3, dtype=gradcore.float64)

        def forward(self, x):
            return self.fc(self.emb(x).mean(1))

    class T(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(20, 6, sparse=True, padding_idx=0,
                                          dtype=torch.float64)
            self.fc = torch.nn.Linear(6, 3, dtype=torch.float64)

        def forward(self, x):
            return self.fc(self.emb(x).mean(1))

    g, t = G(), T()
    with torch.no_grad():
        for (name, pg), (_, pt) in zip(g.named_parameters(), t.named_parameters()):
            pt.copy_(torch.tensor(_np(pg)))
    return g, t


def _batches(n):
    rng = np.random.default_rng(3)
    return [(rng.integers(0, 20, (4, 5)), rng.integers(0, 3, 4)) for _ in range(n)]


def test_sparse_adam_with_adam_trains_as_torch_step_by_step(torch):
    g, t = _models(torch)
    og = [gradcore.optim.SparseAdam(list(g.emb.parameters()), lr=0.05),
          gradcore.optim.Adam(g.fc.parameters(), lr=0.01)]
    ot = [torch.optim.SparseAdam(list(t.emb.parameters()), lr=0.05),
          torch.optim.Adam(t.fc.parameters(), lr=0.01)]
    for x, y in _batches(6):
        for o in og + ot:
            o.zero_grad()
        lg = gF.cross_entropy(g(gradcore.tensor(x)), gradcore.tensor(y))
        lt = torch.nn.functional.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
        lg.backward()
        lt.backward()
        assert g.emb.weight.grad.is_sparse and t.emb.weight.grad.is_sparse
        for o in og + ot:
            o.step()
        np.testing.assert_allclose(lg.item(), lt.item(), rtol=1e-12)
        for pg, pt in zip(g.parameters(), t.parameters()):
            np.testing.assert_allclose(_np(pg), _np(pt), rtol=1e-10, atol=1e-12)
    sg, st = og[0].state[g.emb.weight], ot[0].state[t.emb.weight]
    assert sg["step"] == st["step"] == 6
    np.testing.assert_allclose(_np(sg["exp_avg_sq"]), _np(st["exp_avg_sq"]), rtol=1e-10,
                               atol=1e-15)


@pytest.mark.parametrize("name, kw", [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"momentum": 0.9, "nesterov": True}), ("SGD", {"maximize": True}),
    ("Adagrad", {}), ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.2}),
    ("Adagrad", {"maximize": True}), ("SparseAdam", {"maximize": True}),
])
def test_optimizers_on_sparse_gradients_match_torch(torch, name, kw):
    g, t = _models(torch)
    og = getattr(gradcore.optim, name)(list(g.emb.parameters()), lr=0.1, **kw)
    ot = getattr(torch.optim, name)(list(t.emb.parameters()), lr=0.1, **kw)
    for x, y in _batches(4):
        og.zero_grad()
        ot.zero_grad()
        gF.cross_entropy(g(gradcore.tensor(x)), gradcore.tensor(y)).backward()
        torch.nn.functional.cross_entropy(t(torch.tensor(x)), torch.tensor(y)).backward()
        og.step()
        ot.step()
        np.testing.assert_allclose(_np(g.emb.weight), _np(t.emb.weight), rtol=1e-10,
                                   atol=1e-12)
    if kw.get("momentum"):
        bg, bt = og.state[g.emb.weight]["momentum_buffer"], ot.state[t.emb.weight][
            "momentum_buffer"]
        _same_sparse(bg, bt)


def test_sparse_gradients_accumulated_over_steps_with_sgd_match_torch(torch):
    g, t = _models(torch)
    og = gradcore.optim.SGD(g.emb.parameters(), lr=0.1, momentum=0.5)
    ot = torch.optim.SGD(t.emb.parameters(), lr=0.1, momentum=0.5)
    for x, y in _batches(3):  # no zero_grad: the sparse .grad grows entry by entry
        gF.cross_entropy(g(gradcore.tensor(x)), gradcore.tensor(y)).backward()
        torch.nn.functional.cross_entropy(t(torch.tensor(x)), torch.tensor(y)).backward()
        _same_sparse(g.emb.weight.grad, t.emb.weight.grad)
        og.step()
        ot.step()
        np.testing.assert_allclose(_np(g.emb.weight), _np(t.emb.weight), rtol=1e-10)


def _error(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 -- the type and message are what is compared
        return type(e).__name__, str(e)
    raise AssertionError("no error raised")


def _sparse_module(lib, F):
    e = lib.nn.Embedding(5, 3, sparse=True)
    e(lib.tensor([1, 2, 1])).sum().backward()
    return e


@pytest.mark.parametrize("name, kw", [
    ("Adam", {}), ("AdamW", {}), ("RMSprop", {}), ("Adadelta", {}), ("Adamax", {}),
    ("NAdam", {}), ("RAdam", {}), ("Rprop", {}), ("ASGD", {}), ("SGD", {"weight_decay": 0.1}),
    ("Adagrad", {"weight_decay": 0.1}), ("Adam", {"differentiable": True}),
])
def test_optimizers_refuse_sparse_gradients_as_torch(torch, name, kw):
    errs = []
    for lib in (gradcore, torch):
        e = _sparse_module(lib, None)
        opt = getattr(lib.optim, name)(e.parameters(), lr=0.1, **kw)
        errs.append(_error(opt.step))
    assert errs[0] == errs[1]


def test_sparse_adam_refuses_a_dense_gradient_as_torch(torch):
    errs = []
    for lib in (gradcore, torch):
        w = lib.nn.Parameter(lib.ones(3))
        (w * 2).sum().backward()
        errs.append(_error(lib.optim.SparseAdam([w]).step))
    assert errs[0] == errs[1]


def test_scale_grad_by_freq_with_sparse_raises_at_backward_as_torch(torch):
    errs = []
    for lib in (gradcore, torch):
        w = lib.ones(4, 2, requires_grad=True)
        y = lib.nn.functional.embedding(lib.tensor([1, 1]), w, sparse=True,
                                        scale_grad_by_freq=True)
        errs.append(_error(y.sum().backward))
    assert errs[0] == errs[1]


def test_zero_grad_keeps_an_empty_sparse_gradient_as_torch(torch):
    reprs, grads = [], []
    for lib in (gradcore, torch):
        e = _sparse_module(lib, None)
        e.zero_grad(set_to_none=False)
        assert e.weight.grad.is_sparse and e.weight.grad._nnz() == 0
        reprs.append(repr(e.weight.grad))
        e(lib.tensor([3, 1])).sum().backward()  # accumulates into the empty one
        reprs.append(repr(e.weight.grad))
        grads.append(e.weight.grad)
    assert reprs[0].replace("gradcore.", "torch.") == reprs[2]
    assert reprs[1].replace("gradcore.", "torch.") == reprs[3]
    _same_sparse(*grads)


def test_clip_grad_norm_on_a_sparse_gradient_is_not_implemented(torch):
    for lib in (gradcore, torch):
        e = _sparse_module(lib, None)
        with pytest.raises(NotImplementedError, match="with arguments from the 'SparseCPU'"):
            lib.nn.utils.clip_grad_norm_(e.parameters(), 0.5)


def test_layout_members_on_dense_and_sparse_tensors_match_torch(torch):
    for lib in (gradcore, torch):
        d = lib.ones(2, 3)
        assert d.layout is lib.strided and not d.is_sparse
        assert (d.sparse_dim(), d.dense_dim()) == (0, 2)
        assert d.to_dense() is d or bool((d.to_dense() == d).all())
    assert repr(gradcore.strided) == repr(torch.strided)
    assert repr(gradcore.sparse_coo) == repr(torch.sparse_coo)
    for op in ("_indices", "_values", "_nnz", "indices", "values", "coalesce", "is_coalesced"):
        eg = _error(getattr(gradcore.ones(2), op))
        et = _error(getattr(torch.ones(2), op))
        assert eg[0] == et[0]
        assert eg[1] == et[1] or et[1].startswith(eg[1])  # PyTorch adds its dispatch table
    s = [lib.sparse_coo_tensor([[0, 1, 1]], [1.0, 2.0, 3.0], (3,)) for lib in (gradcore, torch)]
    for op in ("indices", "values"):
        assert _error(getattr(s[0], op)) == _error(getattr(s[1], op))


def test_unsupported_ops_on_a_sparse_tensor_raise_not_implemented_naming_the_op(torch):
    sg = gradcore.sparse_coo_tensor([[0, 1]], [1.0, 2.0], (3,))
    st = torch.sparse_coo_tensor([[0, 1]], [1.0, 2.0], (3,))
    for f in (lambda s: s.exp(), lambda s: s.view(-1)):
        eg, et = _error(lambda: f(sg)), _error(lambda: f(st))
        assert eg[0] == et[0] == "NotImplementedError"
        name = re.match(r"Could not run '(aten::\w+)' with arguments from the 'SparseCPU' "
                        r"backend\.", et[1]).group(1)
        assert eg[1].startswith(f"Could not run '{name}' with arguments from the 'SparseCPU' "
                                "backend.")
    with pytest.raises(NotImplementedError, match="aten::mul"):
        sg * gradcore.ones(3)  # sparse times a dense tensor: no sparse algebra here
    assert _error(sg.numpy) == _error(st.numpy)


@pytest.mark.parametrize("args, kw", [
    (([[0, 1, 1]], [1.0, 2.0, 3.0], (3,)), {}),
    (([[0, 1], [1, 0]], [1.0, 2.0], (2, 2)), {}),
    (([[0, 2]], [[1.0, 2.0], [3.0, 4.0]], (3, 2)), {"dtype": "float64"}),
    (([[0, 1]], [1.0, 2.0]), {}),
    (([[2]], [5]), {}),
])
def test_sparse_coo_tensor_matches_torch(torch, args, kw):
    sg = gradcore.sparse_coo_tensor(*args, **{k: getattr(gradcore, v) for k, v in kw.items()})
    st = torch.sparse_coo_tensor(*args, **{k: getattr(torch, v) for k, v in kw.items()})
    _same_sparse(sg, st)
    assert _torch_repr(sg) == repr(st)
    assert sg.dtype.name == str(st.dtype).replace("torch.", "")
    assert sg.numel() == st.numel() and sg.dim() == st.dim()
    _same_sparse(sg.coalesce(), st.coalesce())


@pytest.mark.parametrize("args", [
    ([[0, 1]], [1.0, 2.0, 3.0], (3,)),
    ([0, 1], [1.0, 2.0], (3,)),
])
def test_sparse_coo_tensor_errors_match_torch(torch, args):
    assert _error(lambda: gradcore.sparse_coo_tensor(*args)) == _error(
        lambda: torch.sparse_coo_tensor(*args))


def test_sparse_coo_tensor_checks_indices_as_torch_with_invariants(torch):
    for bad in ([[0, 5]], [[0, -1]]):
        eg = _error(lambda: gradcore.sparse_coo_tensor(bad, [1.0, 2.0], (3,)))
        et = _error(lambda: torch.sparse_coo_tensor(bad, [1.0, 2.0], (3,),
                                                    check_invariants=True))
        assert eg == et


def test_sparse_gradient_arrays_live_on_the_weights_backend():
    w = gradcore.ones(4, 2, requires_grad=True)
    gF.embedding(gradcore.tensor([1, 3]), w, sparse=True).sum().backward()
    g = w.grad
    assert g.device == w.device and g._indices().device == w.device
    assert g._indices().dtype is gradcore.int64 and g._values().dtype is w.dtype
    assert type(g._arr.indices) is type(w._arr)


def test_sparse_add_concatenates_on_cuda_and_merges_on_the_cpu(torch):
    """PyTorch's add of two sparse tensors: its CUDA kernel concatenates the entries (no
    sync for the result's nnz), its CPU one merges (entries equal at the same step of the
    walk summed).  The CUDA backend is CuPy's launch code over NumPy (no GPU needed: the sum
    launches no kernel)."""
    from gradcore.backend.cupy_backend import CupyBackend
    from gradcore.sparse import CooArray
    idx_a, idx_b = [[1, 0, 4]], [[1, 2, 0]]
    vals = np.arange(6.0).reshape(3, 2)
    cuda = CupyBackend(0, xp=np)
    got = CooArray(np.array(idx_a), vals, (5, 2), False, cuda) + CooArray(
        np.array(idx_b), vals * 10, (5, 2), False, cuda)
    np.testing.assert_array_equal(got.indices, [[1, 0, 4, 1, 2, 0]])
    np.testing.assert_array_equal(got.values, np.concatenate([vals, vals * 10]))
    assert not got.coalesced
    sg = (gradcore.sparse_coo_tensor(idx_a, vals, (5, 2))._arr
          + gradcore.sparse_coo_tensor(idx_b, vals * 10, (5, 2))._arr)
    st = (torch.sparse_coo_tensor(idx_a, vals, (5, 2))
          + torch.sparse_coo_tensor(idx_b, vals * 10, (5, 2)))
    np.testing.assert_array_equal(sg.indices, _np(st._indices()))
    np.testing.assert_array_equal(sg.values, _np(st._values()))


def test_a_sparse_gradient_passes_a_scaling_node_as_torch(torch):
    wg, wt = _pair(torch)
    got = []
    for w, F, T in ((wg, gF, gradcore), (wt, torch.nn.functional, torch)):
        v = w * 2  # a non-leaf weight: MulBackward0 scales the sparse gradient
        v.retain_grad()
        (F.embedding(T.tensor(IDX), v, sparse=True) * 3).sum().backward()
        got.append((v.grad, w.grad))
    _same_sparse(got[0][0], got[1][0])
    _same_sparse(got[0][1], got[1][1])


def test_scalar_arithmetic_on_a_sparse_tensor_matches_torch(torch):
    sg, st = (lib.sparse_coo_tensor([[0, 1, 0]], [1.0, 2.0, 4.0], (3,))
              for lib in (gradcore, torch))
    for f in (lambda s: s * 2, lambda s: 2 * s, lambda s: s / 4, lambda s: -s):
        _same_sparse(f(sg), f(st))
        assert _torch_repr(f(sg)) == repr(f(st))


@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")
@pytest.mark.filterwarnings("ignore:Error detected in")
def test_anomaly_mode_checks_a_sparse_gradient_for_nan_as_torch(torch):
    errs = []
    for lib in (gradcore, torch):
        w = lib.ones(5, 3, dtype=lib.float64, requires_grad=True)
        with lib.autograd.detect_anomaly():
            lib.nn.functional.embedding(lib.tensor([1, 2]), w, sparse=True).sum().backward()
            assert w.grad.is_sparse
            y = lib.nn.functional.embedding(lib.tensor([1, 2]), w, sparse=True)
            errs.append(_error(lambda: y.backward(lib.full((2, 3), float("nan"),
                                                           dtype=lib.float64))))
    assert errs[0] == errs[1]


@pytest.mark.parametrize("call", ["functional", "module"])
def test_embedding_bag_sparse_refused_not_silently_dense(call):
    """embedding_bag has no sparse gradient here: sparse=True raises in both forms (the
    functional form used to ignore it and give a dense gradient); max mode keeps PyTorch's
    ValueError first."""
    w = gradcore.randn(10, 3, requires_grad=True)
    idx = gradcore.tensor([[1, 2], [3, 1]])
    with pytest.raises(NotImplementedError, match=r"embedding_bag\(sparse=True\)"):
        if call == "functional":
            gF.embedding_bag(idx, w, sparse=True)
        else:
            gnn.EmbeddingBag(10, 3, sparse=True)(idx)
    with pytest.raises(ValueError, match="max mode does not support sparse weights"):
        gF.embedding_bag(idx, w, mode="max", sparse=True)
