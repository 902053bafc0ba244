"""In-place ops (``add_``, ``mul_``, ``copy_``, ``x[i] = v`` ...) and their autograd.

Every in-place op is its out-of-place op followed by a write into the tensor's own array:

* the tensor's version counter is bumped, so a node that saved the old value refuses to run
  backward ("modified by an inplace operation");
* with a graph, the tensor's ``grad_fn`` becomes the out-of-place op's node (its input is the
  tensor's previous history); if the op saved the old value, it keeps a copy of it;
* on a view, the base's history is rebased through a ``CopySlices`` node, as PyTorch does, so
  gradients reach both what was written and the untouched rest of the base.
"""
import re
import sys

from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import _state
from ..tensor import Tensor, _wrap
from . import elementwise as E
from . import binary_math, special, unary_math  # noqa: F401 (their declared ops' in-place forms)
from . import contraction, linalg, reduction
from .declare import OPS
from .shape import sum_to


class CopySlices(ArrayFunction):
    """base with its view region replaced by ``src`` (the data is already written)."""
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, src, view_fn, arr):
        ctx.view_fn = view_fn
        return arr

    @staticmethod
    def backward(ctx, g):
        keep = g._be.xp.ones(g._arr.shape, dtype=g._arr.dtype)
        ctx.view_fn(_wrap(keep, g._be))._arr[...] = 0
        return g * _wrap(keep, g._be), ctx.view_fn(g)


class Copy(ArrayFunction):
    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        ctx.src_shape, ctx.src_dtype = src._arr.shape, src.dtype
        try:
            out = dst._be.xp.broadcast_to(src._arr, dst._arr.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {list(dst._arr.shape)} doesn't match the "
                               f"broadcast shape {list(src._arr.shape)}") from None
        return out.astype(dst._arr.dtype, copy=True)

    @staticmethod
    def backward(ctx, gy):
        # the destination's old value is overwritten: its gradient is zero (not None), as PyTorch
        return gy * 0, sum_to(gy, ctx.src_shape).to(ctx.src_dtype)


_NO_GRAD_VIEW = ("created in no_grad mode and is being modified inplace with grad mode "
                 "enabled. Given that this use case is ambiguous and error-prone, it is "
                 "forbidden. You can clarify your code by moving both the view and the inplace "
                 "either both inside the no_grad block (if you don't want the inplace to be "
                 "tracked) or both outside (if you want the inplace to be tracked).")


def _check_leaf(self):
    """PyTorch's refusals of an in-place op with grad mode on: on a leaf that requires grad,
    on a view of one, on a view made under no_grad of a tensor that requires grad."""
    view = self._view
    if view is not None and view.no_grad and view.base._rg:
        if view.no_grad == 1:
            raise RuntimeError("A view was " + _NO_GRAD_VIEW)
        node = self._node
        who = (f"Output {self._out_nr} of {re.sub(r'Backward[0-9]*$', '', node.name())}"
               if node is not None else "This tensor")
        raise RuntimeError(f"{who} is a view of a view which was " + _NO_GRAD_VIEW)
    if self._rg and self._node is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    if view is not None and view.base._rg and view.base._node is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def inplace(self, fn, *args):
    """Compute ``fn(self, *args)`` and write it into ``self``; returns ``self``."""
    if not isinstance(self, Tensor):
        raise TypeError(f"in-place op on {type(self).__name__}")
    grad_on = _state.enabled
    if grad_on:
        _check_leaf(self)
    alias = _wrap(self._arr, self._be, self._rg, None, self._node, self._out_nr)
    res = fn(alias, *args)
    if res._be is not self._be:  # a CUDA operand and a CPU 0-d self: only inputs may mix
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {res.device} and {self.device}!")
    if grad_on and res._rg and self._view is not None and self._view.no_grad:
        raise RuntimeError("A view was " + _NO_GRAD_VIEW)  # it would start to require grad
    if sys.getrefcount(alias) > 2:  # the op saved the old value: give it a copy of its own
        alias._arr = alias._arr.copy()
    if res._arr.shape != self._arr.shape:
        raise RuntimeError(f"output with shape {list(self._arr.shape)} doesn't match the "
                           f"broadcast shape {list(res._arr.shape)}")
    src, dst = res.dtype, self.dtype
    if src._cat > dst._cat:
        raise RuntimeError(f"result type {src.scalar_name} can't be cast to the desired output "
                           f"type {dst.scalar_name}")
    self._be.xp.copyto(self._arr, res._arr, casting="unsafe")
    self._bump_version()
    if grad_on and res._rg:
        if self._view is not None:
            _rebase_view(self, res)
        else:
            self._node, self._out_nr, self._rg = res._node, res._out_nr, True
    return self


def _rebase_view(view, res):
    base, view_fn = view._view.base, view._view.fn
    old = _wrap(base._arr, base._be, base._rg, None, base._node, base._out_nr)
    new = CopySlices.apply(old, res, view_fn, base._arr)
    base._node, base._out_nr, base._rg = new._node, 0, True
    fresh = view_fn(base)
    view._node, view._out_nr, view._rg = fresh._node, fresh._out_nr, True


# ---- the in-place methods --------------------------------------------------------------------

def copy_(self, src, non_blocking=False):
    """copy_(src, non_blocking=False) -> Tensor

    src (broadcast, cast, moved to self's device) written into self; the gradient goes back to
    src, and a zero gradient to self's old value."""
    if not isinstance(src, Tensor):
        src = E._full_like_scalar(self, src)
    if src._be is not self._be:
        src = src.to(self.device)
    return inplace(self, Copy.apply, src)


def zero_(self):
    """zero_() -> Tensor

    self filled with zeros, in place."""
    return fill_(self, 0)


def fill_(self, value):
    """fill_(value) -> Tensor

    self filled with value (a number or a 0-d tensor), in place."""
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        return copy_(self, value)
    return copy_(self, E._full_like_scalar(self, value))


def _make(fn):
    fn = getattr(fn, "__wrapped__", fn) if hasattr(fn, "autocast_policy") else fn  # in-place
    # forms are on no autocast list (PyTorch's lists hold out-of-place ops only)

    def method(self, *args, **kwargs):
        return inplace(self, lambda t, *a: fn(t, *a, **kwargs), *args)
    method.__name__ = method.__qualname__ = fn.__name__ + "_"
    method.__doc__ = (f"{fn.__name__}_(*args, **kwargs) -> Tensor\n\nIn place: "
                      f"{fn.__name__}(self, *args, **kwargs) written into self, which it returns "
                      f"(see gradcore.{fn.__name__}).")
    return method


_OUT_OF_PLACE = {
    "add": E.add, "sub": E.sub, "mul": E.mul, "div": E.div, "pow": E.pow, "clamp": E.clamp,
    "clamp_min": E.clamp_min, "clamp_max": E.clamp_max, "square": E.square,
    "remainder": E.remainder, "fmod": E.fmod, "floor_divide": E.floor_divide,
}
_OUT_OF_PLACE.update({
    "addmm": linalg.addmm, "addmv": contraction.addmv, "addr": contraction.addr,
    "baddbmm": contraction.baddbmm, "addbmm": contraction.addbmm, "cumsum": reduction.cumsum,
    "true_divide": E.true_divide, "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt,
    "ge": E.ge, "greater": E.gt, "less": E.lt, "greater_equal": E.ge, "less_equal": E.le,
    "not_equal": E.ne, "logical_and": E.logical_and, "logical_or": E.logical_or,
    "logical_xor": E.logical_xor, "logical_not": E.logical_not, "bitwise_and": E.bitwise_and,
    "bitwise_or": E.bitwise_or, "bitwise_xor": E.bitwise_xor, "bitwise_not": E.bitwise_not,
})
_OUT_OF_PLACE.update(binary_math.INPLACE)  # the plain functions with an in-place form
_OUT_OF_PLACE.update(unary_math.INPLACE)
# and every declared op with an in-place form (its aliases' forms too)
_OUT_OF_PLACE.update({n: op.function for op in OPS.values() if op.inplace
                      for n in (op.name,) + op.aliases})

METHODS = {name + "_": _make(fn) for name, fn in _OUT_OF_PLACE.items()}
METHODS.update({
    "subtract_": METHODS["sub_"], "multiply_": METHODS["mul_"], "divide_": METHODS["div_"],
    "clip_": METHODS["clamp_"],
    "copy_": copy_, "zero_": zero_, "fill_": fill_,
    "__iadd__": METHODS["add_"], "__isub__": METHODS["sub_"], "__imul__": METHODS["mul_"],
    "__itruediv__": METHODS["div_"], "__ipow__": METHODS["pow_"],
    "__ifloordiv__": METHODS["floor_divide_"], "__imod__": METHODS["remainder_"],
    "__ilshift__": METHODS["bitwise_left_shift_"], "__irshift__": METHODS["bitwise_right_shift_"],
})
# the in-place forms PyTorch also has as functions (torch.exp_(t) ...; the activations' relu_,
# celu_, selu_, rrelu_, threshold_ come from ops/activation.py)
_TOP_LEVEL = """abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_
asinh_ atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ erf_ erfc_
exp2_ exp_ expm1_ fix_ floor_ frac_ gcd_ i0_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_
neg_ negative_ rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_
tan_ tanh_ trunc_ xlogy_""".split()
FUNCTIONS = {n: METHODS[n] for n in _TOP_LEVEL}
FUNCTIONS.update({"zero_": zero_, "fill_": fill_, "detach_": Tensor.detach_})


def check_forms(ops):
    """Every declared op that has an in-place form got it here: an op declared in a module
    this file does not import would silently lack one."""
    missing = [op.name for op in ops.values() if op.inplace and op.name + "_" not in METHODS]
    if missing:
        raise ImportError(f"in-place forms missing for {missing}: declare them in a module "
                          f"ops/inplace.py imports")
