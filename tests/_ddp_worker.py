"""Run by tests/test_ddp.py under ``mpiexec -n 2``: DistributedDataParallel on the MPI backend,
every case against one process training on the whole batch (each rank computes that
reference itself, in float64).  ``mode``: train (every case below, one launch) | fail (rank 1
raises in the middle of training; the second argument is the timeout in seconds).  Prints
"rank R OK <checks>" at the end; any mismatch raises."""
import copy
import datetime
import os
import sys

import numpy as np

import gradcore as torch
import gradcore.distributed as dist
from gradcore.distributed import collectives
from gradcore.nn.parallel import DistributedDataParallel as DDP

mode = sys.argv[1]
timeout = datetime.timedelta(seconds=float(sys.argv[2]) if len(sys.argv) > 2 else 60)
dist.init_process_group("mpi", timeout=timeout)
R, N = dist.get_rank(), dist.get_world_size()
torch.set_default_dtype(torch.float64)
checks = 0
STEPS, BATCH = 4, 12

# every all_reduce: (its element count, how many of the watched parameters had no .grad yet)
calls, watched = [], []
_all_reduce = collectives.all_reduce


def counting_all_reduce(tensor, *args, **kwargs):
    calls.append((tensor.numel(), sum(p.grad is None for p in watched)))
    return _all_reduce(tensor, *args, **kwargs)


collectives.all_reduce = counting_all_reduce


def ok(cond, what):
    global checks
    if not cond:
        raise AssertionError(f"rank {R}: {what}")
    checks += 1


def close(a, b, what):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else a
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
    ok(np.allclose(a, b, rtol=1e-12, atol=1e-14), f"{what}: {np.max(np.abs(a - b))}")


def batches(seed, n_in, n_out):
    """The same batches on every rank (each takes its shard)."""
    rng = np.random.default_rng(seed)
    return [(torch.tensor(rng.standard_normal((BATCH, n_in))),
             torch.tensor(rng.standard_normal((BATCH, n_out)))) for _ in range(STEPS)]


def shard(t, r=None):
    r = R if r is None else r
    k = t.shape[0] // N
    return t[r * k:(r + 1) * k]


def mlp(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                               torch.nn.Tanh(), torch.nn.Linear(16, 3))


def same_on_every_rank(model, what):
    flat = torch.cat([p.detach().reshape(-1) for p in model.state_dict().values()
                      if p.dtype is torch.float64])
    got = [torch.empty_like(flat) for _ in range(N)]
    dist.all_gather(got, flat)
    for r in range(N):
        close(got[r], flat, f"{what}: rank {r} differs")


def sgd(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def train_mlp(set_to_none=True, **ddp_kwargs):
    """An MLP (different initial values on each rank: the wrap broadcasts rank 0's) trained
    on the ranks' shards, against the whole batch in one process."""
    model = mlp(100 + R)
    ddp = DDP(model, **ddp_kwargs)
    ref = copy.deepcopy(mlp(100))
    for a, b in zip(model.parameters(), ref.parameters()):
        close(a, b, "parameters broadcast from rank 0 at wrap time")
    opt, ref_opt = sgd(ddp.parameters()), sgd(ref.parameters())
    watched[:] = list(model.parameters())
    per_step = []
    for x, y in batches(7, 5, 3):
        opt.zero_grad(set_to_none=set_to_none)
        del calls[:]
        torch.nn.functional.mse_loss(ddp(shard(x)), shard(y)).backward()
        per_step.append((list(calls), list(ddp._get_bucket_sizes())))
        ref_opt.zero_grad()
        torch.nn.functional.mse_loss(ref(x), y).backward()
        for p, q in zip(model.parameters(), ref.parameters()):
            close(p.grad, q.grad, "averaged gradient")
        opt.step()
        ref_opt.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        close(p, q, "parameters after training")
    same_on_every_rank(model, "mlp")
    return ddp, per_step


def case_mlp_buckets():
    """Small buckets: one bucket in the first iteration (PyTorch: the gradient order is not
    known yet), then rebuilt in the order the gradients came; one all_reduce per bucket,
    launched while backward still runs (parameters without .grad when posted)."""
    cap = 500 / 2 ** 20  # float64 MLP 5-16-16-3: buckets [b2 w2 b1] [w1] [b0 w0]
    ddp, steps = train_mlp(bucket_cap_mb=cap)
    sizes = [p.numel() * 8 for p in ddp.module.parameters()]
    first_calls, first_sizes = steps[0]
    ok(first_sizes == [sum(sizes)] and len(first_calls) == 1, f"first iteration {steps[0]}")
    # the reverse order: [b3 w3 b2 w2] hits the cap at w2 ... the torch assignment's
    want = []
    run = 0
    for s in reversed(sizes):
        run += s
        if run >= cap * 2 ** 20:
            want.append(run)
            run = 0
    want += [run] if run else []
    for c, s in steps[1:]:
        ok(s == want, f"rebuilt buckets {s} != {want}")
        ok([n * 8 for n, _ in c] == s, f"one all_reduce per bucket {c} {s}")
        ok(c[0][1] > 0, f"the first bucket posted during backward {c}")
    ok(len(want) >= 3, f"several buckets {want}")


def case_as_bucket_view():
    """.grad is its bucket's slot: zeroed in place, accumulated into by backward, divided
    there (and, set to None, copied in and made the slot again)."""
    for set_to_none in (False, True):
        ddp, steps = train_mlp(set_to_none, bucket_cap_mb=0.001, gradient_as_bucket_view=True)
        flat = {id(b.flat) for b in ddp.reducer.buckets}
        for p in ddp.module.parameters():
            ok(p.grad._arr.base is not None and id(p.grad._arr.base) in flat,
               "gradient_as_bucket_view: .grad views its bucket")


def case_batchnorm():
    """A BatchNorm buffer broadcast from rank 0 before each forward: the reference runs both
    shards through one model (its loss their mean) and keeps the running statistics of
    shard 0 (rank 0's, which DDP broadcasts)."""
    def make(seed):
        torch.manual_seed(seed)
        return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8),
                                   torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model = make(200 + R)
    ddp = DDP(model, bucket_cap_mb=0.0005)
    ref = make(200)
    opt, ref_opt = sgd(ddp.parameters()), sgd(ref.parameters())
    bn = ref[1]
    for x, y in batches(8, 5, 3):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ddp(shard(x)), shard(y)).backward()
        opt.step()
        ref_opt.zero_grad()
        loss = torch.nn.functional.mse_loss(ref(shard(x, 0)), shard(y, 0))
        kept = [b.clone() for b in bn.buffers()]
        for r in range(1, N):
            loss = loss + torch.nn.functional.mse_loss(ref(shard(x, r)), shard(y, r))
        with torch.no_grad():
            for b, k in zip(bn.buffers(), kept):
                b.copy_(k)
        (loss / N).backward()
        ref_opt.step()
    for (n, p), q in zip(model.state_dict().items(), ref.state_dict().values()):
        if n.endswith("num_batches_tracked"):
            ok(int(p) == int(q) == STEPS, f"{n} {int(p)} {int(q)}")
        elif R == 0 or not n.startswith("1.running"):  # rank 1's own update after the last
            close(p, q, f"batchnorm model {n}")  # broadcast (the next forward replaces it)
    ddp.eval()
    with torch.no_grad():  # the forward broadcasts rank 0's statistics first
        ddp(batches(8, 5, 3)[0][0])
    for n in ("running_mean", "running_var"):
        close(getattr(model[1], n), getattr(bn, n), f"{n} after a forward")


def case_no_sync():
    """Two micro-batches under no_sync, then a synchronized one: the same gradients as the
    three micro-batches of every rank in one process; no all_reduce inside no_sync."""
    model = mlp(300)
    ddp = DDP(model)
    ref = mlp(300)
    micro = batches(9, 5, 3)[:3]
    del calls[:]
    with ddp.no_sync():
        for x, y in micro[:2]:
            torch.nn.functional.mse_loss(ddp(shard(x)), shard(y)).backward()
    ok(calls == [], f"no all_reduce inside no_sync {calls}")
    x, y = micro[2]
    torch.nn.functional.mse_loss(ddp(shard(x)), shard(y)).backward()
    ok(len(calls) == 1, f"one bucket reduced after no_sync {calls}")
    loss = 0
    for x, y in micro:
        for r in range(N):
            loss = loss + torch.nn.functional.mse_loss(ref(shard(x, r)), shard(y, r)) / N
    loss.backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        close(p.grad, q.grad, "no_sync accumulated gradient")


class Branchy(torch.nn.Module):
    """``extra`` is used on rank 1 only; ``never`` on no rank."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(400)
        self.a = torch.nn.Linear(5, 4)
        self.extra = torch.nn.Linear(4, 4)
        self.never = torch.nn.Linear(4, 4)
        self.b = torch.nn.Linear(4, 3)

    def forward(self, x, rank):
        h = torch.tanh(self.a(x))
        if rank == 1:
            h = h + self.extra(h)
        return self.b(h)


def case_unused():
    """Without find_unused_parameters the next forward raises PyTorch's error (naming the
    parameter indices); with it, locally unused parameters count as zero gradients: ``extra``
    gets rank 1's gradient averaged, ``never`` keeps no .grad."""
    model = Branchy()
    ddp = DDP(model)
    x, y = batches(10, 5, 3)[0]
    ddp(shard(x), R).sum().backward()
    try:
        ddp(shard(x), R)
    except RuntimeError as e:
        msg = str(e)
        want = "2 3 4 5" if R == 0 else "4 5"
        ok(msg.startswith("Expected to have finished reduction in the prior iteration before "
                          "starting a new one.") and
           f"Parameter indices which did not receive grad for rank {R}: {want}\n" in msg, msg)
    else:
        raise AssertionError("no RuntimeError for the unused parameters")
    model = Branchy()
    ddp = DDP(model, find_unused_parameters=True, bucket_cap_mb=0.0002)
    ref = Branchy()
    opt, ref_opt = sgd(ddp.parameters()), sgd(ref.parameters())
    for x, y in batches(11, 5, 3):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ddp(shard(x), R), shard(y)).backward()
        ref_opt.zero_grad()
        loss = sum(torch.nn.functional.mse_loss(ref(shard(x, r), r), shard(y, r))
                   for r in range(N)) / N
        loss.backward()
        for (n, p), q in zip(model.named_parameters(), ref.parameters()):
            if n.startswith("never"):
                ok(p.grad is None and q.grad is None, f"{n} unused everywhere: no .grad")
            else:
                close(p.grad, q.grad, f"find_unused_parameters gradient {n}")
        opt.step()
        ref_opt.step()
    same_on_every_rank(model, "find_unused_parameters")


def case_torch_buckets():
    """The rebuilt buckets equal torch's for the same module and bucket_cap_mb (torch's
    DDP in a world of one on gloo, in this process)."""
    try:
        import torch as real
    except ImportError:
        return
    import torch.distributed as tdist
    if R == 0:
        tdist.init_process_group("gloo", store=tdist.HashStore(), rank=0, world_size=1)
        for cap in (0.0002, 0.001):
            tm = real.nn.Sequential(real.nn.Linear(5, 16), real.nn.Tanh(),
                                    real.nn.Linear(16, 16), real.nn.Tanh(),
                                    real.nn.Linear(16, 3))
            td = real.nn.parallel.DistributedDataParallel(tm, bucket_cap_mb=cap)
            for _ in range(3):
                td(real.randn(4, 5)).sum().backward()
            want = [int(s) for s in
                    td._get_ddp_logging_data()["rebuilt_bucket_sizes"].split(", ")]
            ours = DDP(mlp(1).float(), bucket_cap_mb=cap)
            for _ in range(2):
                ours(torch.randn(4, 5, dtype=torch.float32)).sum().backward()
            ok(ours._get_bucket_sizes() == want, f"{ours._get_bucket_sizes()} != torch {want}")
        tdist.destroy_process_group()
    else:
        for cap in (0.0002, 0.001):
            ours = DDP(mlp(1).float(), bucket_cap_mb=cap)
            for _ in range(2):
                ours(torch.randn(4, 5, dtype=torch.float32)).sum().backward()


if mode == "train":
    for case in (case_mlp_buckets, case_as_bucket_view, case_batchnorm, case_no_sync,
                 case_unused, case_torch_buckets):
        case()
    print(f"rank {R} OK {checks}", flush=True)
elif mode == "fail":
    model = mlp(1)
    ddp = DDP(model, bucket_cap_mb=0.0005)
    import time
    start = time.monotonic()
    x, y = batches(1, 5, 3)[0]
    for step in range(3):
        if R == 1 and step == 2:
            raise ValueError("rank 1 fails on purpose")
        try:
            ddp(shard(x)).sum().backward()
        except dist.DistBackendError:
            print(f"rank {R} waited {time.monotonic() - start:.2f} s", flush=True)
            raise
    print(f"rank {R} never failed", flush=True)
dist.destroy_process_group() if not os.environ.get("GC_KEEP_GROUP") else None
