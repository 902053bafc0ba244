"""The two BLAS routes of ``ops.linalg._matmul``: a column times a row (inner dimension 1, a
batch of one's weight gradient) padded to an inner dimension of 2 so that BLAS runs it, and a
few rows times a large transposed matrix (Linear's forward at a small batch) computed as the
transposed product.  The first must give NumPy's plain matmul bit for bit (one product per
element), the second the same dot products within a GEMM's rounding bound (OpenBLAS may sum
them in another order), and the ops built on them PyTorch's values and gradients (float64
gradcheck at shapes that take each route)."""
import numpy as np
import pytest

import gradcore as gc
from gradcore.autograd import gradcheck
from gradcore.ops.linalg import _matmul


def _same_bits(a, b):
    return (a.shape == b.shape and a.dtype == b.dtype
            and np.array_equal(a.view(np.uint8), b.view(np.uint8)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((512, 1), (1, 784)), ((64, 1), (1, 64)),
                                    ((3, 128, 1), (3, 1, 40)), ((2, 100, 1), (1, 50))])
def test_column_times_row_is_numpys_product_bit_for_bit(dtype, shapes):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shapes[0]).astype(dtype)
    b = rng.standard_normal(shapes[1]).astype(dtype)
    # zeros of both signs, inf and nan: the padding's 0 * 0 term must change none of them
    a.reshape(-1)[:4] = [0.0, -0.0, np.inf, 1e-300 if dtype == np.float64 else 1e-30]
    b.reshape(-1)[:4] = [-0.0, np.nan, -np.inf, 1e-300 if dtype == np.float64 else 1e-30]
    with np.errstate(all="ignore"):
        assert a.shape[-2] * b.shape[-1] >= 4096  # the padded route
        assert _same_bits(_matmul(np, a, b), np.matmul(a, b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [(1, 784, 512), (4, 784, 512), (16, 256, 300), (3, 48, 5)])
def test_few_rows_times_transposed_matrix_is_numpys_product_to_rounding(dtype, m, k, n):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    assert m * 16 <= k  # the transposed route
    out = _matmul(np, x, w.T)
    assert out.flags.c_contiguous and out.shape == (m, n) and out.dtype == dtype
    # each of two GEMMs is within k * eps * (|x| @ |w|.T) of the exact sums (any order)
    bound = 2 * k * np.finfo(dtype).eps * (np.abs(x) @ np.abs(w).T)
    assert (np.abs(out - np.matmul(x, w.T)) <= bound).all()


@pytest.mark.parametrize("batch", [1, 2, 16])
def test_mlp_layer_at_small_batch_matches_torch(torch, batch):
    """Linear's forward (few rows: the transposed route) and its weight gradient (batch 1: a
    column times a row, the padded route) against PyTorch, float32."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    w = rng.standard_normal((128, 784)).astype(np.float32) * 0.05
    b = rng.standard_normal(128).astype(np.float32)
    gy = rng.standard_normal((batch, 128)).astype(np.float32)
    res = []
    for lib in (gc, torch):
        tx, tw, tb = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = lib.nn.functional.linear(tx, tw, tb)
        y.backward(lib.tensor(gy))
        assert y.is_contiguous() and tw.grad.is_contiguous()
        res.append([t.detach().numpy() for t in (y, tx.grad, tw.grad, tb.grad)])
    for a, t in zip(*res):
        np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-5)


def test_outer_products_through_mm_and_matmul_match_torch(torch):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((100, 1)), rng.standard_normal((1, 70))
    c, d = rng.standard_normal((4, 80, 1)), rng.standard_normal((4, 1, 60))
    for f in (lambda lib, p, q, r, s: lib.mm(p, q), lambda lib, p, q, r, s: r @ s):
        out = [f(lib, *(lib.tensor(v) for v in (a, b, c, d))).numpy() for lib in (gc, torch)]
        np.testing.assert_array_equal(*out)  # one product each: exact in both


def test_gradcheck_through_both_routes():
    rng = np.random.default_rng(4)
    # batch 1: forward x @ W.T by the transposed route, weight gradient by the padded one
    # (64 x 64 = 4096 outputs)
    x = gc.tensor(rng.standard_normal((1, 64)), requires_grad=True)
    w = gc.tensor(rng.standard_normal((64, 64)), requires_grad=True)
    b = gc.tensor(rng.standard_normal(64), requires_grad=True)
    assert gradcheck(gc.nn.functional.linear, (x, w, b))
    p = gc.tensor(rng.standard_normal((70, 1)), requires_grad=True)
    q = gc.tensor(rng.standard_normal((1, 60)), requires_grad=True)
    assert gradcheck(gc.mm, (p, q))
