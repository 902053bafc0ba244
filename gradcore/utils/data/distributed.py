"""DistributedSampler: each process of a data-parallel job reads its own shard of a dataset,
as torch.utils.data.distributed.DistributedSampler (the same indices, bit for bit)."""
import math

from ..._generator import Generator
from ...ops.factories import randperm
from .dataloader import Sampler

DIST = [None]  # gradcore.distributed, bound by it on import (it sits above utils)

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
    drop_last=False): the indices of ``dataset`` that process ``rank`` of ``num_replicas``
    reads (by default both from the default process group of ``gradcore.distributed``).

    With ``shuffle`` the order is ``randperm(len(dataset))`` drawn from a ``Generator`` seeded
    with ``seed + epoch`` -- PyTorch's stream, so the indices equal torch's -- and every rank
    must pass the same ``seed``.  The list is padded by repeating its head (``drop_last=False``)
    or cut (``drop_last=True``) to a multiple of ``num_replicas``, and rank ``r`` takes every
    ``num_replicas``-th index from ``r``.  Call ``set_epoch(epoch)`` at the start of each epoch,
    before iterating, or every epoch repeats the same order.

        sampler = DistributedSampler(dataset)
        loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        for epoch in range(10):
            sampler.set_epoch(epoch)
            for batch in loader: ...
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            dist = DIST[0]
            if dist is None or not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(self.dataset)
        if self.drop_last and n % self.num_replicas != 0:
            # the nearest length below that splits evenly: every rank reads as many samples
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[:self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError(f"Number of indices ({len(indices)}) does not match "
                                 f"total_size ({self.total_size})")
        indices = indices[self.rank:self.total_size:self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(f"Number of subsampled indices ({len(indices)}) does not "
                                 f"match num_samples ({self.num_samples})")
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """set_epoch(epoch): the epoch the next iteration shuffles for (its generator is seeded
        with ``seed + epoch``), so every epoch reads a new order, the same on every rank."""
        self.epoch = epoch
