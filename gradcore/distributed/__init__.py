"""gradcore.distributed: torch.distributed's process groups and collectives on MPI (mpi4py,
CPU processes) and NCCL (CuPy, one GPU per process).

    import gradcore.distributed as dist
    dist.init_process_group("mpi")          # started by mpiexec or gradcore.distributed.run
    dist.all_reduce(t)                      # in place, ReduceOp.SUM

``process_group.py``: init_process_group, groups, ranks; ``collectives.py``: the tensor
collectives; ``objects.py``: the object collectives (safe serialisation, never pickle);
``work.py``: Work and the deadline every wait keeps; ``reducer.py``: DistributedDataParallel's
bucketed gradient all-reduce (``Reducer``, torch's ``_compute_bucket_assignment_by_size``);
``backend_mpi.py`` / ``backend_nccl.py``: the communicators; ``run.py``: the launcher
(``python -m gradcore.distributed.run``).
docs/distributed.md says how to run across machines and what each piece costs.
"""
from .errors import DistError, DistBackendError, DistNetworkError, DistStoreError
from .reduce_op import ReduceOp
from .work import Work
from .process_group import (
    ProcessGroup, GroupMember, group, Backend, init_process_group, is_initialized,
    destroy_process_group, new_group, get_rank, get_world_size, get_backend, get_global_rank,
    get_group_rank, get_process_group_ranks, is_mpi_available, is_nccl_available,
    is_gloo_available, is_torchelastic_launched, default_pg_timeout)
from .collectives import (
    all_reduce, broadcast, reduce, all_gather, all_gather_into_tensor, all_gather_single,
    reduce_scatter_tensor, reduce_scatter_single, gather, scatter, all_to_all_single, send,
    recv, isend, irecv, barrier)
from .objects import (all_gather_object, broadcast_object_list, gather_object,
                      scatter_object_list)
from .reducer import (Reducer, DEFAULT_FIRST_BUCKET_BYTES as _DEFAULT_FIRST_BUCKET_BYTES,  # noqa: F401
                      compute_bucket_assignment_by_size as _compute_bucket_assignment_by_size)


def is_available():
    """is_available(): True -- the distributed package is built (whether a backend can run
    is ``is_mpi_available()`` / ``is_nccl_available()``)."""
    return True


__all__ = ["is_available", "DistError", "DistBackendError", "DistNetworkError",
           "DistStoreError", "ReduceOp", "Work", "ProcessGroup", "GroupMember", "group",
           "Backend", "init_process_group", "is_initialized", "destroy_process_group",
           "new_group", "get_rank", "get_world_size", "get_backend", "get_global_rank",
           "get_group_rank", "get_process_group_ranks", "is_mpi_available",
           "is_nccl_available", "is_gloo_available", "is_torchelastic_launched",
           "default_pg_timeout", "all_reduce", "broadcast", "reduce", "all_gather",
           "all_gather_into_tensor", "all_gather_single", "reduce_scatter_tensor",
           "reduce_scatter_single", "gather", "scatter", "all_to_all_single", "send", "recv",
           "isend", "irecv", "barrier", "all_gather_object", "broadcast_object_list",
           "gather_object", "scatter_object_list", "Reducer"]

import sys as _sys  # noqa: E402
from ..utils.data import distributed as _sampler  # noqa: E402

_sampler.DIST[0] = _sys.modules[__name__]  # DistributedSampler asks the default group through it
