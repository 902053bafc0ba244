"""The compiled CPU paths of the special functions, scans and selections (issue 15) against
their NumPy twins and against PyTorch: ops/special_jit.py (erf, erfc, lgamma, digamma,
polygamma, erfinv), ops/scan_jit.py (cummax, cummin, logcumsumexp), cumprod's O(n) array
backward, the partition-based topk / kthvalue / median (ops/sorting.py) and topk's loop
(ops/sorting_jit.py)."""
import numpy as np
import pytest

import gradcore
from gradcore.ops import scan, scan_jit, sorting, sorting_jit, special, special_jit
from gradcore.ops import unary_math as U

# the kernels' own tests need numba (and no GRADCORE_JIT=0); the rest hold on either path
needs_kernels = pytest.mark.skipif(special_jit.numba_module() is None,
                                   reason="numba not installed or GRADCORE_JIT=0")

EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-310, -2.2e-308,
                  1e-300, 1e300, -1e300, 1e17, 12.999999, 13.0, 3.0, 2.0, 1.0, 0.5, 1.5, 2.5,
                  -0.5, -1.0, -2.0, -3.0, -1e-9, -2.5, -170.5, 171.7, 1.4616321449683622,
                  8.0, 7.999999, 28.0, 27.5, 10.0, -10.0, 0.999999, 1.000001])
UNIT = np.array([0.0, -0.0, 1.0, -1.0, 1.0 - 2 ** -53, -(1.0 - 2 ** -53), 0.5, -0.5, 0.9999,
                 1.5, -2.0, np.inf, -np.inf, np.nan, 5e-324, 1e-300, 1 - 1e-7, 1 - 1e-12])


def _samples(rng):
    return np.concatenate([EDGES, rng.uniform(-30, 30, 4000), rng.uniform(0, 3, 4000),
                           -np.arange(0.0, 40.0), rng.uniform(-40, 0, 1000)])


def _agree(got, want, ulps):
    """Equal where the twin is not finite (NaN as NaN), within ``ulps`` of it elsewhere (the
    kernels' libm exp/log against NumPy's; larger near the zeros of lgamma below 0, where
    the reflection cancels: an absolute float64 eps there)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    bad = ~np.isfinite(want)
    np.testing.assert_array_equal(got[bad], want[bad])
    g, w = got[~bad].astype(np.float64), want[~bad].astype(np.float64)
    tol = ulps * np.spacing(np.abs(want[~bad])).astype(np.float64)
    assert (np.abs(g - w) <= np.maximum(tol, 4 * np.finfo(want.dtype).eps * 1e-2)).all(), \
        np.abs(g - w).max()


KERNELS = [("erf", special.erf_array), ("erfc", special.erfc_array),
           ("lgamma", U.lgamma_array), ("digamma", U.digamma_array)]


@needs_kernels
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,fn", KERNELS, ids=[k[0] for k in KERNELS])
def test_kernels_match_their_numpy_twins(rng, name, fn, dtype):
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        x = _samples(rng).astype(dtype)
    got = fn(np, x)
    assert special_jit.kernels("gamma" if "gamma" in name else "erf", None) is not None
    want = fn.twin(np, x)
    near_lgamma_zero = (x < 0) & (np.abs(want) < 1e-2) if name == "lgamma" else None
    if near_lgamma_zero is not None:  # absolute there: the reflection's cancellation
        np.testing.assert_allclose(got[near_lgamma_zero], want[near_lgamma_zero], atol=1e-15)
        got, want = got[~near_lgamma_zero], want[~near_lgamma_zero]
    _agree(got, want, 4)


@needs_kernels
@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_polygamma_kernel_matches_its_twin(rng, n):
    x = _samples(rng)
    _agree(U.polygamma_array(np, x, n), U._polygamma_twin(np, x, n), 4)


@needs_kernels
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_erfinv_kernel_matches_its_twin(rng, dtype):
    y = np.concatenate([UNIT, rng.uniform(-1, 1, 4000), 1 - np.logspace(-16, -1, 500),
                        -(1 - np.logspace(-16, -1, 500))]).astype(dtype)
    got, want = U.erfinv_array(np, y), U._erfinv_twin(np, y)
    np.testing.assert_array_equal(np.signbit(got[~np.isnan(want)]),
                                  np.signbit(want[~np.isnan(want)]))
    _agree(got, want, 4)


@pytest.mark.parametrize("name", ["erf", "erfc", "lgamma", "digamma", "erfinv"])
def test_kernels_match_torch(torch, rng, name):
    x = (rng.uniform(-1, 1, 3000) if name == "erfinv" else rng.uniform(-8, 30, 3000))
    x = np.concatenate([x, UNIT if name == "erfinv" else EDGES[np.abs(EDGES) < 1e16]])
    for dtype, rtol in (("float64", 1e-13), ("float32", 2e-6)):
        a = x.astype(dtype)
        got = getattr(gradcore, name)(gradcore.tensor(a)).numpy()
        want = getattr(torch, name)(torch.tensor(a)).numpy()
        fin = np.isfinite(want) & ~((name in ("lgamma", "digamma")) & (a < 0))
        np.testing.assert_array_equal(np.isnan(got[~fin]), np.isnan(want[~fin]))
        np.testing.assert_allclose(got[fin], want[fin], rtol=rtol, atol=rtol)


def test_without_numba_the_twins_run(monkeypatch, rng):
    """GRADCORE_JIT=0 (numba_module() None): the array code itself, bit for bit."""
    x = rng.uniform(-5, 5, 100)
    monkeypatch.setattr(special_jit, "_STATE", {"numba": None})
    monkeypatch.setattr(scan_jit, "_STATE", {})
    np.testing.assert_array_equal(special.erf_array(np, x), special._erf_twin(np, x))
    np.testing.assert_array_equal(U.lgamma_array(np, x), U._lgamma_twin(np, x))
    np.testing.assert_array_equal(U.polygamma_array(np, x, 2), U._polygamma_twin(np, x, 2))
    assert scan_jit.running(x, 0, True) is None and scan_jit.logcumsumexp(x, 0) is None
    v, i = gradcore.cummax(gradcore.tensor(x), 0)
    np.testing.assert_array_equal(v.numpy(), np.maximum.accumulate(x))


# ---- scans ---------------------------------------------------------------------------------

def _ties_and_nans(rng, shape, dtype):
    a = rng.integers(-3, 4, shape).astype(np.float64)
    if np.dtype(dtype).kind == "f":
        a[rng.random(shape) < 0.15] = np.nan
        a[rng.random(shape) < 0.1] = -0.0
    return a.astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_kernels_match_torch_bit_for_bit(torch, rng, name, dtype):
    for shape in [(7,), (5, 9), (3, 4, 6), (2, 0, 3)]:
        a = _ties_and_nans(rng, shape, dtype)
        for dim in range(len(shape)):
            t = getattr(torch, name)(torch.tensor(a), dim)
            x = gradcore.tensor(a, requires_grad=np.dtype(dtype).kind == "f")
            g = getattr(gradcore, name)(x, dim)
            values = g.values.detach().numpy()
            np.testing.assert_array_equal(values, t.values.numpy())
            np.testing.assert_array_equal(np.signbit(values), np.signbit(t.values.numpy()))
            np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())
            if x.requires_grad:
                w = rng.standard_normal(shape).astype(dtype)
                tx = torch.tensor(a, requires_grad=True)
                getattr(torch, name)(tx, dim).values.backward(torch.tensor(w))
                g.values.backward(gradcore.tensor(w))
                np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
            twin = scan._running(np, "maximum" if name == "cummax" else "minimum", a, dim)
            np.testing.assert_array_equal(values, twin)


@needs_kernels
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_logcumsumexp_kernel_is_torchs_loop(torch, rng, dtype):
    """PyTorch sums in float64 for float32 too: the same bits; the doubling twin is within a
    few ulp."""
    for shape, dim in [((7, 33), 1), ((7, 33), 0), ((3, 4, 50), 1), ((0, 3), 0)]:
        a = (rng.standard_normal(shape) * 10).astype(dtype)
        if a.size:
            a.flat[:4] = [np.inf, -np.inf, np.nan, -np.inf]
        got = gradcore.logcumsumexp(gradcore.tensor(a), dim).numpy()
        np.testing.assert_array_equal(got, torch.logcumsumexp(torch.tensor(a), dim).numpy())
        b = (rng.standard_normal(shape) * 10).astype(dtype)
        twin = scan._scan(np, (b,), dim, lambda xp, e, l: (np.logaddexp(e[0], l[0]),))[0]
        eps = np.finfo(dtype).eps  # absolute near 0: log-add-exp's rounding is of its terms
        np.testing.assert_allclose(scan_jit.logcumsumexp(b, dim), twin, rtol=8 * eps,
                                   atol=8 * eps * (np.abs(b).max() if b.size else 0))


def test_cumprod_backward_with_many_zeros_matches_torch(torch, rng):
    """The O(n) array backward (a zero every few elements: the old recursion went one level
    per zero) against torch's, and against the differentiable Tensor-level backward bit for
    bit (create_graph=True takes that one)."""
    a = rng.standard_normal((16, 200))
    a[rng.random(a.shape) < 0.2] = 0.0
    a[3] = 0.0
    w = rng.standard_normal(a.shape)
    for dim in (0, 1):
        x = gradcore.tensor(a, requires_grad=True)
        y = gradcore.cumprod(x, dim)
        g1, = gradcore.autograd.grad(y, x, gradcore.tensor(w), retain_graph=True)
        g2, = gradcore.autograd.grad(y, x, gradcore.tensor(w), create_graph=True)
        np.testing.assert_array_equal(g1.numpy(), g2.detach().numpy())
        tx = torch.tensor(a, requires_grad=True)
        torch.cumprod(tx, dim).backward(torch.tensor(w))
        np.testing.assert_allclose(g1.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_cumprod_double_backward_through_zeros():
    x = gradcore.tensor([[2.0, 0.0, 3.0, 0.0, 1.5, 0.7], [0.0, 1.2, 0.0, 0.9, 0.0, 2.0]],
                        dtype=gradcore.float64, requires_grad=True)
    assert gradcore.autograd.gradgradcheck(lambda t: gradcore.cumprod(t, 1), (x,))


# ---- selections: the partition path (slices of 64 and more) ------------------------------

def _stable(a, axis, largest=False):
    return sorting._order(np, a, axis, largest)


@pytest.mark.parametrize("compiled", [True, False], ids=["topk-loop", "partition"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_partition_selections_are_the_stable_orders(rng, monkeypatch, dtype, compiled):
    """topk, kthvalue and median's indices by partition (and topk's compiled loop) are the
    stable sort's (ties to the earlier index, NaN last), also with many ties and NaNs."""
    if not compiled:
        monkeypatch.setattr(sorting_jit, "_STATE", {"k": None})
    for shape, axis in [((5, 130), 1), ((130, 4), 0), ((3, 70, 2), 1), ((200,), 0)]:
        a = _ties_and_nans(rng, shape, dtype)
        n = shape[axis]
        for k in (1, 2, 7, n - 1):
            for largest in (True, False):
                np.testing.assert_array_equal(
                    sorting._top(np, a, axis, k, largest),
                    sorting._slab(_stable(a, axis, largest), axis, 0, k))
        for posf in (sorting._median_pos, sorting._nanmedian_pos):
            pos = posf(np, a, axis)
            np.testing.assert_array_equal(sorting._at_positions(np, a, axis, pos),
                                          np.take_along_axis(_stable(a, axis), pos, axis))


def test_partition_selections_match_torch(torch, rng):
    a = rng.permutation(256 * 96).reshape(256, 96).astype(np.float32)
    t, g = torch.tensor(a), gradcore.tensor(a)
    for f in (lambda m: m.topk(3, 1), lambda m: m.topk(5, 0, largest=False),
              lambda m: m.kthvalue(40, 1), lambda m: m.median(0), lambda m: m.nanmedian(1)):
        want, got = f(t), f(g)
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    np.testing.assert_array_equal(g.median().numpy(), t.median().numpy())
