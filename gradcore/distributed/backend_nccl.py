"""The NCCL backend: a process group's collectives on CuPy arrays through ``cupy.cuda.nccl``,
one GPU per process.

The unique id of a communicator is made by its first rank and reaches the others through the
``store`` given to init_process_group (``set``/``get`` of bytes), through MPI when the job runs
under an MPI launcher (a ``Bcast`` of int64s: never pickled), or through a TCP rendezvous on
MASTER_ADDR:MASTER_PORT (``init_method='tcp://host:port'``): rank 0 listens and sends the id
to each rank that connects.  Operations are queued on the current CuPy stream (so they order
with the compute around them) and an event recorded after them is what ``Work.wait`` polls.
NCCL has no bitwise reductions (BAND/BOR/BXOR raise, as PyTorch's NCCL group); bool travels as
uint8, complex as pairs of floats (SUM and AVG only); gather, scatter and all_to_all are
grouped sends and receives.  Not done: aborting a communicator from a watchdog -- a timed-out
wait raises DistBackendError, the queued kernel stays on the stream."""
import os
import socket
import struct
import time
import warnings

import numpy as np

from .errors import DistStoreError
from .reduce_op import ReduceOp

__all__ = ["available", "init_world", "NcclComm"]


def _nccl():
    from cupy.cuda import nccl
    return nccl


def available():
    """True when CuPy has NCCL and a CUDA device answers."""
    try:
        with warnings.catch_warnings():  # CuPy warns when libnccl is missing
            warnings.simplefilter("ignore")
            import cupy
            _nccl()
            return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, no NCCL, no driver
        return False


_DTYPES = {"float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64", "float16": "NCCL_FLOAT16",
           "bfloat16": "NCCL_BFLOAT16", "int8": "NCCL_INT8", "uint8": "NCCL_UINT8",
           "bool": "NCCL_UINT8", "int32": "NCCL_INT32", "int64": "NCCL_INT64",
           "complex64": "NCCL_FLOAT32", "complex128": "NCCL_FLOAT64", "int16": None}
# AVG: NCCL's sum, divided by the group size when the work completes (collectives.py does it
# for every backend)
_OPS = {"SUM": "NCCL_SUM", "PRODUCT": "NCCL_PROD", "MIN": "NCCL_MIN", "MAX": "NCCL_MAX",
        "AVG": "NCCL_SUM"}
_BOOL_OPS = {"SUM": "NCCL_MAX", "PRODUCT": "NCCL_MIN", "MIN": "NCCL_MIN", "MAX": "NCCL_MAX"}


def _ptr(arr):
    """The device address of a CuPy array (the seam a test's stand-in arrays replace)."""
    return arr.data.ptr


def _dtype_count(arr):
    """(NCCL datatype, element count) of a contiguous 1-D CuPy array."""
    name = _DTYPES.get(arr.dtype.name)
    if name is None:
        raise RuntimeError(f"NCCL has no type for {arr.dtype.name} tensors")
    n = arr.size * (2 if arr.dtype.kind == "c" else 1)
    return getattr(_nccl(), name), n


def _op(op, arr):
    nccl = _nccl()
    if op.name in ("BAND", "BOR", "BXOR"):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with NCCL")
    if arr.dtype.kind == "c" and op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise RuntimeError(f"NCCL reduces complex tensors with SUM and AVG only, not "
                           f"{op.name}")
    table = _BOOL_OPS if arr.dtype.name == "bool" else _OPS
    if op.name not in table:
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} on bool tensors with NCCL")
    return getattr(nccl, table[op.name])


class _Event:
    """The completion of what was queued on the stream up to now."""
    __slots__ = ("event", "keep")

    def __init__(self, stream, keep=()):
        import cupy
        self.event = cupy.cuda.Event(block=False, disable_timing=True)
        self.event.record(stream)
        self.keep = keep

    def done(self):
        return self.event.done

    def source(self):
        return self.keep[-1]


class NcclComm:
    """One process group's NCCL communicator on this process's GPU."""

    backend = "nccl"

    def __init__(self, comm, rank, size, parent=None):
        self.comm, self.rank, self.size, self.parent = comm, rank, size, parent

    @staticmethod
    def _stream():
        import cupy
        return cupy.cuda.get_current_stream()

    def _done(self, *keep):
        return _Event(self._stream(), keep)

    def free(self):
        """Destroy the communicator."""
        if self.comm is not None:
            self.comm.destroy()
        self.comm = None

    def all_reduce(self, send, recv, op):
        dt, n = _dtype_count(recv)
        src = recv if send is None else send
        self.comm.allReduce(_ptr(src), _ptr(recv), n, dt, _op(op, recv),
                            self._stream().ptr)
        return self._done(send, recv)

    def broadcast(self, buf, root):
        dt, n = _dtype_count(buf)
        self.comm.broadcast(_ptr(buf), _ptr(buf), n, dt, root, self._stream().ptr)
        return self._done(buf)

    def reduce(self, send, recv, op, root):
        arr = recv if self.rank == root else send
        dt, n = _dtype_count(arr)
        src = recv if send is None else send
        dst = _ptr(recv) if self.rank == root else _ptr(src)
        self.comm.reduce(_ptr(src), dst, n, dt, _op(op, arr), root, self._stream().ptr)
        return self._done(send, recv)

    def all_gather(self, send, recv):
        dt, n = _dtype_count(send)
        self.comm.allGather(_ptr(send), _ptr(recv), n, dt, self._stream().ptr)
        return self._done(send, recv)

    def reduce_scatter(self, send, recv, op):
        dt, n = _dtype_count(recv)
        self.comm.reduceScatter(_ptr(send), _ptr(recv), n, dt, _op(op, recv),
                                self._stream().ptr)
        return self._done(send, recv)

    def _grouped(self, pairs):
        """Sends and receives as one NCCL group: (kind, array, peer) triples."""
        nccl, s = _nccl(), self._stream().ptr
        nccl.groupStart()
        try:
            for kind, arr, peer in pairs:
                if arr.size == 0:
                    continue
                dt, n = _dtype_count(arr)
                if kind == "send":
                    self.comm.send(_ptr(arr), n, dt, peer, s)
                else:
                    self.comm.recv(_ptr(arr), n, dt, peer, s)
        finally:
            nccl.groupEnd()

    def gather(self, send, recv, root):
        n = send.size
        pairs = [("send", send, root)]
        if self.rank == root:
            pairs = [("recv", recv[r * n:(r + 1) * n], r) for r in range(self.size)
                     if r != root]
            recv[root * n:(root + 1) * n] = send
        self._grouped(pairs)
        return self._done(send, recv)

    def scatter(self, send, recv, root):
        n = recv.size
        if self.rank == root:
            pairs = [("send", send[r * n:(r + 1) * n], r) for r in range(self.size)
                     if r != root]
            recv[...] = send[root * n:(root + 1) * n]
        else:
            pairs = [("recv", recv, root)]
        self._grouped(pairs)
        return self._done(send, recv)

    def all_to_all(self, send, send_counts, recv, recv_counts):
        so = np.concatenate([[0], np.cumsum(send_counts)]).astype(int)
        ro = np.concatenate([[0], np.cumsum(recv_counts)]).astype(int)
        pairs = []
        for r in range(self.size):
            pairs.append(("send", send[so[r]:so[r + 1]], r))
            pairs.append(("recv", recv[ro[r]:ro[r + 1]], r))
        self._grouped(pairs)
        return self._done(send, recv)

    def barrier(self):
        import cupy
        one = cupy.ones(1, dtype=cupy.float32)
        return self.all_reduce(None, one, ReduceOp.SUM)

    def send(self, buf, dst, tag):
        self._grouped([("send", buf, dst)])
        return self._done(buf)

    def recv(self, buf, src, tag):
        if src is None:
            raise RuntimeError("NCCL has no receive from any source: pass src")
        self._grouped([("recv", buf, src)])
        return self._done(buf, src)

    def split(self, ranks, timeout):
        """The communicator of world ranks ``ranks`` (every world rank calls it; None on the
        others): the first member's new unique id is broadcast over this communicator."""
        import cupy
        nccl = _nccl()
        uid = np.zeros(128, np.int64)
        if self.rank == ranks[0]:
            uid[:] = nccl.get_unique_id()
        buf = cupy.asarray(uid)
        req = self.broadcast(buf, ranks[0])
        _wait(req, timeout)
        if self.rank not in ranks:
            return None
        ids = tuple(int(v) for v in cupy.asnumpy(buf))
        comm = nccl.NcclCommunicator(len(ranks), ids, ranks.index(self.rank))
        return NcclComm(comm, ranks.index(self.rank), len(ranks), parent=self)


def _wait(req, timeout):
    deadline = time.monotonic() + timeout.total_seconds()
    while not req.done():
        if time.monotonic() > deadline:
            raise DistStoreError("NCCL: the unique id exchange timed out")
        time.sleep(1e-4)


def _env_int(names):
    for n in names:
        if os.environ.get(n, "") != "":
            return int(os.environ[n])
    return None


def _under_mpi():
    return any(os.environ.get(v) for v in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"))


def _tcp_exchange(uid, rank, size, addr, port, timeout):
    """Rank 0 serves the id to the other ``size - 1`` ranks on addr:port."""
    deadline = time.monotonic() + timeout.total_seconds()
    payload = struct.pack("<128q", *uid) if rank == 0 else None
    if rank == 0:
        with socket.create_server((addr, port), reuse_port=False) as srv:
            srv.settimeout(max(0.1, deadline - time.monotonic()))
            for _ in range(size - 1):
                try:
                    conn, _ = srv.accept()
                except socket.timeout:
                    raise DistStoreError(f"NCCL rendezvous: not every rank connected to "
                                         f"{addr}:{port} within the timeout") from None
                with conn:
                    conn.sendall(payload)
        return uid
    while True:
        try:
            with socket.create_connection((addr, port), timeout=5) as c:
                data = b""
                while len(data) < 1024:
                    chunk = c.recv(1024 - len(data))
                    if not chunk:
                        break
                    data += chunk
                return struct.unpack("<128q", data)
        except (ConnectionRefusedError, OSError, struct.error):
            if time.monotonic() > deadline:
                raise DistStoreError(f"NCCL rendezvous: rank 0 at {addr}:{port} did not "
                                     f"answer within the timeout") from None
            time.sleep(0.1)


def init_world(init_method, rank, world_size, store, timeout, device_id):
    """The default group's communicator (see the module docstring for the id exchange)."""
    if not available():
        raise RuntimeError("The NCCL backend needs CuPy with NCCL and a CUDA device "
                           "(pip install cupy-cuda12x); on CPUs use backend='mpi'")
    import cupy
    nccl = _nccl()
    comm_mpi = None
    if rank is None:
        rank = _env_int(("RANK",))
    if world_size is None:
        world_size = _env_int(("WORLD_SIZE",))
    if (rank is None or world_size is None) and _under_mpi():
        from . import backend_mpi
        comm_mpi = backend_mpi.world()
        rank = comm_mpi.Get_rank() if rank is None else rank
        world_size = comm_mpi.Get_size() if world_size is None else world_size
    if rank is None or world_size is None:
        raise ValueError("Error initializing torch.distributed using env:// rendezvous: "
                         "environment variable RANK expected, but not set")
    if device_id is not None:
        dev = device_id if isinstance(device_id, int) else (device_id.index or 0)
    else:
        local = _env_int(("LOCAL_RANK",))
        dev = (local if local is not None else rank) % cupy.cuda.runtime.getDeviceCount()
    cupy.cuda.Device(dev).use()
    uid = tuple(nccl.get_unique_id()) if rank == 0 else None
    if world_size == 1:
        pass
    elif store is not None:
        if rank == 0:
            store.set("gradcore_nccl_uid", struct.pack("<128q", *uid))
        else:
            uid = struct.unpack("<128q", store.get("gradcore_nccl_uid"))
    elif comm_mpi is not None or _under_mpi():
        from . import backend_mpi
        comm_mpi = comm_mpi or backend_mpi.world()
        buf = np.array(uid if rank == 0 else [0] * 128, dtype=np.int64)
        comm_mpi.Bcast(buf, 0)
        uid = tuple(int(v) for v in buf)
    else:
        addr, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT")
        if init_method and init_method.startswith("tcp://"):
            addr, _, port = init_method[len("tcp://"):].rpartition(":")
        if not addr or not port:
            raise ValueError("Error initializing torch.distributed using env:// rendezvous: "
                             "environment variable MASTER_ADDR expected, but not set")
        uid = _tcp_exchange(uid, rank, world_size, addr, int(port), timeout)
    comm = nccl.NcclCommunicator(world_size, uid, rank)
    return NcclComm(comm, rank, world_size)
