"""gradcore.cuda: is a CUDA device usable, and if not, why not?

The queries -- ``is_available()``, ``device_count()``, ``why_unavailable()``, and
``synchronize()`` / ``manual_seed()`` where no GPU answers -- never raise (False, 0, a reason,
nothing).  The first real use of a CUDA device (``.to("cuda")``, ``device="cuda"`` in a
factory, ``.cuda()``, ``Module.to("cuda")``, ``init()``, ``current_device()``) goes through
``_lazy_init``, which raises what PyTorch raises in the same place, with a line on what to
install:

- no CuPy: ``AssertionError`` (PyTorch on a CPU-only build: "Torch not compiled with CUDA
  enabled");
- CuPy but no driver / a driver too old / no GPU / an index past the count: ``RuntimeError``
  with PyTorch's text ("Found no NVIDIA driver on your system. ...", "No CUDA GPUs are
  available", "CUDA error: invalid device ordinal");
- CuPy but a CUDA library it loads at run time (NVRTC, cuBLAS, the CUDA runtime ...) missing:
  ``RuntimeError`` naming the library.

Nothing is cached on failure: every later call checks again and raises the same error (or
succeeds, once the problem is fixed).

Streams (streams.py: ``Stream``, ``current_stream``, ``stream(s)`` ...) and CUDA graphs
(graphs.py: ``CUDAGraph``, ``graph``, ``graph_pool_handle``, ``is_current_stream_capturing``;
gradcore/_graphed_callables.py: ``make_graphed_callables``, bound here by gradcore/__init__) live in
their own modules; docs/design.md "CUDA graphs" says how a capture works and what it refuses.
"""
from ..backend import capture as _capture, get_backend
from ..backend.cuda_runtime import _lazy_init
from .graphs import (CUDAGraph, _POOL_HANDLE, graph, graph_pool_handle,  # noqa: F401
                     is_current_stream_capturing)
from .streams import Stream, StreamContext, current_stream, default_stream, stream  # noqa: F401

# make_graphed_callables (gradcore/_graphed_callables.py) needs nn and autograd, above this
# package: gradcore/__init__ binds it here.


def _runtime():
    try:
        import cupy
        return cupy.cuda.runtime
    except Exception:  # ImportError, or CuPy present but its CUDA libraries missing
        return None


def device_count():
    rt = _runtime()
    if rt is None:
        return 0
    try:
        return int(rt.getDeviceCount())
    except Exception:  # no driver, no device, driver too old
        return 0


def is_available():
    try:
        return device_count() > 0
    except Exception:
        return False


def why_unavailable(device=None):
    """None when ``device`` (default "cuda") is usable, else the one-line reason it isn't:
    the message of the error its first use would raise.  Never raises."""
    from .._device import as_device
    try:
        d = as_device(device if device is not None else "cuda")
        _lazy_init(d.index if d.type == "cuda" else None)
    except Exception as e:
        return " ".join(str(e).split())
    return None


def init(device=None):
    """Check that CUDA (``device``, default the first GPU) can be used; raises the error of
    the first use when it can't (like ``torch.cuda.init``)."""
    from .._device import as_device
    d = as_device(device if device is not None else "cuda")
    _lazy_init(d.index)


def current_device():
    return int(_lazy_init().cuda.runtime.getDevice())


def get_device_name(device=None):
    from .._device import as_device
    index = as_device(device if device is not None else "cuda").index or 0
    name = _lazy_init(index).cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None):
    """Wait for every kernel on ``device`` (default the current one); nothing without a GPU.
    Refused while a CUDA graph is being captured (CUDA's own rule)."""
    _capture.check("torch.cuda.synchronize()")
    if not is_available():
        return
    from .._device import as_device
    index = as_device(device if device is not None else "cuda").index
    cupy = _lazy_init(index)
    (cupy.cuda.Device(index) if index is not None else cupy.cuda.Device()).synchronize()


def manual_seed(seed):
    if is_available():
        get_backend("cuda").manual_seed(seed)


manual_seed_all = manual_seed


def empty_cache():
    """Give the free blocks of CuPy's default memory pool back to CUDA (nothing without a
    GPU; a graph's private pool keeps its blocks)."""
    _capture.check("torch.cuda.empty_cache()")
    if is_available():
        from .streams import api
        api().empty_cache()
