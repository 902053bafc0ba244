"""PyTorch's checkpoint files (``torch.save``) read and written: the zip format and the legacy
(pre-1.6, ``_use_new_zipfile_serialization=False``) one.

Zip: ``<archive>/data.pkl`` (the pickle, see ``_torch_pickle``), ``<archive>/data/<key>`` (each
storage's raw bytes), ``byteorder``, ``version``, ``.format_version``, ``.storage_alignment``.
Written here as PyTorch writes it: members stored, each storage's data 64-byte aligned (the
local header's extra field pads it, as PyTorch's writer does), so ``torch.load(mmap=True)``
and ``gradcore.load(mmap=True)`` can map it.  Legacy: five pickles in a row (magic number,
protocol version, system info, the object, the storage keys), then each storage as an int64
element count and its bytes.

A storage is read once and placed once (``place(host_array, location) -> Tensor``, which is
gradcore.load's ``map_location``), and every tensor of it is a view of that one array with the
file's size, stride and storage offset: tensors that shared memory in PyTorch share it here.
On save, tensors that share memory in gradcore (one NumPy owner / CuPy allocation) are written
as one storage; a tensor with negative strides (a NumPy flip) is written as a compact copy.
"""
import collections
import io
import mmap as _mmap
import pickle
import struct
import sys
import zipfile

import numpy as np

from . import _dtype
from . import _torch_pickle as P
from ._device import device as _device_cls
from .ops.views_more import _address, _owner, _storage, _strided_from_storage
from .tensor import Size, Tensor, _wrap

MAGIC_NUMBER, PROTOCOL_VERSION = 0x1950a86a20f9469cfc6c, 1001
LEGACY_HEAD = pickle.dumps(MAGIC_NUMBER, protocol=2)  # a legacy file starts with these bytes
ALIGNMENT = 64
_CHUNK = 16 << 20
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's sizeFileHeader layout


class Corrupt(Exception):
    """The file is not what its structure says (truncated, altered ...)."""


class Passthrough(Exception):
    """Carries an error that is not the file's fault (from map_location) past the handlers
    that turn errors into 'corrupted': ``error`` is re-raised as it is."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


def _corrupt_errors():
    return (Corrupt, zipfile.BadZipFile, pickle.UnpicklingError, EOFError, ValueError,
            KeyError, IndexError, TypeError, AttributeError, OverflowError, struct.error,
            RecursionError, MemoryError)


# ---- reading -------------------------------------------------------------------------------
class _Reader:
    """Places each storage once and makes each tensor a view of it."""

    def __init__(self, place, read, byteorder):
        self._place, self._read, self._swap = place, read, byteorder != sys.byteorder
        self._placed = {}
        self._parameter = None

    def storage(self, rec):
        """The placed storage of record ``rec`` (a 1-D array of its dtype on its device)."""
        arr = self._placed.get(rec.key)
        if arr is None:
            host = self._read(rec)  # uint8, rec.nbytes long
            typed = host.view(rec.dtype.np)
            if self._swap and rec.dtype.itemsize > 1:
                typed = typed.byteswap()
            try:
                t = self._place(typed, rec.location)
            except Exception as e:  # map_location's own error (no CUDA ...): not corruption
                raise Passthrough(e) from None
            if (not isinstance(t, Tensor) or t.dtype is not rec.dtype
                    or tuple(t.shape) != typed.shape):
                raise Passthrough(TypeError(
                    f"map_location gave {type(t).__name__} for a storage of {typed.shape[0]} "
                    f"{rec.dtype.name} elements; expected a 1-D tensor of that dtype and size"))
            arr = self._placed[rec.key] = (t._arr, t._be)
        return arr

    def tensor(self, rec):
        storage, skip = rec.storage, 0
        if isinstance(storage, P._StorageView):
            storage, skip = storage.root, storage.offset
        dt = rec.dtype
        if dt is None:
            raise P.Unsupported("gradcore.load: the checkpoint holds a tensor of a dtype "
                                "gradcore does not have")
        arr, be = self.storage(storage)
        if skip % dt.itemsize:
            raise Corrupt("a storage view is not aligned to its dtype")
        if arr.dtype != dt.np:  # an untyped storage (bytes) read as the tensor's dtype
            if arr.nbytes % dt.itemsize:
                raise Corrupt(f"a storage of {arr.nbytes} bytes read as {dt.name}")
            arr = arr.view(dt.np)
        offset, have = rec.offset + skip // dt.itemsize, arr.size
        need = (offset if 0 in rec.size else
                offset + 1 + sum((n - 1) * s for n, s in zip(rec.size, rec.stride)))
        if need > have:
            raise Corrupt(f"a tensor of size {list(rec.size)}, stride {list(rec.stride)} and "
                          f"storage offset {offset} runs past its storage of {have} elements")
        view = _strided_from_storage(arr, be.xp, rec.size, rec.stride, offset)
        if rec.meta and rec.meta.get("conj"):
            view = be.xp.conj(view)
        if rec.meta and rec.meta.get("neg"):
            view = -view
        t = _wrap(view, be)
        if rec.param is not None:
            if self._parameter is None:  # nn sits above this module; `import gradcore` loads it
                self._parameter = sys.modules["gradcore.nn.parameter"].Parameter
            return self._parameter(t, requires_grad=rec.param)
        return t.requires_grad_(rec.requires_grad) if rec.requires_grad else t


def _unpickle(data_file, storages, legacy, pickle_args):
    P.check_opcodes(data_file)
    return P.WeightsUnpickler(data_file, storages, legacy=legacy, **pickle_args).load()


def _build(obj, reader):
    return P.Builder(reader.tensor).build(obj)


def _data_offset(fh, info):
    """Where member ``info``'s data starts in the file (from its local header)."""
    fh.seek(info.header_offset)
    head = fh.read(_LOCAL_HEADER.size)
    if len(head) != _LOCAL_HEADER.size or head[:4] != zipfile.stringFileHeader:
        raise Corrupt(f"{info.filename}: bad local header")
    fields = _LOCAL_HEADER.unpack(head)
    return info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]


def _record(z, name):
    """Member ``name``'s bytes (zipfile's own refusals -- encryption, an unknown compression
    -- are the file's fault: Corrupt)."""
    try:
        return z.read(name)
    except (NotImplementedError, RuntimeError) as e:
        raise Corrupt(f"{name}: {e}") from None


def _read_member(z, info, nbytes):
    arr = np.empty(nbytes, np.uint8)
    with z.open(info) as m:
        data = memoryview(arr)
        for pos in range(0, nbytes, _CHUNK):
            chunk = data[pos:pos + _CHUNK]
            if m.readinto(chunk) != len(chunk):
                raise Corrupt(f"{info.filename} is truncated")
    return arr


def load_zip(fh, place, mmap_path, pickle_args):
    """The object in PyTorch zip checkpoint ``fh`` (``mmap_path``: map its storages)."""
    with zipfile.ZipFile(fh) as z:
        names = z.namelist()
        pkls = [n for n in names if n == "data.pkl" or n.endswith("/data.pkl")
                and n.count("/") == 1]
        if len(pkls) != 1 or len(set(names)) != len(names):
            raise Corrupt(f"{len(pkls)} data.pkl records, {len(names)} members "
                          f"({len(set(names))} distinct names)")
        prefix = pkls[0][:-len("data.pkl")]
        if prefix + "constants.pkl" in names:
            raise P.Unsupported("gradcore.load cannot load a TorchScript archive (written by "
                                "torch.jit.save): it holds code, which gradcore never runs")
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = _record(z, prefix + "byteorder").decode("ascii", "replace")
            if byteorder not in ("little", "big"):
                raise ValueError("Unknown endianness type: " + byteorder)
        storages = {}
        obj = _unpickle(io.BytesIO(_record(z, pkls[0])), storages, False, pickle_args)
        mapped = None
        if mmap_path is not None:
            with open(mmap_path, "rb") as raw:
                mapped = _mmap.mmap(raw.fileno(), 0, access=_mmap.ACCESS_COPY)  # private

        def read(rec):
            try:
                info = z.getinfo(f"{prefix}data/{rec.key}")
                if info.file_size != rec.nbytes:
                    raise Corrupt(f"{info.filename} holds {info.file_size} bytes; its tensor "
                                  f"needs {rec.nbytes}")
                if mapped is not None and info.compress_type == zipfile.ZIP_STORED:
                    start = _data_offset(fh, info)
                    if start % ALIGNMENT == 0 and start + rec.nbytes <= len(mapped):
                        return np.frombuffer(mapped, np.uint8, rec.nbytes, start)
                return _read_member(z, info, rec.nbytes)
            except Corrupt:
                raise
            except (*_corrupt_errors(), NotImplementedError, RuntimeError) as e:  # zipfile's
                raise Corrupt(f"{type(e).__name__}: {e}") from None

        return _build(obj, _Reader(place, read, byteorder))


def load_legacy(fh, place, pickle_args):
    """The object in legacy PyTorch checkpoint ``fh`` (read from its current position)."""
    if _unpickle(fh, {}, True, pickle_args) != MAGIC_NUMBER:
        raise Corrupt("Invalid magic number; corrupt file?")
    version = _unpickle(fh, {}, True, pickle_args)
    if version != PROTOCOL_VERSION:
        raise Corrupt(f"Invalid protocol version: {version}")
    info = _unpickle(fh, {}, True, pickle_args)
    if not isinstance(info, dict):
        raise Corrupt("bad system information record")
    order = "<" if info.get("little_endian", True) else ">"
    storages = {}
    obj = _unpickle(fh, storages, True, pickle_args)
    keys = _unpickle(fh, {}, True, pickle_args)
    if not isinstance(keys, list) or set(keys) != set(storages):
        raise Corrupt("the storage keys do not match the object's storages")
    data, here = {}, fh.tell()
    end = fh.seek(0, 2)  # the file's end
    fh.seek(here)
    for key in keys:
        rec = storages[key]
        head = fh.read(8)
        if len(head) != 8:
            raise Corrupt("truncated storage")
        numel, = struct.unpack(order + "q", head)
        if numel * rec.dtype.itemsize != rec.nbytes:
            raise Corrupt(f"storage {key} holds {numel} elements; its tensors say "
                          f"{rec.nbytes // rec.dtype.itemsize}")
        if rec.nbytes > end - fh.tell():  # checked before allocating
            raise Corrupt(f"storage {key} is truncated")
        arr = np.empty(rec.nbytes, np.uint8)
        if fh.readinto(memoryview(arr)) != rec.nbytes:
            raise Corrupt(f"storage {key} is truncated")
        data[key] = arr
    return _build(obj, _Reader(place, lambda rec: data[rec.key],
                               "little" if order == "<" else "big"))


# ---- writing -------------------------------------------------------------------------------
class _Tree:
    """An object turned into what ``_torch_pickle.dump`` writes: tensors into rebuild calls
    over shared storages, dtypes/devices/Sizes into torch's globals; sharing kept, anything
    PyTorch's weights_only loader would refuse raises TypeError (naming where it was)."""

    def __init__(self):
        self.storages = {}  # (location, storage start) -> StorageOut
        self._memo, self._open = {}, set()
        mod = sys.modules.get("gradcore.nn.parameter")
        self._parameter = getattr(mod, "Parameter", None)

    def convert(self, obj, path):
        t = type(obj)
        if obj is None or t in (bool, int, float, complex, str, bytes, bytearray):
            return obj
        key = id(obj)
        if key in self._memo:
            return self._memo[key][0]
        if key in self._open:
            raise ValueError(f"gradcore.save: cannot save a container that contains itself "
                             f"(at {path})")
        self._open.add(key)
        try:
            out = self._make(obj, t, path)
        finally:
            self._open.discard(key)
        self._memo[key] = (out, obj)
        return out

    def _make(self, obj, t, path):
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if t is _dtype.dtype:
            return P.DTYPES[obj.name]
        if t is _device_cls:
            return P.Reduce(P.TORCH_DEVICE, (obj.type,) if obj.index is None
                            else (obj.type, obj.index))
        if t is Size:
            return P.Reduce(P.TORCH_SIZE, (tuple(int(n) for n in obj),))
        if t in (list, tuple, set):
            return t(self.convert(v, f"{path}[{i}]") for i, v in enumerate(obj))
        if t in (dict, collections.defaultdict, collections.OrderedDict, collections.Counter):
            out = (dict if t is collections.defaultdict else t)()
            for k, v in obj.items():
                out[self.convert(k, f"{path} key {k!r}")] = self.convert(v, f"{path}[{k!r}]")
            meta = getattr(obj, "_metadata", None)
            if meta is not None and t is collections.OrderedDict:
                out._metadata = self.convert(meta, f"{path}._metadata")
            return out
        raise TypeError(f"gradcore.save(format='torch'): cannot save an object of type "
                        f"'{t.__module__}.{t.__qualname__}' (at {path}); PyTorch's "
                        f"weights_only loader reads tensors, Parameters, dtypes, devices, "
                        f"torch.Size, None, bool, int, float, complex, str, bytes, and lists, "
                        f"tuples, sets and dicts of them")

    def _tensor(self, t, path):
        cls = type(t)
        if cls is not Tensor and cls is not self._parameter:
            raise TypeError(f"gradcore.save: cannot save a tensor of type "
                            f"'{cls.__module__}.{cls.__qualname__}' (at {path}); only "
                            f"Tensor and nn.Parameter")
        arr, be = t._arr, t._be
        if not hasattr(arr, "strides"):
            raise TypeError(f"gradcore.save(format='torch'): cannot save a sparse tensor "
                            f"(at {path}); save its to_dense()")
        storage, offset, stride = self._storage(t.dtype, arr, be)
        plain = P.Reduce(P.REBUILD_TENSOR_V2, (storage, offset, tuple(arr.shape), stride,
                                               bool(t.requires_grad) and cls is Tensor,
                                               collections.OrderedDict()))
        if cls is Tensor:
            return plain
        return P.Reduce(P.REBUILD_PARAMETER, (plain, bool(t.requires_grad),
                                              collections.OrderedDict()))

    def _storage(self, dt, arr, be):
        isz = arr.itemsize
        loc = "cpu" if be.device.type == "cpu" else f"cuda:{be.device.index or 0}"
        start, _ = _storage(arr)
        skip = _address(arr) - start
        whole = (not isinstance(arr, np.ndarray) or _owner(arr).flags.c_contiguous
                 or _owner(arr).flags.f_contiguous)
        if not whole or skip % isz or any(s < 0 or s % isz for s in arr.strides):
            arr = be.xp.ascontiguousarray(arr)  # a storage of its own
            start, skip = _storage(arr)[0], _address(arr) - _storage(arr)[0]
        offset, stride = skip // isz, tuple(s // isz for s in arr.strides)
        end = offset if arr.size == 0 else (
            offset + 1 + sum((n - 1) * s for n, s in zip(arr.shape, stride)))
        rec = self.storages.get((loc, start))
        if rec is None:
            rec = self.storages[(loc, start)] = P.StorageOut(str(len(self.storages)), dt, loc,
                                                             0, (arr, be))
        elif rec.dtype is not dt:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same "
                               "data as different types")
        rec.numel = max(rec.numel, end)
        return rec, offset, stride


def _bytes(rec):
    """The storage's bytes on the host: its first ``numel`` elements."""
    arr, be = rec.source
    flat = be.to_host(_strided_from_storage(arr, be.xp, (rec.numel,), (1,), 0))
    return np.ascontiguousarray(flat).view(np.uint8)


def _member(z, name, data, align=None):
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = len(memoryview(data).cast("B"))
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # as zipfile decides it
    if align:  # pad the local header (an 'FB' extra field, as PyTorch's writer) to align data
        fixed = z.fp.tell() + _LOCAL_HEADER.size + len(name.encode()) + 4 + (20 if zip64 else 0)
        pad = -fixed % align
        info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
    with z.open(info, "w", force_zip64=zip64) as m:
        m.write(data)


def save_zip(obj, fh, byteorder_record=True):
    """Write ``obj`` to ``fh`` in PyTorch's zip format."""
    tree = _Tree()
    pkl = P.dump(tree.convert(obj, "obj"))
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as z:
        _member(z, "archive/data.pkl", pkl)
        _member(z, "archive/.format_version", b"1")
        _member(z, "archive/.storage_alignment", str(ALIGNMENT).encode())
        if byteorder_record:
            _member(z, "archive/byteorder", sys.byteorder.encode())
        for rec in tree.storages.values():
            _member(z, f"archive/data/{rec.key}", _bytes(rec), ALIGNMENT)
        _member(z, "archive/version", b"3\n")


def save_legacy(obj, fh):
    """Write ``obj`` to ``fh`` in PyTorch's legacy (pre-1.6) format."""
    tree = _Tree()
    pkl = P.dump(tree.convert(obj, "obj"), legacy=True)
    info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
            "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for head in (MAGIC_NUMBER, PROTOCOL_VERSION, info):
        fh.write(pickle.dumps(head, protocol=2))
    fh.write(pkl)
    recs = sorted(tree.storages.values(), key=lambda r: r.key)
    fh.write(pickle.dumps([r.key for r in recs], protocol=2))
    for rec in recs:
        fh.write(struct.pack("=q", rec.numel))
        fh.write(_bytes(rec))
