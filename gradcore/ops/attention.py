"""scaled_dot_product_attention and multi-head attention's functional form.

Both are compositions of existing ops (matmul / baddbmm / bmm, softmax, dropout, linear), in
the order PyTorch's math backend and ``nn.functional.multi_head_attention_forward`` run them,
so the graph, the gradients (double backward included) and the rounding follow PyTorch's.

* scaled_dot_product_attention: ``softmax(q k^T * scale + bias) v``; q and k are each scaled
  by sqrt(scale) before the product (PyTorch's math kernel).  A bool ``attn_mask`` keeps the
  positions where it is True (the others get -inf); a float one is added.  Rows whose every
  score is -inf come out 0 (PyTorch's ``_safe_softmax``), not nan.
* multi_head_attention_forward: masks in the MHA convention (bool True = do not attend), the
  in-projection (packed or separate weights), bias_k / bias_v, zero attention, and either the
  explicit weights path (need_weights) or scaled_dot_product_attention.
"""
import math
import warnings

from .._autocast import LOWER, autocast_op
from .. import _dtype
from ..tensor import _wrap
from . import factories, join, linalg
from .activation import dropout
from .contraction import baddbmm
from .normalization import linear
from .softmax import softmax


# ---- scaled_dot_product_attention ----------------------------------------------------------

def _cpp(dt):
    return _dtype.CPP_NAMES[dt.name]


def _bool_to_bias(mask, dtype):
    """A keep-where-True bool mask as an additive float bias (0 / -inf) of ``dtype``."""
    xp = mask._be.xp
    arr = xp.where(mask._arr, 0.0, -math.inf).astype(dtype.np, copy=False)
    return _wrap(arr, mask._be)


def _causal_bias(L, S, like):
    """The additive bias of ``ones(L, S).tril()``: 0 on and below the diagonal, else -inf."""
    xp = like._be.xp
    keep = xp.tril(xp.ones((L, S), dtype=bool))
    return _wrap(xp.where(keep, 0.0, -math.inf).astype(like.dtype.np, copy=False), like._be)


def _safe_softmax(scores):
    """softmax over the last dim, 0 (not nan) on rows that are -inf throughout (PyTorch's
    ``_safe_softmax``); such rows are softmaxed as zeros and then zeroed, so that their
    gradient is 0, not nan."""
    dead = (scores._arr == -math.inf).all(axis=-1, keepdims=True)
    if not bool(dead.any()):
        return softmax(scores, -1)
    dead = _wrap(dead, scores._be)
    return softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


@autocast_op(cpu=LOWER, cuda=LOWER)
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
    is_causal=False, scale=None, enable_gqa=False) -> Tensor

    Attention: ``softmax(query @ key.transpose(-2, -1) * scale + bias, dim=-1) @ value``.
    query (N..., L, E), key (N..., S, E), value (N..., S, Ev) -> (N..., L, Ev); the leading
    dims broadcast.  ``scale`` defaults to 1 / sqrt(E).  ``attn_mask`` broadcasts to
    (N..., L, S): bool keeps the positions where it is True, a float mask (of query's dtype)
    is added to the scores.  ``is_causal`` masks out the positions above the diagonal of the
    (L, S) scores (no attn_mask then).  ``dropout_p`` drops attention weights (always, as
    PyTorch: pass 0 in evaluation).  ``enable_gqa``: key and value may have fewer heads
    (dim -3) than query, a divisor of its count; each is repeated to match.  A query row
    that may attend to nothing gives 0.
    """
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.dim()} key.dim: {key.dim()} and "
                           f"value.dim: {value.dim()} instead.")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_cpp(query.dtype)} key.dtype: {_cpp(key.dtype)} "
                           f"and value.dtype: {_cpp(value.dtype)} instead.")
    if attn_mask is not None and attn_mask.dtype not in (_dtype.bool, query.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_cpp(attn_mask.dtype)} and  "
                           f"query.dtype: {_cpp(query.dtype)} instead.")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    L, S = query.shape[-2], key.shape[-2]
    if is_causal:
        attn_mask = _causal_bias(L, S, query)
    elif attn_mask is not None and attn_mask.dtype is _dtype.bool:
        attn_mask = _bool_to_bias(attn_mask, query.dtype)
    if enable_gqa:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in ")
        if hk != hq:
            key = key.repeat_interleave(hq // hk, -3)
        if hv != hq:
            value = value.repeat_interleave(hq // hv, -3)
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    root = math.sqrt(abs(s))
    q = query * (-root if s < 0 else root)
    scores = linalg.matmul(q, key.transpose(-2, -1) * root)
    if attn_mask is not None:
        scores = scores + attn_mask
    # a causal mask leaves every row its first key; other masks may leave a row none
    weights = (softmax(scores, -1) if attn_mask is None or is_causal
               else _safe_softmax(scores))
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return linalg.matmul(weights, value)


# ---- multi_head_attention_forward ---------------------------------------------------------

def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """PyTorch's shape checks of multi_head_attention_forward; True for batched (3-D) input."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 1-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor "
                                     "instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A mask in the MHA convention (bool True = masked out) as a float additive mask of
    ``target_type`` (float masks pass through), with PyTorch's checks and warning."""
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype is not _dtype.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if is_float:
        return mask
    xp = mask._be.xp
    return _wrap(xp.where(mask._arr, -math.inf, 0.0).astype(target_type.np, copy=False),
                 mask._be)


def _none_or_dtype(t):
    return None if t is None else t.dtype


def _pad_last(mask):
    """F.pad(mask, (0, 1)): one more column of zeros (attend) at the end of the last dim."""
    zero = factories.zeros((*mask.shape[:-1], 1), dtype=mask.dtype, device=mask.device)
    return join.cat([mask, zero], -1)


def _in_projection_packed(q, k, v, w, b=None):
    E = q.shape[-1]
    if k is v:
        if q is k:
            proj = linear(q, w, b).unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2)
            proj = proj.squeeze(-2).contiguous()
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        kv = linear(k, w_kv, b_kv).unflatten(-1, (2, E)).unsqueeze(0).transpose(0, -2)
        kv = kv.squeeze(-2).contiguous()
        return linear(q, w_q, b_q), kv[0], kv[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    Eq, Ek, Ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, w, shape in (("query", w_q, (Eq, Eq)), ("key", w_k, (Eq, Ek)),
                           ("value", w_v, (Eq, Ev))):
        if tuple(w.shape) != shape:
            raise AssertionError(f"expecting {name} weights shape of {shape}, but got {w.shape}")
    for name, bb in (("query", b_q), ("key", b_k), ("value", b_v)):
        if bb is not None and tuple(bb.shape) != (Eq,):
            raise AssertionError(f"expecting {name} bias shape of {(Eq,)}, but got {bb.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
    in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
    out_proj_bias, training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
    use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None, v_proj_weight=None,
    static_k=None, static_v=None, average_attn_weights=True, is_causal=False) -> (Tensor, Tensor or
    None)

    Multi-head attention, sequence first: query (L, N, E) or (L, E), key (S, N, Ek),
    value (S, N, Ev).  Returns the output (L, N, E) and, when ``need_weights``, the attention
    weights (N, L, S), averaged over the heads unless ``average_attn_weights=False``
    (then (N, num_heads, L, S)); else None.  Masks: ``key_padding_mask`` (N, S) and
    ``attn_mask`` (L, S) or (N * num_heads, L, S), bool (True = not attended) or float
    (added).  ``is_causal`` is a hint that attn_mask is the causal mask (which is required).
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = join.cat([k, bias_k.repeat(1, bsz, 1)])
        v = join.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz * num_heads, head_dim)

    if add_zero_attn:
        shape = (bsz * num_heads, 1, head_dim)
        k = join.cat([k, factories.zeros(shape, dtype=k.dtype, device=k.device)], 1)
        v = join.cat([v, factories.zeros(shape, dtype=v.dtype, device=v.device)], 1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = (key_padding_mask.view(bsz, 1, 1, src_len)
                            .expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len))
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        E = q.shape[-1]
        q_scaled = q * math.sqrt(1.0 / float(E))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            weights = baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            weights = linalg.bmm(q_scaled, k.transpose(-2, -1))
        weights = softmax(weights, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = linalg.bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    if not is_batched:
        out = out.squeeze(1)
    return out, None


def _heads(t, static, name, bh, head_dim):
    """(S, N, E) -> (N * heads, S, head_dim), or the given static (N * heads, S, head_dim)."""
    if static is None:
        return t.view(t.shape[0], bh, head_dim).transpose(0, 1)
    if static.shape[0] != bh:
        raise AssertionError(f"expecting {name}.size(0) of {bh}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got "
                             f"{static.shape[2]}")
    return static


METHODS = {}
FUNCTIONS = {}
FUNCTIONAL = {  # nn.functional names
    "scaled_dot_product_attention": scaled_dot_product_attention,
    "multi_head_attention_forward": multi_head_attention_forward,
}
