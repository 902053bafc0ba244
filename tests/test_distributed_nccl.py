"""The NCCL backend's routing without a GPU: a stand-in ``cupy.cuda.nccl`` (a world of one
that copies bytes by address and logs each call) behind stand-in CUDA tensors (NumPy arrays
on ``CupyBackend(0, xp=numpy)``), so every collective's pointers, counts, NCCL datatypes and
operations are checked; tests/test_distributed.py's ``gpu`` test runs the real library."""
import ctypes
from datetime import timedelta
from types import SimpleNamespace

import numpy as np
import pytest

import gradcore
import gradcore.distributed as dist
from gradcore.backend.cupy_backend import CupyBackend
from gradcore.distributed import backend_nccl, process_group
from gradcore.tensor import _wrap


class FakeNccl:
    """The constants and group calls of cupy.cuda.nccl."""
    (NCCL_FLOAT32, NCCL_FLOAT64, NCCL_FLOAT16, NCCL_BFLOAT16, NCCL_INT8, NCCL_UINT8,
     NCCL_INT32, NCCL_INT64) = range(8)
    NCCL_SUM, NCCL_PROD, NCCL_MIN, NCCL_MAX = range(4)
    ITEMSIZE = {0: 4, 1: 8, 2: 2, 3: 2, 4: 1, 5: 1, 6: 4, 7: 8}
    pending = None

    @classmethod
    def groupStart(cls):
        cls.pending = []

    @classmethod
    def groupEnd(cls):
        sends = [p for p in cls.pending if p[0] == "send"]
        for kind, ptr, nbytes, peer in cls.pending:
            if kind == "recv":
                _, sptr, snbytes, _ = sends.pop(0)
                assert snbytes == nbytes
                ctypes.memmove(ptr, sptr, nbytes)
        assert not sends
        cls.pending = None


class FakeComm:
    """A communicator of one rank: every collective copies its send buffer to its receive
    buffer; ``log`` keeps (call, count, datatype, op)."""

    def __init__(self):
        self.log = []

    def _copy(self, name, src, dst, n, dt, op=None):
        self.log.append((name, n, dt, op))
        if src != dst:
            ctypes.memmove(dst, src, n * FakeNccl.ITEMSIZE[dt])

    def allReduce(self, s, r, n, dt, op, stream):
        self._copy("allReduce", s, r, n, dt, op)

    def broadcast(self, s, r, n, dt, root, stream):
        assert root == 0
        self._copy("broadcast", s, r, n, dt)

    def reduce(self, s, r, n, dt, op, root, stream):
        self._copy("reduce", s, r, n, dt, op)

    def allGather(self, s, r, n, dt, stream):
        self._copy("allGather", s, r, n, dt)

    def reduceScatter(self, s, r, n, dt, op, stream):
        self._copy("reduceScatter", s, r, n, dt, op)

    def send(self, ptr, n, dt, peer, stream):
        self.log.append(("send", n, dt, None))
        FakeNccl.pending.append(("send", ptr, n * FakeNccl.ITEMSIZE[dt], peer))

    def recv(self, ptr, n, dt, peer, stream):
        self.log.append(("recv", n, dt, None))
        FakeNccl.pending.append(("recv", ptr, n * FakeNccl.ITEMSIZE[dt], peer))

    def destroy(self):
        pass


class FakeEvent:
    def __init__(self, stream, keep=()):
        self.keep = keep

    def done(self):
        return True

    def source(self):
        return self.keep[-1]


@pytest.fixture
def nccl_world(monkeypatch):
    monkeypatch.setattr(backend_nccl, "_nccl", lambda: FakeNccl)
    monkeypatch.setattr(backend_nccl, "_ptr", lambda a: a.ctypes.data)
    monkeypatch.setattr(backend_nccl, "_Event", FakeEvent)
    monkeypatch.setattr(backend_nccl.NcclComm, "_stream",
                        staticmethod(lambda: SimpleNamespace(ptr=0)))
    comm = FakeComm()
    pg = process_group.ProcessGroup(backend_nccl.NcclComm(comm, 0, 1), [0], "nccl",
                                    timedelta(seconds=5), "0")
    monkeypatch.setattr(process_group._world, "default", pg)
    monkeypatch.setattr(process_group._world, "groups", [pg])
    be = CupyBackend(0, xp=np)
    return comm, lambda a: _wrap(np.array(a), be)


def test_nccl_collectives_route(nccl_world):
    comm, cuda = nccl_world
    assert dist.get_backend() == "nccl" and dist.get_world_size() == 1
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = cuda(x)
    dist.all_reduce(t)
    assert comm.log[-1] == ("allReduce", 6, FakeNccl.NCCL_FLOAT32, FakeNccl.NCCL_SUM)
    np.testing.assert_array_equal(t._arr, x)
    t = cuda(np.array([1 + 2j, 3 - 1j], np.complex64))  # complex: pairs of float32
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert comm.log[-1] == ("allReduce", 4, FakeNccl.NCCL_FLOAT32, FakeNccl.NCCL_SUM)
    np.testing.assert_array_equal(t._arr, [1 + 2j, 3 - 1j])
    t = cuda(np.array([True, False]))
    dist.all_reduce(t, op=dist.ReduceOp.PRODUCT)  # bool as uint8: product is min
    assert comm.log[-1] == ("allReduce", 2, FakeNccl.NCCL_UINT8, FakeNccl.NCCL_MIN)
    with pytest.raises(RuntimeError, match="Cannot use ReduceOp.BAND with NCCL"):
        dist.all_reduce(cuda(np.array([1, 2])), op=dist.ReduceOp.BAND)
    with pytest.raises(RuntimeError, match="No backend type associated with device type cpu"):
        dist.all_reduce(gradcore.ones(2))
    t = cuda(x.T)  # non-contiguous: through a buffer, copied back
    dist.broadcast(t, 0)
    np.testing.assert_array_equal(t._arr, x.T)
    out = cuda(np.zeros(6, np.float64))
    dist.all_gather_single(out, cuda(np.arange(6.0)))
    assert comm.log[-1] == ("allGather", 6, FakeNccl.NCCL_FLOAT64, None)
    np.testing.assert_array_equal(out._arr, np.arange(6.0))
    outs = [cuda(np.zeros(3, np.int64))]
    dist.all_gather(outs, cuda(np.array([4, 5, 6])))
    np.testing.assert_array_equal(outs[0]._arr, [4, 5, 6])
    out = cuda(np.zeros(4, np.float16))
    dist.reduce_scatter_single(out, cuda(np.arange(4, dtype=np.float16)), op=dist.ReduceOp.MAX)
    assert comm.log[-1] == ("reduceScatter", 4, FakeNccl.NCCL_FLOAT16, FakeNccl.NCCL_MAX)
    np.testing.assert_array_equal(out._arr, np.arange(4))
    t = cuda(np.arange(3.0))
    dist.reduce(t, dst=0, op=dist.ReduceOp.MIN)
    assert comm.log[-1] == ("reduce", 3, FakeNccl.NCCL_FLOAT64, FakeNccl.NCCL_MIN)
    out = cuda(np.zeros((3, 2), np.int32))
    dist.all_to_all_single(out, cuda(np.arange(6, dtype=np.int32).reshape(3, 2)), [3], [3])
    assert comm.log[-2:] == [("send", 6, FakeNccl.NCCL_INT32, None),
                             ("recv", 6, FakeNccl.NCCL_INT32, None)]
    np.testing.assert_array_equal(out._arr, np.arange(6).reshape(3, 2))
    gl = [cuda(np.zeros(2, np.float32))]
    dist.gather(cuda(np.array([7.0, 8.0], np.float32)), gl, dst=0)
    np.testing.assert_array_equal(gl[0]._arr, [7, 8])
    out = cuda(np.zeros(2, np.float32))
    dist.scatter(out, [cuda(np.array([1.0, 2.0], np.float32))], src=0)
    np.testing.assert_array_equal(out._arr, [1, 2])
    w = dist.all_reduce(cuda(np.ones(3, np.float32)), async_op=True)
    assert w.is_completed() and w.wait()
