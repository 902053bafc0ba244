"""gradcore.linalg beyond the op registry: LinAlgError and the other errors with PyTorch's
messages, the namedtuple results, non-differentiable results (matrix_rank, lstsq's rank, qr's
mode='r'), against PyTorch."""
import math

import numpy as np
import pytest

import gradcore
from test_contraction import _raises_like, _same

L = gradcore.linalg
R = np.random.default_rng(1)
M33, M23 = R.standard_normal((3, 3)), R.standard_normal((2, 3))
EYE = np.eye(3)
SINGULAR_BATCH = np.stack([EYE, np.zeros((3, 3))])
DUP_ROWS = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])


def test_linalg_error_is_a_runtime_error():
    assert issubclass(L.LinAlgError, RuntimeError)


@pytest.mark.parametrize("fn,arrays", [
    (lambda lib, a: lib.linalg.inv(a), (np.zeros((3, 3)),)),
    (lambda lib, a: lib.linalg.inv(a), (SINGULAR_BATCH,)),
    (lambda lib, a: lib.linalg.inv(a), (DUP_ROWS,)),
    (lambda lib, a: lib.linalg.matrix_power(a, -1), (np.zeros((3, 3)),)),
    (lambda lib, a, b: lib.linalg.solve(a, b), (np.zeros((3, 3)), EYE)),
    (lambda lib, a, b: lib.linalg.solve(a, b), (SINGULAR_BATCH, EYE)),
    (lambda lib, a: lib.linalg.cholesky(a), (-EYE,)),
    (lambda lib, a: lib.linalg.cholesky(a), (np.stack([EYE, np.diag([1.0, 1.0, -1.0])]),)),
])
def test_singular_and_indefinite_raise_linalg_error(torch, fn, arrays):
    err = _raises_like(torch, fn, *arrays)
    assert isinstance(err, L.LinAlgError)


@pytest.mark.parametrize("fn,arrays", [
    (lambda lib, a: lib.linalg.inv(a), (M23,)), (lambda lib, a: lib.linalg.inv(a), (M23[0],)),
    (lambda lib, a: lib.linalg.det(a), (M23,)),
    (lambda lib, a: lib.linalg.det(a), (np.ones((3, 3), np.int64),)),
    (lambda lib, a: lib.linalg.inv(a), (np.ones((3, 3), np.int64),)),
    (lambda lib, a, b: lib.linalg.solve(a, b), (EYE, np.ones(4))),
    (lambda lib, a, b: lib.linalg.solve(a, b), (EYE.astype(np.float32), np.ones((3, 4)))),
    (lambda lib, a: lib.linalg.cholesky(a), (M23,)),
    (lambda lib, a: lib.linalg.eigh(a), (M23,)),
    (lambda lib, a: lib.linalg.eigh(a, UPLO="X"), (EYE,)),
    (lambda lib, a: lib.linalg.svd(a), (M23[0],)),
    (lambda lib, a: lib.linalg.qr(a), (M23[0],)),
    (lambda lib, a: lib.linalg.qr(a, mode="x"), (EYE,)),
    (lambda lib, a: lib.linalg.matrix_power(a, 2), (M23,)),
    (lambda lib, a, b: lib.linalg.cross(a, b), (np.ones((2, 4)), np.ones((2, 4)))),
    (lambda lib, a, b: lib.linalg.cross(a, b), (np.ones(3), np.ones((2, 3)))),
    (lambda lib, a: lib.linalg.vector_norm(a), (np.ones(3, np.int64),)),
    (lambda lib, a: lib.linalg.matrix_norm(a), (np.ones(3),)),
    (lambda lib, a: lib.linalg.matrix_norm(a, 3), (EYE,)),
    (lambda lib, a: lib.linalg.matrix_norm(a, "abc"), (EYE,)),
    (lambda lib, a: lib.linalg.norm(a, 2), (np.ones((2, 2, 2)),)),
    (lambda lib, a: lib.linalg.norm(a, "fro", dim=0), (EYE,)),
    (lambda lib, a, b: lib.linalg.lstsq(a, b), (EYE, np.ones((4, 2)))),
    (lambda lib, a: lib.linalg.pinv(a), (np.ones(3, np.float32),)),
    (lambda lib, a: lib.linalg.slogdet(a), (M23,)),
    (lambda lib, a: lib.linalg.eigvalsh(a), (M23,)),
])
def test_errors_match_torch(torch, fn, arrays):
    _raises_like(torch, fn, *arrays)


def test_namedtuples_match_torch(torch):
    A = M33 + 3 * EYE
    spd = A @ A.T + EYE
    for name, fields, arg in [("slogdet", ("sign", "logabsdet"), A), ("qr", ("Q", "R"), A),
                              ("eigh", ("eigenvalues", "eigenvectors"), spd),
                              ("svd", ("U", "S", "Vh"), A)]:
        g = getattr(L, name)(gradcore.tensor(arg))
        t = getattr(torch.linalg, name)(torch.tensor(arg))
        assert g._fields == fields
        assert type(g).__name__ == type(t).__name__
        _same(getattr(g, fields[0]), getattr(t, fields[0]))
        _same(getattr(g, fields[1]), getattr(t, fields[1]))


def test_slogdet_of_a_negative_determinant(torch):
    A = np.diag([1.0, -2.0, 3.0])
    g, t = L.slogdet(gradcore.tensor(A)), torch.linalg.slogdet(torch.tensor(A))
    _same(g.sign, t.sign)
    _same(g.logabsdet, t.logabsdet)


def test_qr_modes(torch):
    A = R.standard_normal((4, 2))
    for mode in ("reduced", "complete", "r"):
        g, t = L.qr(gradcore.tensor(A), mode=mode), torch.linalg.qr(torch.tensor(A), mode=mode)
        _same(g.Q, t.Q)
        _same(g.R, t.R)
    x = gradcore.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        L.qr(x, mode="r").R.sum().backward()


def test_lstsq_fields_and_matrix_rank(torch):
    A, B = R.standard_normal((4, 3)), R.standard_normal((4, 2))
    g, t = L.lstsq(gradcore.tensor(A), gradcore.tensor(B)), torch.linalg.lstsq(
        torch.tensor(A), torch.tensor(B))
    for a, b in zip(g, t):
        _same(a, b)
    low = A[:, :1] @ R.standard_normal((1, 3))  # rank 1
    for arr, kw in [(A, {}), (low, {}), (np.zeros((2, 2)), {}), (low, {"atol": 10.0}),
                    (A, {"rtol": 0.5}), (np.stack([A, low]), {})]:
        _same(L.matrix_rank(gradcore.tensor(arr), **kw), torch.linalg.matrix_rank(
            torch.tensor(arr), **kw))


def test_pinv_of_a_rank_deficient_matrix(torch):
    low = R.standard_normal((3, 1)) @ R.standard_normal((1, 4))
    _same(L.pinv(gradcore.tensor(low)), torch.linalg.pinv(torch.tensor(low)))


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
def test_matrix_norm_orders_keepdim_and_dims(torch, ord):
    A = R.standard_normal((2, 3, 4))
    kw = {} if ord is None else {"ord": ord}
    for dim, keepdim in [((-2, -1), False), ((0, 2), True), ((2, 0), False)]:
        g = L.matrix_norm(gradcore.tensor(A), dim=dim, keepdim=keepdim, **kw) if ord else None
        if g is not None:
            _same(g, torch.linalg.matrix_norm(torch.tensor(A), dim=dim, keepdim=keepdim, **kw))
        _same(L.norm(gradcore.tensor(A), dim=dim, keepdim=keepdim, **kw),
              torch.linalg.norm(torch.tensor(A), dim=dim, keepdim=keepdim, **kw))


def test_vector_norm_dtype_and_out(torch):
    x = R.standard_normal((2, 3)).astype(np.float32)
    _same(L.vector_norm(gradcore.tensor(x), 3, dtype=gradcore.float64),
          torch.linalg.vector_norm(torch.tensor(x), 3, dtype=torch.float64))
    out = gradcore.empty(3, 3, dtype=gradcore.float64)
    assert L.inv(gradcore.tensor(M33 + 3 * EYE), out=out) is out
    np.testing.assert_allclose(out.numpy(), np.linalg.inv(M33 + 3 * EYE))


def test_matrix_power_zero_is_a_copy_with_zero_gradient(torch):
    x = gradcore.tensor(M33, requires_grad=True)
    y = L.matrix_power(x, 0)
    np.testing.assert_array_equal(y.detach().numpy(), EYE)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 3)))
