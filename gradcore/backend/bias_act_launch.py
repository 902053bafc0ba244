"""Launch planning for kernels/bias_act.cu: a GEMM's bias + activation epilogue and its
backward on CUDA (the references: ops/bias_act.py).

``CupyBackend._launch_bias_act`` hands the two kernels here; each returns its result or None
to decline (the CuPy-ops route): a dtype without the kernel (integers, bool), mixed
dtypes, shapes other than (rows, cols) with a bias of (cols,), empty arrays, an unknown
activation.  No CuPy import: ``CupyBackend(0, xp=numpy)`` runs them against an emulator.
"""
import numpy as np

BIAS_ACT = "bias_act.cu"
ACTS = {"none": 0, "relu": 1, "gelu": 2, "gelu_tanh": 3}   # = GC_ACT_* in bias_act.cu
ROW_CHUNK = 256  # rows a thread sums down a column (the chunks depend on the shape only)
THREADS = 256


def forward(be, x, b, act):
    """(y, pre): pre = x + b rounded to the dtype, written into ``x`` (a GEMM output the
    caller hands over), and y = act(pre) (``x`` itself for act 'none')."""
    dt = x.dtype
    if (dt.char not in "efdE" or b.dtype != dt or x.ndim != 2 or b.shape != x.shape[1:]
            or x.size == 0 or act not in ACTS):
        return None
    x, b = be._contiguous(x, b)
    y = x if act == "none" else be.xp.empty(x.shape, dtype=dt)
    be._launch(BIAS_ACT, "bias_act_forward<{T}>", dt, x.size,
               (x, b, y, np.int64(x.shape[0]), np.int64(x.shape[1]), np.int32(ACTS[act])))
    return y, x


def backward(be, gy, s, act):
    """(gx, gb): gy through the activation at ``s`` (y for relu, the pre-activation for
    gelu, None for 'none'), and gx's column sums (in opmath, summed in chunks of ROW_CHUNK
    rows by sum_to's passes, rounded once)."""
    dt = gy.dtype
    if (dt.char not in "efdE" or gy.ndim != 2 or gy.size == 0 or act not in ACTS
            or (s is None) != (act == "none")
            or s is not None and (s.dtype != dt or s.shape != gy.shape)):
        return None
    rows, cols = gy.shape
    gy, = be._contiguous(gy)
    s = gy if s is None else be._contiguous(s)[0]
    chunk = rows if rows <= 2 * ROW_CHUNK else ROW_CHUNK
    chunks = -(-rows // chunk)
    part = be.xp.empty((chunks, cols), dtype=np.float32 if dt.char in "eE" else dt)
    gx = be.xp.empty(gy.shape, dtype=dt)
    be._launch(BIAS_ACT, "bias_act_backward<{T}>", dt, chunks * cols,
               (gy, s, gx, part, np.int64(rows), np.int64(cols), np.int64(chunk),
                np.int32(ACTS[act])), per_block=THREADS)
    gb = part[0] if chunks == 1 else be.sum_to(part, (1, cols)).reshape(cols)
    return gx, gb.astype(dt, copy=False)
