"""torch.cuda's CUDA Graphs on CuPy's stream capture: ``CUDAGraph``, the ``graph`` context
manager, ``graph_pool_handle`` and ``is_current_stream_capturing`` (``make_graphed_callables``
is in graphed_callables.py: it needs nn and autograd, which sit above this package).

A capture (``CUDAGraph.capture_begin``) starts CuPy's stream capture on the current stream (not
the default one) in the asked ``cudaStreamCaptureMode``, routes every CuPy allocation of the
thread to the graph's private memory pool (a ``cupy.cuda.MemoryPool`` behind a pool handle,
shared by the graphs captured with the same ``pool=``), and records itself in
backend/capture.py, where the host-sync points refuse to run until ``capture_end``.  Memory
allocated inside a capture therefore stays at fixed addresses and is never handed to code
outside the pool's graphs -- tensors the capture made (its static outputs) keep working across
replays, and freeing one returns its block to the private pool only.  ``capture_end`` gets the
instantiated ``cupy.cuda.Graph``; ``replay`` launches it on the current stream; ``reset`` drops
it and the graph's hold on its pool (a pool no graph holds gives its free blocks back).

Docs: docs/design.md "CUDA graphs".
"""
import gc
import itertools
import threading
import warnings

from ..backend import capture
from .streams import Stream, StreamContext, _usable_api, api

__all__ = ["is_current_stream_capturing", "graph_pool_handle", "CUDAGraph", "graph"]

_NOT_CAPTURED_POOL = "Called CUDAGraph::pool() without a preceding successful capture."
_deferred = []  # pools released while a capture was underway: freed when it ends (no cudaFree
#                 may run during a capture: it would invalidate it)


class _POOL_HANDLE:  # noqa: N801  (PyTorch's name: torch.cuda._POOL_HANDLE)
    """An opaque token for a graph memory pool: the CuPy MemoryPool the captures given it
    allocate from (made on the first one), and how many graphs hold it."""
    _ids = itertools.count(1)

    def __init__(self):
        self.id = next(self._ids)
        self._pool = None
        self._graphs = 0

    def _memory_pool(self):
        if self._pool is None:
            self._pool = api().memory_pool()
        return self._pool

    def _release(self):
        """One graph fewer holds the pool; with none left, its free blocks go back to CUDA
        (blocks still used by live tensors return to the pool when those are freed)."""
        self._graphs -= 1
        if self._graphs == 0 and self._pool is not None:
            if capture.active() is not None:
                _deferred.append(self._pool)
            else:
                self._pool.free_all_blocks()

    def __repr__(self):
        return f"_POOL_HANDLE(id={self.id})"


def graph_pool_handle():
    """An opaque token naming a new graph memory pool, to pass as ``pool=`` to several
    captures so that they share memory (torch.cuda.graph_pool_handle)."""
    _usable_api("Tried to instantiate dummy base class _graph_pool_handle")
    return _POOL_HANDLE()


def is_current_stream_capturing():
    """True if a CUDA graph capture is underway on the current CUDA stream."""
    a = _usable_api("Tried to instantiate dummy base class _cuda_isCurrentStreamCapturing")
    rec = capture.active()
    if rec is not None:
        return _same(a.current_stream(), rec._stream)
    try:  # a capture begun by CuPy directly
        return bool(a.current_stream().is_capturing())
    except Exception:  # the query itself is illegal on some streams during a capture
        return False


def _same(s, t):
    return s is t or getattr(s, "ptr", None) == getattr(t, "ptr", None) != 0


class CUDAGraph:
    """torch.cuda.CUDAGraph(keep_graph=False): a CUDA graph -- work captured once
    (``capture_begin`` ... ``capture_end``, or ``with torch.cuda.graph(g):``) and launched
    again with ``replay()``.  ``keep_graph`` is accepted (CuPy instantiates at capture_end and
    keeps the graph either way)."""

    def __new__(cls, keep_graph=False):
        _usable_api("Tried to instantiate dummy base class CUDAGraph")
        self = super().__new__(cls)
        self._keep_graph = bool(keep_graph)
        self._graph = None       # the cupy.cuda.Graph after a successful capture
        self._pool = None        # the _POOL_HANDLE this graph's memory comes from
        self._stream = None      # the stream being captured (during the capture)
        self._allocator = None   # the entered using_pool context (during the capture)
        self._debug = False
        return self

    def __init__(self, keep_graph=False):
        pass

    # ---- capture ------------------------------------------------------------------------
    def capture_begin(self, pool=None, capture_error_mode="global"):
        """Begin capturing CUDA work on the current stream (which must not be the default
        one); ``pool``: a graph_pool_handle() or another graph's pool() to share memory with;
        ``capture_error_mode``: "global", "thread_local" or "relaxed" (cudaStreamCaptureMode)."""
        a = api()
        mode = a.modes.get(capture_error_mode)
        if mode is None:
            raise RuntimeError(f"Unknown capture error mode. Expected `global`, "
                               f"`thread_local`, or `relaxed`, got {capture_error_mode}")
        if self._graph is not None or self._stream is not None:
            raise RuntimeError("This CUDAGraph instance already owns a captured graph. To "
                               "capture a new graph, create a new instance.")
        stream = a.current_stream()
        if _same(stream, a.null_stream()) or getattr(stream, "ptr", 0) == 0:
            raise RuntimeError("CUDA graphs must be captured on a non-default stream. "
                               "(However, after capture, it's ok to replay them on the default "
                               "stream.)")
        handle = pool if pool is not None else _POOL_HANDLE()
        if not isinstance(handle, _POOL_HANDLE):
            raise TypeError(f"capture_begin(): pool must be a graph pool handle "
                            f"(torch.cuda.graph_pool_handle() or a graph's pool()), not "
                            f"{type(pool).__name__}")
        allocator = a.using_pool(handle._memory_pool())
        capture.begin(self, None if capture_error_mode == "global" else threading.get_ident())
        try:
            allocator.__enter__()
            try:
                stream.begin_capture(mode)
            except BaseException:
                allocator.__exit__(None, None, None)
                raise
        except BaseException:
            capture.end(self)
            raise
        self._stream, self._allocator, self._pool = stream, allocator, handle
        handle._graphs += 1

    def capture_end(self):
        """End the capture on the current stream (the one it began on); the graph is then
        instantiated and ``replay`` may be called."""
        if self._stream is None:
            raise RuntimeError("CUDAGraph::capture_end() called without a preceding "
                               "capture_begin()")
        if not _same(api().current_stream(), self._stream):
            raise RuntimeError("Capture must end on the same stream it began on.")
        try:
            g = self._stream.end_capture()
        except BaseException:
            self._abandon()
            raise
        self._finish()
        self._graph = g

    def _finish(self):
        """The capture's bookkeeping undone: the thread's allocator back, the capture gone."""
        allocator, self._allocator, self._stream = self._allocator, None, None
        try:
            allocator.__exit__(None, None, None)
        finally:
            capture.end(self)
        while _deferred:
            _deferred.pop().free_all_blocks()

    def _abandon(self):
        """An error inside the capture: end CuPy's capture if still underway (its graph is
        dropped), undo the bookkeeping and give the pool back."""
        stream = self._stream
        if stream is None:
            return
        try:
            if stream.is_capturing():
                stream.end_capture()
        except Exception:  # an invalidated capture raises at its end: it is over either way
            pass
        finally:
            self._finish()
            self._graph = None
            self._release_pool()

    def instantiate(self):
        """Instantiate the captured graph (CuPy has done it at capture_end: nothing to do)."""
        if self._graph is None:
            raise RuntimeError("Called CUDAGraph::instantiate without a preceding successful "
                               "capture.")

    # ---- use ----------------------------------------------------------------------------
    def replay(self):
        """Launch the captured work on the current stream."""
        if self._graph is None:
            raise RuntimeError("Called CUDAGraph::replay without a preceding successful "
                               "capture.")
        self._graph.launch(api().current_stream())

    def reset(self):
        """Delete the graph this instance holds, and its hold on the memory pool."""
        if self._stream is not None:
            raise RuntimeError("Called CUDAGraph::reset while the graph is being captured; "
                               "end the capture first.")
        self._graph = None
        self._release_pool()

    def _release_pool(self):
        pool, self._pool = self._pool, None
        if pool is not None:
            pool._release()

    def pool(self):
        """The opaque token of this graph's memory pool, to pass to another graph's
        capture_begin (or torch.cuda.graph) so that they share memory."""
        if self._pool is None:
            raise RuntimeError(_NOT_CAPTURED_POOL)
        return self._pool

    def enable_debug_mode(self):
        """Keep what debug_dump needs (CuPy keeps the graph anyway)."""
        self._debug = True

    def debug_dump(self, debug_path):
        """Write the captured graph as Graphviz DOT to ``debug_path`` (after
        enable_debug_mode(); PyTorch's warning otherwise)."""
        if not self._debug:
            warnings.warn("CUDA Graphs debug not enabled, set with "
                          "[graph].enable_debug_mode()")
            return
        if self._graph is None:
            raise RuntimeError("Called CUDAGraph::debug_dump without a preceding successful "
                               "capture.")
        with open(debug_path, "w") as f:
            f.write(self._graph.debug_dot_str())

    def __del__(self):
        try:
            if getattr(self, "_stream", None) is None and getattr(self, "_pool", None):
                self._release_pool()
        except Exception:
            pass  # never raise under GC


class graph:  # noqa: N801  (PyTorch's name)
    """with torch.cuda.graph(cuda_graph, pool=None, stream=None, capture_error_mode="global"):
    capture the CUDA work of the block into ``cuda_graph``.

    On entry: synchronizes the device, collects garbage and empties CuPy's cache (more memory
    for the graph), makes ``stream`` (default: one side stream shared by every graph context)
    current and begins the capture; on exit ends it.  An error inside the block ends the
    capture, drops the partial graph and re-raises: the graph can be captured again."""

    default_capture_stream = None

    def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode="global"):
        if stream is None and graph.default_capture_stream is None:
            graph.default_capture_stream = Stream()
        self.pool = () if pool is None else (pool,)
        self.capture_stream = stream if stream is not None else graph.default_capture_stream
        self.stream_ctx = StreamContext(self.capture_stream)
        self.cuda_graph = cuda_graph
        self.capture_error_mode = capture_error_mode

    def __enter__(self):
        a = api()
        capture.check("torch.cuda.synchronize() (entering torch.cuda.graph)")
        a.synchronize()
        gc.collect()
        a.empty_cache()
        self.stream_ctx.__enter__()
        try:
            self.cuda_graph.capture_begin(*self.pool,
                                          capture_error_mode=self.capture_error_mode)
        except BaseException:
            self.stream_ctx.__exit__(None, None, None)
            raise

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.cuda_graph.capture_end()
            else:
                self.cuda_graph._abandon()
        finally:
            self.stream_ctx.__exit__(exc_type, exc, tb)
        return False
