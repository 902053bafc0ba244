"""Device: where a tensor's array lives ("cpu" -> NumPy, "cuda:N" -> CuPy).

Parsing is case-insensitive because the tutorial writes ``torch.device("CPU")``.
"""

_VALID = "cpu, cuda"

# The default device factory functions use (None: the CPU), written by set_default_device
# (_settings.py) and by ``with device(...):``; _entered holds the defaults that a ``with`` block
# replaced, to restore on exit.
_default = {"device": None}
_entered = []


class device:
    """device(type, index=None): where a tensor's data lives, "cpu" (NumPy) or "cuda:N" (CuPy).

    ``type`` is a string ("cpu", "cuda", "cuda:1"; case-insensitive), another device, or an int
    (a CUDA ordinal); ``index`` the CUDA ordinal when the string has none.  Attributes: type,
    index (None for the CPU and for a bare "cuda").  Example:

        d = gradcore.device("cuda" if gradcore.cuda.is_available() else "cpu")
        x = gradcore.zeros(2, device=d)
    """
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002  (PyTorch's parameter name)
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({type.__class__.__name__}), but expected one of: (str type, "
                            f"int index)")
        spec = type.strip().lower()
        kind, sep, idx = spec.partition(":")
        if sep:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of {_VALID} device type at start of device string: "
                               f"{type}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index}")
        if kind == "cpu" and index not in (None, 0):
            raise RuntimeError(f"CPU device index must be -1 or zero, got {index}")
        self.type = kind
        self.index = None if kind == "cpu" else index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        """``with device(...):`` makes this the default device of factory functions inside the
        block (as PyTorch's device context manager); the previous default returns on exit."""
        _entered.append(_default["device"])
        _default["device"] = self
        return self

    def __exit__(self, *exc):
        _default["device"] = _entered.pop()


CPU = device("cpu")


def as_device(d):
    """A device from a device, a string or an int (CUDA ordinal); None means the CPU."""
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    return device(d)
