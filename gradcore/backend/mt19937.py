"""PyTorch's CPU generator on NumPy: its mt19937 stream and its transforms to each distribution.

The stream is NumPy's ``MT19937`` bit generator seeded as PyTorch seeds ``at::mt19937`` (the
low 32 bits of the seed through ``init_genrand``: ``_legacy_seeding``); its 32-bit outputs
come in bulk from ``Generator.integers`` over the whole uint32 range (one word each).
PyTorch's ``random()`` is one word, ``random64()`` two (the first is the high half).  Over
them, PyTorch's transforms (ATen's TransformationHelper.h, DistributionsHelper.h,
cpu/DistributionTemplates.h, TensorFactories.cpp; where the installed torch 2.13 differs from
the source read, its behaviour was followed and is noted), drawn in bulk and vectorised:

- uniform: float32 and float16 ``(random() & (2**24 - 1)) * 2**-24`` (float16: rounded, a
  draw that rounds to ``to`` becomes ``from``), float64 ``(random64() & (2**53 - 1)) *
  2**-53``; ``x * (to - from) + from`` fused (one rounding).
- normal, 16 or more elements: uniform-filled, then Box-Muller in blocks of 16 (the last 16
  recomputed from 16 fresh draws when the size is no multiple of 16; float16: the leftover
  uniforms padded with fresh ones); float32 and float16 through avx_mathfun.py (PyTorch's AVX2
  kernel), float64 through libm-style log/sin/cos.
- normal, fewer than 16: PyTorch's scalar ``normal_distribution<double>``: pairs of float64
  uniforms, r cos(theta) returned and r sin(theta) kept for the next draw (the cache is part
  of the state, cleared by manual_seed).
- randint/random_(from, to): ``random() % range + from``, ``random64()`` for ranges of 2**28
  and up; random_(): each dtype's modulus; randperm: PyTorch's swap shuffle with
  ``random() % (n - i)`` below 2**32 / 20 elements, its inside-out shuffle with random64 above.
- bernoulli (float64 uniform < p; float32 uniforms for float32 p tensors), exponential
  ``-1/lambda * log1p(-u)``, cauchy, geometric, log-normal (the scalar normal), multinomial
  (the exponential race / the inverse-CDF binary search) as PyTorch's CPU kernels.

``get_state`` / ``set_state`` use PyTorch's 5056-byte ``CPUGeneratorImplState`` layout, so a
state moves between gradcore and torch.  poisson and standard_gamma draw from NumPy's samplers
over the same bit generator (deterministic, not PyTorch's numbers).
"""
import math
from fractions import Fraction

import numpy as np

from .. import _dtype
from . import jit
from .avx_mathfun import normal_fill_16

f32, f64 = np.float32, np.float64
_U64 = np.uint64
_PERM_SMALL = 0xFFFF_FFFF // 20  # randperm: below this size, the swap shuffle with random()
STATE_SIZE = 5056
_STATE = np.dtype([("seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
                   ("state", "<u8", 624), ("normal_x", "<f8"), ("normal_y", "<f8"),
                   ("normal_rho", "<f8"), ("normal_is_valid", "<i4"), ("pad", "<i4"),
                   ("next_float", "<f4"), ("float_valid", "u1"), ("pad2", "u1", 3)])
assert _STATE.itemsize == STATE_SIZE


def _fma64(a, b, c):
    """float64 a * b + c with the product's rounding error kept (Dekker's split and
    two-sum): the fused result but for rare last-bit ties.  A ``b`` so large that the split
    would overflow (|b| > 2**995) is scaled down by 2**64 and the result back up (exact)."""
    if abs(b) > 2.0 ** 995:  # b is a Python float here
        return _fma64(a, b * 2.0 ** -64, c * 2.0 ** -64) * 2.0 ** 64
    p = a * b
    sa = a * 134217729.0
    ah = sa - (sa - a)
    al = a - ah
    sb = b * 134217729.0
    bh = sb - (sb - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    t = (p - (s - bb)) + (c - bb)
    return s + (t + e)


def _fma_exact(a, b, c):
    """Python floats: a * b + c correctly rounded (math.fma before Python 3.13)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def _u24(w):
    """float32 uniforms from words: ``(w & (2**24 - 1)) * 2**-24`` (``w`` is consumed)."""
    w &= np.uint32(0xFFFFFF)
    u = w.view(np.int32).astype(f32)
    u *= f32(2.0 ** -24)
    return u


def _normal_words32(w, mean, std):
    """PyTorch's float32 normals from mt19937 words (a multiple of 16; consumed): the compiled
    kernel for large draws when numba is there, else avx_mathfun's NumPy passes (the same
    bits)."""
    k = jit.kernels() if w.size >= jit.MIN_SIZE else None
    if k is None:
        return normal_fill_16(_u24(w), mean, std)
    return k.normal_words32(w, f32(mean), f32(std), np.empty(w.size, f32))


def _fill64(u, mean, std):
    """PyTorch's float64 Box-Muller per block of 16 on NumPy (NumPy's log/cos/sin differ from
    glibc's, which PyTorch calls, in the last bit now and then: the compiled kernel calls
    glibc's)."""
    d = u.reshape(-1, 16)
    radius = np.sqrt(-2.0 * np.log(1.0 - d[:, :8]))
    theta = (2.0 * np.pi) * d[:, 8:]
    out = np.empty_like(d)
    out[:, :8] = radius * np.cos(theta)
    out[:, 8:] = radius * np.sin(theta)
    out = out.reshape(-1)
    if mean != 0 or std != 1:
        out = _fma64(out, float(std), float(mean))
    return out


def _normal_words64(w, mean, std):
    """PyTorch's float64 normals from mt19937 words (two per value): compiled for large draws
    when numba is there (bit for bit PyTorch's), else ``_fill64``."""
    k = jit.kernels() if w.size >= jit.MIN_SIZE else None
    if k is None or k.normal_words64 is None:
        w = w.astype(_U64)
        u = (((w[0::2] << _U64(32)) | w[1::2]) & _U64((1 << 53) - 1)).astype(f64) * 2.0 ** -53
        return _fill64(u, mean, std)
    return k.normal_words64(w, float(mean), float(std), np.empty(w.size // 2, f64))


def _swap_shuffle(z):
    """The array left by ``for i: a[i], a[z[i]] = a[z[i]], a[i]`` on a = arange(n) (z[i] >= i),
    without the loop.  Position i is final after step i, holding what position z[i] held just
    before it: the value v[j] that the last earlier step j aimed at z[i] moved there, else z[i]
    itself; and v[j], what position j held before step j, is v[k] of the last earlier step k
    aimed at j, else j -- chains followed by pointer doubling."""
    n = z.size
    idx = np.arange(n)
    last_into = np.full(n, -1, dtype=np.int64)  # last step k < j with z[k] == j (k != j)
    moved = z != idx
    np.maximum.at(last_into, z[moved], idx[moved])
    v = np.where(last_into >= 0, last_into, idx)
    while True:
        nxt = v[v]
        if np.array_equal(nxt, v):
            break
        v = nxt
    order = np.argsort(z, kind="stable")  # steps grouped by target, in step order
    same = z[order[1:]] == z[order[:-1]]
    prev = np.full(n, -1, dtype=np.int64)  # the last earlier step with the same target
    prev[order[1:][same]] = order[:-1][same]
    return np.where(prev >= 0, v[np.maximum(prev, 0)], z)


class MT19937Stream:
    """The CPU generator's state (mt19937 plus PyTorch's cached normal) and its draws."""

    xp = np

    def __init__(self, seed):
        self.manual_seed(seed)

    def manual_seed(self, seed):
        bg = np.random.MT19937()
        bg._legacy_seeding(int(seed) & 0xFFFF_FFFF)  # std::mt19937's init_genrand
        self._bg = bg
        self._np = np.random.Generator(bg)
        self._fresh = True  # PyTorch's `next` is 0 until the first draw
        self.normal_cache = None  # normal_distribution<double>'s second value
        self.float_cache = None
        self.seed = int(seed)

    # ---- raw draws ------------------------------------------------------------------------
    def random(self, n):
        """n 32-bit draws (uint32: the bit generator's next_uint32, one word each)."""
        self._fresh = False
        return self._np.integers(0, 1 << 32, size=n, dtype=np.uint32)

    def random64(self, n):
        w = self.random(2 * n).astype(_U64)
        return (w[0::2] << _U64(32)) | w[1::2]

    def u24(self, n):
        return _u24(self.random(n))

    def u53(self, n):
        return (self.random64(n) & _U64((1 << 53) - 1)).astype(f64) * (2.0 ** -53)

    # ---- uniform ------------------------------------------------------------------------
    def uniform(self, shape, dtype, low=0.0, high=1.0):
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        if dtype == f64:
            x = self.u53(n)
            if (low, high) != (0.0, 1.0):
                x = _fma64(x, high - low, low)
        elif _dtype.is_reduced(dtype):  # float32's 24 bits, the bounds and their difference
            x = self.u24(n)  # in half (bfloat16 alike)
            a, b = dtype.type(low), dtype.type(high)
            if (low, high) != (0.0, 1.0):
                x = (x.astype(f64) * f32(b - a) + f32(a)).astype(f32)
            x = x.astype(dtype)
            x[x == b] = a  # a draw rounded up to `to` becomes `from`, as PyTorch's
        else:
            x = self.u24(n)
            if (low, high) != (0.0, 1.0):
                a, b = f32(low), f32(high)
                x = (x.astype(f64) * (b - a) + a).astype(f32)
        return x.astype(dtype, copy=False).reshape(shape)

    def rand(self, shape, dtype):
        return self.uniform(shape, dtype)

    # ---- normal -------------------------------------------------------------------------
    def _scalar_normals(self, n, mean, std):
        """PyTorch's normal_distribution<double>, n times (the cache first)."""
        out = []
        if n and self.normal_cache is not None:
            out.append(self.normal_cache)
            self.normal_cache = None
        pairs = (n - len(out) + 1) // 2
        if pairs:
            u = self.u53(2 * pairs)
            u1, u2 = u[0::2], u[1::2]
            if pairs <= 32:  # libm's log1p/cos/sin, as PyTorch's (NumPy's may differ by 1 ulp)
                for a, b in zip(u1.tolist(), u2.tolist()):
                    r = math.sqrt(-2.0 * math.log1p(-b))
                    th = 2.0 * math.pi * a
                    out += [r * math.cos(th), r * math.sin(th)]
                vals = np.array(out)
            else:
                r = np.sqrt(-2.0 * np.log1p(-u2))
                th = 2.0 * np.pi * u1
                pair = np.empty(2 * pairs)
                pair[0::2] = r * np.cos(th)
                pair[1::2] = r * np.sin(th)
                vals = np.concatenate([np.array(out), pair])
            if len(vals) > n:
                self.normal_cache = float(vals[n])
                vals = vals[:n]
        else:
            vals = np.array(out, dtype=f64)
        if mean == 0 and std == 1:
            return vals
        if n <= 64:
            return np.array([_fma_exact(v, std, mean) for v in vals.tolist()], dtype=f64)
        return _fma64(vals, float(std), float(mean))

    def normal(self, shape, dtype, mean=0.0, std=1.0, vectorised=True):
        """Normal draws; ``vectorised=False`` (a non-contiguous tensor): the scalar path at any
        size, as PyTorch."""
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        if n < 16 or not vectorised:
            return self._scalar_normals(n, mean, std).astype(dtype).reshape(shape)
        if dtype == f64:  # two words per uniform
            d = self.random(2 * n)
            tail = self.random(32) if n % 16 else None
            fill = _normal_words64
        elif _dtype.is_reduced(dtype):  # PyTorch's half (and bfloat16) path: float32's blocks;
            d = self.random(n)  # its last block is the leftover uniforms padded with fresh ones
            tail = np.concatenate([d[n - n % 16:], self.random(16 - n % 16)]) if n % 16 else None
            fill = _normal_words32  # float32: normal() rounds it to half / bfloat16
        else:
            d = self.random(n)  # words: the compiled kernel takes them as they are
            tail = self.random(16) if n % 16 else None
            fill = _normal_words32
        m = n - n % 16
        out = np.empty(n, dtype=f64 if dtype == f64 else f32)
        out[:m] = fill(d[:d.size // n * m], mean, std)
        if tail is not None:  # the last 16 recomputed from the tail's draws
            out[n - 16:] = fill(tail, mean, std)
        return out.astype(dtype, copy=False).reshape(shape)

    def randn(self, shape, dtype):
        return self.normal(shape, dtype)

    def log_normal(self, shape, dtype, mean, std):
        n = math.prod(shape)
        return np.exp(self._scalar_normals(n, mean, std)).astype(dtype).reshape(shape)

    # ---- integers -----------------------------------------------------------------------
    def randint(self, low, high, shape, dtype):
        """PyTorch's uniform_int_from_to: ``random() % (high - low) + low``, random64() for
        ranges of 2**28 or more (as the installed PyTorch 2.13 draws; the full int64 range:
        random64 itself)."""
        n, rng = math.prod(shape), int(high) - int(low)
        v = self.random64(n) if rng >= 1 << 28 else self.random(n).astype(_U64)
        if rng < 1 << 64:
            v = v % _U64(rng) + _U64(int(low) & 0xFFFF_FFFF_FFFF_FFFF)
        return v.view(np.int64).astype(dtype).reshape(shape)

    def random_full(self, shape, dtype):
        """random_() with no bounds: PyTorch's uniform_int_distribution, ``random() %`` each
        dtype's modulus (random64() for int64 and float64; bool: the low bit)."""
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        if dtype == np.bool_:
            return (self.random(n) & np.uint32(1)).astype(np.bool_).reshape(shape)
        if _dtype.is_floating(dtype):
            mod = (1 << np.finfo(dtype).nmant + 1) + 1
        else:
            mod = int(np.iinfo(dtype).max) + 1
        v = self.random64(n) if dtype in (np.int64, f64) else self.random(n).astype(_U64)
        return (v % _U64(mod)).astype(dtype).reshape(shape)

    def randperm(self, n, dtype):
        if n == 0:
            return np.zeros(0, dtype=dtype)
        if n < _PERM_SMALL:  # swap a[i] and a[i + random() % (n - i)], i = 0 .. n - 2
            k = jit.kernels() if n >= jit.MIN_SIZE else None
            if k is not None:
                return k.swap_shuffle(self.random(n - 1), n, np.empty(n, np.int64)).astype(dtype)
            z = (self.random(n - 1).astype(_U64) % np.arange(n, 1, -1, dtype=_U64)
                 ).astype(np.int64)
            return _swap_shuffle(np.append(z + np.arange(n - 1), n - 1)).astype(dtype)
        else:  # the inside-out shuffle, random64() % (i + 1)
            r = self.random64(n) % np.arange(1, n + 1, dtype=_U64)
            k = jit.kernels()
            if k is not None:
                return k.inside_out(r, np.zeros(n, np.int64)).astype(dtype)
            a = [0] * n
            for i, z in enumerate(r.tolist()):
                a[i] = a[z]
                a[z] = i
        return np.array(a, dtype=dtype)

    # ---- the other distributions ---------------------------------------------------------
    def bernoulli(self, shape, p, dtype):
        """0/1 draws that are 1 with probability ``p``: a number (float64 uniforms) or an array
        broadcast to ``shape`` (float64 uniforms for float64 p, float32 for other floats)."""
        n = math.prod(shape)
        if isinstance(p, np.ndarray) and p.dtype != f64:
            u = self.u24(n).reshape(shape)
            return (u < np.broadcast_to(p, shape).astype(f32)).astype(dtype)
        return (self.u53(n).reshape(shape) < p).astype(dtype)

    def exponential(self, shape, dtype, lambd=1.0):
        u = self.u53(math.prod(shape))
        return ((-1.0 / lambd) * np.log1p(-u)).astype(dtype).reshape(shape)

    def cauchy(self, shape, dtype, median, sigma):
        u = self.u53(math.prod(shape))
        return (median + sigma * np.tan(np.pi * (u - 0.5))).astype(dtype).reshape(shape)

    def geometric(self, shape, dtype, p):
        u = self.u53(math.prod(shape))
        with np.errstate(divide="ignore"):
            g = np.ceil(np.log(u) / math.log1p(-p))
        return g.astype(dtype).reshape(shape)

    def multinomial(self, w, num_samples, replacement):
        """Indices (int64, rows x num_samples) drawn from the rows of weights ``w`` (2-d, in the
        input's dtype): PyTorch's exponential race (argmax / top-k of w / Exp(1)) without
        replacement or for one sample, else its inverse CDF per row."""
        if not replacement or num_samples == 1:
            q = w / self.exponential(w.shape, w.dtype)
            if num_samples == 1:
                return np.argmax(q, axis=1)[:, None].astype(np.int64)
            return np.argsort(-q, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
        out = np.empty((w.shape[0], num_samples), dtype=np.int64)
        for r in range(w.shape[0]):
            cum = np.cumsum(w[r])
            cum /= cum[-1]
            cum[-1] = 1
            out[r] = np.searchsorted(cum, self.u53(num_samples), side="left")
        return out

    def poisson(self, lam, dtype):
        self._fresh = False
        return self._np.poisson(lam.astype(f64)).astype(dtype, copy=False)

    def standard_gamma(self, alpha, dtype):
        self._fresh = False
        return self._np.standard_gamma(alpha.astype(f64)).astype(dtype, copy=False)

    # ---- state: PyTorch's CPUGeneratorImplState bytes -------------------------------------
    def get_state(self):
        """The state as PyTorch's 5056 bytes (a uint8 array)."""
        st = self._bg.state["state"]
        rec = np.zeros((), dtype=_STATE)
        rec["seed"] = self.seed & 0xFFFF_FFFF_FFFF_FFFF
        pos = int(st["pos"])
        rec["left"] = 625 - pos
        rec["seeded"] = 1
        rec["next"] = 0 if self._fresh else pos
        rec["state"] = st["key"].astype(np.uint64)
        if self.normal_cache is not None:
            rec["normal_y"] = self.normal_cache
            rec["normal_is_valid"] = 1
        if self.float_cache is not None:
            rec["next_float"] = self.float_cache
            rec["float_valid"] = 1
        return np.frombuffer(rec.tobytes(), dtype=np.uint8).copy()

    def set_state(self, raw):
        """Restore from PyTorch's 5056 state bytes (``raw``: bytes)."""
        if len(raw) != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but "
                               f"found the input RNG state size to be {len(raw)}")
        rec = np.frombuffer(raw, dtype=_STATE)[0]
        left = int(rec["left"])
        if not 1 <= left <= 625:
            raise RuntimeError("The input RNG state is invalid: left is out of range")
        bg = np.random.MT19937()
        bg.state = {"bit_generator": "MT19937",
                    "state": {"key": (rec["state"] & 0xFFFF_FFFF).astype(np.uint32),
                              "pos": 625 - left}}
        self._bg, self._np = bg, np.random.Generator(bg)
        self._fresh = int(rec["next"]) == 0 and left == 1
        self.seed = int(rec["seed"])
        self.normal_cache = float(rec["normal_y"]) if rec["normal_is_valid"] else None
        self.float_cache = float(rec["next_float"]) if rec["float_valid"] else None
