"""Autocast's state, its per-device casting rules and its cast cache (torch.autocast), below
the ops that consult them.

PyTorch keeps, per device type and per thread, whether autocast is on and its low-precision
dtype (CPU: bfloat16 by default, float16 allowed; CUDA: float16, bfloat16 allowed), and has
one op list per device type.  An op on a device's list treats its floating inputs on entry:

- ``LOWER``: cast to the autocast dtype (matmuls, linear, convolutions, prelu, attention);
- ``FP32``: cast to float32 (losses, and per device: CPU's linear algebra, 3-d pools, pads,
  fft ...; CUDA's exp/log/pow family, layer/group/rms norm, distances, upsampling ...);
- ``FP32_SET_OPT_DTYPE``: no cast, but the op's ``dtype=`` argument becomes float32 unless
  the caller gave one (CUDA's sum, prod, softmax, log_softmax, cumsum, cumprod, norms);
- ``PROMOTE``: cast to float32 if any of them is float32, else the autocast dtype (CPU: cat,
  stack, index_copy; CUDA: addcmul, addcdiv, atan2, cross, dot, tensordot, scatter_add ...;
  PyTorch's ``prioritize`` refuses the other low-precision dtype);
- ``BANNED``: refuse the call (CUDA's binary_cross_entropy), with PyTorch's message;
- ``FP16``: cast to float16 whatever the region's dtype: the recurrent layers on CUDA, which
  PyTorch runs through cuDNN's ``_cudnn_rnn`` (aten/src/ATen/cudnn/AutocastRNN.cpp, commit
  319164cc716d0badb08558832fce49417bf060af: input, weights and states in half).

A tensor is eligible when it is floating, not float64, and on the device type whose autocast
is on; everything else passes as it is.  An op declares its policies once, per device type,
next to its definition: ``@autocast_op(cpu=FP32, cuda=FP32)``; a device left out means the op
is not on that device's list (it runs as called, and the ops it calls see the region).  The
lists are PyTorch's aten/src/ATen/autocast_mode.cpp (the CPU list, the CUDA registrations,
binary_cross_entropy's ban; read at commit 008ec6b1840c94ff6d0f685bc10fbf585167c673) and
autocast_mode.h (AT_FORALL_LOWER_PRECISION_FP, AT_FORALL_FP32, AT_FORALL_FP32_SET_OPT_DTYPE,
AT_FORALL_PROMOTE, which the CUDA key uses; commit d70fe7f33910bbe8bc8b6027388a84bb102a453d),
checked against the AutocastCUDA registrations of the installed torch 2.13 (which adds
rms_norm to the float32 list); tests/test_autocast_cuda.py runs torch's own CUDA autocast on
fake CUDA tensors for the dtypes.  Behind the module flag ``ACTIVE`` (one global read when no
autocast region is open anywhere) a decorated op's tensor arguments go through the policy of
the first tensor's device type; while it runs, autocast is off for its inner ops (PyTorch
excludes the autocast keys inside a listed op).  The casts are ordinary differentiable
``.to()`` nodes, so gradients come back in the leaves' dtypes.

The cast cache (PyTorch's ``cached_cast``): inside a region with ``cache_enabled`` (the
default), the low-precision cast of a float32 leaf that requires grad and is not a view (a
weight) is made once -- with grad mode on, so a cast first made under no_grad still carries
the graph -- and reused by every op of the region; it is dropped when the outermost region of
the thread exits (``amp/autocast_mode.py``) or by ``torch.clear_autocast_cache()``.  Not in
inference mode (PyTorch's fix of issue 158232).
"""
import functools
import inspect
import threading
import weakref

from . import _dtype
from .tensor import Tensor

LOWER, FP32, FP32_SET_OPT_DTYPE, PROMOTE, BANNED, FP16 = (
    "lower", "fp32", "fp32_set_opt_dtype", "promote", "banned", "fp16")
POLICIES = (LOWER, FP32, FP32_SET_OPT_DTYPE, PROMOTE, BANNED, FP16)
DEVICE_TYPES = ("cpu", "cuda")
DEFAULT_DTYPE = {"cpu": _dtype.bfloat16, "cuda": _dtype.float16}
SUPPORTED = {"cpu": (_dtype.bfloat16, _dtype.float16),
             "cuda": (_dtype.bfloat16, _dtype.float16)}
BCE_BANNED = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using "
    "torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast.")

ACTIVE = False  # True while any thread has an autocast region open (the ops' fast check)
_open_regions = [0]
_lock = threading.Lock()
_tls = threading.local()
_cache = {}  # id(weight) -> (weakref to the weight, its cast); all threads, as PyTorch's
_cache_lock = threading.Lock()
stats = {"casts": 0}  # every .to() autocast made (tests count the cache's savings with it)


def _state():
    s = getattr(_tls, "s", None)
    if s is None:
        s = _tls.s = {"enabled": {d: False for d in DEVICE_TYPES},
                      "dtype": dict(DEFAULT_DTYPE), "cache": True, "nesting": 0}
    return s


def is_enabled(device_type):
    """Whether this thread has an autocast region of ``device_type`` open."""
    return _state()["enabled"].get(device_type, False)


def get_dtype(device_type):
    """The low-precision dtype of ``device_type``'s autocast on this thread."""
    return _state()["dtype"][device_type]


def set_enabled(device_type, enabled):
    """Turn ``device_type``'s autocast on or off for this thread (keeps ``ACTIVE`` right)."""
    global ACTIVE
    s = _state()
    was = s["enabled"][device_type]
    s["enabled"][device_type] = bool(enabled)
    with _lock:
        _open_regions[0] += bool(enabled) - was
        ACTIVE = _open_regions[0] > 0


def set_dtype(device_type, dtype):
    """Set ``device_type``'s low-precision dtype for this thread."""
    _state()["dtype"][device_type] = dtype


def cache_enabled():
    """Whether casts of weights are cached (this thread)."""
    return _state()["cache"]


def set_cache_enabled(enabled):
    """Turn the cast cache on or off for this thread."""
    _state()["cache"] = bool(enabled)


def nesting(delta):
    """Move this thread's region depth by ``delta``; returns the new depth."""
    s = _state()
    s["nesting"] += delta
    return s["nesting"]


def clear_cache():
    """Drop every cached cast (PyTorch's ``at::autocast::clear_cache``)."""
    with _cache_lock:
        _cache.clear()


def cache_size():
    """How many casts the cache holds (live weights only)."""
    with _cache_lock:
        return sum(1 for ref, _ in _cache.values() if ref() is not None)


def autocast_op(*, cpu=None, cuda=None):
    """Decorate an op on PyTorch's autocast lists with its policy per device type (``cpu=``,
    ``cuda=``: one of ``POLICIES``, or None where the op is not on that device's list).  While
    any autocast region is open (``ACTIVE``), the policy of the first tensor argument's device
    type applies to its tensor arguments (positional, keyword, and inside list/tuple
    arguments); otherwise the call costs one flag read more."""
    policies = {"cpu": cpu, "cuda": cuda}
    for p in policies.values():
        if p is not None and p not in POLICIES:
            raise ValueError(f"unknown autocast policy {p!r}")

    def decorate(fn):
        dtype_at = _dtype_position(fn) if FP32_SET_OPT_DTYPE in policies.values() else None
        name = fn.__name__

        @functools.wraps(fn)
        def op(*args, **kwargs):
            if not ACTIVE:
                return fn(*args, **kwargs)
            enabled = _state()["enabled"]
            dev = _first_device(args, kwargs)
            policy = policies.get(dev)
            if policy is None or not enabled.get(dev):
                return fn(*args, **kwargs)
            if policy == BANNED:
                raise RuntimeError(BCE_BANNED)
            if policy == FP32_SET_OPT_DTYPE:
                args, kwargs = _set_opt_dtype(name, dtype_at, dev, args, kwargs)
            else:
                args, kwargs = cast_call(policy, args, kwargs)
            saved = dict(enabled)
            enabled.update(dict.fromkeys(enabled, False))  # the op's own inner ops: as they
            try:  # are (PyTorch excludes autocast while a listed op runs)
                return fn(*args, **kwargs)
            finally:
                enabled.update(saved)
        op.autocast_policy = dict(policies)
        return op
    return decorate


def _dtype_position(fn):
    """The position of ``fn``'s ``dtype`` parameter (None: keyword-only), for
    FP32_SET_OPT_DTYPE."""
    params = list(inspect.signature(fn).parameters.values())
    for i, p in enumerate(params):
        if p.name == "dtype":
            return i if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else None
    raise TypeError(f"{fn.__name__} has no dtype= argument for FP32_SET_OPT_DTYPE")


def _set_opt_dtype(name, dtype_at, dev, args, kwargs):
    """PyTorch's fp32_set_opt_dtype: when the first argument is eligible and no dtype was
    given, the op runs with dtype=float32 (no input is cast)."""
    first = args[0] if args else next(iter(kwargs.values()), None)
    if not _eligible(first, dev):
        return args, kwargs
    if dtype_at is not None and len(args) > dtype_at:
        if args[dtype_at] is not None:
            return args, kwargs
        args = args[:dtype_at] + (_dtype.float32,) + args[dtype_at + 1:]
        return args, kwargs
    if kwargs.get("dtype") is None:
        kwargs = dict(kwargs, dtype=_dtype.float32)
    return args, kwargs


def _first_device(args, kwargs):
    for a in args:
        if isinstance(a, Tensor):
            return a.device.type
        if isinstance(a, (list, tuple)):
            for v in a:
                if isinstance(v, Tensor):
                    return v.device.type
    for v in kwargs.values():
        if isinstance(v, Tensor):
            return v.device.type
    return None


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
    """``args`` with the eligible tensors cast per ``policy`` (LOWER, FP16, FP32, PROMOTE; or a
    dict of them per device type) in the region of the first tensor's device type (unchanged
    where that region is off or the dict names no policy for it)."""
    dev = next((a.device.type for a in args if isinstance(a, Tensor)), None)
    if dev is None or not is_enabled(dev):
        return args
    if isinstance(policy, dict):
        policy = policy.get(dev)
        if policy is None:
            return args
    low = get_dtype(dev)
    if policy == LOWER:
        target = low
    elif policy == FP16:
        target = _dtype.float16
    elif policy == FP32:
        target = _dtype.float32
    else:  # the widest of (region dtype, float32): another low-precision dtype is refused
        target = low
        for a in args:
            if _eligible(a, dev) and a.dtype != target:
                if a.dtype != _dtype.float32 and target != _dtype.float32:
                    raise RuntimeError("Unexpected floating ScalarType in "
                                       "at::autocast::prioritize")
                target = _dtype.float32
    return tuple(_cached_cast(a, target, low) if _eligible(a, dev) and a.dtype != target
                 else a for a in args)


def _cached_cast(t, target, low):
    """``t.to(target)``, through the cache for a float32 weight cast to the region dtype."""
    if not (target == low and t._arr.dtype.char == "f" and t.requires_grad and t.is_leaf
            and t._view is None and cache_enabled()):
        stats["casts"] += 1
        return t.to(target)
    from .autograd import grad_mode
    if grad_mode.is_inference_mode_enabled():
        stats["casts"] += 1
        return t.to(target)
    key = id(t)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0]() is t and hit[1].dtype == target:
            return hit[1]
    with grad_mode.enable_grad():  # the cached copy records its graph even under no_grad
        out = t.to(target)
    stats["casts"] += 1
    with _cache_lock:
        _cache[key] = (weakref.ref(t, lambda _r, k=key: _drop(k, _r)), out)
    return out


def _drop(key, ref):
    """A weight died: forget its entry (unless the id was reused for a newer one)."""
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is ref:
            del _cache[key]


def autocast_declared(ops, names, **policies):
    """Give the ops declared through ops/declare.py (``ops``: its ``OPS``) named ``names`` the
    autocast ``policies`` (``autocast_op``'s keywords): their bound functions -- gradcore's
    namespace and the Tensor methods -- become the decorated ones.  One line in the declaring
    module, after the declarations; the module's own names stay undecorated."""
    for name in names:
        op = ops[name]
        op.function = autocast_op(**policies)(op.function)
