"""gradcore.save / gradcore.load in a safe format: nothing is ever unpickled.

A checkpoint is a NumPy ``.npz`` zip (``numpy.savez``): one ``.npy`` member per tensor or
array, ``t0``, ``t1``, ..., plus ``__gradcore__``, a uint8 array holding JSON text that records
the object's structure.  Loading uses ``numpy.load(allow_pickle=False)`` and ``json``, so a
checkpoint can carry data only, never code; ``weights_only`` is accepted and always holds.

What can be saved: Tensors and ``nn.Parameter``s (dtype, device, requires_grad and the
Parameter type are kept; ``.grad`` and hooks are not, as PyTorch), NumPy arrays and scalars of
non-object dtypes, None, bool, int, float, str, list, tuple, dict (a defaultdict loads as a
dict) and OrderedDict (with its ``_metadata``, as a module's state dict has; keys of any of
these types, so an optimizer state's int keys come back as ints), ``gradcore.Size``,
``gradcore.dtype`` and ``gradcore.device``.  Anything else raises TypeError at save time,
before the file is touched.

The same Tensor object saved twice loads as one object, but tensors that merely share memory
(a tensor and its views, a Parameter and its ``.data``) are saved as separate copies and load
as independent tensors.  A container referenced twice loads as two equal copies.
"""
import collections
import json
import math
import os
import sys
import zipfile

import numpy as np

from . import _dtype
from ._device import device as _device_cls, as_device
from .backend import get_backend
from .tensor import Tensor, Size, _wrap

_FORMAT, _VERSION, _META = "gradcore.save", 1, "__gradcore__"
_dtypes_by_name = {d.name: d for d in _dtype._ALL}


def _parameter_class():
    mod = sys.modules.get("gradcore.nn.parameter")  # loaded if any Parameter exists
    return getattr(mod, "Parameter", None)


# ---- save ----------------------------------------------------------------------------------
class _Encoder:
    """Turns an object into JSON-able records plus a list of arrays (the npz members)."""

    def __init__(self):
        self.arrays, self.tensors, self._ids = [], [], {}
        self._parameter = _parameter_class()
        self._open = set()  # ids of the containers being encoded (to catch cycles)

    def _array(self, arr):
        self.arrays.append(arr)
        return len(self.arrays) - 1

    def encode(self, obj, path):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        t = type(obj)
        if t is int:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"$": "float", "v": repr(obj)}
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if t is np.ndarray or isinstance(obj, np.generic):
            if obj.dtype.hasobject:
                raise TypeError(f"gradcore.save: cannot save a NumPy array of dtype object "
                                f"(at {path})")
            kind = "ndarray" if t is np.ndarray else "npscalar"
            return {"$": kind, "id": self._array(np.asarray(obj))}
        if t is _dtype.dtype:
            return {"$": "dtype", "v": obj.name}
        if t is _device_cls:
            return {"$": "device", "v": str(obj)}
        if t in (list, tuple, Size, dict, collections.OrderedDict, collections.defaultdict):
            return self._container(obj, path)
        hint = " (save its state_dict() instead)" if hasattr(obj, "state_dict") else ""
        raise TypeError(f"gradcore.save: cannot save an object of type "
                        f"'{t.__module__}.{t.__qualname__}' (at {path}){hint}; only tensors, "
                        f"Parameters, NumPy arrays, None, bool, int, float, str, and lists, "
                        f"tuples and dicts of them can be saved")

    def _tensor(self, t, path):
        key = id(t)
        if key not in self._ids:
            cls = type(t)
            if cls is not Tensor and cls is not self._parameter:
                raise TypeError(f"gradcore.save: cannot save a tensor of type "
                                f"'{cls.__module__}.{cls.__qualname__}' (at {path}); only "
                                f"Tensor and nn.Parameter")
            self.tensors.append({"array": self._array(t._be.to_host(t._arr)),
                                 "dtype": t.dtype.name, "device": str(t.device),
                                 "requires_grad": bool(t.requires_grad),
                                 "type": "Parameter" if cls is not Tensor else "Tensor"})
            self._ids[key] = (len(self.tensors) - 1, t)  # keep t alive: ids stay unique
        return {"$": "tensor", "id": self._ids[key][0]}

    def _container(self, obj, path):
        if id(obj) in self._open:
            raise ValueError(f"gradcore.save: cannot save a container that contains itself "
                             f"(at {path})")
        self._open.add(id(obj))
        try:
            if isinstance(obj, dict):
                rec = {"$": "odict" if type(obj) is collections.OrderedDict else "dict",
                       "items": [[self.encode(k, f"{path} key {k!r}"),
                                  self.encode(v, f"{path}[{k!r}]")] for k, v in obj.items()]}
                meta = getattr(obj, "_metadata", None)
                if meta is not None:
                    rec["metadata"] = self.encode(meta, f"{path}._metadata")
                return rec
            items = [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
            if type(obj) is list:
                return items
            return {"$": "size" if type(obj) is Size else "tuple", "items": items}
        finally:
            self._open.discard(id(obj))


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` to ``f`` (a path, or a binary file object opened for writing)."""
    enc = _Encoder()
    record = {"format": _FORMAT, "version": _VERSION, "tensors": enc.tensors,
              "obj": enc.encode(obj, "obj")}
    text = json.dumps(record, allow_nan=False, separators=(",", ":"))
    members = {f"t{i}": a for i, a in enumerate(enc.arrays)}
    members[_META] = np.frombuffer(text.encode(), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:  # np.savez would add ".npz" to a path
            np.savez(fh, allow_pickle=False, **members)
    else:
        np.savez(f, allow_pickle=False, **members)


# ---- load ----------------------------------------------------------------------------------
class _Corrupt(Exception):
    pass


def _check(cond, what):
    if not cond:
        raise _Corrupt(what)


def _cuda_check(dev):
    from . import cuda
    if not cuda.is_available():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "gradcore.cuda.is_available() is False. If you are running on a "
                           "CPU-only machine, please use gradcore.load with "
                           "map_location=gradcore.device('cpu') to map your storages to the "
                           "CPU.")
    count = cuda.device_count()
    if (dev.index or 0) >= count:
        raise RuntimeError(f"Attempting to deserialize object on CUDA device {dev.index} but "
                           f"gradcore.cuda.device_count() is {count}. Please use gradcore.load "
                           f"with map_location to map your storages to an existing device.")


def _restore(arr, location):
    """A tensor holding host array ``arr`` on device ``location`` (a string or device)."""
    dev = as_device(location)
    if dev.type == "cuda":
        _cuda_check(dev)
    be = get_backend(dev)
    return _wrap(be.from_host(arr), be)


def _placer(map_location):
    """map_location as a function (host array, saved location string) -> Tensor."""
    if map_location is None:
        return _restore
    if isinstance(map_location, (str, _device_cls)):
        return lambda arr, loc: _restore(arr, map_location)
    if isinstance(map_location, dict):
        return lambda arr, loc: _restore(arr, map_location.get(loc, loc))
    if callable(map_location):
        def place(arr, loc):
            out = map_location(_wrap(arr, get_backend("cpu")), loc)
            if out is None:
                return _restore(arr, loc)
            if not isinstance(out, Tensor):
                raise TypeError(f"map_location returned an object of type "
                                f"{type(out).__name__}; expected a Tensor or None")
            return out
        return place
    raise TypeError(f"map_location should be a str, a gradcore.device, a dict or a callable, "
                    f"but got {type(map_location).__name__}")


def _check_tensor_record(rec, arrays):
    _check(isinstance(rec, dict), "a tensor record is not an object")
    i = rec.get("array")
    _check(isinstance(i, int) and 0 <= i < len(arrays), f"array {i!r} is missing")
    dt = _dtypes_by_name.get(rec.get("dtype"))
    _check(dt is not None and arrays[i].dtype == dt.np, f"array {i} has a bad dtype")
    _check(rec.get("type") in ("Tensor", "Parameter"), f"bad tensor type {rec.get('type')!r}")
    _check(isinstance(rec.get("requires_grad"), bool), "bad requires_grad flag")
    try:
        as_device(rec.get("device"))
    except (RuntimeError, TypeError) as e:
        raise _Corrupt(f"bad device: {e}") from None


def _make_tensor(rec, arrays, place):
    t = place(arrays[rec["array"]], rec["device"])
    if rec["type"] == "Parameter":
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=rec["requires_grad"])
    return t.requires_grad_(rec["requires_grad"])


class _Decoder:
    """JSON records back into objects, with the tensors already made."""

    def __init__(self, arrays, tensors):
        self.arrays, self.tensors = arrays, tensors

    def _get(self, seq, i, what):
        _check(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(seq),
               f"{what} {i!r} is missing")
        return seq[i]

    def decode(self, rec):
        if rec is None or isinstance(rec, (bool, int, float, str)):
            return rec
        if isinstance(rec, list):
            return [self.decode(r) for r in rec]
        _check(isinstance(rec, dict), "a record is not an object")
        kind = rec.get("$")
        if kind == "tensor":
            return self._get(self.tensors, rec["id"], "tensor")
        if kind in ("dict", "odict"):
            out = (collections.OrderedDict if kind == "odict" else dict)(
                (self.decode(k), self.decode(v)) for k, v in rec["items"])
            if "metadata" in rec:
                out._metadata = self.decode(rec["metadata"])
            return out
        if kind in ("tuple", "size"):
            return (Size if kind == "size" else tuple)(self.decode(r) for r in rec["items"])
        if kind == "float":
            return float(rec["v"])
        if kind == "ndarray":
            return self._get(self.arrays, rec["id"], "array")
        if kind == "npscalar":
            return self._get(self.arrays, rec["id"], "array")[()]
        if kind == "dtype":
            _check(rec["v"] in _dtypes_by_name, "bad dtype")
            return _dtypes_by_name[rec["v"]]
        if kind == "device":
            return _device_cls(rec["v"])
        raise _Corrupt(f"unknown record kind {kind!r}")


def _read(f):
    """The npz members as host arrays (all read now) and the structure record, checked."""
    z = np.load(f, allow_pickle=False)
    _check(isinstance(z, np.lib.npyio.NpzFile), "not a zip of arrays")
    with z:
        _check(_META in z.files, "no gradcore structure record")
        arrays = {name: z[name] for name in z.files}
    text = arrays.pop(_META)
    _check(text.dtype == np.uint8 and text.ndim == 1, "bad structure record")
    record = json.loads(text.tobytes().decode())
    _check(isinstance(record, dict) and record.get("format") == _FORMAT,
           "not a gradcore checkpoint")
    _check(record.get("version") == _VERSION, f"unknown version {record.get('version')!r}")
    arrays = [arrays[f"t{i}"] for i in range(len(arrays))]
    _check(isinstance(record.get("tensors"), list), "no tensor records")
    for rec in record["tensors"]:
        _check_tensor_record(rec, arrays)
    return arrays, record


_CORRUPT = (_Corrupt, zipfile.BadZipFile, ValueError, KeyError, IndexError, EOFError, OSError,
            TypeError, AttributeError, RuntimeError)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load what ``save`` wrote to ``f`` (a path or a binary file object).

    ``map_location``: None (each tensor back on its saved device), a device or string (every
    tensor there), a dict mapping saved locations to new ones (``{'cuda:0': 'cpu'}``), or a
    callable ``(cpu_tensor, saved_location) -> Tensor or None`` (None: the saved device).
    A file that is not a gradcore checkpoint, or is corrupted or truncated, raises
    RuntimeError naming it.
    """
    place = _placer(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:  # a missing file raises FileNotFoundError, as PyTorch
            return _load(fh, os.fspath(f), place)
    return _load(f, getattr(f, "name", None) or f"<{type(f).__name__} object>", place)


def _corrupt(name, e):
    return RuntimeError(f"{name} is not a gradcore checkpoint or is corrupted/truncated "
                        f"({type(e).__name__}: {e})")


def _load(fh, name, place):
    try:
        arrays, record = _read(fh)
    except _CORRUPT as e:
        raise _corrupt(name, e) from None
    tensors = [_make_tensor(rec, arrays, place) for rec in record["tensors"]]
    try:
        return _Decoder(arrays, tensors).decode(record.get("obj"))
    except _CORRUPT as e:
        raise _corrupt(name, e) from None
