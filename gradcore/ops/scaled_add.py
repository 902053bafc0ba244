"""``a + alpha * b`` rounded once, as PyTorch's CPU ``add`` / ``sub`` / ``rsub`` kernels compute
it when ``alpha != 1``: one fused multiply-add (``vec::fmadd(b, alpha, a)``) in the op's math
type, ``alpha`` first cast to the tensor's dtype.

Two roundings (``a + b * alpha`` in NumPy) give a different last bit for ~9% of float32 values
(and so did every SGD step: ``param.add_(grad, alpha=-lr)``).  NumPy has no fma, so:

- float32, float16, bfloat16: the product of two values of at most 24 significant bits is exact
  in float64, so ``float64(a) + float64(b) * float64(alpha)`` rounds once to float64 and then to
  float32 (then to float16/bfloat16, as PyTorch rounds its float32 result): the fma's value but
  for a double-rounding tie (about one value in 2**29);
- float64: Dekker's exact product and a two-sum carry the product's rounding error into the sum
  (the fma's value but for rare last-bit ties, as ``backend.mt19937._fma64``); magnitudes
  where the split overflows fall back to the two-rounding sum;
- integers: ``a + b * alpha`` is exact (wrapping as PyTorch's);
- CuPy arrays keep the two-operation form.

With numba installed (the ``jit`` extra) float32/float64 arrays of one shape take one compiled
FMA pass instead (``backend/jit.py``'s ``axpy``): the same bits, 3-5x less time.
"""
import numpy as np

from ..backend import jit


_F64, _F32 = np.dtype(np.float64), np.dtype(np.float32)
JIT_MIN_SIZE = 1 << 12  # smaller arrays stay on NumPy (``import numba`` costs ~0.15 s once)
_SPLIT = 134217729.0  # 2**27 + 1


def add_scaled(xp, a, b, alpha, out=None):
    """a + alpha * b (``b`` an array or a Python/NumPy number) rounded as PyTorch's CPU kernel;
    written into ``out`` when given (``out`` may be ``a``)."""
    dt = a.dtype
    if xp is not np or dt.char not in "fdeE":  # CuPy, integers, complex: two operations
        y = b * alpha
        return xp.add(a, y, out=out) if out is not None else a + y
    al = float(dt.type(alpha))  # PyTorch casts alpha to the tensor's dtype
    if (a.size >= JIT_MIN_SIZE and dt.char in "fd" and type(b) is np.ndarray
            and b.dtype == dt and b.shape == a.shape and a.flags.c_contiguous
            and b.flags.c_contiguous and (out is None or out.flags.c_contiguous
                                          and out.shape == a.shape and out.dtype == dt)):
        k = jit.kernels()
        if k is not None:  # one compiled pass, the same bits
            r = np.empty_like(a) if out is None else out
            k.axpy(a.reshape(-1), b.reshape(-1), dt.type(al), r.reshape(-1))
            return r
    if dt == _F64:
        r = _fma64(a, np.asarray(b, dtype=_F64), al)
    else:
        bb = float(dt.type(b)) if np.ndim(b) == 0 else b
        prod = np.multiply(bb, al, dtype=_F64)
        if dt == _F32 and out is not None:  # the float64 sum, rounded once into out
            return np.add(prod, a, out=out, casting="unsafe")
        r = np.add(prod, a, dtype=_F64)
        if dt != _F32:
            r = r.astype(_F32)
    if out is None:
        return r.astype(dt)
    np.copyto(out, r, casting="unsafe")
    return out


def _fma64(a, b, alpha):
    """a + b * alpha (float64 arrays, a finite or infinite float) with the product's error
    kept; where that is not finite, PyTorch's fma: an infinite ``a`` beats a finite product, and
    a product past float64's range is summed at a scale of 2**-64."""
    r, s = _dekker(a, b, alpha)
    bad = ~np.isfinite(r)
    if not bad.any():
        return r
    a, b, r, s = np.broadcast_arrays(a, b, r, s)
    finite_b = np.isfinite(b) & np.isfinite(alpha)
    out = np.where(bad, s, r)
    a_inf = bad & np.isinf(a) & finite_b
    out[a_inf] = a[a_inf]
    big = bad & finite_b & np.isfinite(a)  # the product (or the split) overflowed
    if big.any():
        scale = 2.0 ** 64
        small = _dekker(a[big] / scale, b[big] / scale, alpha)[0]
        with np.errstate(over="ignore", invalid="ignore"):
            # still past the range at that scale: the product's infinity wins (a is finite)
            out[big] = np.where(np.isfinite(small), small * scale, b[big] * alpha)
    return out


def _dekker(a, b, alpha):
    """(a + b * alpha correctly rounded but past float64's range, the plain sum): Dekker's
    exact product error and a two-sum's carry summed, and the one case their sum's rounding
    can get wrong -- the result on a tie between two doubles that a smaller remainder breaks
    (3 * 0.37 lies on one: plus 1e-300 rounds up) -- set to the neighbour the fma picks."""
    with np.errstate(invalid="ignore", over="ignore"):
        p = b * alpha
        s = a + p
        bh = b * _SPLIT
        bh = bh - (bh - b)
        bl = b - bh
        ah = alpha * _SPLIT
        ah = ah - (ah - alpha)
        al = alpha - ah
        err = ((bh * ah - p) + bh * al + bl * ah) + bl * al
        v = s - a
        e = (a - (s - v)) + (p - v)
        t = e + err
        z = t - e
        t2 = (e - (t - z)) + (err - z)  # what t lost
        r = s + t
        z = r - s
        rest = (s - (r - z)) + (t - z)  # r + rest == s + t exactly
        toward = np.nextafter(r, np.where(rest > 0, np.inf, -np.inf))
        tie = (toward - r == 2 * rest) & (rest != 0) & (np.sign(t2) == np.sign(rest))
        if tie.any():
            r = np.where(tie, toward, r)
        return r, s
