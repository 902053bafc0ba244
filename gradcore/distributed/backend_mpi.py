"""The MPI backend: a process group's collectives on host NumPy arrays through mpi4py.

Every operation is posted non-blocking (``Iallreduce``, ``Ibcast``, ``Ireduce``,
``Iallgather``, ``Ireduce_scatter_block``, ``Igather``, ``Iscatter``, ``Ialltoallv``,
``Ibarrier``, ``Isend``/``Irecv``) and returns a request with ``done()``, which ``Work.wait``
polls against the deadline.  The arrays are contiguous and 1-D here (collectives.py flattens
and copies); bool travels as uint8, float16 and bfloat16 as uint16, reduced by MPI operations
defined here (NumPy in float32, rounded once per pair: MPI has no 16-bit float type).
mpi4py is imported on the first use (importing it initialises MPI)."""
import numpy as np


__all__ = ["available", "world", "MpiComm"]

_MPI = None


def available():
    """True when mpi4py imports (it brings MPI up)."""
    try:
        mpi()
    except ImportError:
        return False
    return True


def mpi():
    """mpi4py.MPI, imported once."""
    global _MPI
    if _MPI is None:
        from mpi4py import MPI
        _MPI = MPI
    return _MPI


def world():
    """MPI.COMM_WORLD."""
    return mpi().COMM_WORLD


class _Requests:
    """MPI requests that complete together: ``done()`` is MPI_Test / MPI_Testall (which drive
    progress)."""
    __slots__ = ("reqs", "keep", "test")

    def __init__(self, reqs, keep=()):
        self.reqs, self.keep = reqs, keep  # keep: the buffers, alive until completion
        self.test = reqs[0].Test if len(reqs) == 1 else None

    def done(self):
        if self.test is not None:
            return self.test()
        return _MPI.Request.Testall(self.reqs)


class _Recv(_Requests):
    """A receive from any source: ``source`` is the sender once done."""
    __slots__ = ("status",)

    def __init__(self, req, keep):
        super().__init__([req], keep)
        self.status = mpi().Status()

    def done(self):
        return self.reqs[0].Test(self.status)

    def source(self):
        return self.status.Get_source()


_OPS = {"SUM": "SUM", "AVG": "SUM", "PRODUCT": "PROD", "MIN": "MIN", "MAX": "MAX",
        "BAND": "BAND", "BOR": "BOR", "BXOR": "BXOR"}
_BOOL_OPS = {"SUM": "MAX", "PRODUCT": "MIN", "MIN": "MIN", "MAX": "MAX", "BAND": "BAND",
             "BOR": "BOR", "BXOR": "BXOR"}
_TYPES = {"float32": "FLOAT", "float64": "DOUBLE", "int8": "INT8_T", "int16": "INT16_T",
          "int32": "INT32_T", "int64": "INT64_T", "uint8": "UINT8_T", "bool": "UINT8_T",
          "complex64": "C_FLOAT_COMPLEX", "complex128": "C_DOUBLE_COMPLEX",
          "float16": "UINT16_T", "bfloat16": "UINT16_T"}
_HALF_FNS = {"SUM": np.add, "AVG": np.add, "PRODUCT": np.multiply, "MIN": np.minimum,
             "MAX": np.maximum}
_half_ops = {}


def _half_op(op, dtype):
    """An MPI operation reducing 16-bit floats (their bits as uint16) in float32."""
    key = (op, dtype.str)
    if key not in _half_ops:
        fn = _HALF_FNS[op]

        def reduce(inbuf, inoutbuf, datatype):
            a = np.frombuffer(inbuf, dtype=dtype)
            b = np.frombuffer(inoutbuf, dtype=dtype)
            b[...] = fn(a.astype(np.float32), b.astype(np.float32)).astype(dtype)
        _half_ops[key] = mpi().Op.Create(reduce, commute=True)
    return _half_ops[key]


_by_dtype = {}  # NumPy dtype -> (the dtype it travels as, MPI datatype); filled on use


def _buf(arr):
    """``[array, MPI datatype]`` of a contiguous 1-D array."""
    dt = arr.dtype
    entry = _by_dtype.get(dt)
    if entry is None:
        name = dt.name
        view = (np.dtype(np.uint8) if name == "bool" else
                np.dtype(np.uint16) if name in ("float16", "bfloat16") else None)
        entry = _by_dtype[dt] = (view, getattr(mpi(), _TYPES[name]))
    if entry[0] is not None:
        arr = arr.view(entry[0])
    return [arr, entry[1]]


_ops_by_key = {}


def _op(op, dtype):
    """The MPI operation of ReduceOp ``op`` on arrays of ``dtype``."""
    key = (op, dtype)
    found = _ops_by_key.get(key)
    if found is None:
        if dtype.name in ("float16", "bfloat16"):
            found = _half_op(op.name, dtype)
        else:
            table = _BOOL_OPS if dtype == np.bool_ else _OPS
            found = getattr(mpi(), table[op.name])
        _ops_by_key[key] = found
    return found


class MpiComm:
    """One process group's communicator (a duplicate or a split of COMM_WORLD, so user MPI
    traffic never matches gradcore's)."""

    backend = "mpi"

    def __init__(self, comm):
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()

    def split(self, color, key):
        """The communicator of the ranks passing the same ``color`` (None: not a member)."""
        MPI = mpi()
        sub = self.comm.Split(MPI.UNDEFINED if color is None else color, key)
        return None if sub == MPI.COMM_NULL else MpiComm(sub)

    def free(self):
        """Release the communicator (COMM_WORLD's duplicate included)."""
        if self.comm is not None and self.comm != mpi().COMM_NULL:
            self.comm.Free()
        self.comm = None

    def all_reduce(self, send, recv, op):
        """Reduce ``send`` into ``recv`` on every rank (``send`` None: in place)."""
        sb = mpi().IN_PLACE if send is None else _buf(send)
        return _Requests([self.comm.Iallreduce(sb, _buf(recv), _op(op, recv.dtype))],
                         (send, recv))

    def broadcast(self, buf, root):
        return _Requests([self.comm.Ibcast(_buf(buf), root)], (buf,))

    def reduce(self, send, recv, op, root):
        """Reduce into the root's ``recv`` (in place there: ``send`` None); the others pass
        ``send`` and no ``recv``."""
        if self.rank == root:
            sb, rb, dt = mpi().IN_PLACE, _buf(recv), recv.dtype
        else:
            sb, rb, dt = _buf(send), None, send.dtype
        return _Requests([self.comm.Ireduce(sb, rb, _op(op, dt), root)], (send, recv))

    def all_gather(self, send, recv):
        return _Requests([self.comm.Iallgather(_buf(send), _buf(recv))], (send, recv))

    def reduce_scatter(self, send, recv, op):
        return _Requests([self.comm.Ireduce_scatter_block(_buf(send), _buf(recv),
                                                          _op(op, send.dtype))], (send, recv))

    def gather(self, send, recv, root):
        rb = _buf(recv) if self.rank == root else None
        return _Requests([self.comm.Igather(_buf(send), rb, root)], (send, recv))

    def scatter(self, send, recv, root):
        sb = _buf(send) if self.rank == root else None
        return _Requests([self.comm.Iscatter(sb, _buf(recv), root)], (send, recv))

    def all_to_all(self, send, send_counts, recv, recv_counts):
        sd = np.concatenate([[0], np.cumsum(send_counts)[:-1]]).astype(np.int64)
        rd = np.concatenate([[0], np.cumsum(recv_counts)[:-1]]).astype(np.int64)
        s, st = _buf(send)
        r, rt = _buf(recv)
        sc, rc = list(map(int, send_counts)), list(map(int, recv_counts))
        req = self.comm.Ialltoallv([s, (sc, list(map(int, sd))), st],
                                   [r, (rc, list(map(int, rd))), rt])
        return _Requests([req], (send, recv))

    def barrier(self):
        return _Requests([self.comm.Ibarrier()])

    def send(self, buf, dst, tag):
        return _Requests([self.comm.Isend(_buf(buf), dst, tag)], (buf,))

    def recv(self, buf, src, tag):
        MPI = mpi()
        req = self.comm.Irecv(_buf(buf), MPI.ANY_SOURCE if src is None else src, tag)
        return _Recv(req, (buf,))


class Alerts:
    """Failure notices between ranks, on a communicator of their own: each rank keeps one
    receive posted; a rank dying of an uncaught exception sends its error to every other rank
    (``send``), and a waiting collective there sees it (``check``) and raises at once instead
    of waiting out the timeout."""

    TAG, SIZE = 7, 4096

    def __init__(self, comm):
        MPI = mpi()
        self.comm, self.rank, self.size = comm, comm.Get_rank(), comm.Get_size()
        self.buf, self.status, self.message = np.zeros(self.SIZE, np.uint8), MPI.Status(), None
        self.req = comm.Irecv([self.buf, MPI.BYTE], MPI.ANY_SOURCE, self.TAG)

    def check(self):
        """The notice a peer sent (``"rank 1 failed: ValueError: ..."``), else None."""
        if self.message is None and self.req is not None and self.req.Test(self.status):
            n = self.status.Get_count(mpi().BYTE)
            text = self.buf[:n].tobytes().decode("utf-8", "replace")
            self.message, self.req = f"rank {self.status.Get_source()} failed: {text}", None
        return self.message

    def send(self, text, seconds=2.0):
        """Tell every other rank this one is failing with ``text`` (waits up to ``seconds``
        for the notices to leave)."""
        import time
        MPI = mpi()
        data = np.frombuffer(text.encode("utf-8")[:self.SIZE], np.uint8).copy()
        reqs = [self.comm.Isend([data, MPI.BYTE], r, self.TAG) for r in range(self.size)
                if r != self.rank]
        deadline = time.monotonic() + seconds
        while reqs and not MPI.Request.Testall(reqs) and time.monotonic() < deadline:
            time.sleep(1e-3)

    def close(self):
        """Take the posted receive back and free the communicator."""
        if self.req is not None:
            self.req.Cancel()
            self.req.Wait()
            self.req = None
        if self.comm is not None:
            self.comm.Free()
            self.comm = None
