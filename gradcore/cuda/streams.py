"""torch.cuda's streams on CuPy's: ``Stream``, ``current_stream``, ``default_stream``,
``stream(s)`` (``StreamContext``), and ``api()``: everything the stream and graph code asks of
CUDA, in one object (``_CupyApi``) that tests replace with a stand-in that records the calls.

A ``Stream`` wraps a ``cupy.cuda.Stream``; ``with gradcore.cuda.stream(s):`` makes it CuPy's
current stream, so every kernel, copy and cuBLAS call gradcore makes goes there.  Without a
usable GPU, ``Stream()`` raises what PyTorch's CPU build raises ("torch.cuda.Stream requires
CUDA support"); ``current_stream()`` the first-use error of ``gradcore.cuda``.
"""
import contextlib
import ctypes

from .._device import device as _device
from ..backend.cuda_runtime import _lazy_init

_api = [None]  # the _CupyApi once built (tests set a stand-in)


def api():
    """The CUDA API object (built on first use; the first-use error when CUDA can't serve)."""
    if _api[0] is None:
        _api[0] = _CupyApi(_lazy_init())
    return _api[0]


class _CupyApi:
    """What gradcore.cuda's streams and graphs ask of CuPy: streams, capture modes, memory
    pools, the thread's allocator, synchronize."""

    def __init__(self, cupy):
        self.cupy = cupy
        rt = cupy.cuda.runtime
        self.modes = {"global": rt.streamCaptureModeGlobal,
                      "thread_local": rt.streamCaptureModeThreadLocal,
                      "relaxed": rt.streamCaptureModeRelaxed}
        self._driver = None

    def new_stream(self, priority=0):
        return self.cupy.cuda.Stream(non_blocking=True, priority=priority)

    def current_stream(self):
        return self.cupy.cuda.get_current_stream()

    def null_stream(self):
        return self.cupy.cuda.Stream.null

    def new_event(self):
        return self.cupy.cuda.Event()

    def memory_pool(self):
        return self.cupy.cuda.MemoryPool()

    def using_pool(self, pool):
        """The allocation seam of a capture: a context under which every CuPy allocation of
        this thread (gradcore's arrays, CuPy's own temporaries and workspaces) comes from
        ``pool``.  A block the pool must newly cudaMalloc is allocated in relaxed capture mode
        (as PyTorch's allocator does): cudaMalloc is legal during a capture, its address stays
        the graph's, but the global and thread-local modes count it as potentially unsafe."""
        def malloc(size):
            with self.relaxed():
                return pool.malloc(size)
        return self.cupy.cuda.using_allocator(malloc)

    @contextlib.contextmanager
    def relaxed(self):
        """This thread in relaxed stream-capture mode (cuThreadExchangeStreamCaptureMode)."""
        fn = self._exchange()
        if fn is None:
            yield
            return
        mode = ctypes.c_int(self.modes["relaxed"])
        fn(ctypes.byref(mode))
        try:
            yield
        finally:
            fn(ctypes.byref(mode))

    def _exchange(self):
        if self._driver is None:
            try:
                self._driver = ctypes.CDLL("libcuda.so.1").cuThreadExchangeStreamCaptureMode
            except (OSError, AttributeError):
                self._driver = False
        return self._driver or None

    def empty_cache(self):
        self.cupy.get_default_memory_pool().free_all_blocks()

    def synchronize(self):
        self.cupy.cuda.Device().synchronize()


def _usable_api(what):
    """api(), or RuntimeError(``what``) -- PyTorch's CPU-build text -- naming why not."""
    try:
        return api()
    except Exception as e:
        reason = " ".join(str(e).split())
        raise RuntimeError(f"{what} (CUDA is not available here: {reason})") from None


class Stream:
    """torch.cuda.Stream(device=None, priority=0): a CUDA stream (a non-blocking CuPy
    stream).  ``cuda_stream`` is its cudaStream_t."""

    def __new__(cls, device=None, priority=0, **kwargs):
        return cls._of(_usable_api("torch.cuda.Stream requires CUDA support").new_stream(
            priority), priority)

    @classmethod
    def _of(cls, s, priority=0):
        """A Stream wrapping the CuPy stream ``s``."""
        self = object.__new__(cls)
        self._s, self.priority = s, priority
        self.device = _device("cuda", 0)
        return self

    @property
    def cuda_stream(self):
        return int(getattr(self._s, "ptr", 0))

    def synchronize(self):
        """Wait until the work queued on this stream has finished."""
        from ..backend import capture
        capture.check("Stream.synchronize()")
        self._s.synchronize()

    def query(self):
        """Whether all the work queued on this stream has finished."""
        return bool(self._s.done)

    def wait_stream(self, stream):
        """Make later work on this stream wait for the work queued on ``stream`` so far."""
        ev = api().new_event()
        ev.record(stream._s)
        self._s.wait_event(ev)

    def __eq__(self, other):
        if not isinstance(other, Stream):
            return NotImplemented
        return self._s is other._s or (self.cuda_stream != 0
                                       and self.cuda_stream == other.cuda_stream)

    def __hash__(self):
        return hash(self.cuda_stream)

    def __repr__(self):
        return f"<torch.cuda.Stream device=cuda:0 cuda_stream={self.cuda_stream:#x}>"


def current_stream(device=None):
    """The stream CUDA work is queued on now (torch.cuda.current_stream)."""
    return Stream._of(api().current_stream())


def default_stream(device=None):
    """The device's default (null) stream."""
    return Stream._of(api().null_stream())


class StreamContext:
    """``with torch.cuda.stream(s):`` -- ``s`` is the current stream inside (None: nothing
    changes)."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        if self.stream is not None:
            self.stream._s.__enter__()
        return self.stream

    def __exit__(self, *exc):
        if self.stream is not None:
            self.stream._s.__exit__(*exc)
        return False


def stream(stream):
    """torch.cuda.stream(stream): a StreamContext making ``stream`` current inside."""
    return StreamContext(stream)
