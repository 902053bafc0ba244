"""Data-parallel training with DistributedDataParallel: a small MLP on a synthetic dataset,
each process reading its shard through DistributedSampler.

    python -m gradcore.distributed.run --nproc-per-node 2 examples/ddp_train.py
    python -m gradcore.distributed.run --nproc-per-node 8 --backend nccl examples/ddp_train.py

Rank 0 prints the loss of every epoch (averaged over the processes) and saves the checkpoint
(ddp_checkpoint.pt; the wrapped module's state, without DDP's ``module.`` prefix)."""
import argparse
import os

import gradcore as torch
import gradcore.distributed as dist
from gradcore.nn.parallel import DistributedDataParallel as DDP
from gradcore.utils.data import DataLoader, TensorDataset
from gradcore.utils.data.distributed import DistributedSampler


def synthetic(n, seed=0):
    """n points of 20 features; the label is which of 4 random directions is nearest."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    centers = torch.randn(4, 20, generator=g)
    y = (x @ centers.t()).argmax(dim=1)
    return TensorDataset(x, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="mpi (CPU processes) or nccl (one GPU "
                        "a process); default: nccl when CUDA is available, else mpi")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--checkpoint", default="ddp_checkpoint.pt")
    args = parser.parse_args()
    backend = args.backend or ("nccl" if torch.cuda.is_available() else "mpi")
    if backend == "nccl":  # one GPU per process: the launcher's LOCAL_RANK picks it
        local = int(os.environ.get("LOCAL_RANK", 0))
        device, device_ids = torch.device("cuda", local), [local]
        dist.init_process_group(backend, device_id=device)
    else:
        device, device_ids = torch.device("cpu"), None
        dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()

    torch.manual_seed(0)  # the wrap broadcasts rank 0's parameters anyway
    model = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 4)).to(device)
    ddp = DDP(model, device_ids=device_ids)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
    data = synthetic(2048)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=args.batch_size, sampler=sampler)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a different shuffle each epoch, the same on every rank
        total = torch.zeros(2, dtype=torch.float64, device=device)  # loss sum, samples
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(ddp(x), y)
            loss.backward()  # the gradients are averaged over the processes here
            opt.step()
            total[0] += loss.detach().double() * len(y)
            total[1] += len(y)
        dist.all_reduce(total)  # the loss over every process's samples
        if rank == 0:
            print(f"epoch {epoch} loss {float(total[0] / total[1]):.4f}", flush=True)

    if rank == 0:
        torch.save(ddp.module.state_dict(), args.checkpoint)
        print(f"saved {args.checkpoint}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
