"""gradcore.autograd.graph: hooks on the tensors saved for backward, and pictures of a graph.

Pictures (autograd/dot.py): ``to_dot(var, params=None, ...)`` -- the graph that made ``var`` as
DOT source, no dependency --, ``make_dot`` (torchviz's function: a ``graphviz.Digraph``) and
``render(var, filename, format="svg")`` (through Graphviz's ``dot``).

Under ``saved_tensors_hooks(pack_hook, unpack_hook)`` every tensor an op saves for backward
(``ctx.save_for_backward``, a built-in op's saved inputs and outputs) is replaced by
``pack_hook(tensor)``; backward gets ``unpack_hook(packed)`` back in its place.  Hooks are
thread-local and nest (the innermost wins).  Saving reads ``function._saved_hooks``, set here
while any thread has hooks on.  As in PyTorch, a tensor saved through hooks is not checked for
in-place changes (its version can't be followed through the hooks).
"""
import contextlib
import threading
import weakref

from . import function as _function
from .function import grad_accumulator
from .grad_mode import _state, _InferenceVersionCounter, _cannot_save
from ..tensor import Tensor, _VersionCounter, _wrap
from .dot import make_dot, render, to_dot  # noqa: F401  (pictures of a graph)


class _Local(threading.local):
    stack = ()      # (pack_hook, unpack_hook) pairs, innermost last
    disabled = None  # disable_saved_tensors_hooks' error message


_tls = _Local()
_lock = threading.Lock()
_users = 0  # saved_tensors_hooks contexts open, in all threads


class _Packed:
    """A tensor saved through the hooks: what pack_hook made of it, the unpack_hook, and its
    place in the graph -- ``edge`` is None (it did not require grad), (None, out_nr) (an
    output of the node that saved it: no reference back to that node), (node, out_nr) or
    (AccumulateGrad, 0) -- so the unpacked tensor is differentiable like the original."""
    __slots__ = ("packed", "unpack", "edge", "cls")
    vc = _VersionCounter()  # as a _SavedOutput for Node.saved_arrays: never "modified"
    version = 0

    def _unpacked(self):
        t = self.unpack(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        return t

    @property
    def arr(self):
        return self._unpacked()._arr

    def tensor(self, node):
        t = self._unpacked()
        if self.edge is None:
            return t
        src, nr = self.edge
        if src is None:
            src = node
        if src._is_accumulate:  # a leaf: a tensor whose AccumulateGrad is the leaf's own
            out = _wrap(t._arr, t._be, True, self.cls)
            out._acc = weakref.ref(src)
            return out
        return _wrap(t._arr, t._be, True, self.cls, src, nr)


def _pack_saved(tensors, outputs):
    """The entries saving ``tensors`` through this thread's innermost hooks (None: no hooks
    here).  pack_hook runs with grad mode off, as PyTorch's."""
    stack = _tls.stack
    if not stack:
        return None
    pack, unpack = stack[-1]
    saved = []
    prev = _state.enabled
    _state.enabled = False
    try:
        for t in tensors:
            if t is None:
                saved.append(None)
                continue
            if type(t._vc) is _InferenceVersionCounter and not _state.inference:
                raise RuntimeError(_cannot_save)
            p = _Packed()
            if not t._rg:
                p.edge = None
            elif any(t is o for o in outputs):
                p.edge = (None, t._out_nr)
            elif t._node is not None:
                p.edge = (t._node, t._out_nr)
            else:
                p.edge = (grad_accumulator(t), 0)
            p.cls, p.unpack = type(t), unpack
            p.packed = pack(t)
            saved.append(p)
    finally:
        _state.enabled = prev
    return tuple(saved)


def _push(pack_hook, unpack_hook):
    global _users
    if _tls.disabled is not None:
        raise RuntimeError(_tls.disabled)
    _tls.stack = _tls.stack + ((pack_hook, unpack_hook),)
    with _lock:
        _users += 1
        _function._saved_hooks = _pack_saved


def _pop():
    global _users
    _tls.stack = _tls.stack[:-1]
    with _lock:
        _users -= 1
        if not _users:
            _function._saved_hooks = None


class saved_tensors_hooks:
    """saved_tensors_hooks(pack_hook, unpack_hook): a context manager that routes the tensors
    saved for backward through a pair of hooks.

    ``pack_hook(tensor) -> anything`` runs when an op saves a tensor (grad mode off); the
    value it returns is kept instead of the tensor.  ``unpack_hook(packed) -> Tensor`` runs
    when backward needs the tensor back and must return a tensor with the same content.
    Example (keep copies of the saved tensors):

        with gradcore.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda p: p):
            y = (x * x).sum()
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        _push(self.pack_hook, self.unpack_hook)

    def __exit__(self, *exc):
        _pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """save_on_cpu(pin_memory=False, device_type='cuda'): a context manager under which the
    tensors saved for backward are kept on the CPU and copied back to their device when
    backward needs them (no copy for CPU tensors).  gradcore has no pinned memory:
    ``pin_memory`` is accepted and ignored."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            return tensor.device, tensor.cpu()

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """disable_saved_tensors_hooks(error_message) -> context manager

    Inside it, using saved tensors hooks (entering saved_tensors_hooks or save_on_cpu, or
    being inside one already) raises RuntimeError(error_message)."""
    if _tls.stack:
        raise RuntimeError(error_message)
    prev = _tls.disabled
    _tls.disabled = error_message
    try:
        yield
    finally:
        _tls.disabled = prev
