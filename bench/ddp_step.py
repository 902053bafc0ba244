"""DistributedDataParallel's step against one process: the MLP 784-512-512-10 (SGD momentum,
float32, cross-entropy) on CPU processes.

    OPENBLAS_NUM_THREADS=1 mpiexec -n 2 python bench/ddp_step.py [--rounds 3] [--steps 30]
    python -m gradcore.distributed.run --nproc-per-node 8 --backend nccl bench/ddp_step.py \
        --backend nccl                                  # one GPU per process

Each round times, in the same two processes: (a) DDP over both processes, each on half of a
batch of 256 (strong scaling) and (b) each on a batch of 256 (weak scaling); (c) both
processes at once on 128 rows without DDP (the cost of sharing the machine, no
communication); then (d) one process alone (rank 1 waits in a barrier) on the batch of 256
and (e) on 128, no DDP.  Prints the best round's median step of each (ms)."""
import argparse
import os
import time

import numpy as np

import gradcore as torch
import gradcore.distributed as dist
from gradcore.nn.parallel import DistributedDataParallel as DDP


DEVICE = ["cpu"]


def mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                               torch.nn.Linear(512, 512), torch.nn.ReLU(),
                               torch.nn.Linear(512, 10)).to(DEVICE[0])


def timed(model, batch, steps):
    """Median seconds of a forward + backward + SGD step on ``batch`` random rows."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 784, device=DEVICE[0])
    y = torch.randint(0, 10, (batch,), device=DEVICE[0])
    sync = torch.cuda.synchronize if DEVICE[0] != "cpu" else (lambda: None)
    times = []
    for i in range(steps + 3):
        sync()
        t0 = time.perf_counter()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sync()
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--backend", choices=("mpi", "nccl"), default="mpi")
    args = p.parse_args()
    ids = None
    if args.backend == "nccl":
        local = int(os.environ.get("LOCAL_RANK", 0))
        DEVICE[0], ids = f"cuda:{local}", [local]
        dist.init_process_group("nccl", device_id=torch.device("cuda", local))
    else:
        dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    best = {}
    for _ in range(args.rounds):
        row = {}
        ddp = DDP(mlp(), device_ids=ids)
        row[f"DDP {n} processes, {256 // n} rows each (batch 256)"] = timed(ddp, 256 // n,
                                                                          args.steps)
        row[f"DDP {n} processes, 256 rows each (batch {256 * n})"] = timed(ddp, 256,
                                                                         args.steps)
        dist.barrier()  # the control: both processes busy at once, no communication
        row[f"{n} processes at once, no DDP, {256 // n} rows each"] = timed(mlp(), 256 // n,
                                                                          args.steps)
        dist.barrier()
        if rank == 0:
            row["1 process, batch 256, no DDP"] = timed(mlp(), 256, args.steps)
            row[f"1 process, batch {256 // n}, no DDP"] = timed(mlp(), 256 // n, args.steps)
        dist.barrier()
        for k, v in row.items():
            best[k] = min(best.get(k, v), v)
    if rank == 0:
        for k, v in best.items():
            print(f"{k}: {v * 1e3:.2f} ms/step")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
