"""DistributedDataParallel: two MPI processes training against one process on the whole batch
(tests/_ddp_worker.py, one ``mpiexec -n 2`` launch running every case: MLP with buckets
rebuilt as PyTorch's, BatchNorm buffers, gradient_as_bucket_view, no_sync, unused parameters
with and without find_unused_parameters, the rebuilt buckets against torch's DDP), a rank
that raises making the other fail, the bucket assignment against torch's, the NCCL route
(the stand-in library of tests/test_distributed_nccl.py), and the names, keys and errors
against torch's DDP in a world of one on gloo."""
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import gradcore
import gradcore.distributed as dist
from gradcore.distributed.reducer import compute_bucket_assignment_by_size
from gradcore.nn.parallel import DistributedDataParallel as DDP
from gradcore.tensor import _wrap
from test_distributed import HAS_MPI, MPIEXEC, _env  # noqa: F401  (the MPI launch helpers)
from test_distributed_nccl import FakeNccl, nccl_world  # noqa: F401  (the stand-in NCCL world)

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ddp_worker.py")
needs_mpi = pytest.mark.skipif(not HAS_MPI, reason="needs mpi4py and mpiexec "
                                                   "(pip install mpi4py mpich)")


def _mpi(*args, timeout=180):
    return subprocess.run([MPIEXEC, "-n", "2", sys.executable, WORKER, *args],
                          capture_output=True, text=True, timeout=timeout, env=_env())


@needs_mpi
def test_ddp_two_processes_equal_one_process_on_the_whole_batch():
    run = _mpi("train", "60")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    counts = [int(n) for n in re.findall(r"rank [01] OK (\d+)", out)]
    assert len(counts) == 2 and min(counts) > 100, out[-2000:]


@needs_mpi
def test_a_rank_that_raises_in_training_makes_the_other_fail_at_once():
    """Rank 1 raises before its third step; rank 0, waiting for its buckets inside backward,
    raises DistBackendError naming rank 1's error well before the 20 s timeout."""
    start = time.monotonic()
    run = _mpi("fail", "20", timeout=60)
    took = time.monotonic() - start
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    assert ("[Rank 0] ALLREDUCE can never complete: rank 1 failed: ValueError: rank 1 fails "
            "on purpose") in out, out[-3000:]
    waited = float(re.search(r"rank 0 waited ([0-9.]+) s", out).group(1))
    assert waited < 10 and took < 30, (waited, took)
    assert "never failed" not in out


def test_bucket_assignment_matches_torch(torch):
    """gradcore's bucket assignment is torch.distributed._compute_bucket_assignment_by_size
    (mixed dtypes, several limits, a sparse gradient, a given order)."""
    rng = np.random.default_rng(0)
    dtypes = [("float32", 4), ("float64", 8), ("float16", 2)]
    for trial in range(40):
        n = int(rng.integers(1, 12))
        picks = [dtypes[int(rng.integers(0, 3 if trial % 2 else 1))] for _ in range(n)]
        sizes = [int(rng.integers(1, 300)) for _ in range(n)]
        ours = [gradcore.zeros(s, dtype=getattr(gradcore, d)) for (d, _), s in zip(picks, sizes)]
        theirs = [torch.zeros(s, dtype=getattr(torch, d)) for (d, _), s in zip(picks, sizes)]
        limits = [int(x) for x in rng.integers(16, 1200, size=int(rng.integers(1, 4)))]
        sparse = [bool(rng.random() < 0.1) for _ in range(n)]
        got = compute_bucket_assignment_by_size(ours, limits, sparse)
        want = torch.distributed._compute_bucket_assignment_by_size(theirs, limits, sparse)
        assert got[0] == [list(b) for b in want[0]], (sizes, limits)
        if trial % 2 == 0:  # one dtype: a given order (the rebuild) keeps its order
            order = [int(i) for i in rng.permutation(n)]
            got = compute_bucket_assignment_by_size(ours, limits, (), order)
            want = torch.distributed._compute_bucket_assignment_by_size(
                theirs, limits, [False] * n, order)
            assert got[0] == [list(b) for b in want[0]], (sizes, limits, order)


@pytest.fixture
def torch_world(torch):
    """torch's DDP needs a process group: a world of one on gloo in this process."""
    tdist = torch.distributed
    tdist.init_process_group("gloo", store=tdist.HashStore(), rank=0, world_size=1)
    yield torch
    tdist.destroy_process_group()


def _on_stand_in_cuda(module, cuda):
    """``module`` moved onto the stand-in CUDA device of ``cuda`` (nccl_world's maker)."""
    be = cuda(np.zeros(1))._be
    return module._apply(lambda t: _wrap(np.array(t._arr), be)), be


class _Net:
    """The same small module in both libraries: Linear, BatchNorm1d, an unused Linear."""

    @staticmethod
    def make(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(4, 3)
                self.bn = lib.nn.BatchNorm1d(3)
                self.head = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Tanh())
                self.spare = lib.nn.Linear(2, 2)

            def forward(self, x):
                return self.head(self.bn(self.fc(x)))
        return Net()


def test_state_dict_names_and_errors_match_torch(torch_world, nccl_world):
    torch = torch_world
    comm, cuda = nccl_world
    theirs = torch.nn.parallel.DistributedDataParallel(_Net.make(torch))
    module, be = _on_stand_in_cuda(_Net.make(gradcore), cuda)
    ours = DDP(module, device_ids=[0])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.module is module and list(ours.parameters()) == list(module.parameters())
    assert gradcore.nn.parallel.DistributedDataParallel is DDP
    module.foo = theirs.module.foo = 3  # no passthrough of the module's attributes
    for d in (ours, theirs):
        with pytest.raises(AttributeError, match="'DistributedDataParallel' object has no "
                                                 "attribute 'foo'"):
            d.foo
    loaded = DDP(_on_stand_in_cuda(_Net.make(gradcore), cuda)[0], device_ids=[0])
    loaded.load_state_dict(ours.state_dict())

    def same_error(ours_call, theirs_call):
        with pytest.raises(Exception) as want:
            theirs_call()
        with pytest.raises(type(want.value)) as got:
            ours_call()
        assert str(got.value) == str(want.value)

    same_error(lambda: DDP(module, device_ids=[0, 1]),
               lambda: torch.nn.parallel.DistributedDataParallel(theirs.module,
                                                                 device_ids=[0, 1]))
    same_error(lambda: DDP(gradcore.nn.ReLU()),
               lambda: torch.nn.parallel.DistributedDataParallel(torch.nn.ReLU()))
    with pytest.warns(FutureWarning) as got:
        DDP(module, device_ids=[0], broadcast_buffers=False)
    with pytest.warns(FutureWarning) as want:
        torch.nn.parallel.DistributedDataParallel(theirs.module, broadcast_buffers=False)
    assert str(got[0].message) == str(want[0].message)


def test_cpu_module_device_ids_error_matches_torch(torch_world):
    torch = torch_world
    with pytest.raises(ValueError) as want:
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2), device_ids=[0])
    mpi_like = dist.ProcessGroup(None, [0], "mpi", None, "0")
    with pytest.raises(ValueError) as got:
        DDP(gradcore.nn.Linear(2, 2), device_ids=[0], process_group=mpi_like)
    assert str(got.value) == str(want.value)


class _Linears(gradcore.nn.Module):
    """Three Linear layers, an unused one and a buffer."""

    def __init__(self):
        super().__init__()
        self.body = gradcore.nn.Sequential(gradcore.nn.Linear(4, 8), gradcore.nn.Linear(8, 8),
                                           gradcore.nn.Linear(8, 2))
        self.spare = gradcore.nn.Linear(2, 2)
        self.register_buffer("steps", gradcore.zeros(3, dtype=gradcore.int64))

    def forward(self, x):
        return self.body(x)


@pytest.fixture
def emulated_kernels():
    """The stand-in device's kernels run in the CUDA-on-CPU emulator (docs/emulator.md)."""
    from gradcore.backend import cupy_backend as cb
    from cuda_emu.loader import EmuLoader, have_compiler
    if not have_compiler():
        pytest.skip("the CUDA emulator needs g++")
    prev = cb.set_loader(EmuLoader())
    yield
    cb.set_loader(prev)


def test_ddp_on_the_nccl_route(nccl_world, emulated_kernels):
    """device_ids=[0] on an NCCL group: the wrap checks shapes and broadcasts the parameters
    and buffers, each forward the buffers; backward all-reduces each bucket on the device
    (NCCL's float32 SUM of the bucket's elements), and the gradients are the module's own (a
    world of one)."""
    comm, cuda = nccl_world
    gradcore.manual_seed(0)
    module, be = _on_stand_in_cuda(_Linears(), cuda)
    ref = _Linears()
    ref.load_state_dict({k: gradcore.tensor(v._arr) for k, v in module.state_dict().items()})
    ddp = DDP(module, device_ids=[0], bucket_cap_mb=100 / 2 ** 20,
              find_unused_parameters=True)
    # the shapes check (counts, rank 0's shapes), then the float32 states and the int64 one
    assert [c[:3] for c in comm.log] == [
        ("allGather", 1, FakeNccl.NCCL_INT64), ("broadcast", 8 * 9, FakeNccl.NCCL_INT64),
        ("broadcast", sum(p.numel() for p in module.parameters()), FakeNccl.NCCL_FLOAT32),
        ("broadcast", 3, FakeNccl.NCCL_INT64)]
    x = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    gy = np.random.default_rng(2).standard_normal((6, 2)).astype(np.float32)
    del comm.log[:]
    ddp(cuda(x)).backward(cuda(gy))
    ref(gradcore.tensor(x)).backward(gradcore.tensor(gy))
    sizes = ddp._get_bucket_sizes()
    assert len(sizes) >= 3
    assert comm.log[0] == ("broadcast", 3, FakeNccl.NCCL_INT64, None)  # the buffer first
    reduces = comm.log[1:]
    assert [c[1] * 4 for c in reduces[:len(sizes)]] == sizes
    assert all(c[2:] == (FakeNccl.NCCL_FLOAT32, FakeNccl.NCCL_SUM)
               for c in reduces[:len(sizes)])
    assert reduces[len(sizes):] == [("allReduce", 8, FakeNccl.NCCL_INT32, FakeNccl.NCCL_MAX)]
    for (n, p), q in zip(module.named_parameters(), ref.parameters()):
        if n.startswith("spare"):
            assert p.grad is None
        else:
            assert p.grad.device.type == "cuda"
            np.testing.assert_array_equal(p.grad._arr, q.grad._arr)


@needs_mpi
def test_the_ddp_example_trains_in_two_processes(tmp_path):
    """examples/ddp_train.py through the launcher: rank 0 alone prints the falling loss and
    writes the checkpoint, which loads into the model."""
    ckpt = tmp_path / "ck.pt"
    root = os.path.dirname(os.path.dirname(WORKER))
    run = subprocess.run([sys.executable, "-m", "gradcore.distributed.run", "--nproc-per-node",
                          "2", os.path.join(root, "examples", "ddp_train.py"), "--epochs", "3",
                          "--checkpoint", str(ckpt)], capture_output=True, text=True,
                         timeout=180, env=_env(), cwd=str(tmp_path))
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    losses = [float(v) for v in re.findall(r"^epoch \d loss ([0-9.]+)$", run.stdout, re.M)]
    assert len(losses) == 3 and losses[-1] < 0.7 * losses[0], out[-2000:]
    assert run.stdout.count("saved ") == 1
    state = gradcore.load(str(ckpt))
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]


def test_unused_parameter_error_matches_torch(torch_world, nccl_world, emulated_kernels):
    """A parameter that got no gradient (find_unused_parameters=False): the next forward
    raises torch's RuntimeError, word for word."""
    torch = torch_world
    comm, cuda = nccl_world
    module, _ = _on_stand_in_cuda(_Linears(), cuda)
    ours = DDP(module, device_ids=[0])
    x = np.ones((2, 4), np.float32)
    ours(cuda(x)).backward(cuda(np.ones((2, 2), np.float32)))

    class TorchLinears(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 8),
                                            torch.nn.Linear(8, 2))
            self.spare = torch.nn.Linear(2, 2)
            self.register_buffer("steps", torch.zeros(3, dtype=torch.int64))

        def forward(self, x):
            return self.body(x)
    theirs = torch.nn.parallel.DistributedDataParallel(TorchLinears())
    theirs(torch.ones(2, 4)).backward(torch.ones(2, 2))
    with pytest.raises(RuntimeError) as want:
        theirs(torch.ones(2, 4))
    with pytest.raises(RuntimeError) as got:
        ours(cuda(x))
    assert str(got.value) == str(want.value)
    assert "did not receive grad for rank 0: 6 7\n" in str(got.value)
