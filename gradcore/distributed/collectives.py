"""The collectives and point-to-point operations on tensors, PyTorch's signatures and errors:
all_reduce, broadcast, reduce, all_gather, all_gather_into_tensor (all_gather_single),
reduce_scatter_tensor (reduce_scatter_single), gather, scatter, all_to_all_single, send,
recv, isend, irecv, barrier.

Each flattens its tensors to contiguous 1-D arrays of the group's memory (NumPy for MPI -- a
CUDA tensor goes through host memory --, CuPy for NCCL), posts the backend's non-blocking
operation and returns a Work (``async_op=True``) or waits for it.  Outputs are written in
place, into the tensor's own array when it is contiguous, else through a buffer copied back
when the work completes; PyTorch does not bump the version counter here, nor does gradcore."""
import functools
import warnings

import numpy as np

from ..tensor import Tensor
from . import process_group as _pg
from .reduce_op import ReduceOp, check as _check_op

__all__ = ["all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
           "all_gather_single", "reduce_scatter_tensor", "reduce_scatter_single", "gather",
           "scatter", "all_to_all_single", "send", "recv", "isend", "irecv", "barrier"]


# ---- argument checks, PyTorch's messages ---------------------------------------------------
def _check_single_tensor(param, name):
    if not isinstance(param, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {type(param)} instead.")


def _check_tensor_list(param, name):
    if not isinstance(param, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(param)} instead.")
    if not all(isinstance(p, Tensor) for p in param):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(param)} with elements "
                        f"of type {[type(p) for p in param]}.")


def _group(group, op):
    """The group to run on, or None (after PyTorch's warning) on a rank outside it."""
    if isinstance(group, int) and group == _pg.GroupMember.NON_GROUP_MEMBER:
        world = _pg._world.default
        rank = -1 if world is None else world.rank()
        warnings.warn(f"Running {op} on global rank {rank} which does not belong to the "
                      f"given group.", stacklevel=3)
        return None
    return _pg._resolve(group)


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _group_rank(g, global_rank, group_rank, what):
    """The group rank of a root given as a global rank or a group rank (PyTorch's rule)."""
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        r = group_rank
    else:
        if global_rank is None:
            raise ValueError("Must specify global_rank or group_rank")
        if g is _pg._world.default:
            r = global_rank
        else:
            r = _pg.get_group_rank(g, global_rank)
    if not 0 <= r < g.size():
        raise RuntimeError(f"ProcessGroup{g._backend.upper()}::{what}: invalid root rank: {r}")
    return r


def _prefix(g, what):
    return f"ProcessGroup{g._backend.upper()}::{what}"


# ---- arrays in the group's memory ----------------------------------------------------------
def _staged(g, t):
    """Whether ``t``'s array goes through host memory (a CUDA tensor on an MPI group)."""
    if g._backend == "nccl":
        if t.device.type != "cuda":
            raise RuntimeError(f"No backend type associated with device type "
                               f"{t.device.type}")
        return False
    return t.device.type != "cpu"


def _flat_in(g, t):
    """``t``'s values as a contiguous 1-D array of the group's memory (a view when it can)."""
    arr = t._arr
    if _staged(g, t):
        arr = t._be.to_host(arr)
    if not arr.flags.c_contiguous:
        arr = t._be.xp.ascontiguousarray(arr) if not _staged(g, t) else np.ascontiguousarray(arr)
    return arr.reshape(-1)


def _flat_out(g, t):
    """(buffer, write back): a contiguous 1-D array the result lands in -- ``t``'s own array
    when it is contiguous -- and the function that copies it into ``t`` (or None)."""
    arr = t._arr
    if _staged(g, t):
        host = np.empty(arr.shape, dtype=arr.dtype)
        return host.reshape(-1), lambda: _store(t, t._be.from_host(host))
    if arr.flags.c_contiguous:
        return arr.reshape(-1), None
    buf = t._be.xp.empty(arr.shape, dtype=arr.dtype)
    return buf.reshape(-1), lambda: _store(t, buf)


def _store(t, arr):
    t._arr[...] = arr.reshape(t._arr.shape)


def _empty_like(g, t, n):
    xp = np if g._backend == "mpi" else t._be.xp
    return xp.empty(n, dtype=t._arr.dtype)


def _run(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def _then(*steps):
    """One finish function running ``steps`` in order (None entries skipped)."""
    steps = [s for s in steps if s is not None]
    if not steps:
        return None

    def finish():
        for s in steps:
            s()
    return finish


def _average(buf, size):
    """AVG: the sum divided by the group size, in the buffer's dtype (float16: in float32,
    rounded once)."""
    def finish():
        if buf.dtype.name in ("float16", "bfloat16"):
            buf[...] = (buf.astype(np.float32) / size).astype(buf.dtype)
        else:
            buf[...] = buf / size
    return finish


# ---- collectives ---------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False): reduce ``tensor``
    across the group with ``op``, in place on every rank."""
    _check_single_tensor(tensor, "tensor")
    g = _group(group, "all_reduce")
    if g is None:
        return None
    op = _check_op(op, tensor.dtype, "all_reduce")
    buf, back = _flat_out(g, tensor)
    if back is not None or _staged(g, tensor):
        src = _flat_in(g, tensor)
        buf[...] = src
    req = g._comm.all_reduce(None, buf, op)
    avg = _average(buf, g.size()) if op is ReduceOp.AVG else None
    return _run(g._work(req, _then(avg, back), op="ALLREDUCE", outputs=[tensor],
                        numel=tensor.numel()), async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """broadcast(tensor, src=None, group=None, async_op=False, group_src=None): copy rank
    ``src``'s ``tensor`` (a global rank; ``group_src``: a rank in ``group``) into every
    rank's ``tensor``, in place."""
    _check_single_tensor(tensor, "tensor")
    g = _group(group, "broadcast")
    if g is None:
        return None
    root = _group_rank(g, src, group_src, "broadcast")
    buf, back = _flat_out(g, tensor)
    if g.rank() == root and (back is not None):
        buf[...] = _flat_in(g, tensor)
    req = g._comm.broadcast(buf, root)
    return _run(g._work(req, back if g.rank() != root else None, op="BROADCAST",
                        outputs=[tensor], numel=tensor.numel()), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    reduce ``tensor`` across the group into rank ``dst``'s ``tensor`` (the others' are left
    as they are)."""
    _check_single_tensor(tensor, "tensor")
    g = _group(group, "reduce")
    if g is None:
        return None
    root = _group_rank(g, dst, group_dst, "reduce")
    op = _check_op(op, tensor.dtype, "reduce")
    if g.rank() == root:
        buf, back = _flat_out(g, tensor)
        if back is not None or _staged(g, tensor):
            buf[...] = _flat_in(g, tensor)
        req = g._comm.reduce(None, buf, op, root)
        finish = _then(_average(buf, g.size()) if op is ReduceOp.AVG else None, back)
    else:
        req, finish = g._comm.reduce(_flat_in(g, tensor), None, op, root), None
    return _run(g._work(req, finish, op="REDUCE", outputs=[tensor], numel=tensor.numel()),
                async_op)


def _check_like(g, what, tensors, like):
    for i, t in enumerate(tensors):
        if t.dtype is not like.dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound "
                             f"{t.dtype} and  {like.dtype}")
        if tuple(t.shape) != tuple(like.shape):
            raise RuntimeError(f"{_prefix(g, what)}: invalid tensor size at index {i} "
                               f"(expected {_shape(like)}, got {_shape(t)})")


def _scatter_into(parts, buf, n):
    """Copy the i-th ``n`` elements of ``buf`` into ``parts[i]``."""
    def finish():
        for i, t in enumerate(parts):
            t._arr[...] = _to_device(t, buf[i * n:(i + 1) * n]).reshape(t._arr.shape)
    return finish


def _to_device(t, arr):
    return t._be.from_host(arr) if isinstance(arr, np.ndarray) and t.device.type != "cpu" \
        else arr


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """all_gather(tensor_list, tensor, group=None, async_op=False): every rank's ``tensor``
    into ``tensor_list`` (one tensor per rank, each of ``tensor``'s shape and dtype)."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_single_tensor(tensor, "tensor")
    g = _group(group, "all_gather")
    if g is None:
        return None
    if len(tensor_list) != g.size():
        raise RuntimeError(f"{_prefix(g, 'allgather')}: invalid output tensor list at index 0 "
                           f"(expected length {g.size()}, got {len(tensor_list)})")
    _check_like(g, "allgather", tensor_list, tensor)
    n = tensor.numel()
    recv = _empty_like(g, tensor, n * g.size())
    req = g._comm.all_gather(_flat_in(g, tensor), recv)
    return _run(g._work(req, _scatter_into(tensor_list, recv, n), op="ALLGATHER",
                        outputs=tensor_list, numel=n), async_op)


def _check_same_dtype(g, what, a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{_prefix(g, what)}: invalid tensor type at index 0 (expected "
                           f"{b.dtype}, got {a.dtype})")


def all_gather_single(output_tensor, input_tensor, group=None, async_op=False):
    """all_gather_single(output_tensor, input_tensor, group=None, async_op=False): every
    rank's ``input_tensor`` concatenated along dim 0 into ``output_tensor`` (whose dim 0 is
    the group size times the input's)."""
    _check_single_tensor(input_tensor, "input_tensor")
    _check_single_tensor(output_tensor, "output_tensor")
    g = _group(group, "all_gather_into_tensor")
    if g is None:
        return None
    _check_same_dtype(g, "allgather", output_tensor, input_tensor)
    size, ish, osh = g.size(), tuple(input_tensor.shape), tuple(output_tensor.shape)
    if g._backend == "nccl":
        ok = output_tensor.numel() == size * input_tensor.numel()
    else:
        ok = len(osh) >= 1 and osh[0] % size == 0 and (
            (osh[0] // size,) + osh[1:] == ish or (ish == () and osh == (size,)))
    if not ok:
        got = (osh[0] // size,) + osh[1:] if osh else osh
        raise RuntimeError(f"{_prefix(g, 'allgather')}: invalid tensor size at index 0 "
                           f"(expected {_shape(input_tensor)}, got "
                           f"({', '.join(map(str, got))}))")
    buf, back = _flat_out(g, output_tensor)
    req = g._comm.all_gather(_flat_in(g, input_tensor), buf)
    return _run(g._work(req, back, op="_ALLGATHER_BASE", outputs=[output_tensor],
                        numel=input_tensor.numel()), async_op)


def _deprecated(old, new):
    @functools.wraps(new)
    def call(*args, **kwargs):
        warnings.warn(f"`torch.distributed.{old}` is deprecated. Please use "
                      f"`torch.distributed.{new.__name__}` instead.", FutureWarning,
                      stacklevel=2)
        return new(*args, **kwargs)
    call.__name__ = call.__qualname__ = old
    call.__doc__ = (f"{old}(...): the deprecated name of {new.__name__} (PyTorch 2.13 warns "
                    f"FutureWarning; so does gradcore).\n\n" + new.__doc__)
    return call


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False):  # noqa: A002
    """reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    reduce ``input`` across the group and give rank ``r`` the ``r``-th of its ``size``
    equal chunks along dim 0, in ``output``."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    g = _group(group, "reduce_scatter_tensor")
    if g is None:
        return None
    if output.dtype is not input.dtype:
        raise RuntimeError(f"Check failed: outputTensors[i].dtype() == inputTensors[i].dtype()"
                           f" ({output.dtype} vs. {input.dtype}).")
    op = _check_op(op, input.dtype, "reduce_scatter_tensor")
    size = g.size()
    if output.numel() * size != input.numel():
        o0 = output.shape[0] if output.dim() else 1
        i0 = input.shape[0] if input.dim() else 1
        raise RuntimeError(f"Check failed: outputShape[0] * worldSize == inputShape[0] "
                           f"({o0 * size} vs. {i0}).")
    buf, back = _flat_out(g, output)
    req = g._comm.reduce_scatter(_flat_in(g, input), buf, op)
    avg = _average(buf, size) if op is ReduceOp.AVG else None
    return _run(g._work(req, _then(avg, back), op="_REDUCE_SCATTER_BASE", outputs=[output],
                        numel=input.numel()), async_op)


all_gather_into_tensor = _deprecated("all_gather_into_tensor", all_gather_single)
reduce_scatter_tensor = _deprecated("reduce_scatter_tensor", reduce_scatter_single)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    every rank's ``tensor`` into rank ``dst``'s ``gather_list`` (one per rank; None on the
    other ranks)."""
    _check_single_tensor(tensor, "tensor")
    if gather_list is not None:
        _check_tensor_list(gather_list, "gather_list")
    g = _group(group, "gather")
    if g is None:
        return None
    root = _group_rank(g, dst, group_dst, "gather")
    n, me = tensor.numel(), g.rank()
    finish, recv = None, None
    if me == root:
        got = 0 if gather_list is None else len(gather_list)
        if got != g.size():
            raise RuntimeError(f"{_prefix(g, 'gather')}: Incorrect output list size {got}. "
                               f"Output list size should be {g.size()}, same as size of the "
                               f"process group.")
        _check_like(g, "gather", gather_list, tensor)
        recv = _empty_like(g, tensor, n * g.size())
        finish = _scatter_into(gather_list, recv, n)
    req = g._comm.gather(_flat_in(g, tensor), recv, root)
    return _run(g._work(req, finish, op="GATHER", outputs=gather_list or [], numel=n),
                async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """scatter(tensor, scatter_list=None, src=None, group=None, async_op=False,
    group_src=None): rank ``src``'s ``scatter_list[r]`` into rank ``r``'s ``tensor``."""
    _check_single_tensor(tensor, "tensor")
    if scatter_list is not None:
        _check_tensor_list(scatter_list, "scatter_list")
    g = _group(group, "scatter")
    if g is None:
        return None
    root = _group_rank(g, src, group_src, "scatter")
    send = None
    if g.rank() == root:
        got = 0 if scatter_list is None else len(scatter_list)
        if got != g.size():
            raise RuntimeError(f"{_prefix(g, 'scatter')}: Incorrect input list size {got}. "
                               f"Input list size should be {g.size()}, same as size of the "
                               f"process group.")
        _check_like(g, "scatter", scatter_list, tensor)
        parts = [_flat_in(g, t) for t in scatter_list]
        xp = np if g._backend == "mpi" else tensor._be.xp
        send = xp.concatenate(parts) if parts else _empty_like(g, tensor, 0)
    buf, back = _flat_out(g, tensor)
    req = g._comm.scatter(send, buf, root)
    return _run(g._work(req, back, op="SCATTER", outputs=[tensor], numel=tensor.numel()),
                async_op)


def _splits(sizes, dim0, size, what):
    if sizes is None or len(sizes) == 0:
        if dim0 % size:
            raise RuntimeError("Tensor's dim 0 does not divide equally across group size")
        return [dim0 // size] * size
    sizes = [int(s) for s in sizes]
    if len(sizes) != size:
        raise RuntimeError(f"Number of tensor splits not equal to group size ({what}: "
                           f"{len(sizes)} vs. {size})")
    if sum(sizes) != dim0 or any(s < 0 for s in sizes):
        raise RuntimeError("Split sizes doesn't match total dim 0 size")
    return sizes


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,  # noqa: A002
                      group=None, async_op=False):
    """all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
    group=None, async_op=False): split ``input`` along dim 0 (``input_split_sizes`` rows for
    each rank, else equal parts), send part ``r`` to rank ``r``, and concatenate what arrives
    into ``output`` (``output_split_sizes`` rows from each rank).  ``input`` must be
    contiguous, as in PyTorch."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    g = _group(group, "all_to_all_single")
    if g is None:
        return None
    if not input.is_contiguous():
        raise ValueError("Tensors must be contiguous")
    if output.dtype is not input.dtype:
        raise RuntimeError(f"all_to_all_single: input and output must have the same dtype, "
                           f"got {input.dtype} and {output.dtype}")
    size = g.size()
    i0 = input.shape[0] if input.dim() else 1
    o0 = output.shape[0] if output.dim() else 1
    si = _splits(input_split_sizes, i0, size, "input")
    so = _splits(output_split_sizes, o0, size, "output")
    irow = input.numel() // i0 if i0 else 0
    orow = output.numel() // o0 if o0 else 0
    if not output_split_sizes and not input_split_sizes and output.numel() != input.numel():
        raise RuntimeError("all_to_all_single: input and output must have the same number of "
                           "elements when no split sizes are given")
    buf, back = _flat_out(g, output)
    req = g._comm.all_to_all(_flat_in(g, input), [s * irow for s in si], buf,
                             [s * orow for s in so])
    return _run(g._work(req, back, op="ALLTOALL_BASE", outputs=[output],
                        numel=input.numel()), async_op)


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """barrier(group=None, async_op=False, device_ids=None, timeout=None): wait until every
    rank of ``group`` has reached it (``timeout``: this call's, else the group's)."""
    g = _group(group, "barrier")
    if g is None:
        return None
    work = g._work(g._comm.barrier(), op="BARRIER")
    if async_op:
        return work
    work.wait(timeout)
    return None


# ---- point to point ------------------------------------------------------------------------
def _peer(g, rank, group_rank, what):
    if group_rank is not None:
        if rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        r = group_rank
    elif rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    else:
        r = rank if g is _pg._world.default else _pg.get_group_rank(g, rank)
    if not 0 <= r < g.size():
        raise ValueError(f"Invalid {what} rank: {rank if group_rank is None else group_rank} "
                         f"is not a rank of the group (size {g.size()})")
    if r == g.rank():
        raise ValueError(f"Invalid {what} rank: {what} rank should not be the same as the "
                         f"rank of the current process.")
    return r


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """isend(tensor, dst=None, group=None, tag=0, group_dst=None): post a send of ``tensor``
    (contiguous) to rank ``dst``; returns a Work."""
    _check_single_tensor(tensor, "tensor")
    g = _group(group, "isend")
    if g is None:
        return None
    peer = _peer(g, dst, group_dst, "destination")
    if not tensor.is_contiguous():
        raise RuntimeError("input tensor has to be contiguous")
    req = g._comm.send(_flat_in(g, tensor), peer, tag)
    return g._work(req, op="SEND", outputs=[tensor], numel=tensor.numel())


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """irecv(tensor, src=None, group=None, tag=0, group_src=None): post a receive into
    ``tensor`` from rank ``src`` (None: any rank; the Work's ``source_rank()`` says which)."""
    _check_single_tensor(tensor, "tensor")
    g = _group(group, "irecv")
    if g is None:
        return None
    peer = None if src is None and group_src is None else _peer(g, src, group_src, "source")
    buf, back = _flat_out(g, tensor)
    req = g._comm.recv(buf, peer, tag)

    def finish():
        if back is not None:
            back()
        return g._ranks[req.source()]
    return g._work(req, finish, op="RECV", outputs=[tensor], numel=tensor.numel())


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """send(tensor, dst=None, group=None, tag=0, group_dst=None): send ``tensor`` to rank
    ``dst`` and wait until it has gone."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """recv(tensor, src=None, group=None, tag=0, group_src=None): receive into ``tensor``
    from rank ``src`` (None: any); returns the sender's global rank (-1 outside the group)."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work.source_rank()
