"""Recurrent layers (RNN, LSTM, GRU, their cells) and nn.utils.rnn against PyTorch with copied
weights: outputs, final states, gradients of the input, the initial states and every parameter,
for each option (layers, bias, batch_first, bidirectional, proj_size, unbatched input, packed
sequences with unsorted lengths), in float32 and float64; parameter names, shapes, init and
repr; dropout between layers; gradcheck of the cells; PyTorch's errors."""
import math
import warnings

import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
from gradcore.autograd import gradcheck, gradgradcheck
from gradcore.nn.utils import rnn as R

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _np(t):
    return t.detach().cpu().numpy()


def _close(g, t, dtype):
    np.testing.assert_allclose(_np(g), t.detach().numpy(), **TOL[dtype])


def _pair(torch, rng, shape, dtype, device, scale=1.0):
    a = (rng.standard_normal(shape) * scale).astype(dtype)
    return (gradcore.tensor(a, device=device, requires_grad=True),
            torch.tensor(a, requires_grad=True))


def _modules(torch, cls, args, kwargs, dtype, device):
    """The torch module and a gradcore one with its weights (torch seeded: the same weights on
    every run, so a float32 tolerance is met or missed deterministically)."""
    torch.manual_seed(0)
    tmod = getattr(torch.nn, cls)(*args, **kwargs).to(getattr(torch, dtype))
    gmod = getattr(nn, cls)(*args, **kwargs).to(device=device, dtype=getattr(gradcore, dtype))
    gmod.load_state_dict({k: gradcore.tensor(v.detach().numpy(), device=device)
                          for k, v in tmod.state_dict().items()})
    return gmod, tmod


def _states(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


def _loss(lib, outs, weights):
    """sum(w_k * out_k): distinct random weights so every output's gradient counts."""
    return sum((o * w).sum() for o, w in zip(outs, weights))


def _weights(torch, rng, touts, dtype, device):
    ws = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in touts]
    return ([gradcore.tensor(w, device=device) for w in ws], [torch.tensor(w) for w in ws])


def _check_grads(gmod, tmod, pairs, dtype):
    for g, t in pairs:
        _close(g.grad, t.grad, dtype)
    names = [k for k, _ in tmod.named_parameters()]
    assert [k for k, _ in gmod.named_parameters()] == names
    for (k, gp), tp in zip(gmod.named_parameters(), tmod.parameters()):
        _close(gp.grad, tp.grad, dtype)


LAYER_CASES = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
    ("RNN", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"nonlinearity": "relu", "bias": False, "batch_first": True}),
    ("LSTM", {"num_layers": 2}), ("LSTM", {"bidirectional": True, "batch_first": True}),
    ("LSTM", {"bias": False, "num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3}), ("LSTM", {"proj_size": 3, "num_layers": 2,
                                          "bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 2, "bias": False}),
    ("GRU", {"num_layers": 3}), ("GRU", {"bidirectional": True, "bias": False}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("cls,kwargs", LAYER_CASES)
def test_layer_matches_torch(torch, rng, device, cls, kwargs, with_h0, dtype):
    gmod, tmod = _modules(torch, cls, (4, 5), kwargs, dtype, device)
    seq, batch = 6, 3
    shape = (batch, seq, 4) if kwargs.get("batch_first") else (seq, batch, 4)
    gx, tx = _pair(torch, rng, shape, dtype, device)
    pairs = [(gx, tx)]
    g_h0 = t_h0 = None
    if with_h0:
        dirs = 2 if kwargs.get("bidirectional") else 1
        layers = kwargs.get("num_layers", 1) * dirs
        hs = [(layers, batch, kwargs.get("proj_size") or 5)]
        if cls == "LSTM":
            hs.append((layers, batch, 5))
        made = [_pair(torch, rng, s, dtype, device) for s in hs]
        pairs += made
        g_h0 = tuple(g for g, _ in made) if cls == "LSTM" else made[0][0]
        t_h0 = tuple(t for _, t in made) if cls == "LSTM" else made[0][1]
    gy, gh = gmod(gx, g_h0)
    ty, th = tmod(tx, t_h0)
    assert tuple(gy.shape) == tuple(ty.shape)
    _close(gy, ty, dtype)
    assert len(_states(gh)) == len(_states(th))
    for a, b in zip(_states(gh), _states(th)):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b, dtype)
    gw, tw = _weights(torch, rng, (ty,) + _states(th), dtype, device)
    _loss(gradcore, (gy,) + _states(gh), gw).backward()
    _loss(torch, (ty,) + _states(th), tw).backward()
    _check_grads(gmod, tmod, pairs, dtype)


@pytest.mark.parametrize("cls,kwargs", [("RNN", {}), ("LSTM", {"proj_size": 2}), ("GRU", {}),
                                        ("LSTM", {"batch_first": True, "bidirectional": True}),
                                        ("GRU", {"num_layers": 2, "batch_first": True})])
def test_unbatched_input(torch, rng, cls, kwargs):
    dtype = "float64"
    gmod, tmod = _modules(torch, cls, (4, 5), kwargs, dtype, "cpu")
    gx, tx = _pair(torch, rng, (6, 4), dtype, "cpu")
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    made = [_pair(torch, rng, (layers, kwargs.get("proj_size") or 5), dtype, "cpu")]
    if cls == "LSTM":
        made.append(_pair(torch, rng, (layers, 5), dtype, "cpu"))
    g_h0 = tuple(g for g, _ in made) if cls == "LSTM" else made[0][0]
    t_h0 = tuple(t for _, t in made) if cls == "LSTM" else made[0][1]
    gy, gh = gmod(gx, g_h0)
    ty, th = tmod(tx, t_h0)
    for a, b in zip((gy,) + _states(gh), (ty,) + _states(th)):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b, dtype)
    gw, tw = _weights(torch, rng, (ty,) + _states(th), dtype, "cpu")
    _loss(gradcore, (gy,) + _states(gh), gw).backward()
    _loss(torch, (ty,) + _states(th), tw).backward()
    _check_grads(gmod, tmod, [(gx, tx)] + made, dtype)
    # and without initial state
    gy, _ = gmod(gx)
    ty, _ = tmod(tx)
    _close(gy, ty, dtype)


PACKED_CASES = [("RNN", {}), ("LSTM", {}), ("GRU", {}),
                ("LSTM", {"num_layers": 2, "bidirectional": True}),
                ("GRU", {"bidirectional": True}), ("RNN", {"nonlinearity": "relu",
                                                          "bidirectional": True}),
                ("LSTM", {"proj_size": 3, "bidirectional": True, "num_layers": 2})]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("cls,kwargs", PACKED_CASES)
def test_packed_unsorted_matches_torch(torch, rng, device, cls, kwargs, with_h0, dtype):
    gmod, tmod = _modules(torch, cls, (4, 5), kwargs, dtype, device)
    lengths = [3, 7, 1, 7, 5]  # unsorted, with a tie
    gx, tx = _pair(torch, rng, (7, 5, 4), dtype, device)
    gp = R.pack_padded_sequence(gx, lengths, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, enforce_sorted=False)
    assert _np(gp.sorted_indices).tolist() == tp.sorted_indices.tolist()
    assert _np(gp.unsorted_indices).tolist() == tp.unsorted_indices.tolist()
    assert gp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    pairs = [(gx, tx)]
    g_h0 = t_h0 = None
    if with_h0:
        layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        hs = [(layers, 5, kwargs.get("proj_size") or 5)] + (
            [(layers, 5, 5)] if cls == "LSTM" else [])
        made = [_pair(torch, rng, s, dtype, device) for s in hs]
        pairs += made
        g_h0 = tuple(g for g, _ in made) if cls == "LSTM" else made[0][0]
        t_h0 = tuple(t for _, t in made) if cls == "LSTM" else made[0][1]
    gy, gh = gmod(gp, g_h0)
    ty, th = tmod(tp, t_h0)
    assert isinstance(gy, R.PackedSequence)
    assert gy.batch_sizes.tolist() == ty.batch_sizes.tolist()
    assert _np(gy.unsorted_indices).tolist() == ty.unsorted_indices.tolist()
    _close(gy.data, ty.data, dtype)
    for a, b in zip(_states(gh), _states(th)):
        _close(a, b, dtype)
    g_pad, g_len = R.pad_packed_sequence(gy, batch_first=True)
    t_pad, t_len = torch.nn.utils.rnn.pad_packed_sequence(ty, batch_first=True)
    _close(g_pad, t_pad, dtype)
    assert g_len.tolist() == t_len.tolist() == lengths
    gw, tw = _weights(torch, rng, (t_pad,) + _states(th), dtype, device)
    _loss(gradcore, (g_pad,) + _states(gh), gw).backward()
    _loss(torch, (t_pad,) + _states(th), tw).backward()
    _check_grads(gmod, tmod, pairs, dtype)


def test_packed_sorted_batch_first(torch, rng):
    gmod, tmod = _modules(torch, "LSTM", (3, 4), {"batch_first": True}, "float64", "cpu")
    gx, tx = _pair(torch, rng, (3, 5, 3), "float64", "cpu")
    gp = R.pack_padded_sequence(gx, gradcore.tensor([5, 4, 2]), batch_first=True)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor([5, 4, 2]), batch_first=True)
    assert gp.sorted_indices is None and gp.unsorted_indices is None
    gy, (gh, gc) = gmod(gp)
    ty, (th, tc) = tmod(tp)
    assert gy.sorted_indices is None
    for a, b in ((gy.data, ty.data), (gh, th), (gc, tc)):
        _close(a, b, "float64")
    (gy.data.sum() + gh.sum() + 3 * gc.sum()).backward()
    (ty.data.sum() + th.sum() + 3 * tc.sum()).backward()
    _close(gx.grad, tx.grad, "float64")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,kwargs", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                        ("RNNCell", {"bias": False}), ("LSTMCell", {}),
                                        ("LSTMCell", {"bias": False}), ("GRUCell", {}),
                                        ("GRUCell", {"bias": False})])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h0", [True, False])
def test_cells_match_torch(torch, rng, device, cls, kwargs, batched, with_h0, dtype):
    gmod, tmod = _modules(torch, cls, (4, 5), kwargs, dtype, device)
    lead = (3,) if batched else ()
    gx, tx = _pair(torch, rng, lead + (4,), dtype, device)
    pairs = [(gx, tx)]
    g_h = t_h = None
    if with_h0:
        made = [_pair(torch, rng, lead + (5,), dtype, device)
                for _ in range(2 if cls == "LSTMCell" else 1)]
        pairs += made
        g_h = tuple(g for g, _ in made) if cls == "LSTMCell" else made[0][0]
        t_h = tuple(t for _, t in made) if cls == "LSTMCell" else made[0][1]
    gy, ty = _states(gmod(gx, g_h)), _states(tmod(tx, t_h))
    for a, b in zip(gy, ty):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b, dtype)
    gw, tw = _weights(torch, rng, ty, dtype, device)
    _loss(gradcore, gy, gw).backward()
    _loss(torch, ty, tw).backward()
    _check_grads(gmod, tmod, pairs, dtype)


@pytest.mark.parametrize("name", ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"])
def test_cell_functions_match_torch_and_gradcheck(torch, rng, name):
    gates = {"lstm_cell": 4, "gru_cell": 3}.get(name, 1)
    shapes = [(3, 4), (gates * 5, 4), (gates * 5, 5), (gates * 5,), (gates * 5,)]
    made = [_pair(torch, rng, s, "float64", "cpu") for s in shapes]
    hs = [_pair(torch, rng, (3, 5), "float64", "cpu") for _ in range(2 if gates == 4 else 1)]
    g_args, t_args = [g for g, _ in made], [t for _, t in made]
    g_h = tuple(g for g, _ in hs) if gates == 4 else hs[0][0]
    t_h = tuple(t for _, t in hs) if gates == 4 else hs[0][1]
    g_out = _states(getattr(gradcore, name)(g_args[0], g_h, *g_args[1:]))
    t_out = _states(getattr(torch, name)(t_args[0], t_h, *t_args[1:]))
    for a, b in zip(g_out, t_out):
        _close(a, b, "float64")
    if gates == 4:
        fn = lambda x, h, c, *w: gradcore.lstm_cell(x, (h, c), *w)  # noqa: E731
        inputs = (g_args[0], hs[0][0], hs[1][0], *g_args[1:])
    else:
        fn = lambda x, h, *w: getattr(gradcore, name)(x, h, *w)  # noqa: E731
        inputs = (g_args[0], g_h, *g_args[1:])
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_layer_gradcheck(rng):
    m = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2).double()
    x = gradcore.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = gradcore.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    c0 = gradcore.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)

    def f(x, h0, c0, *params):
        out, (h, c) = nn.LSTM.forward(m, x, (h0, c0))
        return out, h, c
    assert gradcheck(f, (x, h0, c0, m.weight_ih_l1, m.weight_hr_l0_reverse))
    g = nn.GRU(2, 3).double()
    packed = R.pack_padded_sequence(x, [3, 1], enforce_sorted=False)

    def fg(data, w):
        out, h = g(R.PackedSequence(data, packed.batch_sizes, packed.sorted_indices,
                                    packed.unsorted_indices))
        return out.data, h
    assert gradcheck(fg, (packed.data, g.weight_hh_l0))


def _node_names(t):
    seen, todo, names = set(), [t.grad_fn], []
    while todo:
        n = todo.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        names.append(type(n).__name__)
        todo.extend(f for f, _ in n.next_functions)
    return names


@pytest.mark.parametrize("cls,node,dtype", [("LSTM", "MkldnnRnnLayerBackward0", "float32"),
                                            ("LSTM", "LstmStepBackward0", "float64"),
                                            ("GRU", "GruStepBackward0", "float32")])
@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bidirectional": True},
                                    {"batch_first": True}])
def test_layer_steps_are_one_fused_node(torch, rng, cls, node, dtype, kwargs):
    """A float32 LSTM layer is one node per layer and direction, as PyTorch's CPU (oneDNN)
    LSTM; other layer steps are their gate matmul and one fused node (ops/rnn.py); 20 steps
    give PyTorch's outputs and gradients."""
    gmod, tmod = _modules(torch, cls, (4, 5), kwargs, dtype, "cpu")
    gx, tx = _pair(torch, rng, (20, 3, 4), dtype, "cpu")
    gy, gh = gmod(gx)
    ty, th = tmod(tx)
    _close(gy, ty, dtype)
    names = _node_names(gy)
    layers = 2 * kwargs.get("num_layers", 1) if "bidirectional" in kwargs else 1
    if node == "MkldnnRnnLayerBackward0":
        assert names.count(node) == layers == _node_names(ty).count(node)
        assert type(gy.grad_fn).__name__ == type(ty.grad_fn).__name__
    else:
        assert names.count(node) == gx.shape[1 if kwargs.get("batch_first") else 0] * layers
    assert "SigmoidBackward0" not in names and "TanhBackward0" not in names
    gw, tw = _weights(torch, rng, (ty,) + _states(th), "float32", "cpu")
    _loss(gradcore, (gy,) + _states(gh), gw).backward()
    _loss(torch, (ty,) + _states(th), tw).backward()
    _check_grads(gmod, tmod, [(gx, tx)], "float32")
    cell = getattr(nn, cls + "Cell")(4, 5).to(getattr(gradcore, dtype))  # the cells keep
    # PyTorch's composite node names
    assert node not in _node_names(_states(cell(gx[0]))[0])


def test_gru_layer_gradgradcheck(rng):
    g = nn.GRU(2, 3, bidirectional=True, batch_first=True).double()
    x = gradcore.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    h0 = gradcore.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)

    def f(x, h0, w_hh, b_ih):
        return g(x, h0)
    args = (x, h0, g.weight_hh_l0_reverse, g.bias_ih_l0)
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)
    m = nn.LSTM(2, 3).double()
    c0 = gradcore.tensor(rng.standard_normal((1, 3, 3)), requires_grad=True)

    def fl(x, c0, w_hh):
        out, (h, c) = m(x, (c0 * 0.5, c0))
        return out, c
    assert gradgradcheck(fl, (x, c0, m.weight_hh_l0))


@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bidirectional": True},
                                    {"bias": False, "batch_first": True}])
def test_lstm_layer_node_gradcheck(rng, monkeypatch, kwargs):
    """The whole-layer LSTM node (float32 only in use) taken in float64: its array backward
    and its create_graph backward in Tensor ops, numerically."""
    from gradcore.ops import rnn
    monkeypatch.setattr(rnn, "_fused_layer", lambda mode, x, bs, w_hr: mode == "LSTM"
                        and bs is None and w_hr is None)
    m = nn.LSTM(2, 3, **kwargs).double()
    dirs = 2 if kwargs.get("bidirectional") else 1
    n_l = kwargs.get("num_layers", 1) * dirs
    x = gradcore.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    n_b = 4 if kwargs.get("batch_first") else 2
    h0 = gradcore.tensor(rng.standard_normal((n_l, n_b, 3)), requires_grad=True)
    c0 = gradcore.tensor(rng.standard_normal((n_l, n_b, 3)), requires_grad=True)
    ws = [m.weight_ih_l0, m.weight_hh_l0] + ([m.bias_hh_l0] if m.bias else [])
    if dirs == 2:
        ws.append(m.weight_hh_l1_reverse)

    def f(x, h0, c0, *w):
        out, (h, c) = m(x, (h0, c0))
        return out, h, c
    assert "MkldnnRnnLayerBackward0" in _node_names(f(x, h0, c0)[0])
    assert gradcheck(f, (x, h0, c0, *ws))
    assert gradgradcheck(f, (x, h0, c0, *ws))

    def only_c(x, h0, c0, *w):  # gradients that enter through c alone
        return m(x, (h0, c0))[1][1]
    assert gradgradcheck(only_c, (x, h0, c0, *ws))


def test_lstm_layer_node_create_graph_matches_array_backward(torch, rng):
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    x = gradcore.tensor(rng.standard_normal((6, 2, 3)).astype("float32"), requires_grad=True)
    out, (h, c) = m(x)
    loss = (out * out).sum() + (c * h).sum()
    g1 = gradcore.autograd.grad(loss, [x] + list(m.parameters()), retain_graph=True)
    g2 = gradcore.autograd.grad(loss, [x] + list(m.parameters()), create_graph=True)
    for a, b in zip(g1, g2):
        assert b.requires_grad
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


# ---- parameters, init, repr ----------------------------------------------------------------

@pytest.mark.parametrize("cls,args,kwargs", [
    ("RNN", (3, 4), {}), ("RNN", (3, 4, 2), {"nonlinearity": "relu", "bias": False}),
    ("LSTM", (3, 6), {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
    ("LSTM", (3, 6), {"proj_size": 2, "bias": False, "batch_first": True, "dropout": 0.5,
                      "num_layers": 2}),
    ("GRU", (3, 4, 3), {"bidirectional": True}), ("RNNCell", (3, 4), {"nonlinearity": "relu"}),
    ("RNNCell", (3, 4), {"bias": False}), ("LSTMCell", (3, 4), {}),
    ("GRUCell", (3, 4), {"bias": False})])
def test_parameters_repr_and_state_dict(torch, cls, args, kwargs):
    tmod = getattr(torch.nn, cls)(*args, **kwargs)
    gmod = getattr(nn, cls)(*args, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in gmod.named_parameters()] == [
        (k, tuple(v.shape)) for k, v in tmod.named_parameters()]
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    assert repr(gmod) == repr(tmod)
    bound = 1 / math.sqrt(gmod.hidden_size)
    for p in gmod.parameters():
        assert p.dtype == gradcore.float32 and p.requires_grad
        a = _np(p)
        assert a.min() >= -bound and a.max() <= bound
    if hasattr(tmod, "all_weights"):
        assert [[tuple(p.shape) for p in ps] for ps in gmod.all_weights] == [
            [tuple(p.shape) for p in ps] for ps in tmod.all_weights]


def test_default_init_is_uniform():
    m = nn.LSTM(50, 100)
    a = _np(m.weight_hh_l0).ravel()
    bound = 0.1
    assert a.min() >= -bound and a.max() <= bound
    assert abs(a.mean()) < 0.01 and abs(a.std() - bound / math.sqrt(3)) < 0.003
    m2 = nn.GRU(4, 5, dtype=gradcore.float64)
    assert all(p.dtype == gradcore.float64 for p in m2.parameters())


def test_dropout_between_layers(torch, rng):
    # dropout=1 zeroes the input of layer 2 deterministically: compare with torch in training
    for dropout in (1.0, 0.0):
        gmod, tmod = _modules(torch, "LSTM", (3, 4), {"num_layers": 3, "dropout": dropout},
                              "float64", "cpu")
        gx, tx = _pair(torch, rng, (5, 2, 3), "float64", "cpu")
        gy, (gh, _) = gmod(gx)
        ty, (th, _) = tmod(tx)
        _close(gy, ty, "float64")
        _close(gh, th, "float64")
        gy.sum().backward()
        ty.sum().backward()
        _check_grads(gmod, tmod, [(gx, tx)], "float64")
    # p = 0.5: eval mode is deterministic; training mode draws masks (different outputs)
    gmod, tmod = _modules(torch, "GRU", (3, 4), {"num_layers": 2, "dropout": 0.5},
                          "float64", "cpu")
    gx, tx = _pair(torch, rng, (5, 2, 3), "float64", "cpu")
    gmod.eval()
    tmod.eval()
    _close(gmod(gx)[0], tmod(tx)[0], "float64")
    gmod.train()
    outs = [_np(gmod(gx)[0]) for _ in range(2)]
    assert not np.allclose(outs[0], outs[1])
    # the first layer has no dropout before it: its final state does not change
    h = [_np(gmod(gx)[1][0]) for _ in range(2)]
    np.testing.assert_array_equal(h[0], h[1])


def test_dropout_warning_and_constructor_errors(torch):
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)
    cases = [("RNN", (3, 4), {"nonlinearity": "x"}), ("GRU", (3, 4), {"proj_size": 2}),
             ("RNN", (3, 4), {"proj_size": 2}), ("LSTM", (3, 4), {"proj_size": 4}),
             ("LSTM", (3, 4), {"proj_size": -1}), ("LSTM", (3, 4), {"dropout": 1.5}),
             ("LSTM", (3, 4), {"dropout": True}), ("LSTM", (3, 4), {"bias": 1}),
             ("LSTM", (3, 4), {"batch_first": 0}), ("LSTM", (3.0, 4), {}),
             ("LSTM", (0, 4), {}), ("LSTM", (3, 0), {}), ("LSTM", (3, "4"), {}),
             ("GRU", (3, 4), {"num_layers": 0})]
    for cls, args, kwargs in cases:
        with pytest.raises(Exception) as te:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(torch.nn, cls)(*args, **kwargs)
        with pytest.raises(te.type) as ge:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(nn, cls)(*args, **kwargs)
        assert str(ge.value) == str(te.value), (cls, args, kwargs)


def _same_error(torch, gcall, tcall):
    with pytest.raises(Exception) as te:
        tcall()
    with pytest.raises(te.type) as ge:
        gcall()
    assert str(ge.value).replace("gradcore", "torch") == str(te.value)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_forward_errors(torch, cls):
    gmod, tmod = _modules(torch, cls, (4, 5), {"num_layers": 2}, "float32", "cpu")
    lstm = cls == "LSTM"

    def h(lib, *shape):
        z = lib.zeros(*shape)
        return (z, lib.zeros(*shape)) if lstm else z

    def both(make_args):
        _same_error(torch, lambda: gmod(*make_args(gradcore)), lambda: tmod(*make_args(torch)))
    both(lambda lib: (lib.zeros(6, 3, 7),))
    both(lambda lib: (lib.zeros(6, 3, 4, 1),))
    both(lambda lib: (lib.zeros(6, 3, 4, dtype=lib.float64),))
    both(lambda lib: (lib.zeros(6, 3, 4), h(lib, 2, 4, 5)))
    both(lambda lib: (lib.zeros(6, 3, 4), h(lib, 2, 3, 6)))
    both(lambda lib: (lib.zeros(6, 3, 4), h(lib, 3, 5)))
    both(lambda lib: (lib.zeros(6, 4), h(lib, 2, 1, 5)))
    if lstm:
        both(lambda lib: (lib.zeros(6, 3, 4), (lib.zeros(2, 3, 5), lib.zeros(2, 3, 4))))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_errors(torch, cls):
    gmod, tmod = _modules(torch, cls, (4, 5), {}, "float32", "cpu")
    lstm = cls == "LSTMCell"

    def h(lib, *shape):
        return (lib.zeros(*shape), lib.zeros(*shape)) if lstm else lib.zeros(*shape)

    def both(make_args):
        _same_error(torch, lambda: gmod(*make_args(gradcore)), lambda: tmod(*make_args(torch)))
    both(lambda lib: (lib.zeros(3, 7),))
    both(lambda lib: (lib.zeros(3, 4, 1),))
    both(lambda lib: (lib.zeros(3, 4), h(lib, 2, 5)))
    both(lambda lib: (lib.zeros(3, 4), h(lib, 3, 6)))
    both(lambda lib: (lib.zeros(3, 4), h(lib, 3, 5, 1)))


# ---- nn.utils.rnn ---------------------------------------------------------------------------

@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(torch, rng, batch_first, padding_side):
    shapes = [(3, 2), (5, 2), (1, 2)]
    made = [_pair(torch, rng, s, "float64", "cpu") for s in shapes]
    g = R.pad_sequence([a for a, _ in made], batch_first, -2.5, padding_side)
    t = torch.nn.utils.rnn.pad_sequence([b for _, b in made], batch_first, -2.5, padding_side)
    assert tuple(g.shape) == tuple(t.shape)
    _close(g, t, "float64")
    w = rng.standard_normal(tuple(t.shape))
    (g * gradcore.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    for a, b in made:
        _close(a.grad, b.grad, "float64")
    # a tensor is an iterable of its rows; a single sequence; integer data
    x = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(
        _np(R.pad_sequence(gradcore.tensor(x))),
        torch.nn.utils.rnn.pad_sequence(torch.tensor(x)).numpy())
    s = [np.arange(n) for n in (2, 4)]
    np.testing.assert_array_equal(
        _np(R.pad_sequence([gradcore.tensor(a) for a in s], batch_first, 7, padding_side)),
        torch.nn.utils.rnn.pad_sequence([torch.tensor(a) for a in s], batch_first, 7,
                                        padding_side).numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_roundtrip(torch, rng, batch_first, enforce_sorted):
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 6, 1, 4]
    shape = (4, 6, 3) if batch_first else (6, 4, 3)
    gx, tx = _pair(torch, rng, shape, "float64", "cpu")
    gp = R.pack_padded_sequence(gx, lengths, batch_first, enforce_sorted)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted)
    _close(gp.data, tp.data, "float64")
    assert gp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert gp.batch_sizes.dtype == gradcore.int64 and gp.batch_sizes.device.type == "cpu"
    if enforce_sorted:
        assert gp.sorted_indices is None and gp.unsorted_indices is None
    else:
        assert _np(gp.sorted_indices).tolist() == tp.sorted_indices.tolist()
    for total in (None, 8):
        g, gl = R.pad_packed_sequence(gp, batch_first, 1.5, total)
        t, tl = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first, 1.5, total)
        assert tuple(g.shape) == tuple(t.shape)
        _close(g, t, "float64")
        assert gl.tolist() == tl.tolist() and gl.dtype == gradcore.int64
    w = rng.standard_normal(tuple(t.shape))
    (g * gradcore.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    _close(gx.grad, tx.grad, "float64")
    gs = R.unpad_sequence(g, gl, batch_first)
    ts = torch.nn.utils.rnn.unpad_sequence(t.detach().clone(), tl, batch_first)
    assert [tuple(a.shape) for a in gs] == [tuple(b.shape) for b in ts]
    for a, b in zip(gs, ts):
        _close(a, b, "float64")


def test_pack_sequence_and_unpack(torch, rng):
    made = [_pair(torch, rng, (n, 2), "float64", "cpu") for n in (2, 5, 3)]
    gp = R.pack_sequence([a for a, _ in made], enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence([b for _, b in made], enforce_sorted=False)
    _close(gp.data, tp.data, "float64")
    assert gp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert _np(gp.unsorted_indices).tolist() == tp.unsorted_indices.tolist()
    (gp.data * gradcore.tensor(np.arange(20.).reshape(10, 2))).sum().backward()
    (tp.data * torch.tensor(np.arange(20.).reshape(10, 2))).sum().backward()
    for a, b in made:
        _close(a.grad, b.grad, "float64")
    for a, b in zip(R.unpack_sequence(gp), torch.nn.utils.rnn.unpack_sequence(tp)):
        _close(a, b, "float64")
    assert isinstance(gp, tuple) and gp._fields == tp._fields
    assert gp.double() is gp and gp.float().data.dtype == gradcore.float32
    assert not gp.is_cuda
    assert _np(R.invert_permutation(gradcore.tensor([2, 0, 1]))).tolist() == [1, 2, 0]
    assert R.invert_permutation(None) is None


def test_utils_errors(torch):
    T = torch.nn.utils.rnn

    def both(name, make_args, **kw):
        _same_error(torch, lambda: getattr(R, name)(*make_args(gradcore), **kw),
                    lambda: getattr(T, name)(*make_args(torch), **kw))
    both("pack_padded_sequence", lambda lib: (lib.zeros(4, 3, 2), [2, 3, 1]))
    both("pack_padded_sequence", lambda lib: (lib.zeros(4, 3, 2), [3, 2]))
    both("pack_padded_sequence", lambda lib: (lib.zeros(4, 3, 2), [3, 2, 0]))
    both("pack_padded_sequence", lambda lib: (lib.zeros(4, 3, 2), [[3, 2, 1]]))
    both("pad_sequence", lambda lib: ([],))
    both("pad_sequence", lambda lib: (3,))
    both("pad_sequence", lambda lib: ([lib.ones(2, 3), lib.ones(3, 4)],))
    both("pad_sequence", lambda lib: ([lib.ones(2)],), padding_side="x")
    both("pack_sequence", lambda lib: ([lib.ones(2), lib.ones(3)],))
    both("pad_packed_sequence",
         lambda lib: (lib.nn.utils.rnn.pack_padded_sequence(lib.zeros(4, 3), [3, 2, 1]),),
         total_length=2)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_a_zero_length_sequence_is_refused_as_torch(torch, cls):
    errors = []
    for lib in (gradcore, torch):
        with pytest.raises(RuntimeError) as e:
            getattr(lib.nn, cls)(3, 4)(lib.randn(0, 2, 3))
        errors.append(str(e.value))
    assert errors[0] == errors[1]
