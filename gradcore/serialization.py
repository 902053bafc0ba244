"""gradcore.save / gradcore.load: gradcore's own safe format, and PyTorch's (torch.save) files.

gradcore's format (the default of ``save``) is never unpickled at all.  PyTorch's files --
the zip format and the legacy one -- are read by ``load`` through an allow-list unpickler that
accepts only what PyTorch's ``weights_only=True`` accepts and never runs code from the file
(``_torch_pickle``, ``_torch_format``), whatever ``weights_only`` says; ``save(...,
format="torch")`` writes a file ``torch.load(f, weights_only=True)`` reads.

A checkpoint is a zip of ``.npy`` members, stored uncompressed, so it is a plain NumPy ``.npz``
that ``numpy.load`` opens: ``t0.npy``, ``t1.npy``, ... hold the tensors' and arrays' data and
``__gradcore__.npy``, a uint8 array, holds JSON text that records the object's structure.  It is
written and read with ``zipfile``, ``numpy.lib.format`` (never with ``allow_pickle``) and
``json``, so a checkpoint can carry data only, never code; ``weights_only`` is accepted and
always holds.

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

Saving to a path is atomic: the checkpoint is written to a temporary file in the same folder
and renamed over the target only once complete, so a failed or killed save leaves the previous
file whole (a killed one may leave its ``.<name>.*.tmp`` behind).  Loading reads the structure
record first and then only the members it names, checking each one's size against its header
before allocating; a compressed, duplicated, unnamed or doubly named member is refused.

A PyTorch checkpoint is told apart by its contents (a zip with ``<archive>/data.pkl``, or the
legacy magic number) and rebuilt into gradcore tensors: dtype, shape, strides and storage
offset as saved, tensors that shared a storage share memory, requires_grad and Parameters
kept.  A global outside PyTorch's weights_only allow-list raises ``pickle.UnpicklingError``
naming it, before anything of the file is called.  PyTorch's ``weights_only=False`` would run
such a file's code; gradcore's never does, and says so in the error.
"""
import collections
import io
import json
import math
import os
import pickle
import stat
import sys
import tempfile
import warnings
import zipfile

import numpy as np
from numpy.lib import format as _npy

from . import _dtype, _torch_format, _torch_pickle
from ._device import device as _device_cls, as_device
from .backend import get_backend
from .tensor import Tensor, Size, _wrap

_FORMAT, _VERSION, _META = "gradcore.save", 1, "__gradcore__.npy"  # the record member
_MAX_RECORD = 256 << 20  # bytes of JSON: about three million tensors' records
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
            try:  # other field names need .npy format 3.0, which load does not read
                repr(_npy.dtype_to_descr(obj.dtype)).encode("latin1")
            except UnicodeEncodeError:
                raise TypeError(f"gradcore.save: cannot save a NumPy array whose field names "
                                f"are not Latin-1 (at {path})") from None
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
            host = t._be.to_host(t._arr)
            if t.dtype is _dtype.bfloat16:  # .npy has no bfloat16: its bits, as uint16
                host = host.view(np.uint16)
            self.tensors.append({"array": self._array(host),
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
         _disable_byteorder_record=False, *, format="gradcore"):  # noqa: A002
    """Save ``obj`` to ``f`` (a path, or a binary file object opened for writing).

    ``format="gradcore"`` (the default): gradcore's own format (a zip of ``.npy`` arrays and a
    JSON record; nothing is pickled).  ``format="torch"``: PyTorch's, read by
    ``torch.load(f, weights_only=True)`` -- the zip format, or the legacy one with
    ``_use_new_zipfile_serialization=False``; pickle protocol 2 (the only one written), no
    ``byteorder`` record with ``_disable_byteorder_record=True``.  Tensors that share memory
    are saved as one storage (views stay views in PyTorch).

    A path is written atomically: a save that fails or is killed part way leaves the file that
    was there before untouched.  A file object is written directly.
    """
    if format == "torch":
        if pickle_module is not None:
            raise ValueError("gradcore.save(format='torch') pickles with its own pickler; "
                             "pickle_module must be None")
        if pickle_protocol not in (None, 2):
            raise ValueError(f"gradcore.save(format='torch') writes pickle protocol 2 (as "
                             f"torch.save), not {pickle_protocol!r}")
        if _use_new_zipfile_serialization:
            def write(fh):
                _torch_format.save_zip(obj, fh, not _disable_byteorder_record)
        else:
            def write(fh):
                _torch_format.save_legacy(obj, fh)
        # (the object is checked and converted before the first byte is written)
        if isinstance(f, (str, os.PathLike)):
            _write_atomically(f, write)
        else:
            write(f)
        return
    if format != "gradcore":
        raise ValueError(f"gradcore.save: format must be 'gradcore' or 'torch', got {format!r}")
    enc = _Encoder()
    record = {"format": _FORMAT, "version": _VERSION, "tensors": enc.tensors,
              "obj": enc.encode(obj, "obj")}
    text = json.dumps(record, allow_nan=False, separators=(",", ":"))
    members = {f"t{i}.npy": a for i, a in enumerate(enc.arrays)}
    members[_META] = np.frombuffer(text.encode(), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        _write_atomically(f, lambda fh: _write_zip(fh, members))
    else:
        _write_zip(f, members)


def _write_zip(fh, members):
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as z:
        for name, arr in members.items():
            with z.open(name, "w", force_zip64=True) as m:  # as numpy.savez: no size limit
                _npy.write_array(m, arr, allow_pickle=False)


def _umask():
    """The process's umask; read from Linux's /proc where it can be (os.umask sets it too, for
    a moment that other threads creating files would see)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_atomically(path, write):
    """Call ``write(fh)`` on a new temporary file beside ``path`` and, once it is complete and
    on disk, rename it onto ``path``; on any error the temporary file is removed."""
    path = os.path.realpath(path)  # through a symlink to its target, as open() writes
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):  # a device or a pipe: nothing to replace
        buf = io.BytesIO()  # (a zip needs a file whose tell() counts: /dev/null's doesn't)
        write(buf)
        with open(path, "wb") as fh:
            fh.write(buf.getbuffer())
        return
    folder, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600: give it the old file's mode, or what open() would
        os.chmod(tmp, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if os.name == "posix":  # make the rename durable too, where the file system allows
        try:
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass


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
    dt = _dtypes_by_name.get(rec.get("dtype"))
    if dt is _dtype.bfloat16 and arrays[rec["array"]].dtype == np.uint16:  # saved as its bits
        arrays[rec["array"]] = arrays[rec["array"]].view(dt.np)
    _check(dt is not None and arrays[rec["array"]].dtype == dt.np,
           f"array {rec['array']} has a bad dtype")
    _check(rec.get("type") in ("Tensor", "Parameter"), f"bad tensor type {rec.get('type')!r}")
    _check(isinstance(rec.get("requires_grad"), bool), "bad requires_grad flag")
    try:
        as_device(rec.get("device"))
    except (RuntimeError, TypeError) as e:
        raise _Corrupt(f"bad device: {e}") from None


def _array_refs(rec):
    """The array ids that the ndarray and npscalar records in ``rec`` (JSON) name."""
    if isinstance(rec, list):
        for r in rec:
            yield from _array_refs(r)
    elif isinstance(rec, dict):
        if rec.get("$") in ("ndarray", "npscalar"):
            yield rec.get("id")
        for r in rec.values():
            yield from _array_refs(r)


def _check_array_refs(record, count):
    """Each of the ``count`` array members named by exactly one tensor or array record."""
    _check(all(isinstance(r, dict) for r in record["tensors"]), "a tensor record is not an object")
    refs = [r.get("array") for r in record["tensors"]] + list(_array_refs(record.get("obj")))
    for i in refs:
        _check(type(i) is int and 0 <= i < count, f"array {i!r} is missing")
    named = collections.Counter(refs)
    for i in range(count):
        _check(named[i] == 1, f"member t{i}.npy is named by {named[i]} records, not one")


def _make_tensor(rec, arrays, place):
    t = place(arrays[rec["array"]], rec["device"])
    if rec["type"] == "Parameter":  # nn sits above this module; `import gradcore` loads it
        Parameter = sys.modules["gradcore.nn.parameter"].Parameter
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


_NPY_HEADERS = {(1, 0): _npy.read_array_header_1_0, (2, 0): _npy.read_array_header_2_0}
_CHUNK = 16 << 20
# torch.save's legacy (non-zip) format: pickles, the first being this magic number
_TORCH_MAGIC = b"\x8a\x0a" + (0x1950a86a20f9469cfc6c).to_bytes(10, "little")


class _TorchCheckpoint(Exception):
    pass


def _read_npy(z, name, limit=math.inf):
    """Member ``name`` (an .npy) of zip ``z`` as an array: the data size its header gives is
    checked against the member's size before anything is allocated."""
    info = z.getinfo(name)
    _check(info.file_size <= limit, f"{name} is too large ({info.file_size} bytes)")
    with z.open(info) as m:
        version = _npy.read_magic(m)
        _check(version in _NPY_HEADERS, f"{name} has .npy format version {version}")
        shape, fortran_order, dtype = _NPY_HEADERS[version](m)
        _check(not dtype.hasobject, f"{name} holds Python objects")
        _check(all(n >= 0 for n in shape), f"{name} has a bad shape {shape}")
        count = math.prod(shape)
        size, held = count * dtype.itemsize, info.file_size - m.tell()
        _check(size == held, f"{name}: its header describes {size} bytes of data but it holds "
                             f"{held}")
        arr = np.ndarray(count, dtype)  # np.empty mishandles zero-width strings
        if size:
            data = memoryview(arr.view(np.uint8))
            for pos in range(0, size, _CHUNK):
                chunk = data[pos:pos + _CHUNK]
                _check(m.readinto(chunk) == len(chunk), f"{name} is truncated")
    return arr.reshape(shape[::-1]).T if fortran_order else arr.reshape(shape)


def _read(fh):
    """The members as host arrays and the structure record, checked: the record is read first,
    then only the members it names."""
    start = fh.tell()
    head = fh.read(512)
    if head[:1] == b"\x80" and _TORCH_MAGIC in head[:32]:
        raise _TorchCheckpoint("legacy")
    if head[257:262] == b"ustar" and not head.startswith(b"PK"):
        raise _TorchCheckpoint("tar")
    end = fh.seek(0, os.SEEK_END)
    fh.seek(start)
    with zipfile.ZipFile(fh) as z:
        names = z.namelist()  # the central directory's, duplicates included
        _check(len(set(names)) == len(names), "duplicate member names")
        if _META not in names:
            if any(n.rpartition("/")[2] == "data.pkl" for n in names):
                raise _TorchCheckpoint("zip")
            raise _Corrupt("no gradcore structure record")
        for info in z.infolist():  # gradcore never compresses: refuse rather than inflate
            _check(info.compress_type == zipfile.ZIP_STORED, f"{info.filename} is compressed")
            _check(info.header_offset + info.compress_size <= end,
                   f"{info.filename} runs past the end of the file")
        text = _read_npy(z, _META, _MAX_RECORD)
        _check(text.dtype == np.uint8 and text.ndim == 1, "bad structure record")
        record = json.loads(text.tobytes().decode())
        _check(isinstance(record, dict) and record.get("format") == _FORMAT,
               "not a gradcore checkpoint")
        _check(record.get("version") == _VERSION, f"unknown version {record.get('version')!r}")
        _check(isinstance(record.get("tensors"), list), "no tensor records")
        count = len(names) - 1
        expected = {f"t{i}.npy" for i in range(count)} | {_META}
        for n in names:
            _check(n in expected, f"unexpected member {n!r}")
        _check_array_refs(record, count)
        arrays = [_read_npy(z, f"t{i}.npy") for i in range(count)]
    for rec in record["tensors"]:
        _check_tensor_record(rec, arrays)
    return arrays, record


_CORRUPT = (_Corrupt, zipfile.BadZipFile, ValueError, KeyError, IndexError, EOFError, OSError,
            TypeError, AttributeError, RuntimeError, MemoryError)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load what ``save`` wrote to ``f`` (a path or a binary file object), or what PyTorch's
    ``torch.save`` wrote (the zip format or the legacy one).

    ``map_location``: None (each tensor back on its saved device), a device or string (every
    tensor there), a dict mapping saved locations to new ones (``{'cuda:0': 'cpu'}``), or a
    callable ``(cpu_tensor, saved_location) -> Tensor or None`` (None: the saved device); for
    a PyTorch file it is called once per storage, with the storage as a 1-D tensor.

    A PyTorch file is read through an allow-list unpickler accepting only what PyTorch's
    ``weights_only=True`` accepts (tensors, storages, Parameters, dtypes, devices,
    torch.Size, OrderedDict, primitive containers); anything else raises
    ``pickle.UnpicklingError`` naming the global, and no code of the file ever runs.
    ``weights_only=False`` does not widen this (PyTorch's would run the file's code).
    ``mmap=True`` (``f`` a path) maps a PyTorch zip file's storages instead of reading them
    (copy-on-write, as PyTorch's MAP_PRIVATE); gradcore's own files are read.
    ``pickle_load_args``: ``encoding`` (default 'utf-8', for Python 2 strings) and ``errors``.

    A file that is not a checkpoint, or is corrupted or truncated, raises RuntimeError naming
    it.
    """
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    unknown = set(pickle_load_args) - {"encoding", "errors"}
    if unknown:
        raise TypeError(f"load() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.")
    pickle_args = {"encoding": "utf-8", **pickle_load_args}
    place = _placer(map_location)
    if isinstance(f, (str, os.PathLike)) and os.fspath(f).endswith(".safetensors"):
        return _load_safetensors(os.fspath(f), map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:  # a missing file raises FileNotFoundError, as PyTorch
            return _load(fh, os.fspath(f), place, os.fspath(f) if mmap else None, pickle_args)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    name = getattr(f, "name", None) or f"<{type(f).__name__} object>"
    seekable = getattr(f, "seekable", None)
    if seekable is None or not seekable():  # a pipe or a socket: a zip is read by seeking
        f = io.BytesIO(f.read())
    return _load(f, name, place, None, pickle_args)


def _load_safetensors(path, map_location):
    """torch.load's path for a ``.safetensors`` file: safetensors' load_file."""
    device = "cpu"
    if isinstance(map_location, (str, bytes, _device_cls)):
        device = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
    elif isinstance(map_location, dict):
        raise RuntimeError("Loading safetensors file with dict map_location is not supported. "
                           "Use a device string or torch.device instead.")
    elif callable(map_location):
        raise RuntimeError("Loading safetensors file with callable map_location is not "
                           "supported. Use a device string or torch.device instead.")
    from .utils import safetensors
    try:
        safetensors._package()
    except ImportError as e:
        raise RuntimeError("Attempting to load a safetensors file but safetensors is not "
                           "installed. Please install safetensors with: pip install "
                           "safetensors") from e
    return safetensors.load_file(path, device=device)


def _corrupt(name, e):
    return RuntimeError(f"{name} is not a gradcore checkpoint or is corrupted/truncated "
                        f"({type(e).__name__}: {e})")


_REFUSED = ("Weights only load failed. gradcore.load never runs code from a checkpoint: it "
            "rebuilds only what PyTorch's weights_only=True unpickler allows (tensors, "
            "storages, Parameters, dtypes, devices, torch.Size, OrderedDict and primitive "
            "containers), and weights_only=False does not change that (PyTorch's "
            "weights_only=False would run this file's code; gradcore refuses it).")


def _load_torch(fh, kind, name, place, mmap_path, pickle_args):
    """A PyTorch checkpoint (``kind``: 'zip', 'legacy' or 'tar') from ``fh``."""
    if kind == "tar":
        raise RuntimeError(f"{name} is a PyTorch checkpoint in the legacy .tar format (PyTorch "
                           f"before 0.4), which gradcore cannot read (PyTorch refuses it with "
                           f"weights_only=True too). Load it with PyTorch and save it again.")
    if kind == "legacy" and mmap_path is not None:
        raise RuntimeError(f"mmap can only be used with files saved with "
                           f"`torch.save({name}, _use_new_zipfile_serialization=True), please "
                           f"torch.save your checkpoint with this option in order to use mmap.")
    try:
        if kind == "zip":
            return _torch_format.load_zip(fh, place, mmap_path, pickle_args)
        return _torch_format.load_legacy(fh, place, pickle_args)
    except _torch_pickle.Refused as e:
        hint = ("\n\nThe file holds a whole torch.nn.Module (torch.save(model)): save its "
                "state_dict() with PyTorch and load that into the gradcore model with "
                "load_state_dict." if "GLOBAL torch.nn.modules." in str(e) else "")
        raise pickle.UnpicklingError(f"{_REFUSED}\n\nWeightsUnpickler error: {e}{hint}") \
            from None
    except _torch_pickle.Unsupported as e:
        raise RuntimeError(str(e)) from None
    except _torch_format.Passthrough as e:
        raise e.error from None
    except _torch_format._corrupt_errors() as e:
        raise RuntimeError(f"{name} is a PyTorch checkpoint that is corrupted or truncated "
                           f"({type(e).__name__}: {e})") from None


def _load(fh, name, place, mmap_path=None, pickle_args=None):
    start = fh.tell()
    try:
        arrays, record = _read(fh)
    except _TorchCheckpoint as e:
        fh.seek(start)
        return _load_torch(fh, e.args[0], name, place, mmap_path, pickle_args or {})
    except _CORRUPT as e:
        raise _corrupt(name, e) from None
    tensors = [_make_tensor(rec, arrays, place) for rec in record["tensors"]]
    try:
        return _Decoder(arrays, tensors).decode(record.get("obj"))
    except _CORRUPT as e:
        raise _corrupt(name, e) from None
