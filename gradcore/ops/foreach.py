"""torch._foreach_*: an op applied to every tensor of a list (PyTorch's overloads and errors).

Each function checks its lists as PyTorch does (a non-empty list of Tensors; lists of one
length; a scalar list as long as the tensor list) and runs the op per tensor through the Tensor
methods, so autograd, dtypes, promotion and devices are the single-tensor ops' (on CUDA that is
CuPy elementwise per tensor; the optimizers' multi-tensor updates are kernels of their own,
kernels/multi_tensor.cu).  Out-of-place forms return a tuple of new tensors, in-place forms
(``_``) return the ``self`` list they updated, as torch 2.13's.

Forms of the second argument, as PyTorch's argument parser tells them apart: a Number
(``scalar``), a list of Numbers (``scalars``), one Tensor (``tensor``, 0-dim: add, mul, div),
a list of Tensors (``tensors``); ``alpha=`` with the tensor forms of add and sub.
"""
import numbers

from ..tensor import Tensor
from . import reduction

_NUMBER = (numbers.Number,)


def _typename(x):
    if isinstance(x, Tensor):
        return "Tensor"
    return type(x).__name__


def _invalid(name, overloads, args, kwargs):
    got = ", ".join([_typename(a) for a in args] + [f"{k}={_typename(v)}"
                                                      for k, v in kwargs.items()])
    lines = "".join(f" * {o}\n" for o in overloads)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{lines}")


def _tensor_list(x):
    """``x`` as a list of Tensors when it is a list/tuple whose first element is a Tensor (an
    element that is not raises PyTorch's TypeError); None when it is no list of Tensors."""
    if not isinstance(x, (list, tuple)) or not x or not isinstance(x[0], Tensor):
        return None
    for i, t in enumerate(x):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(t).__name__}")
    return list(x)


def _self_list(name, overloads, args, kwargs):
    self = args[0]
    if isinstance(self, (list, tuple)) and not self:
        raise RuntimeError("Tensor list must have at least one tensor.")
    lst = _tensor_list(self)
    if lst is None:
        raise _invalid(name, overloads, args, kwargs)
    return lst


def _same_length(a, b):
    if len(a) != len(b):
        raise RuntimeError(f"Tensor lists must have the same number of tensors, got {len(a)} "
                           f"and {len(b)}")


def _scalar_list(tensors, scalars):
    if len(scalars) != len(tensors):
        raise RuntimeError("Tensor list must have same number of elements as scalar list.")
    return list(scalars)


def _form(x):
    """Which overload ``x`` (the argument after ``self``) selects, and its value."""
    if isinstance(x, Tensor):
        return "tensor", x
    if isinstance(x, _NUMBER):
        return "scalar", x
    if isinstance(x, (list, tuple)) and x:
        lst = _tensor_list(x)
        if lst is not None:
            return "tensors", lst
        if all(isinstance(v, _NUMBER) for v in x):
            return "scalars", list(x)
    return None, x


def _named(fn, name, doc):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


# ---- binary ops: (self, other[, alpha]) ------------------------------------------------------

# name: (Tensor method for the tensor forms, method for the scalar forms, forms, forms taking
# alpha, PyTorch's overload listing)
_BINARY = {
    "add": ("add", "add", ("scalar", "scalars", "tensor", "tensors"), ("tensor", "tensors"),
            ["(tuple of Tensors self, Number scalar)",
             "(tuple of Tensors self, tuple of Scalars scalars)",
             "(tuple of Tensors self, Tensor other, *, Number alpha = 1)",
             "(tuple of Tensors self, tuple of Tensors other, *, Number alpha = 1)"]),
    "sub": ("sub", "sub", ("scalar", "scalars", "tensors"), ("tensors",),
            ["(tuple of Tensors self, Number scalar)",
             "(tuple of Tensors self, tuple of Scalars scalars)",
             "(tuple of Tensors self, tuple of Tensors other, *, Number alpha = 1)"]),
    "mul": ("mul", "mul", ("scalars", "tensor", "tensors", "scalar"), (),
            ["(tuple of Tensors self, tuple of Scalars scalars)",
             "(tuple of Tensors self, Tensor other)",
             "(tuple of Tensors self, tuple of Tensors other)",
             "(tuple of Tensors self, Number scalar)"]),
    "div": ("div", "div", ("scalars", "tensor", "tensors", "scalar"), (),
            ["(tuple of Tensors self, tuple of Scalars scalars)",
             "(tuple of Tensors self, Tensor other)",
             "(tuple of Tensors self, tuple of Tensors other)",
             "(tuple of Tensors self, Number scalar)"]),
    "maximum": ("maximum", "clamp_min", ("scalar", "scalars", "tensors"), (),
                ["(tuple of Tensors self, Number scalar)",
                 "(tuple of Tensors self, tuple of Scalars scalars)",
                 "(tuple of Tensors self, tuple of Tensors other)"]),
    "minimum": ("minimum", "clamp_max", ("scalar", "scalars", "tensors"), (),
                ["(tuple of Tensors self, Number scalar)",
                 "(tuple of Tensors self, tuple of Scalars scalars)",
                 "(tuple of Tensors self, tuple of Tensors other)"]),
    "clamp_min": ("clamp_min", "clamp_min", ("scalar", "scalars", "tensors"), (),
                  ["(tuple of Tensors self, Number scalar)",
                   "(tuple of Tensors self, tuple of Scalars scalars)",
                   "(tuple of Tensors self, tuple of Tensors other)"]),
    "clamp_max": ("clamp_max", "clamp_max", ("scalar", "scalars", "tensors"), (),
                  ["(tuple of Tensors self, Number scalar)",
                   "(tuple of Tensors self, tuple of Scalars scalars)",
                   "(tuple of Tensors self, tuple of Tensors other)"]),
    "pow": ("pow", "pow", ("scalar", "scalars", "tensors"), (),
            ["(tuple of Tensors self, Number exponent)",
             "(tuple of Tensors self, tuple of Scalars exponent)",
             "(tuple of Tensors self, tuple of Tensors exponent)"]),
}
_POW_SCALAR_SELF = "(Number self, tuple of Tensors exponent)"


def _binary(op, inplace):
    tensor_method, scalar_method, forms, alpha_forms, overloads = _BINARY[op]
    name = f"_foreach_{op}{'_' if inplace else ''}"
    if op == "pow" and not inplace:
        overloads = [_POW_SCALAR_SELF] + overloads

    def fn(*args, **kwargs):
        if op == "pow" and not inplace and args and isinstance(args[0], _NUMBER):
            exps = _tensor_list(args[1]) if len(args) == 2 and not kwargs else None
            if exps is None:
                raise _invalid(name, overloads, args, kwargs)
            return tuple(_rpow(args[0], t) for t in exps)
        if len(args) != 2 or set(kwargs) - {"alpha"}:
            raise _invalid(name, overloads, args, kwargs)
        self = _self_list(name, overloads, args, kwargs)
        form, other = _form(args[1])
        if form == "tensor" and "tensor" not in forms and other.dim() == 0:
            form, other = "scalar", other.item()   # PyTorch's parser: a 0-dim Tensor is a Number
        if "alpha" in kwargs and form not in alpha_forms and len(alpha_forms) == 1:
            # one overload takes alpha: PyTorch's parser names the argument that mismatched
            raise TypeError(f"{name}(): argument 'other' (position 2) must be tuple of "
                            f"Tensors, not {_typename(args[1])}")
        if form not in forms or ("alpha" in kwargs and form not in alpha_forms):
            raise _invalid(name, overloads, args, kwargs)
        extra = {"alpha": kwargs["alpha"]} if "alpha" in kwargs else {}
        if form == "tensors":
            _same_length(self, other)
            pairs = zip(self, other)
        elif form == "scalars":
            pairs = zip(self, _scalar_list(self, other))
        else:
            if form == "tensor" and other.dim() != 0:
                raise RuntimeError(f"scalar tensor expected to be 0 dim but it has "
                                   f"{other.dim()} dimensions and {other.numel()} elements.")
            pairs = ((t, other) for t in self)
        method = tensor_method if form in ("tensor", "tensors") else scalar_method
        if inplace:
            for t, o in pairs:
                getattr(t, method + "_")(o, **extra)
            return args[0]
        return tuple(getattr(t, method)(o, **extra) for t, o in pairs)

    kind = "in place, returning ``self``" if inplace else "as a tuple of new tensors"
    return _named(fn, name, f"{name}(self, other, *, alpha=1): {op} of every tensor of "
                            f"``self`` with a Number, a list of Numbers, a list of Tensors "
                            f"(or a 0-dim Tensor where PyTorch takes one), {kind}.")


def _rpow(base, t):
    """base ** t for a Number base (torch.pow(Number, Tensor))."""
    return t.__rpow__(base)


# ---- ternary ops: addcmul, addcdiv, lerp -----------------------------------------------------

_POINTWISE_OVERLOADS = [
    "(tuple of Tensors self, tuple of Tensors tensor1, tuple of Tensors tensor2, "
    "tuple of Scalars scalars)",
    "(tuple of Tensors self, tuple of Tensors tensor1, tuple of Tensors tensor2, "
    "Tensor scalars)",
    "(tuple of Tensors self, tuple of Tensors tensor1, tuple of Tensors tensor2, "
    "Number value = 1)"]


def _pointwise(op, inplace):
    name = f"_foreach_{op}{'_' if inplace else ''}"
    ov = _POINTWISE_OVERLOADS

    def fn(*args, **kwargs):
        if not 3 <= len(args) + len(kwargs) <= 4 or len(args) < 3 or set(kwargs) - {
                "value", "scalars"} or len(args) == 4 and kwargs:
            raise _invalid(name, ov, args, kwargs)
        self = _self_list(name, ov, args, kwargs)
        t1, t2 = _tensor_list(args[1]), _tensor_list(args[2])
        if t1 is None or t2 is None:
            raise _invalid(name, ov, args, kwargs)
        value = args[3] if len(args) == 4 else kwargs.get("value", kwargs.get("scalars", 1))
        _same_length(self, t1)
        _same_length(self, t2)
        if isinstance(value, Tensor):
            if value.dim() != 1:
                raise RuntimeError(f"Expected packed scalar Tensor to be of dimension 1. Got "
                                   f"{value.dim()} instead.")
            if value.numel() != len(self):
                raise RuntimeError(f"Expected length of scalars to match input of length "
                                   f"{len(self)} but got {value.numel()} instead.")
            values = value.tolist()
        elif isinstance(value, _NUMBER) and "scalars" not in kwargs:
            values = [value] * len(self)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, _NUMBER) for v in value) \
                and "value" not in kwargs:
            values = _scalar_list(self, value)
        else:
            raise _invalid(name, ov, args, kwargs)
        if inplace:
            for t, a, b, v in zip(self, t1, t2, values):
                getattr(t, op + "_")(a, b, value=v)
            return args[0]
        return tuple(getattr(t, op)(a, b, value=v) for t, a, b, v in zip(self, t1, t2, values))

    kind = "in place, returning ``self``" if inplace else "as a tuple of new tensors"
    return _named(fn, name, f"{name}(self, tensor1, tensor2, value=1): {op} per tensor, the "
                            f"value a Number, a list of Numbers or a 1-D Tensor of one value "
                            f"per tensor, {kind}.")


_LERP_OVERLOADS = ["(tuple of Tensors self, tuple of Tensors tensors1, Number weight)",
                   "(tuple of Tensors self, tuple of Tensors tensors1, tuple of Scalars weight)",
                   "(tuple of Tensors self, tuple of Tensors tensors1, tuple of Tensors weights)"]


def _lerp(inplace):
    name = f"_foreach_lerp{'_' if inplace else ''}"
    ov = _LERP_OVERLOADS

    def fn(*args, **kwargs):
        if len(args) == 2 and set(kwargs) <= {"weight", "weights"} and len(kwargs) == 1:
            args = args + tuple(kwargs.values())
            kwargs = {}
        if len(args) != 3 or kwargs:
            raise _invalid(name, ov, args, kwargs)
        self = _self_list(name, ov, args, kwargs)
        ends = _tensor_list(args[1])
        form, weight = _form(args[2])
        if ends is None or form not in ("scalar", "scalars", "tensors"):
            raise _invalid(name, ov, args, kwargs)
        _same_length(self, ends)
        if form == "tensors":
            _same_length(self, weight)
            weights = weight
        elif form == "scalars":
            weights = _scalar_list(self, weight)
        else:
            weights = [weight] * len(self)
        if inplace:
            for t, e, w in zip(self, ends, weights):
                t.lerp_(e, w)
            return args[0]
        return tuple(t.lerp(e, w) for t, e, w in zip(self, ends, weights))

    kind = "in place, returning ``self``" if inplace else "as a tuple of new tensors"
    return _named(fn, name, f"{name}(self, tensors1, weight): lerp of each tensor toward its "
                            f"end by a Number, a list of Numbers or a list of Tensors, {kind}.")


# ---- unary ops and the rest ------------------------------------------------------------------

UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1",
         "floor", "frac", "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal",
         "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc")


def _unary(op, inplace):
    name = f"_foreach_{op}{'_' if inplace else ''}"

    def fn(self):
        lst = _self_list(name, ["(tuple of Tensors self)"], (self,), {})
        if inplace:
            for t in lst:
                getattr(t, op + "_")()
            return self
        return tuple(getattr(t, op)() for t in lst)

    kind = "in place, returning ``self``" if inplace else "as a tuple of new tensors"
    return _named(fn, name, f"{name}(self): {op} of every tensor of ``self``, {kind}.")


def _foreach_zero_(self):
    """_foreach_zero_(self): zero every tensor of ``self`` in place; returns ``self``."""
    for t in _self_list("_foreach_zero_", ["(tuple of Tensors self)"], (self,), {}):
        t.zero_()
    return self


def _foreach_copy_(self, src, non_blocking=False):
    """_foreach_copy_(self, src, non_blocking=False): copy each tensor of ``src`` into its
    tensor of ``self`` (broadcast, cast and moved as Tensor.copy_); returns ``self``."""
    ov = ["(tuple of Tensors self, tuple of Tensors src, bool non_blocking = False)"]
    dst = _self_list("_foreach_copy_", ov, (self, src), {})
    srcs = _tensor_list(src)
    if srcs is None:
        raise _invalid("_foreach_copy_", ov, (self, src), {})
    _same_length(dst, srcs)
    for t, s in zip(dst, srcs):
        t.copy_(s, non_blocking=non_blocking)
    return self


def _foreach_norm(self, ord=2, dtype=None):
    """_foreach_norm(self, ord=2, dtype=None): the vector ``ord``-norm of every tensor (all
    its elements; ord may be inf, -inf or 0), a tuple of 0-dim tensors."""
    lst = _self_list("_foreach_norm", ["(tuple of Tensors self, Scalar ord = 2, ScalarType? "
                                       "dtype = None)"], (self,), {})
    if not isinstance(ord, _NUMBER):
        raise TypeError(f"_foreach_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{_typename(ord)}")
    return tuple(reduction.norm(t, float(ord), None, False, dtype=dtype) for t in lst)


def _foreach_max(self):
    """_foreach_max(self): the largest element of every tensor, a tuple of 0-dim tensors."""
    lst = _self_list("_foreach_max", ["(tuple of Tensors self)"], (self,), {})
    if any(t.numel() == 0 for t in lst):
        raise RuntimeError("_foreach_max cannot compute the maximum of an empty tensor; max "
                           "over zero elements is undefined.")
    return tuple(t.max() for t in lst)


FUNCTIONS = {"_foreach_zero_": _foreach_zero_, "_foreach_copy_": _foreach_copy_,
             "_foreach_norm": _foreach_norm, "_foreach_max": _foreach_max}
for _inplace in (False, True):
    for _op in _BINARY:
        _f = _binary(_op, _inplace)
        FUNCTIONS[_f.__name__] = _f
    for _op in ("addcmul", "addcdiv"):
        _f = _pointwise(_op, _inplace)
        FUNCTIONS[_f.__name__] = _f
    _f = _lerp(_inplace)
    FUNCTIONS[_f.__name__] = _f
    for _op in UNARY:
        _f = _unary(_op, _inplace)
        FUNCTIONS[_f.__name__] = _f
