"""Tensor.view(dtype) against PyTorch: the same bits read as another dtype (it used to cast),
sharing memory, the shape rule between element sizes, PyTorch's errors."""
import itertools

import numpy as np
import pytest

import gradcore

DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32",
          "int64", "bool", "complex64", "complex128"]


def _bytes(t, lib):
    if lib is gradcore:
        return np.ascontiguousarray(t._arr).tobytes()
    return t.contiguous().view(lib.uint8).numpy().tobytes()


def _source(lib, dt):
    raw = np.random.default_rng(7).integers(0, 2, size=(2, 3, 16 * 8), dtype=np.uint8)
    raw = raw * np.uint8(0x3F)  # bytes of varied bit patterns; bool needs 0/1
    t = lib.tensor(raw if dt != "bool" else raw % 2)
    return t.view(getattr(lib, dt)) if dt != "bool" else t.view(lib.bool)


@pytest.mark.parametrize("src,dst", list(itertools.product(DTYPES, DTYPES)))
def test_view_dtype_reinterprets_as_torch(torch, src, dst):
    if "bool" in (src, dst) and src != dst:  # bool reads only 0/1 bytes meaningfully
        pytest.skip("bool views of arbitrary bytes hold values PyTorch leaves undefined")
    g, t = _source(gradcore, src), _source(torch, src)
    gv, tv = g.view(getattr(gradcore, dst)), t.view(getattr(torch, dst))
    assert tuple(gv.shape) == tuple(tv.shape) and gv.stride() == tv.stride()
    assert str(gv.dtype).split(".")[1] == str(tv.dtype).split(".")[1]
    assert _bytes(gv, gradcore) == _bytes(tv, torch)
    assert not gv.requires_grad


def test_view_dtype_shares_memory_and_versions():
    a = gradcore.tensor([1.0, 2.0])
    b = a.view(gradcore.int32)
    b[0] = 0
    assert a.tolist() == [0.0, 2.0]
    assert a._version == b._version == 1
    x = gradcore.randn(3, requires_grad=True)
    y = x * 2
    y.view(gradcore.int32).zero_()  # y's memory changed behind autograd's back: caught
    assert y._version == 1


@pytest.mark.parametrize("make", [
    lambda lib: lib.randn(3).view(lib.float64),
    lambda lib: lib.tensor(1.0).view(lib.float16),
    lambda lib: lib.randn(4, 2).t().view(lib.float16),
    lambda lib: lib.randn(5)[1:].view(lib.float64),
    lambda lib: lib.randn(3, 4)[:, :2].view(lib.float64),
    lambda lib: lib.randn(3, 6)[:, :4].view(lib.complex128),
])
def test_view_dtype_errors_match_torch(torch, make):
    def err(lib):
        try:
            r = make(lib)
        except RuntimeError as e:
            return str(e)
        return tuple(r.shape), r.stride()
    assert err(gradcore) == err(torch)
