"""DLPack capsules at the byte level: what NumPy's and CuPy's own DLPack code does not do.

The array libraries make and consume the capsules (``ndarray.__dlpack__``,
``numpy.from_dlpack``, ``cupy.from_dlpack``); ops/dlpack.py calls them.  Three gaps are
filled here, on the structs of ``dlpack.h`` (v1.0) read and written through ctypes:

* ``device_of(capsule)``: the device a capsule's tensor lives on (a bare capsule says it only
  in its struct; NumPy and CuPy need to be picked before it is consumed).
* ``versioned(capsule)``: a legacy ``"dltensor"`` capsule re-wrapped as a
  ``"dltensor_versioned"`` one without a copy.  NumPy makes every array it takes from a legacy
  capsule read-only (DLPack 0.x cannot say whether the memory may be written); PyTorch's
  ``from_dlpack(capsule)`` gives a writable tensor, so gradcore does too.  The new struct
  points at the old tensor's data, shape and strides, and its deleter calls the old one.
* ``retag(capsule, code, bits)``: the element type of a capsule not yet consumed rewritten in
  place -- bfloat16 travels as uint16 through NumPy (which has no bfloat16 DLPack code) and is
  relabelled ``kDLBfloat`` on the way out and back to uint16 on the way in (the consumer owns
  the struct; its deleter does not read the type).
"""
import ctypes

KDL_INT, KDL_UINT, KDL_FLOAT, KDL_BFLOAT, KDL_COMPLEX, KDL_BOOL = 0, 1, 2, 4, 5, 6
LEGACY, VERSIONED = b"dltensor", b"dltensor_versioned"
INVALID = ("from_dlpack received an invalid capsule. Note that DLTensor capsules can be "
           "consumed only once, so you might have already constructed a tensor from it once.")


class _Device(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _Device), ("ndim", ctypes.c_int32),
                ("dtype", _DataType), ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
                ("byte_offset", ctypes.c_uint64)]


_DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class _Managed(ctypes.Structure):  # DLManagedTensor
    _fields_ = [("dl_tensor", _Tensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


class _ManagedVersioned(ctypes.Structure):  # DLManagedTensorVersioned
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32),
                ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p),
                ("flags", ctypes.c_uint64), ("dl_tensor", _Tensor)]


_api = ctypes.pythonapi
_api.PyCapsule_GetName.restype = ctypes.c_char_p
_api.PyCapsule_GetName.argtypes = [ctypes.py_object]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_USED = ctypes.c_char_p(b"used_dltensor")  # a capsule's name must outlive it: module-level
_VERSIONED = ctypes.c_char_p(VERSIONED)
_alive = {}  # address of each re-wrapped struct -> (struct, the old capsule's struct pointer)


def is_capsule(obj):
    """True for a PyCapsule object (any name)."""
    return type(obj).__name__ == "PyCapsule" and type(obj).__module__ == "builtins"


def _tensor(capsule):
    """The DLTensor of an unconsumed capsule (RuntimeError, PyTorch's text, if it is not one)."""
    if not is_capsule(capsule):
        raise RuntimeError(INVALID)
    for name, struct in ((LEGACY, _Managed), (VERSIONED, _ManagedVersioned)):
        if _api.PyCapsule_IsValid(capsule, name):
            return struct.from_address(_api.PyCapsule_GetPointer(capsule, name)).dl_tensor
    raise RuntimeError(INVALID)


def device_of(capsule):
    """(DLPack device type, device id) of the tensor in an unconsumed capsule."""
    dev = _tensor(capsule).device
    return dev.device_type, dev.device_id


def dtype_of(capsule):
    """(type code, bits, lanes) of the tensor in an unconsumed capsule."""
    dt = _tensor(capsule).dtype
    return dt.code, dt.bits, dt.lanes


def retag(capsule, code, bits):
    """Rewrite the element type of an unconsumed capsule's tensor (same size: bits unchanged
    in practice -- bfloat16 <-> uint16)."""
    dt = _tensor(capsule).dtype
    dt.code, dt.bits = code, bits
    return capsule


@_DELETER
def _delete_versioned(address, _alive=_alive, _Managed=_Managed, _DELETER=_DELETER):
    """The re-wrapped struct's deleter: drop it, run the legacy tensor's own deleter.  (Its
    globals are bound as defaults: a consumer may free its array during interpreter exit.)"""
    struct, old = _alive.pop(address)
    old_deleter = _Managed.from_address(old).deleter
    if old_deleter:
        _DELETER(old_deleter)(old)


def versioned(capsule):
    """A ``"dltensor_versioned"`` capsule for the tensor of an unconsumed legacy capsule (which
    is marked used): writable, no copy; consuming it calls the legacy tensor's deleter once."""
    if not _api.PyCapsule_IsValid(capsule, LEGACY):
        return capsule
    old = _api.PyCapsule_GetPointer(capsule, LEGACY)
    new = _ManagedVersioned()
    new.major, new.minor, new.flags = 1, 0, 0
    ctypes.memmove(ctypes.addressof(new.dl_tensor), old, ctypes.sizeof(_Tensor))
    new.deleter = ctypes.cast(_delete_versioned, ctypes.c_void_p).value
    address = ctypes.addressof(new)
    new.manager_ctx = address
    _alive[address] = (new, old)
    _api.PyCapsule_SetName(capsule, _USED)  # its destructor now leaves the tensor alone
    return _api.PyCapsule_New(address, _VERSIONED,
                              ctypes.cast(_destroy_capsule, ctypes.c_void_p).value)


# the capsule's destructor runs while the capsule is being freed: raw pointers, no py_object
_is_valid_raw = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_IsValid", _api))
_pointer_raw = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", _api))


@_DELETER
def _destroy_capsule(capsule, _is_valid=_is_valid_raw, _pointer=_pointer_raw,
                     _delete=_delete_versioned):
    """A re-wrapped capsule freed without being consumed deletes its tensor (DLPack's rule)."""
    if _is_valid(capsule, VERSIONED):
        _delete(_pointer(capsule, VERSIONED))
