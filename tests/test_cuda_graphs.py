"""CUDA Graphs (gradcore.cuda.CUDAGraph, graph, graph_pool_handle, make_graphed_callables).

Without a GPU: the bookkeeping, on the emulated CUDA backend (``CupyBackend(0, xp=numpy)``)
with a stand-in for CuPy's streams, graphs and memory pools that records every call (as
test_distributed_nccl.py stands in for NCCL): the private pool inside a capture and not outside,
pools shared between graphs, replay launching, reset giving memory back, the refusal of every
host-sync inside a capture (and the capture cleaned up after it), PyTorch's argument errors.
With a GPU (``@pytest.mark.gpu``): a whole training step captured and replayed against eager,
make_graphed_callables against eager.
"""
import gc
import inspect
import weakref

import numpy as np
import pytest

import gradcore
from gradcore import backend
from gradcore.backend import capture
from gradcore.backend import cupy_backend
from gradcore.backend.cupy_backend import CupyBackend
from gradcore.cuda import graphs, streams

MODES = {"global": 0, "thread_local": 1, "relaxed": 2}  # cudaStreamCaptureMode values


class FakeGraph:
    def __init__(self, api, stream):
        self.api, self.captured_on = api, stream
        self.launches = []

    def launch(self, stream=None):
        self.launches.append(stream)
        self.api.log.append(("launch", stream.ptr))

    def debug_dot_str(self, flags=0):
        return "digraph fake {}"


class FakeStream:
    def __init__(self, api, ptr):
        self.api, self.ptr = api, ptr
        self.capturing = None  # the mode while capturing

    def __enter__(self):
        self.api.stack.append(self)
        return self

    def __exit__(self, *exc):
        assert self.api.stack.pop() is self
        return False

    def begin_capture(self, mode=None):
        assert self.capturing is None
        self.capturing = mode
        self.api.log.append(("begin_capture", self.ptr, mode))

    def end_capture(self):
        assert self.capturing is not None
        self.capturing = None
        self.api.log.append(("end_capture", self.ptr))
        g = FakeGraph(self.api, self)
        self.api.graphs.append(g)
        return g

    def is_capturing(self):
        return self.capturing is not None

    def synchronize(self):
        self.api.log.append(("stream_synchronize", self.ptr))

    done = True

    def wait_event(self, ev):
        self.api.log.append(("wait_event", self.ptr, ev.stream.ptr))


class FakeEvent:
    stream = None

    def record(self, stream):
        self.stream = stream


class FakePool:
    def __init__(self):
        self.freed = 0

    def free_all_blocks(self):
        self.freed += 1


class FakeAllocator:
    def __init__(self, api, pool):
        self.api, self.pool = api, pool

    def __enter__(self):
        self.api.allocators.append(self.pool)

    def __exit__(self, *exc):
        assert self.api.allocators.pop() is self.pool
        return False


class FakeCuda:
    """Stands in for streams._CupyApi: the same methods, recording what they are asked."""
    modes = MODES

    def __init__(self):
        self.log, self.stack, self.allocators, self.graphs, self.pools = [], [], [], [], []
        self.null = FakeStream(self, 0)
        self._next = 0x100

    def new_stream(self, priority=0):
        self._next += 0x100
        return FakeStream(self, self._next)

    def current_stream(self):
        return self.stack[-1] if self.stack else self.null

    def null_stream(self):
        return self.null

    def new_event(self):
        return FakeEvent()

    def memory_pool(self):
        self.pools.append(FakePool())
        return self.pools[-1]

    def using_pool(self, pool):
        return FakeAllocator(self, pool)

    def empty_cache(self):
        self.log.append(("empty_cache",))

    def synchronize(self):
        self.log.append(("synchronize",))


@pytest.fixture
def fake(monkeypatch):
    api = FakeCuda()
    monkeypatch.setattr(streams, "_api", [api])
    monkeypatch.setattr(graphs.graph, "default_capture_stream", None)
    monkeypatch.setattr(backend, "_built", {})
    monkeypatch.setattr(backend, "_factories", dict(backend._factories))
    backend.register_backend("cuda", lambda index, seed: CupyBackend(index, seed, xp=np))
    from cuda_emu.loader import EmuLoader, have_compiler
    if not have_compiler():
        pytest.skip("the CUDA emulator needs g++")
    prev = cupy_backend.set_loader(EmuLoader())  # the kernels run on the CPU
    yield api
    cupy_backend.set_loader(prev)
    assert capture.active() is None, "a test left a capture underway"
    del capture._active[:]


def cuda(a, **kw):
    return gradcore.tensor(np.asarray(a), device="cuda", **kw)


# ---- capture bookkeeping -----------------------------------------------------------------------

def test_capture_uses_a_private_pool_inside_and_not_outside(fake):
    x = cuda([1.0, 2.0, 3.0])
    g = gradcore.cuda.CUDAGraph()
    assert not gradcore.cuda.is_current_stream_capturing() and fake.allocators == []
    with gradcore.cuda.graph(g):
        side = fake.current_stream()
        assert side.ptr != 0  # a side stream, not the default one
        assert gradcore.cuda.is_current_stream_capturing()
        assert fake.allocators == [g.pool()._pool]  # every allocation goes to the graph's pool
        y = x * 2 + 1
    assert fake.allocators == [] and fake.current_stream() is fake.null
    assert not gradcore.cuda.is_current_stream_capturing() and capture.active() is None
    # PyTorch's order: synchronize, empty the cache, then capture in global mode on the side
    assert fake.log == [("synchronize",), ("empty_cache",),
                        ("begin_capture", side.ptr, MODES["global"]), ("end_capture", side.ptr)]
    np.testing.assert_array_equal(y._arr, [3.0, 5.0, 7.0])  # the static output stays usable
    g.replay()
    g.replay()
    assert fake.graphs[0].launches == [fake.null, fake.null]  # on the current stream
    with gradcore.cuda.stream(gradcore.cuda.Stream()):
        g.replay()
        assert fake.graphs[0].launches[-1] is fake.current_stream()


def test_capture_modes_and_explicit_stream(fake):
    s = gradcore.cuda.Stream()
    for mode in ("thread_local", "relaxed", "global"):
        g = gradcore.cuda.CUDAGraph()
        with gradcore.cuda.graph(g, stream=s, capture_error_mode=mode):
            assert fake.current_stream() is s._s
        assert fake.log[-2] == ("begin_capture", s.cuda_stream, MODES[mode])
    g = gradcore.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="Unknown capture error mode. Expected `global`, "
                                           "`thread_local`, or `relaxed`, got fast"):
        with gradcore.cuda.graph(g, capture_error_mode="fast"):
            pass
    assert capture.active() is None and fake.stack == [] and fake.allocators == []


def test_pools_are_shared_by_handle_and_given_back_when_no_graph_holds_them(fake):
    x = cuda([1.0, 2.0])
    g1, g2, g3 = (gradcore.cuda.CUDAGraph() for _ in range(3))
    with gradcore.cuda.graph(g1):
        x + 1
    with gradcore.cuda.graph(g2, pool=g1.pool()):
        assert fake.allocators == [g1.pool()._pool]
        x + 2
    with gradcore.cuda.graph(g3):
        x + 3
    assert g2.pool() is g1.pool() and g3.pool() is not g1.pool()
    assert len(fake.pools) == 2
    shared = g1.pool()._pool
    g1.reset()
    assert shared.freed == 0  # g2 still replays into it
    g2.replay()
    g2.reset()
    assert shared.freed == 1 and g3.pool()._pool.freed == 0
    with pytest.raises(RuntimeError, match="Called CUDAGraph::replay without a preceding "
                                           "successful capture."):
        g1.replay()
    with pytest.raises(RuntimeError, match="Called CUDAGraph::pool\\(\\) without a preceding "
                                           "successful capture."):
        g1.pool()
    handle = gradcore.cuda.graph_pool_handle()
    ga, gb = gradcore.cuda.CUDAGraph(), gradcore.cuda.CUDAGraph()
    for g in (ga, gb):
        with gradcore.cuda.graph(g, pool=handle):
            x * 2
    assert ga.pool() is handle is gb.pool() and len(fake.pools) == 3


def test_the_graph_keeps_its_pool_alive_until_reset(fake):
    x = cuda([1.0])
    g = gradcore.cuda.CUDAGraph()
    with gradcore.cuda.graph(g):
        x + 1
    ref = weakref.ref(g.pool()._pool)
    fake.pools.clear()  # (the stand-in's own record)
    gc.collect()
    assert ref() is not None  # the graph holds it: replays write there
    g.reset()
    gc.collect()
    assert ref() is None  # nothing holds it now: its memory is gone with it


def test_a_pool_released_during_a_capture_is_freed_after_it(fake):
    """No cudaFree may run inside a capture: a graph dropped (reset or collected) while another
    is captured gives its pool back when that capture ends."""
    x = cuda([1.0])
    old = gradcore.cuda.CUDAGraph()
    with gradcore.cuda.graph(old):
        x + 1
    pool = old.pool()._pool
    g = gradcore.cuda.CUDAGraph()
    with gradcore.cuda.graph(g):
        del old
        gc.collect()
        assert pool.freed == 0
    assert pool.freed == 1


def test_capture_misuse_raises_pytorchs_errors(fake):
    g = gradcore.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="CUDA graphs must be captured on a non-default "
                                           "stream"):
        g.capture_begin()  # the current stream is the default one
    assert capture.active() is None and fake.allocators == []
    s = gradcore.cuda.Stream()
    with gradcore.cuda.stream(s):
        g.capture_begin()
        other = gradcore.cuda.CUDAGraph()
        with pytest.raises(RuntimeError, match="only one capture may be underway"):
            other.capture_begin()
        with pytest.raises(RuntimeError, match="already owns a captured graph"):
            g.capture_begin()
        with gradcore.cuda.stream(gradcore.cuda.Stream()):
            with pytest.raises(RuntimeError, match="Capture must end on the same stream it "
                                                   "began on."):
                g.capture_end()
        g.capture_end()
    with pytest.raises(RuntimeError, match="already owns a captured graph"):
        g.capture_begin()
    with pytest.raises(RuntimeError, match="without a preceding capture_begin"):
        gradcore.cuda.CUDAGraph().capture_end()


def test_the_allocation_seam_routes_cupys_allocator_to_the_pool_in_relaxed_mode():
    """streams._CupyApi.using_pool on the real CuPy (no GPU needed): inside, CuPy's current
    allocator is the pool's malloc, run with the thread switched to relaxed capture mode
    (cuThreadExchangeStreamCaptureMode, here a recorder) and switched back; outside, CuPy's
    own allocator again."""
    cupy = pytest.importorskip("cupy")
    import ctypes
    a = streams._CupyApi(cupy)
    assert a.modes == {"global": cupy.cuda.runtime.streamCaptureModeGlobal,
                       "thread_local": cupy.cuda.runtime.streamCaptureModeThreadLocal,
                       "relaxed": cupy.cuda.runtime.streamCaptureModeRelaxed}
    swaps = []

    def exchange(ptr):
        mode = ctypes.cast(ptr, ctypes.POINTER(ctypes.c_int))
        swaps.append(mode.contents.value)
        mode.contents.value = MODES["global"] if len(swaps) == 1 else MODES["relaxed"]
        return 0

    a._driver = exchange
    sizes = []

    class Pool:
        def malloc(self, size):
            sizes.append((size, list(swaps)))
            return "block"

    before = cupy.cuda.get_allocator()
    with a.using_pool(Pool()):
        assert cupy.cuda.get_allocator()(256) == "block"
    assert cupy.cuda.get_allocator() == before
    # relaxed while the pool allocates, the thread's global mode put back after
    assert sizes == [(256, [MODES["relaxed"]])] and swaps == [MODES["relaxed"], MODES["global"]]


def test_debug_dump(fake, tmp_path):
    g, x = gradcore.cuda.CUDAGraph(), cuda([1.0])
    with gradcore.cuda.graph(g):
        x + 1
    with pytest.warns(UserWarning, match="CUDA Graphs debug not enabled"):
        g.debug_dump(str(tmp_path / "g.dot"))
    g.enable_debug_mode()
    g.debug_dump(str(tmp_path / "g.dot"))
    assert (tmp_path / "g.dot").read_text() == "digraph fake {}"


# ---- what a capture refuses --------------------------------------------------------------------

def _refusals():
    F = gradcore.nn.functional
    return {
        "Tensor.item()": lambda x: x[0].item(),
        "Tensor.tolist()": lambda x: x.tolist(),
        "Tensor.cpu()": lambda x: x.cpu(),
        "Tensor.to('cpu')": lambda x: x.to("cpu"),
        "Tensor.numpy()": lambda x: x.numpy(force=True),
        "float()": lambda x: float(x[0]),
        "bool()": lambda x: bool(x[0]),
        "printing": lambda x: repr(x),
        "torch.cuda.synchronize()": lambda x: gradcore.cuda.synchronize(),
        "Stream.synchronize()": lambda x: gradcore.cuda.current_stream().synchronize(),
        "torch.cuda.empty_cache()": lambda x: gradcore.cuda.empty_cache(),
        "torch.nonzero": lambda x: gradcore.nonzero(x),
        "boolean mask": lambda x: x[x > 1],
        "torch.masked_select": lambda x: gradcore.masked_select(x, x > 1),
        "rand": lambda x: gradcore.rand(3, device="cuda"),
        "randn": lambda x: gradcore.randn(3, device="cuda"),
        "randint": lambda x: gradcore.randint(0, 5, (3,), device="cuda"),
        "randperm": lambda x: gradcore.randperm(4, device="cuda"),
        "bernoulli": lambda x: F.dropout(x, 0.5, training=True),
        "host data": lambda x: gradcore.tensor([1.0, 2.0], device="cuda"),
        "host data (.to)": lambda x: gradcore.ones(2).to("cuda"),
    }


@pytest.mark.parametrize("name", list(_refusals()))
def test_uncapturable_calls_raise_before_cuda_and_the_capture_is_cleaned_up(fake, name):
    op = _refusals()[name]
    x = cuda([1.0, 2.0, 3.0])
    op(x)  # fine outside a capture
    g = gradcore.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="operation not permitted when stream is capturing") \
            as info:
        with gradcore.cuda.graph(g):
            x + 1
            op(x)
    assert "can't be captured into a CUDA graph" in str(info.value)
    # the capture is over: CuPy's ended, allocator and stream restored, the graph reusable
    assert fake.log[-1][0] == "end_capture" and capture.active() is None
    assert fake.allocators == [] and fake.stack == []
    with pytest.raises(RuntimeError, match="without a preceding successful capture"):
        g.replay()
    with gradcore.cuda.graph(g):
        y = x * 3
    g.replay()
    np.testing.assert_array_equal(y._arr, [3.0, 6.0, 9.0])


@pytest.mark.parametrize("mode, refused", [("global", True), ("thread_local", False),
                                           ("relaxed", False)])
def test_other_threads_are_bound_by_a_global_capture_only(fake, mode, refused):
    import threading
    x = cuda([1.0, 2.0])
    seen = []

    def other():
        try:
            seen.append(x.tolist())
        except RuntimeError as e:
            seen.append(str(e))
    g = gradcore.cuda.CUDAGraph()
    with gradcore.cuda.graph(g, capture_error_mode=mode):
        th = threading.Thread(target=other)
        th.start()
        th.join()
        with pytest.raises(RuntimeError, match="operation not permitted"):
            x.tolist()  # the capturing thread: always
    if refused:
        assert "operation not permitted when stream is capturing" in seen[0]
    else:
        assert seen == [[1.0, 2.0]]


def test_refusals_name_the_operation(fake):
    x = cuda([1.0, 2.0])
    g = gradcore.cuda.CUDAGraph()
    for op, words in ((lambda: x.item() if x.numel() == 1 else x[0].item(), "Tensor.item()"),
                      (lambda: gradcore.nonzero(x), "torch.nonzero"),
                      (lambda: gradcore.cuda.synchronize(), "torch.cuda.synchronize()"),
                      (lambda: gradcore.rand(2, device="cuda"), "random numbers")):
        with pytest.raises(RuntimeError) as info:
            with gradcore.cuda.graph(g):
                op()
        assert words in str(info.value)


def test_what_a_capture_allows(fake):
    """CPU work, host numbers (a fill kernel: the value is a constant of the graph), and the
    ops whose host checks are left out while capturing (nll_loss's target bounds)."""
    x = cuda([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]], requires_grad=True)
    t = cuda([1, 2])
    g = gradcore.cuda.CUDAGraph()
    with gradcore.cuda.graph(g):
        assert gradcore.nonzero(gradcore.tensor([0, 1, 1])).shape == (2, 1)  # on the CPU
        s = gradcore.tensor(2.5, device="cuda")  # a 0-d tensor of a host number
        loss = gradcore.nn.functional.cross_entropy(x * s, t)
        loss.backward()
    ref = gradcore.nn.functional.cross_entropy(x.detach() * 2.5, t)
    np.testing.assert_allclose(loss._arr, ref._arr)
    assert x.grad is not None and s.shape == () and float(s) == 2.5


def _small_mlp():
    nn = gradcore.nn
    gradcore.manual_seed(3)
    return nn.Sequential(nn.Linear(7, 9), nn.ReLU(), nn.Linear(9, 4))


def test_a_whole_training_step_captures_without_refusals(fake):
    """Forward, cross-entropy, backward and SGD-momentum step inside one capture (the recipe of
    the gpu test): nothing in the path syncs with the host (no refusal; the input, target and
    parameters are SyncTraps), and the capture's own run (the emulator runs the work as it is
    captured) is the eager step from the same state."""
    rng = np.random.default_rng(0)
    xb, tb = rng.standard_normal((5, 7)).astype(np.float32), rng.integers(0, 4, 5)
    model, ref = _small_mlp().to("cuda"), _small_mlp().to("cuda")
    opt = gradcore.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = gradcore.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    static_x, static_t = _trapped(xb), _trapped(tb)  # no host read of them in the capture
    for p in model.parameters():
        p._arr = p._arr.view(SyncTrap)
    F = gradcore.nn.functional
    s = gradcore.cuda.Stream()
    s.wait_stream(gradcore.cuda.current_stream())
    with gradcore.cuda.stream(s):  # warm-up: the momentum buffers exist before the capture
        for m, o in ((model, opt), (ref, ref_opt)):
            o.zero_grad(set_to_none=True)
            F.cross_entropy(m(static_x), static_t).backward()
            o.step()
    gradcore.cuda.current_stream().wait_stream(s)
    g = gradcore.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with gradcore.cuda.graph(g):
        static_loss = F.cross_entropy(model(static_x), static_t)
        static_loss.backward()
        opt.step()
    ref_opt.zero_grad(set_to_none=True)
    ref_loss = F.cross_entropy(ref(static_x), static_t)
    ref_loss.backward()
    ref_opt.step()
    np.testing.assert_allclose(static_loss._arr, ref_loss._arr, rtol=1e-6)
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p._arr, q._arr, rtol=1e-6, atol=1e-7)
    static_x.copy_(gradcore.tensor(xb * 2))  # the replay recipe: copy in, replay
    g.replay()
    assert len(fake.graphs[-1].launches) == 1


class SyncTrap(np.ndarray):
    """An emulated device array that fails the test when it is read on the host (bool(),
    int(), float(), .item(), .tolist()) while a capture is underway: on a GPU each of those is
    a device->host sync CuPy does behind gradcore's back.  NumPy's ufuncs and reductions keep
    the subclass, so arrays computed from a trapped one are trapped too."""

    def _read(self):
        if capture.active() is not None:
            raise AssertionError("a host read of device data during a capture")

    def __bool__(self):
        self._read()
        return np.ndarray.__bool__(self)

    def __int__(self):
        self._read()
        return np.ndarray.__int__(self)

    def __float__(self):
        self._read()
        return np.ndarray.__float__(self)

    def __index__(self):
        self._read()
        return np.ndarray.__index__(self)

    def item(self, *args):
        self._read()
        return np.ndarray.item(self, *args)

    def tolist(self):
        self._read()
        return np.ndarray.tolist(self)


def _trapped(a, **kw):
    t = cuda(a, **kw)
    t._arr = t._arr.view(SyncTrap)
    return t


def test_the_captured_ops_read_nothing_on_the_host(fake):
    """The ops of a training step whose host checks (target and index bounds) are left out
    while capturing: on trapped inputs, no host read inside the capture, the same values as
    outside it (where the checks run)."""
    F = gradcore.nn.functional
    rng = np.random.default_rng(1)
    x = _trapped(rng.standard_normal((6, 5)).astype(np.float32), requires_grad=True)
    t = _trapped(rng.integers(0, 5, 6))
    w = _trapped(rng.standard_normal((5, 3)).astype(np.float32))
    q = _trapped(rng.uniform(0, 1, (6, 5)).astype(np.float32))
    lin = gradcore.nn.Linear(5, 4).to("cuda")

    def step():
        out = [F.cross_entropy(x, t), F.nll_loss(F.log_softmax(x, 1), t, reduction="sum"),
               F.embedding(t, w).sum(), F.binary_cross_entropy(gradcore.sigmoid(x), q),
               F.relu(lin(x)).sum()]
        xd = x.detach()  # (the emulated backend has no scatter-add for their backward)
        out += [xd[t].sum(), gradcore.gather(xd, 1, t[:, None]).sum(),
                gradcore.index_select(xd, 0, t).sum(), gradcore.take(xd, t).sum(),
                xd.scatter(1, t[:, None], 1.0).sum()]
        sum(out).backward()
        return [o.detach() for o in out]

    with pytest.raises(AssertionError, match="host read"):  # the trap works
        g0 = gradcore.cuda.CUDAGraph()
        with gradcore.cuda.graph(g0):
            bool(x._arr.sum() > 0)
    eager = step()
    x.grad = None
    g = gradcore.cuda.CUDAGraph()
    with gradcore.cuda.graph(g):
        captured = step()
    for a, b in zip(captured, eager):
        np.testing.assert_allclose(a._arr, b._arr, rtol=1e-6)


def test_optimizer_capture_health_check(fake):
    """PyTorch's rule for optimizers with a ``capturable`` flag (check_optimizer_step)."""
    p = gradcore.nn.Parameter(cuda([1.0, 2.0]))
    adam = gradcore.optim.Adam([p])
    capture.check_optimizer_step(adam)  # outside a capture: nothing to check
    g = gradcore.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match=r"Attempting CUDA graph capture of step\(\) for an "
                                           "instance of Adam but param_groups' capturable is "
                                           "False."):
        with gradcore.cuda.graph(g):
            capture.check_optimizer_step(adam)
    with pytest.raises(NotImplementedError, match="step count lives on the host"):
        with gradcore.cuda.graph(g):  # capturable=True: gradcore's step count is still a host one
            capture.check_optimizer_step(gradcore.optim.Adam([p], capturable=True))
    with gradcore.cuda.graph(g):
        capture.check_optimizer_step(gradcore.optim.SGD([p]))  # no capturable flag: no rule
    p.grad = cuda([0.5, 0.5])
    with pytest.raises(RuntimeError, match="capturable is False"):
        with gradcore.cuda.graph(gradcore.cuda.CUDAGraph()):  # Optimizer.step checks itself
            adam.step()


# ---- make_graphed_callables ---------------------------------------------------------------------

def _torch_error(torch, fn):
    try:
        fn(torch)
    except BaseException as e:  # noqa: BLE001  (whatever torch raises is the reference)
        return type(e), str(e)
    pytest.fail("torch raised nothing")


@pytest.mark.parametrize("case", ["hooks", "buffer", "non-tensor"])
def test_make_graphed_callables_argument_errors_match_torch(torch, fake, case):
    def call(lib):
        m = lib.nn.Linear(2, 2)
        if case == "hooks":
            m.register_forward_hook(lambda *a: None)
        if case == "buffer":
            m.register_buffer("b", lib.zeros(2, requires_grad=True))
        args = (1,) if case == "non-tensor" else (lib.zeros(3, 2),)
        lib.cuda.make_graphed_callables(m, args)
    want = _torch_error(torch, call)  # torch's CPU build checks these before needing CUDA
    with pytest.raises(want[0]) as info:
        call(gradcore)
    assert str(info.value) == want[1]
    assert fake.log == []  # refused before anything touched CUDA


def test_make_graphed_callables_refuses_autocast_caching(torch, fake, monkeypatch):
    monkeypatch.setattr(gradcore.cuda, "is_available", lambda: True)  # autocast("cuda") on
    with gradcore.autocast("cuda"):
        with pytest.raises(RuntimeError) as info:
            gradcore.cuda.make_graphed_callables(gradcore.nn.Linear(2, 2), (cuda([[1.0, 2]]),))
    assert str(info.value) in inspect.getsource(torch.cuda.graphs.make_graphed_callables)


def test_make_graphed_callables_captures_forward_then_backward_in_one_pool(fake):
    gradcore.manual_seed(0)
    lin = gradcore.nn.Linear(3, 2).to("cuda")
    x = cuda(np.ones((4, 3), np.float32), requires_grad=True)

    def fn(a, b):
        return (a * b).sum(1), a - b

    y1, y2 = cuda(np.ones((4, 3))), cuda(np.full((4, 3), 2.0), requires_grad=True)  # float64
    glin, gfn = gradcore.cuda.make_graphed_callables((lin, fn), ((x,), (y1, y2)),
                                                     num_warmup_iters=2)
    assert glin is lin
    begins = [e for e in fake.log if e[0] == "begin_capture"]
    assert len(begins) == 4 and len(fake.graphs) == 4 and len(fake.pools) == 1
    fwd_lin, fwd_fn, bwd_fn, bwd_lin = fake.graphs  # forwards in order, backwards reversed
    new_x = cuda(np.full((4, 3), 5.0, np.float32), requires_grad=True)
    out = lin(new_x)
    np.testing.assert_array_equal(x._arr, new_x._arr)  # copied into the static input
    assert fwd_lin.launches and not bwd_lin.launches and out.shape == (4, 2)
    assert out.grad_fn is not None
    out.sum().backward()
    assert len(bwd_lin.launches) == 1
    assert new_x.grad is not None and new_x.grad.shape == (4, 3)
    assert lin.weight.grad is not None and lin.weight.grad.shape == (2, 3)
    a, b = gfn(y1, y2)
    assert a.shape == (4,) and b.shape == (4, 3) and len(fwd_fn.launches) == 1
    lin.eval()  # a different training flag: the eager forward
    launched = len(fwd_lin.launches)
    np.testing.assert_allclose(lin(new_x)._arr, new_x._arr @ lin.weight._arr.T + lin.bias._arr)
    assert len(fwd_lin.launches) == launched


# ---- without CUDA --------------------------------------------------------------------------------

def test_without_cuda_the_graph_api_raises_what_a_cpu_build_of_torch_raises(torch):
    if gradcore.cuda.is_available() or torch.backends.cuda.is_built():
        pytest.skip("compares CPU-only builds")
    for name in ("CUDAGraph", "graph_pool_handle", "is_current_stream_capturing", "Stream"):
        want = _torch_error(torch, lambda lib: getattr(lib.cuda, name)())
        with pytest.raises(want[0]) as info:
            getattr(gradcore.cuda, name)()
        assert str(info.value).startswith(want[1])
    with gradcore.cuda.stream(None):  # torch.cuda.stream(None) is a no-op there too
        pass
    assert gradcore.cuda.empty_cache() is None


# ---- on a GPU ------------------------------------------------------------------------------------

def _mlp_step(lib, model, opt, x, t):
    opt.zero_grad(set_to_none=True)
    loss = lib.nn.functional.cross_entropy(model(x), t)
    loss.backward()
    opt.step()
    return loss


def _mlp(seed):
    gradcore.manual_seed(seed)
    nn = gradcore.nn
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5)).to("cuda")
    return model, gradcore.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


@pytest.mark.gpu
def test_a_captured_training_step_replays_like_eager():
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((16, 20)).astype(np.float32), rng.integers(0, 5, 16))
               for _ in range(8)]
    eager, eager_opt = _mlp(1)
    model, opt = _mlp(1)
    static_x, static_t = cuda(batches[0][0]), cuda(batches[0][1])
    s = gradcore.cuda.Stream()
    s.wait_stream(gradcore.cuda.current_stream())
    with gradcore.cuda.stream(s):  # warm-up on a side stream (momentum buffers made)
        for xb, tb in batches[:3]:
            static_x.copy_(gradcore.tensor(xb))
            static_t.copy_(gradcore.tensor(tb))
            _mlp_step(gradcore, model, opt, static_x, static_t)
            _mlp_step(gradcore, eager, eager_opt, cuda(xb), cuda(tb))
    gradcore.cuda.current_stream().wait_stream(s)
    g = gradcore.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with gradcore.cuda.graph(g):
        static_loss = gradcore.nn.functional.cross_entropy(model(static_x), static_t)
        static_loss.backward()
        opt.step()
    # the capture ran nothing: the model is still at the warm-up's end, as eager's
    for xb, tb in batches[3:]:
        static_x.copy_(gradcore.tensor(xb))
        static_t.copy_(gradcore.tensor(tb))
        g.replay()
        loss = _mlp_step(gradcore, eager, eager_opt, cuda(xb), cuda(tb))
        np.testing.assert_allclose(static_loss.item(), loss.item(), rtol=1e-5)
    for p, q in zip(model.parameters(), eager.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_make_graphed_callables_matches_eager_on_a_gpu():
    model, _ = _mlp(2)
    eager, _ = _mlp(2)
    x = cuda(np.random.default_rng(1).standard_normal((16, 20)).astype(np.float32),
             requires_grad=True)
    graphed = gradcore.cuda.make_graphed_callables(model, (x,))
    for seed in range(3):
        xb = np.random.default_rng(10 + seed).standard_normal((16, 20)).astype(np.float32)
        a, b = cuda(xb, requires_grad=True), cuda(xb, requires_grad=True)
        ya, yb = graphed(a), eager(b)
        np.testing.assert_allclose(ya.detach().cpu().numpy(), yb.detach().cpu().numpy(),
                                   rtol=1e-5, atol=1e-6)
        (ya * ya).sum().backward()
        (yb * yb).sum().backward()
        np.testing.assert_allclose(a.grad.cpu().numpy(), b.grad.cpu().numpy(), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.gpu
def test_item_inside_a_real_capture_is_refused_and_the_capture_still_ends():
    x = gradcore.ones(3, device="cuda")
    (x * 2).sum()  # warm-up: CuPy compiles and loads its kernels outside the capture
    g = gradcore.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="operation not permitted when stream is capturing"):
        with gradcore.cuda.graph(g):
            (x * 2).sum().item()
    with gradcore.cuda.graph(g):
        y = x * 2
    x.fill_(4.0)
    g.replay()
    assert y.tolist() == [8.0, 8.0, 8.0]
