"""Window functions for signal processing: hann_window, hamming_window, blackman_window,
bartlett_window, kaiser_window (PyTorch's arguments, values computed as ATen does: an
``arange`` in the requested dtype, then its in-place math; ``periodic=True`` computes N + 1
points and drops the last).  Pooling's window arithmetic is windows.py, not this file.
"""
import math

from .. import _dtype
from ..tensor import _wrap
from .factories import arange, ones, empty

_C_NAMES = {"Long": "long int", "Int": "int", "Short": "short int", "Char": "signed char",
            "Byte": "unsigned char", "Bool": "bool"}  # ATen's TensorOptions wording


def _window(name, window_length, periodic, dtype, layout, device, requires_grad, body):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{_C_NAMES.get(dt.scalar_name, dt.scalar_name)}, device="
                           f"{device or 'cpu'}, layout=Strided (default), requires_grad="
                           "false (default), pinned_memory=false, memory_format=(nullopt))")
    if window_length <= 1:
        make = empty if window_length == 0 else ones
        return make(window_length, dtype=dt, device=device, requires_grad=requires_grad)
    n = window_length + 1 if periodic else window_length
    x = arange(n, dtype=dt, device=device)
    a, t = x._arr, x._arr.dtype.type
    w = body(x._be.xp, a, t, n)
    if periodic:
        w = w[:-1]
    return _wrap(w.copy(), x._be, requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False, pin_memory=False):
    """hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
    layout=torch.strided, device=None, requires_grad=False) -> Tensor

    ``alpha - beta * cos(2 pi n / (N - 1))`` for n in [0, N)."""
    return _window("hamming_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda xp, a, t, n:
                   xp.cos(a * t(math.pi * 2.0 / (n - 1))) * t(-beta) + t(alpha))


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False, pin_memory=False):
    """hann_window(window_length, periodic=True, *, dtype=None, layout=torch.strided,
    device=None, requires_grad=False) -> Tensor

    ``0.5 - 0.5 cos(2 pi n / (N - 1))`` (hamming_window with alpha = beta = 0.5)."""
    return _window("hann_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda xp, a, t, n:
                   xp.cos(a * t(math.pi * 2.0 / (n - 1))) * t(-0.5) + t(0.5))


def _blackman(xp, a, t, n):
    w = a * t(math.pi / (n - 1))
    return xp.cos(w * t(4)) * t(0.08) - xp.cos(w * t(2)) * t(0.5) + t(0.42)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False):
    """blackman_window(window_length, periodic=True, *, dtype=None, layout=torch.strided,
    device=None, requires_grad=False) -> Tensor

    ``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``."""
    return _window("blackman_window", window_length, periodic, dtype, layout, device,
                   requires_grad, _blackman)


def _bartlett(xp, a, t, n):
    w = a * t(2.0 / (n - 1))
    half = ((n - 1) >> 1) + 1
    w[half:] = w[half:] * t(-1) + t(2)
    return w


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False):
    """bartlett_window(window_length, periodic=True, *, dtype=None, layout=torch.strided,
    device=None, requires_grad=False) -> Tensor

    The triangular window ``1 - |2n / (N - 1) - 1|``."""
    return _window("bartlett_window", window_length, periodic, dtype, layout, device,
                   requires_grad, _bartlett)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False, pin_memory=False):
    """kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None,
    layout=torch.strided, device=None, requires_grad=False) -> Tensor

    ``I0(beta sqrt(1 - ((n - (N-1)/2) / ((N-1)/2))^2)) / I0(beta)``, I0 the modified Bessel
    function of order 0 (computed in float64 below float64's precision, then rounded)."""
    def body(xp, a, t, n):
        alpha = (n - 1) / 2.0
        r = (a.astype("float64") - alpha) / alpha
        i0 = xp.i0(xp.asarray(beta, dtype="float64"))
        return (xp.i0(beta * xp.sqrt(1 - r * r)) / i0).astype(a.dtype)
    return _window("kaiser_window", window_length, periodic, dtype, layout, device,
                   requires_grad, body)


FUNCTIONS = {f.__name__: f for f in (hann_window, hamming_window, blackman_window,
                                     bartlett_window, kaiser_window)}
