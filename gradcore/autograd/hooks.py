"""Hook state, all of it: what is registered on tensors and nodes, and where it is kept.

* a leaf's tensor hooks: ``tensor._hooks`` (run by its AccumulateGrad node);
* a non-leaf's tensor hooks and ``retain_grad``: on the node that made it, per output
  (``node._pre_hooks[out_nr]``, ``node._retain[out_nr]``);
* a node's own hooks: ``node._node_pre_hooks`` (before it runs) and ``node._post_hooks``;
* a leaf's post-accumulate-grad hooks: on its AccumulateGrad node, ``node._post_acc_hooks``
  (the leaf then holds that node strongly: see function.register_post_accumulate_grad_hook).

Each is an ordered dict id -> fn, made on first use; a node with any of them has ``_hk`` set,
so the engine's plain path reads nothing here.  The engine reads them through the accessors at
the end of this file.
"""
import itertools
import weakref

_ids = itertools.count()
_NONE = {}


class RemovableHandle:
    """RemovableHandle(hooks_dict, *, extra_dict=None)

    The handle every hook registration returns (torch.utils.hooks.RemovableHandle, which
    gradcore.utils.hooks re-exports): ``handle.remove()``, or leaving a ``with`` block, takes
    the hook out of ``hooks_dict`` and out of ``extra_dict`` (a dict or a list of dicts that
    hold its flags, keyed by the same ``handle.id``)."""

    __slots__ = ("_hooks", "id", "extra_dict_ref")

    def __init__(self, hooks, *, extra_dict=None):
        self._hooks = hooks
        self.id = next(_ids)
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        # references to the extra dicts: calling one gives the dict (or None once it is gone)
        self.extra_dict_ref = tuple((lambda d=d: d) for d in extra_dict)

    def remove(self):
        """Take the hook (and its flags) out of the dicts it was registered in."""
        self._hooks.pop(self.id, None)
        for ref in self.extra_dict_ref:
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, fn):
    """Insert fn into the ordered dict ``hooks`` and return its handle."""
    if not callable(fn):
        raise TypeError(f"hook must be callable, got {type(fn).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


def _node_dict(node, name):
    node._hk = True
    return node.__dict__.setdefault(name, {})


# ---- registration (bound as Tensor and Node methods) ---------------------------------------

def register_hook(self, hook):
    """``Tensor.register_hook``: hook(grad) -> Tensor or None, called with this tensor's
    gradient during backward (a replacement must have the same type and size)."""
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = self._node
    if node is None:
        if self._hooks is None:
            self._hooks = {}
        return add_hook(self._hooks, hook)
    return add_hook(_node_dict(node, "_pre_hooks").setdefault(self._out_nr, {}), hook)


def retain_grad(self):
    """``Tensor.retain_grad``: a non-leaf keeps its gradient in ``.grad``."""
    if not self._rg:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self._node is not None and not self._retains_grad:
        self._retains_grad = True
        _node_dict(self._node, "_retain")[self._out_nr] = weakref.ref(self)


def register_node_hook(node, fn):
    """``Node.register_hook``: fn(grad_inputs, grad_outputs) after the node ran; may return
    new grad_inputs."""
    return add_hook(_node_dict(node, "_post_hooks"), fn)


def register_node_prehook(node, fn):
    """``Node.register_prehook``: fn(grad_outputs) before the node runs; may return new
    grad_outputs."""
    return add_hook(_node_dict(node, "_node_pre_hooks"), fn)


# ---- what the engine reads -----------------------------------------------------------------

def tensor_hooks(node):
    """{out_nr: hooks} of the tensors ``node`` made, and {out_nr: weakref} of those retaining
    their gradient."""
    d = node.__dict__
    return d.get("_pre_hooks", _NONE), d.get("_retain", _NONE)


def node_pre_hooks(node):
    return tuple(node.__dict__.get("_node_pre_hooks", _NONE).values())


def post_accumulate_hooks(node):
    return tuple(node.__dict__.get("_post_acc_hooks", _NONE).values())


def node_post_hooks(node):
    return tuple(node.__dict__.get("_post_hooks", _NONE).values())
