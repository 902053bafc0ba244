"""Graph nodes and Functions.

A node is what ``tensor.grad_fn`` returns: it holds the edges to the nodes of its inputs
(``next_functions``), the tensors saved for backward, and computes input gradients from
output gradients.  A ``Function`` subclass defines ``forward``/``backward``; ``apply`` runs
forward and, when grad mode is on and an input requires grad, records a node.

Two flavours of Function share this machinery:

* ``Function`` is PyTorch's public custom-Function API: ``forward(ctx, *args)`` gets Tensors
  (under no_grad) and returns Tensors.
* ``ArrayFunction`` is for gradcore's own ops: ``forward(ctx, *args)`` gets Tensors and returns
  backend arrays, which ``apply`` wraps.  Its lean ``apply`` is the hot path of every op.

Both write ``backward(ctx, *grad_outputs)`` with Tensor ops, so every backward is itself
differentiable (double backward needs nothing extra).
"""
import itertools
import weakref

import numpy as np

from .. import _dtype
from .grad_mode import _state, _SAVING
from . import hooks as _th
from ..tensor import Tensor, _VersionCounter, _wrap

_seq = itertools.count()
# graph.saved_tensors_hooks sets this while any thread has saved-tensor hooks on: a function
# (tensors, outputs) -> the entries to save (what pack_hook made), or None when this thread
# has no hooks.  Every place that saves checks it, so it costs one test while unset.
_saved_hooks = None


class Node:
    """Base of every grad_fn.  Subclasses are generated per Function (``ExpBackward0`` ...)."""

    _is_accumulate = False
    _ran = False         # an AccumulateGrad node that ran in a backward (engine._run)
    _is_array_node = False  # a built-in op's node: the engine calls its backward directly
    _n_outputs = 1
    _hk = False          # set once a hook or retain_grad() is registered on this node
    _in_meta = None      # (shape, dtype, backend) per input: custom Functions are checked
    _out_meta = None
    # Defaults read as attributes, not through ``__dict__``: on Python 3.11 touching an
    # instance's ``__dict__`` turns its inline attribute values into a real dict (~0.1 us).
    _needs = None
    _saved = None
    _freed = False
    # ``array_backward(ctx, *grad_arrays) -> grad arrays``: the op's first-order backward on
    # bare backend arrays, run by the engine when create_graph is off (None: the engine wraps
    # the gradients and runs the Tensor-level ``backward``).  Set per node class.
    _array_backward = None

    @property
    def needs_input_grad(self):
        """One bool per input (per forward argument for custom Functions)."""
        needs = self._needs
        if needs is not None:
            return needs
        needs = []  # a loop, not a comprehension: no extra frame on Python 3.11
        for n, _ in self.next_functions:
            needs.append(n is not None)
        return tuple(needs)

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    # ---- saved tensors ------------------------------------------------------------------
    def save_for_backward(self, *tensors):
        self._to_save = tensors

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            return self._no_saved()
        out = []
        for s in saved:
            if type(s) is tuple:  # an input: (tensor, version at save time)
                t = s[0]
                vc = t._vc
                if (0 if vc is None else vc.v) != s[1]:
                    _raise_modified(self, t._arr, t._version, s[1], t._out_nr, t)
                out.append(t)
            else:
                out.append(_unpack(self, s))
        return tuple(out)

    saved_variables = saved_tensors

    @property
    def saved_arrays(self):
        """The saved tensors' arrays, version-checked as ``saved_tensors`` (for
        ``array_backward``: no Tensor is made for a saved output)."""
        saved = self._saved
        if saved is None:
            return self._no_saved()
        out = []
        for s in saved:
            if type(s) is tuple:
                t = s[0]
                vc = t._vc
                if (0 if vc is None else vc.v) != s[1]:
                    _raise_modified(self, t._arr, t._version, s[1], t._out_nr, t)
                out.append(t._arr)
            elif s is None:
                out.append(None)
            else:
                if s.vc.v != s.version:
                    _raise_modified(self, s.arr, s.vc.v, s.version, s.out_nr)
                out.append(s.arr)
        return out

    def _no_saved(self):
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access "
                "saved tensors after they have already been freed). Saved intermediate "
                "values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through "
                "the graph a second time or if you need to access saved tensors after "
                "calling backward.")
        return ()

    def _release(self):
        if self._saved is not None:
            self._saved = None
            self._freed = True

    # ---- hooks --------------------------------------------------------------------------
    register_hook = _th.register_node_hook
    register_prehook = _th.register_node_prehook

    def __call__(self, *grads):
        return self._run_backward(grads)

    # ---- PyTorch's ctx vocabulary for custom Functions ---------------------------------
    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    materialize_grads = True


class _SavedOutput:
    """A saved output: its array and version counter, not the Tensor (that would be a cycle)."""
    __slots__ = ("arr", "vc", "version", "out_nr", "cls")

    def __init__(self, t):
        self.arr = t._arr
        vc = t._vc  # Tensor._version_counter, inlined: a fresh output has none yet
        if vc is None:
            vc = t._vc = _VersionCounter()
        self.vc = vc
        self.version = vc.v
        self.out_nr = t._out_nr
        self.cls = type(t)


def _pack(node, tensors, outputs=()):
    """Record (tensor, version) for inputs; outputs are stored without the Tensor object."""
    if _saved_hooks is not None:
        hooked = _saved_hooks(tensors, outputs)
        if hooked is not None:
            node._saved = hooked
            return
    saved = []
    for t in tensors:
        if t is None:
            saved.append(None)
        elif outputs and any(t is o for o in outputs):
            saved.append(_SavedOutput(t))
        else:
            vc = t._vc
            saved.append((t, 0 if vc is None else vc.v))
    node._saved = tuple(saved)


def _unpack(node, s):
    if s is None:
        return None
    if type(s) is _SavedOutput:
        if s.vc.v != s.version:
            _raise_modified(node, s.arr, s.vc.v, s.version, s.out_nr)
        t = _wrap(s.arr, node._be, True, s.cls)
        t._node, t._out_nr, t._vc = node, s.out_nr, s.vc
        return t
    if type(s) is not tuple:  # packed by a saved_tensors_hooks pack_hook (graph.py)
        return s.tensor(node)
    t, version = s
    if t._version != version:
        _raise_modified(node, t._arr, t._version, version, t._out_nr, t)
    return t


def _raise_modified(node, arr, now, then, out_nr, t=None):
    from .._dtype import from_numpy_dtype
    src = t._node if t is not None else node
    kind = from_numpy_dtype(arr.dtype).scalar_name + "Tensor"
    shape = ", ".join(map(str, arr.shape))
    where = (f"which is output {out_nr} of {src.name()}," if src is not None
             else "which is a leaf,")
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [torch.{kind} [{shape}]], {where} is at version {now}; expected version "
        f"{then} instead. Hint: the backtrace further above can show the operation that failed "
        f"to compute its gradient; avoid changing saved tensors in place, or clone() them first.")


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: gradients arriving here go into ``.grad``."""
    _is_accumulate = True
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self._seq = next(_seq)  # below every node that uses it: they are made after it


def grad_accumulator(t):
    """The leaf's AccumulateGrad node, held weakly by the leaf (it holds the leaf), as
    PyTorch's: made on first use, shared by every graph alive at once."""
    acc = t._acc() if t._acc is not None else None
    if acc is None:
        acc = _new(AccumulateGrad)  # AccumulateGrad(t) without its __init__ frame
        acc.variable = t
        acc._seq = next(_seq)
        t._acc = weakref.ref(acc)
    return acc


_new = object.__new__


class _Held:
    """A leaf's strong hold on its AccumulateGrad node, in place of the weak reference
    (``t._acc``; called the same way): a leaf with post-accumulate-grad hooks keeps the node
    that keeps them."""
    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node

    def __call__(self):
        return self.node


def register_post_accumulate_grad_hook(self, hook):
    """register_post_accumulate_grad_hook(hook) -> RemovableHandle

    Call ``hook(tensor)`` (which returns None) on this leaf right after backward has
    accumulated its gradient into ``.grad`` (autograd.grad, which fills no .grad, skips it)."""
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self._node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    acc = grad_accumulator(self)
    if type(self._acc) is not _Held:
        self._acc = _Held(acc)
    return _th.add_hook(_th._node_dict(acc, "_post_acc_hooks"), hook)


# ---------------------------------------------------------------------------------------------

class _FunctionMeta(type):
    """Gives each Function its node class, named as PyTorch names it."""

    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        node_name = ns.get("node_name") or name + "Backward"
        node_base = getattr(cls, "_node_base", BackwardCFunction)
        cls._backward_cls = type(node_name, (node_base,), {
            "_forward_cls": cls, "__module__": cls.__module__,
            "_array_backward": _array_backward_of(cls) if getattr(
                node_base, "_is_array_node", False) else None})


def _array_backward_of(cls):
    """The op's first-order array backward, if the class that gives it ``backward`` also gives
    it ``array_backward`` (a subclass overriding only ``backward`` must not inherit a stale
    one)."""
    for k in cls.__mro__:
        if "array_backward" in k.__dict__:
            fn = getattr(cls, "array_backward")
            return None if fn is None else staticmethod(fn)
        if "backward" in k.__dict__:
            return None
    return None


class BackwardCFunction(Node):
    """Node of a Function: its backward is the Function's backward."""
    _forward_cls = None

    def _run_backward(self, grads):
        cls = self._forward_cls
        return cls._grads_for_inputs(self, cls.backward(self, *grads))


def _device_mismatch(a, b):
    return RuntimeError("Expected all tensors to be on the same device, but found at least two "
                        f"devices, {a} and {b}!")


def _cpu_scalars_moved(args):
    """PyTorch lets a 0-d CPU tensor join an op on another device, as a scalar would: ``args``
    with each such tensor copied there (differentiably: its gradient comes back to the CPU);
    None when the other tensors are not all on one device."""
    on = {a._be for a in args if isinstance(a, Tensor) and (
        a._arr.ndim or a._be.device.type != "cpu")}
    if len(on) != 1:
        return None
    be, = on
    return tuple(a.to(be.device) if isinstance(a, Tensor) and a._be is not be else a
                 for a in args)


def _edge(t):
    node = t._node
    if node is not None:
        return (node, t._out_nr)
    return (grad_accumulator(t), 0)


class Function(metaclass=_FunctionMeta):
    """PyTorch's custom autograd Function.

    Subclass with ``@staticmethod forward(ctx, *args)`` and ``@staticmethod backward(ctx,
    *grad_outputs)``, call ``MyFn.apply(*args)``.  ``forward`` may also be written without ctx
    when a ``setup_context(ctx, inputs, output)`` staticmethod is given.
    """

    def __init__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method.")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        be = None
        needs = []
        for a in args:
            if isinstance(a, Tensor):
                if be is None:
                    be = a._be
                elif a._be is not be:
                    raise _device_mismatch(be.device, a._be.device)
                needs.append(a.requires_grad)
            else:
                needs.append(False)
        ctx = cls._backward_cls()
        ctx._be = be
        ctx._needs = tuple(needs)
        prev = _state.enabled
        _state.enabled = False
        try:
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            _state.enabled = prev
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if not (prev and any(needs)):
            return out
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        dirty = ctx.__dict__.get("_dirty", ())
        non_diff = ctx.__dict__.get("_non_diff", ())
        for t in dirty:
            if t.is_leaf and t.requires_grad:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
        ctx._arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx.next_functions = tuple(_edge(a) if a.requires_grad else (None, 0)
                                   for a in tensor_args)
        ctx._in_meta = tuple((a._arr.shape, a._arr.dtype, a._be) for a in tensor_args)
        ctx._seq = next(_seq)
        new_outs = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                marked = any(o is n for n in non_diff)  # before the alias replaces o
                if any(o is a for a in tensor_args) and not any(o is d for d in dirty):
                    o = _wrap(o._arr, o._be, False, type(o))  # an input returned as is: alias
                    o._vc = args[[id(a) for a in args].index(id(outs[i]))]._version_counter()
                if marked or not o.dtype.is_floating_point:
                    o._rg = False
                else:
                    o._node, o._out_nr, o._rg = ctx, i, True
            new_outs.append(o)
        ctx._n_outputs = len(outs)
        ctx._out_meta = tuple((o._arr.shape, o._arr.dtype, o._be) if isinstance(o, Tensor)
                              else None for o in new_outs)
        to_save = ctx.__dict__.pop("_to_save", None)
        if to_save is not None:
            _pack(ctx, to_save, [o for o in new_outs if isinstance(o, Tensor)])
        return new_outs[0] if single else tuple(new_outs)

    @classmethod
    def _grads_for_inputs(cls, ctx, grads):
        """Map backward's per-argument result onto the tensor inputs (the edges)."""
        if not isinstance(grads, tuple):
            grads = (grads,)
        is_t = ctx._arg_is_tensor
        if len(grads) != len(is_t):
            if len(grads) > len(is_t) and all(g is None for g in grads[len(is_t):]):
                grads = grads[:len(is_t)]
            else:
                raise RuntimeError(f"function {ctx.name()} returned an incorrect number of "
                                   f"gradients (expected {len(is_t)}, got {len(grads)})")
        out = []
        for i, (g, t) in enumerate(zip(grads, is_t)):
            if g is None:
                if t:
                    out.append(None)
            elif not t:
                raise RuntimeError(f"function {ctx.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward "
                                   f"input was not a Variable")
            elif not isinstance(g, Tensor):
                k = type(g)
                name = k.__name__ if k.__module__ == "builtins" else (
                    f"{k.__module__}.{k.__qualname__}")
                raise RuntimeError(f"expected Variable or None (got {name})")
            else:
                out.append(g)
        return tuple(out)


class _ArrayNode(BackwardCFunction):
    """Node of a built-in op: backward returns one gradient per Tensor input."""
    _is_array_node = True

    def save_for_backward(self, *tensors):
        # Built-in ops save inputs only (outputs via ``save_output``): record versions now.
        if _saved_hooks is not None:
            hooked = _saved_hooks(tensors, ())
            if hooked is not None:
                self._saved = hooked
                return
        saved = []
        for t in tensors:
            if t is None:
                saved.append(None)
            else:
                vc = t._vc
                saved.append((t, 0 if vc is None else vc.v))
        self._saved = tuple(saved)

    def _run_backward(self, grads):
        out = self._forward_cls.backward(self, *grads)
        return out if type(out) is tuple else (out,)


class ArrayFunction(Function):
    """gradcore's built-in ops: ``forward(ctx, *args)`` returns arrays, ``apply`` wraps them.

    ``ctx`` is the node (or a do-nothing stand-in when no graph is recorded, so forward can
    call ``ctx.save_for_backward`` unconditionally).  Class attributes:
      ``save_output``  also save the output tensor (saved_tensors ends with it);
      ``differentiable`` False for ops that never record a node (comparisons, argmax...).
    """
    save_output = False
    differentiable = True
    _node_base = _ArrayNode

    @classmethod
    def apply(cls, *args):
        be = None
        needs = False
        record = _state.enabled and cls.differentiable
        edges = []  # built in the same pass (a loop, not a comprehension: no extra frame)
        for a in args:
            if isinstance(a, Tensor):
                if be is None:
                    be = a._be
                elif a._be is not be:
                    moved = _cpu_scalars_moved(args)
                    if moved is None:
                        raise _device_mismatch(be.device, a._be.device)
                    return cls.apply(*moved)
                if not a._rg:
                    edges.append(_NO_EDGE)
                elif record:
                    needs = True
                    node = a._node
                    if node is not None:
                        edges.append((node, a._out_nr))
                    else:  # a leaf: grad_accumulator, its common case inlined
                        acc = a._acc
                        acc = acc() if acc is not None else None
                        edges.append((acc if acc is not None else grad_accumulator(a), 0))
        if not needs:
            try:
                out = cls.forward(_NO_CTX, *args)
            except RuntimeWarning:  # a filter made NumPy's floating-point warning an error
                out = quietly(cls.forward, _NO_CTX, *args)
            if type(out) is tuple:
                return tuple([_wrap(o, be) for o in out])
            return _wrap(out, be)
        ctx = cls._backward_cls()
        ctx._be = be  # plain attribute stores: touching ctx.__dict__ would cost ~0.1 us
        ctx.next_functions = tuple(edges)
        try:
            out = cls.forward(ctx, *args)
        except RuntimeWarning:
            out = quietly(cls.forward, ctx, *args)
        if type(out) is tuple:
            res = tuple([_wrap(o, be, _dtype.is_floating(o.dtype), None, ctx, i)
                         for i, o in enumerate(out)])
            ctx._n_outputs = len(res)
        else:
            res = _wrap(out, be, True, None, ctx, 0)
            if cls.save_output:
                ctx._saved = (ctx._saved or ()) + (
                    (_SavedOutput(res),) if _saved_hooks is None else
                    _saved_hooks((res,), (res,)) or (_SavedOutput(res),))
        ctx._seq = next(_seq)
        return res


def quietly(fn, *args):
    """``fn(*args)`` with NumPy's floating-point errors ignored.  PyTorch computes inf and nan
    without a word; gradcore/__init__ filters NumPy's warnings from gradcore's modules, but a
    filter the user installs later (``pytest -W error``, ``filterwarnings = error``) goes
    first and turns them into exceptions: the op then runs again here (its forward and array
    backward write nothing but their result).  Costs nothing until that happens."""
    with np.errstate(all="ignore"):
        return fn(*args)


class _NoCtx:
    """Stand-in ctx when no graph is recorded: saving is a no-op."""
    __slots__ = ()
    needs_input_grad = ()

    def save_for_backward(self, *tensors):
        pass

    def __setattr__(self, name, value):
        pass


_NO_CTX = _NoCtx()
_NO_EDGE = (None, 0)

def once_differentiable(fn):
    """PyTorch's decorator: run backward under no_grad; double backward then raises."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        prev = _state.enabled
        _state.enabled = False
        try:
            return fn(ctx, *grads)
        finally:
            _state.enabled = prev
    return wrapper


# where reading an inference tensor's version counter means saving it (grad_mode)
_SAVING.update((_pack.__code__, _SavedOutput.__init__.__code__,
                _ArrayNode.save_for_backward.__code__))
