"""linalg.matrix_exp and linalg.householder_product against PyTorch beyond the OpInfo
entries (tests/op_db_contraction.py): batches mixing small and large norms (each matrix its
own scaling), float32, empty inputs, and PyTorch's errors."""
import numpy as np
import pytest

import gradcore as gc


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 2e-5)])
def test_matrix_exp_batch_of_mixed_norms(torch, dtype, rtol):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 5, 5)) * np.array([1e-3, 0.5, 4.0, 30.0])[:, None, None]
    a = a.astype(dtype)
    ours = gc.linalg.matrix_exp(gc.tensor(a)).numpy()
    theirs = torch.linalg.matrix_exp(torch.tensor(a)).numpy()
    assert ours.dtype == theirs.dtype
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=rtol, atol=rtol * np.abs(t).max())


def test_matrix_exp_identities():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 3))
    skew = a - a.T  # exp of a skew-symmetric matrix is orthogonal
    q = gc.linalg.matrix_exp(gc.tensor(skew)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-13)
    d = gc.linalg.matrix_exp(gc.tensor(np.diag([1.0, -2.0, 0.5]))).numpy()
    np.testing.assert_allclose(d, np.diag(np.exp([1.0, -2.0, 0.5])), rtol=1e-14)
    assert gc.linalg.matrix_exp(gc.zeros(2, 0, 0)).shape == (2, 0, 0)


def test_matrix_exp_second_order(torch):
    a = np.random.default_rng(2).standard_normal((3, 3))
    ta, ga = torch.tensor(a, requires_grad=True), gc.tensor(a, requires_grad=True)
    for lib, x in ((torch, ta), (gc, ga)):
        g, = lib.autograd.grad(lib.linalg.matrix_exp(x).sin().sum(), x, create_graph=True)
        (g ** 2).sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-10)


def test_householder_product_is_qr_q(torch):
    """geqrf's reflectors (from PyTorch) give back linalg.qr's Q."""
    a = torch.tensor(np.random.default_rng(3).standard_normal((2, 5, 3)))
    refl, tau = torch.geqrf(a)
    q = gc.linalg.householder_product(gc.tensor(refl.numpy()), gc.tensor(tau.numpy()))
    np.testing.assert_allclose(q.numpy(), torch.linalg.qr(a).Q.numpy(), atol=1e-13)
    np.testing.assert_allclose(q.numpy(), torch.linalg.householder_product(refl, tau).numpy(),
                               atol=1e-14)


def _same_error(tfn, gfn):
    with pytest.raises(Exception) as te:
        tfn()
    with pytest.raises(type(te.value)) as ge:
        gfn()
    assert str(ge.value) == str(te.value)


@pytest.mark.parametrize("args", [((2, 3),), ((3,),), ((2, 2), "int64")])
def test_matrix_exp_errors(torch, args):
    shape, dtype = args[0], (args[1] if len(args) > 1 else "float32")
    _same_error(lambda: torch.linalg.matrix_exp(torch.ones(shape, dtype=getattr(torch, dtype))),
                lambda: gc.linalg.matrix_exp(gc.ones(shape, dtype=getattr(gc, dtype))))


@pytest.mark.parametrize("a,t,dtypes", [((2, 3), (1,), None), ((3, 2), (3,), None),
                                        ((3,), (1,), None), ((2, 3, 2), (3, 1), None),
                                        ((3, 2), (2,), ("float32", "float64")),
                                        ((3, 2), (2,), ("int64", "int64")),
                                        ((3, 2), (2,), ("float16", "float16")),
                                        ((2, 3, 2), (2,), None)])
def test_householder_product_errors(torch, a, t, dtypes):
    da, dt = dtypes or ("float32", "float32")
    def call(lib):
        return lib.linalg.householder_product(lib.ones(a, dtype=getattr(lib, da)),
                                              lib.ones(t, dtype=getattr(lib, dt)))

    _same_error(lambda: call(torch), lambda: call(gc))


def test_torch_matrix_exp_and_the_method(torch):
    a = np.random.default_rng(4).standard_normal((2, 3, 3))
    ta, ga = torch.tensor(a, requires_grad=True), gc.tensor(a, requires_grad=True)
    for lib, x in ((torch, ta), (gc, ga)):
        (lib.matrix_exp(input=x) * 2 + x.matrix_exp()).sum().backward()
    assert type(ga.matrix_exp().grad_fn).__name__ == type(ta.matrix_exp().grad_fn).__name__
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
    _same_error(lambda: torch.matrix_exp(torch.ones(2, 3)), lambda: gc.matrix_exp(gc.ones(2, 3)))
