"""The compiled random kernels (backend/jit.py, numba) against their NumPy twins and torch.

Each kernel must give its twin's bits (float64: glibc's log/cos/sin against NumPy's, within
2 ulp) and PyTorch's bits; draws below ``jit.MIN_SIZE`` and processes without numba take the
twins, so both paths are the same stream.
"""
import os

import numpy as np
import pytest

import gradcore
from gradcore.backend import avx_mathfun, jit, mt19937

numba = pytest.importorskip("numba")


@pytest.fixture
def kernels():
    if os.environ.get("GRADCORE_JIT", "1") == "0":
        pytest.skip("GRADCORE_JIT=0: the compiled kernels are off")
    k = jit.kernels()
    assert k is not None  # numba is importable here and GRADCORE_JIT is not 0
    return k


@pytest.fixture
def no_jit(monkeypatch):
    monkeypatch.setitem(jit._STATE, "k", None)


def _words(seed, n):
    """Random words plus the edges: u24 == 0 (u1 = 1: a zero radius), u24 = 2**24 - 1 (u1 =
    2**-24: the largest radius), u2 on the quadrant boundaries (0, 1/4, 1/2, 3/4) and next to
    them, placed at u1 and u2 positions of the blocks."""
    w = np.random.default_rng(seed).integers(0, 1 << 32, size=n, dtype=np.uint32)
    edges = np.array([0, 0xFFFFFF, 1, 0xFFFFFE, 1 << 22, (1 << 22) - 1, (1 << 22) + 1,
                      1 << 23, 3 << 22, (3 << 22) + 1, 0xFF000000, 0xFFFFFFFF], np.uint32)
    for j, e in enumerate(edges):
        w[16 * j + j % 8] = e  # u1 positions
        w[16 * (j + 20) + 8 + j % 8] = e  # u2 positions
        w[16 * (j + 40):16 * (j + 40) + 16] = e  # whole blocks
    return w


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.5, 2.0), (-3.0, 1e-3)])
def test_normal32_kernel_is_its_numpy_twin(kernels, mean, std):
    w = _words(1, 1 << 20)
    got = kernels.normal_words32(w, np.float32(mean), np.float32(std),
                                 np.empty(w.size, np.float32))
    want = avx_mathfun.normal_fill_16(mt19937._u24(w.copy()), mean, std)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
    assert np.isfinite(got).all()


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.3, 2.5)])
def test_normal64_kernel_against_numpy_twin(kernels, mean, std):
    if kernels.normal_words64 is None:
        pytest.skip("numba uses SVML here: the float64 kernel is off")
    w = _words(2, 1 << 18)
    got = kernels.normal_words64(w, mean, std, np.empty(w.size // 2))
    w64 = w.astype(np.uint64)
    u = (((w64[0::2] << np.uint64(32)) | w64[1::2]) & np.uint64((1 << 53) - 1)) * 2.0 ** -53
    want = mt19937._fill64(u, mean, std)
    _within_2ulp(got, want)
    assert (got == want).mean() > 0.99


def _within_2ulp(got, want):
    """2 last-bit steps of the values' scale (a step of log/cos/sin before ``* std + mean`` is
    a step of |std * z|, not of a result near 0)."""
    eps = 2 * np.finfo(want.dtype).eps
    np.testing.assert_allclose(got, want, rtol=eps, atol=eps * float(np.abs(want).max()))


def test_swap_shuffle_kernel_is_the_pointer_doubling_twin(kernels):
    for n in (2, 3, 17, 1000, 70_000):
        w = np.random.default_rng(n).integers(0, 1 << 32, size=n - 1, dtype=np.uint32)
        z = (w.astype(np.uint64) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64)
        want = mt19937._swap_shuffle(np.append(z + np.arange(n - 1), n - 1))
        got = kernels.swap_shuffle(w, n, np.empty(n, np.int64))
        np.testing.assert_array_equal(got, want)
        assert sorted(got.tolist()) == list(range(n))


def test_inside_out_kernel_is_the_loop(kernels):
    n = 5000
    r = np.random.default_rng(4).integers(0, 1 << 62, size=n, dtype=np.uint64)
    r %= np.arange(1, n + 1, dtype=np.uint64)
    a = [0] * n
    for i, z in enumerate(r.tolist()):
        a[i] = a[z]
        a[z] = i
    np.testing.assert_array_equal(kernels.inside_out(r, np.zeros(n, np.int64)), a)


def test_gradcore_jit_0_turns_the_kernels_off(monkeypatch):
    monkeypatch.setenv("GRADCORE_JIT", "0")
    monkeypatch.delitem(jit._STATE, "k", raising=False)
    assert jit.kernels() is None
    monkeypatch.delenv("GRADCORE_JIT")
    monkeypatch.delitem(jit._STATE, "k")
    assert jit.kernels() is not None


def _bits(t):
    a = t.numpy() if hasattr(t, "numpy") else t
    return a.view({4: np.int32, 8: np.int64, 2: np.int16}[a.itemsize])


@pytest.mark.parametrize("path", ["jit", "numpy"])
@pytest.mark.parametrize("dt,n,args", [
    ("float32", 10 ** 6 + 5, ()), ("float32", 70_001, (0.5, 2.0)),
    ("float64", 10 ** 6 + 5, ()), ("float64", 70_001, (0.3, 2.5)),
    ("float16", 100_003, ()),
])
def test_large_normals_are_torch_bits(torch, request, path, dt, n, args):
    if path == "numpy":
        request.getfixturevalue("no_jit")
    elif dt == "float64" and request.getfixturevalue("kernels").normal_words64 is None:
        pytest.skip("numba uses SVML here: the float64 kernel is off")
    torch.manual_seed(5)
    gradcore.manual_seed(5)
    t = torch.empty(n, dtype=getattr(torch, dt)).normal_(*args)
    g = gradcore.empty(n, dtype=getattr(gradcore, dt)).normal_(*args)
    if path == "numpy" and dt == "float64":  # NumPy's log/cos/sin: within 2 ulp of glibc's
        _within_2ulp(g.numpy(), t.numpy())
    else:
        np.testing.assert_array_equal(_bits(g), _bits(t))
    torch.manual_seed(5)
    gradcore.manual_seed(5)
    np.testing.assert_array_equal(gradcore.randperm(n).numpy(), torch.randperm(n).numpy())


@pytest.mark.parametrize("path", ["jit", "numpy"])
def test_zero_radius_gives_plus_zero_as_torch(torch, request, path):
    """Seed 12's word 411302 has u24 == 0 (u1 = 1, radius 0) and its block's sin is negative:
    PyTorch's final fma(x, std, mean) turns 0 * sin = -0.0 into +0.0."""
    if path == "numpy":
        request.getfixturevalue("no_jit")
    i, n = 411302, 411312
    s = mt19937.MT19937Stream(12)
    w = s.random(n)
    assert int(w[i]) & 0xFFFFFF == 0 and i % 16 < 8
    torch.manual_seed(12)
    gradcore.manual_seed(12)
    t, g = torch.randn(n), gradcore.randn(n)
    assert g[i + 8].item() == 0.0 and not np.signbit(g.numpy()[i + 8])
    np.testing.assert_array_equal(_bits(g), _bits(t))
