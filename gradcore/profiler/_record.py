"""The recorder: while a profile records, gradcore's ops are timed where user code reaches
them -- the ``gradcore.*`` functions, the Tensor methods and operators, ``nn.functional`` --
by wrapping those names for the duration (put back when recording stops).  A call timed
inside another (a loss calling ``Tensor.sum``) is its child: the parent's self time excludes
it.  Calls an op makes through direct references inside gradcore are part of that op's own
time (not separate rows), and backward is one ``backward`` row (autograd's nodes are not
timed one by one)."""
import functools
import sys
import time

from ..nn import functional as _F
from ..ops import FUNCTIONS as _FUNCTIONS
from ..tensor import Tensor
from ._events import FunctionEvent

_state = {"recorder": None}

# Tensor members that are queries, conversions or protocol, not ops
_NOT_OPS = {"size", "dim", "ndimension", "numel", "nelement", "stride", "storage_offset",
            "is_contiguous", "is_floating_point", "is_complex", "is_signed", "element_size",
            "data_ptr", "item", "tolist", "numpy", "register_hook", "retain_grad",
            "untyped_storage", "storage", "get_device", "dim_order", "is_set_to",
            "is_pinned", "is_shared", "is_inference", "is_nonzero", "requires_grad_",
            "type", "__init__", "__new__", "__repr__", "__str__", "__format__", "__hash__",
            "__len__", "__iter__", "__bool__", "__index__", "__int__", "__float__",
            "__complex__", "__reduce_ex__", "__deepcopy__", "__array__", "__dlpack__",
            "__dlpack_device__", "__getattr__", "__setattr__", "__delattr__", "__dir__",
            "__contains__", "__reversed__", "__array_priority__", "__init_subclass__",
            "__class_getitem__", "__sizeof__", "__setstate__", "__getstate__", "__reduce__",
            "__cuda_array_interface__", "__torch_function__", "__subclasshook__"}


def _op_name(name):
    """'__add__' -> 'add', '__radd__' -> 'add', '__iadd__' -> 'add_', others unchanged."""
    if name.startswith("__") and name.endswith("__"):
        core = name[2:-2]
        if core.startswith("i") and core[1:] in ("add", "sub", "mul", "truediv", "floordiv",
                                                 "mod", "pow", "matmul", "and", "or", "xor",
                                                 "lshift", "rshift"):
            return core[1:] + "_"
        if core.startswith("r") and core[1:] in ("add", "sub", "mul", "truediv", "floordiv",
                                                 "mod", "pow", "matmul", "and", "or", "xor",
                                                 "lshift", "rshift"):
            return core[1:]
        return core
    return name


def _shapes(args, kwargs):
    return [list(a.shape) if isinstance(a, Tensor) else [] for a in args]


class Recorder:
    """Times calls: ``run(name, fn, args, kwargs)`` and ``span(name)`` for record_function."""

    def __init__(self, record_shapes):
        self.record_shapes = record_shapes
        self.events = []
        self._stack = []  # the child time of each open call

    def run(self, name, fn, args, kwargs):
        self._stack.append(0)
        t0 = time.perf_counter_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            self.close(name, t0, _shapes(args, kwargs) if self.record_shapes else None)

    def open(self):
        self._stack.append(0)
        return time.perf_counter_ns()

    def close(self, name, t0, shapes, annotation=False):
        total = time.perf_counter_ns() - t0
        children = self._stack.pop()
        if self._stack:
            self._stack[-1] += total
        self.events.append(FunctionEvent(name, total / 1e3, (total - children) / 1e3, shapes,
                                         annotation))


def _timed(name, fn):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        rec = _state["recorder"]
        if rec is None:
            return fn(*args, **kwargs)
        return rec.run(name, fn, args, kwargs)
    timed.__gradcore_profiled__ = fn
    return timed


def _targets():
    """(namespace, attribute, event name) of every name that is wrapped while recording."""
    out = []
    top = sys.modules.get("gradcore")  # the package namespace (bound at run time: the
    if top is not None:                # package imports this module, not the other way)
        for name in _FUNCTIONS:
            if getattr(top, name, None) is not None and callable(getattr(top, name)):
                out.append((top, name, name))
    for name, member in list(vars(Tensor).items()):
        if callable(member) and not isinstance(member, (type, staticmethod, classmethod)) \
                and name not in _NOT_OPS and (not name.startswith("_") or
                                              (name.startswith("__") and name.endswith("__"))):
            out.append((Tensor, name, _op_name(name)))
    for name in dir(_F):
        member = getattr(_F, name)
        if not name.startswith("_") and callable(member) and not isinstance(member, type):
            out.append((_F, name, name))
    return out


_patched = []


def patch():
    """Wrap the op names (idempotent)."""
    if _patched:
        return
    for ns, attr, name in _targets():
        original = ns.__dict__[attr] if attr in ns.__dict__ else getattr(ns, attr)
        if getattr(original, "__gradcore_profiled__", None) is not None:
            continue
        setattr(ns, attr, _timed(name, original))
        _patched.append((ns, attr, original))


def unpatch():
    """Put every wrapped name back."""
    while _patched:
        ns, attr, original = _patched.pop()
        setattr(ns, attr, original)
