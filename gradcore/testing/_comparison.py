"""assert_close and its machinery, with PyTorch's semantics and messages
(torch.testing._comparison): inputs are paired up (recursing through sequences and mappings),
each pair is checked by the first kind that accepts it (None, bool, number, tensor-like), and
the first mismatch is raised as AssertionError with PyTorch's text.

The numbers in a message (greatest differences, their indices) are computed by gradcore's own
ops in the tensors' dtype, as PyTorch computes them, so they read the same.
"""
import cmath
import collections.abc
import contextlib
import warnings

import numpy as np

from .. import _dtype
from ..ops.factories import as_tensor, tensor
from ..tensor import Tensor

# {dtype: (rtol, atol)}: PyTorch's table; other dtypes (integers, bool) compare exactly.
_DTYPE_PRECISIONS = {_dtype.float16: (0.001, 1e-5), _dtype.bfloat16: (0.016, 1e-5),
                     _dtype.float32: (1.3e-6, 1e-5), _dtype.float64: (1e-7, 1e-7),
                     _dtype.complex64: (1.3e-6, 1e-5), _dtype.complex128: (1e-7, 1e-7)}
# the dtype a Python number's tolerances are those of
_NUMBER_DTYPES = {int: _dtype.int64, float: _dtype.float64, complex: _dtype.complex128}


class _Failure(Exception):
    """A failed check: the exception type to raise, PyTorch's message and the item's path."""

    def __init__(self, kind, msg, *, id=()):  # noqa: A002  (PyTorch's name)
        super().__init__(msg)
        self.kind, self.msg, self.id = kind, msg, id

    def to_error(self, msg=None):
        """The user-facing exception: ``msg`` when a str, else the generated message (with
        the failing item's path), passed through ``msg`` when it is a callable."""
        if not isinstance(msg, str):
            text = self.msg
            if self.id:
                text += ("\n\nThe failure occurred for item "
                         + "".join(str([item]) for item in self.id))
            msg = msg(text) if callable(msg) else text
        return self.kind(msg)


class _Unsupported(Exception):
    """This kind of pair does not take these inputs: try the next."""


def default_tolerances(*inputs, dtype_precisions=None):
    """default_tolerances(*inputs, dtype_precisions=None) -> (rtol, atol)

    The loosest default tolerances over the inputs' dtypes (tensors or dtypes)."""
    dtypes = []
    for x in inputs:
        if isinstance(x, Tensor):
            dtypes.append(x.dtype)
        elif isinstance(x, _dtype.dtype):
            dtypes.append(x)
        else:
            raise TypeError(f"Expected a torch.Tensor or a torch.dtype, but got {type(x)} "
                            "instead.")
    table = dtype_precisions or _DTYPE_PRECISIONS
    rtols, atols = zip(*[table.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def _tolerances(*inputs, rtol, atol, id):  # noqa: A002
    if (rtol is None) ^ (atol is None):
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or "
                       f"omitted, but got no {'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    return default_tolerances(*inputs)


def _mismatch_msg(identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    """PyTorch's 'X are not close!' text; indices None for scalars."""
    equality = rtol == 0 and atol == 0
    lines = [f"{identifier} are not {'equal' if equality else 'close'}!", "", extra.strip()]
    for kind, diff, idx, tol in (("absolute", abs_diff, abs_idx, atol),
                                 ("relative", rel_diff, rel_idx, rtol)):
        line = (f"{kind.title()} difference: {diff}" if idx is None else
                f"Greatest {kind} difference: {diff} at index {idx}")
        lines.append(line if equality else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


def _scalar_msg(actual, expected, *, rtol, atol, identifier="Scalars"):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(identifier, f"Expected {expected} but got {actual}.", abs_diff,
                         None, atol, rel_diff, None, rtol)


def _unravel(flat, shape):
    out = []
    for size in reversed(shape):
        flat, mod = divmod(flat, size)
        out.append(mod)
    return tuple(reversed(out))


def _tensor_msg(actual, expected, matches, *, rtol, atol, identifier="Tensor-likes"):
    n = matches.numel()
    bad = n - int(matches.sum().item())
    extra = f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"
    a, e, m = actual.flatten(), expected.flatten(), matches.flatten()
    if not a.dtype.is_floating_point and not a.dtype.is_complex:
        a, e = a.to(_dtype.int64), e.to(_dtype.int64)
    abs_diff = (a - e).abs()
    abs_diff[m] = 0
    max_abs, abs_at = abs_diff.max(0)
    rel_diff = abs_diff / e.abs()
    rel_diff[m] = 0
    max_rel, rel_at = rel_diff.max(0)
    return _mismatch_msg(identifier, extra, max_abs.item(), _unravel(int(abs_at), matches.shape),
                         atol, max_rel.item(), _unravel(int(rel_at), matches.shape), rtol)


# ---- the kinds of pair: each takes (actual, expected, id, options) or raises _Unsupported ----

class _NonePair:
    def __init__(self, actual, expected, id, **options):  # noqa: A002
        if not (actual is None or expected is None):
            raise _Unsupported
        self.actual, self.expected, self.id = actual, expected, id

    def compare(self):
        if not (self.actual is None and self.expected is None):
            raise _Failure(AssertionError, f"None mismatch: {self.actual} is not "
                           f"{self.expected}", id=self.id)


class _BooleanPair:
    def __init__(self, actual, expected, id, **options):  # noqa: A002
        if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
            raise _Unsupported
        self.actual, self.expected, self.id = bool(actual), bool(expected), id

    def compare(self):
        if self.actual is not self.expected:
            raise _Failure(AssertionError, f"Booleans mismatch: {self.actual} is not "
                           f"{self.expected}", id=self.id)


class _NumberPair:
    def __init__(self, actual, expected, id, *, rtol=None, atol=None, equal_nan=False,  # noqa
                 check_dtype=False, **options):
        if not all(isinstance(x, (int, float, complex, np.number)) for x in (actual, expected)):
            raise _Unsupported
        self.actual, self.expected = (x.item() if isinstance(x, np.number) else x
                                      for x in (actual, expected))
        self.id, self.equal_nan, self.check_dtype = id, equal_nan, check_dtype
        self.rtol, self.atol = _tolerances(
            *[_NUMBER_DTYPES[int if type(x) is bool else type(x)]
              for x in (self.actual, self.expected)], rtol=rtol, atol=atol, id=id)

    def compare(self):
        a, e = self.actual, self.expected
        if self.check_dtype and type(a) is not type(e):
            raise _Failure(AssertionError, f"The (d)types do not match: {type(a)} != "
                           f"{type(e)}.", id=self.id)
        if a == e or (self.equal_nan and cmath.isnan(a) and cmath.isnan(e)):
            return
        diff = abs(a - e)
        if cmath.isfinite(diff) and diff <= self.atol + self.rtol * abs(e):
            return
        raise _Failure(AssertionError, _scalar_msg(a, e, rtol=self.rtol, atol=self.atol),
                       id=self.id)


class _TensorLikePair:
    def __init__(self, actual, expected, id, *, allow_subclasses=True, rtol=None,  # noqa
                 atol=None, equal_nan=False, check_device=True, check_dtype=True,
                 check_layout=True, check_stride=False, **options):
        if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
            raise _Unsupported
        if not allow_subclasses and type(actual) is not type(expected):
            raise _Unsupported
        self.actual, self.expected = (self._to_tensor(x) for x in (actual, expected))
        self.id, self.equal_nan = id, equal_nan
        self.check_device, self.check_dtype = check_device, check_dtype
        self.check_layout, self.check_stride = check_layout, check_stride
        self.rtol, self.atol = _tolerances(self.actual, self.expected, rtol=rtol, atol=atol,
                                           id=id)

    @staticmethod
    def _to_tensor(x):
        if isinstance(x, Tensor):
            return x
        try:
            return as_tensor(x)
        except Exception:
            raise _Unsupported from None

    def _fail(self, msg):
        raise _Failure(AssertionError, msg, id=self.id)

    def _mismatch(self, name, a, e):
        self._fail(f"The values for attribute '{name}' do not match: {a} != {e}.")

    def compare(self):
        a, e = self.actual, self.expected
        if a.shape != e.shape:
            self._mismatch("shape", a.shape, e.shape)
        if a.layout != e.layout:
            if self.check_layout:
                self._mismatch("layout", a.layout, e.layout)
        elif not a.is_sparse and self.check_stride and a.stride() != e.stride():
            self._mismatch("stride()", a.stride(), e.stride())
        if self.check_device and a.device != e.device:
            self._mismatch("device", a.device, e.device)
        if self.check_dtype and a.dtype != e.dtype:
            self._mismatch("dtype", a.dtype, e.dtype)
        if a.device != e.device:
            a, e = a.cpu(), e.cpu()
        if a.dtype != e.dtype:
            common = _dtype.promote_types(a.dtype, e.dtype)
            a, e = a.to(common), e.to(common)
        if a.layout != e.layout:
            a, e = (x.to_dense() if x.is_sparse else x for x in (a, e))
        if a.is_sparse:
            self._compare_sparse_coo(a, e)
        else:
            self._compare_values(a, e, self.rtol, self.atol)

    def _compare_sparse_coo(self, a, e):
        if a.sparse_dim() != e.sparse_dim():
            self._fail("The number of sparse dimensions in sparse COO tensors does not match: "
                       f"{a.sparse_dim()} != {e.sparse_dim()}")
        if a._nnz() != e._nnz():
            self._fail("The number of specified values in sparse COO tensors does not match: "
                       f"{a._nnz()} != {e._nnz()}")
        self._compare_values(a._indices(), e._indices(), 0, 0, "Sparse COO indices")
        self._compare_values(a._values(), e._values(), self.rtol, self.atol,
                             "Sparse COO values")

    def _compare_values(self, a, e, rtol, atol, identifier=None):
        a, e = a.detach(), e.detach()
        matches = a.isclose(e, rtol=rtol, atol=atol, equal_nan=self.equal_nan)
        if bool(matches.all().item()):
            return
        if a.dim() == 0:
            self._fail(_scalar_msg(a.item(), e.item(), rtol=rtol, atol=atol,
                                   identifier=identifier or "Scalars"))
        self._fail(_tensor_msg(a, e, matches, rtol=rtol, atol=atol,
                               identifier=identifier or "Tensor-likes"))


_PAIR_TYPES = (_NonePair, _BooleanPair, _NumberPair, _TensorLikePair)


def _path(id):  # noqa: A002
    return "".join(str([item]) for item in id)


def _originate(actual, expected, id, options):  # noqa: A002
    """The pairs to compare, recursing through sequences (not str) and mappings."""
    seq, mapping = collections.abc.Sequence, collections.abc.Mapping
    if isinstance(actual, seq) and isinstance(expected, seq) \
            and not isinstance(actual, str) and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, "The length of the sequences mismatch: "
                           f"{len(actual)} != {len(expected)}", id=id)
        return [p for i in range(len(actual))
                for p in _originate(actual[i], expected[i], (*id, i), options)]
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        akeys, ekeys = set(actual.keys()), set(expected.keys())
        if akeys != ekeys:
            raise _Failure(AssertionError, "The keys of the mappings do not match:\n"
                           f"Missing keys in the actual mapping: {sorted(ekeys - akeys)}\n"
                           "Additional keys in the actual mapping: "
                           f"{sorted(akeys - ekeys)}", id=id)
        keys = akeys
        with contextlib.suppress(Exception):  # sorted when they sort, for a stable order
            keys = sorted(keys)
        return [p for k in keys for p in _originate(actual[k], expected[k], (*id, k), options)]
    for kind in _PAIR_TYPES:
        try:
            return [kind(actual, expected, id, **options)]
        except _Unsupported:
            continue
        except _Failure:
            raise
        except Exception as error:
            raise RuntimeError(
                f"Originating a {kind.__name__[1:]}() at item {_path(id)} with\n\n"
                f"{type(actual).__name__}(): {actual}\n\nand\n\n"
                f"{type(expected).__name__}(): {expected}\n\n"
                "resulted in the unexpected exception above.") from error
    raise _Failure(TypeError, "No comparison pair was able to handle inputs of type "
                   f"{type(actual)} and {type(expected)}.", id=id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
    equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
    check_stride=False, msg=None) -> None

    Raise AssertionError unless ``actual`` and ``expected`` are close: tensors (and NumPy
    arrays, compared as tensors) of the same shape, device, dtype and layout whose elements
    satisfy ``|actual - expected| <= atol + rtol * |expected|``; Python numbers likewise; None,
    bools by identity; sequences and mappings item by item.  Without rtol and atol, each
    dtype's defaults (float32: 1.3e-6 and 1e-5, float64: 1e-7 and 1e-7, float16: 1e-3 and
    1e-5, bfloat16: 1.6e-2 and 1e-5, integers and bool: exact).  ``msg`` replaces the
    message, or (a callable) edits it.  PyTorch's semantics and messages throughout:

        assert_close(gradcore.tensor([1., 2.]), gradcore.tensor([1., 2.5]))
        # AssertionError: Tensor-likes are not close!  Mismatched elements: 1 / 2 (50.0%) ...
    """
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol,
                   equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
                   check_layout=check_layout, check_stride=check_stride)
    try:
        pairs = _originate(actual, expected, (), options)
    except _Failure as failure:
        raise failure.to_error() from None
    for pair in pairs:
        try:
            pair.compare()
        except _Failure as failure:
            raise failure.to_error(msg) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg='')

    Deprecated (FutureWarning, as PyTorch's): assert_close with dtype checks off, NaNs equal
    and the older default tolerances (float16: 1e-3/1e-3, float32: 1e-4/1e-5, float64:
    1e-5/1e-8); non-tensor inputs become tensors first."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `torch.testing.assert_close()` "
                  "instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning,
                  stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = default_tolerances(actual, expected, dtype_precisions={
            _dtype.float16: (1e-3, 1e-3), _dtype.float32: (1e-4, 1e-5),
            _dtype.float64: (1e-5, 1e-8)})
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)
