"""gradcore.distributed on MPI: every collective against a NumPy reference in 2 processes
(tests/_distributed_worker.py under ``mpiexec -n 2``), the launcher, a failing rank making the
other fail within the timeout, PyTorch's errors before init, and DistributedSampler's indices
against torch's."""
import importlib.util
import os
import re
import subprocess
import sys
import time

import pytest

import gradcore
import gradcore.distributed as dist
from gradcore.distributed.run import find_mpiexec
from gradcore.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "_distributed_worker.py")
ROOT = os.path.dirname(HERE)
MPIEXEC = find_mpiexec()
HAS_MPI = importlib.util.find_spec("mpi4py") is not None and MPIEXEC is not None
needs_mpi = pytest.mark.skipif(not HAS_MPI, reason="needs mpi4py and mpiexec "
                                                   "(pip install mpi4py mpich)")


def _env():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OPENBLAS_NUM_THREADS="1")
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        env.pop(k, None)
    return env


def _mpi(*args, timeout=120, env=None):
    return subprocess.run([MPIEXEC, "-n", "2", sys.executable, WORKER, *args],
                          capture_output=True, text=True, timeout=timeout, env=env or _env())


def test_before_init_errors_as_pytorch():
    msg = ("Default process group has not been initialized, please make sure to call "
           "init_process_group.")
    assert not dist.is_initialized() and dist.is_available()
    for call in (lambda: dist.all_reduce(gradcore.ones(2)), dist.get_rank,
                 dist.get_world_size, dist.get_backend, dist.barrier,
                 lambda: dist.all_gather_object([None], 1)):
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value) == msg
    with pytest.raises(AssertionError, match="Process group cannot be None"):
        dist.destroy_process_group()
    with pytest.raises(AssertionError, match="Unknown backend type foo"):
        dist.init_process_group("foo")
    assert repr(dist.ReduceOp.SUM) == "<RedOpType.SUM: 0>"
    assert list(dist.ReduceOp.RedOpType.__members__) == [
        "SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"]


def test_reduce_op_names_match_torch(torch):
    names = list(torch.distributed.ReduceOp.RedOpType.__members__)
    assert names == list(dist.ReduceOp.RedOpType.__members__)
    for n in names:
        assert getattr(dist.ReduceOp, n).value == int(getattr(torch.distributed.ReduceOp, n))


@pytest.mark.parametrize("n", [0, 1, 7, 10, 33])
def test_distributed_sampler_matches_torch(torch, n):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for replicas in (1, 2, 3, 4):
        for shuffle in (True, False):
            for drop_last in (True, False):
                for rank in range(replicas):
                    ours = DistributedSampler(range(n), replicas, rank, shuffle, 7, drop_last)
                    theirs = TorchSampler(range(n), replicas, rank, shuffle, 7, drop_last)
                    for epoch in (0, 3):
                        ours.set_epoch(epoch)
                        theirs.set_epoch(epoch)
                        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval "
                                         r"\[0, 1\]"):
        DistributedSampler(range(4), 2, 2)
    assert gradcore.utils.data.DistributedSampler is DistributedSampler


def test_distributed_sampler_in_a_dataloader(torch):
    ds = gradcore.utils.data.TensorDataset(gradcore.arange(20))
    s = DistributedSampler(ds, num_replicas=2, rank=1, seed=3)
    s.set_epoch(2)
    got = [b[0].tolist() for b in gradcore.utils.data.DataLoader(ds, batch_size=4, sampler=s)]
    t = torch.utils.data.distributed.DistributedSampler(range(20), 2, 1, seed=3)
    t.set_epoch(2)
    idx = list(t)
    assert got == [idx[i:i + 4] for i in range(0, 10, 4)]


@needs_mpi
def test_collectives_against_numpy_in_two_processes():
    run = _mpi("collectives")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "rank 0 OK" in out and "rank 1 OK" in out, out[-2000:]
    assert "PWNED" not in out


@needs_mpi
def test_a_rank_that_raises_makes_the_other_fail_at_once():
    """Rank 1's uncaught exception reaches rank 0's pending all_reduce (the excepthook's
    notice): rank 0 raises naming it, long before its 20 s timeout, and the job ends."""
    start = time.monotonic()
    run = _mpi("fail", "20", timeout=60)
    took = time.monotonic() - start
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    assert ("[Rank 0] ALLREDUCE can never complete: rank 1 failed: ValueError: rank 1 fails "
            "on purpose") in out, out[-3000:]
    waited = float(re.search(r"rank 0 waited ([0-9.]+) s", out).group(1))
    assert waited < 10, out[-3000:]  # the notice, not the 20 s timeout
    assert took < 30, took


@needs_mpi
def test_a_rank_that_never_joins_makes_the_other_fail_within_the_timeout():
    """Rank 1 sleeps instead of joining: rank 0 raises DistBackendError at its 3 s timeout,
    then the job is aborted (rank 1 too), never a hang."""
    start = time.monotonic()
    run = _mpi("hang", "3", timeout=60)
    took = time.monotonic() - start
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    assert "Watchdog caught collective operation timeout" in out and "Timeout(ms)=3000" in out
    waited = float(re.search(r"rank 0 waited ([0-9.]+) s", out).group(1))
    assert 3.0 <= waited < 10, out[-3000:]  # the 3 s timeout, then at once
    assert took < 30, took


@needs_mpi
def test_launcher_sets_torchrun_environment():
    """The launcher's variables, and a script written for PyTorch's gloo running on MPI."""
    env = dict(_env(), GC_TEST_BACKEND="gloo")
    run = subprocess.run([sys.executable, "-m", "gradcore.distributed.run", "--nproc-per-node",
                          "2", "--master-port", "29611", WORKER, "env"], capture_output=True,
                         text=True, timeout=120, env=env, cwd=ROOT)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    assert "rank 0 OK" in out and "rank 1 OK" in out


@needs_mpi
def test_world_size_disagreeing_with_mpi_is_refused():
    env = _env()
    env["WORLD_SIZE"] = "3"
    run = _mpi("env", env=env, timeout=60)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert ("the WORLD_SIZE environment variable gives world_size=3 but MPI.COMM_WORLD has "
            "world_size=2") in out, out[-3000:]


def test_launcher_arguments():
    from gradcore.distributed.run import parse_args
    a = parse_args(["--nproc_per_node", "4", "--nnodes", "1:2", "--node-rank", "1", "s.py",
                    "--lr", "0.1"])
    assert (a.nproc_per_node, a.nnodes, a.node_rank) == (4, 2, 1)
    assert a.training_script == "s.py" and a.training_script_args == ["--lr", "0.1"]
    with pytest.raises(SystemExit):
        parse_args(["--nnodes", "2", "--node-rank", "2", "s.py"])


def test_launcher_starts_the_processes_itself_for_nccl(tmp_path):
    """``--backend nccl`` starts the processes as torchrun (no MPI, no GPU needed to check
    the environment); a rank that fails stops the others and gives its exit code."""
    script = tmp_path / "show.py"
    script.write_text("import os, sys\n"  # one write a line: the ranks share the pipe
                      "os.write(1, (' '.join(['env', *(os.environ[k] for k in ('RANK', "
                      "'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'MASTER_ADDR', "
                      "'MASTER_PORT')), *sys.argv[1:]]) + '\\n').encode())\n"
                      "if sys.argv[1:] == ['fail'] and os.environ['RANK'] == '3':\n"
                      "    sys.exit(7)\n"
                      "import time; time.sleep(0 if sys.argv[1:] != ['fail'] else 30)\n")
    cmd = [sys.executable, "-m", "gradcore.distributed.run", "--backend", "nccl",
           "--nproc-per-node", "2", "--nnodes", "2", "--node-rank", "1", "--master-addr",
           "10.0.0.1", "--master-port", "1234", str(script)]
    run = subprocess.run(cmd + ["x"], capture_output=True, text=True, timeout=60, env=_env())
    assert run.returncode == 0, run.stderr[-2000:]
    lines = sorted(line for line in run.stdout.splitlines() if line.startswith("env"))
    assert lines == ["env 2 0 4 2 10.0.0.1 1234 x", "env 3 1 4 2 10.0.0.1 1234 x"], lines
    start = time.monotonic()
    run = subprocess.run(cmd + ["fail"], capture_output=True, text=True, timeout=60,
                         env=_env())
    assert run.returncode == 7 and time.monotonic() - start < 20


def test_nccl_without_a_gpu_says_so():
    if dist.is_nccl_available():
        pytest.skip("a GPU with NCCL answers here")
    with pytest.raises(RuntimeError, match="The NCCL backend needs CuPy with NCCL"):
        dist.init_process_group("nccl", rank=0, world_size=1)
    assert not dist.is_initialized()


def test_nccl_unique_id_tcp_rendezvous():
    """NCCL's id (128 int64s) from rank 0 to the others over MASTER_ADDR:MASTER_PORT, the
    exchange init_process_group("nccl") uses without a store or MPI (no GPU needed)."""
    import threading
    from datetime import timedelta
    from gradcore.distributed.backend_nccl import _tcp_exchange
    uid = tuple(range(-64, 64))
    got = {}
    ranks = [threading.Thread(target=lambda r=r: got.__setitem__(r, _tcp_exchange(
        uid if r == 0 else None, r, 3, "127.0.0.1", 29617, timedelta(seconds=20))))
        for r in range(3)]
    for t in ranks:
        t.start()
    for t in ranks:
        t.join(30)
    assert got == {0: uid, 1: uid, 2: uid}


@pytest.mark.gpu
def test_nccl_world_of_one_runs_the_collectives():
    if not dist.is_nccl_available():
        pytest.skip("needs NCCL")
    dist.init_process_group("nccl", rank=0, world_size=1)
    try:
        t = gradcore.arange(6., device="cuda")
        dist.all_reduce(t)
        assert t.tolist() == list(range(6))
        out = gradcore.empty(6, device="cuda")
        dist.all_gather_single(out, t)
        dist.broadcast(t, 0)
        dist.reduce_scatter_single(out, t)
        objs = [None]
        dist.all_gather_object(objs, {"a": 1})
        assert objs == [{"a": 1}] and out.tolist() == list(range(6))
    finally:
        dist.destroy_process_group()
