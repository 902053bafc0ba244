"""The functional extras (gradcore/ops/distance.py; nn.EmbeddingBag, nn.Bilinear,
nn.CosineSimilarity, nn.PairwiseDistance) against PyTorch: one_hot, embedding's padding_idx and
max_norm, embedding_bag in every mode (offsets, include_last_offset, per_sample_weights,
padding_idx, empty bags), cosine_similarity, pairwise_distance, pdist, bilinear: values and
gradients in float32 and float64, gradcheck, module reprs and state_dicts, errors."""
import zlib

import numpy as np
import pytest

import gradcore
import gradcore.nn as gnn
import gradcore.nn.functional as GF
from gradcore.autograd import gradcheck, gradgradcheck

TOL = {"float32": 1e-5, "float64": 1e-10}
DTYPES = ["float32", "float64"]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _host(t):
    return np.asarray(t.detach().cpu().numpy())


def _close(got, want, what, dtype="float64"):
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    tol = TOL[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)


def _same_error(fn_t, fn_g):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(type(et.value)) as eg:
        fn_g()
    want = str(et.value).replace("torch.Size", "gradcore.Size")
    assert str(eg.value) == want.replace("'torch.Tensor'", "'gradcore.tensor.Tensor'")


def _run(torch, call, arrays, dtype, diff):
    """call(lib, *tensors) in both libraries; returns [(out, inputs)] for torch, gradcore."""
    res = []
    for lib in (torch, gradcore):
        ts = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=d) if a.dtype.kind == "f"
              else lib.tensor(a) for a, d in zip(arrays, diff)]
        res.append((call(lib, *ts), ts))
    return res


def _check(torch, call, arrays, dtype="float64", diff=None, what=""):
    diff = diff or [a.dtype.kind == "f" for a in arrays]
    (yt, ts), (yg, gs) = _run(torch, call, arrays, dtype, diff)
    _close(_host(yg), yt.detach().numpy(), f"{what} forward", dtype)
    gy = _rng(what, "gy").standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(gy, dtype=yt.dtype))
    yg.backward(gradcore.tensor(gy, dtype=yg.dtype))
    for i, (t, g) in enumerate(zip(ts, gs)):
        if diff[i]:
            _close(_host(g.grad), t.grad.numpy(), f"{what} grad {i}", dtype)


# ---- one_hot ----------------------------------------------------------------------------------

def test_one_hot(torch):
    for a, n in ((np.array([0, 3, 1]), -1), (np.array([[0, 2], [1, 1]]), 5),
                 (np.array(2), 4), (np.zeros(0, dtype=np.int64), 3)):
        yt = torch.nn.functional.one_hot(torch.tensor(a), n)
        yg = GF.one_hot(gradcore.tensor(a), n)
        assert yg.dtype is gradcore.int64
        np.testing.assert_array_equal(_host(yg), yt.numpy())
    T, G = torch.nn.functional, GF
    for a, n in ((np.array([0, -1]), -1), (np.array([0, 3]), 3),
                 (np.zeros(0, dtype=np.int64), -1)):
        _same_error(lambda: T.one_hot(torch.tensor(a), n), lambda: G.one_hot(gradcore.tensor(a), n))
    _same_error(lambda: T.one_hot(torch.tensor([0.0])), lambda: G.one_hot(gradcore.tensor([0.0])))


# ---- embedding --------------------------------------------------------------------------------

def test_embedding_padding_idx_and_max_norm(torch):
    rng = _rng("emb")
    w = rng.standard_normal((6, 3)) * 2
    idx = np.array([[0, 2, 5], [2, 2, 4]])
    for kw in ({"padding_idx": 2}, {"padding_idx": -1}, {"max_norm": 1.0},
               {"max_norm": 1.5, "norm_type": 1.0}, {"scale_grad_by_freq": True}):
        res = []
        for lib in (torch, gradcore):
            wt = lib.tensor(w, requires_grad=True)
            res.append((lib.nn.functional.embedding(lib.tensor(idx), wt, **kw), wt))
        gy = rng.standard_normal(tuple(res[0][0].shape))
        for (y, wt), lib in zip(res, (torch, gradcore)):
            y.backward(lib.tensor(gy))
        (yt, wt), (yg, wg) = res
        _close(_host(yg), yt.detach().numpy(), f"embedding {kw}")
        _close(_host(wg.grad), wt.grad.numpy(), f"embedding grad {kw}")
        _close(_host(wg), wt.detach().numpy(), f"embedding weight after {kw}")


# ---- embedding_bag ----------------------------------------------------------------------------

BAGS = [
    # (input, offsets, include_last_offset)
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4]), False),
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3, 8]), True),   # an empty bag
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 1, 1, 5]), False),  # an empty bag
    (np.array([[1, 2, 4], [5, 4, 3]]), None, False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", range(len(BAGS)))
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag_matches_torch(torch, case, mode, dtype, padding_idx):
    x, off, last = BAGS[case]
    w = _rng("bag", case).standard_normal((10, 3))
    res = []
    for lib in (torch, gradcore):
        wt = lib.tensor(w, dtype=getattr(lib, dtype), requires_grad=True)
        o = None if off is None else lib.tensor(off)
        res.append((lib.nn.functional.embedding_bag(lib.tensor(x), wt, o, mode=mode,
                                                    include_last_offset=last,
                                                    padding_idx=padding_idx), wt))
    (yt, wt), (yg, wg) = res
    _close(_host(yg), yt.detach().numpy(), "embedding_bag", dtype)
    gy = _rng("bag-gy", case).standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(gy, dtype=yt.dtype))
    yg.backward(gradcore.tensor(gy, dtype=yg.dtype))
    _close(_host(wg.grad), wt.grad.numpy(), "embedding_bag grad", dtype)


def test_embedding_bag_per_sample_weights(torch):
    rng = _rng("psw")
    w, psw = rng.standard_normal((10, 3)), rng.uniform(0.5, 2, 8)
    x, off = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 2, 6])
    _check(torch, lambda L, w, p: L.nn.functional.embedding_bag(
        L.tensor(x), w, L.tensor(off), mode="sum", per_sample_weights=p), [w, psw],
        what="per_sample_weights")


def test_embedding_bag_module(torch):
    tm = torch.nn.EmbeddingBag(10, 3, mode="max", padding_idx=2, max_norm=1.0)
    gm = gnn.EmbeddingBag(10, 3, mode="max", padding_idx=2, max_norm=1.0)
    assert repr(gm) == repr(tm)
    assert repr(gnn.EmbeddingBag(10, 3)) == repr(torch.nn.EmbeddingBag(10, 3))
    assert list(gm.state_dict()) == list(tm.state_dict()) == ["weight"]
    assert np.all(_host(gm.weight)[2] == 0)
    gm.load_state_dict({"weight": gradcore.tensor(tm.weight.detach().numpy())})
    x, off = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4])
    yt, yg = tm(torch.tensor(x), torch.tensor(off)), gm(gradcore.tensor(x), gradcore.tensor(off))
    _close(_host(yg), yt.detach().numpy(), "module", "float32")
    _close(_host(gm.weight), tm.weight.detach().numpy(), "renormed weight", "float32")
    pre = gnn.EmbeddingBag.from_pretrained(gradcore.ones(4, 2), mode="sum")
    assert not pre.weight.requires_grad
    np.testing.assert_array_equal(_host(pre(gradcore.tensor([[0, 1, 2]]))), [[3.0, 3.0]])


def test_embedding_bag_errors(torch):
    w = np.ones((10, 3))
    T, G = torch.nn.functional, GF
    x = np.array([1, 2, 3])
    cases = [
        lambda L, F: F.embedding_bag(L.tensor(x), L.tensor(w), None),
        lambda L, F: F.embedding_bag(L.tensor([[1, 2]]), L.tensor(w), L.tensor([0])),
        lambda L, F: F.embedding_bag(L.tensor(x), L.tensor(w), L.tensor([0]), mode="mean",
                                     per_sample_weights=L.ones(3, dtype=L.float64)),
        lambda L, F: F.embedding_bag(L.tensor(x), L.tensor(w), L.tensor([0]), mode="foo"),
    ]
    for case in cases:
        _same_error(lambda: case(torch, T), lambda: case(gradcore, G))


# ---- similarities and distances ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity(torch, dtype):
    rng = _rng("cos", dtype)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    _check(torch, lambda L, x, y: L.nn.functional.cosine_similarity(x, y), [a, b], dtype,
           what="cos dim 1")
    _check(torch, lambda L, x, y: L.nn.functional.cosine_similarity(x, y, dim=0, eps=0.5),
           [a, b], dtype, what="cos dim 0")
    _check(torch, lambda L, x, y: L.nn.functional.cosine_similarity(x, y, dim=-1),
           [a, b[:1]], dtype, what="cos broadcast")
    tiny = a.copy()
    tiny[1] = 1e-10  # a norm below eps: clamped, the gradient passes through the clamp
    _check(torch, lambda L, x, y: L.nn.functional.cosine_similarity(x, y), [tiny, b], dtype,
           what="cos clamped")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_pairwise_distance(torch, p, dtype):
    rng = _rng("pd", p, dtype)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    _check(torch, lambda L, x, y: L.nn.functional.pairwise_distance(x, y, p), [a, b], dtype,
           what=f"pairwise p={p}")
    _check(torch, lambda L, x, y: L.nn.functional.pairwise_distance(x, y, p, 1e-3, True),
           [a, b[0]], dtype, what=f"pairwise keepdim p={p}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2, 1, 3.5, float("inf")])
def test_pdist(torch, p, dtype):
    a = _rng("pdist", p).standard_normal((5, 3))
    _check(torch, lambda L, x: L.nn.functional.pdist(x, p), [a], dtype, what=f"pdist p={p}")


def test_distance_gradchecks():
    rng = _rng("dist-gc")
    a = gradcore.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = gradcore.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for fn in (GF.cosine_similarity, GF.pairwise_distance, lambda x, y: GF.pdist(x * y)):
        assert gradcheck(fn, (a, b))
        assert gradgradcheck(fn, (a, b))


def test_distance_errors(torch):
    T, G = torch.nn.functional, GF
    _same_error(lambda: T.pdist(torch.ones(2, 2, 2)), lambda: G.pdist(gradcore.ones(2, 2, 2)))
    _same_error(lambda: T.pdist(torch.ones(2, 2), -1), lambda: G.pdist(gradcore.ones(2, 2), -1))
    _same_error(lambda: T.cosine_similarity(torch.ones(2, dtype=torch.int64),
                                            torch.ones(2, dtype=torch.int64), 0),
                lambda: G.cosine_similarity(gradcore.ones(2, dtype=gradcore.int64),
                                            gradcore.ones(2, dtype=gradcore.int64), 0))


def test_distance_modules(torch):
    rng = _rng("dist-mod")
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    for name, args in (("CosineSimilarity", ()), ("CosineSimilarity", (0, 1e-3)),
                       ("PairwiseDistance", ()), ("PairwiseDistance", (1.0, 1e-3, True))):
        tm, gm = getattr(torch.nn, name)(*args), getattr(gnn, name)(*args)
        assert repr(gm) == repr(tm)
        yt = tm(torch.tensor(a), torch.tensor(b))
        yg = gm(gradcore.tensor(a), gradcore.tensor(b))
        _close(_host(yg), yt.numpy(), name)


# ---- bilinear ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4,), (2, 3), ()])
def test_bilinear(torch, shape, dtype):
    rng = _rng("bil", shape)
    x1, x2 = rng.standard_normal(shape + (3,)), rng.standard_normal(shape + (2,))
    w, b = rng.standard_normal((5, 3, 2)), rng.standard_normal(5)
    _check(torch, lambda L, *t: L.nn.functional.bilinear(*t), [x1, x2, w, b], dtype,
           what="bilinear")
    _check(torch, lambda L, *t: L.nn.functional.bilinear(*t), [x1, x2, w], dtype,
           what="bilinear no bias")


def test_bilinear_module(torch):
    tm, gm = torch.nn.Bilinear(3, 2, 4), gnn.Bilinear(3, 2, 4)
    assert repr(gm) == repr(tm)
    assert repr(gnn.Bilinear(3, 2, 4, bias=False)) == repr(torch.nn.Bilinear(3, 2, 4, bias=False))
    sd = tm.state_dict()
    assert {k: tuple(v.shape) for k, v in gm.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in sd.items()}
    bound = 1 / np.sqrt(3)
    assert np.abs(_host(gm.weight)).max() <= bound and np.abs(_host(gm.bias)).max() <= bound
    gm.load_state_dict({k: gradcore.tensor(v.numpy()) for k, v in sd.items()})
    a, b = _rng("bm").standard_normal((6, 3)), _rng("bm2").standard_normal((6, 2))
    yt = tm(torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32))
    yg = gm(gradcore.tensor(a, dtype=gradcore.float32), gradcore.tensor(b, dtype=gradcore.float32))
    _close(_host(yg), yt.detach().numpy(), "Bilinear", "float32")
    yt.sum().backward()
    yg.sum().backward()
    _close(_host(gm.weight.grad), tm.weight.grad.numpy(), "Bilinear weight grad", "float32")
    _close(_host(gm.bias.grad), tm.bias.grad.numpy(), "Bilinear bias grad", "float32")
    x1 = gradcore.tensor(a, requires_grad=True)
    x2 = gradcore.tensor(b, requires_grad=True)
    w = gradcore.tensor(_rng("bw").standard_normal((2, 3, 2)), requires_grad=True)
    assert gradcheck(GF.bilinear, (x1, x2, w))


def test_bilinear_errors(torch):
    T, G = torch.nn.functional, GF
    cases = [((2, 3), (2, 2, 2), (4, 3, 2)), ((2, 3), (3, 2), (4, 3, 2)),
             ((2, 4), (2, 2), (4, 3, 2)), ((2, 3), (2, 5), (4, 3, 2))]
    for s1, s2, sw in cases:
        _same_error(lambda: T.bilinear(torch.ones(s1), torch.ones(s2), torch.ones(sw)),
                    lambda: G.bilinear(gradcore.ones(s1), gradcore.ones(s2), gradcore.ones(sw)))
    _same_error(lambda: T.bilinear(torch.ones(2, 3), torch.ones(2, 2), torch.ones(4, 3, 2),
                                   torch.ones(5)),
                lambda: G.bilinear(gradcore.ones(2, 3), gradcore.ones(2, 2),
                                   gradcore.ones(4, 3, 2), gradcore.ones(5)))
    _same_error(lambda: torch.nn.Bilinear(0, 2, 3), lambda: gnn.Bilinear(0, 2, 3))
