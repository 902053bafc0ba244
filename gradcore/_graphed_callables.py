"""torch.cuda.make_graphed_callables: modules and functions whose forward and backward each run
as one CUDA graph (PyTorch's algorithm, torch/cuda/graphs.py).

For each callable: warm up ``num_warmup_iters`` forward+backward passes on a side stream,
capture the forward into one graph and (in reverse order) the backward, all sharing one memory
pool, then return a callable whose forward copies its arguments into the static inputs,
replays the forward graph and hands back the static outputs (detached), inside one autograd
Function whose backward copies the incoming gradients into the static grad outputs and replays
the backward graph.  PyTorch's checks on the arguments come first, with its errors, before
anything touches CUDA.

It needs nn and autograd, which sit above gradcore.cuda: gradcore/__init__ binds it onto
gradcore.cuda (as it binds cuda.amp), so nothing below imports this module.
"""
from . import _autocast
from .autograd import Function, once_differentiable
from .autograd.engine import grad as _autograd_grad
from .nn.module import Module
from .ops.factories import empty_like
from .tensor import Tensor
from .cuda import graphs
from .cuda.streams import Stream, StreamContext, api


def _leaves(args):
    """The tensors (and other leaves) of nested tuples/lists/dicts, in order (pytree's
    arg_tree_leaves for the containers PyTorch's sample_args use)."""
    out = []

    def walk(x):
        if isinstance(x, (tuple, list)):
            for v in x:
                walk(v)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        else:
            out.append(x)
    walk(args)
    return out


def _flatten(x):
    """(leaves, spec): ``x`` flattened, and what _unflatten needs to rebuild it."""
    if isinstance(x, (tuple, list)):
        parts = [_flatten(v) for v in x]
        return ([leaf for p in parts for leaf in p[0]],
                (type(x), [p[1] for p in parts]))
    if isinstance(x, dict):
        parts = [_flatten(v) for v in x.values()]
        return ([leaf for p in parts for leaf in p[0]],
                (dict, (list(x.keys()), [p[1] for p in parts])))
    return [x], None


def _unflatten(leaves, spec):
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, sub = s
        if kind is dict:
            keys, specs = sub
            return {k: build(v) for k, v in zip(keys, specs)}
        vals = [build(v) for v in sub]
        return tuple(vals) if kind is tuple else vals
    return build(spec)


def _check(callables, sample_args):
    """PyTorch's argument checks: (flattened sample args of each callable)."""
    flat = []
    for c, args in zip(callables, sample_args):
        if isinstance(c, Module):
            if not (len(c._backward_hooks) == 0 and len(c._forward_hooks) == 0
                    and len(c._forward_pre_hooks) == 0):
                raise AssertionError(
                    "Modules must not have hooks registered at the time they are passed. "
                    "However, registering hooks on modules after passing them through "
                    "make_graphed_callables is allowed.")
            if not all(b.requires_grad is False for b in c.buffers()):
                raise AssertionError(
                    "In any :class:`~torch.nn.Module` passed to :func:`~make_graphed_callables`, "
                    "only parameters may be trainable. All buffers must have "
                    "``requires_grad=False``.")
        leaves = tuple(_leaves(args))
        flat.append(leaves)
        if not all(isinstance(a, Tensor) for a in leaves):
            raise AssertionError("In the beta API, sample_args for each callable must contain "
                                 "only Tensors. Other types are not allowed.")
    return flat


def make_graphed_callables(callables, sample_args, num_warmup_iters=3,
                           allow_unused_input=False, pool=None):
    """Graphed versions of ``callables`` (an nn.Module or function, or a tuple of them, with
    ``sample_args`` a tuple of tensors, or a tuple of such tuples): each one's forward runs as
    one CUDA graph inside a single autograd node whose backward runs as another.  A tuple of
    callables shares one memory pool; they must then run in the order given.  A Module keeps
    running its eager forward when its training flag differs from the one it was graphed in."""
    if _autocast.is_enabled("cuda") and _autocast.cache_enabled():
        raise RuntimeError("make_graphed_callables does not support the autocast caching. "
                           "Please set `cache_enabled=False`.")
    just_one = not isinstance(callables, tuple)
    if just_one:
        callables, sample_args = (callables,), (sample_args,)
    flat_args = _check(callables, sample_args)

    len_user_args = [len(a) for a in flat_args]
    module_params = [tuple(c.parameters()) if isinstance(c, Module) else () for c in callables]
    surfaces = [flat_args[i] + module_params[i] for i in range(len(callables))]
    fwd_graphs = [graphs.CUDAGraph() for _ in callables]
    bwd_graphs = [graphs.CUDAGraph() for _ in callables]
    mempool = graphs.graph_pool_handle() if pool is None else pool

    # warm-up: lazy initialisation (kernel compilation, cuBLAS handles) kept out of the captures
    a = api()
    a.synchronize()
    with StreamContext(Stream()):
        for func, args, surface in zip(callables, sample_args, surfaces):
            for _ in range(num_warmup_iters):
                outputs = _leaves(func(*args))
                needs = tuple(o for o in outputs if o.requires_grad)
                if needs:
                    _autograd_grad(outputs=needs,
                                   inputs=tuple(i for i in surface if i.requires_grad),
                                   grad_outputs=tuple(empty_like(o) for o in needs),
                                   only_inputs=True, allow_unused=allow_unused_input)
    a.synchronize()

    # captures share the pool: forwards in order, then backwards in reverse order
    static_outputs, specs = [], []
    for func, args, g in zip(callables, sample_args, fwd_graphs):
        with graphs.graph(g, pool=mempool):
            outs = func(*args)
        leaves, spec = _flatten(outs)
        static_outputs.append(tuple(leaves))
        specs.append(spec)

    static_grad_outputs, static_grad_inputs = [], []
    for surface, outs, g in zip(reversed(surfaces), reversed(static_outputs),
                                reversed(bwd_graphs)):
        grad_outs = tuple(empty_like(o) if o.requires_grad else None for o in outs)
        needs = tuple(o for o in outs if o.requires_grad)
        grads = None
        if needs:
            with graphs.graph(g, pool=mempool):
                grads = _autograd_grad(outputs=needs,
                                       inputs=tuple(i for i in surface if i.requires_grad),
                                       grad_outputs=tuple(o for o in grad_outs if o is not None),
                                       only_inputs=True, allow_unused=allow_unused_input)
        it = iter(grads or ())
        static_grad_inputs.append(tuple(next(it) if s.requires_grad and grads is not None
                                        else None for s in surface))
        static_grad_outputs.append(grad_outs)
    static_grad_outputs.reverse()
    static_grad_inputs.reverse()

    ret = []
    for i, func in enumerate(callables):
        graphed = _graphed_function(fwd_graphs[i], bwd_graphs[i], module_params[i],
                                    len_user_args[i], specs[i], surfaces[i], static_outputs[i],
                                    static_grad_outputs[i], static_grad_inputs[i])
        if isinstance(func, Module):
            func.forward = _graphed_forward(func, func.training, graphed, func.forward)
        ret.append(func if isinstance(func, Module) else graphed)
    return ret[0] if just_one else tuple(ret)


def _ptr(t):
    """t.data_ptr(); on an emulated CUDA backend (NumPy arrays, tests) the array's address."""
    try:
        return t.data_ptr()
    except AttributeError:
        return t._arr.__array_interface__["data"][0]


def _graphed_function(fwd_graph, bwd_graph, module_params, len_user_args, spec, surface,
                      static_outputs, static_grad_outputs, static_grad_inputs):
    class Graphed(Function):
        @staticmethod
        def forward(ctx, *inputs):
            for i in range(len_user_args):
                if _ptr(surface[i]) != _ptr(inputs[i]):
                    surface[i].copy_(inputs[i])
            fwd_graph.replay()
            return tuple(o.detach() for o in static_outputs)

        @staticmethod
        @once_differentiable
        def backward(ctx, *grads):
            if len(grads) != len(static_grad_outputs):
                raise AssertionError(f"len(grads)={len(grads)} != "
                                     f"len(static_grad_outputs)={len(static_grad_outputs)}")
            for g, grad in zip(static_grad_outputs, grads):
                if g is not None and grad is not None and _ptr(g) != _ptr(grad):
                    g.copy_(grad)
            bwd_graph.replay()
            return tuple(b.detach() if b is not None else b for b in static_grad_inputs)

    def functionalized(*user_args):
        out = Graphed.apply(*(tuple(_leaves(user_args)) + module_params))
        return _unflatten(out if isinstance(out, tuple) else (out,), spec)
    functionalized.graphs = (fwd_graph, bwd_graph)
    return functionalized


def _graphed_forward(module, training, graphed, eager):
    def new_fwd(*user_args, **user_kwargs):
        if module.training == training:
            return graphed(*user_args, **user_kwargs)
        return eager(*user_args, **user_kwargs)
    return new_fwd
