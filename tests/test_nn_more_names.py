"""Issue 13's missing names: the dropout variants (masks equal torch's under a seed),
gumbel_softmax, leaky_relu_, lazy modules (weights equal torch's under a seed), nn.Buffer,
the global settings (compile, default device, ...) and the window functions, vs PyTorch."""
import numpy as np
import pytest

import gradcore
import gradcore.nn.functional as F
from gradcore.autograd import gradcheck


def _both(torch, fn):
    """fn(module) under the same seed in gradcore and torch, as NumPy arrays."""
    gradcore.manual_seed(7)
    torch.manual_seed(7)
    return fn(gradcore).detach().numpy(), fn(torch).detach().numpy()


@pytest.mark.parametrize("name,shape,training", [
    ("dropout1d", (3, 5, 4), True), ("dropout1d", (5, 4), True),
    ("dropout2d", (2, 5, 3, 3), True), ("dropout3d", (2, 3, 2, 2, 2), True),
    ("dropout3d", (3, 2, 2, 2), True), ("alpha_dropout", (4, 6), True),
    ("feature_alpha_dropout", (3, 4, 5), True), ("alpha_dropout", (4, 6), False)])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_functional_dropouts_match_torch(torch, name, shape, training, p):
    def run(m):
        x = m.arange(float(np.prod(shape)), dtype=m.float64).reshape(shape) - 3
        return getattr(m.nn.functional, name)(x, p, training)
    a, b = _both(torch, run)
    np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                                  "FeatureAlphaDropout"])
def test_dropout_modules_match_torch(torch, name):
    shape = {"Dropout1d": (2, 6, 3), "Dropout3d": (2, 6, 2, 2, 2)}.get(name, (2, 6, 3, 3))
    mods = {}

    def run(m):
        mods[m] = getattr(m.nn, name)(p=0.3)
        return mods[m](m.ones(shape, dtype=m.float64))
    a, b = _both(torch, run)
    np.testing.assert_allclose(a, b, rtol=1e-15)
    assert repr(mods[gradcore]) == repr(mods[torch])
    assert isinstance(mods[gradcore], gradcore.nn.Dropout) == isinstance(mods[torch],
                                                                        torch.nn.Dropout)
    x = gradcore.randn(shape)
    assert mods[gradcore].eval()(x) is x
    assert mods[gradcore].state_dict() == {}


def test_inplace_feature_dropout_writes_input(torch):
    def run(m):
        x = m.ones(3, 4, 2)
        y = m.nn.functional.dropout1d(x, 0.5, True, inplace=True)
        assert y is x
        return x
    a, b = _both(torch, run)
    np.testing.assert_array_equal(a, b)


def test_dropout_gradients():
    x = gradcore.randn(3, 4, 2, dtype=gradcore.float64, requires_grad=True)
    for fn in (F.dropout1d, F.alpha_dropout, F.feature_alpha_dropout,
               lambda t, p, tr: F.gumbel_softmax(t, tau=0.5)):  # (hard's straight-through
        # gradient is not the forward's derivative by design: test_gumbel_softmax_hard_*)
        def f(t):
            gradcore.manual_seed(3)
            return fn(t, 0.4, True)
        assert gradcheck(f, (x,))


def test_dropout_errors_and_warnings(torch):
    for m in (gradcore, torch):
        with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but "
                           "received a 4D input"):
            m.nn.functional.dropout1d(m.ones(1, 2, 3, 4))
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1,"
                           " but got 1.5"):
            m.nn.functional.dropout2d(m.ones(1, 2, 3, 4), 1.5)
        with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
            m.nn.functional.dropout2d(m.ones(2, 3, 4))
        with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
            m.nn.functional.dropout3d(m.ones(2, 3))
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 "
                           "dimensions in the input"):
            m.feature_dropout(m.ones(3), 0.5, True)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_matches_torch(torch, hard):
    a, b = _both(torch, lambda m: m.nn.functional.gumbel_softmax(
        m.linspace(-2, 2, 12, dtype=m.float64).reshape(3, 4), tau=0.7, hard=hard))
    np.testing.assert_allclose(a, b, rtol=1e-13)
    if hard:
        assert set(np.unique(a)) == {0.0, 1.0}


def test_gumbel_softmax_hard_straight_through(torch):
    grads = []
    for m in (gradcore, torch):
        m.manual_seed(1)
        x = m.linspace(-1, 1, 6, dtype=m.float64).reshape(2, 3).requires_grad_()
        w = m.arange(6.0, dtype=m.float64).reshape(2, 3)
        (m.nn.functional.gumbel_softmax(x, hard=True) * w).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-13)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(gradcore.zeros(3), eps=1e-5)


def test_leaky_relu_inplace(torch):
    x = gradcore.tensor([-2.0, 0.5, -1.0])
    assert F.leaky_relu_(x, 0.2) is x
    np.testing.assert_allclose(
        x.numpy(), torch.nn.functional.leaky_relu_(torch.tensor([-2.0, 0.5, -1.0]), 0.2))


LAZY = [("LazyLinear", (3,), (2, 5)), ("LazyConv1d", (4, 3), (2, 3, 7)),
        ("LazyConv2d", (4, 3), (3, 5, 5)), ("LazyConv3d", (2, 2), (1, 2, 3, 3, 3)),
        ("LazyConvTranspose1d", (4, 2), (2, 3, 5)), ("LazyConvTranspose2d", (2, 3), (1, 2, 4, 4)),
        ("LazyConvTranspose3d", (2, 2), (1, 2, 2, 2, 2)), ("LazyBatchNorm1d", (), (4, 3)),
        ("LazyBatchNorm2d", (), (2, 3, 2, 2)), ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
        ("LazyInstanceNorm1d", (), (2, 3, 4)), ("LazyInstanceNorm2d", (), (2, 3, 2, 2)),
        ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2))]


@pytest.mark.parametrize("name,args,shape", LAZY)
def test_lazy_modules_match_torch(torch, name, args, shape):
    made, outs, lazy = {}, {}, {}
    for m in (gradcore, torch):
        m.manual_seed(11)
        mod = made[m] = getattr(m.nn, name)(*args)
        assert mod.has_uninitialized_params()
        lazy[m] = repr(mod), list(mod.state_dict())
        x = m.linspace(-1, 1, int(np.prod(shape))).reshape(shape)
        outs[m] = mod(x).detach().numpy()
        assert not any(isinstance(t, (m.nn.parameter.UninitializedParameter,
                                      m.nn.parameter.UninitializedBuffer))
                       for t in (*mod.parameters(), *mod.buffers()))
    assert lazy[gradcore] == lazy[torch]
    g, t = made[gradcore], made[torch]
    assert type(g).__name__ == type(t).__name__ == name[4:]
    assert repr(g) == repr(t)
    for (kg, vg), (kt, vt) in zip(g.state_dict().items(), t.state_dict().items()):
        assert kg == kt
        np.testing.assert_allclose(vg.numpy(), vt.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(outs[gradcore], outs[torch], rtol=1e-5, atol=1e-6)


def test_lazy_errors_and_uninitialized(torch):
    for m in (gradcore, torch):
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) "
                           "input to LazyConv2d"):
            m.nn.LazyConv2d(4, 3)(m.ones(3, 3))
        p = m.nn.parameter.UninitializedParameter()
        assert isinstance(p, m.nn.Parameter)
        p.materialize((2, 3))
        assert type(p) is m.nn.Parameter and p.shape == (2, 3) and p.requires_grad
        assert issubclass(m.nn.LazyLinear, m.nn.modules.lazy.LazyModuleMixin)
        assert isinstance(m.nn.LazyLinear(2).weight, m.nn.parameter.UninitializedParameter)


def test_buffer_registers(torch):
    keys = []
    for m in (gradcore, torch):
        mod = m.nn.Module()
        mod.a = m.nn.Buffer(m.ones(2))
        mod.b = m.nn.Buffer(m.zeros(1), persistent=False)
        mod.c = m.ones(1)
        keys.append((sorted(n for n, _ in mod.named_buffers()), list(mod.state_dict())))
        assert isinstance(mod.a, m.nn.Buffer)
    assert keys[0] == keys[1] == (["a", "b"], ["a"])


def test_compile_is_identity():
    def f(x):
        return x * 2
    model = gradcore.nn.Linear(2, 2)
    assert gradcore.compile(model) is model
    assert gradcore.compile(f, mode="reduce-overhead") is f
    assert gradcore.compile(fullgraph=True)(f) is f

    @gradcore.compile
    def g(x):
        return x + 1
    assert g(1) == 2


def test_global_settings(torch):
    for m in (gradcore, torch):
        assert str(m.get_default_device()) == "cpu"
        m.set_default_device("cpu")
        assert m.zeros(2).device.type == "cpu" and m.tensor([1]).device.type == "cpu"
        m.set_default_device(None)
        assert m.get_float32_matmul_precision() == "highest"
        m.set_float32_matmul_precision("high")
        assert m.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="bad is not one of 'highest', 'high', or 'medium'"):
            m.set_float32_matmul_precision("bad")
        assert m.get_float32_matmul_precision() == "high"
        m.set_float32_matmul_precision("highest")
        assert not m.is_warn_always_enabled()
        m.set_warn_always(True)
        assert m.is_warn_always_enabled()
        m.set_warn_always(False)
        with pytest.raises(RuntimeError, match="set_num_interop_threads expects a positive"):
            m.set_num_interop_threads(0)
        assert m.get_num_interop_threads() >= 1
    assert gradcore.set_flush_denormal(False) is False


def test_default_device_honoured(monkeypatch):
    seen = []
    real = gradcore.ops.factories.get_backend
    monkeypatch.setattr(gradcore.ops.factories, "get_backend",
                        lambda d=None: (seen.append(d), real("cpu"))[1])
    gradcore.set_default_device("cpu")
    try:
        gradcore.ones(2)
        gradcore.arange(3)
    finally:
        gradcore.set_default_device(None)
    assert [str(d) for d in seen] == ["cpu", "cpu"]


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window",
                                  "bartlett_window", "kaiser_window"])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 13])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_match_torch(torch, name, n, periodic, dtype):
    a = getattr(gradcore, name)(n, periodic, dtype=getattr(gradcore, dtype))
    b = getattr(torch, name)(n, periodic, dtype=getattr(torch, dtype))
    assert a.dtype.scalar_name == {"float32": "Float", "float64": "Double"}[dtype]
    # float32 cos / i0 may differ from ATen's by an ulp
    tol = {"float32": 1e-6, "float64": 1e-14}[dtype]
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=tol, atol=tol)


def test_window_defaults_and_errors(torch):
    np.testing.assert_allclose(gradcore.hann_window(6).numpy(), torch.hann_window(6).numpy(),
                               rtol=1e-6)
    assert gradcore.hann_window(4, requires_grad=True).requires_grad
    for m in (gradcore, torch):
        with pytest.raises(RuntimeError, match="hann_window requires non-negative "
                           "window_length, got window_length=-1"):
            m.hann_window(-1)
    msgs = []
    for m in (gradcore, torch):
        for dt in (m.int64, m.int32, m.bool):
            with pytest.raises(RuntimeError) as e:
                m.kaiser_window(3, dtype=dt)
            msgs.append(str(e.value))
    assert msgs[:3] == msgs[3:]


def test_lazy_state_dict_load_and_optimizer(torch):
    reprs = []
    for m in (gradcore, torch):
        m.manual_seed(2)
        src = m.nn.Linear(4, 3)
        lazy = m.nn.LazyLinear(3)
        assert [repr(v) for v in lazy.state_dict().values()] == ["<UninitializedParameter>"] * 2
        lazy.load_state_dict(src.state_dict())
        assert lazy.weight.shape == (3, 4)
        np.testing.assert_array_equal(lazy.weight.detach().numpy(), src.weight.detach().numpy())
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized "
                           "parameter or buffer"):
            m.nn.Linear(4, 3).load_state_dict(m.nn.LazyLinear(3).state_dict())
        bn = m.nn.LazyBatchNorm1d()
        bn.load_state_dict(m.nn.BatchNorm1d(5).state_dict())
        assert bn.running_var.shape == (5,)
        # an optimizer made before the first forward trains the materialized parameters
        net = m.nn.LazyLinear(2)
        opt = m.optim.SGD(net.parameters(), lr=0.5)
        net(m.ones(3, 4)).sum().backward()
        opt.step()
        reprs.append((repr(lazy), net.weight.detach().numpy().copy()))
    assert reprs[0][0] == reprs[1][0]
    np.testing.assert_allclose(reprs[0][1], reprs[1][1], rtol=1e-6)


def test_lazy_deepcopy():
    import copy
    m = gradcore.nn.LazyConv1d(2, 3)
    c = copy.deepcopy(m)
    assert c.has_uninitialized_params() and c.weight is not m.weight
    c(gradcore.ones(1, 4, 5))
    assert c.weight.shape == (2, 4, 3) and m.has_uninitialized_params()


@pytest.mark.parametrize("head_bias", [False, True])
@pytest.mark.parametrize("target", [[0, 4, 9, 2, 7], [1, 0, 2, 2, 1], [8, 9, 6, 7, 9]])
def test_adaptive_log_softmax_matches_torch(torch, head_bias, target):
    res = []
    for m in (gradcore, torch):
        m.manual_seed(0)
        a = m.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0,
                                            head_bias=head_bias).double()
        x = m.linspace(-1, 1, 40, dtype=m.float64).reshape(5, 8).requires_grad_()
        out = a(x, m.tensor(target))
        out.loss.backward()
        single = a(x[1].detach(), m.tensor(target[1]))
        res.append([out.output.detach().numpy(), out.loss.item(), x.grad.numpy(),
                    a.log_prob(x).detach().numpy(), a.predict(x).numpy(),
                    single.output.detach().numpy(), a.head.weight.grad.numpy(),
                    repr(a), list(a.state_dict())])
        assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    for u, v in zip(*res):
        if isinstance(u, np.ndarray):
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-14)
        else:
            assert u == pytest.approx(v, rel=1e-12) if isinstance(u, float) else u == v


def test_adaptive_log_softmax_errors(torch):
    for m in (gradcore, torch):
        for cutoffs in ([], [3, 3], [0, 4], [4, 10]):
            with pytest.raises(ValueError, match="cutoffs should be"):
                m.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)
        a = m.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])
        with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\], but "
                           r"values in range \[0, 12\] were found"):
            a(m.ones(2, 8), m.tensor([0, 12]))
        with pytest.raises(RuntimeError, match="Input and target should have the same size"):
            a(m.ones(3, 8), m.tensor([0, 1]))
        with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
            a(m.ones(3, 8), m.zeros(3, 1, dtype=m.long))


def test_adaptive_log_softmax_gradcheck():
    gradcore.manual_seed(0)
    a = gradcore.nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4], div_value=2.0).double()
    x = gradcore.randn(3, 4, dtype=gradcore.float64, requires_grad=True)
    assert gradcheck(lambda t: a(t, gradcore.tensor([0, 3, 5])).loss, (x,))


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_conv_tbc_matches_torch(torch, pad):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((6, 2, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal(4)
    g = [gradcore.tensor(v, requires_grad=True) for v in (x, w, b)]
    t = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    og, ot = F.conv_tbc(*g, pad), torch.conv_tbc(*t, pad)
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), rtol=1e-12)
    (og * og).sum().backward()
    (ot * ot).sum().backward()
    for u, v in zip(g, t):
        np.testing.assert_allclose(u.grad.numpy(), v.grad.numpy(), rtol=1e-12)
    assert gradcheck(lambda *a: gradcore.conv_tbc(*a, pad), tuple(g))


def test_conv_tbc_errors(torch):
    x, w, b = np.ones((5, 2, 3)), np.ones((2, 3, 4)), np.ones(4)
    bad = [(x[0], w, b), (x, w[0], b), (x, w, b[:2]), (x, w[:, :2], b)]
    for args in bad:
        msgs = []
        for m in (gradcore, torch):
            with pytest.raises(RuntimeError) as e:
                m.conv_tbc(*(m.tensor(a) for a in args))
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
    for m in (gradcore, torch):
        with pytest.raises(TypeError, match="argument 'bias' \\(position 3\\) must be Tensor"):
            m.conv_tbc(m.tensor(x), m.tensor(w), None)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_convolution_matches_torch(torch, transposed, dims):
    rng = np.random.default_rng(dims)
    # plain: weight (out=2, in=3, k...), input 3 channels; transposed: weight (in=3, out=2, k...)
    x = rng.standard_normal((1, 3) + (5,) * dims)
    w = rng.standard_normal(((3, 2) if transposed else (2, 3)) + (2,) * dims)
    b = rng.standard_normal(2)
    args = ([2] * dims, [1] * dims, [1] * dims, transposed,
            [1 if transposed else 0] * dims, 1)
    out = [m.convolution(m.tensor(x), m.tensor(w), m.tensor(b), *args).numpy()
           for m in (gradcore, torch)]
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)
    msgs = []
    for m in (gradcore, torch):
        with pytest.raises(RuntimeError) as e:
            m.convolution(m.ones(2, 3), m.tensor(w), None, *args)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
