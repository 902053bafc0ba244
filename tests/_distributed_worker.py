"""Run by tests/test_distributed.py under ``mpiexec -n 2``: checks every collective of
gradcore.distributed against a NumPy reference (each rank computes every rank's input) and
exits non-zero on the first mismatch.  ``mode``: collectives | fail (rank 1 raises) | hang
(rank 1 never joins) | env (the launcher's variables); the second argument: the timeout (s)."""
import datetime
import io
import os
import sys
import time
import warnings
import zipfile

import numpy as np

import gradcore
import gradcore.distributed as dist
from gradcore.distributed import objects as _objects

mode = sys.argv[1]
timeout = datetime.timedelta(seconds=float(sys.argv[2]) if len(sys.argv) > 2 else 60)
dist.init_process_group(os.environ.get("GC_TEST_BACKEND", "mpi"), timeout=timeout)
R, N = dist.get_rank(), dist.get_world_size()
DTYPES = {"float32": gradcore.float32, "float64": gradcore.float64, "int64": gradcore.int64}
SIZES = [0, 1, 7, 1000]
checks = 0


def data(rank, n, dt, shift=0):
    """Rank ``rank``'s input: small integers (exact in every dtype and under every op)."""
    rng = np.random.default_rng(1000 * rank + n + shift)
    return rng.integers(1, 4, size=n).astype(dt)


def same(t, ref, what):
    global checks
    got = t.numpy() if isinstance(t, gradcore.Tensor) else t
    assert got.dtype == ref.dtype and got.shape == ref.shape, (what, got.dtype, ref.dtype,
                                                               got.shape, ref.shape)
    assert np.array_equal(got, ref), (what, got, ref)
    checks += 1


def raises(exc, msg, fn):
    global checks
    try:
        fn()
    except exc as e:
        assert msg in str(e), (msg, str(e))
        checks += 1
        return
    raise AssertionError(f"no {exc.__name__} ({msg})")


REF = {dist.ReduceOp.SUM: np.add.reduce, dist.ReduceOp.PRODUCT: np.multiply.reduce,
       dist.ReduceOp.MIN: np.minimum.reduce, dist.ReduceOp.MAX: np.maximum.reduce,
       dist.ReduceOp.BAND: np.bitwise_and.reduce, dist.ReduceOp.BOR: np.bitwise_or.reduce,
       dist.ReduceOp.BXOR: np.bitwise_xor.reduce}


def reference(op, arrays):
    if op is dist.ReduceOp.AVG:
        return (np.add.reduce(arrays) / N).astype(arrays[0].dtype)
    return REF[op](arrays).astype(arrays[0].dtype)


def collectives():
    for name, dt in DTYPES.items():
        ops = [dist.ReduceOp.SUM, dist.ReduceOp.PRODUCT, dist.ReduceOp.MIN, dist.ReduceOp.MAX]
        ops += [dist.ReduceOp.AVG] if name != "int64" else [dist.ReduceOp.BAND,
                                                          dist.ReduceOp.BOR, dist.ReduceOp.BXOR]
        for n in SIZES:
            ins = [data(r, n, name) for r in range(N)]
            for op in ops:
                ref = reference(op, np.stack(ins))
                t = gradcore.tensor(ins[R])
                dist.all_reduce(t, op=op)
                same(t, ref, f"all_reduce {op} {name} {n}")
                t = gradcore.tensor(ins[R])  # async
                w = dist.all_reduce(t, op=op, async_op=True)
                assert w.wait() is True and w.is_completed()
                same(t, ref, "async all_reduce")
                t = gradcore.tensor(ins[R])
                dist.reduce(t, dst=1, op=op)
                same(t, ref if R == 1 else ins[R], f"reduce {op}")
                if n % N == 0:
                    out = gradcore.empty(n // N, dtype=dt)
                    with warnings.catch_warnings():
                        warnings.simplefilter("error", FutureWarning)
                        dist.reduce_scatter_single(out, gradcore.tensor(ins[R]), op=op)
                    same(out, ref.reshape(N, -1)[R], f"reduce_scatter {op}")
            # non-contiguous in place: a transposed 2-D view
            base = [np.arange(n * 2).reshape(2, n).astype(name) + r for r in range(N)]
            t = gradcore.tensor(base[R]).t()
            assert not t.is_contiguous() or n <= 1
            dist.all_reduce(t)
            same(t, (base[0] + base[1]).T, "all_reduce non-contiguous")
            for src in range(N):
                t = gradcore.tensor(ins[R])
                dist.broadcast(t, src)
                same(t, ins[src], "broadcast")
                t = gradcore.tensor(base[R]).t()
                dist.broadcast(t, src=src)
                same(t, base[src].T, "broadcast non-contiguous")
            outs = [gradcore.empty(n, dtype=dt) for _ in range(N)]
            dist.all_gather(outs, gradcore.tensor(ins[R]))
            for r in range(N):
                same(outs[r], ins[r], "all_gather")
            outs = [gradcore.empty(n, 2, dtype=dt) for _ in range(N)]
            dist.all_gather(outs, gradcore.tensor(base[R]).t())  # non-contiguous input
            for r in range(N):
                same(outs[r], base[r].T, "all_gather non-contiguous")
            out = gradcore.empty(N * n, dtype=dt)
            w = dist.all_gather_single(out, gradcore.tensor(ins[R]), async_op=True)
            w.wait()
            same(out, np.concatenate(ins), "all_gather_single")
            with pytest_warns(FutureWarning, "all_gather_single"):
                dist.all_gather_into_tensor(out, gradcore.tensor(ins[R]))
            out = gradcore.empty(2 * N * n, dtype=dt)[::2]  # non-contiguous output
            dist.all_gather_single(out, gradcore.tensor(ins[R]))
            same(out, np.concatenate(ins), "all_gather_single non-contiguous out")
            gl = [gradcore.empty(n, dtype=dt) for _ in range(N)] if R == 0 else None
            dist.gather(gradcore.tensor(ins[R]), gl, dst=0)
            if R == 0:
                for r in range(N):
                    same(gl[r], ins[r], "gather")
            out = gradcore.empty(n, dtype=dt)
            sl = [gradcore.tensor(data(9, n, name) + r) for r in range(N)] if R == 1 else None
            dist.scatter(out, sl, src=1)
            same(out, data(9, n, name) + R, "scatter")
            # all_to_all_single, equal splits and given ones
            x = np.arange(N * (n + 1)).astype(name) + 100 * R
            out = gradcore.empty(N * (n + 1), dtype=dt)
            dist.all_to_all_single(out, gradcore.tensor(x))
            ref = np.concatenate([(np.arange(N * (n + 1)).astype(name) + 100 * r)
                                  .reshape(N, -1)[R] for r in range(N)])
            same(out, ref, "all_to_all_single")
            split = [[n, 1], [2, n + 3]]  # rank r sends split[r][j] rows to rank j
            rows = [np.arange(sum(split[r]) * 2).reshape(-1, 2).astype(name) + 100 * r
                    for r in range(N)]
            recv_split = [split[j][R] for j in range(N)]
            out = gradcore.empty(sum(recv_split), 2, dtype=dt)
            dist.all_to_all_single(out, gradcore.tensor(rows[R]), recv_split, split[R])
            ref = np.concatenate([rows[j][sum(split[j][:R]):sum(split[j][:R + 1])]
                                  for j in range(N)])
            same(out, ref, "all_to_all_single with splits")
            # point to point
            peer = 1 - R
            if R == 0:
                dist.send(gradcore.tensor(ins[0]), dst=1)
                t = gradcore.empty(n, dtype=dt)
                assert dist.recv(t) == 1  # any source
                same(t, ins[1], "recv any source")
            else:
                t = gradcore.empty(n, dtype=dt)
                assert dist.recv(t, src=0) == 0
                same(t, ins[0], "recv")
                w = dist.isend(gradcore.tensor(ins[1]), dst=peer)
                w.wait()
    # bool and float16 travel as uint8 / uint16
    b = gradcore.tensor([True, R == 0, False])
    dist.all_reduce(b)
    same(b, np.array([True, True, False]), "bool sum is or")
    b = gradcore.tensor([True, R == 0, False])
    dist.all_reduce(b, op=dist.ReduceOp.PRODUCT)
    same(b, np.array([True, False, False]), "bool product is and")
    h = gradcore.tensor([1.5, 2.25], dtype=gradcore.float16) * (R + 1)
    dist.all_reduce(h)
    same(h, np.array([4.5, 6.75], np.float16), "float16 sum")
    staged()
    errors()
    subgroups()
    object_collectives()


class _CountingCuda:
    """A stand-in CUDA backend (NumPy arrays behind ``cuda:0``) that counts its host
    transfers, as CuPy's would copy: CUDA tensors on an MPI group go through host memory."""

    def __new__(cls):
        from gradcore.backend.cupy_backend import CupyBackend

        class Counting(CupyBackend):
            moves = []

            def to_host(self, arr):
                self.moves.append("to_host")
                return np.array(arr)

            def from_host(self, arr):
                self.moves.append("from_host")
                return np.array(arr)
        return Counting(0, xp=np)


def staged():
    from gradcore.tensor import _wrap
    be = _CountingCuda()
    ins = [np.arange(6.0).reshape(2, 3) * (r + 1) for r in range(N)]
    t = _wrap(ins[R].copy(), be)
    assert t.device.type == "cuda"
    dist.all_reduce(t)
    same(be.to_host(t._arr), sum(ins), "CUDA all_reduce through host memory")
    t = _wrap(ins[R].T.copy().T, be)  # non-contiguous CUDA tensor
    dist.broadcast(t, src=1)
    same(be.to_host(t._arr), ins[1], "CUDA broadcast through host memory")
    outs = [_wrap(np.empty((2, 3)), be) for _ in range(N)]
    dist.all_gather(outs, _wrap(ins[R].copy(), be))
    for r in range(N):
        same(be.to_host(outs[r]._arr), ins[r], "CUDA all_gather through host memory")
    assert "from_host" in be.moves and "to_host" in be.moves


class pytest_warns:
    """A tiny ``pytest.warns`` (the worker runs without pytest)."""

    def __init__(self, cat, text):
        self.cat, self.text = cat, text

    def __enter__(self):
        self.cm = warnings.catch_warnings(record=True)
        self.got = self.cm.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc):
        self.cm.__exit__(*exc)
        assert any(issubclass(w.category, self.cat) and self.text in str(w.message)
                   for w in self.got), [str(w.message) for w in self.got]
        global checks
        checks += 1


def errors():
    """PyTorch's errors (each message read off torch 2.13's gloo group)."""
    f = gradcore.ones(2)
    raises(RuntimeError, "Cannot use ReduceOp.BAND with non-integral dtype",
           lambda: dist.all_reduce(f, op=dist.ReduceOp.BAND))
    raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
           lambda: dist.all_reduce(gradcore.tensor([1, 2]), op=dist.ReduceOp.AVG))
    raises(ValueError, "all_reduce does not support RedOpType.MAX on complex tensors",
           lambda: dist.all_reduce(gradcore.tensor([1 + 1j]), op=dist.ReduceOp.MAX))
    raises(TypeError, "Expected parameter `tensor` of type torch.Tensor",
           lambda: dist.all_reduce([f]))
    raises(RuntimeError, "invalid root rank: 5", lambda: dist.broadcast(f, 5))
    raises(RuntimeError, "invalid output tensor list at index 0 (expected length 2, got 1)",
           lambda: dist.all_gather([gradcore.empty(2)], f))
    raises(RuntimeError, "invalid tensor size at index 0 (expected (2), got (3))",
           lambda: dist.all_gather([gradcore.empty(3), gradcore.empty(3)], f))
    raises(ValueError, f"Invalid usage of tensors with different dtypesFound {gradcore.int64} "
           f"and  {gradcore.float32}",
           lambda: dist.all_gather([gradcore.empty(2, dtype=gradcore.int64)] * 2, f))
    raises(RuntimeError, "invalid tensor size at index 0 (expected (3), got (1, 3))",
           lambda: dist.all_gather_single(gradcore.empty(2, 3), gradcore.ones(3)))
    raises(RuntimeError, "Check failed: outputShape[0] * worldSize == inputShape[0] (6 vs. 4)",
           lambda: dist.reduce_scatter_single(gradcore.empty(3), gradcore.ones(4)))
    raises(RuntimeError, "Split sizes doesn't match total dim 0 size",
           lambda: dist.all_to_all_single(gradcore.empty(4), gradcore.ones(4), [1, 1], [2, 2]))
    raises(ValueError, "Tensors must be contiguous",
           lambda: dist.all_to_all_single(gradcore.empty(4), gradcore.arange(8.)[::2]))
    raises(RuntimeError, "input tensor has to be contiguous",
           lambda: dist.send(gradcore.arange(4.)[::2], 1 - R))
    raises(ValueError, "Invalid destination rank: destination rank should not be the same",
           lambda: dist.send(f, R))
    if R == 0:
        raises(RuntimeError, "Incorrect output list size 1. Output list size should be 2, "
               "same as size of the process group.", lambda: dist.gather(f, [f], dst=0))
    raises(ValueError, "Rank 5 is out of range. Valid ranks are 0 to 1 (world_size=2)",
           lambda: dist.new_group([0, 5]))
    raises(ValueError, "trying to initialize the default process group twice!",
           lambda: dist.init_process_group("mpi"))


def subgroups():
    assert dist.group.WORLD is dist.GroupMember.WORLD and dist.group.WORLD.size() == N
    assert dist.get_backend() == "mpi" and dist.is_initialized()
    t = gradcore.zeros(2)
    w = dist.irecv(t) if R == 0 else dist.isend(gradcore.full((2,), 5.0), dst=0)
    w.wait()
    if R == 0:
        assert w.source_rank() == 1 and w.result()[0] is t
        same(t, np.full(2, 5.0, np.float32), "irecv")
    g = dist.new_group([1])
    g2 = dist.new_group()  # every rank
    if R == 1:
        assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1
        t = gradcore.ones(3)
        dist.all_reduce(t, group=g)
        same(t, np.ones(3, np.float32), "subgroup of one")
        assert dist.get_process_group_ranks(g) == [1] and dist.get_global_rank(g, 0) == 1
    else:
        assert g == dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(g) == -1 and dist.get_world_size(g) == -1
        with pytest_warns(UserWarning, "Running all_reduce on global rank 0 which does not "
                                       "belong to the given group."):
            assert dist.all_reduce(gradcore.ones(2), group=g) is None
    t = gradcore.tensor([float(R + 1)])
    dist.all_reduce(t, group=g2, op=dist.ReduceOp.PRODUCT)
    same(t, np.array([2.0], np.float32), "subgroup of all")
    dist.barrier(group=g2)
    dist.destroy_process_group(g2)


def object_collectives():
    objs = [None] * N
    dist.all_gather_object(objs, {"rank": R, "t": gradcore.arange(3) * R, "s": "x" * R})
    for r in range(N):
        assert objs[r]["rank"] == r and objs[r]["s"] == "x" * r
        same(objs[r]["t"], np.arange(3) * r, "all_gather_object tensor")
    lst = [1, (2.5, "a"), None, {"k": [1, 2]}] if R == 0 else [None] * 4
    dist.broadcast_object_list(lst, src=0)
    assert lst == [1, (2.5, "a"), None, {"k": [1, 2]}], lst
    got = [None] * N if R == 1 else None
    dist.gather_object(("from", R), got, dst=1)
    if R == 1:
        assert got == [("from", 0), ("from", 1)], got
    out = [None]
    dist.scatter_object_list(out, [10, 11] if R == 0 else None, src=0)
    assert out[0] == 10 + R
    # a hostile payload: rank 0 sends a pickle that would run code; rank 1 must refuse it
    # unread (PyTorch would unpickle it and run os.system)
    evil = b"\x80\x04cposix\nsystem\n(S'echo PWNED'\ntR."  # pickle: os.system(...)
    zipped = io.BytesIO()  # PyTorch's zip format: a pickle inside a zip
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("archive/data.pkl", evil)
    for payload in (evil, zipped.getvalue()):
        if R == 0:
            real = _objects._encode
            _objects._encode = lambda obj: payload
            try:
                dist.broadcast_object_list([1], src=0)
            finally:
                _objects._encode = real
        else:
            raises(dist.DistError, "not gradcore's safe object format",
                   lambda: dist.broadcast_object_list([None], src=0))
    raises(TypeError, "cannot save an object of type", lambda: dist.all_gather_object(
        [None] * N, object()))
    dist.barrier()


def fail():
    dist.all_reduce(gradcore.ones(2))
    if R == 1:
        raise ValueError("rank 1 fails on purpose")
    t0 = time.monotonic()
    try:
        dist.all_reduce(gradcore.ones(2))
    finally:
        print(f"rank 0 waited {time.monotonic() - t0:.1f} s", flush=True)


def hang():
    dist.all_reduce(gradcore.ones(2))
    if R == 1:
        time.sleep(60)  # never joins the next collective (the job's abort ends this)
    t0 = time.monotonic()
    try:
        dist.all_reduce(gradcore.ones(2))
    finally:
        print(f"rank 0 waited {time.monotonic() - t0:.1f} s", flush=True)


def env():
    assert int(os.environ["RANK"]) == R and int(os.environ["WORLD_SIZE"]) == N
    assert int(os.environ["LOCAL_RANK"]) == R and int(os.environ["LOCAL_WORLD_SIZE"]) == N
    assert os.environ["MASTER_ADDR"] and os.environ["MASTER_PORT"]
    assert dist.get_backend() == "mpi"  # "gloo" (GC_TEST_BACKEND) runs on MPI
    t = gradcore.tensor([R])
    dist.all_reduce(t)
    assert t.item() == sum(range(N))


{"collectives": collectives, "fail": fail, "hang": hang, "env": env}[mode]()
print(f"rank {R} OK {checks} checks", flush=True)
dist.destroy_process_group()
