"""all_reduce time against message size, 1 KiB .. 64 MiB: gradcore.distributed (MPI), mpi4py's
blocking Allreduce on NumPy arrays, and torch's gloo when torch is installed, interleaved in
the same processes.

    OPENBLAS_NUM_THREADS=1 mpiexec -n 2 python bench/distributed_allreduce.py

Prints a markdown table row per size (microseconds, the best of 3 rounds; docs/distributed.md
keeps the measured table; the gloo column is "-" without torch)."""
import importlib.util
import os
import time

import numpy as np


def main():
    from mpi4py import MPI

    import gradcore
    import gradcore.distributed as dist

    dist.init_process_group("mpi")
    r = dist.get_rank()
    tdist = None
    if importlib.util.find_spec("torch") is not None:
        import torch
        import torch.distributed as tdist
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29655")
        tdist.init_process_group("gloo", rank=r, world_size=2)
    c = MPI.COMM_WORLD
    for nbytes in [1 << 10, 1 << 14, 1 << 17, 1 << 20, 1 << 23, 1 << 26]:
        n = nbytes // 4
        g, a, b = gradcore.ones(n), np.ones(n, np.float32), np.empty(n, np.float32)
        runs = [("gc", lambda: dist.all_reduce(g)), ("mpi4py", lambda: c.Allreduce(a, b))]
        if tdist is not None:
            t = torch.ones(n)
            runs.append(("gloo", lambda: tdist.all_reduce(t)))
        reps = max(3, min(200, (1 << 24) // nbytes))
        res = {k: [] for k, _ in runs}
        for _ in range(3):
            for k, f in runs:
                dist.barrier()
                f()
                t0 = time.perf_counter()
                for _ in range(reps):
                    f()
                res[k].append((time.perf_counter() - t0) / reps)
        if r == 0:
            m = {k: min(v) for k, v in res.items()}
            gloo = f"{m['gloo'] * 1e6:.0f}" if "gloo" in m else "-"
            print(f"| {nbytes / 1024:.0f} KiB | {m['gc'] * 1e6:.0f} | {m['mpi4py'] * 1e6:.0f} | "
                  f"{gloo} | {nbytes / m['gc'] / 1e9:.2f} |", flush=True)
    if tdist is not None:
        tdist.destroy_process_group()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
