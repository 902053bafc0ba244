"""The object collectives -- all_gather_object, broadcast_object_list, gather_object,
scatter_object_list -- with a safe serialisation: never pickle.

PyTorch pickles the objects, so a peer can make every other rank run code.  gradcore encodes
each object with ``gradcore.save``'s own format (JSON text for the structure, ``.npy`` members
for tensors and arrays; serialization.py) and decodes it with ``gradcore.load`` only after
checking that the bytes are that format (a zip with the ``__gradcore__.npy`` record, starting
with the zip signature: a PyTorch pickle, even one zip-wrapped, is refused before
anything of it is read).  What can travel is what ``gradcore.save`` saves: tensors,
Parameters, NumPy arrays, None, bool, int, float, str, lists, tuples, dicts (OrderedDicts),
dtypes, devices, Sizes; any other object raises TypeError on the sending rank.  Tensors come
back on the device they were sent from.  The bytes move as uint8 tensors through the tensor
collectives (sizes first, then the payloads padded to the largest)."""
import io
import zipfile

import numpy as np

from .. import serialization
from ..ops.factories import from_numpy
from . import collectives as _c
from .errors import DistError

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object",
           "scatter_object_list"]

_RECORD = "__gradcore__.npy"


def _encode(obj):
    """``obj`` as bytes of gradcore's safe format (TypeError for what it cannot hold)."""
    f = io.BytesIO()
    serialization.save(obj, f)
    return f.getvalue()


def _decode(data, what, rank):
    """The object in ``data`` -- only if it is gradcore's format; anything else (a pickle
    above all) is refused without being read."""
    try:
        ok = data[:4] == b"PK\x03\x04" and _RECORD in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        ok = False
    if not ok:
        raise DistError(f"{what}: rank {rank} sent a payload that is not gradcore's safe "
                        f"object format ({len(data)} bytes starting {bytes(data[:8])!r}); "
                        f"refused unread: gradcore never unpickles what a peer sends")
    return serialization.load(io.BytesIO(data))


def _device(g):
    if g._backend == "nccl":
        from .. import cuda
        return f"cuda:{cuda.current_device()}"
    return "cpu"


def _u8(g, arr):
    arr = np.ascontiguousarray(arr)
    t = from_numpy(arr if arr.flags.writeable else arr.copy())   # frombuffer's are read-only
    return t if g._backend == "mpi" else t.to(_device(g))


def _host(t):
    return t._be.to_host(t._arr)


def _gather_bytes(g, payload, root=None):
    """Every rank's ``payload`` (all ranks, or only ``root`` -- None elsewhere)."""
    size = g.size()
    sizes = [_u8(g, np.zeros(1, np.int64)) for _ in range(size)]
    mine = _u8(g, np.array([len(payload)], np.int64))
    _c.all_gather(sizes, mine, group=g)
    lengths = [int(_host(s)[0]) for s in sizes]
    longest = max(lengths)
    buf = np.zeros(longest, np.uint8)
    buf[:len(payload)] = np.frombuffer(payload, np.uint8)
    out = [_u8(g, np.zeros(longest, np.uint8)) for _ in range(size)]
    if root is None:
        _c.all_gather(out, _u8(g, buf), group=g)
    else:
        _c.gather(_u8(g, buf), out if g.rank() == root else None, group=g, group_dst=root)
        if g.rank() != root:
            return None
    return [_host(o)[:n].tobytes() for o, n in zip(out, lengths)]


def all_gather_object(object_list, obj, group=None):
    """all_gather_object(object_list, obj, group=None): every rank's ``obj`` into
    ``object_list`` (``object_list[r]`` is rank r's; the list must have the group's size).
    Objects travel in gradcore's safe format, never pickled (see the module's docstring)."""
    g = _c._group(group, "all_gather_object")
    if g is None:
        return
    payloads = _gather_bytes(g, _encode(obj))
    for r, data in enumerate(payloads):
        object_list[r] = _decode(data, "all_gather_object", g._ranks[r])


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    every rank's ``obj`` into rank ``dst``'s ``object_gather_list`` (None on the others)."""
    g = _c._group(group, "gather_object")
    if g is None:
        return
    root = _c._group_rank(g, dst, group_dst, "gather")
    if g.rank() == root and (object_gather_list is None
                             or len(object_gather_list) != g.size()):
        got = 0 if object_gather_list is None else len(object_gather_list)
        raise ValueError(f"Argument ``object_gather_list`` must NOT be None on destination "
                         f"rank and have the group's size ({g.size()}), got {got}")
    payloads = _gather_bytes(g, _encode(obj), root)
    if payloads is not None:
        for r, data in enumerate(payloads):
            object_gather_list[r] = _decode(data, "gather_object", g._ranks[r])


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    rank ``src``'s ``object_list`` into every rank's (same length everywhere), in place.
    ``device`` is accepted (the bytes move on the group's device)."""
    g = _c._group(group, "broadcast_object_list")
    if g is None:
        return
    root = _c._group_rank(g, src, group_src, "broadcast")
    n = len(object_list)
    if g.rank() == root:
        payloads = [_encode(o) for o in object_list]
        sizes = np.array([len(p) for p in payloads], np.int64)
    else:
        sizes = np.zeros(n, np.int64)
    st = _u8(g, sizes)
    _c.broadcast(st, group=g, group_src=root)
    sizes = _host(st)
    total = int(sizes.sum())
    data = (np.frombuffer(b"".join(payloads), np.uint8) if g.rank() == root
            else np.zeros(total, np.uint8))
    dt = _u8(g, data)
    _c.broadcast(dt, group=g, group_src=root)
    if g.rank() != root:
        raw, at = _host(dt).tobytes(), 0
        for i, s in enumerate(sizes):
            object_list[i] = _decode(raw[at:at + int(s)], "broadcast_object_list",
                                     g._ranks[root])
            at += int(s)


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    """scatter_object_list(scatter_object_output_list, scatter_object_input_list=None,
    src=None, group=None, group_src=None): rank ``src``'s ``scatter_object_input_list[r]``
    into rank ``r``'s ``scatter_object_output_list[0]``."""
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size "
                         "at least 1.")
    g = _c._group(group, "scatter_object_list")
    if g is None:
        return
    root = _c._group_rank(g, src, group_src, "scatter")
    objs = [None] * g.size()
    if g.rank() == root:
        objs = list(scatter_object_input_list)
    # one broadcast of the whole list keeps this simple; each rank keeps its own entry
    broadcast_object_list(objs, group=g, group_src=root)
    scatter_object_output_list[0] = objs[g.rank()]
