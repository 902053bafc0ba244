"""all_reduce time against message size, 1 KiB .. 64 MiB: gradcore.distributed (MPI), mpi4py's
blocking Allreduce on NumPy arrays, and torch's gloo, interleaved in the same processes.

    OPENBLAS_NUM_THREADS=1 mpiexec -n 2 python bench/distributed_allreduce.py

Prints a markdown table row per size (microseconds, the best of 3 rounds; docs/distributed.md
keeps the measured table)."""
import os
import time

import numpy as np

import torch
import torch.distributed as tdist
from mpi4py import MPI

import gradcore
import gradcore.distributed as dist

dist.init_process_group("mpi")
r = dist.get_rank()
os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29655")
tdist.init_process_group("gloo", rank=r, world_size=2)
c = MPI.COMM_WORLD
for nbytes in [1 << 10, 1 << 14, 1 << 17, 1 << 20, 1 << 23, 1 << 26]:
    n = nbytes // 4
    g = gradcore.ones(n); t = torch.ones(n); a = np.ones(n, np.float32); b = np.empty_like(a)
    reps = max(3, min(200, (1 << 24) // nbytes))
    res = {"gc": [], "gloo": [], "mpi4py": []}
    for rep in range(3):
        for k, f in (("gc", lambda: dist.all_reduce(g)), ("gloo", lambda: tdist.all_reduce(t)), ("mpi4py", lambda: c.Allreduce(a, b))):
            dist.barrier(); f()
            t0 = time.perf_counter()
            for _ in range(reps): f()
            res[k].append((time.perf_counter() - t0) / reps)
    if r == 0:
        m = {k: min(v) for k, v in res.items()}
        print(f"| {nbytes/1024:.0f} KiB | {m['gc']*1e6:.0f} | {m['mpi4py']*1e6:.0f} | {m['gloo']*1e6:.0f} | {nbytes/m['gc']/1e9:.2f} |", flush=True)
tdist.destroy_process_group(); dist.destroy_process_group()
