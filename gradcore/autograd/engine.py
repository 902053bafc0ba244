"""The backward engine: iterative, ordered by creation, gradients kept in a side table.

1. Every node's ``_seq`` is drawn when it is created, after the nodes of its inputs: along
   every edge the sequence number falls.  So running the nodes that hold a gradient from the
   highest ``_seq`` down (a heap) is a topological order: when a node runs, every node that can
   still send it a gradient has run.  No dependency count is needed (PyTorch counts; its ready
   queue runs the same order).  A leaf's AccumulateGrad node is made before the first node
   that uses it and shared by every graph alive at once, so its ``_seq`` is always a correct
   key; but once it has run, a new graph's nodes are far above it and it would run only at
   the very end.  So when such a node is first reached, a walk gives every AccumulateGrad
   node this backward's key: just below the last of its producers here (it runs once, as
   soon as its leaf's gradient is complete).  With ``inputs``, a walk marks the nodes that
   lead to a wanted gradient.
2. A node enters the heap when its first gradient arrives; later ones are summed into the side
   table.  First order (no create_graph) keeps bare backend arrays there and runs each built-in
   op's ``array_backward``; with create_graph it keeps Tensors and runs the differentiable
   Tensor-level ``backward``.
3. Leaves (AccumulateGrad) write ``.grad``; ``retain_grad()`` tensors keep theirs; hooks run;
   saved tensors are freed after a node ran unless ``retain_graph``.
"""
import heapq
import operator
import sys
import threading

import numpy as np

from .. import _dtype
from . import hooks as _hooks
from .anomaly_mode import _mode as _anomaly, run_node as _anomaly_run
from .function import Function, grad_accumulator, quietly
from .grad_mode import _state
from ..sparse import CooArray, accumulate_grad as accumulate_sparse
from ..tensor import Size, Tensor, _wrap

_grad_lock = threading.Lock()  # held while a gradient goes into a leaf's .grad



def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _make_grads(outputs, grads, arrays=False):
    """The root gradients (Tensors; with ``arrays`` the implicit 1 of ``loss.backward()`` may
    come as a bare array)."""
    if grads is None and len(outputs) == 1:  # the common loss.backward()
        o = outputs[0]
        arr = o._arr if type(o) is Tensor else None
        if arr is not None and arr.size == 1 and _dtype.is_floating(arr.dtype):
            if type(arr) is np.ndarray and not arr.ndim:
                one = np.array(1, arr.dtype)
            else:
                one = o._be.xp.empty(arr.shape, dtype=arr.dtype)  # np.full's wrapper costs
                one.fill(1)
            return (one if arrays else _wrap(one, o._be),)
    grads = _as_tuple(grads) or (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError("grad can be implicitly created only for scalar outputs"
                           if not grads else
                           f"Mismatch in number of gradients: got {len(grads)} gradients for "
                           f"{len(outputs)} outputs")
    out = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if not isinstance(o, Tensor):
            raise TypeError(f"backward() expects Tensors as outputs, got {type(o).__name__}")
        if g is None:
            if o._arr.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not _dtype.is_floating(o._arr.dtype):
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {o.dtype}")
            g = _wrap(o._be.xp.full(o._arr.shape, 1, dtype=o._arr.dtype), o._be)
        else:
            if not isinstance(g, Tensor):
                g = _wrap(o._be.asarray(g, dtype=o._arr.dtype), o._be)
            if g._arr.shape != o._arr.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape!r} and output[{i}] has a shape of {o.shape!r}.")
            if g._be is not o._be:
                raise RuntimeError(f"Mismatch in device: grad_output[{i}] is on {g.device} and "
                                   f"output[{i}] is on {o.device}.")
            if g._arr.dtype != o._arr.dtype:
                raise RuntimeError(f"Mismatch in dtype: grad_output[{i}] has a dtype of "
                                   f"{g.dtype} and output[{i}] has a dtype of {o.dtype}.")
        out.append(g)
    return tuple(out)


def _root_edge(t, i):
    if not t._rg:
        raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                           "grad_fn")
    return (t._node, t._out_nr) if t._node is not None else (grad_accumulator(t), 0)


def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """``Tensor.backward``: accumulate d(self)/d(leaves) into the leaves' ``.grad``."""
    if inputs is None and not create_graph:  # loss.backward(): what ``backward`` does, inline
        _run((self,), _make_grads((self,), gradient, True), retain_graph, False, None, True)
        return
    backward(self, gradient, retain_graph, create_graph, inputs)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None)
        -> None

    Add the gradient of ``tensors`` (a tensor or a sequence) with respect to each leaf that
    requires grad into that leaf's ``.grad``, weighted by ``grad_tensors`` (may be omitted for
    scalar outputs: 1).  retain_graph (default: create_graph) keeps the graph for another
    backward; create_graph records the backward itself (for higher derivatives); ``inputs``
    restricts accumulation to those tensors (a non-leaf among them gets its .grad too)."""
    tensors = (tensors,) if type(tensors) is Tensor else _as_tuple(tensors)
    grads = _make_grads(tensors, grad_tensors, not create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = [_input_edge(t, "backward") for t in inputs]
        for t in inputs:  # a non-leaf input's gradient goes into its .grad, as retain_grad's
            if t._node is not None:
                t.retain_grad()
    _run(tensors, grads, retain_graph, create_graph, only, True)  # accumulate into .grad


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
        only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False)
        -> tuple of Tensors

    The gradients of ``outputs`` with respect to each of ``inputs`` (the sum over outputs,
    weighted by ``grad_outputs``; 1 for scalar outputs), returned as a tuple (a dict for a
    dict of inputs); no ``.grad`` is touched.  An input the outputs don't depend on raises
    unless allow_unused (then None, or zeros with materialize_grads).  create_graph=True
    makes the result differentiable; retain_graph defaults to create_graph.
    is_grads_batched: the first dimension of each grad_output is a batch, one
    vector-Jacobian product per entry, stacked (run as a loop); only_inputs is ignored."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    keys = inputs.keys() if type(inputs) is dict else None
    outputs = _as_tuple(outputs)
    inputs = tuple(inputs.values()) if keys is not None else _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        result = _grad_batched(outputs, inputs, grad_outputs, retain_graph, create_graph,
                               allow_unused)
    else:
        result = _grad(outputs, inputs, _make_grads(outputs, grad_outputs), retain_graph,
                       create_graph, allow_unused)
    if materialize_grads:  # zeros like the input (not batched), as PyTorch
        result = [g if g is not None else _wrap(t._be.xp.zeros_like(t._arr), t._be,
                                                create_graph)
                  for g, t in zip(result, inputs)]
    return dict(zip(keys, result)) if keys is not None else tuple(result)


def _grad(outputs, inputs, grads, retain_graph, create_graph, allow_unused):
    edges = [_input_edge(t, "grad") for t in inputs]
    got = _run(outputs, grads, retain_graph, create_graph, edges, accumulate=False)
    result = []
    for t, e in zip(inputs, edges):
        g = got.get(e)
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        else:
            if not isinstance(g, Tensor):  # a first-order gradient, kept as an array
                g = _wrap(g, t._be)
            if g._arr.shape != t._arr.shape or g._arr.dtype != t._arr.dtype:
                node = e[0]
                g = _validate(node, (t._arr.shape, t._arr.dtype), e[1], g)
        result.append(g)
    return result


def _grad_batched(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
    """``grad(..., is_grads_batched=True)``: one ``grad`` per batch entry, results stacked."""
    gos = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if len(gos) != len(outputs):
        _make_grads(outputs, gos)  # raises PyTorch's count mismatch
    for i, (o, g) in enumerate(zip(outputs, gos)):
        if g is None:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        if g._arr.shape[1:] != o._arr.shape:
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {Size(g._arr.shape[1:])!r} and "
                f"output[{i}] has a shape of {o.shape!r}. If you only want some tensors in "
                "`grad_output` to be considered batched, consider using vmap.")
    sizes = [g._arr.shape[0] for g in gos]
    if len(set(sizes)) > 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    n = sizes[0]
    rows = [_grad(outputs, inputs, _make_grads(outputs, [g[b] for g in gos]),
                  retain_graph or b < n - 1, create_graph, allow_unused) for b in range(n)]
    result = []
    for k, t in enumerate(inputs):
        col = [r[k] for r in rows]
        if not col or col[0] is None:
            result.append(None)
        elif create_graph:
            result.append(_Stack.apply(*col))
        else:
            result.append(_wrap(t._be.xp.stack([g._arr for g in col]), t._be))
    return result


class _Stack(Function):
    """Differentiable stacking of batched gradients along a new first dimension."""

    @staticmethod
    def forward(ctx, *rows):
        ctx.n = len(rows)
        return _wrap(rows[0]._be.xp.stack([r._arr for r in rows]), rows[0]._be)

    @staticmethod
    def backward(ctx, g):
        return tuple(g[i] for i in range(ctx.n))


def _input_edge(t, fn):
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}(): inputs must be Tensors, got {type(t).__name__}")
    if not t._rg:
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    return (t._node, t._out_nr) if t._node is not None else (grad_accumulator(t), 0)


def _needed(roots, targets):
    """Nodes that must run for gradients to reach ``targets``: those with a path to one."""
    order, seen = [], set(roots)
    stack = [(n, iter(n.next_functions)) for n in roots]
    while stack:  # iterative post-order: children before parents
        node, it = stack[-1]
        for nxt, _ in it:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, iter(nxt.next_functions)))
                break
        else:
            stack.pop()
            order.append(node)
    reach, needed = set(targets), set()
    for node in order:
        if any(nxt in reach for nxt, _ in node.next_functions if nxt is not None):
            reach.add(node)
            needed.add(node)
    return needed


def _accumulate_keys(roots):
    """The heap key of every AccumulateGrad node reachable from ``roots``: 0.5 below the
    lowest ``_seq`` among the nodes here that send it a gradient, so it pops right after the
    last of them.  (An entry (key, -_seq, node): two of them can share a key, and a key never
    equals a node's -_seq, so entries of the two kinds never tie.)"""
    lowest = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        s = node._seq
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if nxt._is_accumulate:
                low = lowest.get(nxt)
                if low is None or s < low:
                    lowest[nxt] = s
            elif nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return {acc: 0.5 - s for acc, s in lowest.items()}


def _run(outputs, grads, retain_graph, create_graph, wanted, accumulate):
    if len(outputs) == 1:  # loss.backward()
        o = outputs[0]
        roots = [(o._node, o._out_nr) if o._node is not None else _root_edge(o, 0)]
        root_nodes = [roots[0][0]]
    else:
        roots = [_root_edge(t, i) for i, t in enumerate(outputs)]
        root_nodes = list(dict.fromkeys(n for n, _ in roots))
    wanted_set = needed = runnable = None
    anomaly = _anomaly.enabled  # every node then runs through _general_node, checked
    if wanted is not None:
        wanted_set = set(wanted)
        targets = {n for n, _ in wanted}
        needed = _needed(root_nodes, targets)
        runnable = needed | targets
    acc_keys = None  # made when a node that already ran in a backward is first reached
    # First order (no create_graph): the side table holds bare backend arrays and built-in
    # nodes run their ``array_backward``; Tensors appear only where user code sees gradients
    # (hooks, retain_grad, custom Functions, .grad).  With create_graph it holds Tensors and
    # every node runs its differentiable Tensor-level backward.
    arrays = not create_graph
    plain = arrays and wanted_set is None and not anomaly  # the array fast path may run
    captured = {}
    owned = set()  # arrays that must not become a .grad without a copy
    buffers = {}
    heap = []
    if len(roots) == 1 and not root_nodes[0]._ran and root_nodes[0]._n_outputs == 1:
        # one root (loss.backward()): the loop below, unrolled
        node = root_nodes[0]
        g = grads[0]
        if arrays and type(g) is not np.ndarray and isinstance(g, Tensor):
            g = g._arr
        owned.add(id(g._arr if not arrays else g))
        heap.append((-node._seq, node))
        buffers[node] = g
        roots = ()
    for (node, nr), g in zip(roots, grads):
        if arrays and isinstance(g, Tensor):
            g = g._arr
        owned.add(id(g._arr if not arrays else g))
        if node not in buffers:
            if node._ran:  # a leaf root that also has producers here: see _accumulate_keys
                if acc_keys is None:
                    acc_keys = _accumulate_keys(root_nodes)
                key = acc_keys.get(node)
                heap.append((-node._seq, node) if key is None else (key, -node._seq, node))
            else:
                heap.append((-node._seq, node))
        _add(buffers, node, nr, g)
    if len(heap) > 1:
        heapq.heapify(heap)
    g = None  # hold no root gradient here: the leaves' AccumulateGrad counts references
    heappop, heappush = heapq.heappop, heapq.heappush
    prev = _state.enabled
    _state.enabled = create_graph
    try:
        while heap:
            node = heappop(heap)[-1]
            gin = buffers.pop(node)  # the gradient, or a list of them for a multi-output node
            if node._is_accumulate:
                gout = g = None  # hold no gradient here: _accumulate counts its references
                _accumulate(node, gin, wanted_set, captured, accumulate, arrays, owned)
                continue
            single = node._n_outputs == 1
            fn = node._array_backward
            if fn is not None and plain and not node._hk:
                # the common case, a built-in op at first order (its gradient count is checked
                # by the tests: every op's array_backward against its backward)
                try:
                    gout = fn(node, gin) if single else fn(node, *gin)
                except RuntimeWarning:  # see function.quietly
                    gout = quietly(fn, node, gin) if single else quietly(fn, node, *gin)
                if type(gout) is not tuple:
                    gout = (gout,)
            else:
                gin = [gin] if single else gin
                if anomaly:
                    gout = _anomaly_run(_general_node, node, gin, arrays, wanted_set, needed,
                                        captured)
                else:
                    gout = _general_node(node, gin, arrays, wanted_set, needed, captured)
                if gout is None:  # not on a path to a wanted gradient
                    continue
                if len(gout) != len(node.next_functions):
                    _wrong_count(node, gout)
            if not retain_graph and node._saved is not None:  # Node._release, inlined
                node._saved = None
                node._freed = True
            for (nxt, nr), g in zip(node.next_functions, gout):
                if g is None or nxt is None:
                    continue
                if nxt._n_outputs == 1:  # _add, inlined
                    old = buffers.get(nxt)
                    if old is not None:
                        try:
                            buffers[nxt] = old + g
                        except RuntimeWarning:  # inf + -inf under an error filter
                            buffers[nxt] = quietly(operator.add, old, g)
                        continue
                    if runnable is not None and nxt not in runnable:
                        continue
                    buffers[nxt] = g
                else:
                    buf = buffers.get(nxt)
                    if buf is not None:
                        old = buf[nr]
                        buf[nr] = g if old is None else _sum(old, g)
                        continue
                    if runnable is not None and nxt not in runnable:
                        continue
                    buffers[nxt] = buf = [None] * nxt._n_outputs
                    buf[nr] = g
                if nxt._ran:  # an AccumulateGrad older than this graph: see _accumulate_keys
                    if acc_keys is None:
                        acc_keys = _accumulate_keys(root_nodes)
                    heappush(heap, (acc_keys[nxt], -nxt._seq, nxt))
                else:
                    heappush(heap, (-nxt._seq, nxt))
    finally:
        _state.enabled = prev
    return captured


def _general_node(node, gin, arrays, wanted_set, needed, captured):
    """Every node but a plain built-in one at first order: hooks, ``inputs=``/``grad()``
    capture, custom Functions, Tensor-level backward.  None when the node need not run."""
    if node._hk:
        gin = _tensor_hooks(node, gin, arrays)
    if wanted_set is not None:
        for nr, g in enumerate(gin):
            if (node, nr) in wanted_set:
                captured[(node, nr)] = g
        if node not in needed:
            return None
    if node._hk or node._out_meta is not None:
        return _call(node, gin, arrays)
    if arrays and node._array_backward is not None:
        try:
            gout = node._array_backward(node, *gin)
        except RuntimeWarning:  # see function.quietly
            gout = quietly(node._array_backward, node, *gin)
        return gout if type(gout) is tuple else (gout,)
    return _tensor_backward(node, gin, arrays)


def _grad_be(node, nr):
    """The backend of a node's output ``nr``: a custom Function's outputs may live elsewhere
    than its inputs (built-in nodes set ``_be`` to their outputs' backend)."""
    meta = node._out_meta
    if meta is not None and meta[nr] is not None:
        return meta[nr][2]
    return node._be


def _tensor_backward(node, gin, arrays):
    """A node's Tensor-level backward; with ``arrays`` its gradients come and go as arrays."""
    if arrays:
        be = node._be
        gin = [None if g is None else _wrap(g, be) for g in gin]
    if node._is_array_node:  # _ArrayNode._run_backward, one frame fewer
        gout = node._forward_cls.backward(node, *gin)
        if type(gout) is not tuple:
            gout = (gout,)
    else:
        gout = node._run_backward(gin)
    if arrays:
        gout = tuple([None if g is None else g._arr for g in gout])
    return gout


def _tensor_hooks(node, gin, arrays):
    """Hooks registered on the tensors this node produced, then retain_grad()."""
    pre, retain = _hooks.tensor_hooks(node)
    for nr, hooks in pre.items():
        if gin[nr] is not None:
            gin[nr] = _run_tensor_hooks(hooks, gin[nr], _grad_be(node, nr), arrays)
    for nr, ref in retain.items():
        t = ref()
        if t is not None and gin[nr] is not None:
            _retain(t, _wrap(gin[nr], _grad_be(node, nr)) if arrays else gin[nr], not arrays)
    return gin


def _add(buffers, node, nr, g):
    """Sum ``g`` into the side table: a single-output node's entry is its gradient, a
    multi-output node's a list with one slot per output."""
    if node._n_outputs == 1:
        old = buffers.get(node)
        buffers[node] = g if old is None else _sum(old, g)
        return
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node._n_outputs
    old = buf[nr]
    buf[nr] = g if old is None else _sum(old, g)


def _sum(a, b):
    """a + b, quietly when an error filter turns NumPy's warning into an exception."""
    try:
        return a + b
    except RuntimeWarning:
        return quietly(operator.add, a, b)


def _call(node, gin, arrays):
    """A node with hooks, or a custom Function's (checked and materialized), in Tensors."""
    if arrays:
        gin = [None if g is None else _wrap(g, _grad_be(node, i)) for i, g in enumerate(gin)]
    hooked = node._hk
    if hooked:
        for fn in _hooks.node_pre_hooks(node):
            new = fn(tuple(gin))
            if new is not None:
                gin = list(new)
    out_meta = node._out_meta
    if out_meta is not None and node.materialize_grads and any(g is None for g in gin):
        gin = [g if g is not None or m is None else _wrap(m[2].xp.zeros(m[0], m[1]), m[2])
               for g, m in zip(gin, out_meta)]
    gout = node._run_backward(gin)
    if len(gout) != len(node.next_functions):
        _wrong_count(node, gout)
    if hooked:
        for fn in _hooks.node_post_hooks(node):
            new = fn(gout, tuple(gin))
            if new is not None:
                gout = tuple(new)
    meta = node._in_meta
    if meta is not None:
        gout = tuple([g if g is None or nxt is None else _validate(node, meta[i], i, g)
                      for i, (g, (nxt, _)) in enumerate(zip(gout, node.next_functions))])
    if arrays:
        gout = tuple([None if g is None else g._arr for g in gout])
    return gout


def _wrong_count(node, gout):
    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                       f"(expected {len(node.next_functions)}, got {len(gout)})")


def _validate(node, meta, i, g):
    """Check a gradient against the input it is for (PyTorch's validate_outputs)."""
    shape = meta[0]
    if g._arr.shape != shape:
        try:
            ok = np.broadcast_shapes(shape, g._arr.shape) == g._arr.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                               f"{i} - got {list(g._arr.shape)} but expected shape compatible "
                               f"with {list(shape)}")
        g = g.sum_to_size(shape)  # a Tensor method ops binds (autograd imports no op)
    if len(meta) > 2 and g._be is not meta[2]:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} "
                           f"- expected device {meta[2].device} but got {g.device}")
    if g._arr.dtype != meta[1]:
        from .._dtype import from_numpy_dtype
        g = g.to(from_numpy_dtype(meta[1]))
    return g


def _retain(t, g, create_graph):
    if t._grad is None:
        t._grad = g if create_graph else _wrap(g._arr.copy(), g._be)
    else:
        t._grad = t._grad + g


def _stealable(arr, like, refs):
    """Can ``arr`` become a .grad as it is?  Writeable, laid out like the parameter, and held by
    nothing but the engine (PyTorch's use_count test): an array owning its memory has exactly
    ``refs`` references here (the engine's own, counted by the caller, plus the one
    getrefcount holds); a view must be the only one of a buffer nothing else holds (counted
    on the expression ``arr.base``: ``arr``'s own reference and getrefcount's -- 2)."""
    if type(arr) is np.ndarray:
        if not arr.flags.writeable:
            return False
    elif isinstance(arr, np.generic):  # a NumPy scalar (0-d arithmetic returns one)
        return False
    if arr.flags.c_contiguous != like.flags.c_contiguous:  # CuPy's flags have no writeable
        return False
    if arr.base is None:
        return sys.getrefcount(arr) <= refs
    return (arr.base.base is None and arr.nbytes == arr.base.nbytes
            and sys.getrefcount(arr.base) <= 2)


def _run_tensor_hooks(hooks, g, be, arrays):
    """Run tensor ``hooks`` (dict values: fn(grad) -> None or a replacement of the same type
    and size, as PyTorch checks) on a gradient; with ``arrays`` it comes and goes as an
    array, the hooks see Tensors."""
    t = _wrap(g, be) if arrays else g
    for fn in tuple(hooks.values()):
        new = fn(t)
        if new is not None:
            _check_hook_result(fn, t, new)
            t = new
    return t._arr if arrays else t


def _type_name(t):
    where = "cuda." if t._be.device.type == "cuda" else ""
    return f"torch.{where}{t.dtype.scalar_name}Tensor"


def _check_hook_result(fn, old, new):
    name = getattr(fn, "__name__", type(fn).__name__)
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Tensor or None (got {type(new).__name__})")
    if new._arr.dtype != old._arr.dtype or new._be is not old._be:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{_type_name(old)} got {_type_name(new)})")
    if new._arr.shape != old._arr.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")


def _accumulate(node, g, wanted, captured, accumulate, arrays, owned):
    """AccumulateGrad, in PyTorch's order: the leaf's tensor hooks, capture for
    ``autograd.grad``/``inputs=``, the node's own pre-hooks, ``g`` into ``.grad``, the node's
    post-hooks.  ``g`` is an array when ``arrays``, a Tensor under create_graph."""
    node._ran = True  # the next backward that reaches it gives it an early key
    var = node.variable
    hooked = False
    if var._hooks:
        g = _run_tensor_hooks(var._hooks, g, var._be, arrays)
        hooked = True
    if wanted is not None:
        if (node, 0) in wanted:
            captured[(node, 0)] = g
            if not accumulate:
                return
        else:
            return
    pre = _hooks.node_pre_hooks(node) if node._hk else ()
    if pre:
        t = _wrap(g, var._be) if arrays else g
        for fn in pre:
            new = fn((t,))
            if new is not None:
                t = new[0]
        g = t._arr if arrays else t
        hooked = True
    a = g if arrays else g._arr
    if a.shape != var._arr.shape or a.dtype != var._arr.dtype:
        t = _validate(node, (var._arr.shape, var._arr.dtype), 0,
                      _wrap(g, var._be) if arrays else g)
        g = t._arr if arrays else t
        a = g if arrays else g._arr
    with _grad_lock:  # backward from several threads into one leaf loses no update
        old = var._grad
        if not arrays:  # create_graph: the sum must stay differentiable
            var._grad = g if old is None else old + g
        elif old is None:
            if type(a) is CooArray:  # sparse (sparse.py: PyTorch's AccumulateGrad rules)
                var._grad = accumulate_sparse(None, g, var._be)
            else:
                # held by _run's ``gin``, this frame's ``g`` and ``a``, _stealable's argument
                # and getrefcount's: 5 when nothing else holds it (a hook's Tensor, another
                # node's entry in the side table, a custom Function's saved result) -- else
                # it is copied
                if hooked or id(g) in owned or not _stealable(g, var._arr, 5):
                    g = g.copy()
                owned.add(id(g))
                var._grad = _wrap(g, var._be)
        elif type(a) is CooArray or type(old._arr) is CooArray:
            var._grad = accumulate_sparse(old, g, var._be)
        else:  # in place, as PyTorch (also into a .grad that a create_graph backward left)
            acc = old._arr
            try:
                acc += g  # in place (NumPy and CuPy alike)
            except RuntimeWarning:  # raised after the sum is written: nothing to redo
                pass
            vc = old._vc  # Tensor._bump_version, inlined
            if vc is None:
                old._bump_version()
            else:
                vc.v += 1
    if node._hk:  # Tensor.register_post_accumulate_grad_hook's hooks: fn(leaf) -> None
        for fn in _hooks.post_accumulate_hooks(node):
            r = fn(var)
            if r is not None:
                if isinstance(r, Tensor):
                    raise RuntimeError("Tensor post accumulate grad hooks should return None.")
                raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
    post = _hooks.node_post_hooks(node) if node._hk else ()
    if post:
        t = _wrap(g, var._be) if arrays else g
        for fn in post:
            fn((), (t,))
