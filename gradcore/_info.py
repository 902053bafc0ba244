"""finfo and iinfo: the numerical limits of gradcore's dtypes, as torch.finfo / torch.iinfo
(bfloat16's written here, so finfo(bfloat16) needs no ml_dtypes)."""
import numpy as np

from . import _dtype


# bfloat16: 8 exponent bits, 7 stored mantissa bits (bits, eps, max, smallest normal, decimal
# digits of precision), as np.finfo(ml_dtypes.bfloat16) and torch.finfo(torch.bfloat16) give
_BFLOAT16 = (16, 2.0 ** -7, (2 - 2.0 ** -7) * 2.0 ** 127, 2.0 ** -126, 2)


def _check(d, want_float, name, other):
    d = _dtype.get_default_dtype() if d is None else _dtype.to_dtype(d)
    if d.is_floating_point != want_float or d is _dtype.bool:
        kind = "a floating point" if want_float else "an integer"
        raise TypeError(f"torch.{name}() requires {kind} input type. Use torch.{other} to "
                        f"handle 'torch.{name}'")
    return d


class finfo:
    """finfo(type=None) -> finfo

    The limits of a floating dtype (default: the default dtype): ``bits``, ``eps`` (1.0's gap
    to the next number), ``max``, ``min``, ``tiny`` = ``smallest_normal``, ``resolution``
    (10 ** -precision) and ``dtype`` (its name)."""

    def __init__(self, type=None):
        d = _check(type, True, "finfo", "iinfo")
        if d is _dtype.bfloat16:  # its limits without ml_dtypes (an optional dependency)
            bits, eps, big, tiny, precision = _BFLOAT16
        else:
            f = np.finfo(d.np)
            bits, eps, big, tiny, precision = (f.bits, f.eps, f.max, f.smallest_normal,
                                               f.precision)
        self.bits, self.dtype = int(bits), d.name
        self.eps, self.max, self.min = float(eps), float(big), -float(big)
        self.tiny = self.smallest_normal = float(tiny)
        self.resolution = 10.0 ** -int(precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """iinfo(type) -> iinfo

    The limits of an integer dtype: ``bits``, ``max``, ``min`` and ``dtype`` (its name)."""

    def __init__(self, type):
        d = _check(type, False, "iinfo", "finfo")
        i = np.iinfo(d.np)
        self.bits, self.max, self.min, self.dtype = i.bits, int(i.max), int(i.min), d.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
