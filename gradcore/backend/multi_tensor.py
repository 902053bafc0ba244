"""The multi-tensor launches of kernels/multi_tensor.cu (PyTorch's multi_tensor_apply): many
parameters' optimizer updates in one kernel launch.

Every tensor of a list is cut into chunks (``chunk_size``: PyTorch's 65536 elements, or less --
down to 4096 -- where that would leave SMs idle: the 784-512-512-10 MLP's 670K parameters are
15 chunks of 65536, 167 of 4096 on an H100's 132 SMs); a launch takes a table -- the
``gc_tensor_list`` struct, passed by value as a one-element NumPy structured array of the
layout TENSOR_LIST -- of up to TENSORS tensors (their addresses in each list: the parameter,
its gradient, its state; their sizes; Adam's per-tensor bias corrections) and up to BLOCKS
chunks (for each block of the launch: which tensor, which chunk).  A list longer than one table
takes several launches (``plan``, PyTorch's packing: a tensor whose chunks overflow a launch
continues in the next one).  Everything here is a pure function of sizes, addresses and the
arguments, except ``launch_sgd`` / ``launch_adam``, which CupyBackend's ``_launch_multi_tensor``
calls.
"""
import functools

import numpy as np

FILE = "multi_tensor.cu"
DEPTH = 5          # = GC_MT_DEPTH: lists a table holds
TENSORS = 32       # = GC_MT_TENSORS: tensors a launch takes
BLOCKS = 320       # = GC_MT_BLOCKS: chunks (blocks) a launch takes
CHUNK = 65536      # PyTorch's kChunkSize: elements a block updates (at most)
MIN_CHUNK = 4096   # = GC_THREADS * GC_UNROLL * 4: a block's four tiles
KINDS = "efdE"     # float16, float32, float64, bfloat16 (ml_dtypes' char)

TENSOR_LIST = np.dtype([("addr", "<i8", (DEPTH, TENSORS)), ("numel", "<i8", (TENSORS,)),
                        ("neg_step_size", "<f8", (TENSORS,)),
                        ("bias_correction2_sqrt", "<f8", (TENSORS,)),
                        ("block_chunk", "<i4", (BLOCKS,)), ("block_tensor", "u1", (BLOCKS,))])
assert TENSOR_LIST.itemsize == 3648  # = sizeof(gc_tensor_list), static_assert'ed in the .cu


def chunk_size(total, sm_count):
    """Elements per block for ``total`` elements on ``sm_count`` SMs: the smallest power of two
    from MIN_CHUNK to CHUNK that makes at most two blocks per SM (so a small model's update
    still spreads over the whole GPU, a large one's takes PyTorch's chunks)."""
    chunk = MIN_CHUNK
    while chunk < CHUNK and -(-total // chunk) > 2 * sm_count:
        chunk *= 2
    return chunk


def plan(sizes, chunk=CHUNK):
    """The launches for tensors of ``sizes`` elements cut in chunks of ``chunk``: a list of
    (tensors, block_slot, block_chunk) -- ``tensors`` the indices into ``sizes`` in the
    table's slots, and for each block its slot and chunk index (int arrays).  Empty tensors
    take no slot.  (Vectorized: a step's plan must cost little next to the launch it saves.)"""
    sizes = np.asarray(sizes, dtype=np.int64).reshape(-1)
    chunks = -(-sizes // chunk)
    nonempty = np.flatnonzero(chunks)                 # the tensors that get slots, in order
    counts = chunks[nonempty]
    total = int(counts.sum())
    if total == 0:
        return []
    run = np.repeat(np.arange(nonempty.size), counts)  # each block's nonempty tensor
    starts = np.cumsum(counts) - counts               # each one's first block
    chunk_index = np.arange(total) - starts[run]
    if total <= BLOCKS and nonempty.size <= TENSORS:  # the usual case: one table
        return [(nonempty, run, chunk_index)]
    launches, b0 = [], 0
    while b0 < total:
        r0 = int(run[b0])
        b1 = min(b0 + BLOCKS, total)
        if r0 + TENSORS < nonempty.size:
            b1 = min(b1, int(starts[r0 + TENSORS]))
        launches.append((nonempty[r0:int(run[b1 - 1]) + 1], run[b0:b1] - r0,
                         chunk_index[b0:b1]))
        b0 = b1
    return launches


@functools.lru_cache(maxsize=64)
def _plan(sizes, chunk):
    """plan() of a tuple of sizes, kept: an optimizer's parameters keep their sizes from step
    to step, so each step after the first finds its plan here."""
    return plan(sizes, chunk)


def address(a):
    """The address of ``a``'s first element: a CuPy array's device pointer, else (NumPy, for
    the emulator) its host address."""
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return a.data.ptr


def table(addresses, numel, tensors, block_slot, block_chunk, steps=None):
    """The gc_tensor_list of one launch: ``addresses`` (lists x tensors, int64: absent lists
    hold the parameter's addresses, never read) and ``numel`` of every tensor, the launch's
    ``tensors`` (indices, in slot order) and blocks, ``steps`` an (tensors, 2) array of
    (neg_step_size, bias_correction2_sqrt) or None."""
    tl = np.zeros(1, dtype=TENSOR_LIST)
    n = len(tensors)
    tl["addr"][0, :, :n] = addresses[:, tensors]
    tl["numel"][0, :n] = numel[tensors]
    if steps is not None:
        tl["neg_step_size"][0, :n] = steps[tensors, 0]
        tl["bias_correction2_sqrt"][0, :n] = steps[tensors, 1]
    tl["block_tensor"][0, :len(block_slot)] = block_slot
    tl["block_chunk"][0, :len(block_chunk)] = block_chunk
    return tl


def opmath(dt):
    """The dtype the kernels compute a storage dtype in: float32 for float16 and bfloat16."""
    return np.dtype(np.float32) if dt.char in "eE" else dt


def suited(be, lists):
    """The lists with each gradient made contiguous when the kernel can update them in place:
    one dtype it is instantiated for, C-contiguous parameters and state of the parameter's
    shape; else None (the caller takes the reference, per tensor)."""
    params = lists[0]
    if not params:
        return None
    dt = params[0].dtype
    if dt.char not in KINDS:
        return None
    for k, arrays in enumerate(lists):
        if arrays is None:
            continue
        if len(arrays) != len(params) or any(
                a.dtype != dt or a.shape != p.shape or (k != 1 and not a.flags.c_contiguous)
                for a, p in zip(arrays, params)):
            return None
    out = list(lists)
    out[1] = list(be._contiguous(*lists[1]))
    return out


def _run(be, name, lists, scalars, steps=None):
    params = lists[0]
    dt = params[0].dtype
    sizes = tuple(p.size for p in params)
    numel = np.array(sizes, dtype=np.int64)
    chunk = chunk_size(int(numel.sum()), be._sm_count)
    own = [address(p) for p in params]
    addresses = np.array([own if arrays is None else [address(a) for a in arrays]
                          for arrays in lists] + [own] * (DEPTH - len(lists)), dtype=np.int64)
    steps = None if steps is None else np.asarray(steps, dtype=np.float64)
    for tensors, block_slot, block_chunk in _plan(sizes, chunk):
        tl = table(addresses, numel, tensors, block_slot, block_chunk, steps)
        be._launch(FILE, name, dt, len(block_slot),
                   (tl, np.int32(len(block_slot)), np.int64(chunk)) + scalars, per_block=1)


def launch_sgd(be, scalars_of, params, grads, bufs, lr, momentum, dampening, nesterov,
               weight_decay, maximize, first):
    """multi_tensor_sgd over the lists; True when it ran, None to decline.  ``scalars_of(dt,
    *values)`` rounds the scalars (cupy_backend._scalars)."""
    if momentum != 0 and bufs is None:
        return None
    lists = suited(be, [params, grads, bufs if momentum != 0 else None])
    if lists is None:
        return None
    flags = ((1 if weight_decay != 0 else 0) | (2 if maximize else 0)
             | (4 if momentum != 0 else 0) | (8 if first else 0)
             | (16 if dampening != 0 else 0) | (32 if nesterov else 0))
    scalars = scalars_of(opmath(params[0].dtype), weight_decay, momentum, 1 - dampening, -lr)
    _run(be, "multi_tensor_sgd<{T}>", lists, scalars + (np.int32(flags),))
    return True


def launch_adam(be, scalars_of, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps,
                lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled):
    """multi_tensor_adam over the lists, ``steps`` the step count of each tensor; True when it
    ran, None to decline."""
    if amsgrad and max_exp_avg_sqs is None:
        return None
    lists = suited(be, [params, grads, exp_avgs, exp_avg_sqs,
                        max_exp_avg_sqs if amsgrad else None])
    if lists is None or len(steps) != len(params):
        return None
    m = opmath(params[0].dtype)
    w = m.type(1 - beta1)  # lerp's weight, rounded as the reference rounds it
    flags = ((1 if weight_decay != 0 and decoupled else 0)
             | (2 if weight_decay != 0 and not decoupled else 0)
             | (4 if maximize else 0) | (8 if amsgrad else 0) | (16 if abs(w) < 0.5 else 0))
    scalars = scalars_of(m, 1 - lr * weight_decay, weight_decay, w, m.type(1) - w, beta2,
                         1 - beta2, eps)
    per_tensor = [(-(lr / (1 - beta1 ** s)), (1 - beta2 ** s) ** 0.5) for s in steps]
    _run(be, "multi_tensor_adam<{T}>", lists, scalars + (np.int32(flags),), per_tensor)
    return True
