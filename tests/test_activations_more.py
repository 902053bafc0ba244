"""The activations beyond ReLU/GELU/Sigmoid/Tanh (gradcore/ops/activation.py and
gradcore/nn/modules/activation.py) against PyTorch: forward values, input (and PReLU weight)
gradients in float32 and float64, grad_fn names, gradcheck / gradgradcheck in float64, the
in-place forms, the module forms (repr, state_dict), edge values and PyTorch's errors."""
import zlib

import numpy as np
import pytest

import gradcore
import gradcore.nn as gnn
import gradcore.nn.functional as GF
from gradcore.autograd import gradcheck, gradgradcheck

TOL = {"float32": 1e-5, "float64": 1e-10}
DTYPES = ["float32", "float64"]


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _host(t):
    return np.asarray(t.detach().cpu().numpy())


def _close(got, want, what, dtype):
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    tol = TOL[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)


# name -> (call(F, x), input scale); F is nn.functional of either library
CASES = {
    "silu": (lambda F, x: F.silu(x), 4),
    "mish": (lambda F, x: F.mish(x), 4),
    "hardswish": (lambda F, x: F.hardswish(x), 5),
    "hardsigmoid": (lambda F, x: F.hardsigmoid(x), 5),
    "logsigmoid": (lambda F, x: F.logsigmoid(x), 6),
    "elu": (lambda F, x: F.elu(x), 3),
    "elu_alpha": (lambda F, x: F.elu(x, alpha=0.7), 3),
    "selu": (lambda F, x: F.selu(x), 3),
    "celu": (lambda F, x: F.celu(x, alpha=1.5), 3),
    "softplus": (lambda F, x: F.softplus(x), 4),
    "softplus_beta": (lambda F, x: F.softplus(x, beta=2.0, threshold=3.0), 4),
    "softsign": (lambda F, x: F.softsign(x), 3),
    "hardtanh": (lambda F, x: F.hardtanh(x), 2),
    "hardtanh_bounds": (lambda F, x: F.hardtanh(x, -0.5, 1.5), 2),
    "relu6": (lambda F, x: F.relu6(x), 8),
    "tanhshrink": (lambda F, x: F.tanhshrink(x), 3),
    "softshrink": (lambda F, x: F.softshrink(x), 2),
    "softshrink_l": (lambda F, x: F.softshrink(x, 1.2), 2),
    "hardshrink": (lambda F, x: F.hardshrink(x), 2),
    "hardshrink_l": (lambda F, x: F.hardshrink(x, 0.1), 2),
    "threshold": (lambda F, x: F.threshold(x, 0.3, -2.0), 2),
    "glu": (lambda F, x: F.glu(x), 2),
    "glu_dim0": (lambda F, x: F.glu(x, 0), 2),
    "rrelu_eval": (lambda F, x: F.rrelu(x, 0.1, 0.4), 2),
    "softmin": (lambda F, x: F.softmin(x, 1), 2),
    "softmin_dim0": (lambda F, x: F.softmin(x, dim=0), 2),
}

NODES = {"silu": "SiluBackward0", "mish": "MishBackward0", "hardswish": "HardswishBackward0",
         "hardsigmoid": "HardsigmoidBackward0", "logsigmoid": "LogSigmoidBackward0",
         "elu": "EluBackward0", "selu": "EluBackward0", "celu": "CeluBackward0",
         "softplus": "SoftplusBackward0", "softsign": "DivBackward0",
         "hardtanh": "HardtanhBackward0", "relu6": "HardtanhBackward0",
         "tanhshrink": "SubBackward0", "softshrink": "SoftshrinkBackward0",
         "hardshrink": "HardshrinkBackward0", "threshold": "ThresholdBackward0",
         "glu": "GluBackward0", "rrelu_eval": "RreluWithNoiseBackward0",
         "softmin": "SoftmaxBackward0"}


def _pair(torch, a, dtype):
    t = torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True)
    g = gradcore.tensor(a, dtype=getattr(gradcore, dtype), requires_grad=True)
    return t, g


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_gradient_match_torch(torch, name, dtype):
    call, scale = CASES[name]
    a = _rng(name, dtype).standard_normal((4, 6)) * scale
    t, g = _pair(torch, a, dtype)
    yt, yg = call(torch.nn.functional, t), call(GF, g)
    _close(_host(yg), yt.detach().numpy(), f"{name} forward", dtype)
    gy = _rng(name, "gy").standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(gy, dtype=yt.dtype))
    yg.backward(gradcore.tensor(gy, dtype=yg.dtype))
    _close(_host(g.grad), t.grad.numpy(), f"{name} grad", dtype)
    if name in NODES:
        assert yg.grad_fn.name() == type(yt.grad_fn).__name__ == NODES[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_and_gradgradcheck(name):
    call, scale = CASES[name]
    a = _rng(name, "gc").standard_normal((2, 4)) * scale
    x = gradcore.tensor(a, dtype=gradcore.float64, requires_grad=True)
    fn = lambda x: call(GF, x)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", ["silu", "mish", "logsigmoid", "softplus", "elu", "selu"])
def test_extreme_inputs_stay_finite_and_match(torch, name):
    call, _ = CASES[name]
    a = np.array([-800.0, -100.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 100.0, 800.0])
    for dtype in DTYPES:
        t, g = _pair(torch, a, dtype)
        yt, yg = call(torch.nn.functional, t), call(GF, g)
        _close(_host(yg), yt.detach().numpy(), f"{name} forward", dtype)
        yt.sum().backward()
        yg.sum().backward()
        _close(_host(g.grad), t.grad.numpy(), f"{name} grad", dtype)


def test_kinks_take_torch_subgradients(torch):
    """At the breakpoints themselves each op's gradient is PyTorch's one-sided choice."""
    a = np.array([-6.0, -3.0, -1.0, -0.5, 0.0, 0.3, 0.5, 1.0, 3.0, 6.0])
    calls = [lambda F, x: F.hardswish(x), lambda F, x: F.hardsigmoid(x),
             lambda F, x: F.hardtanh(x), lambda F, x: F.relu6(x),
             lambda F, x: F.softshrink(x), lambda F, x: F.hardshrink(x),
             lambda F, x: F.threshold(x, 0.3, 9.0), lambda F, x: F.elu(x),
             lambda F, x: F.celu(x, 2.0), lambda F, x: F.rrelu(x)]
    for i, call in enumerate(calls):
        t, g = _pair(torch, a, "float64")
        call(torch.nn.functional, t).sum().backward()
        call(GF, g).sum().backward()
        _close(_host(g.grad), t.grad.numpy(), f"case {i} grad at kinks", "float64")


@pytest.mark.parametrize("name", ["silu", "mish", "hardswish", "hardsigmoid", "elu", "selu",
                                  "celu", "hardtanh", "relu6", "threshold", "rrelu"])
def test_inplace_forms(torch, name):
    args = {"elu": (0.5,), "celu": (0.5,), "hardtanh": (-0.5, 0.5), "threshold": (0.1, 5.0),
            "rrelu": (0.2, 0.3)}.get(name, ())
    a = _rng(name, "inplace").standard_normal((3, 4)) * 2
    t, g = _pair(torch, a, "float64")
    tt, gg = t * 1, g * 1
    rt = getattr(torch.nn.functional, name)(tt, *args, inplace=True)
    rg = getattr(GF, name)(gg, *args, inplace=True)
    assert rg is gg and rt is tt
    _close(_host(gg), tt.detach().numpy(), f"{name}_ forward", "float64")
    assert gg.grad_fn.name() == type(tt.grad_fn).__name__
    (tt * tt).sum().backward()
    (gg * gg).sum().backward()
    _close(_host(g.grad), t.grad.numpy(), f"{name}_ grad", "float64")


def test_underscore_functions(torch):
    a = _rng("underscore").standard_normal((5,))
    for name, args in (("elu_", ()), ("selu_", ()), ("celu_", (0.8,)), ("hardtanh_", (-0.2, 0.4)),
                       ("threshold_", (0.0, 1.0)), ("rrelu_", ())):
        t, g = torch.tensor(a), gradcore.tensor(a)
        getattr(torch.nn.functional, name)(t, *args)
        getattr(GF, name)(g, *args)
        _close(_host(g), t.numpy(), name, "float64")
    for name in ("selu", "celu", "threshold", "rrelu", "hardshrink", "prelu"):
        assert callable(getattr(gradcore, name))
    for name in ("selu_", "celu_", "threshold_", "rrelu_"):
        assert callable(getattr(gradcore, name))
    x = gradcore.tensor(a)
    _close(_host(x.hardshrink(0.3)), torch.tensor(a).hardshrink(0.3).numpy(), "method",
           "float64")


# ---- PReLU and RReLU ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,n", [((4, 3), 3), ((2, 3, 5), 3), ((2, 3, 2, 2), 3),
                                     ((4, 3), 1), ((7,), 1), ((2, 3, 2, 2), 1)])
def test_prelu_matches_torch(torch, shape, n, dtype):
    rng = _rng("prelu", shape, n, dtype)
    a, w = rng.standard_normal(shape), rng.uniform(-0.5, 0.5, n)
    t, g = _pair(torch, a, dtype)
    wt, wg = _pair(torch, w, dtype)
    yt, yg = torch.nn.functional.prelu(t, wt), GF.prelu(g, wg)
    _close(_host(yg), yt.detach().numpy(), "prelu forward", dtype)
    assert yg.grad_fn.name() == type(yt.grad_fn).__name__
    gy = rng.standard_normal(shape)
    yt.backward(torch.tensor(gy, dtype=yt.dtype))
    yg.backward(gradcore.tensor(gy, dtype=yg.dtype))
    _close(_host(g.grad), t.grad.numpy(), "prelu input grad", dtype)
    _close(_host(wg.grad), wt.grad.numpy(), "prelu weight grad", dtype)


def test_prelu_gradgradcheck():
    rng = _rng("prelu-gg")
    x = gradcore.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    w = gradcore.tensor(rng.uniform(0.1, 0.5, 3), requires_grad=True)
    assert gradcheck(GF.prelu, (x, w))
    assert gradgradcheck(GF.prelu, (x, w))


def test_prelu_module(torch):
    tm, gm = torch.nn.PReLU(3, init=0.1), gnn.PReLU(3, init=0.1)
    assert repr(gm) == repr(tm) == "PReLU(num_parameters=3)"
    sd = tm.state_dict()
    assert list(gm.state_dict()) == list(sd) == ["weight"]
    assert gm.weight.shape == (3,) and gm.weight.dtype is gradcore.float32
    _close(_host(gm.weight), sd["weight"].numpy(), "init", "float32")
    new = np.array([0.3, -0.2, 0.05], dtype=np.float32)
    gm.load_state_dict({"weight": gradcore.tensor(new)})
    tm.load_state_dict({"weight": torch.tensor(new)})
    a = _rng("prelu-mod").standard_normal((2, 3, 4)).astype(np.float32)
    t, g = torch.tensor(a), gradcore.tensor(a)
    tm(t).sum().backward()
    gm(g).sum().backward()
    _close(_host(gm.weight.grad), tm.weight.grad.numpy(), "module weight grad", "float32")
    assert gnn.PReLU(dtype=gradcore.float64).weight.dtype is gradcore.float64


def test_rrelu_training_draws_slopes_in_bounds():
    gradcore.manual_seed(0)
    x = gradcore.tensor(-np.ones(2000), requires_grad=True)
    y = GF.rrelu(x, 0.1, 0.3, training=True)
    slopes = -_host(y)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.std() > 0.03  # they are drawn, not all equal (U(0.1, 0.3): std 0.058)
    assert abs(slopes.mean() - 0.2) < 0.01
    y.sum().backward()
    np.testing.assert_array_equal(_host(x.grad), slopes)  # the gradient is the drawn slope
    pos = gradcore.tensor([1.0, 2.0])
    np.testing.assert_array_equal(_host(GF.rrelu(pos, training=True)), [1.0, 2.0])


def test_rrelu_module_train_and_eval(torch):
    m = gnn.RReLU(0.1, 0.3)
    assert repr(m) == repr(torch.nn.RReLU(0.1, 0.3))
    x = gradcore.tensor([-1.0, -2.0, 3.0])
    m.eval()
    np.testing.assert_allclose(_host(m(x)), [-0.2, -0.4, 3.0], rtol=1e-6)
    m.train()
    gradcore.manual_seed(1)
    a = _host(m(gradcore.tensor(-np.ones(50))))
    assert len(set(a.tolist())) > 1


# ---- modules ----------------------------------------------------------------------------------

MODULES = [("SiLU", ()), ("SiLU", (True,)), ("Mish", ()), ("Hardswish", ()),
           ("Hardsigmoid", (True,)), ("Hardswish", (True,)), ("Mish", (True,)), ("ELU", ()), ("ELU", (0.5, True)), ("SELU", ()),
           ("SELU", (True,)), ("CELU", (2.0,)), ("Softplus", ()), ("Softplus", (2, 10)),
           ("Softsign", ()), ("Hardtanh", ()), ("Hardtanh", (-2, 3, True)), ("ReLU6", ()),
           ("ReLU6", (True,)), ("RReLU", ()), ("LogSigmoid", ()), ("Softmin", (1,)),
           ("Softmax2d", ()), ("Threshold", (0.1, 20)), ("Threshold", (0.1, 20, True)),
           ("GLU", ()), ("GLU", (1,)), ("Tanhshrink", ()), ("Softshrink", ()),
           ("Softshrink", (0.2,)), ("Hardshrink", ()), ("Hardshrink", (1.0,)),
           ("GELU", ("tanh",))]


@pytest.mark.parametrize("name,args", MODULES, ids=[f"{n}{a}" for n, a in MODULES])
def test_modules_match_torch(torch, name, args):
    tm, gm = getattr(torch.nn, name)(*args), getattr(gnn, name)(*args)
    tm.eval(), gm.eval()
    assert repr(gm) == repr(tm)
    assert list(gm.state_dict()) == list(tm.state_dict()) == []
    a = _rng(name, args).standard_normal((2, 4, 3, 2)) * 2
    t, g = _pair(torch, a, "float64")
    yt, yg = tm(t * 1), gm(g * 1)
    _close(_host(yg), yt.detach().numpy(), f"{name} forward", "float64")
    yt.sum().backward()
    yg.sum().backward()
    _close(_host(g.grad), t.grad.numpy(), f"{name} grad", "float64")
    assert yg.grad_fn.name() == type(yt.grad_fn).__name__


def test_gelu_tanh_matches_torch(torch):
    a = _rng("gelu-tanh").standard_normal((5, 4)) * 3
    for dtype in DTYPES:
        t, g = _pair(torch, a, dtype)
        yt = torch.nn.functional.gelu(t, approximate="tanh")
        yg = GF.gelu(g, approximate="tanh")
        _close(_host(yg), yt.detach().numpy(), "gelu tanh", dtype)
        yt.sum().backward()
        yg.sum().backward()
        _close(_host(g.grad), t.grad.numpy(), "gelu tanh grad", dtype)


def test_hardtanh_deprecated_keywords(torch):
    with pytest.warns(FutureWarning, match="min_value"):
        m = gnn.Hardtanh(min_value=-3.0)
    assert m.min_val == -3.0
    with pytest.warns(FutureWarning, match="max_value"):
        assert gnn.Hardtanh(max_value=4.0).max_val == 4.0


def test_integer_inputs(torch):
    a = np.array([-3, -1, 0, 2, 5])
    for call in (lambda F, x: F.hardtanh(x), lambda F, x: F.relu6(x),
                 lambda F, x: F.threshold(x, 1, 7), lambda F, x: F.softsign(x)):
        yt, yg = call(torch.nn.functional, torch.tensor(a)), call(GF, gradcore.tensor(a))
        assert str(yg.dtype).split(".")[-1] == str(yt.dtype).split(".")[-1]
        np.testing.assert_allclose(_host(yg), yt.numpy(), rtol=1e-6)


# ---- errors -----------------------------------------------------------------------------------

def _same_error(torch, fn_t, fn_g):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(type(et.value)) as eg:
        fn_g()
    assert str(eg.value) == str(et.value)


@pytest.mark.parametrize("name", ["silu", "mish", "hardswish", "hardsigmoid", "logsigmoid",
                                  "elu", "selu", "celu", "softplus", "softshrink",
                                  "hardshrink", "glu", "rrelu"])
def test_integer_input_errors(torch, name):
    a = np.array([1, 2])
    _same_error(torch, lambda: getattr(torch.nn.functional, name)(torch.tensor(a)),
                lambda: getattr(GF, name)(gradcore.tensor(a)))


def test_errors_match_torch(torch):
    a = _rng("errors").standard_normal((2, 3))
    T, G = torch.nn.functional, GF
    t, g = torch.tensor(a, dtype=torch.float32), gradcore.tensor(a, dtype=gradcore.float32)
    cases = [
        (lambda F, x: F.celu(x, alpha=0.0)),
        (lambda F, x: F.hardtanh(x, 2.0, 1.0)),
        (lambda F, x: F.softshrink(x, -1.0)),
        (lambda F, x: F.glu(x, 1)),
        (lambda F, x: F.glu(x[0, 0])),
        (lambda F, x: F.rrelu(x, 0.5, 0.1, True)),
    ]
    for call in cases:
        _same_error(torch, lambda: call(T, t), lambda: call(G, g))
    _same_error(torch, lambda: T.softshrink(t.double(), -0.5),
                lambda: G.softshrink(g.double(), -0.5))
    _same_error(torch, lambda: T.prelu(t, torch.ones(2)), lambda: G.prelu(g, gradcore.ones(2)))
    _same_error(torch, lambda: T.prelu(t[0], torch.ones(3)),
                lambda: G.prelu(g[0], gradcore.ones(3)))
    _same_error(torch, lambda: torch.nn.Softmax2d()(t), lambda: gnn.Softmax2d()(g))
    _same_error(torch, lambda: torch.nn.Hardtanh(2, 1), lambda: gnn.Hardtanh(2, 1))


def test_softmin_implicit_dim_warns(torch):
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        GF.softmin(gradcore.zeros(2, 3))
