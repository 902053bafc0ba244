"""PyTorch's type promotion for binary ops: dimensioned tensors, 0-d tensors and Python
scalars across float32/float64/float16/int64/int32/bool.

Against ``torch.result_type`` and the ops' actual results when torch is installed, plus the
literal spec cases (which hold without torch)."""
import itertools
import operator

import numpy as np
import pytest

import gradcore

from op_db import RTOL

DTYPES = ["float32", "float64", "float16", "int64", "int32", "bool"]
SCALARS = [2, 1.5, True]
VALUES = {"dim": [3, 1, 2], "0d": 2}
OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _operand(lib, kind, dtype):
    """A dimensioned tensor, a 0-d tensor (``kind`` "dim" / "0d"), or a Python scalar."""
    if kind == "scalar":
        return dtype
    data = VALUES[kind]
    if dtype == "bool":
        data = [True, False, True] if kind == "dim" else True
    return lib.tensor(data, dtype=getattr(lib, dtype))


def _cases():
    out = []
    tensor_kinds = [("dim", d) for d in DTYPES] + [("0d", d) for d in DTYPES]
    for a, b in itertools.product(tensor_kinds, repeat=2):
        out.append((a, b))
    for t in tensor_kinds:
        for s in SCALARS:
            out.append((t, ("scalar", s)))
            out.append((("scalar", s), t))
    return out


CASES = _cases()


def _id(case):
    return "-".join(f"{k}:{v!r}" if k == "scalar" else f"{k}:{v}" for k, v in case)


def _name(d):
    return str(d).split(".")[-1]


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_result_type_matches_torch(torch, case):
    (ka, da), (kb, db) = case
    got = gradcore.result_type(_operand(gradcore, ka, da), _operand(gradcore, kb, db))
    assert _name(got) == _name(torch.result_type(_operand(torch, ka, da),
                                                 _operand(torch, kb, db)))


@pytest.mark.parametrize("sym", list(OPS))
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_binary_op_promotion_matches_torch(torch, case, sym):
    """The op's result (dtype, shape, values) or its refusal, as torch's."""
    (ka, da), (kb, db) = case
    ga, gb = _operand(gradcore, ka, da), _operand(gradcore, kb, db)
    ta, tb = _operand(torch, ka, da), _operand(torch, kb, db)
    error = _compare_op(sym, OPS[sym], ga, gb, ta, tb)
    assert error is None, f"{_id(case)}: {error}"


def _compare_op(sym, fn, ga, gb, ta, tb):
    """None when ``ga <sym> gb`` behaves as torch's ``ta <sym> tb``; else what differs."""
    what = f"a {sym} b"
    try:
        expected = fn(ta, tb)
    except Exception as e:  # torch refuses (e.g. bool - x): gradcore must refuse alike
        try:
            got = fn(ga, gb)
        except type(e):
            return None
        except Exception as g:
            return f"{what}: raised {type(g).__name__} ({g}), torch raises {type(e).__name__}"
        return (f"{what}: returned {got.dtype}, torch raises {type(e).__name__} "
                f"({str(e).splitlines()[0]})")
    try:
        got = fn(ga, gb)
    except Exception as g:
        return f"{what}: raised {type(g).__name__} ({g}), torch gives {expected.dtype}"
    if not isinstance(got, gradcore.Tensor):
        return f"{what}: returned {type(got).__name__}"
    if _name(got.dtype) != _name(expected.dtype):
        return f"{what}: dtype {got.dtype}, torch gives {expected.dtype}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"{what}: shape {tuple(got.shape)}, torch gives {tuple(expected.shape)}"
    e, g = expected.numpy(), got.numpy()
    try:
        if e.dtype.kind in "biu":
            np.testing.assert_array_equal(g, e)
        else:
            np.testing.assert_allclose(g.astype(np.float64), e.astype(np.float64),
                                       rtol=RTOL[_name(expected.dtype)])
    except AssertionError as err:
        return f"{what}: values differ: {err}"
    return None


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, repeat=2)))
def test_promote_types_matches_torch(torch, a, b):
    got = gradcore.promote_types(getattr(gradcore, a), getattr(gradcore, b))
    assert _name(got) == _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, repeat=2)))
def test_can_cast_matches_torch(torch, a, b):
    got = gradcore.can_cast(getattr(gradcore, a), getattr(gradcore, b))
    assert got == torch.can_cast(getattr(torch, a), getattr(torch, b))


# ---- literal spec cases (no torch needed) ----------------------------------------------------

def t(data, dtype):
    return gradcore.tensor(data, dtype=dtype)


@pytest.mark.parametrize("scalar", [1.5, 2.0, 1e-3, 3])
@pytest.mark.parametrize("fn", [operator.add, operator.sub, operator.mul, operator.truediv,
                                lambda a, b: b - a, lambda a, b: b * a, lambda a, b: a ** b])
def test_python_scalar_never_widens_float32(fn, scalar):
    x = t([1.0, 2.0], gradcore.float32)
    assert fn(x, scalar).dtype is gradcore.float32


def test_int_tensor_times_float_is_float32():
    for dt in (gradcore.int32, gradcore.int64):
        y = t([1, 2, 3], dt) * 1.5
        assert y.dtype is gradcore.float32
        np.testing.assert_array_equal(y.numpy(), np.array([1.5, 3.0, 4.5], dtype=np.float32))
        assert (1.5 * t([2], dt)).dtype is gradcore.float32


def test_float32_plus_float64_zero_dim_is_float32():
    y = t([1.0, 2.0], gradcore.float32) + t(0.5, gradcore.float64)
    assert y.dtype is gradcore.float32
    np.testing.assert_array_equal(y.numpy(), np.array([1.5, 2.5], dtype=np.float32))
    assert (t(0.5, gradcore.float64) * t([1.0], gradcore.float32)).dtype is gradcore.float32


def test_zero_dim_tensors_promote_among_themselves():
    assert (t(1.0, gradcore.float32) + t(1.0, gradcore.float64)).dtype is gradcore.float64


def test_int_divided_by_int_is_float32():
    y = t([1, 3], gradcore.int64) / t([2, 2], gradcore.int64)
    assert y.dtype is gradcore.float32
    np.testing.assert_array_equal(y.numpy(), np.array([0.5, 1.5], dtype=np.float32))
    assert (t([1, 3], gradcore.int32) / 2).dtype is gradcore.float32


def test_bool_plus_bool_is_bool():
    y = t([True, False, False], gradcore.bool) + t([True, True, False], gradcore.bool)
    assert y.dtype is gradcore.bool
    np.testing.assert_array_equal(y.numpy(), [True, True, False])


def test_int_tensor_with_python_int_stays_integer():
    assert (t([1, 2], gradcore.int32) + 1).dtype is gradcore.int32
    assert (t([1, 2], gradcore.int64) * 3).dtype is gradcore.int64
    assert (t([True], gradcore.bool) + 1).dtype is gradcore.int64


def test_float16_tensor_with_python_float_stays_float16():
    assert (t([1.0], gradcore.float16) * 2.5).dtype is gradcore.float16


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_requires_grad_on_integer_tensor_raises(dtype):
    dt = getattr(gradcore, dtype)
    data = [True, False] if dtype == "bool" else [1, 2]
    with pytest.raises(RuntimeError):
        gradcore.tensor(data, dtype=dt, requires_grad=True)
    with pytest.raises(RuntimeError):
        gradcore.tensor(data, dtype=dt).requires_grad_()
    x = gradcore.tensor(data, dtype=dt)
    with pytest.raises(RuntimeError):
        x.requires_grad = True
    assert not x.requires_grad


def test_default_dtype_decides_int_times_float():
    old = gradcore.get_default_dtype()
    try:
        gradcore.set_default_dtype(gradcore.float64)
        assert (t([1, 2], gradcore.int64) * 1.5).dtype is gradcore.float64
        assert (t([1.0], gradcore.float32) * 1.5).dtype is gradcore.float32
    finally:
        gradcore.set_default_dtype(old)


@pytest.mark.parametrize("scalar", [np.float64(2.5), np.float16(1.5), np.float32(0.5),
                                    np.int64(3), np.int32(2)], ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int64"])
@pytest.mark.parametrize("op", ["*", "+", "/"])
def test_numpy_scalars_promote_as_python_numbers(scalar, dtype, op):
    # PyTorch takes a NumPy scalar as the Python number it holds: float32 * np.float64(2.5)
    # stays float32 (NumPy alone would give float64); the gradient keeps the input's dtype.
    x = gradcore.tensor([1.0, 2.0, 3.0], dtype=getattr(gradcore, dtype),
                        requires_grad=dtype.startswith("float"))
    y = OPS[op](x, scalar)
    expected = OPS[op](gradcore.tensor([1.0, 2.0, 3.0], dtype=getattr(gradcore, dtype)),
                       scalar.item())
    assert y.dtype == expected.dtype
    np.testing.assert_array_equal(y.detach().numpy(), expected.numpy())
    if x.requires_grad:
        y.sum().backward()
        assert x.grad.dtype == x.dtype
    torch = pytest.importorskip("torch")
    t = OPS[op](torch.tensor([1.0, 2.0, 3.0], dtype=getattr(torch, dtype)), scalar)
    assert str(y.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
