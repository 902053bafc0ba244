"""scaled_dot_product_attention, multi_head_attention_forward, MultiheadAttention and the
Transformer modules against PyTorch: the same weights (copied through state_dict) and inputs
give the same outputs, attention weights and gradients (inputs and parameters), in float32
and float64; masks, batch_first, norm_first, kdim/vdim; PyTorch's errors and warnings."""
import warnings

import numpy as np
import pytest

import gradcore
import gradcore.nn.functional as F
from gradcore import nn
from gradcore.autograd import gradcheck

RTOL = {"float32": 1e-5, "float64": 1e-10}


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "cpu") else t.detach().numpy()


def close(g, t, dt):
    """gradcore tensor ``g`` equals torch tensor ``t`` to the dtype's relative tolerance
    (absolute: that tolerance times the largest magnitude, for entries near 0)."""
    a, b = _np(g), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    rtol = RTOL[dt]
    fin = np.isfinite(b)
    np.testing.assert_array_equal(np.isfinite(a), fin)
    scale = max(1.0, float(np.abs(b[fin]).max())) if fin.any() else 1.0
    np.testing.assert_allclose(a[fin], b[fin], rtol=rtol, atol=rtol * scale)


def pair(torch, rng, shape, dt, grad=True):
    arr = rng.standard_normal(shape).astype(dt)
    return (gradcore.tensor(arr, requires_grad=grad), torch.tensor(arr, requires_grad=grad))


def copy_weights(gm, tm):
    """Load torch module ``tm``'s state into gradcore module ``gm`` (the keys must agree)."""
    sd = {k: gradcore.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    res = gm.load_state_dict(sd)
    assert list(gm.state_dict()) == list(tm.state_dict())
    return res


def check_param_grads(gm, tm, dt):
    gp, tp = dict(gm.named_parameters()), dict(tm.named_parameters())
    assert list(gp) == list(tp)
    for name, p in tp.items():
        assert (gp[name].grad is None) == (p.grad is None), name
        if p.grad is not None:
            close(gp[name].grad, p.grad, dt)


def backward_both(pairs, rng):
    """Backward the same random cotangents through both sides of each (gradcore, torch)
    output pair."""
    import torch as _torch
    gl = tl = 0
    for g_out, t_out in pairs:
        w = rng.standard_normal(tuple(t_out.shape)).astype(_np(g_out).dtype)
        gl = gl + (g_out * gradcore.tensor(w)).sum()
        tl = tl + (t_out * _torch.tensor(w)).sum()
    gl.backward()
    tl.backward()


DTYPES = ["float32", "float64"]


# ---- scaled_dot_product_attention ---------------------------------------------------------

SDPA_CASES = {
    "plain": dict(),
    "scale": dict(scale=0.37),
    "negative_scale": dict(scale=-0.5),
    "causal_square": dict(is_causal=True, L=5),
    "causal_rect": dict(is_causal=True),
    "bool_mask": dict(mask="bool"),
    "bool_mask_dead_row": dict(mask="bool_dead"),
    "float_mask": dict(mask="float"),
    "float_mask_4d": dict(mask="float4d"),
    "gqa": dict(gqa=True),
    "broadcast_batch": dict(kb=1),
    "three_dims": dict(three=True),
}


def _sdpa_inputs(torch, rng, dt, case):
    L, S, E, Ev = case.get("L", 4), 5, 8, 6
    if case.get("three"):
        q, k, v = (pair(torch, rng, (6, L, E), dt), pair(torch, rng, (6, S, E), dt),
                   pair(torch, rng, (6, S, Ev), dt))
    else:
        hq, hk = (6, 2) if case.get("gqa") else (3, 3)
        kb = case.get("kb", 2)
        q, k, v = (pair(torch, rng, (2, hq, L, E), dt), pair(torch, rng, (kb, hk, S, E), dt),
                   pair(torch, rng, (kb, hk, S, Ev), dt))
    mask = None
    kind = case.get("mask")
    if kind in ("bool", "bool_dead"):
        m = rng.random((L, S)) > 0.4
        m[:, 0] = True
        if kind == "bool_dead":
            m[1] = False
        mask = (gradcore.tensor(m), torch.tensor(m))
    elif kind == "float":
        mask = pair(torch, rng, (L, S), dt)
    elif kind == "float4d":
        mask = pair(torch, rng, (2, 1, L, S), dt)
    return q, k, v, mask


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_sdpa_matches_torch(torch, rng, dt, name):
    case = SDPA_CASES[name]
    q, k, v, mask = _sdpa_inputs(torch, rng, dt, case)
    kw = dict(is_causal=case.get("is_causal", False), scale=case.get("scale"),
              enable_gqa=case.get("gqa", False))
    go = F.scaled_dot_product_attention(q[0], k[0], v[0], None if mask is None else mask[0],
                                        **kw)
    to = torch.nn.functional.scaled_dot_product_attention(
        q[1], k[1], v[1], None if mask is None else mask[1], **kw)
    close(go, to, dt)
    assert go.dtype == getattr(gradcore, dt)
    backward_both([(go, to)], rng)
    for a, b in (q, k, v) + ((mask,) if mask is not None and mask[1].requires_grad else ()):
        close(a.grad, b.grad, dt)


def test_sdpa_fully_masked_row_is_zero(torch, rng):
    q, k, v, mask = _sdpa_inputs(torch, rng, "float64", {"mask": "bool_dead"})
    out = F.scaled_dot_product_attention(q[0], k[0], v[0], mask[0])
    assert (_np(out)[:, :, 1] == 0).all()
    out.sum().backward()
    assert np.isfinite(_np(q[0].grad)).all()


def test_sdpa_dropout(torch, rng):
    q, k, v, _ = _sdpa_inputs(torch, rng, "float32", {})
    out = F.scaled_dot_product_attention(q[0], k[0], v[0], dropout_p=1.0)
    assert (_np(out) == 0).all()
    gradcore.manual_seed(0)
    a = F.scaled_dot_product_attention(q[0], k[0], v[0], dropout_p=0.5)
    b = F.scaled_dot_product_attention(q[0], k[0], v[0])
    assert a.shape == b.shape and not np.allclose(_np(a), _np(b))


def test_sdpa_gradcheck(rng):
    def t(shape):
        return gradcore.tensor(rng.standard_normal(shape), requires_grad=True)
    q, k, v, m = t((2, 3, 4)), t((2, 5, 4)), t((2, 5, 3)), t((3, 5))
    assert gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m), (q, k, v, m))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                     (q, k, v))


def _errors(fn_g, fn_t):
    with pytest.raises(Exception) as te:
        fn_t()
    with pytest.raises(type(te.value)) as ge:
        fn_g()
    assert str(ge.value) == str(te.value).replace("torch.Size", "gradcore.Size")


@pytest.mark.parametrize("bad", ["dims", "dtype", "mask_dtype", "causal_and_mask", "dropout",
                                 "gqa"])
def test_sdpa_errors(torch, rng, bad):
    q, k, v, _ = _sdpa_inputs(torch, rng, "float32", {})
    m = (gradcore.ones(4, 5, dtype=gradcore.bool), torch.ones(4, 5, dtype=torch.bool))

    def call(lib, i):
        f = lib.nn.functional.scaled_dot_product_attention
        Q, K, V = q[i], k[i], v[i]
        if bad == "dims":
            return f(Q[0, 0, 0], K[0, 0, 0], V[0, 0, 0])
        if bad == "dtype":
            return f(Q, K.double(), V)
        if bad == "mask_dtype":
            return f(Q, K, V, attn_mask=m[i].long())
        if bad == "causal_and_mask":
            return f(Q, K, V, attn_mask=m[i], is_causal=True)
        if bad == "dropout":
            return f(Q, K, V, dropout_p=1.5)
        return f(Q, K[:, :2], V[:, :2], enable_gqa=True)
    _errors(lambda: call(gradcore, 0), lambda: call(torch, 1))


# ---- MultiheadAttention ---------------------------------------------------------------------

def _mha_pair(torch, dt, **kw):
    tm = torch.nn.MultiheadAttention(dtype=getattr(torch, dt), **kw)
    gm = nn.MultiheadAttention(dtype=getattr(gradcore, dt), **kw)
    with torch.no_grad():  # non-zero biases so that their gradients are exercised
        for name, p in tm.named_parameters():
            if "bias" in name and p.dim() == 1:
                p.uniform_(-0.5, 0.5)
    copy_weights(gm, tm)
    return gm, tm


MHA_CASES = {
    "self": dict(),
    "self_batch_first": dict(batch_first=True, self_attn=True),
    "cross": dict(S=6),
    "cross_batch_first": dict(S=6, batch_first=True),
    "kv_same": dict(S=6, kv_same=True),
    "kdim_vdim": dict(S=6, kdim=5, vdim=3),
    "kdim_vdim_batch_first": dict(S=6, kdim=5, vdim=3, batch_first=True),
    "no_bias": dict(bias=False),
    "bias_kv": dict(add_bias_kv=True, attn_mask="bool", kpm=True),
    "zero_attn": dict(add_zero_attn=True, attn_mask="float", kpm=True),
    "bias_kv_zero_attn": dict(add_bias_kv=True, add_zero_attn=True),
    "bool_attn_mask": dict(attn_mask="bool"),
    "float_attn_mask": dict(attn_mask="float"),
    "3d_attn_mask": dict(attn_mask="float3d"),
    "key_padding_mask": dict(kpm=True),
    "kpm_and_mask": dict(kpm=True, attn_mask="bool"),
    "float_kpm": dict(kpm="float", attn_mask="float"),
    "causal": dict(attn_mask="causal", is_causal=True),
    "causal_kpm": dict(attn_mask="causal", is_causal=True, kpm=True),
    "per_head_weights": dict(average=False),
    "unbatched": dict(unbatched=True, attn_mask="bool"),
    "unbatched_kpm": dict(unbatched=True, kpm=True),
}


def _mha_inputs(torch, rng, dt, case, E, N=3, L=5):
    S = case.get("S", L)
    bf = case.get("batch_first", False)

    def shape(T, D):
        if case.get("unbatched"):
            return (T, D)
        return (N, T, D) if bf else (T, N, D)
    q = pair(torch, rng, shape(L, E), dt)
    if case.get("self_attn") or (S == L and "kdim" not in case and not case.get("kv_same")
                                 and not case.get("unbatched")):
        k = v = q
    else:
        k = pair(torch, rng, shape(S, case.get("kdim", E)), dt)
        v = k if case.get("kv_same") else pair(torch, rng, shape(S, case.get("vdim", E)), dt)
    kw = {}
    am = case.get("attn_mask")
    if am == "bool":
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False
        kw["attn_mask"] = (gradcore.tensor(m), torch.tensor(m))
    elif am == "float":
        kw["attn_mask"] = pair(torch, rng, (L, S), dt, grad=False)
    elif am == "float3d":
        kw["attn_mask"] = pair(torch, rng, (N * 2, L, S), dt, grad=False)
    elif am == "causal":
        kw["attn_mask"] = (nn.Transformer.generate_square_subsequent_mask(L, dtype=getattr(
            gradcore, dt)), torch.nn.Transformer.generate_square_subsequent_mask(
                L, dtype=getattr(torch, dt)))
    if case.get("kpm"):
        kshape = (S,) if case.get("unbatched") else (N, S)
        m = rng.random(kshape) < 0.3
        m[..., 0] = False
        if case["kpm"] == "float":
            f = np.where(m, -np.inf, 0.0).astype(dt)
            kw["key_padding_mask"] = (gradcore.tensor(f), torch.tensor(f))
        else:
            kw["key_padding_mask"] = (gradcore.tensor(m), torch.tensor(m))
    return q, k, v, kw


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", list(MHA_CASES))
def test_mha_matches_torch(torch, rng, dt, name, need_weights):
    case = MHA_CASES[name]
    E = 8
    ctor = dict(embed_dim=E, num_heads=2, bias=case.get("bias", True),
                add_bias_kv=case.get("add_bias_kv", False),
                add_zero_attn=case.get("add_zero_attn", False), kdim=case.get("kdim"),
                vdim=case.get("vdim"), batch_first=case.get("batch_first", False))
    gm, tm = _mha_pair(torch, dt, **ctor)
    q, k, v, kw = _mha_inputs(torch, rng, dt, case, E)
    extra = dict(need_weights=need_weights, average_attn_weights=case.get("average", True),
                 is_causal=case.get("is_causal", False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        go, gw = gm(q[0], k[0], v[0], **{n: a[0] for n, a in kw.items()}, **extra)
        to, tw = tm(q[1], k[1], v[1], **{n: a[1] for n, a in kw.items()}, **extra)
    close(go, to, dt)
    if need_weights:
        close(gw, tw, dt)
    else:
        assert gw is None and tw is None
    backward_both([(go, to)] + ([(gw, tw)] if need_weights else []), rng)
    for a, b in {id(x[1]): x for x in (q, k, v)}.values():
        close(a.grad, b.grad, dt)
    check_param_grads(gm, tm, dt)


def test_mha_weights_gradient(torch, rng):
    gm, tm = _mha_pair(torch, "float64", embed_dim=8, num_heads=2)
    q, k, v, kw = _mha_inputs(torch, rng, "float64", {"S": 6, "kpm": True}, 8)
    go, gw = gm(q[0], k[0], v[0], key_padding_mask=kw["key_padding_mask"][0],
                average_attn_weights=False)
    to, tw = tm(q[1], k[1], v[1], key_padding_mask=kw["key_padding_mask"][1],
                average_attn_weights=False)
    close(gw, tw, "float64")
    backward_both([(gw, tw)], rng)
    for a, b in (q, k):
        close(a.grad, b.grad, "float64")
    check_param_grads(gm, tm, "float64")
    assert gm.out_proj.weight.grad is None and gm.in_proj_weight.grad is not None


def test_mha_functional_matches_torch(torch, rng):
    gm, tm = _mha_pair(torch, "float64", embed_dim=8, num_heads=2, add_bias_kv=True)
    q, k, v, _ = _mha_inputs(torch, rng, "float64", {"S": 6}, 8)

    def args(m, i, lib):
        return (q[i], k[i], v[i], 8, 2, m.in_proj_weight, m.in_proj_bias, m.bias_k, m.bias_v,
                False, 0.0, m.out_proj.weight, m.out_proj.bias)
    go, gw = F.multi_head_attention_forward(*args(gm, 0, gradcore))
    to, tw = torch.nn.functional.multi_head_attention_forward(*args(tm, 1, torch))
    close(go, to, "float64")
    close(gw, tw, "float64")


def test_mha_structure(torch):
    for kw in (dict(), dict(kdim=5, vdim=3, add_bias_kv=True), dict(bias=False)):
        tm = torch.nn.MultiheadAttention(8, 2, **kw)
        gm = nn.MultiheadAttention(8, 2, **kw)
        assert [(n, tuple(p.shape)) for n, p in gm.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
        assert list(gm.state_dict()) == list(tm.state_dict())
        assert repr(gm) == repr(tm).replace("torch", "gradcore")
        for a in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "batch_first",
                  "_qkv_same_embed_dim", "dropout", "add_zero_attn"):
            assert getattr(gm, a) == getattr(tm, a), a
        assert type(gm.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
        assert isinstance(gm.out_proj, nn.Linear)


def test_mha_init():
    gradcore.manual_seed(0)
    m = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = (6 / (64 + 192)) ** 0.5  # xavier_uniform_ of (192, 64)
    w = _np(m.in_proj_weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert (_np(m.in_proj_bias) == 0).all() and (_np(m.out_proj.bias) == 0).all()
    std = (2 / (1 + 64)) ** 0.5  # xavier_normal_ of (1, 1, 64): fan_in 1, fan_out 64
    assert 0.5 * std < _np(m.bias_k).std() < 1.5 * std


@pytest.mark.parametrize("bad", ["divisible", "nonpositive", "embed", "kv_shape", "mask_shape",
                                 "mask_3d_shape", "kpm_shape", "kpm_dtype", "causal_no_mask",
                                 "query_dims", "kdim_weights"])
def test_mha_errors(torch, rng, bad):
    def call(lib, i):
        g = lib is gradcore
        x = (gradcore if g else torch).randn
        if bad == "divisible":
            return lib.nn.MultiheadAttention(8, 3)
        if bad == "nonpositive":
            return lib.nn.MultiheadAttention(0, 3)
        m = lib.nn.MultiheadAttention(8, 2)
        bool_ = lib.bool
        if bad == "embed":
            return m(x(3, 4), x(3, 4), x(3, 4))
        if bad == "kv_shape":
            return m(x(5, 3, 8), x(4, 3, 8), x(3, 3, 8))
        if bad == "mask_shape":
            return m(x(5, 3, 8), x(4, 3, 8), x(4, 3, 8), attn_mask=lib.ones(5, 5, dtype=bool_))
        if bad == "mask_3d_shape":
            return m(x(5, 3, 8), x(4, 3, 8), x(4, 3, 8), attn_mask=lib.zeros(5, 5, 4))
        if bad == "kpm_shape":
            return m(x(5, 3, 8), x(4, 3, 8), x(4, 3, 8), key_padding_mask=lib.ones(3, 5,
                                                                                dtype=bool_))
        if bad == "kpm_dtype":
            return m(x(5, 3, 8), x(4, 3, 8), x(4, 3, 8),
                     key_padding_mask=lib.ones(3, 4, dtype=lib.int64))
        if bad == "causal_no_mask":
            return m(x(5, 3, 8), x(4, 3, 8), x(4, 3, 8), is_causal=True)
        if bad == "query_dims":
            return m(x(5, 3, 8, 1), x(4, 3, 8), x(4, 3, 8))
        return lib.nn.MultiheadAttention(8, 2, kdim=3)(x(5, 3, 8), x(4, 3, 8), x(4, 3, 8))
    _errors(lambda: call(gradcore, 0), lambda: call(torch, 1))


def test_mha_mismatched_mask_warning():
    m = nn.MultiheadAttention(8, 2)
    x = gradcore.randn(5, 3, 8)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                         "attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=gradcore.zeros(3, 5, dtype=gradcore.bool),
          attn_mask=gradcore.zeros(5, 5))


# ---- Transformer layers ---------------------------------------------------------------------

LAYER_CASES = {
    "post_norm": dict(),
    "pre_norm": dict(norm_first=True),
    "batch_first": dict(batch_first=True),
    "batch_first_pre_norm": dict(batch_first=True, norm_first=True),
    "gelu": dict(activation="gelu"),
    "callable": dict(activation="tanh"),
    "no_bias": dict(bias=False),
    "eps": dict(layer_norm_eps=1e-3),
    "masks": dict(masks=True),
    "causal": dict(causal=True),
    "unbatched": dict(unbatched=True),
    "eval_dropout": dict(eval=True),
}


def _layer_kwargs(torch, case, lib):
    kw = dict(dim_feedforward=16, dropout=0.1 if case.get("eval") else 0.0,
              batch_first=case.get("batch_first", False),
              norm_first=case.get("norm_first", False), bias=case.get("bias", True))
    if "layer_norm_eps" in case:
        kw["layer_norm_eps"] = case["layer_norm_eps"]
    act = case.get("activation")
    if act == "tanh":
        kw["activation"] = lib.tanh
    elif act:
        kw["activation"] = act
    return kw


def _seq(torch, rng, dt, case, T, N=3, E=8):
    if case.get("unbatched"):
        return pair(torch, rng, (T, E), dt)
    return pair(torch, rng, (N, T, E) if case.get("batch_first") else (T, N, E), dt)


def _masks(torch, rng, dt, T, N, prefix, causal=False):
    kw = {}
    if causal:
        kw[f"{prefix}mask"] = (nn.Transformer.generate_square_subsequent_mask(
            T, dtype=getattr(gradcore, dt)), torch.nn.Transformer.generate_square_subsequent_mask(
                T, dtype=getattr(torch, dt)))
        return kw
    m = rng.random((T, T)) < 0.3
    np.fill_diagonal(m, False)
    kw[f"{prefix}mask"] = (gradcore.tensor(m), torch.tensor(m))
    p = rng.random((N, T)) < 0.3
    p[:, 0] = False
    kw[f"{prefix}key_padding_mask"] = (gradcore.tensor(p), torch.tensor(p))
    return kw


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_encoder_layer_matches_torch(torch, rng, dt, name):
    case = LAYER_CASES[name]
    gkw, tkw = _layer_kwargs(torch, case, gradcore), _layer_kwargs(torch, case, torch)
    tm = torch.nn.TransformerEncoderLayer(8, 2, **tkw, dtype=getattr(torch, dt))
    gm = nn.TransformerEncoderLayer(8, 2, **gkw, dtype=getattr(gradcore, dt))
    with torch.no_grad():
        for p in tm.parameters():
            if p.dim() == 1:
                p.uniform_(-0.5, 0.5)
    copy_weights(gm, tm)
    assert repr(gm) == repr(tm)
    if case.get("eval"):
        gm.eval(), tm.eval()
    x = _seq(torch, rng, dt, case, 5)
    kw = {}
    if case.get("masks"):
        kw = _masks(torch, rng, dt, 5, 3, "src_")
    if case.get("causal"):
        kw = _masks(torch, rng, dt, 5, 3, "src_", causal=True)
        kw["is_causal"] = (True, True)
    go = gm(x[0], **{n: a[0] for n, a in kw.items()})
    to = tm(x[1], **{n: a[1] for n, a in kw.items()})
    close(go, to, dt)
    backward_both([(go, to)], rng)
    close(x[0].grad, x[1].grad, dt)
    check_param_grads(gm, tm, dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", ["post_norm", "pre_norm", "batch_first", "gelu", "masks",
                                  "causal", "unbatched", "no_bias"])
def test_decoder_layer_matches_torch(torch, rng, dt, name):
    case = LAYER_CASES[name]
    gkw, tkw = _layer_kwargs(torch, case, gradcore), _layer_kwargs(torch, case, torch)
    tm = torch.nn.TransformerDecoderLayer(8, 2, **tkw, dtype=getattr(torch, dt))
    gm = nn.TransformerDecoderLayer(8, 2, **gkw, dtype=getattr(gradcore, dt))
    with torch.no_grad():
        for p in tm.parameters():
            if p.dim() == 1:
                p.uniform_(-0.5, 0.5)
    copy_weights(gm, tm)
    assert repr(gm) == repr(tm)
    tgt, mem = _seq(torch, rng, dt, case, 4), _seq(torch, rng, dt, case, 6)
    kw = {}
    if case.get("masks"):
        kw = _masks(torch, rng, dt, 4, 3, "tgt_")
        m = rng.random((4, 6)) < 0.3
        m[:, 0] = False
        p = rng.random((3, 6)) < 0.3
        p[:, 0] = False
        kw["memory_mask"] = (gradcore.tensor(m), torch.tensor(m))
        kw["memory_key_padding_mask"] = (gradcore.tensor(p), torch.tensor(p))
    if case.get("causal"):
        kw = _masks(torch, rng, dt, 4, 3, "tgt_", causal=True)
        kw["tgt_is_causal"] = (True, True)
    go = gm(tgt[0], mem[0], **{n: a[0] for n, a in kw.items()})
    to = tm(tgt[1], mem[1], **{n: a[1] for n, a in kw.items()})
    close(go, to, dt)
    backward_both([(go, to)], rng)
    close(tgt[0].grad, tgt[1].grad, dt)
    close(mem[0].grad, mem[1].grad, dt)
    check_param_grads(gm, tm, dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_decoder_stacks_match_torch(torch, rng, dt, batch_first):
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=batch_first)
    tdt, gdt = getattr(torch, dt), getattr(gradcore, dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        te = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw, dtype=tdt),
                                         2, torch.nn.LayerNorm(8, dtype=tdt))
        ge = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw, dtype=gdt), 2,
                                   nn.LayerNorm(8, dtype=gdt))
    td = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, **kw, dtype=tdt), 2)
    gd = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, **kw, dtype=gdt), 2)
    copy_weights(ge, te)
    copy_weights(gd, td)
    assert repr(ge) == repr(te) and repr(gd) == repr(td)
    case = dict(batch_first=batch_first)
    src, tgt = _seq(torch, rng, dt, case, 6), _seq(torch, rng, dt, case, 4)
    smask = _masks(torch, rng, dt, 6, 3, "src_")
    tmask = _masks(torch, rng, dt, 4, 3, "", causal=True)["mask"]
    gm_ = ge(src[0], src_key_padding_mask=smask["src_key_padding_mask"][0])
    tm_ = te(src[1], src_key_padding_mask=smask["src_key_padding_mask"][1])
    close(gm_, tm_, dt)
    go = gd(tgt[0], gm_, tgt_mask=tmask[0])  # the causal mask detected (tgt_is_causal=None)
    to = td(tgt[1], tm_, tgt_mask=tmask[1])
    close(go, to, dt)
    backward_both([(go, to)], rng)
    close(src[0].grad, src[1].grad, dt)
    close(tgt[0].grad, tgt[1].grad, dt)
    check_param_grads(ge, te, dt)
    check_param_grads(gd, td, dt)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_encoder_nested_path_zeros_padding(torch, rng):
    """Evaluation without autograd, batch_first, a left-aligned padding mask: PyTorch's
    nested-tensor path leaves 0 at the padded positions (before the final norm)."""
    layer_t = torch.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True)
    layer_g = nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True)
    te = torch.nn.TransformerEncoder(layer_t, 2)
    ge = nn.TransformerEncoder(layer_g, 2)
    copy_weights(ge, te)
    te.eval(), ge.eval()
    x = rng.standard_normal((3, 6, 8)).astype("float32")
    lens = [6, 4, 2]
    pad = np.arange(6)[None] >= np.array(lens)[:, None]
    for left in (True, False):
        p = pad if left else pad[:, ::-1].copy()
        with torch.no_grad(), gradcore.no_grad():
            to = te(torch.tensor(x), src_key_padding_mask=torch.tensor(p))
            go = ge(gradcore.tensor(x), src_key_padding_mask=gradcore.tensor(p))
        close(go, to, "float32")
        assert ((_np(go)[p] == 0).all()) == left


def test_encoder_nested_tensor_warning():
    with pytest.warns(UserWarning, match=r"enable_nested_tensor is True, but "
                      r"self.use_nested_tensor is False because encoder_layer.norm_first was "
                      r"True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, norm_first=True), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1,
                              enable_nested_tensor=False)
    assert enc.use_nested_tensor and enc.enable_nested_tensor


@pytest.mark.parametrize("dt", DTYPES)
def test_transformer_matches_torch(torch, rng, dt):
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=16, dropout=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Transformer(**kw, dtype=getattr(torch, dt))
        gm = nn.Transformer(**kw, dtype=getattr(gradcore, dt))
    copy_weights(gm, tm)
    assert repr(gm) == repr(tm)
    src, tgt = pair(torch, rng, (6, 3, 8), dt), pair(torch, rng, (4, 3, 8), dt)
    gmask = gm.generate_square_subsequent_mask(4, dtype=getattr(gradcore, dt))
    tmask = tm.generate_square_subsequent_mask(4, dtype=getattr(torch, dt))
    close(gmask, tmask, dt)
    go = gm(src[0], tgt[0], tgt_mask=gmask)
    to = tm(src[1], tgt[1], tgt_mask=tmask)
    close(go, to, dt)
    backward_both([(go, to)], rng)
    close(src[0].grad, src[1].grad, dt)
    close(tgt[0].grad, tgt[1].grad, dt)
    check_param_grads(gm, tm, dt)


def test_transformer_init_and_mask(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.Transformer(16, 2, 1, 1, 32)
    for name, p in m.named_parameters():
        a = _np(p)
        if p.dim() > 1:
            bound = (6 / (p.shape[0] + p.shape[1])) ** 0.5
            assert np.abs(a).max() <= bound, name
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == gradcore.float32
    np.testing.assert_array_equal(_np(mask), torch.nn.Transformer.generate_square_subsequent_mask(
        4).numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=gradcore.float64).dtype == \
        gradcore.float64


@pytest.mark.parametrize("bad", ["batch", "features", "activation"])
def test_transformer_errors(torch, bad):
    def call(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if bad == "activation":
                return lib.nn.TransformerEncoderLayer(8, 2, activation="swish")
            m = lib.nn.Transformer(8, 2, 1, 1, 16)
        if bad == "batch":
            return m(lib.randn(5, 3, 8), lib.randn(4, 2, 8))
        return m(lib.randn(5, 3, 8), lib.randn(4, 3, 6))
    _errors(lambda: call(gradcore), lambda: call(torch))
