"""gradcore.utils.data: datasets, samplers, collation and DataLoader, as torch.utils.data.

``dataloader.py`` holds the datasets, the samplers, collation and DataLoader (its docstring says
how loading runs: in the main process); ``distributed.py`` holds DistributedSampler, the
per-process shard of a data-parallel job (``gradcore.utils.data.distributed``, as PyTorch's).
"""
from .dataloader import (  # noqa: F401
    Dataset, IterableDataset, TensorDataset, ConcatDataset, ChainDataset, Subset, random_split,
    Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
    BatchSampler, DataLoader,
    default_collate, default_convert, get_worker_info, collate, default_collate_fn_map,
    collate_tensor_fn, collate_numpy_array_fn, collate_numpy_scalar_fn, collate_float_fn,
    collate_int_fn, collate_str_fn)
from .distributed import DistributedSampler  # noqa: F401
from . import dataloader, distributed  # noqa: F401

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
           "default_collate",
           "default_convert", "get_worker_info", "DistributedSampler"]
