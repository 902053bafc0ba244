"""DistributedDataParallel: one replica of a module per process, gradients averaged across the
process group during backward (PyTorch's ``torch.nn.parallel.DistributedDataParallel``).

At wrap time the parameter shapes are checked against rank 0's and the parameters and
buffers are broadcast from rank 0 (coalesced per dtype, 250 MiB a message).  Each forward
broadcasts the buffers again (``broadcast_buffers`` / ``forward_sync_buffers``), runs the
module, and arms the reducer (``gradcore.distributed.reducer``: bucketed ``async_op``
all-reduces launched from ``register_post_accumulate_grad_hook`` as buckets fill, all waited
and written into ``.grad`` before backward returns).  ``no_sync()`` skips the reduction:
gradients accumulate locally, the next synchronized backward reduces their sum."""
import sys
import warnings
from contextlib import contextmanager

import numpy as np

from ... import distributed as dist
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...distributed import process_group as _pg
from ...distributed.reducer import (DEFAULT_FIRST_BUCKET_BYTES, Reducer,
                                    compute_bucket_assignment_by_size)
from ...tensor import Tensor, _wrap
from ..module import Module
from ..parameter import UninitializedParameter

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024
_DEFAULT_BUCKET_CAP_MB = 25
_BROADCAST_BUCKET = 250 * _MB
_MAX_DIMS = 8  # dimensions of a parameter compared at wrap time


def _find_tensors(obj):
    """The tensors in a forward's output (nested lists, tuples, dicts)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _find_tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _find_tensors(o)


def _to_device(obj, device):
    """``obj`` with every tensor in it moved to ``device`` (a string; tuples, lists, dicts
    kept; a tensor already there is passed as it is)."""
    if isinstance(obj, Tensor):
        return obj if str(obj.device) == device else obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_to_device(o, device) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, device)) for k, v in obj.items())
    return obj


def _device_index(d):
    if isinstance(d, int):
        return d
    if isinstance(d, str):
        return int(d.split(":")[1]) if ":" in d else 0
    return d.index if d.index is not None else 0


def _broadcast_coalesced(group, tensors, src=0, cap=_BROADCAST_BUCKET):
    """Broadcast ``tensors`` from group rank ``src`` in place: one message per run of at most
    ``cap`` bytes of one dtype and device (PyTorch's _broadcast_coalesced)."""
    runs, current = [], {}
    for t in tensors:
        key = (t.dtype, t.device)
        run = current.get(key)
        if run is None or run[1] + t._arr.nbytes > cap and run[0]:
            run = current[key] = [[], 0]
            runs.append(run)
        run[0].append(t)
        run[1] += t._arr.nbytes
    for ts, _ in runs:
        be = ts[0]._be
        flat = be.xp.concatenate([be.xp.ascontiguousarray(t._arr).reshape(-1) for t in ts])
        dist.broadcast(_wrap(flat, be), group=group, group_src=src)
        off = 0
        for t in ts:
            n = t._arr.size
            t._arr[...] = flat[off:off + n].reshape(t._arr.shape)
            off += n


class DistributedDataParallel(Module):
    """DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=None, init_sync=True, process_group=None, bucket_cap_mb=None,
    find_unused_parameters=False, check_reduction=False, gradient_as_bucket_view=False,
    static_graph=False, ..., bucket_cap_mb_list=None, forward_sync_buffers=None)

    Data parallelism across the processes of ``process_group`` (default: the world): every
    process holds a replica of ``module``, runs it on its own shard of the batch, and after
    ``backward`` every replica's ``.grad`` holds the average of the processes' gradients, so
    the optimizer steps keep the replicas equal.  Gradients are reduced in buckets of
    ``bucket_cap_mb`` MiB (25; the first built after the first iteration 1 MiB) while backward
    runs.  ``device_ids=[i]`` (a CUDA module, one GPU per process): inputs are moved to
    ``cuda:i``.  ``find_unused_parameters=True``: parameters the forward's outputs do not
    reach count as zero gradients (without it such a parameter makes the next forward raise).
    ``gradient_as_bucket_view=True``: each ``.grad`` is a view of its bucket (no copy).
    ``broadcast_buffers`` (deprecated in PyTorch 2.13 for ``forward_sync_buffers``): broadcast
    the buffers from rank 0 before each forward.  ``no_sync()``: a context in which gradients
    accumulate locally.  The wrapped module is ``.module``; ``state_dict`` keys start with
    ``module.``."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        if (delay_all_reduce_named_params is not None) != (param_to_hook_all_reduce is not None):
            raise ValueError("delay_all_reduce_named_params and param_to_hook_all_reduce need "
                             "to be set at the same time.")
        if process_group and device_mesh is not None:
            raise RuntimeError("Cannot specify both process_group and device_mesh arguments.")
        for name, value in (("delay_all_reduce_named_params", delay_all_reduce_named_params),
                            ("mixed_precision", mixed_precision), ("device_mesh", device_mesh)):
            if value is not None:
                raise NotImplementedError(f"DistributedDataParallel({name}=...) is not "
                                          f"supported by gradcore")
        if skip_all_reduce_unused_params:
            raise NotImplementedError("DistributedDataParallel(skip_all_reduce_unused_params="
                                      "True) is not supported by gradcore")
        self.process_group = _pg._default() if process_group is None else process_group
        self.parameters_to_ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore",
                                                ()))
        self._module_parameters = [p for n, p in module.named_parameters()
                                   if n not in self.parameters_to_ignore]
        if not any(p.requires_grad for p in self._module_parameters):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        self.is_multi_device_module = len({p.device for p in self._module_parameters}) > 1
        types = {p.device.type for p in self._module_parameters}
        if len(types) != 1:
            raise ValueError(f"DistributedDataParallel's input module must be on the same type "
                             f"of devices, but input module parameters locate in {types}.")
        self.device_type = next(iter(types))
        if (device_ids is None or len(device_ids) == 0 or self.device_type == "cpu"
                or self.is_multi_device_module):
            if device_ids or output_device:
                devices = {p.device for p in self._module_parameters}
                raise ValueError(
                    f"DistributedDataParallel device_ids and output_device arguments only work "
                    f"with single-device/multiple-device GPU modules or CPU modules, but got "
                    f"device_ids {device_ids}, output_device {output_device}, and module "
                    f"parameters {devices}.")
            self.device_ids = self.output_device = None
        else:
            self.device_ids = [_device_index(d) for d in device_ids]
            self.output_device = _device_index(device_ids[0] if output_device is None
                                               else output_device)
        self.static_graph = static_graph
        self.dim, self.module = dim, module
        self.device = self._module_parameters[0].device
        if broadcast_buffers is not None:
            if forward_sync_buffers is not None:
                warnings.warn("Both `broadcast_buffers` and `forward_sync_buffers` were "
                              "specified. `broadcast_buffers` is deprecated and its value is "
                              "ignored when `forward_sync_buffers` is provided.", FutureWarning,
                              stacklevel=2)
            else:
                warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` "
                              "instead. IMPORTANT: unlike `broadcast_buffers=False`, "
                              "`forward_sync_buffers=False` still syncs buffers at init. If "
                              "you rely on buffers NOT being synced at init (e.g. rank-local "
                              "buffers), keep using `broadcast_buffers=False` until "
                              "`init_sync_buffers` is available.", FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers, init_sync_buffers = forward_sync_buffers, True
        else:
            self.forward_sync_buffers = True if broadcast_buffers is None else broadcast_buffers
            init_sync_buffers = self.forward_sync_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = self.require_forward_param_sync = True
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.batched_grad_copy, self.mixed_precision = batched_grad_copy, None
        if check_reduction:
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module "
                          "is deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        for p in self._module_parameters:
            if isinstance(p, UninitializedParameter):
                raise RuntimeError("Modules with uninitialized parameters can't be used with "
                                   "`DistributedDataParallel`. Run a dummy forward pass to "
                                   "correctly initialize the modules")
        self.broadcast_bucket_size = _BROADCAST_BUCKET
        limits, rebuild = self._bucket_limits(bucket_cap_mb, bucket_cap_mb_list)
        parameters = self._build_params_for_reducer()
        if init_sync:
            self._verify_param_shapes(parameters)
            states = [p for n, p in module.named_parameters()
                      if n not in self.parameters_to_ignore]
            if init_sync_buffers:
                states += [b for n, b in module.named_buffers()
                           if n not in self.parameters_to_ignore]
            with no_grad():
                _broadcast_coalesced(self.process_group, states, 0, self.broadcast_bucket_size)
        buckets, _ = compute_bucket_assignment_by_size(parameters, limits)
        # reduced in reverse order: the gradients of the last layers are ready first
        self.reducer = Reducer(parameters, list(reversed(buckets)), self.process_group,
                               rebuild_limits=rebuild,
                               find_unused_parameters=find_unused_parameters,
                               gradient_as_bucket_view=gradient_as_bucket_view,
                               static_graph=static_graph)
        self._has_rebuilt_buckets = False

    # ---- construction helpers --------------------------------------------------------------
    def _bucket_limits(self, bucket_cap_mb, bucket_cap_mb_list):
        """(initial limits, rebuild limits) in bytes, as PyTorch's _BucketCapacityConfig: one
        bucket for the first iteration unless find_unused_parameters (the order gradients
        come in is not known yet), then ``bucket_cap_mb`` MiB (25), the first 1 MiB when
        the default is used."""
        default = bucket_cap_mb is None and not bucket_cap_mb_list
        cap_mb = _DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        if bucket_cap_mb_list:
            caps = [int(c * _MB) for c in bucket_cap_mb_list]
            self.bucket_bytes_cap = int(max(bucket_cap_mb_list) * _MB)
            return caps, caps
        self.bucket_bytes_cap = int(cap_mb * _MB)
        first = DEFAULT_FIRST_BUCKET_BYTES if default else self.bucket_bytes_cap
        rebuild = [first, self.bucket_bytes_cap]
        if self.static_graph or not self.find_unused_parameters:
            return [sys.maxsize], rebuild
        if first < self.bucket_bytes_cap:
            return [first, self.bucket_bytes_cap], rebuild
        return [self.bucket_bytes_cap], rebuild

    def _build_params_for_reducer(self):
        """The parameters that require grad, module by module, each once."""
        seen, params = set(), []
        for mname, m in self.module.named_modules():
            for pname, p in m.named_parameters(recurse=False):
                full = f"{mname}.{pname}" if mname else pname
                if p.requires_grad and full not in self.parameters_to_ignore \
                        and id(p) not in seen:
                    seen.add(id(p))
                    params.append(p)
        return params

    def _verify_param_shapes(self, params):
        """Every rank must wrap the same model: rank 0's parameter count and shapes (int64
        tensors on the parameters' device: an all_gather of the counts, a broadcast of rank
        0's shapes, 8 dimensions a parameter)."""
        g, be = self.process_group, params[0]._be
        me, n = g.rank(), len(params)

        def ints(values):
            return _wrap(be.xp.asarray(np.asarray(values, dtype=np.int64)), be)

        counts = [ints([0]) for _ in range(g.size())]
        dist.all_gather(counts, ints([n]), group=g)
        for r, c in enumerate(counts):
            theirs = int(be.to_host(c._arr)[0])
            if theirs != n:
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {me} "
                                   f"has {n} params, while rank {r} has inconsistent "
                                   f"{theirs} params.")
        mine = np.zeros((n, _MAX_DIMS + 1), np.int64)
        for i, p in enumerate(params):
            shape = tuple(p.shape)[:_MAX_DIMS]
            mine[i, 0], mine[i, 1:1 + len(shape)] = p.dim(), shape
        meta = ints(mine)
        dist.broadcast(meta, group=g, group_src=0)
        zero = be.to_host(meta._arr)
        for i, p in enumerate(params):
            if not np.array_equal(zero[i], mine[i]):
                raise RuntimeError(f"[{me}]: params[{i}] in this process with sizes "
                                   f"{list(p.shape)} appears not to match sizes of the same "
                                   f"param in process 0.")

    # ---- forward ---------------------------------------------------------------------------
    @contextmanager
    def no_sync(self):
        """no_sync(): a context in which backward does not synchronize gradients: they
        accumulate in ``.grad`` and the first synchronized backward after it reduces their
        sum.  The forward must run inside the context too."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def will_sync_module_buffers(self):
        """Whether the next forward broadcasts the buffers from rank 0."""
        return (self.require_forward_param_sync and self.forward_sync_buffers
                and any(True for n, _ in self.module.named_buffers()
                        if n not in self.parameters_to_ignore))

    @property
    def broadcast_buffers(self):
        """Whether each forward broadcasts the buffers (``forward_sync_buffers``)."""
        return self.forward_sync_buffers

    @broadcast_buffers.setter
    def broadcast_buffers(self, value):
        self.forward_sync_buffers = value

    def _sync_buffers(self):
        bufs = [b for n, b in self.module.named_buffers() if n not in self.parameters_to_ignore]
        with no_grad():
            _broadcast_coalesced(self.process_group, bufs, 0, self.broadcast_bucket_size)

    def _pre_forward(self, *inputs, **kwargs):
        grad = is_grad_enabled()
        if grad and self.require_backward_grad_sync:
            self.reducer.prepare_for_forward()
        if grad and self.reducer.rebuild_buckets():
            self._has_rebuilt_buckets = True
        if self.will_sync_module_buffers():
            self._sync_buffers()
        if self.device_ids:
            device = f"{self.device_type}:{self.device_ids[0]}"
            inputs, kwargs = _to_device(inputs, device), _to_device(kwargs, device)
        return inputs, kwargs

    def _post_forward(self, output):
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self.reducer.prepare_for_backward(
                list(_find_tensors(output)) if self.find_unused_parameters
                or self.static_graph else [])
        else:
            self.require_forward_param_sync = False
        return output

    def forward(self, *inputs, **kwargs):
        """forward(*inputs, **kwargs): the wrapped module's forward, with the buffers
        broadcast first and the gradient reduction armed for the next backward."""
        inputs, kwargs = self._pre_forward(*inputs, **kwargs)
        return self._post_forward(self.module(*inputs, **kwargs))

    def train(self, mode=True):
        """train(mode=True): the module's train(); returns self."""
        super().train(mode)
        return self

    def _get_bucket_sizes(self):
        """The reducer's bucket sizes in bytes, in reduction order (PyTorch's logging data
        ``bucket_sizes``)."""
        return self.reducer.bucket_sizes()
