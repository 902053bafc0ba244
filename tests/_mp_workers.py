"""Child-process entry points for tests/test_multiprocessing.py (spawned processes import
them by module path, so they live at a module's top level)."""
import os


def put_tensor(rank, queue):
    import gradcore
    queue.put((rank, gradcore.arange(3.0) * (rank + 1),
               gradcore.tensor([rank], dtype=gradcore.int32),
               gradcore.nn.Parameter(gradcore.ones(2))))


def write_rank(rank, folder):
    with open(os.path.join(folder, f"rank{rank}"), "w") as f:
        f.write(str(rank))


def fail_on_one(rank):
    if rank == 1:
        raise ValueError(f"rank {rank} is broken")


def exit_with_three(rank):
    os._exit(3)
