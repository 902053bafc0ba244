"""einsum, tensordot, inner, vdot, chain_matmul, the fused multiply-adds and cdist: what the op
registry can't express (errors and their messages, integer / bool dtypes, kwargs, warnings),
against PyTorch."""
import warnings

import numpy as np
import pytest

import gradcore


def _both(torch, fn, *arrays):
    """fn(lib, *tensors) in both libraries (arrays keep their dtypes)."""
    t = fn(torch, *(torch.tensor(a) for a in arrays))
    g = fn(gradcore, *(gradcore.tensor(a) for a in arrays))
    return g, t


def _same(g, t):
    assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)


def _raises_like(torch, fn, *arrays):
    """fn raises in gradcore what it raises in torch: the same message, and the same builtin
    exception type (torch's own classes, such as LinAlgError: their builtin base)."""
    with pytest.raises(Exception) as te:
        fn(torch, *(torch.tensor(a) for a in arrays))
    expected = next(c for c in type(te.value).__mro__ if c.__module__ == "builtins")
    with pytest.raises(expected) as ge:
        fn(gradcore, *(gradcore.tensor(a) for a in arrays))
    assert str(ge.value) == str(te.value)
    return ge.value


R = np.random.default_rng(0)
M23, M33, M32 = R.standard_normal((2, 3)), R.standard_normal((3, 3)), R.standard_normal((3, 2))
V3 = R.standard_normal(3)


@pytest.mark.parametrize("eq,arrays", [
    ("ij,jk", (M23,)), ("ij", (M23, M23)), ("ij,jk", (M23, M23)), ("ii", (M23,)),
    ("ij,ij", (M23, M33)), ("i", (M23,)), ("ij->ik", (M23,)), ("ij->jj", (M23,)),
    ("i.j", (M23,)), ("ij->i->j", (M23,)), ("...i,...i->...", (M23, M32)),
    ("i->ii", (M23,)), ("i1", (M23,)),
])
def test_einsum_errors_match_torch(torch, eq, arrays):
    _raises_like(torch, lambda lib, *ts: lib.einsum(eq, *ts), *arrays)


def test_einsum_argument_errors(torch):
    a = gradcore.ones(2)
    for lib, x in ((torch, torch.ones(2)), (gradcore, a)):
        with pytest.raises(ValueError, match="must specify the equation string"):
            lib.einsum("i")
        with pytest.raises(TypeError, match="must be str, not int"):
            lib.einsum(3, x)
        with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 1"):
            lib.einsum("i,i", x, 2)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool", "float32"])
@pytest.mark.parametrize("eq,shapes", [("ij->i", [(2, 3)]), ("ij->ji", [(2, 3)]),
                                       ("ii", [(2, 2)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
                                       ("ij,j->i", [(2, 3), (3,)])])
def test_einsum_integer_and_bool_dtypes(torch, dtype, eq, shapes):
    arrays = [np.arange(np.prod(s)).reshape(s).astype(dtype) for s in shapes]
    fn = lambda lib, *ts: lib.einsum(eq, *ts)  # noqa: E731
    if dtype == "bool" and eq == "ij,j->i":
        _raises_like(torch, fn, *arrays)
        return
    _same(*_both(torch, fn, *arrays))


def test_einsum_mixed_dtypes(torch):
    a, b = M23.astype(np.float32), M23
    _same(*_both(torch, lambda lib, x, y: lib.einsum("ij,ij->ij", x, y), a, b))  # promoted
    _raises_like(torch, lambda lib, x, y: lib.einsum("ij,ij->i", x, y), a, b)


def test_einsum_sublist_and_list_forms(torch):
    _same(*_both(torch, lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]), M23, M32))
    _same(*_both(torch, lambda lib, a, b: lib.einsum(a, [Ellipsis, 1], b, [1, 2]), M23, M32))
    _same(*_both(torch, lambda lib, a, b: lib.einsum("ij,jk", [a, b]), M23, M32))
    _same(*_both(torch, lambda lib, a, b: lib.einsum("ij,jk", (a, b)), M23, M32))


def test_einsum_empty_and_zero_dim(torch):
    for eq, arrays in [("ij->", (np.ones((0, 3)),)), ("ij,jk->ik", (np.ones((2, 0)),
                                                                    np.ones((0, 3)))),
                       (",->", (np.array(2.0), np.array(3.0))), ("i,->i", (V3, np.array(2.0)))]:
        _same(*_both(torch, lambda lib, *ts: lib.einsum(eq, *ts), *arrays))


def test_einsum_result_does_not_alias_its_input():
    x = gradcore.tensor(M33)
    y = gradcore.einsum("ij->ji", x)
    y += 1
    np.testing.assert_array_equal(x.numpy(), M33)


@pytest.mark.parametrize("dims", [([0], [0]), 3, -1, ([1], [0, 1]), ([5], [0]), ([1, 1], [0, 0]),
                                  "x"])
def test_tensordot_errors_match_torch(torch, dims):
    _raises_like(torch, lambda lib, a, b: lib.tensordot(a, b, dims=dims), M23, np.ones((3, 4)))


def test_tensordot_dtype_and_ints(torch):
    _raises_like(torch, lambda lib, a, b: lib.tensordot(a, b, 1), M23.astype(np.float32), M32)
    ints = np.arange(6).reshape(2, 3)
    _same(*_both(torch, lambda lib, a, b: lib.tensordot(a, b, ([1], [1])), ints, ints))
    _same(*_both(torch, lambda lib, a, b: lib.inner(a, b), ints, ints))


def test_tensordot_out(torch):
    out = gradcore.empty(2, 2, dtype=gradcore.float64)
    res = gradcore.tensordot(gradcore.tensor(M23), gradcore.tensor(M32), 1, out=out)
    assert res is out
    np.testing.assert_allclose(out.numpy(), M23 @ M32)


def test_inner_and_vdot_errors_match_torch(torch):
    _raises_like(torch, lambda lib, a, b: lib.inner(a, b), M23, M32)
    _raises_like(torch, lambda lib, a, b: lib.vdot(a, b), M23, M23)
    _raises_like(torch, lambda lib, a, b: lib.vdot(a, b), V3, V3[:2])
    _raises_like(torch, lambda lib, a, b: lib.vdot(a, b), V3.astype(np.float32), V3)
    _same(*_both(torch, lambda lib, a, b: lib.inner(a, b), np.array(2.0), M23))


def test_chain_matmul_warns_and_multi_dot(torch):
    a, b = gradcore.tensor(M23), gradcore.tensor(M32)
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        res = gradcore.chain_matmul(a, b, a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.chain_matmul(torch.tensor(M23), torch.tensor(M32), torch.tensor(M23))
    _same(res, expected)
    for arrays in [(M23,), (np.ones((2, 2, 2)), M23), (M23, V3, M32), (M23, np.ones((2, 2)))]:
        _raises_like(torch, lambda lib, *ts: lib.linalg.multi_dot(list(ts)), *arrays)
    _raises_like(torch, lambda lib, a, b: lib.linalg.multi_dot([a, b]),
                 M23.astype(np.float32), M32)
    _same(*_both(torch, lambda lib, a, b: lib.linalg.multi_dot([a, b]), V3, V3))


@pytest.mark.parametrize("fn,arrays", [
    (lambda lib, c, a, b: lib.addmv(c, a, b), (np.ones(2), M23, np.ones(4))),
    (lambda lib, c, a, b: lib.addmv(c, a, b), (np.ones(3), M23, V3)),
    (lambda lib, c, a, b: lib.addmv(c, a, b), (np.ones(2), M23, V3.astype(np.float32))),
    (lambda lib, c, a, b: lib.addmv(c, a, b), (np.ones(2, np.float32), M23, V3)),
    (lambda lib, c, a, b: lib.addr(c, a, b), (M23, np.ones(2), np.ones(4))),
    (lambda lib, c, a, b: lib.addr(c, a, b), (M23, M23, V3)),
    (lambda lib, c, a, b: lib.baddbmm(c, a, b), (np.ones((2, 2, 2)), np.ones((2, 2, 3)),
                                                 np.ones((3, 3, 2)))),
    (lambda lib, c, a, b: lib.baddbmm(c, a, b), (np.ones((3, 2, 2)), np.ones((2, 2, 3)),
                                                 np.ones((2, 3, 2)))),
    (lambda lib, c, a, b: lib.baddbmm(c, a, b), (np.ones((2, 2, 2)), np.ones((2, 2, 3)),
                                                 np.ones((2, 3, 2), np.float32))),
    (lambda lib, c, a, b: lib.addbmm(c, a, b), (np.ones((3, 2)), np.ones((2, 2, 3)),
                                                np.ones((2, 3, 2)))),
])
def test_fused_multiply_add_errors_match_torch(torch, fn, arrays):
    _raises_like(torch, fn, *arrays)


def test_fused_multiply_adds_beta_zero_ignores_nan_and_promotion(torch):
    nan = np.full(2, np.nan)
    _same(*_both(torch, lambda lib, c, a, b: lib.addmv(c, a, b, beta=0), nan, M23, V3))
    _same(*_both(torch, lambda lib, c, a, b: c.addr(a, b, beta=0, alpha=2),
                 np.full((2, 3), np.nan), np.ones(2), V3))
    _same(*_both(torch, lambda lib, c, a, b: lib.addr(c, a, b), M23.astype(np.float32),
                 np.ones(2), V3))  # addr promotes
    ints = np.arange(12).reshape(2, 2, 3)
    _same(*_both(torch, lambda lib, c, a, b: lib.baddbmm(c, a, b), np.ones((2, 2, 2), np.int64),
                 ints, ints.transpose(0, 2, 1).copy()))


@pytest.mark.parametrize("arrays,p", [((V3, V3), 2.0), ((M23, np.ones((2, 4))), 2.0),
                                      ((M23, M23), -1), ((M23.astype(np.float32), M23), 2.0),
                                      ((np.ones((2, 3), np.int32),) * 2, 2.0),
                                      ((np.ones((2, 2, 3)), np.ones((3, 2, 3))), 2.0)])
def test_cdist_errors_match_torch(torch, arrays, p):
    _raises_like(torch, lambda lib, a, b: lib.cdist(a, b, p=p), *arrays)


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, float("inf")])
def test_cdist_values_and_equal_rows(torch, p):
    a = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
    b = np.array([[0.0, 1.0], [1.0, 1.0]])  # a[0] == b[0]: a zero distance
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ga, gb = gradcore.tensor(a, requires_grad=True), gradcore.tensor(b, requires_grad=True)
    t, g = torch.cdist(ta, tb, p=p), gradcore.cdist(ga, gb, p=p)
    _same(g.detach(), t.detach())
    t.sum().backward()
    g.sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(gb.grad.numpy(), tb.grad.numpy(), rtol=1e-6, atol=1e-12)
