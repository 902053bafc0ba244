"""Op declarations: an op written once, everything else made from it.

A declaration gives an op's names (the function, its aliases, Tensor methods and operators, its
in-place form), its node's name, what it saves, its promotion rule, its forward over ``xp`` and
its derivative, once, and its docstring.  From it come the ``ArrayFunction`` (forward, the
Tensor-level ``backward`` used under create_graph, the first-order ``array_backward``), the
function, and the entries that ``ops/__init__`` binds into ``gradcore`` and onto Tensor.
The function takes ``out=`` (written by ops/out.py's rule for the op; refused, as PyTorch
does, for an op it gives none), and a binary op may name its number-operand forms' nodes
apart (``scalar_nodes``).

The derivative is one function ``grad(F, saved, gy)`` written with operators and the
vocabulary ``F``: the engine calls it with ``F`` = the array module (NumPy or CuPy) on arrays
at first order, and with ``F`` = ``TENSOR`` (the Tensor ops) on Tensors under create_graph, so
the second derivative comes by differentiating the first -- nothing else is written.  When the
derivative has a CUDA kernel it is registered with ``@kernel`` (backend/kernels.py) and given
as the declaration's ``grad``: the first-order path then launches it on CuPy, and the
reference is still what runs on NumPy and on Tensors.

The vocabulary: + - * / ** and comparisons; ``F.where``, ``F.sign``, ``F.exp``, ``F.log``,
``F.sin``, ``F.cos``, ``F.tanh``, ``F.zeros_like``, ``F.clip``, NumPy's ``F.sum(x, axis=, keepdims=)``, and
``x.shape`` (not ``x.size``: a method on Tensors).  NumPy's promotion of Python scalars is
PyTorch's, so a derivative keeps its operands' dtype on both paths.  Kernels declared outside
a declaration (pow, clamp, softmax, the pointwise losses ...) follow the same rules: their op's
``backward`` is ``kernel.reference(TENSOR, ...)``, its ``array_backward`` ``kernel(be, ...)``.
"""
from .. import _dtype
from ..autograd.engine import grad as _autograd_grad
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..backend.kernels import Kernel
from ..tensor import Tensor
from . import out as _out
from .shape import broadcast_shapes

_REDUCED = _dtype.REDUCED_CHARS


class _TensorOps:
    """The vocabulary on Tensors: gradcore's functions, bound by ops/__init__ once they exist."""

    def __repr__(self):
        return "<the Tensor ops, as a derivative's vocabulary>"


TENSOR = _TensorOps()
VOCABULARY = ("where", "sign", "exp", "log", "sin", "cos", "tanh", "zeros_like", "clip")

OPS = {}  # name -> Op, in declaration order (ops/__init__ binds them)


class Op:
    """What a declaration made: the function, its Function class and the names it goes by."""
    __slots__ = ("name", "function", "cls", "aliases", "methods", "inplace")

    def __init__(self, name, function, cls, aliases, methods, inplace):
        self.name, self.function, self.cls = name, function, cls
        self.aliases, self.methods, self.inplace = aliases, methods, inplace

    def __repr__(self):
        return f"<op {self.name} ({self.cls.node_name})>"


class _Saved:
    """A node as its derivative sees it while running in float32: its saved arrays as given
    (widened), every other attribute the node's own."""
    __slots__ = ("_ctx", "saved_arrays")

    def __init__(self, ctx, saved):
        self._ctx, self.saved_arrays = ctx, saved

    def __getattr__(self, name):
        return getattr(self._ctx, name)


def in_opmath_backward(array_backward, ctx, *gys):
    """``array_backward(ctx, *gys)`` as PyTorch computes float16 and bfloat16: in float32
    (the gradients and the node's saved arrays widened), each gradient rounded once
    (``_dtype.in_opmath``).  An array backward starts with ``if gy.dtype.char in _REDUCED:
    return in_opmath_backward(<itself>, ctx, gy)`` (a test, not a wrapper: no frame on the
    float32 path)."""
    n = len(gys)
    return _dtype.in_opmath(lambda xp, *a: array_backward(_Saved(ctx, a[n:]), *a[:n]),
                            ctx._be.xp, *gys, *ctx.saved_arrays)


def widen_for(ctx, gy, kern):
    """Whether a float16/bfloat16 gradient ``gy`` goes through ``in_opmath_backward``: not
    where ``kern`` launches as a RawKernel instantiated for its dtype (the CUDA functor
    computes in float32 already, reading and writing half)."""
    return not (kern is not None and ctx._be.launches_kernels and gy.dtype.char in kern.dtypes)


def _backward_pair(grad, saves):
    """(backward, array_backward) from one derivative ``grad(F, [saved,] gy)``; the array
    one computes float16 and bfloat16 in float32 (``in_opmath_backward``)."""
    kern = grad if isinstance(grad, Kernel) else None
    ref = kern.reference if kern is not None else grad
    if saves is None:
        def backward(ctx, gy):
            return ref(TENSOR, gy)

        def array_backward(ctx, gy):
            if gy.dtype.char in _REDUCED:
                return in_opmath_backward(array_backward, ctx, gy)
            return ref(ctx._be.xp, gy)
        return backward, array_backward

    def backward(ctx, gy):
        s, = ctx.saved_tensors
        return ref(TENSOR, s, gy)

    if kern is not None and kern.quiet:
        def array_backward(ctx, gy):
            if gy.dtype.char in _REDUCED and widen_for(ctx, gy, kern):
                return in_opmath_backward(array_backward, ctx, gy)
            s, = ctx.saved_arrays
            return kern(ctx._be, s, gy)  # under np.errstate on NumPy
    elif kern is not None:
        def array_backward(ctx, gy):
            if gy.dtype.char in _REDUCED and widen_for(ctx, gy, kern):
                return in_opmath_backward(array_backward, ctx, gy)
            s, = ctx.saved_arrays
            be = ctx._be
            if be.launches_kernels:  # CuPy: the RawKernel (or its fallback)
                return be.launch(kern, s, gy)
            return ref(be.xp, s, gy)  # NumPy: kern(be, ...) would call this, one frame up
    else:
        def array_backward(ctx, gy):
            if gy.dtype.char in _REDUCED:
                return in_opmath_backward(array_backward, ctx, gy)
            s, = ctx.saved_arrays
            return ref(ctx._be.xp, s, gy)
    return backward, array_backward


def unary(name, forward, grad, *, node, saves="input", floating=False, check=None,
          aliases=(), methods=(), inplace=True, doc):
    """Declare the unary elementwise op ``name``.

    forward(xp, x) -> array; grad(F, s, gy) -> gx, or a registered kernel (see the module
    docstring); ``saves``: "input", "output" or None (``grad(F, gy)``); ``floating``: integer
    and bool inputs are promoted to the default float dtype first (PyTorch's rule for exp, log
    ...); ``check(x)`` raises for inputs the op refuses; ``methods``: operators it also is
    (``__neg__``); ``inplace``: the op has an in-place form ``name_`` (and its aliases too).
    """
    save_input = saves == "input"

    def fwd(ctx, x):
        if save_input:
            ctx.save_for_backward(x)
        if check is not None:
            check(x)
        if x._arr.dtype.char in _REDUCED:  # float16, bfloat16: in float32, rounded once
            return _dtype.in_opmath(forward, x._be.xp, x._arr)
        return forward(x._be.xp, x._arr)

    backward, array_backward = _backward_pair(grad, saves)
    cls = _function_class(name, node, doc, forward, fwd, backward, array_backward,
                          save_output=saves == "output")
    apply = cls.apply
    if floating:
        def function(input, *, out=None):
            res = apply(input if _dtype.is_floating(input._arr.dtype)
                        or input._arr.dtype.kind == "c"
                        else input.to(_dtype.get_default_dtype()))
            return res if out is None else _out.into(name, out, res)
    else:
        def function(input, *, out=None):
            res = apply(input)
            return res if out is None else _out.into(name, out, res)
    return _record(name, function, cls, aliases, methods, inplace)


def binary(name, forward, grad, *, node, promote, scalar_nodes=(None, None), aliases=(),
           methods=(), inplace=True, opmath=True, doc):
    """Declare the binary elementwise op ``name`` of two tensors (broadcasting).

    forward(xp, a, b) -> array; grad(F, a, b, gy) -> (ga, gb) at the broadcast shape (summed
    down to each input's shape here), or a registered kernel of kind "binary"; both inputs are
    saved.  ``promote(input, other)`` -> the two Tensors the op computes on (PyTorch's type
    promotion, its errors for what it refuses).  ``scalar_nodes``: the node's name when input,
    or other, is a number (PyTorch names those forms apart: XlogyBackward1 for
    ``xlogy(2.0, t)``, XlogyBackward2 for ``xlogy(t, 2.0)``); None keeps ``node``.
    ``opmath=False``: float16 and bfloat16 compute in their own precision, not in float32
    (nextafter: the next value of *that* type).
    """
    widen = _REDUCED if opmath else ""
    kern = grad if isinstance(grad, Kernel) else None
    ref = kern.reference if kern is not None else grad

    def fwd(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            if a._arr.dtype.char in widen:  # float16, bfloat16: in float32, rounded once
                return _dtype.in_opmath(forward, a._be.xp, a._arr, b._arr)
            return forward(a._be.xp, a._arr, b._arr)
        except ValueError:  # shapes that don't broadcast: PyTorch's error
            broadcast_shapes(a._arr.shape, b._arr.shape)
            raise

    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga, gb = ref(TENSOR, a, b, gy)
        return (ga.sum_to_size(a.shape) if need_a else None,
                gb.sum_to_size(b.shape) if need_b else None)

    def array_backward(ctx, gy):
        if gy.dtype.char in _REDUCED and widen_for(ctx, gy, kern):  # in float32, rounded once
            return in_opmath_backward(array_backward, ctx, gy)
        a, b = ctx.saved_arrays
        need_a, need_b = ctx.needs_input_grad
        be = ctx._be
        if kern is not None:
            ga, gb = kern(be, a, b, gy)
        else:
            ga, gb = ref(be.xp, a, b, gy)
        return (be.sum_to(ga, a.shape) if need_a else None,
                be.sum_to(gb, b.shape) if need_b else None)

    cls = _function_class(name, node, doc, forward, fwd, backward, array_backward)
    apply = cls.apply
    if scalar_nodes == (None, None):
        def function(input, other, *, out=None):
            res = apply(*promote(input, other))
            return res if out is None else _out.into(name, out, res)
        return _record(name, function, cls, aliases, methods, inplace)
    # the number forms: the same Function under another node name
    apply_s1, apply_s2 = (apply if n is None else type(cls.__name__, (cls,), dict(
        node_name=n, __module__=cls.__module__, __doc__=cls.__doc__)).apply
        for n in scalar_nodes)

    def function(input, other, *, out=None):
        if not isinstance(other, Tensor):
            res = apply_s2(*promote(input, other))
        elif not isinstance(input, Tensor):
            res = apply_s1(*promote(input, other))
        else:
            res = apply(*promote(input, other))
        return res if out is None else _out.into(name, out, res)
    return _record(name, function, cls, aliases, methods, inplace)


def kernel_op(k, node):
    """Kernel ``k(s, gy, *params)`` -- an elementwise first derivative, linear in ``gy`` --
    as a differentiable op with a node of its own name (PyTorch gives some ops' create_graph
    backward one: gelu's is GeluBackwardBackward0).  Its backward comes from the reference:
    d/dgy is the kernel again (a diagonal Jacobian), d/ds the vector-Jacobian product of the
    reference run on Tensors.  Returns the op's ``apply(s, gy, *params)``."""
    ref = k.reference

    def fwd(ctx, s, gy, *params):
        ctx.save_for_backward(s, gy)
        ctx.params = params
        return k(s._be, s._arr, gy._arr, *params)

    def backward(ctx, gg):
        s, gy = ctx.saved_tensors
        need_s, need_gy = ctx.needs_input_grad[:2]
        ds = None
        if need_s:
            # d/ds only: differentiate against an alias of s (not through gy's own history,
            # which the d/dgy term below covers) and keep the outer graph alive
            create_graph = is_grad_enabled()  # whether this backward builds a graph itself
            with enable_grad():
                alias = s.view_as(s)
                out = ref(TENSOR, alias, gy if create_graph else gy.detach(), *ctx.params)
            ds, = _autograd_grad(out, alias, gg, create_graph=create_graph, retain_graph=True)
        return ds, cls.apply(s, gg, *ctx.params) if need_gy else None

    cls = type(_class_name(node), (ArrayFunction,), dict(
        node_name=node, __doc__=ref.__doc__, __module__=ref.__module__,
        forward=staticmethod(fwd), backward=staticmethod(backward)))
    return cls.apply


def _function_class(name, node, doc, forward, fwd, backward, array_backward, **attrs):
    """The ArrayFunction of a declaration, in the declaring module (its forward's)."""
    return type(_class_name(name), (ArrayFunction,), dict(
        attrs, node_name=node, __doc__=doc, __module__=forward.__module__,
        forward=staticmethod(fwd), backward=staticmethod(backward),
        array_backward=staticmethod(array_backward)))


def _record(name, function, cls, aliases, methods, inplace):
    """Name the declared op's function after it and keep it in OPS for ops/__init__."""
    if name in OPS:
        raise ValueError(f"op {name} is declared twice")
    function.__name__ = function.__qualname__ = name
    function.__module__, function.__doc__ = cls.__module__, cls.__doc__
    function._takes_out = True  # out= (ops/out.py's ``into``): not wrapped again
    OPS[name] = Op(name, function, cls, tuple(aliases), tuple(methods), inplace)
    return function


def _class_name(name):
    return "".join(part.capitalize() for part in name.split("_"))


def bind(tensor_cls, functions):
    """Bind every declared op: the function and its aliases into ``functions`` (gradcore's
    namespace) and onto Tensor, with its operators; then the vocabulary onto ``TENSOR``.  (The
    in-place forms are made by ops/inplace.py, which imports the modules declaring them.)"""
    for op in OPS.values():
        for n in (op.name,) + op.aliases:
            functions[n] = op.function
            setattr(tensor_cls, n, op.function)
        for n in op.methods:
            setattr(tensor_cls, n, op.function)
    for name in VOCABULARY:
        setattr(TENSOR, name, functions[name])
    TENSOR.sum = _numpy_style_sum


def _numpy_style_sum(x, axis=None, keepdims=False):
    """``F.sum`` on Tensors, with NumPy's argument names (a derivative is written once)."""
    return x.sum(dim=axis, keepdim=keepdims)
