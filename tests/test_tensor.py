"""Tensor basics: devices, dtypes, factories, properties, conversions, repr."""
import math

import numpy as np
import pytest

import gradcore as gc_


# ---- devices ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,typ,index,text", [
    ("cpu", "cpu", None, "cpu"), ("CPU", "cpu", None, "cpu"), ("Cpu", "cpu", None, "cpu"),
    ("cuda", "cuda", None, "cuda"), ("cuda:0", "cuda", 0, "cuda:0"), ("CUDA:1", "cuda", 1, "cuda:1"),
])
def test_device_parsing(spec, typ, index, text):
    d = gc_.device(spec)
    assert (d.type, d.index, str(d)) == (typ, index, text)
    assert d == gc_.device(text) and d == text


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:-1", "", "mps", "cpu:1"])
def test_bad_device_strings(bad):
    with pytest.raises(RuntimeError) as e:
        gc_.device(bad)
    if bad in ("gpu", "mps", ""):
        assert "cpu, cuda" in str(e.value)


def test_device_equality_and_repr():
    assert gc_.device("cuda:0") != gc_.device("cpu")
    assert repr(gc_.device("cuda:0")) == "device(type='cuda', index=0)"
    assert repr(gc_.device("cpu")) == "device(type='cpu')"
    assert gc_.device("cuda", 1) == gc_.device("cuda:1")
    assert len({gc_.device("cpu"), gc_.device("CPU")}) == 1


def test_tutorial_device_selection_runs_anywhere():
    device = gc_.device("cuda:0" if gc_.cuda.is_available() else "CPU")
    t = gc_.ones(2).to(device)
    assert t.device == device


def test_cuda_queries_never_raise():
    assert isinstance(gc_.cuda.is_available(), bool)
    assert isinstance(gc_.cuda.device_count(), int)
    gc_.cuda.synchronize()
    if not gc_.cuda.is_available():
        assert gc_.cuda.device_count() == 0


def test_cuda_queries_without_cupy(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_cupy(name, *args, **kwargs):
        if name == "cupy" or name.startswith("cupy."):
            raise ImportError("No module named 'cupy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cupy)
    assert gc_.cuda.is_available() is False
    assert gc_.cuda.device_count() == 0
    gc_.cuda.synchronize()


# ---- factories -------------------------------------------------------------------------------

def test_tensor_dtype_inference():
    assert gc_.tensor([1, 2]).dtype is gc_.int64
    assert gc_.tensor([1.0, 2]).dtype is gc_.float32
    assert gc_.tensor([True, False]).dtype is gc_.bool
    assert gc_.tensor(3.5).dtype is gc_.float32 and gc_.tensor(3.5).dim() == 0
    assert gc_.tensor(np.arange(3.0)).dtype is gc_.float64
    assert gc_.tensor([[1, 2], [3, 4]], dtype=gc_.float64).dtype is gc_.float64
    assert gc_.tensor([]).shape == (0,)


def test_tensor_copies_and_from_numpy_shares():
    arr = np.arange(4.0)
    t = gc_.tensor(arr)
    f = gc_.from_numpy(arr)
    arr[0] = 100
    assert t[0].item() == 0.0
    assert f.tolist()[0] == 100.0
    assert f.numpy() is arr
    with pytest.raises(TypeError, match="expected np.ndarray"):
        gc_.from_numpy([1, 2])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.longdouble"):
        gc_.from_numpy(np.zeros(2, np.longdouble))  # a dtype neither library has


def test_factories_shapes_dtypes_and_devices(device):
    for f in (gc_.zeros, gc_.ones, gc_.empty, gc_.rand, gc_.randn):
        t = f(2, 3, device=device)
        assert t.shape == (2, 3) and t.dtype is gc_.float32 and t.device == device
        assert f((2, 3), device=device).shape == (2, 3)
        assert f([4], dtype=gc_.float64, device=device).dtype is gc_.float64
    assert gc_.full((2, 2), 7).dtype is gc_.int64
    assert gc_.full((2, 2), 7.0).dtype is gc_.float32
    np.testing.assert_array_equal(gc_.full((2,), 3.0, device=device).cpu().numpy(), [3., 3.])
    np.testing.assert_array_equal(gc_.eye(2, 3, device=device).cpu().numpy(), np.eye(2, 3))
    z = gc_.zeros(2, 3, requires_grad=True, device=device)
    assert z.requires_grad and z.is_leaf


def test_arange_and_linspace_match_pytorch_rules():
    assert gc_.arange(5).dtype is gc_.int64
    assert gc_.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert gc_.arange(0, 1, 0.25).dtype is gc_.float32
    assert gc_.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert gc_.arange(5, 0, -2).tolist() == [5, 3, 1]
    np.testing.assert_allclose(gc_.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5), rtol=1e-7)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        gc_.arange(0, 1, 0)


def test_random_factories_ranges_and_seed():
    gc_.manual_seed(0)
    a = gc_.rand(1000)
    b = gc_.randn(1000)
    c = gc_.randint(3, 7, (1000,))
    gc_.manual_seed(0)
    assert gc_.rand(1000).tolist() == a.tolist()
    assert gc_.randn(1000).tolist() == b.tolist()
    assert gc_.randint(3, 7, (1000,)).tolist() == c.tolist()
    assert 0 <= a.numpy().min() and a.numpy().max() < 1
    assert abs(b.numpy().mean()) < 0.2 and 0.8 < b.numpy().std() < 1.2
    assert c.dtype is gc_.int64 and set(c.tolist()) == {3, 4, 5, 6}
    assert gc_.randint(5, (3,)).numpy().max() < 5
    assert sorted(gc_.randperm(6).tolist()) == list(range(6))
    with pytest.raises(RuntimeError, match="not implemented for 'Int64'"):
        gc_.randn(2, dtype=gc_.int64)


def test_like_factories():
    x = gc_.ones(2, 3, dtype=gc_.float64)
    for f in (gc_.zeros_like, gc_.ones_like, gc_.rand_like, gc_.randn_like, gc_.empty_like):
        t = f(x)
        assert t.shape == (2, 3) and t.dtype is gc_.float64 and not t.requires_grad
    assert gc_.full_like(x, 4).tolist() == [[4.0] * 3] * 2
    assert gc_.zeros_like(x, dtype=gc_.int32).dtype is gc_.int32
    assert gc_.ones_like(x, requires_grad=True).requires_grad


def test_negative_size_error():
    with pytest.raises(RuntimeError, match="negative dimension"):
        gc_.zeros(2, -1)


# ---- dtypes ----------------------------------------------------------------------------------

def test_dtype_aliases_and_repr():
    assert gc_.float is gc_.float32 and gc_.double is gc_.float64 and gc_.half is gc_.float16
    assert gc_.long is gc_.int64 and gc_.int is gc_.int32
    assert repr(gc_.float32) == "gradcore.float32"
    assert gc_.float32.is_floating_point and not gc_.int64.is_floating_point
    assert gc_.get_default_dtype() is gc_.float32


def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        gc_.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        gc_.ones(2, dtype=gc_.int32).requires_grad_()


def test_python_scalars_never_upcast_float32():
    x = gc_.ones(3)
    for y in (x * 1.5, x + 2, 3.0 - x, x / 7, x ** 2.5, 2.0 ** x):
        assert y.dtype is gc_.float32
    i = gc_.tensor([1, 2, 3])
    assert (i * 1.5).dtype is gc_.float32
    assert (i + 1).dtype is gc_.int64
    assert (i / 2).dtype is gc_.float32
    assert (i / 2).tolist() == [0.5, 1.0, 1.5]


# ---- properties and conversions --------------------------------------------------------------

def test_properties():
    x = gc_.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == x.ndim == 3 and x.numel() == 24
    assert repr(x.shape) == "gradcore.Size([2, 3, 4])"
    assert not x.is_cuda and x.device == gc_.device("cpu")
    assert x.T.shape == (4, 3, 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)


def test_item_tolist_numpy():
    assert gc_.tensor(2.5).item() == 2.5
    assert isinstance(gc_.tensor(3).item(), int)
    assert gc_.tensor([[1, 2]]).tolist() == [[1, 2]]
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted to "
                                           "Scalar"):
        gc_.zeros(2, 3).item()
    a = gc_.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\) instead"):
        a.numpy()
    assert isinstance(a.detach().numpy(), np.ndarray)
    assert float(gc_.tensor(1.5)) == 1.5 and int(gc_.tensor(4)) == 4
    assert f"{gc_.tensor(2.0):.2f}" == "2.00"


def test_to_cpu_cuda_and_dtype_conversions(device):
    x = gc_.tensor([1.5, -2.5], device=device)
    assert x.to(gc_.float64).dtype is gc_.float64
    assert x.double().dtype is gc_.float64 and x.half().dtype is gc_.float16
    assert x.long().tolist() == [1, -2] and x.int().dtype is gc_.int32
    assert x.float() is x          # nothing to change: the same tensor, as PyTorch
    assert x.to(device) is x
    assert x.cpu().device == gc_.device("cpu")
    y = x.to("cpu", gc_.float64)
    assert y.dtype is gc_.float64 and y.device == gc_.device("cpu")
    z = x.to(gc_.zeros(1, dtype=gc_.int32))
    assert z.dtype is gc_.int32
    c = x.to(device, copy=True)
    assert c is not x


def test_cuda_without_gpu_raises_cleanly():
    if gc_.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(Exception) as e:
        gc_.ones(2).cuda()
    assert not isinstance(e.value, (AttributeError, NameError))


def test_clone_detach_contiguous():
    a = gc_.ones(2, 3, requires_grad=True)
    c = a.clone()
    assert type(c.grad_fn).__name__ == "CloneBackward0"
    assert not np.shares_memory(c.detach().numpy(), a.detach().numpy())
    d = a.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), a.detach().numpy())
    t = a.t()
    assert not t.is_contiguous() and t.contiguous().is_contiguous()
    assert a.contiguous() is a


def test_grad_setter_validation():
    a = gc_.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        a.grad = gc_.ones(4)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type"):
        a.grad = gc_.ones(3, dtype=gc_.float64)
    a.grad = gc_.ones(3)
    del a.grad
    assert a.grad is None


def test_requires_grad_on_non_leaf():
    a = gc_.ones(3, requires_grad=True)
    b = a * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf "
                                           "variables"):
        b.requires_grad_(False)


def test_repr_matches_tutorial_format(device):
    x = gc_.tensor([[0.9811, -0.2472, 0.7087, 0.4421],
                    [0.1673, 0.4379, -0.6533, 0.1763],
                    [0.1237, -1.2269, 0.4307, -0.7825]], requires_grad=True, device=device)
    suffix = "" if device.type == "cpu" else ", device='cuda:0'"
    assert repr(x) == ("tensor([[ 0.9811, -0.2472,  0.7087,  0.4421],\n"
                       "        [ 0.1673,  0.4379, -0.6533,  0.1763],\n"
                       "        [ 0.1237, -1.2269,  0.4307, -0.7825]]"
                       f"{suffix}, requires_grad=True)")
    y = gc_.tensor(8.3622, requires_grad=True, device=device) * 1
    assert repr(y) == f"tensor(8.3622{suffix}, grad_fn=<MulBackward0>)"
    assert repr(gc_.tensor([1.0, 2.0], dtype=gc_.float64)) == \
        "tensor([1., 2.], dtype=gradcore.float64)"


def test_import_does_not_pull_optional_packages():
    import subprocess
    import sys
    code = ("import sys, gradcore; x = gradcore.randn(3, requires_grad=True); "
            "(x * 2).sum().backward(); "
            "bad = [m for m in ('cupy', 'torch', 'matplotlib') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_math_nan_inf_roundtrip():
    t = gc_.tensor([math.inf, -math.inf, math.nan])
    assert math.isnan(t.tolist()[2]) and t.tolist()[:2] == [math.inf, -math.inf]


def test_cpu_and_cuda_take_pytorchs_keywords():
    # tutorials write x.cuda(non_blocking=True) and x.cpu(memory_format=...); without a GPU
    # cuda() still raises the CUDA error, not a TypeError about the keyword
    x = gc_.ones(2)
    assert x.cpu(memory_format=None) is x
    if not gc_.cuda.is_available():
        with pytest.raises((AssertionError, RuntimeError)):
            x.cuda(non_blocking=True)
