"""Tests for gradcore._tensor_str: PyTorch repr parity (skipped without torch) and
the tutorial strings that are the spec."""
import numpy as np
import pytest

from gradcore._tensor_str import get_printoptions, set_printoptions, tensor_repr

FLOATS = ["float32", "float64", "float16"]
INTS = ["int64", "int32", "int16", "int8", "uint8"]


@pytest.fixture(autouse=True)
def _restore_printoptions():
    yield
    set_printoptions(profile="default")
    try:
        import torch
    except ImportError:
        return
    torch.set_printoptions(profile="default")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _check(arr, dtype_name, *, grad=None, namespace="gradcore"):
    """Compare tensor_repr against repr() of the torch tensor built from ``arr``.

    grad: None, "requires_grad" (a leaf) or "grad_fn" (a non-leaf from clone()).
    """
    torch = pytest.importorskip("torch")
    arr = np.ascontiguousarray(arr, dtype=np.dtype(dtype_name))
    t = torch.from_numpy(arr.copy())
    grad_fn_name = None
    if grad is not None:
        t = t.requires_grad_(True)
        if grad == "grad_fn":
            t = t.clone()
            grad_fn_name = type(t.grad_fn).__name__
    got = tensor_repr(arr, dtype_name=dtype_name, grad_fn_name=grad_fn_name,
                      requires_grad=grad is not None, namespace=namespace)
    assert got == repr(t).replace("torch.", namespace + ".")
    return got


def _both_printoptions(**kw):
    torch = pytest.importorskip("torch")
    torch.set_printoptions(**kw)
    set_printoptions(**kw)


# ---------------------------------------------------------------- spec (no torch)

def test_tutorial_requires_grad_matrix():
    a = np.array([[0.9811, -0.2472, 0.7087, 0.4421],
                  [0.1673, 0.4379, -0.6533, 0.1763],
                  [0.1237, -1.2269, 0.4307, -0.7825]], dtype=np.float32)
    assert tensor_repr(a, dtype_name="float32", requires_grad=True) == (
        "tensor([[ 0.9811, -0.2472,  0.7087,  0.4421],\n"
        "        [ 0.1673,  0.4379, -0.6533,  0.1763],\n"
        "        [ 0.1237, -1.2269,  0.4307, -0.7825]], requires_grad=True)")


def test_tutorial_scalar_with_grad_fn():
    a = np.array(8.3622, dtype=np.float32)
    assert tensor_repr(a, dtype_name="float32", grad_fn_name="SumBackward0",
                       requires_grad=True) == "tensor(8.3622, grad_fn=<SumBackward0>)"


def test_tutorial_ones():
    assert tensor_repr(np.ones((3, 4), np.float32), dtype_name="float32") == (
        "tensor([[1., 1., 1., 1.],\n"
        "        [1., 1., 1., 1.],\n"
        "        [1., 1., 1., 1.]])")


# ---------------------------------------------------------------- parity with torch

SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 4), (2, 2, 3, 4), (1, 1, 1), (4, 1)]


@pytest.mark.parametrize("dtype_name", FLOATS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_random_normals(shape, dtype_name):
    _check(_rng(len(shape)).standard_normal(shape), dtype_name)


@pytest.mark.parametrize("scale", [1e5, 1e-6, 1e9, 1e-3, 123.0, 2e3])
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_magnitudes(scale, dtype_name):
    _check(_rng(1).standard_normal((3, 5)) * scale, dtype_name)


@pytest.mark.parametrize("values", [
    [1e-5, 1.0, 1e4], [1e-4, 0.5], [1e-4, 0.05], [1.0, 1000.0], [1.0, 1001.0], [1e8, 1.0], [2e8, 1.0],
    [1e10, 2.0], [3.0, -7.0, 12.0], [0.0, 0.0], [-0.0], [0.0, -0.0, 1.5],
    [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5], [np.nan, np.inf], [np.nan, 1.0, 2.0],
    [np.inf, -np.inf, 1.5], [-np.inf, 1e-7], [np.nan], [1e20], [-1e-20, 3.0],
    [0.00012345, 0.5], [123456.0, -1.0], [-5.0, np.nan, 100.0],
])
@pytest.mark.parametrize("dtype_name", FLOATS)
def test_special_values(values, dtype_name):
    with np.errstate(over="ignore"):
        _check(np.array(values), dtype_name)


@pytest.mark.parametrize("value", [0.0, -0.0, 3.0, -2.5, 1e-6, 1e12, np.nan, -np.inf])
def test_zero_dim(value):
    _check(np.array(value), "float32")
    _check(np.array(value), "float64", grad="grad_fn")


@pytest.mark.parametrize("dtype_name", INTS)
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 2)], ids=str)
def test_integers(shape, dtype_name):
    info = np.iinfo(dtype_name)
    _check(_rng(3).integers(info.min, info.max, size=shape, endpoint=True), dtype_name)
    _check(_rng(4).integers(max(info.min, -12), 12, size=shape), dtype_name)


@pytest.mark.parametrize("shape", [(), (6,), (3, 3), (2, 2, 2)], ids=str)
def test_bools(shape):
    _check(_rng(5).integers(0, 2, size=shape).astype(bool), "bool")
    _check(np.ones(shape, bool), "bool")


@pytest.mark.parametrize("dtype_name", FLOATS)
def test_integer_valued_floats(dtype_name):
    _check(np.arange(-6, 6).reshape(3, 4), dtype_name)
    _check(np.ones((2, 3)) * 1e9, dtype_name if dtype_name != "float16" else "float32")


@pytest.mark.parametrize("case", [
    ("int64", (2000,)), ("float32", (2000,)), ("float32", (40, 40)), ("float64", (12, 12, 12)),
    ("float32", (5, 300)), ("int32", (1001,)), ("float32", (1001,)), ("bool", (50, 50)),
    ("float16", (3, 20, 20)), ("float32", (2, 2, 300)), ("int8", (11, 100)),
], ids=str)
def test_summarization(case):
    dtype_name, shape = case
    a = _rng(6).standard_normal(shape) * 10
    if dtype_name == "bool":
        a = a > 0
    _check(a, dtype_name)
    _check(np.arange(int(np.prod(shape))).reshape(shape) % 127, dtype_name)


@pytest.mark.parametrize("case", [
    ("float32", (30,)), ("float64", (3, 30)), ("float32", (2, 2, 25)), ("int64", (100,)),
    ("int64", (2, 60)), ("bool", (40,)), ("float32", (17,)),
], ids=str)
def test_long_rows_wrap(case):
    dtype_name, shape = case
    a = _rng(7).standard_normal(shape) * 1e3
    if dtype_name == "bool":
        a = a > 0
    _check(a, dtype_name)
    if dtype_name.startswith("float"):
        _check(a * 1e6, dtype_name)  # same rows in scientific notation


@pytest.mark.parametrize("dtype_name", FLOATS + INTS + ["bool"])
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 4)], ids=str)
def test_empty(shape, dtype_name):
    _check(np.zeros(shape), dtype_name)


@pytest.mark.parametrize("grad", [None, "requires_grad", "grad_fn"])
@pytest.mark.parametrize("dtype_name", FLOATS)
@pytest.mark.parametrize("shape", [(), (0,), (0, 2), (4,), (3, 4), (12,), (2, 2, 11), (3000,)],
                         ids=str)
def test_suffix_combinations(shape, dtype_name, grad):
    _check(_rng(8).standard_normal(shape), dtype_name, grad=grad)


@pytest.mark.parametrize("grad", [None, "requires_grad", "grad_fn"])
@pytest.mark.parametrize("linewidth", [30, 45, 60, 75])
@pytest.mark.parametrize("n", [3, 4, 5, 6, 8])
def test_suffix_wrapping(n, linewidth, grad):
    _both_printoptions(linewidth=linewidth)
    _check(_rng(9).standard_normal(n), "float64", grad=grad)
    _check(np.arange(n * 3), "int16")


@pytest.mark.parametrize("namespace", ["gradcore", "mylib", "a_much_longer_namespace"])
@pytest.mark.parametrize("n", range(1, 12))
def test_namespace_keeps_torch_layout(n, namespace):
    """Line breaks fall where PyTorch puts them for ``dtype=torch.*``, whatever the name."""
    _check(np.linspace(-1, 1, n), "float64", namespace=namespace)
    _check(np.arange(n) * 1000003, "int32", namespace=namespace)


@pytest.mark.parametrize("device", ["cuda:0", "cuda"])
@pytest.mark.parametrize("case", [
    ("float32", (3,), None), ("float64", (2, 3), "grad_fn"), ("int16", (12,), None),
    ("float32", (0, 2), "requires_grad"), ("float16", (7,), "grad_fn"), ("float32", (9,), None),
], ids=str)
def test_device_suffix(case, device):
    """The CPU-only torch here cannot make a CUDA tensor, so the expectation is built with
    torch's own body formatter and suffix placement, given torch's suffix order."""
    torch = pytest.importorskip("torch")
    from torch import _tensor_str as ts
    dtype_name, shape, grad = case
    arr = np.ascontiguousarray(_rng(10).standard_normal(shape) * 100, dtype=dtype_name)
    t = torch.from_numpy(arr.copy())
    suffixes = ["device='cuda:0'"]
    if t.numel() == 0 and t.dim() != 1:
        suffixes.append(f"size={tuple(t.shape)}")
    if dtype_name != "float32":
        suffixes.append(f"dtype={t.dtype}")
    grad_fn_name = None
    if grad == "grad_fn":
        grad_fn_name = type(t.requires_grad_().clone().grad_fn).__name__
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif grad == "requires_grad":
        suffixes.append("requires_grad=True")
    expected = ts._add_suffixes("tensor(" + ts._tensor_str(t.detach(), 7), suffixes, 7, False)
    got = tensor_repr(arr, dtype_name=dtype_name, device=device, grad_fn_name=grad_fn_name,
                      requires_grad=grad is not None)
    assert got == expected.replace("torch.", "gradcore.")


@pytest.mark.parametrize("opts", [
    dict(precision=2), dict(precision=0), dict(precision=8), dict(precision=12),
    dict(threshold=5), dict(threshold=0), dict(edgeitems=1, threshold=10),
    dict(edgeitems=0, threshold=10), dict(edgeitems=0), dict(edgeitems=5, threshold=20),
    dict(linewidth=40), dict(linewidth=120), dict(linewidth=10),
    dict(profile="short"), dict(profile="full"), dict(profile="short", precision=6),
    dict(sci_mode=True), dict(sci_mode=False), dict(sci_mode=True, precision=2),
], ids=str)
@pytest.mark.parametrize("case", [
    ("float32", (7,)), ("float64", (4, 5)), ("float32", (2000,)), ("float32", (30, 40)),
    ("float32", (3, 4, 12)), ("float32", ()), ("int64", (1500,)), ("int32", (3, 50)),
    ("bool", (20, 20)), ("float16", (9,)),
], ids=str)
def test_printoptions(opts, case):
    dtype_name, shape = case
    _both_printoptions(**opts)
    a = _rng(11).standard_normal(shape) * 50
    if dtype_name == "bool":
        a = a > 0
    _check(a, dtype_name)
    if dtype_name.startswith("float"):
        _check(a * 1e7, dtype_name if dtype_name != "float16" else "float32", grad="grad_fn")
        _check(np.round(a), dtype_name, grad="requires_grad")


@pytest.mark.parametrize("sequence", [
    [dict(precision=2)], [dict(profile="full")], [dict(profile="short"), dict(linewidth=50)],
    [dict(sci_mode=True), dict(precision=3)], [dict(threshold=7, edgeitems=1, sci_mode=False)],
    [dict(profile="full", precision=9), dict(profile="default")],
], ids=str)
def test_get_printoptions(sequence):
    torch = pytest.importorskip("torch")
    for kw in sequence:
        _both_printoptions(**kw)
        assert get_printoptions() == torch._tensor_str.get_printoptions()
    set_printoptions(**get_printoptions())  # round-trips through its own output
    assert get_printoptions() == torch._tensor_str.get_printoptions()


@pytest.mark.parametrize("seed", range(40))
def test_random_fuzz(seed):
    """Random dtype / shape / magnitude / special values / options / grad combinations."""
    rng = _rng(1000 + seed)
    choices = dict(precision=[0, 1, 3, 6], threshold=[0, 3, 10, 100], edgeitems=[0, 1, 2, 4],
                   linewidth=[5, 20, 40, 100], sci_mode=[None, True, False],
                   profile=["short", "full", "default"])
    for _ in range(10):
        _both_printoptions(profile="default")
        _both_printoptions(**{k: v[rng.integers(len(v))] for k, v in choices.items()
                              if rng.random() < 0.25})
        ndim = int(rng.integers(0, 5))
        shape = tuple(int(s) for s in rng.integers(0, 7 if ndim > 1 else 30, size=ndim))
        dtype_name = (FLOATS + INTS + ["bool"])[rng.integers(9)]
        a = rng.standard_normal(shape) * 10.0 ** rng.integers(-9, 12)
        if rng.random() < 0.3:
            a = np.round(a)
        if rng.random() < 0.3:
            specials = rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0], size=shape)
            a = np.where(rng.random(shape) < 0.3, specials, a)
        if dtype_name == "bool":
            a = a > 0
        elif dtype_name in INTS:
            info = np.iinfo(dtype_name)
            a = np.clip(np.nan_to_num(a), info.min, info.max)
        grad = [None, "requires_grad", "grad_fn"][rng.integers(3)] if dtype_name in FLOATS else None
        with np.errstate(all="ignore"):
            _check(a.astype(dtype_name), dtype_name, grad=grad)
