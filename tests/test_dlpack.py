"""DLPack (ops/dlpack.py, backend/dlpack_capsule.py): zero-copy both ways with NumPy,
PyTorch, JAX and CuPy (each skipped when absent), PyTorch's errors, bfloat16, legacy capsules,
and the CUDA routing (stream= to CuPy) on a stand-in CUDA backend."""
import gc
import weakref

import numpy as np
import pytest

import gradcore
from gradcore.utils import dlpack as gdl


def _both_ways_numpy(t):
    a = np.from_dlpack(t)
    assert a.shape == tuple(t.shape) and a.ctypes.data == t.data_ptr()
    return a


@pytest.mark.parametrize("make", [
    lambda: gradcore.arange(12.).reshape(3, 4),
    lambda: gradcore.arange(12.).reshape(3, 4).t(),          # strided view
    lambda: gradcore.arange(20, dtype=gradcore.int64)[2:18:3],
    lambda: gradcore.tensor(3.5),                              # 0-dim
    lambda: gradcore.tensor([True, False, True]),
    lambda: gradcore.tensor([1 + 2j, 3 - 1j]),
    lambda: gradcore.ones(2, 3, dtype=gradcore.float16),
])
def test_numpy_round_trip_shares_memory(make):
    t = make()
    a = _both_ways_numpy(t)
    np.testing.assert_array_equal(a, t.numpy())
    assert a.strides == t._arr.strides
    idx = (0,) * a.ndim
    new = (not a[idx]) if a.dtype == bool else a[idx] + 7
    a[idx] = new
    assert t.numpy()[idx] == new  # a write through NumPy is seen by gradcore
    back = gradcore.from_dlpack(a)
    assert back.data_ptr() == t.data_ptr() and back.dtype == t.dtype
    assert back.stride() == t.stride()


def test_empty_tensor_round_trips():
    t = gradcore.zeros(0, 3)
    assert np.from_dlpack(t).shape == (0, 3)
    assert tuple(gradcore.from_dlpack(np.zeros((2, 0))).shape) == (2, 0)


def test_a_dtype_gradcore_lacks_is_refused():
    with pytest.raises(TypeError, match="no dtype for uint16"):
        gradcore.from_dlpack(np.ones(2, np.uint16))


def test_write_through_gradcore_seen_by_numpy():
    a = np.arange(6.0)
    t = gradcore.from_dlpack(a)
    t[1:3] = -1.0
    t.mul_(2)
    np.testing.assert_array_equal(a, [0, -2, -2, 6, 8, 10])


def test_device_and_default_export():
    t = gradcore.ones(2)
    assert t.__dlpack_device__() == (gdl.DLDeviceType.kDLCPU, 0)
    assert isinstance(t.__dlpack_device__()[0], gdl.DLDeviceType)
    assert "dltensor" in repr(t.__dlpack__()) and "versioned" not in repr(t.__dlpack__())
    assert "dltensor_versioned" in repr(t.__dlpack__(max_version=(1, 0)))


def test_errors_match_torch(torch):
    for lib in (torch, gradcore):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(BufferError) as e:
            x.__dlpack__()
        if lib is torch:
            want = str(e.value)
        else:
            assert str(e.value) == want
    with pytest.raises(BufferError, match="require gradient"):
        np.from_dlpack(gradcore.ones(2, requires_grad=True))
    np.from_dlpack(gradcore.ones(2, requires_grad=True).detach())
    # torch's to_dlpack exports a tensor that requires grad; so does gradcore's
    assert torch.from_dlpack(gdl.to_dlpack(gradcore.ones(2, requires_grad=True))).sum() == 2
    for bad, err in ((3, AssertionError), ("s", TypeError)):
        msgs = []
        for x in (torch.ones(2), gradcore.ones(2)):
            with pytest.raises(err) as e:
                x.__dlpack__(stream=bad)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
    for f in (torch.utils.dlpack.to_dlpack, gdl.to_dlpack):
        with pytest.raises(TypeError) as e:
            f([1, 2])
        msgs.append(str(e.value))
    assert msgs[-1] == msgs[-2]
    for f in (torch.from_dlpack, gradcore.from_dlpack):
        with pytest.raises(RuntimeError) as e:
            f([1, 2])
        msgs.append(str(e.value))
    assert msgs[-1] == msgs[-2]
    cap = gdl.to_dlpack(gradcore.ones(2))
    for f in (torch.from_dlpack, gradcore.from_dlpack):
        with pytest.raises(AssertionError) as e:
            f(cap, copy=True)
        msgs.append(str(e.value))
    assert msgs[-1] == msgs[-2]
    with pytest.raises(TypeError):
        gradcore.ones(2).__dlpack__(None)  # keyword-only, as torch's
    sp = gradcore.sparse_coo_tensor([[0]], [1.0], (2,))
    with pytest.raises(BufferError, match="layout other than torch.strided"):
        sp.__dlpack__()


def test_cross_device_without_copy_is_refused_as_torch(torch):
    msgs = []
    for f, dev in ((torch.from_dlpack, torch.device("cuda")), (gradcore.from_dlpack, "cuda")):
        with pytest.raises(ValueError) as e:
            f(np.ones(2), device=dev, copy=False)
        msgs.append(str(e.value))
    assert msgs[0].replace("255", "0") == msgs[1]


def test_copy_argument():
    a = np.arange(3.0)
    c = gradcore.from_dlpack(a, copy=True)
    assert c.data_ptr() != a.ctypes.data and c.tolist() == [0.0, 1.0, 2.0]
    assert gradcore.from_dlpack(a, copy=False).data_ptr() == a.ctypes.data
    assert gradcore.from_dlpack(a, device="cpu").data_ptr() == a.ctypes.data


def test_torch_both_ways_share_memory(torch):
    t = gradcore.arange(6.).reshape(2, 3)
    tt = torch.from_dlpack(t)
    assert tt.data_ptr() == t.data_ptr() and tt.dtype == torch.float32
    tt[0, 1] = 42
    assert t[0, 1].item() == 42
    t[1, 2] = -5.0
    assert tt[1, 2].item() == -5
    v = gradcore.arange(12.).reshape(3, 4).t()[1:]          # strided view, offset
    tv = torch.from_dlpack(v)
    assert tv.stride() == v.stride() and tv.data_ptr() == v.data_ptr()
    assert torch.equal(tv, torch.arange(12.).reshape(3, 4).t()[1:])
    x = torch.arange(10).reshape(2, 5)[:, ::2]
    g = gradcore.from_dlpack(x)
    assert g.stride() == x.stride() and g.data_ptr() == x.data_ptr()
    g.add_(100)
    assert x.tolist() == [[100, 102, 104], [105, 107, 109]]
    for dt in (torch.bool, torch.int8, torch.uint8, torch.int16, torch.int32, torch.float16,
               torch.float64, torch.complex64, torch.complex128):
        y = torch.ones(3, dtype=dt)
        gy = gradcore.from_dlpack(y)
        assert str(gy.dtype).split(".")[1] == str(dt).split(".")[1]
        assert torch.from_dlpack(gy).data_ptr() == y.data_ptr()
    s = torch.tensor(2.5)
    assert gradcore.from_dlpack(s).dim() == 0 and gradcore.from_dlpack(s).item() == 2.5


def test_torch_legacy_capsules_both_ways(torch):
    x = torch.arange(4.)
    g = gradcore.from_dlpack(torch.utils.dlpack.to_dlpack(x))
    g[0] = 9.0  # writable, as torch.from_dlpack(capsule) is (NumPy alone would refuse)
    assert x[0].item() == 9
    t = gradcore.arange(3.)
    back = torch.from_dlpack(gdl.to_dlpack(t))
    back[2] = -1
    assert t.tolist() == [0.0, 1.0, -1.0]
    cap = torch.utils.dlpack.to_dlpack(x)
    gradcore.from_dlpack(cap)
    with pytest.raises(RuntimeError, match="consumed only once"):
        gradcore.from_dlpack(cap)


def test_conj_and_neg(torch):
    c = torch.tensor([1 + 2j, 3 - 1j])
    msgs = []
    for f in (np.from_dlpack, gradcore.from_dlpack):
        with pytest.raises(BufferError) as e:
            f(c.conj())  # torch refuses its own conjugate bit
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1] == "Can't export tensors with the conjugate bit set"
    g = gradcore.from_dlpack(c.conj().resolve_conj())
    assert g.tolist() == [1 - 2j, 3 + 1j]
    gc_ = gradcore.tensor([1 + 2j, 3 - 1j]).conj()  # gradcore has no conj bit: exported as is
    assert torch.equal(torch.from_dlpack(gc_), c.conj().resolve_conj())
    n = c.conj().imag  # a negative-bit view in torch
    assert gradcore.from_dlpack(n.resolve_neg()).tolist() == n.tolist()


def test_bfloat16_both_ways(torch):
    pytest.importorskip("ml_dtypes")
    b = gradcore.arange(4.).bfloat16()
    tb = torch.from_dlpack(b)
    assert tb.dtype == torch.bfloat16 and tb.data_ptr() == b.data_ptr()
    tb[0] = 7
    assert b.tolist() == [7.0, 1.0, 2.0, 3.0]
    x = torch.arange(3.).bfloat16()
    g = gradcore.from_dlpack(x)
    assert g.dtype == gradcore.bfloat16 and g.data_ptr() == x.data_ptr()
    g[1] = 5.0
    assert x.tolist() == [0.0, 5.0, 2.0]
    assert torch.from_dlpack(gdl.to_dlpack(b)).dtype == torch.bfloat16
    assert gradcore.from_dlpack(torch.utils.dlpack.to_dlpack(x)).dtype == gradcore.bfloat16


def test_legacy_capsule_deleter_runs_once():
    base = np.arange(5.0)
    alive = weakref.ref(base)
    cap = base.__dlpack__()
    del base
    t = gradcore.from_dlpack(cap)
    t[0] = 1.0
    del cap
    gc.collect()
    assert alive() is not None  # the tensor holds the memory
    del t
    gc.collect()
    assert alive() is None
    # a capsule re-wrapped but never consumed frees its tensor too
    from gradcore.backend import dlpack_capsule
    base = np.arange(5.0)
    alive = weakref.ref(base)
    cap = dlpack_capsule.versioned(base.__dlpack__())
    del base
    gc.collect()
    assert alive() is not None
    del cap
    gc.collect()
    assert alive() is None


def test_jax_both_ways():
    jnp = pytest.importorskip("jax.numpy")
    ja = jnp.arange(16.0)
    g = gradcore.from_dlpack(ja)
    assert g.data_ptr() == ja.unsafe_buffer_pointer() and g.tolist() == list(range(16))
    # JAX imports host memory without a copy when it is 64-byte aligned (else it copies)
    buf = np.zeros(64 + 16, np.float32)
    off = (-buf.ctypes.data % 64) // 4
    t = gradcore.from_dlpack(buf[off:off + 64])
    j = jnp.from_dlpack(t)
    assert j.unsafe_buffer_pointer() == t.data_ptr()
    t[3] = 11.0
    assert float(j[3]) == 11.0


class _Recorder:
    """A CUDA array stand-in (its own __dlpack__ records the call, hands out NumPy's capsule)."""

    def __init__(self, arr):
        self.arr, self.calls = arr, []
        self.dtype, self.shape, self.strides = arr.dtype, arr.shape, arr.strides

    def __dlpack__(self, **kwargs):
        self.calls.append(kwargs)
        return self.arr.__dlpack__(**{k: v for k, v in kwargs.items() if k != "stream"})

    def __dlpack_device__(self):
        return 2, 0


def test_cuda_export_passes_stream_to_cupy():
    from gradcore.backend.cupy_backend import CupyBackend
    from gradcore.tensor import _wrap
    rec = _Recorder(np.arange(3.0))
    t = _wrap(rec, CupyBackend(0, xp=np))
    assert t.__dlpack_device__() == (gdl.DLDeviceType.kDLCUDA, 0)
    t.__dlpack__(stream=7, max_version=(1, 0))
    t.__dlpack__()
    t.__dlpack__(stream=-1, copy=True)
    assert rec.calls == [{"stream": 7, "max_version": (1, 0)}, {"stream": None},
                         {"stream": -1, "copy": True}]
    with pytest.raises(TypeError, match="stream must be"):
        t.__dlpack__(stream=1.5)


def test_cuda_import_goes_to_the_cuda_backend(monkeypatch):
    from gradcore import backend
    from gradcore.backend.cupy_backend import CupyBackend
    monkeypatch.setattr(backend, "_built", {})
    monkeypatch.setattr(backend, "_factories", {})
    backend.register_backend("cuda", lambda index, seed: CupyBackend(index, seed, xp=np))
    src = np.arange(4.0)
    rec = _Recorder(src)
    t = gradcore.from_dlpack(rec)
    assert t.device == gradcore.device("cuda:0") and t._arr.ctypes.data == src.ctypes.data
    t[0] = 3.0  # shared
    assert src[0] == 3.0


@pytest.mark.gpu
def test_cupy_both_ways_share_memory():
    cp = pytest.importorskip("cupy")
    t = gradcore.arange(6., device="cuda")
    c = cp.from_dlpack(t)
    assert c.data.ptr == t.data_ptr()
    c[0] = 5
    assert t[0].item() == 5
    a = cp.arange(4.0)
    g = gradcore.from_dlpack(a)
    assert g.device.type == "cuda" and g.data_ptr() == a.data.ptr
    g.add_(1)
    assert a.tolist() == [1.0, 2.0, 3.0, 4.0]
    s = cp.cuda.Stream()
    with s:
        c2 = cp.from_dlpack(t)  # CuPy passes its current stream to __dlpack__
    assert c2.data.ptr == t.data_ptr()
    assert gradcore.from_dlpack(a.__dlpack__()).data_ptr() == a.data.ptr
    assert gradcore.from_dlpack(gdl.to_dlpack(t)).device.type == "cuda"
