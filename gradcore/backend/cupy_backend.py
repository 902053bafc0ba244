"""The CuPy backend: arrays on ``cuda:N``.

It has the NumPy backend's surface.  The backward kernels of elementwise ops, reductions and
losses and the optimizer updates run as RawKernels from ``kernels/*.cu`` (docs/kernels.md);
every other kernel function is inherited from the NumPy backend (written against ``self.xp``).
Each RawKernel method checks that its arrays suit the kernel (dtype, layout, size) and
otherwise returns the inherited CuPy-ops result: the routes are the ``None`` returns of the
``_unary``/``_binary``/... helpers below, one reason each.

Every module is loaded through ``load_module`` -- the one loader seam -- so tests can hand in
another loader with ``set_loader`` (a recorder, or an emulator running the same ``.cu`` source
on the CPU), and ``CupyBackend(0, xp=numpy)`` builds the backend without a GPU.
"""
import functools
import math
import os
import re

import numpy as np

from .._device import device
from . import bias_act_launch, capture, conv_launch, kernels, multi_tensor
from .numpy_backend import NumpyBackend
from .xp_stream import XpStream


# ---- kernel sources and the loader seam -------------------------------------------------------

def kernels_dir():
    """Where the ``.cu`` sources are: inside the installed package, or the checkout's kernels/."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for cand in (os.path.join(here, "kernels"), os.path.join(os.path.dirname(here), "kernels")):
        if os.path.isdir(cand):
            return cand
    raise FileNotFoundError("gradcore's kernels/ directory is missing from this installation")


_INCLUDE = re.compile(r'^#include "([\w.]+)"[ \t]*$', re.M)


def kernel_source(path):
    """The source NVRTC compiles for the ``.cu`` file at ``path``: its local ``#include "..."``
    files pasted in (each once), so the text -- CuPy's cache key -- covers every file the
    module is built from.  (No #line directives: with CUPY_NVRTC_USE_PCH=1 they make NVRTC
    warn that it can't build a precompiled header.)"""
    folder, seen = os.path.dirname(path), set()

    def expand(name):
        if name in seen:
            return ""
        seen.add(name)
        with open(os.path.join(folder, name)) as f:
            text = f.read()
        return _INCLUDE.sub(lambda m: f"// ---- {m.group(1)} ----\n" + expand(m.group(1)), text)

    return expand(os.path.basename(path))


def _cupy_loader(path, name_expressions, options=()):
    import cupy
    return cupy.RawModule(code=kernel_source(path), options=tuple(options),
                          name_expressions=tuple(name_expressions))


_loader = [_cupy_loader]
_modules = {}
_functions = {}


def set_loader(loader):
    """Swap the function that turns a .cu file into a module (returns the previous one).

    ``loader(path, name_expressions, options)`` returns an object whose ``get_function(name)``
    gives a callable ``(grid, block, args)``; every cached module and function is dropped."""
    prev, _loader[0] = _loader[0], loader
    _modules.clear()
    _functions.clear()
    return prev


KERNEL_OPTIONS = ("--std=c++17",)


def load_module(path, name_expressions, options=KERNEL_OPTIONS, device=None):
    """Compile (once per device, file and instantiations) and return a module whose
    ``get_function(name)(grid, block, args)`` launches a kernel."""
    key = (device, path, tuple(name_expressions), tuple(options))
    mod = _modules.get(key)
    if mod is None:
        mod = _modules[key] = _loader[0](path, name_expressions, options)
    return mod


# ---- the kernels: files, templates, instantiations ---------------------------------------------

THREADS = 256      # = GC_THREADS in kernels/common.cuh
UNROLL = 4         # = GC_UNROLL
MAX_DIMS = 6       # = GC_MAX_DIMS
MAX_INPUTS = 4     # = GC_MAX_INPUTS
ROW_CHUNK = 4096   # sum_to: elements a warp sums along a row in one pass
COL_CHUNK = 256    # sum_to: rows a thread sums down a column in one pass

# struct Geom of common.cuh, passed by value as a one-element structured array
GEOM = np.dtype([("ndim", "<i8"), ("size", "<i8"), ("shape", "<i8", (MAX_DIMS,)),
                 ("stride", "<i8", (MAX_INPUTS, MAX_DIMS))])

CTYPES = {"e": "gc_half", "f": "float", "d": "double",
          "E": "gc_bfloat16"}  # bfloat16: multi_tensor.cu's, conv.cu's, bias_act.cu's kernels

ELEMENTWISE = "elementwise_backward.cu"
REDUCTION = "reduction_backward.cu"
LOSS = "loss_backward.cu"
OPTIMIZER = "optimizer.cu"
RNN = "rnn.cu"
MULTI_TENSOR = multi_tensor.FILE
CONV = conv_launch.CONV
BIAS_ACT = bias_act_launch.BIAS_ACT

# the registry's binary functors (gradcore's ops are declared before this module loads)
BINARY_OPS = tuple(k.name for k in kernels.REGISTRY.values() if k.kind == "binary")
SOFTMAX_OPS = tuple(k.name for k in kernels.REGISTRY.values() if k.kind == "softmax")
LOSS_OPS = tuple(k.name for k in kernels.REGISTRY.values() if k.kind == "pointwise_loss")

# The backend's own kernels (sum_to's passes: a primitive, not an op's): (file, name template,
# dtypes filling {T}); every other instantiation comes from the registry (backend/kernels.py).
TEMPLATES = (
    (REDUCTION, "sum_rows<{T}>", "fd"),
    (REDUCTION, "sum_cols<{T}>", "fd"),
)
FILES = (ELEMENTWISE, REDUCTION, LOSS, OPTIMIZER, RNN, MULTI_TENSOR, CONV, BIAS_ACT)


def templates():
    """(file, name template, dtype chars) of every kernel: the registry's, then TEMPLATES."""
    return tuple(kernels.templates()) + TEMPLATES


def functors(file):
    """The op structs of ``file`` that some registered kernel launches."""
    return {fn for k in kernels.REGISTRY.values() if kernels.KINDS[k.kind][0] == file
            for fn in k.functors}


def name_expressions(file, char):
    """The instantiations of ``file`` for dtype ``char`` (one module per file and dtype)."""
    return _name_expressions(file, char, len(kernels.REGISTRY))


@functools.lru_cache(maxsize=None)
def _name_expressions(file, char, registered):
    return tuple(template.format(T=CTYPES[char])
                 for f, template, chars in templates() if f == file and char in chars)


def has_kernel(file, name, char):
    """Whether ``name`` (``{T}`` unfilled) is instantiated for dtype ``char``."""
    return _has_kernel(file, name, char, len(kernels.REGISTRY))


@functools.lru_cache(maxsize=None)
def _has_kernel(file, name, char, registered):
    return char in CTYPES and name.format(T=CTYPES[char]) in name_expressions(file, char)


def instantiations():
    """{(file, dtype char): name expressions} for every module the backend can load."""
    out = {}
    for file in FILES:
        for char in CTYPES:
            names = name_expressions(file, char)
            if names:
                out[file, char] = names
    return out


def _function(file, name, char, dev):
    """(kernel, resident blocks per SM) for ``name`` on device ``dev``, loaded once."""
    key = (dev, file, name)
    entry = _functions.get(key)
    if entry is None:
        mod = load_module(os.path.join(kernels_dir(), file), name_expressions(file, char),
                          device=dev)
        fn = mod.get_function(name)
        entry = _functions[key] = fn, _blocks_per_sm(fn)
    return entry


def _blocks_per_sm(fn):
    """Blocks of THREADS a multiprocessor holds at once given the kernel's registers (2048
    threads and 64K registers per SM on sm_80/sm_90, registers allocated per warp in units of
    256); 2048 // THREADS when the kernel doesn't say (a test loader's stand-in)."""
    try:
        regs = int(fn.attributes["num_regs"])
    except Exception:
        return 2048 // THREADS
    per_block = -(-regs // 8) * 8 * THREADS
    return max(1, min(2048 // THREADS, 65536 // per_block))


# ---- launch planning (pure functions of shapes and strides) ------------------------------------

def _broadcast_shape(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _element_strides(a, shape):
    """``a``'s element strides broadcast to ``shape`` (0 along broadcast and size-1 dims), or
    None when a byte stride is not a whole number of elements."""
    lead = len(shape) - a.ndim
    out = [0] * lead
    for n, s in zip(a.shape, a.strides):
        if n == 1:
            out.append(0)
        elif s % a.itemsize:
            return None
        else:
            out.append(s // a.itemsize)
    return out


def elementwise_plan(shape, arrays):
    """How an elementwise kernel reads ``arrays`` to write a C-contiguous output of ``shape``.

    ("flat", None): each array is laid out like the output (index i is element i);
    ("strided", geom): a Geom with size-1 dims dropped and neighbouring dims merged wherever
    every array allows; None: more than MAX_DIMS dims remain, or strides the kernel can't
    express -- the caller takes the CuPy-ops route."""
    if all(a.shape == shape and a.flags.c_contiguous for a in arrays):
        return "flat", None
    strides = [_element_strides(a, shape) for a in arrays]
    if any(s is None for s in strides) or len(arrays) > MAX_INPUTS:
        return None
    dims = []  # [size, [stride of each array]], outermost first
    for i, n in enumerate(shape):
        if n == 1:
            continue
        st = [s[i] for s in strides]
        if dims and all(so == si * n for so, si in zip(dims[-1][1], st)):
            dims[-1] = [dims[-1][0] * n, st]
        else:
            dims.append([n, st])
    if not dims or len(dims) == 1 and all(s == 1 for s in dims[0][1]):
        return "flat", None
    if len(dims) > MAX_DIMS:
        return None
    geom = np.zeros(1, dtype=GEOM)
    geom["ndim"], geom["size"] = len(dims), math.prod(shape)
    for d, (n, st) in enumerate(reversed(dims)):  # innermost first
        geom["shape"][0, d] = n
        for k, s in enumerate(st):
            geom["stride"][0, k, d] = s
    return "strided", geom


def _flat_geom(size):
    geom = np.zeros(1, dtype=GEOM)
    geom["ndim"], geom["size"], geom["shape"][0, 0], geom["stride"][0, 0, 0] = 1, size, size, 1
    return geom


def reduction_groups(gshape, shape):
    """sum_to's view of ``gshape`` -> ``shape``: [[size, reduced]] outermost first, size-1
    dims dropped and neighbours of the same kind merged; None when the shapes don't match."""
    lead = len(gshape) - len(shape)
    if lead < 0:
        return None
    if any(m not in (1, n) for n, m in zip(gshape[lead:], shape)):
        return None
    return _merged([n, i < lead or shape[i - lead] == 1] for i, n in enumerate(gshape))


def _merged(groups):
    """[[size, kind]] without size-1 entries, neighbours of the same kind multiplied."""
    out = []
    for n, kind in groups:
        if n == 1:
            continue
        if out and out[-1][1] == kind:
            out[-1][0] *= n
        else:
            out.append([n, kind])
    return out


def prq(shape, axes):
    """(P, R, Q): ``shape`` seen as a C-contiguous (P, R, Q) block reduced over R, when the
    reduced ``axes`` (None: all) are one run of dims once size-1 dims are ignored; else None."""
    axes = range(len(shape)) if axes is None else axes
    kinds = [(n, i in axes) for i, n in enumerate(shape) if n != 1]
    flags = [r for _, r in kinds]
    if True in flags:
        first, last = flags.index(True), len(flags) - 1 - flags[::-1].index(True)
        if not all(flags[first:last + 1]):
            return None
    else:
        first = last = len(flags)
    sizes = [n for n, _ in kinds]
    return (math.prod(sizes[:first]), math.prod(sizes[first:last + 1]),
            math.prod(sizes[last + 1:]))


def _chunks(n, chunk):
    """(chunk length, number of chunks) for one pass of sum_to over n elements."""
    if n <= 2 * chunk:
        return n, 1
    return chunk, -(-n // chunk)


def _scalars(dt, *values):
    """Kernel scalars in opmath_t<T>, each first rounded to the array dtype the way NumPy rounds
    a Python number used with an array (float16 values are then widened to float32)."""
    m = np.float32 if dt.char == "e" else dt.type
    with np.errstate(over="ignore", invalid="ignore"):
        return tuple(m(dt.type(v)) for v in values)


class _NoDevice:
    """The device context of a backend built without a GPU (``xp=numpy``)."""
    id = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


class _HostStateStream:
    """A CUDA backend's generator, refused while a CUDA graph is captured: its state lives on
    the host, so a captured draw would repeat the same numbers at every replay.  Everything
    else passes through to the stream (``be._rng.bernoulli(...)`` and the backend's draws)."""
    __slots__ = ("_stream",)

    def __init__(self, stream):
        self._stream = stream

    def __getattr__(self, name):
        if name == "_stream":  # not set yet (copy/pickle make the object without __init__)
            raise AttributeError(name)
        if capture._active and capture.applies():
            capture.refuse(f"Drawing random numbers on CUDA (the generator's {name})")
        return getattr(self._stream, name)


# ---- the backend -------------------------------------------------------------------------------

class CupyBackend(NumpyBackend):
    name = "cupy"
    launches_kernels = True

    def __init__(self, index=0, seed=None, *, xp=None, sm_count=None):
        """The backend of ``cuda:index``.  ``xp`` (e.g. numpy) builds one without CuPy or a
        GPU, for tests of the launch code: kernels then go to whatever ``set_loader`` gave."""
        if xp is None:
            import cupy
            xp = cupy
            self._cuda_device = cupy.cuda.Device(index)
            if sm_count is None:
                sm_count = self._cuda_device.attributes["MultiProcessorCount"]
        else:
            self._cuda_device = _NoDevice()
        self.xp = xp
        self.index = index
        self.device = device("cuda", index)
        self._sm_count = max(1, sm_count or 80)
        self.manual_seed(seed)

    # The host-sync points refuse while a CUDA graph is captured (backend/capture.py): the
    # check is one list truth test outside a capture.
    def to_host(self, arr):
        if capture._active and capture.applies():  # .item(), .tolist(), .cpu(), .numpy(), print
            capture.refuse("Copying a CUDA tensor to the host (Tensor.item(), .tolist(), "
                           ".cpu(), .numpy(), printing it, or an op that reads device data on "
                           "the host)")
        return self.xp.asnumpy(arr) if hasattr(self.xp, "asnumpy") else np.asarray(arr)

    def from_host(self, arr):
        if capture._active and capture.applies():
            return self._captured_host_data(arr)
        with self._cuda_device:
            return self.xp.asarray(arr)

    def asarray(self, data, dtype=None):
        if capture._active and not isinstance(data, self.xp.ndarray) and capture.applies():
            return self._captured_host_data(data, dtype)
        with self._cuda_device:
            return self.xp.asarray(data, dtype=dtype)

    def _captured_host_data(self, data, dtype=None):
        """Host data met during a capture: a single number becomes a fill kernel (its value a
        constant of the graph, as a scalar argument of any kernel is); anything larger would be
        a copy from host memory the graph doesn't own: refused."""
        if np.ndim(data) != 0:
            capture.refuse("Copying host data to a CUDA tensor (torch.tensor(..., "
                           "device='cuda'), .to('cuda') of a CPU tensor)")
        value = np.asarray(data, dtype=dtype)
        with self._cuda_device:
            return self.xp.full((), value[()], dtype=value.dtype)

    def synchronize(self):
        capture.check("torch.cuda.synchronize()")
        self._cuda_device.synchronize()

    def _make_rng(self, seed):
        """CuPy's own generator (not PyTorch's Philox streams), seeded by manual_seed; every
        use of it is refused while a CUDA graph is captured (_HostStateStream)."""
        return _HostStateStream(XpStream(self.xp, seed))

    def manual_seed(self, seed):
        with self._cuda_device:
            super().manual_seed(seed)

    def index_add_(self, out, idx, values):
        """out[idx] += values with atomics (cupyx.scatter_add); other dtypes via the host."""
        if out.dtype.char in "efdIiL":
            import cupyx
            cupyx.scatter_add(out, idx, values)
            return
        host = self.to_host(out)
        np.add.at(host, tuple(self.to_host(i) if isinstance(i, self.xp.ndarray) else i
                              for i in idx), self.to_host(self.xp.asarray(values)))
        out[...] = self.from_host(host)

    # ---- launching ---------------------------------------------------------------------------
    def _launch(self, file, name, dt, work, args, per_block=THREADS * UNROLL):
        """Launch ``name`` (its ``{T}`` filled for ``dt``) over ``work`` items, ``per_block``
        of them per block (flat elementwise: THREADS * UNROLL; a thread per item: THREADS; a
        warp per item: THREADS // 32), with at most one full wave of resident blocks: the kernels
        grid-stride, so every block runs from start to end with the same share of the work."""
        with self._cuda_device:
            fn, per_sm = _function(file, name.format(T=CTYPES[dt.char]), dt.char, self.index)
            blocks = max(1, min(-(-work // per_block), self._sm_count * per_sm))
            fn((blocks,), (THREADS,), args)

    def _contiguous(self, *arrays):
        xp = self.xp  # (asarray: NumPy's 0-d results are scalars, under xp=numpy's tests)
        return tuple(xp.asarray(a) if not isinstance(a, xp.ndarray) else a if
                     a.flags.c_contiguous else xp.ascontiguousarray(a) for a in arrays)

    # ---- registered kernels: one launcher per kind ---------------------------------------------
    def launch(self, k, *args):
        """Run kernel ``k`` as the RawKernel of its kind, or as its reference on CuPy arrays
        where the launcher declines (returns None)."""
        out = getattr(self, k.launcher)(k, *args)
        return k.reference(self.xp, *args) if out is None else out  # (CuPy never warns)

    def _launch_binary(self, k, a, b, gy, need=(True, True)):
        if not all(need):  # one gradient wanted: the reference makes just that one
            return None
        return self._binary(f"binary_backward{{kind}}<{k.name}, {{T}}>", (a, b, gy))

    def _launch_pow_tensor(self, k, a, b, y, gy):
        return self._binary("pow_tensor_backward{kind}<{T}>", (a, b, y, gy))

    def _launch_where(self, k, cond, gy):
        if cond.dtype != np.bool_:
            return None
        return self._binary("where_backward{kind}<{T}>", (cond, gy), skip=1)

    def _launch_softmax(self, k, y, gy, axis):
        return self._softmax_like(k.name, y, gy, axis)

    def _launch_pointwise_loss(self, k, x, t, gy, reduction, param=0.0):
        return self._pointwise_loss(k.name, x, t, gy, reduction, param)

    def _launch_unary(self, k, s, gy, *extra):
        p = k.params(*extra) if k.params is not None else (k.name, 0.0, 0.0)
        if p is None:
            return None
        functor, p0, p1 = p
        return self._unary(functor, s, gy, p0, p1)

    # ---- elementwise backward ----------------------------------------------------------------
    def _unary(self, op, s, gy, p0=0.0, p1=0.0):
        """gx = op(s, gy) by unary_backward<op, T>; None (the CuPy-ops route) for a dtype the
        kernel isn't instantiated for or mixed dtypes, empty arrays, or layouts
        elementwise_plan declines."""
        dt = gy.dtype
        shape = _broadcast_shape(s.shape, gy.shape)
        flat = f"unary_backward<{op}, {{T}}>"
        if not has_kernel(ELEMENTWISE, flat, dt.char) or s.dtype != dt or shape is None:
            return None
        plan = elementwise_plan(shape, (s, gy))
        n = math.prod(shape)
        if plan is None or n == 0:
            return None
        try:
            params = _scalars(dt, p0, p1)
        except OverflowError:  # a Python int beyond any float: NumPy decides what happens
            return None
        gx = self.xp.empty(shape, dtype=dt)
        if plan[0] == "flat":
            self._launch(ELEMENTWISE, flat, dt, n, (s, gy, gx, np.int64(n)) + params)
        else:
            self._launch(ELEMENTWISE, f"unary_backward_strided<{op}, {{T}}>", dt, n,
                         (s, gy, gx, plan[1]) + params, per_block=THREADS)
        return gx


    def _binary(self, name, arrays, skip=0):
        """Both gradients of a binary op in one launch of ``name`` (``{kind}``: "" or
        "_strided"); the last array is gy and fixes the dtype, every array after the first
        ``skip`` (where's condition) must have it.  None: the CuPy-ops route (as _unary)."""
        dt = arrays[-1].dtype
        shape = _broadcast_shape(*(a.shape for a in arrays))
        if (not has_kernel(ELEMENTWISE, name.format(kind="", T="{T}"), dt.char)
                or shape is None or any(a.dtype != dt for a in arrays[skip:])):
            return None
        plan = elementwise_plan(shape, arrays)
        n = math.prod(shape)
        if plan is None or n == 0:
            return None
        ga, gb = self.xp.empty(shape, dtype=dt), self.xp.empty(shape, dtype=dt)
        if plan[0] == "flat":
            self._launch(ELEMENTWISE, name.format(kind="", T="{T}"), dt, n,
                         arrays + (ga, gb, np.int64(n)))
        else:
            self._launch(ELEMENTWISE, name.format(kind="_strided", T="{T}"), dt, n,
                         arrays + (ga, gb, plan[1]), per_block=THREADS)
        return ga, gb

    # ---- reduction backward ------------------------------------------------------------------
    def sum_to(self, g, shape):
        """Deterministic: each pass sums fixed chunks in a fixed order (no atomics)."""
        shape = tuple(shape)
        if g.shape == shape:
            return g
        groups = reduction_groups(g.shape, shape)
        if g.dtype.char not in "fd" or g.size == 0 or groups is None:
            return super().sum_to(g, shape)
        cur, = self._contiguous(g)
        while any(reduced for _, reduced in groups):
            k = max(i for i, (_, reduced) in enumerate(groups) if reduced)
            sizes = [n for n, _ in groups]
            cur = self._sum_pass(cur, math.prod(sizes[:k]), sizes[k], math.prod(sizes[k + 1:]))
            groups = _merged(groups[:k] + groups[k + 1:])
        return cur.reshape(shape) if cur is not g else g.reshape(shape).copy()

    def _sum_pass(self, g, P, R, Q):
        """(P, R, Q) -> (P, Q): partial sums over chunks of R, repeated until one chunk."""
        dt = g.dtype
        if Q == 1:
            chunk, C = _chunks(R, ROW_CHUNK)
            out = self.xp.empty((P, C), dtype=dt)
            self._launch(REDUCTION, "sum_rows<{T}>", dt, P * C,
                         (g, out, np.int64(P * C), np.int64(R), np.int64(C), np.int64(chunk)),
                         per_block=THREADS // 32)
        else:
            chunk, C = _chunks(R, COL_CHUNK)
            out = self.xp.empty((P, C, Q), dtype=dt)
            self._launch(REDUCTION, "sum_cols<{T}>", dt, P * C * Q,
                         (g, out, np.int64(P), np.int64(R), np.int64(Q), np.int64(C),
                          np.int64(chunk)), per_block=THREADS)
        return out if C == 1 else self._sum_pass(out, P, C, Q)

    def _launch_expand(self, k, gy, shape, axes, keepdim):
        """gy broadcast back to ``shape``, times the kernel's scale (sum: 1, mean: 1 / n)."""
        dt, shape = gy.dtype, tuple(shape)
        size = math.prod(shape)
        scale = k.params(shape, axes)
        if dt.char not in "efd" or size == 0 or scale is None:
            return None
        g = gy.reshape(kernels.kept_shape(shape, axes))
        plan = elementwise_plan(shape, (g,))
        if plan is None:
            return None
        geom = plan[1] if plan[0] == "strided" else _flat_geom(size)
        out = self.xp.empty(shape, dtype=dt)
        self._launch(REDUCTION, "expand_scale<{T}>", dt, size,
                     (g, out, geom) + _scalars(dt, scale), per_block=THREADS)
        return out

    def _launch_extremum(self, k, x, y, gy, axes, keepdim):
        """amax/amin over one run of dims (else the CuPy-ops route): a warp per reduced row
        (Q == 1) or a thread per reduced column."""
        dt = x.dtype
        block = prq(x.shape, axes) if x.size else None
        if dt.char not in "efd" or y.dtype != dt or gy.dtype != dt or block is None:
            return None
        P, R, Q = block
        if y.size != P * Q or gy.size != P * Q:
            return None
        x, y, gy = self._contiguous(x, y, gy)
        out = self.xp.empty(x.shape, dtype=dt)
        if Q == 1:
            self._launch(REDUCTION, "extremum_backward_rows<{T}>", dt, P,
                         (x, y, gy, out, np.int64(P), np.int64(R)), per_block=THREADS // 32)
        else:
            self._launch(REDUCTION, "extremum_backward_cols<{T}>", dt, P * Q,
                         (x, y, gy, out, np.int64(P), np.int64(R), np.int64(Q)),
                         per_block=THREADS)
        return out

    def _launch_index_along(self, k, idx, gy, shape, axis, keepdim):
        dt, shape = gy.dtype, tuple(shape)
        size = math.prod(shape)
        if dt.char not in "efd" or idx.dtype.kind not in "iu" or not shape or size == 0:
            return None
        axis %= len(shape)
        P, R, Q = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])
        if idx.size != P * Q or gy.size != P * Q:
            return None
        idx = idx.astype(np.int64, copy=False)
        idx, gy = self._contiguous(idx, gy)
        out = self.xp.empty(shape, dtype=dt)
        self._launch(REDUCTION, "index_backward_along<{T}>", dt, size,
                     (idx, gy, out, np.int64(P), np.int64(R), np.int64(Q)))
        return out

    def _softmax_like(self, op, y, gy, axis):
        dt = y.dtype
        if dt.char not in "fd" or gy.dtype != dt or gy.shape != y.shape or y.size == 0:
            return None
        if axis is None:
            P, R, Q = 1, y.size, 1
        else:
            P, R, Q = (math.prod(y.shape[:axis]), y.shape[axis], math.prod(y.shape[axis + 1:]))
        y, gy = self._contiguous(y, gy)
        gx = self.xp.empty(y.shape, dtype=dt)
        if Q == 1:
            self._launch(REDUCTION, f"softmax_rows<{op}, {{T}}>", dt, P,
                         (y, gy, gx, np.int64(P), np.int64(R)), per_block=THREADS // 32)
        else:
            self._launch(REDUCTION, f"softmax_cols<{op}, {{T}}>", dt, P * Q,
                         (y, gy, gx, np.int64(P), np.int64(R), np.int64(Q)), per_block=THREADS)
        return gx


    # ---- loss backward -----------------------------------------------------------------------
    def _pointwise_loss(self, op, x, t, gy, reduction, param):
        dt = x.dtype
        if (dt.char not in "fd" or t.dtype != dt or gy.dtype != dt or t.shape != x.shape
                or x.size == 0 or (gy.shape != x.shape if reduction == "none" else gy.size != 1)):
            return None
        n = x.size
        norm = 2.0 if op == "mse_loss_backward" else 1.0
        if reduction == "mean":
            norm /= n
        x, t, gy = self._contiguous(x, t, gy)
        gx = self.xp.empty(x.shape, dtype=dt)
        self._launch(LOSS, f"pointwise_loss_backward<{op}, {{T}}>", dt, n,
                     (x, t, gy, gx, np.int64(n), np.int64(reduction == "none"))
                     + _scalars(dt, norm, param))
        return gx


    def _launch_nll(self, k, gy, target, weight, total_weight, shape, reduction, ignore_index):
        """Classes on axis 1 (axis 0 for a 1-d input): the input seen as (N, C, S)."""
        dt, shape = gy.dtype, tuple(shape)
        full = (1,) + shape if len(shape) == 1 else shape
        N, C, S = full[0], full[1], math.prod(full[2:])
        per_target = reduction == "none"
        tw = self.xp.asarray(total_weight, dtype=dt) if reduction == "mean" else gy
        if (dt.char not in "fd" or target.dtype.kind not in "iu" or N * C * S == 0
                or target.size != N * S or gy.size != (N * S if per_target else 1)
                or weight is not None and (weight.dtype != dt or weight.size != C)
                or reduction == "mean" and tw.size != 1):
            return None
        target = target.astype(np.int64, copy=False)
        gy, target = self._contiguous(gy, target)
        flags = (1 if weight is not None else 0) | (2 if per_target else 0) \
            | (4 if reduction == "mean" else 0)
        gx = self.xp.empty(shape, dtype=dt)
        self._launch(LOSS, "nll_loss_backward<{T}>", dt, N * C * S,
                     (gy, target, gy if weight is None else self._contiguous(weight)[0], tw, gx,
                      np.int64(N), np.int64(C), np.int64(S), np.int64(ignore_index),
                      np.int32(flags)))
        return gx

    # ---- optimizer updates -------------------------------------------------------------------
    def _optim_arrays(self, p, g, *state):
        """(g made contiguous) when the fused update can run in place on ``p`` and the
        ``state`` arrays (C-contiguous, p's shape and dtype: float32/64); else None."""
        if p.dtype.char not in "fd" or g.dtype != p.dtype or g.shape != p.shape or p.size == 0:
            return None
        if not p.flags.c_contiguous or any(s is not None and (
                s.dtype != p.dtype or s.shape != p.shape or not s.flags.c_contiguous)
                for s in state):
            return None
        return self._contiguous(g)[0]

    def _launch_sgd(self, k, p, g, buf, lr, momentum, dampening, nesterov, weight_decay,
                    maximize, first):
        gc = self._optim_arrays(p, g, buf)
        if gc is None or (momentum != 0 and buf is None):
            return None
        dt = p.dtype
        flags = ((1 if weight_decay != 0 else 0) | (2 if maximize else 0)
                 | (4 if momentum != 0 else 0) | (8 if first else 0)
                 | (16 if dampening != 0 else 0) | (32 if nesterov else 0))
        self._launch(OPTIMIZER, "sgd_step<{T}>", dt, p.size,
                     (p, gc, p if buf is None else buf, np.int64(p.size))
                     + _scalars(dt, weight_decay, momentum, 1 - dampening, -lr)
                     + (np.int32(flags),))
        return True

    def _launch_adam(self, k, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2,
                     eps, weight_decay, amsgrad, maximize, decoupled):
        gc = self._optim_arrays(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq)
        if gc is None or (amsgrad and max_exp_avg_sq is None):
            return None
        dt = p.dtype
        decouple = weight_decay != 0 and decoupled
        w = dt.type(1 - beta1)  # lerp's weight, rounded as the reference rounds it
        flags = ((1 if decouple else 0) | (2 if weight_decay != 0 and not decoupled else 0)
                 | (4 if maximize else 0) | (8 if amsgrad else 0) | (16 if abs(w) < 0.5 else 0))
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        self._launch(OPTIMIZER, "adam_step<{T}>", dt, p.size,
                     (p, gc, exp_avg, exp_avg_sq, p if max_exp_avg_sq is None else max_exp_avg_sq,
                      np.int64(p.size))
                     + _scalars(dt, 1 - lr * weight_decay, weight_decay, w, dt.type(1) - w, beta2,
                                1 - beta2, bias_correction2_sqrt, eps, -step_size)
                     + (np.int32(flags),))
        return True

    def _launch_multi_tensor(self, k, *args):
        """A multi-tensor optimizer update (backend/multi_tensor.py): one launch per table of
        up to 32 tensors and 320 chunks of 64K elements; None declines (the reference runs
        per tensor)."""
        launcher = multi_tensor.launch_sgd if k.name == "multi_tensor_sgd" else \
            multi_tensor.launch_adam
        return launcher(self, _scalars, *args)

    def _launch_conv(self, k, *args):
        """A convolution's implicit-GEMM kernel (backend/conv_launch.py); None declines (the
        im2col reference runs)."""
        return getattr(conv_launch, k.name.replace("conv_", "", 1))(self, *args)

    def _launch_bias_act(self, k, *args):
        """A GEMM's bias + activation epilogue or its backward (backend/bias_act_launch.py)."""
        return getattr(bias_act_launch, k.name.replace("bias_act_", "", 1))(self, *args)

    # ---- recurrent layer steps ---------------------------------------------------------------
    def _launch_rnn_cell(self, k, *args):
        return getattr(self, "_rnn_" + k.name)(*args)

    def _rnn_step(self, name, h, ins, outs, extra=()):
        """One launch of ``name`` over the N x H grid of a recurrent step, (N, H) = the shape of
        ``h``.  ``ins``: (array or None, shape) pairs -- an absent array is passed as another
        input's pointer, never read; ``outs``: the outputs' shapes; ``extra``: the arguments
        after N and H.  None (the CuPy-ops route): a dtype without the kernel, mixed dtypes,
        other shapes, no elements."""
        N, H = h.shape[0], h.shape[-1]
        given = [a for a, _ in ins if a is not None]
        dt = given[0].dtype
        if (not has_kernel(RNN, name + "<{T}>", dt.char) or h.ndim != 2 or N * H == 0
                or any(a is not None and (a.dtype != dt or a.shape != s) for a, s in ins)):
            return None
        arrays = self._contiguous(*given)
        it = iter(arrays)
        args = tuple(next(it) if a is not None else arrays[0] for a, _ in ins)
        res = tuple(self.xp.empty(s, dtype=dt) for s in outs)
        self._launch(RNN, name + "<{T}>", dt, N * H,
                     args + res + (np.int64(N), np.int64(H)) + extra)
        return res

    def _rnn_lstm_cell_forward(self, gates, c):
        N, H = c.shape[0], c.shape[-1]
        return self._rnn_step("lstm_cell_forward", c, ((gates, (N, 4 * H)), (c, (N, H))),
                              ((N, H), (N, H), (5, N, H)))

    def _rnn_lstm_cell_backward(self, gh, gc, act, c):
        if gh is None and gc is None:
            return None
        N, H = c.shape[0], c.shape[-1]
        flags = (1 if gh is not None else 0) | (2 if gc is not None else 0)
        return self._rnn_step("lstm_cell_backward", c, ((gh, (N, H)), (gc, (N, H)),
                                                        (act, (5, N, H)), (c, (N, H))),
                              ((N, 4 * H), (N, H)), (np.int32(flags),))

    def _rnn_gru_cell_forward(self, xg, hg, h):
        N, H = h.shape[0], h.shape[-1]
        return self._rnn_step("gru_cell_forward", h, ((xg, (N, 3 * H)), (hg, (N, 3 * H)),
                                                      (h, (N, H))), ((N, H), (3, N, H)))

    def _rnn_gru_cell_backward(self, gy, act, hg, h):
        N, H = h.shape[0], h.shape[-1]
        return self._rnn_step("gru_cell_backward", h, ((gy, (N, H)), (act, (3, N, H)),
                                                       (hg, (N, 3 * H)), (h, (N, H))),
                              ((N, 3 * H), (N, 3 * H), (N, H)))
