"""dtypes and PyTorch's type-promotion rules.

A ``dtype`` wraps a NumPy dtype (CuPy uses the same ones).  Promotion follows PyTorch:
operands are split into dimensioned tensors, zero-dim tensors and Python scalars, and a
lower "kind" of operand only decides the result when it is of a higher category
(bool < integer < floating).  So a Python float never turns a float32 tensor into float64,
and ``int_tensor * 1.5`` is float32 (the default dtype).

bfloat16 is ``ml_dtypes.bfloat16`` (an optional dependency: ``pip install ml_dtypes``; CuPy
14 uses the same NumPy dtype).  Its NumPy kind is 'V', not 'f': whether an array is floating
is asked of ``is_floating(arr.dtype)``, never of ``dtype.kind``.  Without ml_dtypes
``gradcore.bfloat16`` still exists, and using it raises ``ImportError`` naming the install.

float16 and bfloat16 compute as PyTorch does: in float32 (their "opmath" type), rounded
once to the storage type at the end of an op -- ``opmath(np_dtype)`` says which type an op
computes in, ``in_opmath(fn, xp, *arrays)`` runs an array function that way.
"""
import builtins as _b

import numpy as np

try:
    import ml_dtypes as _ml_dtypes
except ImportError:  # bfloat16 then exists as a dtype object that refuses to be used
    _ml_dtypes = None

_BF16_INSTALL = ("gradcore.bfloat16 needs the ml_dtypes package (NumPy's bfloat16): "
                 "pip install ml_dtypes  (or: pip install gradcore[bf16])")
# the NumPy type chars of gradcore's floating dtypes: float16, float32, float64 and
# ml_dtypes' bfloat16 ('E'; its kind is 'V', and ml_dtypes' float8_e5m2 has kind 'f')
_FLOAT_CHARS = "efdE"
REDUCED_CHARS = "eE"  # float16, bfloat16: computed in float32, rounded once (a hot test:
# ``arr.dtype.char in REDUCED_CHARS``, before calling ``in_opmath``)

_builtin_float, _builtin_int, _builtin_bool = _b.float, _b.int, _b.bool

__all__ = ["dtype", "float32", "float", "float64", "double", "float16", "half", "bfloat16",
           "int64", "long",
           "int32", "int", "int16", "short", "int8", "uint8", "bool", "complex64", "cfloat",
           "complex128", "cdouble"]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """dtype(name, np_dtype, cat, scalar_name): an element type, such as gradcore.float32.

    gradcore's dtypes are the module constants (float32/float, float64/double, float16/half,
    bfloat16, int64/long, int32/int, int16/short, int8, uint8, bool); don't construct new ones.
    Attributes: ``itemsize`` (bytes), ``is_floating_point``, ``is_signed``, ``np`` (the NumPy
    dtype).  Example:

        x = gradcore.zeros(3, dtype=gradcore.float64)
        x.dtype is gradcore.float64, x.dtype.itemsize      # True, 8
    """
    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed",
                 "_cat", "scalar_name")

    def __init__(self, name, np_dtype, cat, scalar_name):
        self.name = name
        self.scalar_name = scalar_name  # PyTorch's ScalarType name: "Float" (FloatTensor)
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = cat == _FLOAT
        self.is_complex = cat == _COMPLEX
        self.is_signed = cat != _BOOL and self.np.kind != "u"
        self._cat = cat

    def __repr__(self):
        return "gradcore." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        """to_real() -> dtype

        The real counterpart of a complex dtype (complex64 -> float32); others: self."""
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        """to_complex() -> dtype

        The complex counterpart of a floating dtype (float32 -> complex64; float16 too, as
        gradcore has no complex32); complex dtypes: self."""
        if self.is_complex:
            return self
        if not self.is_floating_point:
            raise RuntimeError(f"to_complex is only supported for floating point types, got "
                               f"{self}")
        return complex128 if self is float64 else complex64


float32 = dtype("float32", np.float32, _FLOAT, "Float")
float64 = dtype("float64", np.float64, _FLOAT, "Double")
float16 = dtype("float16", np.float16, _FLOAT, "Half")


class _MissingBFloat16(dtype):
    """bfloat16 without ml_dtypes installed: the dtype object exists (comparisons, repr,
    finfo's name), its NumPy dtype does not -- reading ``.np`` raises ImportError naming the
    install command."""
    __slots__ = ()

    def __init__(self):
        self.name, self.scalar_name, self.itemsize = "bfloat16", "BFloat16", 2
        self.is_floating_point, self.is_complex, self.is_signed = True, False, True
        self._cat = _FLOAT

    @property
    def np(self):
        raise ImportError(_BF16_INSTALL)


if _ml_dtypes is not None:
    bfloat16 = dtype("bfloat16", _ml_dtypes.bfloat16, _FLOAT, "BFloat16")
else:
    bfloat16 = _MissingBFloat16()
int64 = dtype("int64", np.int64, _INT, "Long")
int32 = dtype("int32", np.int32, _INT, "Int")
int16 = dtype("int16", np.int16, _INT, "Short")
int8 = dtype("int8", np.int8, _INT, "Char")
uint8 = dtype("uint8", np.uint8, _INT, "Byte")
bool = dtype("bool", np.bool_, _BOOL, "Bool")  # noqa: A001  (torch.bool)
complex64 = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloat")
complex128 = dtype("complex128", np.complex128, _COMPLEX, "ComplexDouble")
cfloat, cdouble = complex64, complex128
float, double, half, long, int, short = float32, float64, float16, int64, int32, int16  # noqa: A001

# the C++ type names PyTorch's messages use
CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "bfloat16": "c10::BFloat16", "int64": "long int",
             "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>"}

_ALL = (float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool, complex64,
        complex128)
_FROM_NP = {d.np: d for d in _ALL if not isinstance(d, _MissingBFloat16)}


def is_floating(np_dtype):
    """is_floating(np_dtype) -> bool

    Whether a NumPy/CuPy array dtype is one of gradcore's floating dtypes (float16, bfloat16,
    float32, float64) -- the one test for it: ml_dtypes' bfloat16 has NumPy kind 'V'."""
    return np_dtype.char in _FLOAT_CHARS


def opmath(np_dtype):
    """opmath(np_dtype) -> NumPy dtype

    The type an op on ``np_dtype`` computes in (PyTorch's opmath type): float32 for float16
    and bfloat16, the dtype itself otherwise."""
    return _F32 if np_dtype.char in REDUCED_CHARS else np_dtype


def in_opmath(fn, xp, *arrays):
    """in_opmath(fn, xp, *arrays) -> array or tuple of arrays

    ``fn(xp, *arrays)`` as PyTorch computes an op on float16 and bfloat16: when the first
    array is of such a dtype, every array of that dtype is widened to float32, ``fn`` runs
    there (elementwise math, accumulation), and each float32 result is rounded once back to
    that dtype; for any other dtype it is ``fn(xp, *arrays)`` itself.  The arrays share the
    dtype the op promoted them to; other arguments (integer arrays such as indices, axes,
    Python numbers) pass as they are, and so do integer results."""
    dt = arrays[0].dtype
    if dt.char not in REDUCED_CHARS:
        return fn(xp, *arrays)
    out = fn(xp, *[a.astype(_F32) if getattr(a, "dtype", None) == dt else a for a in arrays])
    if type(out) is tuple:
        return tuple(_round_to(o, dt) for o in out)
    return _round_to(out, dt)


def is_reduced(np_dtype):
    """is_reduced(np_dtype) -> bool

    Whether an array dtype is float16 or bfloat16: the dtypes PyTorch computes in float32
    (see ``in_opmath``)."""
    return np_dtype.char in REDUCED_CHARS


def _round_to(out, dt):
    if getattr(out, "dtype", None) != _F32:
        return out
    with np.errstate(over="ignore"):  # beyond float16's range: inf, silently, as PyTorch
        return out.astype(dt)


_F32 = np.dtype(np.float32)


def _by_name(name):
    return globals()[name]


_default_dtype = [float32]


def get_default_dtype():
    """get_default_dtype() -> dtype

    The floating dtype tensors get when none is given or inferred (float32 at start)."""
    return _default_dtype[0]


def set_default_dtype(d):
    """set_default_dtype(d) -> None

    Make the floating dtype ``d`` (float16, bfloat16, float32 or float64) the default for new
    float tensors and for Python floats; other dtypes raise TypeError."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype[0] = d


def from_numpy_dtype(np_dtype):
    """The gradcore dtype of a NumPy/CuPy array dtype; TypeError for unsupported ones."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        name = np.dtype(np_dtype).type.__name__
        raise TypeError(f"can't convert np.ndarray of type numpy.{name}. The only supported "
                        "types are: float64, float32, float16, complex64, complex128, "
                        "int64, int32, int16, int8, uint8, and bool.") from None


def to_dtype(d):
    """Accept a gradcore dtype, a NumPy dtype, or Python's float/int/bool types."""
    if isinstance(d, dtype):
        return d
    if d is _builtin_float:
        return get_default_dtype()
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    return from_numpy_dtype(np.dtype(d))


def promote_types(a, b):
    """promote_types(a, b) -> dtype

    The smallest dtype both ``a`` and ``b`` convert to without losing their category: the
    floating one of an int and a float whatever the sizes, else the wider (int8 with uint8:
    int16)."""
    if a is b or b is bool:
        return a
    if a is bool:
        return b
    if a._cat < b._cat:
        a, b = b, a
    if a._cat != b._cat and not (a.is_complex and b.is_floating_point):
        return a  # the higher category's type, whatever the sizes (int with float: the float)
    if b is bfloat16 or a is bfloat16:  # without asking NumPy: ml_dtypes may be missing
        other = a if b is bfloat16 else b
        return float32 if other is float16 else other
    # same category, or complex with float: complex64 + float64 is complex128
    return _FROM_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(x):
    """The dtype a Python scalar has when it stands alone (torch.tensor(x))."""
    if isinstance(x, _builtin_bool) or isinstance(x, np.bool_):
        return bool
    if isinstance(x, (_builtin_int, np.integer)):
        return int64
    if isinstance(x, (complex, np.complexfloating)):
        return get_default_dtype().to_complex()
    return get_default_dtype()


def _combine(higher, lower):
    # PyTorch's combine_categories: the lower kind of operand wins only with a higher category.
    if higher is None:
        return lower
    if lower is None or lower._cat <= higher._cat:
        return higher
    if higher.is_floating_point:  # a complex scalar with a float tensor: its complex type
        return higher.to_complex()
    if higher is bool or lower.is_floating_point or lower.is_complex:
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """torch.result_type over Tensors (anything with .dtype and .ndim) and Python scalars."""
    dim = zero = wrapped = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))
