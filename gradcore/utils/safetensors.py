"""gradcore.utils.safetensors: safetensors files (Hugging Face's format) as gradcore tensors.

The API of ``safetensors.torch``: ``save_file(tensors, filename, metadata=None)``,
``load_file(filename, device="cpu")``, ``save(tensors, metadata=None) -> bytes``,
``load(data) -> dict``, ``safe_open(filename, framework="pt", device="cpu")``, and
``save_model`` / ``load_model``.  Built on the ``safetensors`` package's NumPy API (an
optional dependency: ``pip install safetensors``, or the ``safetensors`` extra); bfloat16 is
ml_dtypes' (as gradcore.bfloat16).  Files are interchangeable with ``safetensors.torch``'s::

    from gradcore.utils.safetensors import save_file, load_file
    save_file(model.state_dict(), "model.safetensors")
    model.load_state_dict(load_file("model.safetensors"))

As ``safetensors.torch``, saving refuses tensors that share memory (save one of them, or use
``save_model``) and non-contiguous tensors (call ``.contiguous()``).
"""
import sys

import numpy as np

from .. import _dtype
from .._device import as_device
from ..backend import get_backend
from ..ops.views_more import _address, _storage
from ..tensor import Tensor, _wrap

__all__ = ["save_file", "load_file", "save", "load", "safe_open", "save_model", "load_model"]

_INSTALL = ("gradcore.utils.safetensors needs the safetensors package: pip install safetensors  "
            "(or: pip install gradcore[safetensors])")
# safetensors' dtype names -> gradcore dtype names
_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
           "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8",
           "BOOL": "bool", "C64": "complex64"}
_by_name = {d.name: d for d in _dtype._ALL}


def _package():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError as e:
        raise ImportError(_INSTALL) from e
    return safetensors


# ---- saving --------------------------------------------------------------------------------
def _extent(arr):
    """The bytes ``arr`` spans from its first element."""
    if arr.size == 0:
        return 0
    return arr.itemsize + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides))


def _check_shared(tensors):
    """safetensors.torch's rule: no two tensors may overlap in memory."""
    groups = {}
    for k, v in tensors.items():
        start, size = _storage(v._arr)
        if size:
            groups.setdefault((str(v.device), start, size), []).append(k)
    failing = []
    for names in groups.values():
        areas = sorted((_address(tensors[n]._arr), _address(tensors[n]._arr)
                        + _extent(tensors[n]._arr), n) for n in names)
        shared, last_stop = [{areas[0][2]}], areas[0][1]
        for start, stop, name in areas[1:]:
            if start >= last_stop:
                shared.append({name})
            else:
                shared[-1].add(name)
            last_stop = max(last_stop, stop)
        failing += [s for s in shared if len(s) > 1]
    if failing:
        raise RuntimeError(
            f"\n            Some tensors share memory, this will lead to duplicate memory on "
            f"disk and potential differences when loading them again: {failing}.\n            "
            f"A potential way to correctly save your model is to use `save_model`.\n"
            f"            More information at "
            f"https://huggingface.co/docs/safetensors/torch_shared_tensors\n            ")


def _to_numpy(tensors):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected torch.Tensor but received "
                             f"{type(v)}")
    sparse = [k for k, v in tensors.items() if not hasattr(v._arr, "strides")]
    if sparse:
        raise ValueError(f"You are trying to save a sparse tensors: `{sparse}` which this "
                         f"library does not support. You can make it a dense tensor before "
                         f"saving with `.to_dense()` but be aware this might make a much "
                         f"larger file than needed.")
    _check_shared(tensors)
    out = {}
    for k, v in tensors.items():
        if not v.is_contiguous():
            raise ValueError(f"You are trying to save a non contiguous tensor: `{k}` which is "
                             f"not allowed. It either means you are trying to save tensors "
                             f"which are reference of each other in which case it's "
                             f"recommended to save only the full tensors, and reslice at load "
                             f"time, or simply call `.contiguous()` on your tensor to pack it "
                             f"before saving.")
        out[k] = np.asarray(v._be.to_host(v._arr))  # (ascontiguousarray makes 0-d 1-d)
    return out


def save(tensors, metadata=None):
    """save(tensors, metadata=None) -> bytes

    A dict of str -> Tensor as the bytes of a safetensors file (``metadata``: a dict of str
    -> str stored in its header)."""
    arrays = _to_numpy(tensors)
    return _package().numpy.save(arrays, metadata=metadata)


def save_file(tensors, filename, metadata=None):
    """save_file(tensors, filename, metadata=None) -> None

    Write a dict of str -> Tensor to ``filename`` as a safetensors file.  Tensors must be
    contiguous and must not share memory (see ``save_model`` for tied weights)."""
    arrays = _to_numpy(tensors)
    _package().numpy.save_file(arrays, filename, metadata=metadata)


# ---- loading -------------------------------------------------------------------------------
def _place(arr, device):
    be = get_backend(as_device(device))
    if not arr.flags.writeable:
        arr = arr.copy()
    return _wrap(be.from_host(arr), be)


def _array(name, info):
    dt = _by_name.get(_DTYPES.get(info["dtype"]))
    if dt is None:
        raise TypeError(f"gradcore has no dtype for the safetensors dtype {info['dtype']} "
                        f"(tensor {name!r})")
    arr = np.frombuffer(info["data"], dtype=dt.np).reshape(info["shape"]).copy()
    return arr.byteswap() if sys.byteorder == "big" else arr  # the format is little-endian


def load(data):
    """load(data) -> dict

    The tensors of a safetensors file given as bytes (on the CPU)."""
    return {k: _place(_array(k, info), "cpu") for k, info in _package().deserialize(data)}


def load_file(filename, device="cpu"):
    """load_file(filename, device="cpu") -> dict

    The tensors of safetensors file ``filename`` as a dict of str -> Tensor on ``device``
    (``Module.load_state_dict`` takes it)."""
    with safe_open(filename, framework="pt", device=device) as f:
        return {k: f.get_tensor(k) for k in f.keys()}


class _Slice:
    """A tensor of the file not yet read: index it (``[:, :8]``) to read that part."""

    def __init__(self, owner, name):
        self._owner, self._name = owner, name
        self._slice = owner._f.get_slice(name)

    def get_shape(self):
        """The tensor's shape, as a list."""
        return self._slice.get_shape()

    def get_dtype(self):
        """The tensor's safetensors dtype name ('F32', 'BF16' ...)."""
        return self._slice.get_dtype()

    def __getitem__(self, index):
        return self._owner._tensor(self._name, lambda: self._slice[index])


class safe_open:  # noqa: N801  (safetensors' name)
    """safe_open(filename, framework="pt", device="cpu")

    A safetensors file opened lazily, as ``safetensors.safe_open``: ``keys()``,
    ``metadata()``, ``get_tensor(name)`` (a gradcore Tensor on ``device``) and
    ``get_slice(name)[...]``; use it as a context manager.  ``framework`` is accepted for
    compatibility ("pt", "torch", "gradcore")."""

    def __init__(self, filename, framework="pt", device="cpu"):
        if framework not in ("pt", "torch", "gradcore"):
            raise ValueError(f"gradcore.utils.safetensors.safe_open gives gradcore tensors: "
                             f"framework must be 'pt', 'torch' or 'gradcore', got "
                             f"{framework!r}")
        st = _package()
        self._filename, self._device = filename, device
        self._f = st.safe_open(filename, framework="np")

    def __enter__(self):
        self._f.__enter__()
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)

    def keys(self):
        """The names of the tensors in the file."""
        return self._f.keys()

    def metadata(self):
        """The file's str -> str metadata (None when it has none)."""
        return self._f.metadata()

    def _tensor(self, name, read):
        dtype = self._f.get_slice(name).get_dtype()
        try:
            arr = read()
        except (KeyError, TypeError, ValueError):  # an older safetensors without NumPy BF16
            if dtype != "BF16":
                raise
            arr = None
        if dtype == "BF16" and (arr is None or arr.dtype != _dtype.bfloat16.np):
            with open(self._filename, "rb") as fh:
                full = dict(_package().deserialize(fh.read()))[name]
            arr = _array(name, full) if arr is None else (
                arr.view(_dtype.bfloat16.np) if arr.dtype.itemsize == 2 else None)
            if arr is None:
                raise TypeError(f"cannot read the bfloat16 tensor {name!r} with this "
                                f"safetensors version")
        elif _by_name.get(_DTYPES.get(dtype)) is None:
            raise TypeError(f"gradcore has no dtype for the safetensors dtype {dtype} "
                            f"(tensor {name!r})")
        return _place(np.asarray(arr), self._device)

    def get_tensor(self, name):
        """The tensor ``name`` as a gradcore Tensor on the device given to safe_open."""
        return self._tensor(name, lambda: self._f.get_tensor(name))

    def get_slice(self, name):
        """A lazy view of tensor ``name``: ``get_slice(name)[0:2]`` reads only those rows."""
        return _Slice(self, name)


# ---- models with tied weights -----------------------------------------------------------------
def _shared_names(state_dict):
    """Names of state_dict tensors that alias another one's memory: {kept: [dropped ...]}."""
    groups = {}
    for k, v in state_dict.items():
        start, size = _storage(v._arr)
        if size:
            groups.setdefault((str(v.device), start, _address(v._arr), v.shape, v.dtype),
                              []).append(k)
    return {sorted(names)[0]: sorted(names)[1:] for names in groups.values() if len(names) > 1}


def save_model(model, filename, metadata=None, force_contiguous=True):
    """save_model(model, filename, metadata=None, force_contiguous=True) -> None

    Save ``model.state_dict()`` to ``filename``, writing tied weights (one tensor under two
    names) once; the dropped names are recorded in the metadata, as safetensors.torch."""
    state_dict = model.state_dict()
    for kept, dropped in _shared_names(state_dict).items():
        for name in dropped:
            metadata = {} if metadata is None else metadata
            metadata.setdefault(name, kept)
            del state_dict[name]
    if force_contiguous:
        state_dict = {k: v.contiguous() for k, v in state_dict.items()}
    try:
        save_file(dict(state_dict), filename, metadata=metadata)
    except ValueError as e:
        raise ValueError(f"{e} Or use save_model(..., force_contiguous=True), read the docs for "
                         f"potential caveats.") from None


def load_model(model, filename, strict=True, device="cpu"):
    """load_model(model, filename, strict=True, device="cpu") -> (missing, unexpected)

    Load a file written by ``save_model`` into ``model`` (tied weights filled from the one
    saved); returns the missing and unexpected names, raising RuntimeError with strict."""
    state_dict = load_file(filename, device=device)
    tied = _shared_names(model.state_dict())
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing = set(missing)
    for kept, dropped in tied.items():
        for name in dropped:
            if name in missing:
                missing.remove(name)
            else:
                unexpected.append(name)
    if strict and (missing or unexpected):
        error = f"Error(s) in loading state_dict for {model.__class__.__name__}:"
        if missing:
            error += "\n    Missing key(s) in state_dict: " + ", ".join(
                f'"{k}"' for k in sorted(missing))
        if unexpected:
            error += "\n    Unexpected key(s) in state_dict: " + ", ".join(
                f'"{k}"' for k in sorted(unexpected))
        raise RuntimeError(error)
    return missing, unexpected
