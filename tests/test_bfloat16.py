"""gradcore.bfloat16 against torch.bfloat16: the dtype object, finfo, promotion, conversions,
printing, factories, autograd through a small training step, serialization; the CuPy backend's
kernels declining bfloat16 (their CuPy-ops reference runs); and gradcore without ml_dtypes.

Needs ml_dtypes (the CPU storage type) except for the no-ml_dtypes test; PyTorch for parity.
"""
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import gradcore

ml_dtypes = pytest.importorskip("ml_dtypes")
torch = pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ["bfloat16", "float16", "float32", "float64", "complex64", "complex128", "int8",
         "uint8", "int16", "int32", "int64", "bool"]


def _g(name):
    return getattr(gradcore, name)


def _t(name):
    return getattr(torch, name)


def _name(d):
    return str(d).split(".")[-1]


def _values(t):
    """A gradcore or torch tensor's values as float64 (bfloat16 widens exactly)."""
    return np.array(t.detach().double().tolist())


def _both(data, **kw):
    """The same float32 data as a bfloat16 tensor of each library (rounded to nearest even)."""
    data = np.asarray(data, dtype=np.float32)
    return (gradcore.tensor(data).to(gradcore.bfloat16).requires_grad_(kw.get("rg", False)),
            torch.tensor(data).to(torch.bfloat16).requires_grad_(kw.get("rg", False)))


def _same(g, t, what=""):
    assert _name(g.dtype) == _name(t.dtype), f"{what}: {g.dtype} != {t.dtype}"
    assert tuple(g.shape) == tuple(t.shape), what
    torch.testing.assert_close(torch.tensor(_values(g)).to(t.dtype), t.detach(),
                               msg=lambda m: f"{what}: {m}")


# ---- the dtype ---------------------------------------------------------------------------

def test_the_dtype_object():
    d = gradcore.bfloat16
    assert isinstance(d, gradcore.dtype) and repr(d) == "gradcore.bfloat16"
    assert d.itemsize == torch.bfloat16.itemsize == 2
    assert d.is_floating_point and d.is_signed and not d.is_complex
    assert d.to_complex() is gradcore.complex64 and d.to_real() is d
    assert d.np == np.dtype(ml_dtypes.bfloat16)
    import pickle
    assert pickle.loads(pickle.dumps(d)) is d


def test_finfo_is_pytorchs():
    g, t = gradcore.finfo(gradcore.bfloat16), torch.finfo(torch.bfloat16)
    for k in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(g, k) == getattr(t, k), k
    assert g.dtype == t.dtype == "bfloat16"
    assert repr(g).replace("gradcore", "torch") == repr(t)


@pytest.mark.parametrize("a", NAMES)
def test_promotion_tables_are_pytorchs(a):
    for b in NAMES:
        assert _name(gradcore.promote_types(_g(a), _g(b))) == \
            _name(torch.promote_types(_t(a), _t(b))), (a, b)
        assert gradcore.can_cast(_g(a), _g(b)) == torch.can_cast(_t(a), _t(b)), (a, b)
    # a tensor of ``a`` with bfloat16 operands of each kind: dimensioned, 0-d, Python scalar
    ga, ta = gradcore.ones(2, dtype=_g(a)), torch.ones(2, dtype=_t(a))
    for shape in ((2,), ()):  # dimensioned, 0-d
        gb = gradcore.ones(shape, dtype=gradcore.bfloat16)
        tb = torch.ones(shape, dtype=torch.bfloat16)
        assert _name(gradcore.result_type(ga, gb)) == _name(torch.result_type(ta, tb)), a
        assert _name(gradcore.result_type(gb, ga)) == _name(torch.result_type(tb, ta)), a
    gb, tb = gradcore.ones(2, dtype=gradcore.bfloat16), torch.ones(2, dtype=torch.bfloat16)
    for s in (2, 2.5, True, 1j):
        assert _name(gradcore.result_type(gb, s)) == _name(torch.result_type(tb, s)), s


def test_arithmetic_result_dtypes():
    g, t = _both([1.0, 2.0])
    for other in ("float16", "float32", "int64", "uint8", "bool"):
        go, to = gradcore.ones(2, dtype=_g(other)), torch.ones(2, dtype=_t(other))
        assert _name((g + go).dtype) == _name((t + to).dtype), other
        assert _name((go * g).dtype) == _name((to * t).dtype), other
    assert (g * 1j).dtype is gradcore.complex64 and (t * 1j).dtype is torch.complex64


# ---- tensors -----------------------------------------------------------------------------

def test_conversions_and_metadata():
    g, t = _both([1.5, -2.25, 3.140625])
    x = gradcore.tensor([1.5, -2.25, 3.14159265]).bfloat16()
    assert x.dtype is gradcore.bfloat16 and x.tolist() == g.tolist()
    assert g.type() == "gradcore.BFloat16Tensor" and t.type() == "torch.BFloat16Tensor"
    assert gradcore.ones(2).type("torch.BFloat16Tensor").dtype is gradcore.bfloat16
    assert g.element_size() == t.element_size() == 2 and g.itemsize == 2 and g.nbytes == 6
    assert g.is_floating_point() and gradcore.is_floating_point(g) and g.is_signed()
    assert g.tolist() == t.tolist() and g[2].item() == t[2].item() == 3.140625
    assert type(g[0].item()) is float
    assert g.float().dtype is gradcore.float32 and g.half().tolist() == t.half().tolist()
    assert g.to(gradcore.float64).tolist() == t.double().tolist()
    assert gradcore.tensor([1, 2], dtype=gradcore.bfloat16).tolist() == [1.0, 2.0]
    assert g.to(gradcore.int64).tolist() == t.long().tolist()


def test_numpy_refuses_bfloat16_as_pytorch():
    g, t = _both([1.0, 2.0])
    for fn in (lambda x: x.numpy(), lambda x: np.asarray(x), lambda x: x.numpy(force=True)):
        with pytest.raises(TypeError) as te:
            fn(t)
        with pytest.raises(TypeError, match=re.escape(str(te.value))):
            fn(g)
    g.requires_grad_()
    t.requires_grad_()
    with pytest.raises(RuntimeError) as te:
        t.numpy()
    with pytest.raises(RuntimeError, match=re.escape(str(te.value))):
        g.numpy()


@pytest.mark.parametrize("data", [[1.5, 2.25, 3.14159265, 1e-3], [1.0, 2.5, 3.0], [100000.0],
                                  [1e-8, 3.0], [[0.1, -2.0], [float("inf"), float("nan")]],
                                  7.0, [1.0e30, -1.0e-30]])
def test_printing_is_pytorchs(data):
    g, t = _both(data)
    assert repr(g).replace("gradcore.", "torch.") == repr(t)
    g.requires_grad_()
    t.requires_grad_()
    assert repr(g * 2).replace("gradcore.", "torch.") == repr(t * 2)


def test_factories():
    bf = dict(dtype=gradcore.bfloat16)
    tb = dict(dtype=torch.bfloat16)
    for gx, tx in [(gradcore.zeros(2, 3, **bf), torch.zeros(2, 3, **tb)),
                   (gradcore.ones(4, **bf), torch.ones(4, **tb)),
                   (gradcore.full((3,), 1.3, **bf), torch.full((3,), 1.3, **tb)),
                   (gradcore.arange(0, 3, 0.5, **bf), torch.arange(0, 3, 0.5, **tb)),
                   (gradcore.arange(250, 260, **bf), torch.arange(250, 260, **tb)),
                   (gradcore.eye(3, **bf), torch.eye(3, **tb)),
                   (gradcore.ones(2).new_zeros(3, **bf), torch.ones(2).new_zeros(3, **tb))]:
        assert gx.dtype is gradcore.bfloat16
        assert gx.tolist() == tx.tolist(), (gx, tx)
    assert gradcore.empty(2, **bf).dtype is gradcore.bfloat16
    assert gradcore.linspace(0, 1, 7, **bf).dtype is gradcore.bfloat16  # values: see below
    for draw in ("rand", "randn"):  # PyTorch's streams, rounded to bfloat16 as PyTorch rounds
        gradcore.manual_seed(0)
        torch.manual_seed(0)
        x, y = getattr(gradcore, draw)(50, **bf), getattr(torch, draw)(50, **tb)
        assert x.dtype is gradcore.bfloat16 and x.tolist() == y.tolist(), draw
    u = gradcore.rand(20000, **bf)
    assert 0.0 <= u.min().item() and u.max().item() < 1.0  # never rounded up to 1
    assert gradcore.randint(0, 5, (4,), **bf).dtype is gradcore.bfloat16


def test_bfloat16_as_the_default_dtype():
    try:
        for lib in (gradcore, torch):
            lib.set_default_dtype(lib.bfloat16)
        for make in (lambda lib: lib.tensor([1.5]), lambda lib: lib.ones(2),
                     lambda lib: lib.ones(2, dtype=lib.int64) * 1.5):
            assert _name(make(gradcore).dtype) == _name(make(torch).dtype) == "bfloat16"
    finally:
        gradcore.set_default_dtype(gradcore.float32)
        torch.set_default_dtype(torch.float32)


def test_serialization_keeps_bfloat16():
    x = gradcore.tensor([1.5, -2.25, 3.140625]).bfloat16()
    buf = io.BytesIO()
    gradcore.save({"x": x, "p": gradcore.nn.Parameter(x.clone())}, buf)
    buf.seek(0)
    back = gradcore.load(buf)
    assert back["x"].dtype is gradcore.bfloat16 and back["x"].tolist() == x.tolist()
    assert isinstance(back["p"], gradcore.nn.Parameter) and back["p"].dtype is x.dtype


# ---- autograd ----------------------------------------------------------------------------

def test_common_ops_forward_and_backward_match_pytorch():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    ga, ta = _both(a, rg=True)
    gb, tb = _both(b, rg=True)
    for lib, x, w in ((gradcore, ga, gb), (torch, ta, tb)):
        h = lib.matmul(x, w)
        y = (h * 0.3 + x.sum() + x.mean(1, keepdim=True)[:, :1]).exp().relu()
        lib.softmax(y - 1, dim=1).sum().backward(retain_graph=True)
        (y * y).mean().backward()
    _same(ga.grad, ta.grad, "grad a")
    _same(gb.grad, tb.grad, "grad b")


def test_training_step_matches_pytorch():
    """Linear layers, relu, cross_entropy and mse_loss in bfloat16: the same loss and weight
    gradients as PyTorch's (to PyTorch's bfloat16 tolerance)."""
    rng = np.random.default_rng(1)
    x, w1, b1 = rng.standard_normal((8, 6)), rng.standard_normal((5, 6)), rng.standard_normal(5)
    w2, b2 = rng.standard_normal((3, 5)), rng.standard_normal(3)
    target, regress = np.array([0, 2, 1, 1, 0, 2, 2, 1]), rng.standard_normal((8, 3))
    losses, grads = {}, {}
    for lib in (gradcore, torch):
        bf = lib.bfloat16
        params = [lib.tensor(v.astype(np.float32)).to(bf).requires_grad_()
                  for v in (w1, b1, w2, b2)]
        xt = lib.tensor(x.astype(np.float32)).to(bf)
        h = lib.nn.functional.relu(lib.nn.functional.linear(xt, params[0], params[1]))
        out = lib.nn.functional.linear(h, params[2], params[3])
        loss = (lib.nn.functional.cross_entropy(out, lib.tensor(target))
                + lib.nn.functional.mse_loss(out, lib.tensor(regress.astype(np.float32)).to(bf)))
        loss.backward()
        losses[lib], grads[lib] = loss, [p.grad for p in params]
    _same(losses[gradcore], losses[torch], "loss")
    for n, (g, t) in enumerate(zip(grads[gradcore], grads[torch])):
        _same(g, t, f"grad {n}")


def test_bfloat16_leaf_accumulates_in_bfloat16():
    g, t = _both([1.0, 2.0, 3.0], rg=True)
    for x in (g, t):
        (x * 3).sum().backward()
        (x * x).sum().backward()
    assert g.grad.dtype is gradcore.bfloat16
    _same(g.grad, t.grad, "accumulated")
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        gradcore.ones(2, dtype=gradcore.int64).requires_grad_()


def test_floating_checks_use_one_predicate():
    """No module tests ``dtype.kind == 'f'`` (ml_dtypes' bfloat16 has kind 'V'): the test is
    ``_dtype.is_floating`` (one fast path in ops/elementwise.py's _promote aside, which falls
    back to the slow path that asks _dtype)."""
    pattern = re.compile(r"""kind\s*(==|!=)\s*["']f["']|kind\s+(not\s+)?in\s+["']fc["']|"""
                         r"""issubdtype\([^)]*(floating|inexact)""")
    found = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "gradcore")):
        for f in files:
            if not f.endswith(".py"):
                continue
            path = os.path.join(dirpath, f)
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                if pattern.search(line) and not (f == "elementwise.py" and "kind" in line
                                                 and re.search(r"\bkind ==", line)):
                    found.append(f"{os.path.relpath(path, ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
    assert gradcore._dtype.is_floating(np.dtype(ml_dtypes.bfloat16))
    assert not gradcore._dtype.is_floating(np.dtype(ml_dtypes.float8_e5m2))  # kind 'f' too


# ---- the CuPy backend: its kernels decline bfloat16 --------------------------------------

def test_cupy_kernels_decline_bfloat16_and_the_reference_runs():
    """On ``CupyBackend(0, xp=numpy)`` with a loader that refuses to load anything, every
    elementwise backward kernel, sum_to and the softmax backward take the CuPy-ops route for
    bfloat16 (no kernel is instantiated for it) and give the NumPy reference's answer."""
    from gradcore.backend import cupy_backend as cb
    from gradcore.backend.numpy_backend import NumpyBackend

    def refuse(path, names, *a, **k):
        raise AssertionError(f"a kernel was loaded for bfloat16: {path} {names}")

    prev = cb.set_loader(refuse)
    try:
        be, ref = cb.CupyBackend(0, xp=np, sm_count=2), NumpyBackend()
        bf = ml_dtypes.bfloat16
        rng = np.random.default_rng(0)
        s = (np.abs(rng.standard_normal((3, 37))) + 0.5).astype(bf)
        gy = rng.standard_normal((3, 37)).astype(bf)
        for op, params in [("relu_backward", ()), ("sigmoid_backward", ()),
                           ("tanh_backward", ()), ("exp_backward", ()), ("log_backward", ()),
                           ("sqrt_backward", ()), ("abs_backward", ()), ("sin_backward", ()),
                           ("cos_backward", ()), ("pow_backward", (2.5,)),
                           ("clamp_backward", (-0.5, 0.25)), ("leaky_relu_backward", (0.2,)),
                           ("gelu_backward", ("none",)), ("gelu_backward", ("tanh",))]:
            got, want = getattr(be, op)(s, gy, *params), getattr(ref, op)(s, gy, *params)
            assert got.dtype == bf and np.array_equal(got, want), op
        for op in ("mul_backward", "div_backward", "atan2_backward", "maximum_backward"):
            got, want = getattr(be, op)(s, gy, gy), getattr(ref, op)(s, gy, gy)
            assert all(np.array_equal(g, w, equal_nan=True) for g, w in zip(got, want)), op
        for op in ("softmax_backward", "log_softmax_backward"):
            assert np.array_equal(getattr(be, op)(s, gy, 1), getattr(ref, op)(s, gy, 1)), op
        assert np.array_equal(be.sum_to(gy, (1, 37)), ref.sum_to(gy, (1, 37)))
    finally:
        cb.set_loader(prev)


# ---- without ml_dtypes -------------------------------------------------------------------

def test_without_ml_dtypes_bfloat16_exists_and_says_what_to_install():
    code = r"""
import sys
sys.modules["ml_dtypes"] = None  # import ml_dtypes now raises ImportError
import gradcore as g
d = g.bfloat16
assert repr(d) == "gradcore.bfloat16" and d.is_floating_point and d.itemsize == 2
assert g.promote_types(d, g.float16) is g.float32 and g.promote_types(d, g.int8) is d
assert g.finfo(d).eps == 2 ** -7
for use in (lambda: g.zeros(2, dtype=d), lambda: g.ones(2).bfloat16(),
            lambda: g.tensor([1.0], dtype=d)):
    try:
        use()
    except ImportError as e:
        assert "pip install ml_dtypes" in str(e), e
    else:
        raise AssertionError("no error")
assert g.ones(2, dtype=g.float16).dtype is g.float16  # the rest is unaffected
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
