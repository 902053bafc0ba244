"""PyTorch's ``data.pkl`` read and written without torch, and without running the file's code.

Reading: ``WeightsUnpickler`` is a ``pickle.Unpickler`` whose ``find_class`` resolves only the
globals PyTorch's ``weights_only=True`` unpickler allows (torch/_weights_only_unpickler.py):
``collections.OrderedDict`` / ``Counter``, the ``torch._utils._rebuild_*`` functions,
``torch._tensor._rebuild_from_type_v2``, ``torch.nn.parameter.Parameter``, ``torch.Tensor``
and the legacy tensor types, the ``torch.*Storage`` types, ``torch.Size``, ``torch.device``,
the dtypes, the quantization schemes, ``_codecs.encode`` and ``builtins.set / bytearray /
complex``.  Each resolves to an inert object of this module (a ``_Stub``), never to torch's or
Python's own: calling one records what the file describes (``_TensorRec``, ``_StorageRec`` ...)
and ``build`` turns the finished record tree into gradcore objects.  Every object the file can
reach is thus plain data (numbers, strings, lists, tuples, dicts, OrderedDicts, Counters, sets,
bytes, complex) or one of these records, which refuse the pickle's BUILD and calls; any other
global is refused with ``pickle.UnpicklingError`` naming it, before anything is called.

Writing: ``dump(obj)`` pickles (protocol 2, as torch.save) an object tree that ``to_torch_tree``
made of records whose ``__reduce__`` name the globals by placeholders of this module
(``_G<n>``); the placeholders are then rewritten into PyTorch's names (``torch._utils
_rebuild_tensor_v2``, ``torch FloatStorage`` ...) opcode by opcode, so ``torch.load(...,
weights_only=True)`` reads the file and no torch import is needed to write it.
"""
import codecs
import collections
import io
import pickle
import pickletools
import warnings

from . import _dtype
from ._device import device as _device_cls
from .tensor import Size

# ---- what PyTorch's allow-list holds -------------------------------------------------------
# torch dtype name -> gradcore dtype (None: a dtype torch has and gradcore has not)
_TORCH_DTYPES = {d.name: d for d in _dtype._ALL}
for _name in ("bits16", "bits1x8", "bits2x4", "bits4x2", "bits8", "complex32",
              "float4_e2m1fn_x2", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
              "float8_e5m2fnuz", "float8_e8m0fnu", "qint32", "qint8", "quint2x4", "quint4x2",
              "quint8", "uint16", "uint32", "uint64", *(f"int{i}" for i in range(1, 8)),
              *(f"uint{i}" for i in range(1, 8))):
    _TORCH_DTYPES.setdefault(_name, None)
# the legacy typed storages (their pickled names) and the dtype each holds
_STORAGES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
             "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
             "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
             "BFloat16Storage": "bfloat16", "ComplexDoubleStorage": "complex128",
             "ComplexFloatStorage": "complex64", "QInt8Storage": "qint8",
             "QInt32Storage": "qint32", "QUInt8Storage": "quint8",
             "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}
_TENSOR_TYPES = ("BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long",
                 "Short", "ComplexDouble", "ComplexFloat")
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")  # never allowed, as PyTorch
_IMPORT_MAPPING = {"__builtin__": "builtins", "copy_reg": "copyreg"}  # Python 2 names
_MODULE_MAPPING = {"torch.tensor": "torch._tensor"}  # as torch.load's


class Refused(pickle.UnpicklingError):
    """The allow-list refused what the file asked for (kept apart from a corrupt pickle)."""


class Unsupported(RuntimeError):
    """An allowed PyTorch object gradcore cannot rebuild (a sparse or quantized tensor ...)."""


class _Inert:
    """A record or stub the pickle may hold but not BUILD, call (unless it says) or index."""
    __slots__ = ()

    def __setstate__(self, state):
        raise Refused(f"Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                      f"`add_safe_globals`, but got {self!r}")

    def __call__(self, *args):
        raise Refused(f"Trying to call reduce for unrecognized function {self!r}")

    def __reduce__(self):
        raise TypeError(f"{self!r} is a record of gradcore.load and is not pickled")


class _Stub(_Inert):
    """What an allowed global of a checkpoint resolves to: ``kind`` says which ('dtype',
    'storage', 'call', 'type'), ``value`` holds the dtype name, storage dtype or function."""
    __slots__ = ("name", "kind", "value")

    def __init__(self, name, kind, value=None):
        self.name, self.kind, self.value = name, kind, value

    def __repr__(self):
        return self.name

    def __call__(self, *args):
        if self.kind != "call":
            return super().__call__(*args)
        return self.value(*args)


class _StorageRec(_Inert):
    """A storage the file names by ``key``: ``nbytes`` of ``dtype`` saved on ``location``."""
    __slots__ = ("key", "dtype", "location", "nbytes")

    def __init__(self, key, dtype, location, nbytes):
        self.key, self.dtype, self.location, self.nbytes = key, dtype, location, nbytes

    def __repr__(self):
        return f"<storage {self.key!r} of {self.dtype}, {self.nbytes} bytes, {self.location}>"


class _StorageView(_Inert):
    """A legacy storage view: ``nbytes`` bytes from ``offset`` (bytes) of ``root``."""
    __slots__ = ("root", "offset", "nbytes", "dtype")

    def __init__(self, root, offset, nbytes, dtype):
        self.root, self.offset, self.nbytes, self.dtype = root, offset, nbytes, dtype

    def __repr__(self):
        return f"<view of {self.root!r} at byte {self.offset}>"


class _TensorRec(_Inert):
    """A tensor the file describes: its storage, geometry, dtype, requires_grad, conj/neg
    bits, and whether it is a Parameter (``param`` None, or its requires_grad)."""
    __slots__ = ("storage", "offset", "size", "stride", "requires_grad", "dtype", "meta",
                 "param")

    def __init__(self, storage, offset, size, stride, requires_grad, dtype, meta=None):
        if not isinstance(storage, (_StorageRec, _StorageView)):
            raise TypeError(f"a tensor's storage is {type(storage).__name__}")
        size, stride = _ints(size, "size"), _ints(stride, "stride")
        if len(size) != len(stride):
            raise ValueError("a tensor's size and stride differ in length")
        if type(offset) is not int or offset < 0 or type(requires_grad) is not bool:
            raise ValueError("bad storage offset or requires_grad")
        if meta is not None and not (isinstance(meta, dict)
                                     and set(meta) <= {"conj", "neg"}):
            raise ValueError(f"unknown tensor metadata {meta!r}")
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad, self.dtype, self.meta, self.param = requires_grad, dtype, meta, None

    def __repr__(self):
        return f"<tensor {list(self.size)} of {self.dtype}>"


def _ints(seq, what):
    if not isinstance(seq, tuple) or not all(type(n) is int and n >= 0 for n in seq):
        raise ValueError(f"bad tensor {what} {seq!r}")
    return seq


# ---- the allowed functions ---------------------------------------------------------------
def _hooks_ok(hooks):
    if not isinstance(hooks, dict):  # torch.save writes an empty OrderedDict
        raise TypeError(f"backward_hooks is {type(hooks).__name__}")


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _TensorRec(storage, storage_offset, size, stride, False, getattr(storage, "dtype", None))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    _hooks_ok(backward_hooks)
    return _TensorRec(storage, storage_offset, size, stride, requires_grad,
                      getattr(storage, "dtype", None), metadata or None)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    _hooks_ok(backward_hooks)
    if not (isinstance(dtype, _Stub) and dtype.kind == "dtype"):
        raise TypeError(f"bad dtype {dtype!r}")
    return _TensorRec(storage, storage_offset, size, stride, requires_grad, dtype.value,
                      metadata or None)


def _no_state(state, what):
    """PyTorch restores a subclass's Python attributes; gradcore tensors have none."""
    dict_state, slots = state if isinstance(state, tuple) and len(state) == 2 else (state, None)
    names = [*(dict_state or ()), *(slots or ())]
    if names:
        raise Unsupported(f"gradcore.load: the checkpoint's {what} carries Python attributes "
                          f"{sorted(map(str, names))}, which gradcore tensors cannot hold")


def _rebuild_parameter(data, requires_grad, backward_hooks):
    _hooks_ok(backward_hooks)
    if not isinstance(data, _TensorRec) or data.param is not None:
        raise TypeError("a Parameter's data is not a tensor")
    if type(requires_grad) is not bool:
        raise TypeError("bad requires_grad")
    param = _TensorRec(data.storage, data.offset, data.size, data.stride, requires_grad,
                       data.dtype, data.meta)
    param.param = requires_grad
    return param


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    _no_state(state, "Parameter")
    return _rebuild_parameter(data, requires_grad, backward_hooks)


def _rebuild_from_type_v2(func, new_type, args, state):
    if not (isinstance(func, _Stub) and func.kind == "call" and isinstance(args, tuple)):
        raise TypeError("bad _rebuild_from_type_v2 arguments")
    if not (isinstance(new_type, _Stub) and new_type.name in ("torch.Tensor",
                                                              "torch.nn.parameter.Parameter")):
        raise Unsupported(f"gradcore.load: the checkpoint holds a tensor subclass "
                          f"({new_type!r}), which gradcore cannot rebuild")
    out = func(*args)
    _no_state(state, "tensor")
    if new_type.name.endswith("Parameter") and isinstance(out, _TensorRec) and out.param is None:
        out = _rebuild_parameter(out, True, {})
    return out


def _unsupported(what):
    def refuse(*args):
        raise Unsupported(f"gradcore.load cannot rebuild {what} from a PyTorch checkpoint")
    return refuse


def _size(sizes=()):
    return Size(_ints(tuple(sizes), "torch.Size"))


def _device(*args):
    if not all(type(a) in (str, int) for a in args):
        raise TypeError(f"bad device arguments {args!r}")
    return _device_cls(*args)


def _encode(obj, encoding="utf-8"):
    if type(obj) is not str or encoding not in ("latin1", "latin-1"):  # as pickle writes bytes
        raise TypeError(f"_codecs.encode of {type(obj).__name__} with {encoding!r}")
    return codecs.encode(obj, encoding)


def _bytearray(*args):
    if not (args == () or (len(args) == 1 and type(args[0]) is bytes)):  # as pickle writes it
        raise TypeError("bytearray from anything but bytes")  # (bytearray(10**10): 10 GB)
    return bytearray(*args)


def _container(cls):
    def make(*args):  # data only: a pickle has no way to pass a callable here
        return cls(*args)
    return make


def _allowed():
    calls = {
        "collections.OrderedDict": _container(collections.OrderedDict),
        "collections.Counter": _container(collections.Counter),
        "builtins.set": _container(set), "builtins.bytearray": _bytearray,
        "builtins.complex": _container(complex), "_codecs.encode": _encode,
        "torch.Size": _size, "torch.device": _device,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch._utils._rebuild_qtensor": _unsupported("a quantized tensor"),
        "torch._utils._rebuild_sparse_tensor": _unsupported("a sparse tensor"),
        "torch._utils._rebuild_nested_tensor": _unsupported("a nested tensor"),
        "torch._utils._rebuild_meta_tensor_no_storage": _unsupported("a meta tensor"),
        "torch._utils._rebuild_wrapper_subclass": _unsupported("a tensor subclass"),
        "torch._utils._rebuild_device_tensor_from_numpy": _unsupported("a tensor saved "
                                                                       "through NumPy"),
        "torch._utils._rebuild_device_tensor_from_cpu_tensor": _unsupported(
            "a tensor of a device other than cpu and cuda"),
        "torch.serialization._get_layout": _unsupported("a sparse tensor's layout"),
    }
    out = {name: _Stub(name, "call", fn) for name, fn in calls.items()}
    for name in _TORCH_DTYPES:
        out[f"torch.{name}"] = _Stub(f"torch.{name}", "dtype", _TORCH_DTYPES[name])
    for name, dt in _STORAGES.items():
        for mod in ("torch", "torch.cuda"):
            out[f"{mod}.{name}"] = _Stub(f"{mod}.{name}", "storage", dt)
    out["torch.storage.UntypedStorage"] = _Stub("torch.storage.UntypedStorage", "storage",
                                                "uint8")
    out["torch.storage.TypedStorage"] = _Stub("torch.storage.TypedStorage", "type")
    for name in ("torch.Tensor", "torch.nn.parameter.Parameter", "torch.per_tensor_affine",
                 "torch.per_tensor_symmetric", "torch.per_channel_affine",
                 "torch.per_channel_symmetric", "torch.per_channel_affine_float_qparams",
                 *(f"{m}.{t}Tensor" for m in ("torch", "torch.cuda") for t in _TENSOR_TYPES)):
        out[name] = _Stub(name, "type")
    return out


ALLOWED = _allowed()


# ---- reading -------------------------------------------------------------------------------
# protocol 5's out-of-band buffer opcodes: PyTorch's weights_only unpickler has none of them
# (and CPython's C unpickler prints a SystemError when a bytearray8 it allocates fails)
_REFUSED_OPCODES = {"BYTEARRAY8", "NEXT_BUFFER", "READONLY_BUFFER"}


def check_opcodes(file):
    """Walk the pickle at ``file``'s position (restoring it): refuse the opcodes above."""
    start = file.tell()
    with warnings.catch_warnings():  # (a mangled protocol-0 string warns as it is decoded)
        warnings.simplefilter("ignore", DeprecationWarning)
        for op, _, _ in pickletools.genops(file):
            if op.name in _REFUSED_OPCODES:
                raise Refused(f"Unsupported operand {op.code.encode('latin1')[0]}")
    file.seek(start)


class WeightsUnpickler(pickle.Unpickler):
    """The allow-list unpickler: globals resolve to this module's stubs, persistent ids to
    storage records (shared by key through ``storages``); ``legacy``: the pre-1.6 id form."""

    def __init__(self, file, storages, *, legacy=False, encoding="utf-8", errors="strict"):
        super().__init__(file, encoding=encoding, errors=errors)
        self._storages, self._legacy = storages, legacy

    def find_class(self, module, name):
        module = _IMPORT_MAPPING.get(module, module)
        module = _MODULE_MAPPING.get(module, module)
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise Refused(f"Trying to load unsupported GLOBAL {full} whose module {module} is "
                          f"blocked.")
        stub = ALLOWED.get(full)
        if stub is None:
            shown = full[len("builtins."):] if full.startswith("builtins.") else full
            raise Refused(f"Unsupported global: GLOBAL {shown} was not an allowed global by "
                          f"default.")
        return stub

    def persistent_load(self, pid):
        if type(pid) is not tuple:
            raise Refused(f"persistent_load id must be tuple or int, but got {type(pid)}")
        kind = pid[0] if pid else None
        if isinstance(kind, bytes):
            kind = kind.decode("ascii", "replace")
        if kind != "storage":
            raise Refused(f"Only persistent_load of storage is allowed, but got {type(kind)}")
        if len(pid) != (6 if self._legacy else 5):
            raise ValueError(f"bad storage id of length {len(pid)}")
        stype, key, location, numel = pid[1:5]
        location = location.decode("ascii") if isinstance(location, bytes) else location
        if not (isinstance(stype, _Stub) and stype.kind == "storage" and type(key) is str
                and type(location) is str and type(numel) is int and numel >= 0):
            raise ValueError(f"bad storage id {pid!r}")
        dt = _TORCH_DTYPES[stype.value]
        if dt is None:
            raise Unsupported(f"gradcore.load cannot rebuild a quantized storage "
                              f"({stype.name}) from a PyTorch checkpoint")
        rec = self._storages.get(key)
        if rec is None:
            rec = self._storages[key] = _StorageRec(key, dt, location, numel * dt.itemsize)
        if self._legacy and pid[5] is not None:  # (view key, offset, size) in elements
            view_key, offset, size = pid[5]
            if not (type(offset) is int and type(size) is int and 0 <= offset
                    and offset + size <= rec.nbytes // dt.itemsize):
                raise ValueError(f"bad storage view {pid[5]!r}")
            return _StorageView(rec, offset * dt.itemsize, size * dt.itemsize, dt)
        return rec


class Builder:
    """Turns the unpickled record tree into gradcore objects: ``tensor(rec)`` is asked for
    each tensor record (the format module places its storage); containers are rebuilt with
    their sharing kept (an object named twice in the file is one object here)."""

    def __init__(self, tensor):
        self._tensor, self._memo = tensor, {}

    def build(self, obj):
        t = type(obj)
        if obj is None or t in (bool, int, float, complex, str, bytes):
            return obj
        key = id(obj)
        if key in self._memo:
            return self._memo[key][0]
        out = self._make(obj, t)
        self._memo[key] = (out, obj)  # keep obj alive: ids stay unique
        return out

    def _make(self, obj, t):
        if t is _TensorRec:
            return self._tensor(obj)
        if t is _Stub and obj.kind == "dtype":
            if obj.value is None:
                raise Unsupported(f"gradcore.load: the checkpoint holds {obj.name}, a dtype "
                                  f"gradcore does not have")
            return obj.value
        if isinstance(obj, _Inert):
            raise Unsupported(f"gradcore.load cannot rebuild {obj!r} as a value")
        if t in (list, dict, collections.OrderedDict, collections.Counter):
            out = t()
            self._memo[id(obj)] = (out, obj)  # before the items: a list may hold itself
            if t is list:
                out.extend(self.build(v) for v in obj)
            else:
                for k, v in obj.items():
                    out[self.build(k)] = self.build(v)
                state = getattr(obj, "__dict__", None)
                if state:  # an OrderedDict's _metadata (BUILD updated its __dict__)
                    out.__dict__.update((k, self.build(v)) for k, v in state.items())
            return out
        if t in (tuple, set, frozenset):
            return t(self.build(v) for v in obj)
        if t is Size or t is _device_cls or t is bytearray:
            return obj
        raise TypeError(f"unexpected {t.__name__} in the pickle")


# ---- writing -------------------------------------------------------------------------------
class _Global:
    """A placeholder for a PyTorch global in the pickle this module writes: pickled as
    ``gradcore._torch_pickle _G<n>``, then renamed to ``module name`` by ``dump``."""
    __slots__ = ("module", "name", "attr")

    def __init__(self, module, name):
        self.module, self.name = module, name
        self.attr = f"_G{len(_GLOBALS)}"
        _GLOBALS[self.attr] = self
        globals()[self.attr] = self

    def __reduce__(self):
        return self.attr

    def __call__(self, *args):
        raise TypeError("a placeholder of a PyTorch global is never called")


_GLOBALS = {}
REBUILD_TENSOR_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
TORCH_SIZE = _Global("torch", "Size")
TORCH_DEVICE = _Global("torch", "device")
DTYPES = {d.name: _Global("torch", d.name) for d in _dtype._ALL}
STORAGE_TYPES = {dt: _Global("torch", name) for name, dt in _STORAGES.items()
                 if _TORCH_DTYPES[dt] is not None}


class Reduce:
    """An object pickled as ``func(*args)`` (``func`` a ``_Global``)."""
    __slots__ = ("func", "args")

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


class StorageOut:
    """A storage written as ``data/<key>``: its persistent id and, once saved, its bytes."""
    __slots__ = ("key", "dtype", "location", "numel", "source")

    def __init__(self, key, dtype, location, numel, source):
        self.key, self.dtype, self.location = key, dtype, location
        self.numel, self.source = numel, source

    def pid(self, legacy):
        pid = ("storage", STORAGE_TYPES[self.dtype.name], self.key, self.location, self.numel)
        return pid + (None,) if legacy else pid


class _Pickler(pickle.Pickler):
    def __init__(self, file, legacy):
        super().__init__(file, protocol=2)
        self._legacy = legacy

    def persistent_id(self, obj):
        return obj.pid(self._legacy) if type(obj) is StorageOut else None


_PLACEHOLDER = f"{__name__} _G"


def dump(obj, legacy=False):
    """``obj`` (made of Reduce, StorageOut, _Global and picklable data) as PyTorch's pickle:
    protocol 2, with the placeholders renamed to PyTorch's globals."""
    buf = io.BytesIO()
    _Pickler(buf, legacy).dump(obj)
    data = buf.getvalue()
    ops = list(pickletools.genops(data))
    out, last = [], 0
    for (op, arg, pos), nxt in zip(ops, ops[1:] + [(None, None, len(data))]):
        if op.name == "GLOBAL" and arg.startswith(_PLACEHOLDER):
            g = _GLOBALS[arg.partition(" ")[2]]
            out += [data[last:pos], f"c{g.module}\n{g.name}\n".encode()]
            last = nxt[2]
    out.append(data[last:])
    return b"".join(out)
