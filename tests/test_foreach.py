"""torch._foreach_* (gradcore/ops/foreach.py) against PyTorch: every overload, in place and not,
the values, dtypes and return types, the errors (type and message), and gradients."""
import math

import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck

SHAPES = [(3,), (2, 5), (), (4, 1, 3)]


def _data(seed=0, low=-2.0, high=2.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, s).astype(dtype) for s in SHAPES]


def _lists(torch, arrays):
    return ([gradcore.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays])


# gradcore's single-tensor pow, addcmul and lerp differ from PyTorch's CPU kernels in the last
# float32 bit now and then (PyTorch fuses a multiply-add there; NumPy's pow is another libm):
# the foreach forms of those are compared with gradcore's own single-tensor op bit for bit and
# with PyTorch to float32 rounding.
ULP_OPS = ("pow", "addcmul", "lerp")


def _same(got, want, close=False):
    if isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w, close)
        return
    g, w = got.detach().numpy(), want.detach().numpy()
    assert g.dtype == w.dtype and g.shape == w.shape
    if close:   # one rounding of the terms (|self|, |value * t1 * t2| <= 4 here) apart
        eps = np.finfo(g.dtype).eps
        np.testing.assert_allclose(g, w, rtol=2 * eps, atol=4 * eps)
    else:
        np.testing.assert_array_equal(g, w)


def _other(torch, form, seed=1):
    """The second argument in each form, for gradcore and for torch."""
    if form == "scalar":
        return 1.5, 1.5
    if form == "int":
        return 2, 2
    if form == "scalars":
        v = [0.5, -2.0, 3, 1.25]
        return v, v
    if form == "tensor":
        return gradcore.tensor(0.75), torch.tensor(0.75)
    return _lists(torch, _data(seed, 0.5, 2.0))


BINARY_FORMS = {"add": ["scalar", "int", "scalars", "tensor", "tensors"],
                "sub": ["scalar", "scalars", "tensors"],
                "mul": ["scalar", "scalars", "tensor", "tensors"],
                "div": ["scalar", "scalars", "tensor", "tensors"],
                "maximum": ["scalar", "scalars", "tensors"],
                "minimum": ["scalar", "scalars", "tensors"],
                "clamp_min": ["scalar", "scalars", "tensors"],
                "clamp_max": ["scalar", "scalars", "tensors"],
                "pow": ["scalar", "int", "scalars", "tensors"]}
CASES = [(op, form) for op, forms in BINARY_FORMS.items() for form in forms]


@pytest.mark.parametrize("inplace", [False, True], ids=["out", "inplace"])
@pytest.mark.parametrize("op,form", CASES, ids=lambda x: str(x))
def test_binary_matches_torch(torch, op, form, inplace):
    low = 0.1 if op == "pow" else -2.0
    gs, ts = _lists(torch, _data(0, low))
    go, to = _other(torch, form)
    name = f"_foreach_{op}{'_' if inplace else ''}"
    single = [getattr(g, op)(o) for g, o in zip(gs, go if form in ("scalars", "tensors")
                                                else [go] * len(gs))]
    got, want = getattr(gradcore, name)(gs, go), getattr(torch, name)(ts, to)
    if inplace:
        assert got is gs and want is ts
    _same(got if inplace else list(got), single)
    _same(got, want, op in ULP_OPS)
    _same(gs, ts, op in ULP_OPS)


@pytest.mark.parametrize("inplace", [False, True], ids=["out", "inplace"])
@pytest.mark.parametrize("op,form", [("add", "tensors"), ("add", "tensor"), ("sub", "tensors")])
def test_alpha(torch, op, form, inplace):
    gs, ts = _lists(torch, _data(0))
    go, to = _other(torch, form)
    name = f"_foreach_{op}{'_' if inplace else ''}"
    _same(getattr(gradcore, name)(gs, go, alpha=-0.25), getattr(torch, name)(ts, to, alpha=-0.25))
    _same(gs, ts)


@pytest.mark.parametrize("op", ["sub", "maximum", "clamp_max", "pow"])
def test_zero_dim_tensor_as_a_number(torch, op):
    """Where no overload takes a Tensor, PyTorch's parser reads a 0-dim one as a Number."""
    gs, ts = _lists(torch, _data(0, 0.1))
    name = f"_foreach_{op}"
    _same(getattr(gradcore, name)(gs, gradcore.tensor(0.5)),
          getattr(torch, name)(ts, torch.tensor(0.5)), op in ULP_OPS)


def test_pow_with_a_number_base_and_integer_promotion(torch):
    gs, ts = _lists(torch, _data(0))
    _same(gradcore._foreach_pow(2.0, gs), torch._foreach_pow(2.0, ts), close=True)
    ints = [np.arange(4, dtype=np.int64), np.arange(3, dtype=np.int64).reshape(3, 1)]
    gi, ti = _lists(torch, ints)
    for name, other in [("_foreach_add", 1.5), ("_foreach_mul", 3), ("_foreach_div", 2),
                        ("_foreach_sub", [1, 2.5])]:
        _same(getattr(gradcore, name)(gi, other), getattr(torch, name)(ti, other))


UNARY_DOMAIN = {"acos": (-0.9, 0.9), "asin": (-0.9, 0.9), "log": (0.1, 3.0),
                "log10": (0.1, 3.0), "log1p": (0.1, 3.0), "log2": (0.1, 3.0),
                "sqrt": (0.1, 3.0), "rsqrt": (0.1, 3.0), "lgamma": (0.1, 3.0)}


@pytest.mark.parametrize("inplace", [False, True], ids=["out", "inplace"])
@pytest.mark.parametrize("op", gradcore.ops.foreach.UNARY)
def test_unary_matches_torch(torch, op, inplace):
    low, high = UNARY_DOMAIN.get(op, (-2.0, 2.0))
    gs, ts = _lists(torch, _data(3, low, high, np.float64))
    name = f"_foreach_{op}{'_' if inplace else ''}"
    got, want = getattr(gradcore, name)(gs), getattr(torch, name)(ts)
    if inplace:
        assert got is gs and want is ts
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-13, atol=1e-15)
        assert g.dtype == gradcore.float64 and tuple(g.shape) == tuple(w.shape)


@pytest.mark.parametrize("inplace", [False, True], ids=["out", "inplace"])
@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("form", ["default", "value", "positional", "scalars", "tensor"])
def test_addcmul_addcdiv(torch, op, form, inplace):
    gs, ts = _lists(torch, _data(0))
    g1, t1 = _lists(torch, _data(1))
    g2, t2 = _lists(torch, _data(2, 0.5, 2.0))
    name = f"_foreach_{op}{'_' if inplace else ''}"
    scalars = [0.5, -1.0, 2, 0.25]
    args, kwargs = {"default": ((), {}), "value": ((), {"value": -0.5}),
                    "positional": ((-0.5,), {}), "scalars": ((scalars,), {}),
                    "tensor": (("T",), {})}[form]
    gargs = tuple(gradcore.tensor(scalars) if a == "T" else a for a in args)
    targs = tuple(torch.tensor(scalars) if a == "T" else a for a in args)
    value = {"default": [1] * 4, "value": [-0.5] * 4, "positional": [-0.5] * 4}.get(form,
                                                                                  scalars)
    single = [getattr(s, op)(a, b, value=v) for s, a, b, v in zip(gs, g1, g2, value)]
    got = getattr(gradcore, name)(gs, g1, g2, *gargs, **kwargs)
    _same(got if inplace else list(got), single)
    _same(got, getattr(torch, name)(ts, t1, t2, *targs, **kwargs), op in ULP_OPS)
    _same(gs, ts, op in ULP_OPS)


@pytest.mark.parametrize("inplace", [False, True], ids=["out", "inplace"])
@pytest.mark.parametrize("form", ["scalar", "scalars", "tensors"])
def test_lerp(torch, form, inplace):
    gs, ts = _lists(torch, _data(0))
    ge, te = _lists(torch, _data(1))
    gw, tw = {"scalar": (0.3, 0.3), "scalars": ([0.1, 0.9, 0.5, 0.6],) * 2,
              "tensors": _lists(torch, _data(2, 0.0, 1.0))}[form]
    name = "_foreach_lerp_" if inplace else "_foreach_lerp"
    weights = [gw] * 4 if form == "scalar" else gw
    single = [s.lerp(e, w) for s, e, w in zip(gs, ge, weights)]
    got = getattr(gradcore, name)(gs, ge, gw)
    _same(got if inplace else list(got), single)
    _same(got, getattr(torch, name)(ts, te, tw), close=True)
    _same(gs, ts, close=True)


@pytest.mark.parametrize("ord", [2, 1, 3, 0, math.inf, -math.inf, 2.5])
def test_norm(torch, ord):
    arrays = _data(0, dtype=np.float64)
    gs, ts = _lists(torch, arrays)
    got, want = gradcore._foreach_norm(gs, ord), torch._foreach_norm(ts, ord)
    assert type(got) is tuple
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-14)
    g32, t32 = _lists(torch, _data(0))
    for g, w in zip(gradcore._foreach_norm(g32, dtype=gradcore.float64),
                    torch._foreach_norm(t32, dtype=torch.float64)):
        assert g.dtype == gradcore.float64
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-14)


def test_zero_copy_max(torch):
    gs, ts = _lists(torch, _data(0))
    _same(gradcore._foreach_max(gs), torch._foreach_max(ts))
    src_g, src_t = _lists(torch, _data(5))
    assert gradcore._foreach_copy_(gs, src_g) is gs
    torch._foreach_copy_(ts, src_t)
    _same(gs, ts)
    assert gradcore._foreach_zero_(gs) is gs
    torch._foreach_zero_(ts)
    _same(gs, ts)


def _error(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as e:   # noqa: BLE001  (the type is what is compared)
        return type(e), str(e)
    return None


def _bad_calls(lib):
    a = [lib.ones(2), lib.ones(3)]
    b = [lib.ones(2)]
    return [
        ("_foreach_add", (a, b), {}),
        ("_foreach_add", ([], []), {}),
        ("_foreach_mul", (a, [1.0]), {}),
        ("_foreach_add_", (a, [1.0, 2.0, 3.0]), {}),
        ("_foreach_add", (a, 1.0), {"alpha": 2}),
        ("_foreach_sub", (a, 1.0), {"alpha": 2}),
        ("_foreach_mul", (a, a), {"alpha": 2}),
        ("_foreach_mul", (a, lib.tensor([2.0, 3.0])), {}),
        ("_foreach_addcmul", (a, a, b), {}),
        ("_foreach_addcmul", (a, a, a, [1.0]), {}),
        ("_foreach_addcdiv_", (a, a, a, lib.tensor([1.0, 2.0, 3.0])), {}),
        ("_foreach_addcdiv", (a, a, a, lib.tensor(0.3)), {}),
        ("_foreach_lerp", (a, b, 0.5), {}),
        ("_foreach_lerp", (a, a, [0.5]), {}),
        ("_foreach_copy_", (a, b), {}),
        ("_foreach_mul", (a, [lib.tensor(1.0), 2]), {}),
        ("_foreach_add_", ([lib.ones(2, dtype=lib.int64)], 1.5), {}),
        ("_foreach_neg", ([lib.ones(2, dtype=lib.bool)],), {}),
        ("_foreach_sqrt", (a, a), {}),
        ("_foreach_zero_", ([],), {}),
        ("_foreach_norm", ([lib.ones(2, dtype=lib.int64)],), {}),
        ("_foreach_norm", (a, "fro"), {}),
        ("_foreach_max", ([lib.ones(2), lib.ones(0)],), {}),
    ]


def test_errors_match_torch(torch):
    for (name, gargs, gkw), (_, targs, tkw) in zip(_bad_calls(gradcore), _bad_calls(torch)):
        want = _error(getattr(torch, name), *targs, **tkw)
        got = _error(getattr(gradcore, name), *gargs, **gkw)
        assert want is not None, name
        assert got == want, (name, got, want)


def test_gradients():
    """Out-of-place forms are differentiable (the single-tensor ops' nodes): gradcheck and
    gradgradcheck in float64 through a chain of them."""
    rng = np.random.default_rng(0)
    xs = [gradcore.tensor(rng.uniform(0.5, 2.0, s), requires_grad=True) for s in [(3,), (2, 2)]]
    ys = [gradcore.tensor(rng.uniform(0.5, 2.0, s), requires_grad=True) for s in [(3,), (2, 2)]]

    def f(x0, x1, y0, y1):
        xs, ys = [x0, x1], [y0, y1]
        out = gradcore._foreach_addcdiv(gradcore._foreach_mul(xs, ys), xs, ys, value=0.5)
        out = gradcore._foreach_lerp(gradcore._foreach_sqrt(out), ys, [0.25, 0.75])
        out = gradcore._foreach_add(gradcore._foreach_exp(out), xs, alpha=-2.0)
        return tuple(gradcore._foreach_norm(out)) + tuple(gradcore._foreach_pow(out, 2))

    assert gradcheck(f, xs + ys)
    assert gradgradcheck(f, xs + ys)
