"""nn.Module, Parameter and the containers against PyTorch: registration order, named_* (shared
parameters once), state_dict keys and round trips, strict-loading errors, in-place moves,
train/eval, apply, zero_grad, hooks, reprs."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import gradcore
import gradcore.nn as nn


def _np(t):
    return t.detach().cpu().numpy()


def _net(nn_):
    """The same architecture in PyTorch (nn_ = torch.nn) or gradcore (nn_ = gradcore.nn)."""

    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn_.Linear(4, 3)
            self.bn = nn_.BatchNorm1d(3)
            self.seq = nn_.Sequential(nn_.ReLU(), nn_.Dropout(0.25), nn_.Linear(3, 2))
            self.heads = nn_.ModuleList([nn_.Linear(2, 2) for _ in range(3)] + [nn_.Tanh()])
            self.register_buffer("scale", self.fc1.bias.new_ones(2))
            self.register_buffer("tmp", self.fc1.bias.new_ones(1), persistent=False)

        def forward(self, x):
            y = self.seq(self.bn(self.fc1(x))) * self.scale
            for h in self.heads:
                y = h(y)
            return y

    return Net()


def _copy_from_torch(gmodel, tmodel, device="cpu"):
    sd = {k: gradcore.tensor(v.detach().numpy(), device=device)
          for k, v in tmodel.state_dict().items()}
    return gmodel.load_state_dict(sd)


# ---- Parameter ---------------------------------------------------------------------------------

def test_parameter_basics(torch):
    t = gradcore.ones(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, gradcore.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    t.add_(1)  # shares t's array
    assert np.all(_np(p) == 2)
    assert repr(p) == repr(torch.nn.Parameter(torch.full((2, 3), 2.0)))
    assert repr(nn.Parameter()) == repr(torch.nn.Parameter())
    assert nn.Parameter().shape == (0,) and nn.Parameter().dtype is gradcore.float32
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    # ops on a Parameter (and .data / .detach()) give plain Tensors
    assert type(p * 2) is gradcore.Tensor and type(p.data) is gradcore.Tensor
    assert type(p.detach()) is gradcore.Tensor
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(gradcore.tensor([1, 2]))


def test_parameter_deepcopy():
    p = nn.Parameter(gradcore.tensor([1.0, 2.0]))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q is not p and q.requires_grad
    q.data.add_(1)
    assert _np(p).tolist() == [1.0, 2.0] and _np(q).tolist() == [2.0, 3.0]
    pair = copy.deepcopy([p, p])
    assert pair[0] is pair[1]


# ---- registration and iteration ---------------------------------------------------------------

def test_registration_order_and_names(torch):
    g, t = _net(nn), _net(torch.nn)
    for fn in ("named_parameters", "named_buffers", "named_children", "named_modules"):
        assert [k for k, _ in getattr(g, fn)()] == [k for k, _ in getattr(t, fn)()], fn
    assert list(g._parameters) == [] and list(g._buffers) == ["scale", "tmp"]
    assert list(g._modules) == ["fc1", "bn", "seq", "heads"]
    assert [k for k, _ in g.named_parameters(prefix="net", recurse=False)] == []
    assert [k for k, _ in g.fc1.named_parameters(prefix="fc1")] == ["fc1.weight", "fc1.bias"]
    assert [type(m).__name__ for m in g.modules()] == [type(m).__name__ for m in t.modules()]
    assert [type(m).__name__ for m in g.children()] == [type(m).__name__ for m in t.children()]
    assert len(list(g.parameters())) == len(list(t.parameters())) == 12
    assert len(list(g.buffers())) == 5


def test_shared_parameters_yielded_once(torch):
    def build(nn_):
        lin = nn_.Linear(2, 2)
        m = nn_.Sequential(lin, nn_.ReLU(), lin)
        m.extra = nn_.Linear(2, 2)
        m.extra.weight = lin.weight
        return m

    g, t = build(nn), build(torch.nn)
    assert [k for k, _ in g.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert [k for k, _ in g.named_parameters(remove_duplicate=False)] == \
        [k for k, _ in t.named_parameters(remove_duplicate=False)]
    assert [k for k, _ in g.named_modules()] == [k for k, _ in t.named_modules()]
    assert list(g.state_dict()) == list(t.state_dict())


def test_setattr_rules():
    m = nn.Module()
    m.w = nn.Parameter(gradcore.ones(2))
    assert list(m._parameters) == ["w"] and "w" not in m.__dict__
    with pytest.raises(TypeError, match="cannot assign 'gradcore.FloatTensor' as parameter 'w'"):
        m.w = gradcore.ones(2)
    m.w = None
    assert m.w is None and "w" in m._parameters
    m.sub = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    m.register_buffer("b", gradcore.zeros(1))
    m.b = gradcore.ones(1)
    assert m._buffers["b"] is m.b
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = 3
    # re-assigning a name as another kind moves it between the tables
    m.sub = nn.Parameter(gradcore.ones(1))
    assert "sub" in m._parameters and "sub" not in m._modules
    m.plain = 3
    assert m.plain == 3 and "plain" in m.__dict__
    del m.sub, m.b, m.plain
    assert "sub" not in m._parameters and "b" not in m._buffers and not hasattr(m, "plain")
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        m.missing


def test_registration_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match="parameter name can.{1,2}t contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty string"):
        m.register_buffer("", None)
    with pytest.raises(TypeError, match="parameter name should be a string"):
        m.register_parameter(3, None)
    m.x = 1
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.register_parameter("x", None)
    with pytest.raises(TypeError, match="cannot assign 'gradcore.FloatTensor' object to "
                                        "parameter 'p'"):
        m.register_parameter("p", gradcore.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'b'"):
        m.register_buffer("b", 3)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("q", 3)
    with pytest.raises(KeyError, match="module name can.{1,2}t contain"):
        m.add_module("a.b", nn.ReLU())
    w = gradcore.ones(2, requires_grad=True) * 2
    with pytest.raises(TypeError):
        m.register_parameter("y", w)
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required '
                                                  r'"forward" function'):
        m(1)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gradcore.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_register_module_and_get_submodule():
    m = nn.Module()
    m.register_module("a", nn.Sequential(nn.Linear(2, 2)))
    assert m.get_submodule("a.0") is m.a[0]
    assert m.get_parameter("a.0.bias") is m.a[0].bias
    with pytest.raises(AttributeError):
        m.get_submodule("a.1")


def test_dir_lists_members():
    g = _net(nn)
    d = dir(g)
    for name in ("fc1", "bn", "scale", "forward", "training"):
        assert name in d
    assert d == sorted(d)


# ---- state_dict / load_state_dict ---------------------------------------------------------------

def test_state_dict_keys_and_metadata(torch):
    g, t = _net(nn), _net(torch.nn)
    gsd, tsd = g.state_dict(), t.state_dict()
    assert list(gsd) == list(tsd)
    assert "tmp" not in gsd and "bn.num_batches_tracked" in gsd
    assert gsd._metadata == tsd._metadata
    for k, v in gsd.items():
        assert type(v) is gradcore.Tensor and not v.requires_grad and v.grad_fn is None, k
        assert tuple(v.shape) == tuple(tsd[k].shape)
    # the values share memory with the module
    gsd["fc1.weight"].zero_()
    assert np.all(_np(g.fc1.weight) == 0)
    kept = g.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is g.fc1.weight and kept["bn.running_mean"] is g.bn.running_mean
    prefixed = g.fc1.state_dict(prefix="a.")
    assert list(prefixed) == ["a.weight", "a.bias"]


def test_load_state_dict_round_trip_in_place(torch):
    t = _net(torch.nn)
    with torch.no_grad():
        t.bn.running_mean.uniform_()
        t.bn.num_batches_tracked += 7
    g = _net(nn)
    params = list(g.parameters())  # what an optimizer would hold
    res = _copy_from_torch(g, t)
    assert repr(res) == "<All keys matched successfully>"
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert all(a is b for a, b in zip(params, g.parameters()))
    for (k, gv), tv in zip(g.state_dict().items(), t.state_dict().values()):
        np.testing.assert_array_equal(_np(gv), tv.numpy(), err_msg=k)
    assert g.bn.num_batches_tracked.item() == 7
    # round trip gradcore -> gradcore keeps values; dtype of the destination wins
    h = _net(nn).double()
    h.load_state_dict(g.state_dict())
    assert h.fc1.weight.dtype is gradcore.float64
    np.testing.assert_allclose(_np(h.fc1.weight), _np(g.fc1.weight), rtol=0, atol=0)
    x = gradcore.randn(5, 4)
    g.eval(), h.eval()
    np.testing.assert_allclose(_np(h(x.double())), _np(g(x)), rtol=1e-5, atol=1e-6)


def test_load_state_dict_does_not_record_graph():
    g = nn.Linear(2, 2)
    g.load_state_dict({"weight": gradcore.ones(2, 2, requires_grad=True) * 2,
                       "bias": gradcore.zeros(2)})
    assert g.weight.is_leaf and g.weight.grad_fn is None and g.weight.requires_grad
    np.testing.assert_array_equal(_np(g.weight), 2 * np.ones((2, 2)))


def test_load_state_dict_strict_errors_match_torch(torch):
    cases = [
        lambda sd: {k: v for k, v in sd.items() if k != "fc1.bias"},
        lambda sd: dict(sd, extra=sd["scale"], **{"fc1.extra": sd["scale"]}),
        lambda sd: dict(sd, **{"fc1.weight": sd["fc1.weight"][:, :2]}),
        lambda sd: {**{k: v for k, v in sd.items() if not k.startswith("bn.")},
                    "seq.9.weight": sd["scale"]},
    ]
    for make in cases:
        t, g = _net(torch.nn), _net(nn)
        tsd = make(t.state_dict())
        gsd = {k: gradcore.tensor(v.numpy()) for k, v in tsd.items()}
        with pytest.raises(RuntimeError) as te:
            t.load_state_dict(tsd)
        with pytest.raises(RuntimeError) as ge:
            g.load_state_dict(gsd)
        assert str(ge.value) == str(te.value).replace("torch.", "gradcore."), tsd.keys()
        # strict=False reports the same keys (size mismatches still raise)
        if "size mismatch" not in str(te.value):
            assert tuple(g.load_state_dict(gsd, strict=False)) == \
                tuple(t.load_state_dict(tsd, strict=False))


def test_load_state_dict_bad_values():
    g = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight", '
                                           'expected gradcore.Tensor'):
        g.load_state_dict({"weight": 3, "bias": gradcore.zeros(2)})
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        g.load_state_dict([1, 2])
    res = g.load_state_dict({"weight": gradcore.zeros(2, 2)}, strict=False)
    assert res.missing_keys == ["bias"] and "missing_keys=['bias']" in repr(res)


def test_batchnorm_old_state_dict_without_num_batches_tracked():
    bn = nn.BatchNorm1d(3)
    old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert repr(nn.BatchNorm1d(3).load_state_dict(old)) == "<All keys matched successfully>"
    new = OrderedDict(old)
    new._metadata = OrderedDict({"": {"version": 2}})
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: '
                                           '"num_batches_tracked"'):
        nn.BatchNorm1d(3).load_state_dict(new)


# ---- moving, modes, gradients -------------------------------------------------------------------

def test_to_keeps_parameter_objects_and_converts_grads():
    g = _net(nn)
    params = list(g.parameters())
    opt_like = {"params": params}
    g(gradcore.randn(5, 4)).sum().backward()
    grads = [p.grad for p in params]
    assert g.to(gradcore.float64) is g
    assert all(a is b for a, b in zip(opt_like["params"], g.parameters()))
    assert all(p.dtype is gradcore.float64 and p.grad.dtype is gradcore.float64
               for p in g.parameters())
    assert all(p.grad is gr for p, gr in zip(params, grads))  # same grad objects too
    assert g.bn.running_mean.dtype is gradcore.float64
    assert g.bn.num_batches_tracked.dtype is gradcore.int64
    assert g.tmp.dtype is gradcore.float64
    # the moved parameters still train: an update through the old list reaches the module
    with gradcore.no_grad():
        for p in opt_like["params"]:
            p.sub_(p.grad * 0.1)
    before = _np(g.fc1.weight).copy()
    with gradcore.no_grad():
        opt_like["params"][0].add_(1.0)
    np.testing.assert_array_equal(_np(g.fc1.weight), before + 1)
    g.float()
    assert all(p.dtype is gradcore.float32 for p in g.parameters())
    g.half()
    assert g.fc1.weight.dtype is gradcore.float16 and g.bn.num_batches_tracked.dtype is \
        gradcore.int64
    g.to("cpu", gradcore.float64)
    assert g.fc1.weight.dtype is gradcore.float64 and g.fc1.weight.device.type == "cpu"
    g.to(dtype=gradcore.float32)
    g.to(gradcore.zeros(1, dtype=gradcore.float64))
    assert g.fc1.weight.dtype is gradcore.float64
    assert g.cpu() is g
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex "
                                        "dtypes, but got desired dtype=gradcore.int64"):
        g.to(gradcore.int64)


@pytest.mark.gpu
def test_to_cuda_keeps_parameter_objects():
    g = _net(nn)
    params = list(g.parameters())
    g(gradcore.randn(5, 4)).sum().backward()
    g.to("cuda")
    assert all(a is b for a, b in zip(params, g.parameters()))
    assert all(p.is_cuda and p.grad.is_cuda for p in params)
    assert g.bn.running_mean.is_cuda and g.bn.num_batches_tracked.is_cuda
    g.zero_grad()
    g(gradcore.randn(5, 4, device="cuda")).sum().backward()
    assert all(p.grad is not None and p.grad.is_cuda for p in params)
    g.cpu()
    assert all(not p.is_cuda for p in params)
    g.cuda()
    assert params[0].is_cuda


def test_train_eval_and_apply(torch):
    g, t = _net(nn), _net(torch.nn)
    assert g.training and g.seq[1].training
    assert g.eval() is g
    assert not any(m.training for m in g.modules())
    g.train()
    assert all(m.training for m in g.modules())
    g.seq.train(False)
    assert g.training and not g.seq[0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        g.train("yes")
    seen_g, seen_t = [], []
    assert g.apply(lambda m: seen_g.append(type(m).__name__)) is g
    t.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_g == seen_t


def test_zero_grad_and_requires_grad():
    g = _net(nn)
    g(gradcore.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in g.parameters())
    g.zero_grad(set_to_none=False)
    assert all(np.all(_np(p.grad) == 0) for p in g.parameters())
    g.zero_grad()
    assert all(p.grad is None for p in g.parameters())
    assert g.requires_grad_(False) is g
    assert not any(p.requires_grad for p in g.parameters())
    g.fc1.requires_grad_()
    assert g.fc1.weight.requires_grad and not g.bn.weight.requires_grad


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out) or out + 1)
    out = m(gradcore.ones(1, 2))
    np.testing.assert_allclose(_np(out), _np(m.bias)[None] + 1, rtol=1e-6)
    assert len(calls) == 1
    h1.remove(), h2.remove()
    np.testing.assert_allclose(_np(m(gradcore.zeros(1, 2))), _np(m.bias)[None], rtol=1e-6)
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), kwargs),
                                with_kwargs=True)
    np.testing.assert_allclose(_np(m(gradcore.zeros(1, 2))), _np(m(gradcore.zeros(1, 2))))


def test_deepcopy_module():
    g = _net(nn)
    g.extra = nn.Linear(2, 2)
    g.extra.weight = g.heads[0].weight
    h = copy.deepcopy(g)
    assert h.fc1.weight is not g.fc1.weight and isinstance(h.fc1.weight, nn.Parameter)
    assert h.extra.weight is h.heads[0].weight
    np.testing.assert_array_equal(_np(h.fc1.weight), _np(g.fc1.weight))
    x = gradcore.randn(5, 4)
    g.eval(), h.eval()
    np.testing.assert_array_equal(_np(h(x)), _np(g(x)))


# ---- repr ----------------------------------------------------------------------------------------

def _zoo(nn_):
    return nn_.Sequential(OrderedDict([
        ("net", _net(nn_)),
        ("flat", nn_.Flatten()),
        ("unflat", nn_.Unflatten(1, (2, 3))),
        ("emb", nn_.Embedding(10, 3, padding_idx=0)),
        ("emb2", nn_.Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)),
        ("ln", nn_.LayerNorm([2, 3], bias=False)),
        ("ln2", nn_.LayerNorm(3, eps=1e-6, elementwise_affine=False)),
        ("bn2", nn_.BatchNorm2d(4, momentum=None, affine=False, track_running_stats=False)),
        ("acts", nn_.ModuleList([nn_.ReLU(), nn_.ReLU(inplace=True), nn_.LeakyReLU(),
                                 nn_.LeakyReLU(0.2, inplace=True), nn_.GELU(),
                                 nn_.GELU("tanh"), nn_.Sigmoid(), nn_.Tanh(), nn_.Softmax(),
                                 nn_.Softmax(dim=1), nn_.LogSoftmax(-1), nn_.Identity(),
                                 nn_.Dropout(), nn_.Dropout(0.1, inplace=True)])),
        ("dict", nn_.ModuleDict({"b": nn_.Linear(1, 1, bias=False), "a": nn_.ReLU()})),
        ("empty", nn_.ModuleList()),
    ]))


def test_repr_matches_torch(torch):
    assert repr(_zoo(nn)) == repr(_zoo(torch.nn))
    assert repr(nn.Linear(784, 512)) == "Linear(in_features=784, out_features=512, bias=True)"
    assert repr(nn.Module()) == "Module()"

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)

        def extra_repr(self):
            return "line1\nline2"

    assert repr(WithExtra()) == ("WithExtra(\n  line1\n  line2\n  (fc): Linear(in_features=1, "
                                 "out_features=1, bias=True)\n)")


# ---- containers ------------------------------------------------------------------------------

def test_sequential(torch):
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    s = nn.Sequential(*layers)
    assert len(s) == 3 and list(s) == layers
    assert s[0] is layers[0] and s[-1] is layers[2]
    sub = s[1:]
    assert type(sub) is nn.Sequential and list(sub._modules) == ["1", "2"] and sub[0] is layers[1]
    named = nn.Sequential(OrderedDict([("fc", layers[0]), ("act", layers[1])]))
    assert list(named._modules) == ["fc", "act"] and named.fc is layers[0]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        s[-4]
    x = gradcore.randn(4, 2)
    np.testing.assert_allclose(_np(s(x)), _np(layers[2](layers[1](layers[0](x)))))
    s.append(nn.Sigmoid())
    assert len(s) == 4 and list(s._modules) == ["0", "1", "2", "3"]
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and s[1] is layers[2]
    del s[:2]
    assert len(s) == 1 and type(s[0]) is nn.Sigmoid
    s.insert(0, layers[0])
    assert s[0] is layers[0] and list(s._modules) == ["0", "1"]
    s[1] = nn.Tanh()
    assert type(s[1]) is nn.Tanh
    assert s.pop(1).__class__ is nn.Tanh and len(s) == 1
    s.extend([nn.ReLU(), nn.ReLU()])
    both = s + nn.Sequential(nn.Tanh())
    assert len(both) == 4 and type(both[3]) is nn.Tanh
    s += nn.Sequential(nn.Tanh())
    assert len(s) == 4
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential"):
        s + [nn.ReLU()]
    assert "0" not in dir(s)


def test_module_list():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid()])
    ml += [nn.Identity()]
    assert len(ml) == 5 and [type(m).__name__ for m in ml] == [
        "Linear", "ReLU", "Tanh", "Sigmoid", "Identity"]
    assert type(ml[-1]) is nn.Identity and type(ml[1:3]) is nn.ModuleList
    assert [type(m).__name__ for m in ml[1:3]] == ["ReLU", "Tanh"]
    ml.insert(1, nn.GELU())
    assert type(ml[1]) is nn.GELU and type(ml[2]) is nn.ReLU and len(ml) == 6
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(5)] and type(ml[0]) is nn.GELU
    assert type(ml.pop(0)) is nn.GELU
    ml[0] = nn.Tanh()
    assert type(ml[0]) is nn.Tanh
    combined = ml + nn.ModuleList([nn.ReLU()])
    assert len(combined) == len(ml) + 1
    with pytest.raises(IndexError, match="index 10 is out of range"):
        ml[10]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        ml.extend(3)
    parent = nn.Module()
    parent.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    assert [k for k, _ in parent.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    with pytest.raises(NotImplementedError):
        parent.layers(gradcore.ones(1))


def test_module_dict():
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    assert list(md) == ["b", "a"] and list(md.keys()) == ["b", "a"] and len(md) == 2
    assert "a" in md and type(md["a"]) is nn.Tanh
    md["c"] = nn.Linear(1, 1)
    md.update([("d", nn.Sigmoid())])
    assert list(md) == ["b", "a", "c", "d"]
    assert [k for k, _ in md.named_parameters()] == ["c.weight", "c.bias"]
    assert type(md.pop("b")) is nn.ReLU and "b" not in md
    del md["a"]
    assert list(md.items())[0][0] == "c" and len(list(md.values())) == 2
    with pytest.raises(ValueError, match="has length 1; 2 is required"):
        md.update([("x",)])
    md.clear()
    assert len(md) == 0
