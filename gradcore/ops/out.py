"""``out=``: a function's result written into tensors the caller gives, with PyTorch's rules.

Written once for every function PyTorch gives an ``out=``: ``with_out(fn, name)`` is ``fn``
with a keyword-only ``out=None``; ``wrap_namespace`` applies it to the names of ``RULES`` in a
namespace (gradcore's, by ops/__init__; gradcore.linalg's, gradcore.special's and
nn.functional's, by those modules).  Tensor methods are not wrapped (PyTorch's take no
``out=``), so they pay nothing; the wrapper costs a top-level call ~0.15 us.  Declared ops
(ops/declare.py) take ``out=`` themselves and call ``into`` (no wrapper: their methods, the
same functions, accept it too).
What ``out=`` does, as PyTorch does it:

* the result is computed as without ``out=`` and written into ``out`` (its version counter is
  bumped); ``out`` is returned -- for a multi-output op (sort, topk, max(dim) ...) ``out`` is a
  tuple of tensors, written element by element and returned as the ``<name>_out`` named tuple;
* a result of another shape resizes ``out`` (a UserWarning when ``out`` had elements);
* dtypes: by the op's rule (``RULES``): "cast" ops (TensorIterator's: elementwise,
  most reductions, cat) write into any dtype the result can be cast to safely (no float into
  an integer, nothing into bool but bool), "same" ops need exactly the result's dtype,
  "dtype" ops compute in ``out``'s dtype (sum, cumsum, the factories ...); each with
  PyTorch's error type and wording for that op;
* with grad mode on, an argument (or ``out``) that requires grad is refused: PyTorch's
  out= variants are not differentiable;
* ``out`` on another device than the result is refused.
"""
import collections
import functools
import inspect
import os
import re
import sys
import warnings

from .._dtype import CPP_NAMES
from ..autograd.grad_mode import _state
from ..tensor import Tensor

_CAST_MSG = "result type {R} can't be cast to the desired output type {O}"
_EXPECTED = "Expected out tensor to have dtype {r}, but got {o} instead"
_FOUND = "Found dtype {O} but expected {R}"
_CAT = "torch.cat(): input types can't be cast to the desired output type {O}"
_RESIZED = ("An output with one or more elements was resized since it had shape {old}, which "
            "does not match the required output shape {new}. This behavior is deprecated, and "
            "in a future PyTorch release outputs will not be resized unless they have zero "
            "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to "
            "zero elements with t.resize_(0).")


_ITSELF = object()  # Rule(multi=_ITSELF): the rule serves tuple outs too


class Rule:
    """How one op writes into ``out``: ``kind`` "cast", "same" or "dtype" (see the module
    docstring), the exception and message (``{R}``/``{O}``: the result's and out's ScalarType
    names, ``{r}``/``{o}``: their C++ names; or ``msg(result_dtype, out_dtype)``) of a dtype
    ``out`` can't take; ``resized``: the warning when ``out`` had elements and another shape
    (``{old}``, ``{new}``: the shapes; None: silent); ``when``: ``(test(args, kwargs),
    rule)``, the rule instead for the calls ``test`` picks (clamp's tensor bounds:
    ``_tensor_args``); ``multi``: the rule when the result is a tuple (max(dim): values and
    indices of exactly their dtypes); ``needs``: the argument without which PyTorch's form
    has no out= (sum's dim); ``device``: a factory, which also makes its result on ``out``'s
    device."""
    __slots__ = ("kind", "exc", "msg", "device", "resized", "when", "multi", "needs")

    def __init__(self, kind="cast", msg=_CAST_MSG, exc=RuntimeError, device=False,
                 resized=_RESIZED, when=None, multi=None, needs=None):
        self.kind, self.msg, self.exc, self.device = kind, msg, exc, device
        self.needs = needs  # (argument, its position, always "missing"): out= needs it given
        self.resized = resized  # the warning when out had elements (None: resized silently)
        self.when = when  # (test(args, kwargs), the rule for the calls it picks)
        # the rule for a tuple of outs: a "same" rule itself, else (max(dim) ...) EXPECTED
        self.multi = self if multi is _ITSELF or (multi is None and kind == "same") else multi

    def __repr__(self):
        return f"Rule({self.kind!r}, {self.msg!r})"


CAST, SAME, EXPECTED = Rule(), Rule("same", _FOUND), Rule("same", _EXPECTED)
DTYPE, FACTORY = Rule("dtype"), Rule("dtype", device=True, resized=None)
ARANGE = Rule("dtype", device=True, resized=(
    "The number of elements in the out tensor of shape {old} is {n_old} which does not match "
    "the computed number of elements {n_new}. Note that this may occur as a result of rounding "
    "error. The out tensor will be resized to a tensor of shape {new_tuple}."))


def _tensor_args(args, kwargs):
    """A tensor among the arguments after the first (clamp's bounds, max's other)."""
    return any(isinstance(a, Tensor) for a in args[1:] + tuple(kwargs.values()))


def _no_dim(args, kwargs):
    return len(args) < 2 and kwargs.get("dim") is None


BOUNDS = Rule("same", _FOUND, when=(_tensor_args, CAST))  # number bounds keep the dtype
_CAN_CAST = ("Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType("
             "out.dtype())) to be true, but got false.  (Could this error message be improved?  "
             "If so, please report an enhancement request to PyTorch.)")


def _SEARCHSORTED(src, dst):
    return ("torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or "
            "Long(int64) depending on whether out_int32 flag is True, but we got output tensor's "
            f"dtype {dst.scalar_name} and out_int32 flag is {src.name == 'int32'}")


def _same(msg):
    return Rule("same", msg)


# Every function of gradcore's namespaces that PyTorch gives an out=, with its rule (CAST when
# not listed otherwise).  tests/test_out_inplace.py walks PyTorch's functions and fails on one
# that accepts out= and is in gradcore but missing here.
_CAST_NAMES = """
acos acosh add addcdiv addcmul addr angle arccos arccosh arcsin arcsinh arctan arctan2
arctanh asin asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_not bitwise_or
bitwise_right_shift bitwise_xor copysign cos cosh deg2rad diff
digamma div divide eq erf erfc erfinv exp exp2 expm1 floor_divide fmod gcd ge greater gt hypot
i0 kron lcm le less lgamma log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not
logical_or logical_xor logit lt maximum minimum mul multiply nanmean ne nextafter
outer ger polygamma pow rad2deg reciprocal remainder rsqrt sigmoid sin sinc sinh sqrt square std
sub subtract tan tanh true_divide var xlogy chain_matmul
special.digamma special.entr special.erf special.erfc special.erfinv special.exp2
special.expit special.expm1 special.gammainc special.gammaincc special.gammaln special.i0
special.i1 special.log1p special.log_ndtr special.logit special.ndtr special.ndtri
special.polygamma special.psi special.sinc special.xlog1py special.xlogy
"""
_SAME_FOUND = """abs absolute ceil floor fix frac round sign sgn trunc neg negative lerp
hardshrink special.round"""
_EXPECTED_NAMES = """addmm addmv baddbmm bmm mm mv matmul linalg.matmul cross linalg.cross diag
gather take_along_dim tril triu msort argmax argmin isin norm linalg.det linalg.inv linalg.solve
linalg.eigvalsh linalg.svdvals linalg.vector_norm linalg.cholesky sort topk aminmax
mode linalg.eigh linalg.slogdet slogdet linalg.qr linalg.svd scatter"""
_CAT_NAMES = "cat concat concatenate stack hstack vstack dstack column_stack row_stack"
_DTYPE_NAMES = "nansum cumsum cumprod"
_FACTORY_NAMES = "zeros ones empty full eye linspace logspace rand randn randint randperm"

RULES = {}
RULES.update(dict.fromkeys(_CAST_NAMES.split(), CAST))
RULES.update(dict.fromkeys(_SAME_FOUND.split(), SAME))
RULES.update(dict.fromkeys(_EXPECTED_NAMES.split(), EXPECTED))
RULES.update(dict.fromkeys(_CAT_NAMES.split(), Rule("cast", _CAT, TypeError)))
RULES.update(dict.fromkeys(_DTYPE_NAMES.split(), DTYPE))
RULES.update(dict.fromkeys(_FACTORY_NAMES.split(), FACTORY))
RULES.update(dict.fromkeys("clamp clamp_max clamp_min clip".split(), BOUNDS))
RULES["arange"] = ARANGE
RULES.update({
    "addbmm": _same("self and mat2 must have the same dtype, but got {O} and {R}"),
    "dot": _same("result dtype {O} does not match input dtype {R}"),
    "vdot": _same("result dtype {O} does not match input dtype {R}"),
    "amax": _same("Expected the dtype for input and out to match, but got {R} for input's "
                  "dtype and {O} for out's dtype."),
    "amin": _same("Expected the dtype for input and out to match, but got {R} for input's "
                  "dtype and {O} for out's dtype."),
    "take": _same("take(): self and out expected to have the same dtype, but got self.dtype "
                  "= {R} and out.dtype = {O}"),
    "tensordot": _same("tensordot: Expected the output tensor to have dtype {R}, but got an "
                       "output tensor with dtype {O}"),
    "inner": _same("tensordot: Expected the output tensor to have dtype {R}, but got an "
                   "output tensor with dtype {O}"),
    "index_select": _same("index_select(): self and result must have the same scalar type"),
    "masked_select": _same("masked_select(): self and result must have the same scalar type"),
    "logcumsumexp": _same("expected scalar_type {R} but found {O}"),
    "cummax": _same("expected scalar_type {R} but found {O}"),
    "cummin": _same("expected scalar_type {R} but found {O}"),
    "kthvalue": _same("output values must be of same type as input"),
    "nan_to_num": _same("nan_to_num: dtype of out: {O} should be same as input: {R}"),
    "quantile": _same("quantile() out tensor must be same dtype as the input tensor"),
    "nanquantile": _same("quantile() out tensor must be same dtype as the input tensor"),
    "heaviside": _same("heaviside is not yet implemented for tensors with different dtypes."),
    "complex": _same("Expected object of scalar type {R} but got scalar type {O} for "
                     "argument 'out'"),
    "polar": _same("Expected object of scalar type {R} but got scalar type {O} for "
                   "argument 'out'"),
    "nonzero": _same("nonzero: Expected out tensor to have scalar type Long but got scalar "
                     "type{O}"),
    "all": _same("all only supports bool tensor for result, got: {O}"),
    "any": _same("any only supports bool tensor for result, got: {O}"),
    "float_power": _same("the output given to float_power has dtype {O} but the operation's "
                         "result requires dtype {R}"),
    "linalg.norm": _same("linalg.norm expected out tensor dtype {R} but got: {O}"),
    "linalg.matrix_norm": _same("linalg.matrix_norm expected out tensor dtype {R} but got: {O}"),
    "linalg.multi_dot": _same("multi_dot(): expected out tensor to have dtype {r} but got {o}"),
    "logsumexp": Rule("cast", "logsumexp(): Expected floating point type for result tensor, "
                      "but got: {O}"),
    "special.logsumexp": Rule("cast", "logsumexp(): Expected floating point type for result "
                              "tensor, but got: {O}"),
    "linalg.matrix_power": Rule("cast", "matrix_power: Expected result to be safely castable "
                                "from {R} dtype, but got result with dtype {O}"),
    "linalg.pinv": Rule("cast", "linalg.pinv: Expected result to be safely castable from {R} "
                        "dtype, but got result with dtype {O}"),
    "linalg.matrix_rank": Rule("cast", "torch.linalg.matrix_rank: Expected result to be safely "
                               "castable from {R} dtype, but got result with dtype {O}"),
    # (PyTorch's message names the result's type twice)
    "special.multigammaln": Rule("cast", "mvlgamma: result type {R} can't be cast to the "
                                 "desired output type {R}"),
    "multinomial": _same("multinomial expects Long tensor out, got: {O}"),
    "normal": CAST, "bernoulli": CAST,
    "linalg.lstsq": Rule("cast", "torch.linalg.lstsq: Expected solution to be safely castable "
                         "from {R} dtype, but got solution with dtype {O}", multi=_ITSELF),
    # max(input), min(input) (a tensor other: maximum's rule; a dim: values and indices)
    "max": Rule("cast", _CAN_CAST, when=(_tensor_args, CAST)),
    "min": Rule("cast", _CAN_CAST, when=(_tensor_args, CAST)),
    "mean": Rule(when=(_no_dim, Rule("cast", "mean.dtype_out(): input types can't be cast to "
                                     "the desired output type {O}"))),
    # forms PyTorch gives no out=: sum(input), median(input), argsort without stable ...
    "sum": Rule("dtype", needs=("dim", 1, False)),
    "prod": Rule("dtype", needs=("dim", 1, False)),
    "median": Rule("same", _EXPECTED, needs=("dim", 1, True)),
    "nanmedian": Rule("same", _EXPECTED, needs=("dim", 1, True)),
    "argsort": Rule("same", _EXPECTED, needs=("stable", 99, False)),
    "where": Rule("same", "Expected out type to be {R} but got {O}", needs=("other", 2, False)),
    "linalg.householder_product": Rule("cast", "torch.linalg.householder_product: Expected "
                                       "result to be safely castable from {R} dtype, but got "
                                       "result with dtype {O}"),
    "mode": _same("expected scalar type '{R}' but got '{O}' for values output"),
    # nn.functional's builtins that take out= (PyTorch's torch._C._nn functions), normalize
    "nn.functional.gelu": SAME, "nn.functional.softplus": SAME,
    "nn.functional.hardshrink": SAME, "nn.functional.softshrink": SAME,
    "nn.functional.logsigmoid": Rule("same", "expected scalar type {R} but found {O}",
                                     resized=None),  # resized silently (with its buffer)
    "nn.functional.linear": EXPECTED, "nn.functional.avg_pool2d": EXPECTED,
    "nn.functional.avg_pool3d": EXPECTED, "nn.functional.normalize": CAST,
    "searchsorted": _same(_SEARCHSORTED),
    "bucketize": _same(_SEARCHSORTED),
})
# issue 12's names (ops/unary_math, binary_math, sorting, structure; linalg/legacy.py)
RULES.update(dict.fromkeys("fmax fmin igamma igammac greater_equal less_equal not_equal "
                           "matrix_rank".split(), CAST))
RULES.update(dict.fromkeys("inverse slice_scatter qr svd triangular_solve frexp lu_solve "
                           "lu_unpack linalg.lu linalg.lu_factor linalg.lu_factor_ex "
                           "linalg.lu_solve linalg.cholesky_ex linalg.inv_ex".split(), EXPECTED))
RULES.update(dict.fromkeys("alias_copy as_strided_copy detach_copy diagonal_copy expand_copy "
                           "narrow_copy permute_copy select_copy slice_copy squeeze_copy t_copy "
                           "transpose_copy unfold_copy unsqueeze_copy view_copy".split(),
                           EXPECTED))  # ops/views_more.py
RULES["conj_physical"] = SAME
RULES.update({n: _same(f"{n} does not support non-boolean outputs.")
              for n in ("signbit", "isposinf", "isneginf")})
RULES.update({n: Rule("cast", n + ": Expected result to be safely castable from {R} dtype, "
                      "but got result with dtype {O}")
              for n in ("cholesky", "cholesky_inverse", "cholesky_solve")})
RULES.update({
    "ldexp": Rule("cast", "ldexp can't be cast to the desired output type {O}"),
    "histc": _same("torch.histogram: input tensor and hist tensor should have the same dtype, "
                   "but got input {r} and hist {o}"),
    "linalg.vecdot": _same("linalg.vecdot: Expected out of dtype{R} but found {O}"),
    "linalg.solve_triangular": _same("expected scalar type {R} but found {O}"),
    "histogram": Rule("same", "torch.histogram: input tensor and hist tensor should have the "
                      "same dtype, but got input {r} and hist {o}"),
    "linalg.eigvals": Rule("cast", "torch.linalg.eigvals: Expected eigenvalues to be safely "
                           "castable from {R} dtype, but got eigenvalues with dtype {O}"),
    "linalg.eig": Rule("cast", "torch.linalg.eig: Expected eigenvalues to be safely castable "
                       "from {R} dtype, but got eigenvalues with dtype {O}", multi=_ITSELF),
})


def _message(rule, res, out):
    src, dst = res.dtype, out.dtype
    if callable(rule.msg):
        return rule.msg(src, dst)
    return rule.msg.format(R=src.scalar_name, O=dst.scalar_name, r=CPP_NAMES[src.name],
                           o=CPP_NAMES[dst.name])


def check(out, res, rule=CAST):
    """Raise PyTorch's error if ``out`` can't take ``res``: its dtype by ``rule``, its device."""
    src, dst = res.dtype, out.dtype
    if src is not dst and (rule.kind == "same" or src._cat > dst._cat):
        raise rule.exc(_message(rule, res, out))
    if res._be is not out._be:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {res.device} and {out.device}!")


def write(out, res, rule=CAST):
    """Write the Tensor ``res`` into the Tensor ``out`` by ``rule``; returns ``out``."""
    check(out, res, rule)
    _store(out, res, rule)
    return out


def _store(out, res, rule):
    shape = res._arr.shape
    if out._arr.shape != shape:
        _resize(out, shape, rule.resized)
    out._be.xp.copyto(out._arr, res._arr, casting="unsafe")
    out._bump_version()


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def caller_level():
    """The ``stacklevel`` (seen from the function calling this) of the first frame outside
    gradcore: the user's call, however many of gradcore's wrappers (out=, autocast) it went
    through."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _resize(out, shape, message):
    if out._arr.size and message is not None:
        n_new = 1
        for d in shape:
            n_new *= d
        warnings.warn(message.format(old=list(out._arr.shape), new=list(shape),
                                     n_old=out._arr.size, n_new=n_new, new_tuple=tuple(shape)),
                      UserWarning, stacklevel=caller_level())
    if out._view is not None:
        # PyTorch resizes the storage a view shares; gradcore's arrays can't grow in place
        raise RuntimeError(f"gradcore can't resize a view used as out= (shape "
                           f"{list(out._arr.shape)}, needed {list(shape)}): give a tensor of "
                           f"the result's shape, or one that is not a view")
    out._arr = out._be.xp.empty(shape, dtype=out._arr.dtype)


def _node_op(tensors):
    """PyTorch names the op of the refusal after its autograd node: abs for absolute,
    sigmoid for expit, linalg_inv_ex for linalg.inv."""
    for t in tensors:
        node = t._node
        if node is not None:
            name = re.sub(r"Backward[0-9]*$", "", node.name())
            return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return None


def _check_autograd(name, results, outs):
    if _state.enabled and any(t._rg for t in results + outs):
        raise RuntimeError(f"{_node_op(results) or name}(): functions with out=... arguments "
                           "don't support automatic differentiation, but one of the arguments "
                           "requires grad.")


@functools.lru_cache(maxsize=None)
def _out_type(cls):
    """The ``<name>_out`` named tuple PyTorch returns for ``out=`` (torch.return_types)."""
    t = collections.namedtuple(cls.__name__ + "_out", cls._fields)
    t.__module__ = cls.__module__
    return t


def into(name, out, res):
    """``res`` (one Tensor, computed without out=) written into ``out`` by ``name``'s rule:
    what a declared op calls when given ``out=`` (ops/declare.py; no wrapper, no frame)."""
    rule = RULES.get(name)
    if rule is None:  # a declared op PyTorch gives no out= (relu ...)
        raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    _check_autograd(name, (res,), (out,))
    return write(out, res, rule)


def _refuse_form(name, rule, out, args, kwargs):
    """PyTorch's TypeError for a call whose form takes no out= (sum without dim ...)."""
    arg, pos, missing = rule.needs
    if len(args) > pos or arg in kwargs:
        return
    if missing or kwargs:
        raise TypeError(f'{name}() missing 1 required positional arguments: "{arg}"')
    got = [("Tensor" if isinstance(a, Tensor) else type(a).__name__) for a in args]
    got.append(f"out={'Tensor' if isinstance(out, Tensor) else type(out).__name__}")
    raise TypeError(f"{name}() received an invalid combination of arguments - got "
                    f"({', '.join(got)}), but expected one of:")


def _call(fn, name, rule, out, args, kwargs):
    if rule.needs is not None:
        _refuse_form(name.rsplit(".", 1)[-1], rule, out, args, kwargs)
    multi = isinstance(out, (tuple, list))
    if not multi and not isinstance(out, Tensor):
        raise TypeError(f"{name.rsplit('.', 1)[-1]}(): argument 'out' must be Tensor, not "
                        f"{type(out).__name__}")
    if rule.kind == "dtype" and not multi and kwargs.get("dtype") is None:
        kwargs["dtype"] = out.dtype
        if rule.device and kwargs.get("device") is None:
            kwargs["device"] = out.device
    if rule.when is not None and rule.when[0](args, kwargs):
        rule = rule.when[1]
    res = fn(*args, **kwargs)
    if not isinstance(res, tuple):
        if multi:
            raise TypeError(f"{name.rsplit('.', 1)[-1]}(): argument 'out' must be Tensor, not "
                            f"{type(out).__name__}")
        _check_autograd(name, (res,), (out,))
        return write(out, res, rule)
    if not multi:
        raise TypeError(f"{name.rsplit('.', 1)[-1]}(): argument 'out' must be tuple of "
                        f"Tensors, not {type(out).__name__}")
    if len(out) != len(res):
        raise TypeError(f"expected tuple of {len(res)} elements but got {len(out)}")
    for i, o in enumerate(out):
        if not isinstance(o, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 'out', but got "
                            f"{type(o).__name__}")
    _check_autograd(name, tuple(res), tuple(out))
    rule = rule.multi or EXPECTED
    for o, r in zip(out, res):  # every out checked before any is written
        check(o, r, rule)
    for o, r in zip(out, res):
        write(o, r, rule)
    cls = type(res)
    return _out_type(cls)(*out) if hasattr(cls, "_fields") else tuple(out)


def with_out(fn, name, rule=None):
    """``fn`` with a keyword-only ``out=None``, written by ``rule`` (``RULES[name]``)."""
    rule = RULES.get(name, CAST) if rule is None else rule

    @functools.wraps(fn)
    def function(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return _call(fn, name, rule, out, args, kwargs)
    function.__signature__ = _signature(fn)
    function._out_of = fn
    function._takes_out = True
    return function


def _signature(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params = [p for n, p in sig.parameters.items() if n != "out"]
    kinds = [p.kind for p in params]
    out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    if inspect.Parameter.VAR_KEYWORD in kinds:
        params.insert(kinds.index(inspect.Parameter.VAR_KEYWORD), out)
    else:
        params.append(out)
    return sig.replace(parameters=params)


def wrap_namespace(namespace, prefix=""):
    """Give each function of ``namespace`` (a dict) that ``RULES`` lists as ``prefix + name``
    its ``out=`` (once: a function that takes one already -- wrapped, or a declared op's,
    ``_takes_out`` -- is left)."""
    for n, fn in list(namespace.items()):
        rule = RULES.get(prefix + n)
        if rule is not None and callable(fn) and not getattr(fn, "_takes_out", False):
            namespace[n] = with_out(fn, prefix + n, rule)
    return namespace
