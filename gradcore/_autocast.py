"""Autocast's state and casting rules (torch.autocast), below the ops that consult them.

PyTorch keeps, per device type and per thread, whether autocast is on and its low-precision
dtype (CPU: bfloat16 by default, float16 allowed; CUDA: float16, bfloat16 allowed).  An op on
its lists casts its floating inputs on entry:

- ``lower``: to the autocast dtype (matmuls, linear, convolutions, prelu, attention);
- ``fp32``: to float32 (losses, most linalg, 3-d pools, pads, fft, cdist, prod ...);
- ``promote``: to float32 if any of them is float32, else the autocast dtype (cat, stack,
  index_copy, addcmul ...; PyTorch's ``prioritize`` refuses the other low-precision dtype).

A tensor is eligible when it is floating, not float64, and on the device type whose autocast
is on; everything else passes as it is.  The ops on the lists are decorated with
``@autocast_op(POLICY)``: behind the module flag ``ACTIVE`` (one global read when no autocast
region is open anywhere) their tensor arguments go through ``cast``.  The casts
are ordinary differentiable ``.to()`` nodes, so gradients come back in the leaves' dtypes.
PyTorch also caches the casts of float32 leaf weights inside a region (a speed matter only);
gradcore casts every time.
"""
import functools
import threading

from . import _dtype
from .tensor import Tensor

LOWER, FP32, PROMOTE = "lower", "fp32", "promote"
DEVICE_TYPES = ("cpu", "cuda")
DEFAULT_DTYPE = {"cpu": _dtype.bfloat16, "cuda": _dtype.float16}
SUPPORTED = {"cpu": (_dtype.bfloat16, _dtype.float16),
             "cuda": (_dtype.bfloat16, _dtype.float16)}

ACTIVE = False  # True while any thread has an autocast region open (the ops' fast check)
_open_regions = [0]
_lock = threading.Lock()
_tls = threading.local()


def _state():
    s = getattr(_tls, "s", None)
    if s is None:
        s = _tls.s = {"enabled": {d: False for d in DEVICE_TYPES},
                      "dtype": dict(DEFAULT_DTYPE), "cache": True, "nesting": 0}
    return s


def is_enabled(device_type):
    return _state()["enabled"].get(device_type, False)


def get_dtype(device_type):
    return _state()["dtype"][device_type]


def set_enabled(device_type, enabled):
    global ACTIVE
    s = _state()
    was = s["enabled"][device_type]
    s["enabled"][device_type] = bool(enabled)
    with _lock:
        _open_regions[0] += bool(enabled) - was
        ACTIVE = _open_regions[0] > 0


def set_dtype(device_type, dtype):
    _state()["dtype"][device_type] = dtype


def cache_enabled():
    return _state()["cache"]


def set_cache_enabled(enabled):
    _state()["cache"] = bool(enabled)


def nesting(delta):
    s = _state()
    s["nesting"] += delta
    return s["nesting"]


def autocast_op(policy):
    """Decorate an op on one of the lists: while any autocast region is open (``ACTIVE``), its
    tensor arguments (positional, keyword, and inside list/tuple arguments) go through
    ``cast(policy, ...)`` first; otherwise the call costs one flag read more."""
    def decorate(fn):
        @functools.wraps(fn)
        def op(*args, **kwargs):
            if not ACTIVE:
                return fn(*args, **kwargs)
            enabled = _state()["enabled"]
            if not any(enabled.values()):
                return fn(*args, **kwargs)
            args, kwargs = cast_call(policy, args, kwargs)
            saved = dict(enabled)
            enabled.update(dict.fromkeys(enabled, False))  # the op's own inner ops: as they
            try:  # are (PyTorch excludes autocast while a listed op runs)
                return fn(*args, **kwargs)
            finally:
                enabled.update(saved)
        op.autocast_policy = policy
        return op
    return decorate


def cast_call(policy, args, kwargs):
    """(args, kwargs) of a call with every tensor in them cast together by ``cast``."""
    flat, where = [], []
    for i, a in enumerate(args):
        _collect(a, ("a", i), flat, where)
    for k, v in kwargs.items():
        _collect(v, ("k", k), flat, where)
    if not flat:
        return args, kwargs
    cast_ = cast(policy, *flat)
    args, kwargs = list(args), dict(kwargs)
    for (kind, key, j), t in zip(where, cast_):
        box = args if kind == "a" else kwargs
        if j is None:
            box[key] = t
        else:
            seq = list(box[key])
            seq[j] = t
            box[key] = type(box[key])(seq) if isinstance(box[key], tuple) else seq
    return tuple(args), kwargs


def _collect(value, key, flat, where):
    if isinstance(value, Tensor):
        flat.append(value)
        where.append(key + (None,))
    elif isinstance(value, (list, tuple)):
        for j, v in enumerate(value):
            if isinstance(v, Tensor):
                flat.append(v)
                where.append(key + (j,))


def _eligible(t, device_type):
    return (isinstance(t, Tensor) and t.device.type == device_type
            and _dtype.is_floating(t._arr.dtype) and t._arr.dtype.char != "d")


def cast(policy, *args):
    """``args`` with the eligible tensors cast per ``policy`` (the region of the first
    tensor's device type; unchanged where that region is off)."""
    dev = next((a.device.type for a in args if isinstance(a, Tensor)), None)
    if dev is None or not is_enabled(dev):
        return args
    if policy == LOWER:
        target = get_dtype(dev)
    elif policy == FP32:
        target = _dtype.float32
    else:  # the widest of (region dtype, float32): another low-precision dtype is refused
        target = get_dtype(dev)
        for a in args:
            if _eligible(a, dev) and a.dtype != target:
                if a.dtype != _dtype.float32 and target != _dtype.float32:
                    raise RuntimeError("Unexpected floating ScalarType in "
                                       "at::autocast::prioritize")
                target = _dtype.float32
    return tuple(a.to(target) if _eligible(a, dev) and a.dtype != target else a for a in args)
