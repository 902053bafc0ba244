"""Attention and transformers: MultiheadAttention, TransformerEncoder/DecoderLayer,
TransformerEncoder/Decoder, Transformer.

The layers are PyTorch's compositions (ops/attention.py's multi_head_attention_forward,
Linear, LayerNorm, Dropout), with its parameter names, state_dict keys and reprs.  PyTorch's
inference fast paths are not separate here: they give the composed path's numbers, with two
exceptions.  Kept: TransformerEncoder in evaluation without autograd, given a left-aligned
``src_key_padding_mask`` (PyTorch's nested-tensor path), returns zeros at the padded positions
(before its final norm).  Not kept: a TransformerEncoderLayer alone, in that mode, gives nan
for a batch element whose keys are all masked (PyTorch's fused kernel); gradcore gives the
composed path's finite values, which PyTorch itself gives with grad enabled.
"""
import copy
import warnings

from ...autograd.grad_mode import is_grad_enabled
from ...ops import factories, structure
from ...ops.attention import _canonical_mask, _none_or_dtype, multi_head_attention_forward
from ...tensor import _wrap
from .. import functional as F
from .. import init
from ..containers import ModuleList
from ..module import Module
from ..parameter import Parameter
from .activation import GELU, ReLU
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm


__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer",
           "TransformerEncoder", "TransformerDecoder", "Transformer"]


class NonDynamicallyQuantizableLinear(Linear):
    """NonDynamicallyQuantizableLinear(in_features, out_features, bias=True, device=None,
    dtype=None)

    A Linear under another name: MultiheadAttention's ``out_proj`` (PyTorch names it so that
    dynamic quantization leaves it alone).  Everything else is Linear's.
    """


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    return structure.triu(factories.full((sz, sz), float("-inf"), dtype=dtype, device=device),
                          diagonal=1)


def _get_seq_len(src, batch_first):
    if src.dim() == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """True when ``is_causal`` is, or (is_causal None) when ``mask`` is the causal mask."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.shape[-2]
        causal = _generate_square_subsequent_mask(sz, device=mask.device, dtype=mask.dtype)
        if tuple(mask.shape) == tuple(causal.shape):
            make_causal = bool((mask == causal).all())
        else:
            make_causal = False
    return make_causal


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _get_clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


class MultiheadAttention(Module):
    """MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
    add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None, dtype=None)

    Multi-head attention: ``concat(head_1, ..., head_h) W_o`` with
    ``head_i = softmax(Q W_i^Q (K W_i^K)^T / sqrt(head_dim) + mask) V W_i^V``.

    Args:
        embed_dim: the model's width E (split over the heads: head_dim = E // num_heads).
        num_heads: the number of parallel heads (a divisor of embed_dim).
        dropout: dropout on the attention weights (training only). Default: 0.0.
        bias: whether the in- and out-projections have biases. Default: True.
        add_bias_kv: learn one more key and value (bias_k, bias_v) appended to the sequence.
        add_zero_attn: append a zero key and value to the sequence.
        kdim, vdim: the feature sizes of key and value. Default: embed_dim.  When either
            differs, the projections are three weights (q/k/v_proj_weight) instead of the
            packed in_proj_weight.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E). Default: False.

    Shape:
        query (L, N, E), key (S, N, kdim), value (S, N, vdim) ((N, L, E) etc. with
        batch_first; (L, E) etc. unbatched); key_padding_mask (N, S) or (S,); attn_mask
        (L, S) or (N * num_heads, L, S).  Bool masks: True = not attended; float masks
        are added to the scores.  Output: (L, N, E) and weights (N, L, S) (averaged over
        heads, else (N, num_heads, L, S)), or None without need_weights.

    Attributes:
        in_proj_weight: (3 * E, E), xavier_uniform_ (or q_proj_weight (E, E),
            k_proj_weight (E, kdim), v_proj_weight (E, vdim)).
        in_proj_bias: (3 * E,), zeros.  out_proj: Linear(E, E), bias zeros.
        bias_k, bias_v: (1, 1, E), xavier_normal_, with add_bias_kv.

    Example:
        >>> mha = nn.MultiheadAttention(16, 4)
        >>> x = torch.randn(5, 2, 16)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (gradcore.Size([5, 2, 16]), gradcore.Size([2, 5, 5]))
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        fk = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(factories.empty((embed_dim, embed_dim), **fk))
            self.k_proj_weight = Parameter(factories.empty((embed_dim, self.kdim), **fk))
            self.v_proj_weight = Parameter(factories.empty((embed_dim, self.vdim), **fk))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(factories.empty((3 * embed_dim, embed_dim), **fk))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(factories.empty(3 * embed_dim, **fk))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **fk)
        if add_bias_kv:
            self.bias_k = Parameter(factories.empty((1, 1, embed_dim), **fk))
            self.bias_v = Parameter(factories.empty((1, 1, embed_dim), **fk))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
        average_attn_weights=True, is_causal=False) -> (Tensor, Tensor or None)

        The attention output and (need_weights) the attention weights; see the class."""
        is_batched = query.dim() == 3
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                           _none_or_dtype(attn_mask), "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if self.batch_first and is_batched:
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = {}
        if not self._qkv_same_embed_dim:
            separate = dict(use_separate_proj_weight=True, q_proj_weight=self.q_proj_weight,
                            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight)
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            average_attn_weights=average_attn_weights, is_causal=is_causal, **separate)
        if self.batch_first and is_batched:
            return out.transpose(1, 0), weights
        return out, weights

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """merge_masks(attn_mask, key_padding_mask, query) -> (Tensor or None, int or None)

        attn_mask and key_padding_mask (float) merged into one (N, num_heads, L, L) mask, and
        its type: 1 key padding only, 2 with attn_mask, None without masks."""
        mask_type, merged = None, None
        if key_padding_mask is not None:
            mask_type, merged = 1, key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.dim() == 3:
                expanded = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                expanded = attn_mask.view(1, 1, seq_len, seq_len).expand(
                    batch_size, self.num_heads, -1, -1)
            merged = expanded
            if key_padding_mask is not None:
                merged = expanded + key_padding_mask.view(batch_size, 1, 1, seq_len).expand(
                    -1, self.num_heads, -1, -1)
        return merged, mask_type


_LAYER_ARGS = """        d_model: the number of expected features in the input.
        nhead: the number of attention heads.
        dim_feedforward: the width of the feedforward network. Default: 2048.
        dropout: the dropout value. Default: 0.1.
        activation: "relu", "gelu" or a unary callable. Default: relu.
        layer_norm_eps: the eps of the layer norms. Default: 1e-5.
        batch_first: inputs and outputs are (batch, seq, feature). Default: False.
        norm_first: layer norm before (True) or after (False) each block. Default: False.
        bias: whether the Linear and LayerNorm layers learn biases. Default: True."""


class TransformerEncoderLayer(Module):
    __doc__ = f"""TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation=relu, layer_norm_eps=1e-05, batch_first=False, norm_first=False, bias=True,
    device=None, dtype=None)

    A self-attention block then a feedforward block, each with a residual connection and a
    LayerNorm (after the sum, or before the block with norm_first).

    Args:
{_LAYER_ARGS}

    Shape:
        src (S, N, E) ((N, S, E) with batch_first; (S, E) unbatched) -> the same shape;
        src_mask (S, S) or (N * nhead, S, S); src_key_padding_mask (N, S).

    Example:
        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> layer(torch.randn(10, 2, 16)).shape
        gradcore.Size([10, 2, 16])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        fk = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **fk)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **fk)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **fk)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False) -> Tensor

        The layer on ``src``; ``is_causal`` hints that src_mask is the causal mask."""
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(src_mask), "src_mask", src.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    __doc__ = f"""TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation=relu, layer_norm_eps=1e-05, batch_first=False, norm_first=False, bias=True,
    device=None, dtype=None)

    Self-attention, then attention over the encoder's output (memory), then a feedforward
    block; each with a residual connection and a LayerNorm (post- or pre-norm).

    Args:
{_LAYER_ARGS}

    Shape:
        tgt (T, N, E), memory (S, N, E) ((N, T, E), (N, S, E) with batch_first) -> (T, N, E);
        tgt_mask (T, T), memory_mask (T, S), tgt_key_padding_mask (N, T),
        memory_key_padding_mask (N, S).

    Example:
        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> layer(torch.randn(7, 2, 16), torch.randn(10, 2, 16)).shape
        gradcore.Size([7, 2, 16])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        fk = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias, **fk)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias, **fk)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **fk)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **fk)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = (_get_activation_fn(activation) if isinstance(activation, str)
                           else activation)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False) -> Tensor

        The layer on ``tgt`` attending to ``memory``."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _why_no_nested(layer):
    """Why PyTorch's TransformerEncoder would not use its nested-tensor path ('' if it would)."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not layer.self_attn.batch_first:
        return (f"{name}.self_attn.batch_first was not True(use batch_first for better "
                "inference performance)")
    if not layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


class TransformerEncoder(Module):
    """TransformerEncoder(encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
    mask_check=True)

    A stack of ``num_layers`` copies of ``encoder_layer`` (deep copies: independent
    parameters), then ``norm`` when given.

    Args:
        encoder_layer: a TransformerEncoderLayer (or any module with its forward signature).
        num_layers: the number of layers.
        norm: an optional final layer norm.
        enable_nested_tensor: PyTorch's padded-sequence inference path; here it means that in
            evaluation without autograd, with a left-aligned src_key_padding_mask, the padded
            positions come out 0 before ``norm`` (as PyTorch's nested tensors).  It warns
            (as PyTorch) when the layer does not qualify.
        mask_check: check that src_key_padding_mask is left aligned before that path.

    Shape:
        src as the layer's: (S, N, E), or (N, S, E) with batch_first.

    Example:
        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        >>> enc(torch.randn(10, 2, 16)).shape
        gradcore.Size([10, 2, 16])
    """

    __constants__ = ["norm"]

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why = _why_no_nested(encoder_layer)
        if enable_nested_tensor and why:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False "
                          f"because {why}", stacklevel=2)
            self.use_nested_tensor = False

    def _nested(self, src, mask, kpm):
        """Whether PyTorch would run this call through nested tensors."""
        first = self.layers[0]
        if not self.use_nested_tensor or first.training or src.dim() != 3 or kpm is None:
            return False
        if mask is not None:
            return False
        if self.mask_check:
            keep = kpm._arr == 0  # the float mask is 0 where kept, -inf where padded
            if not bool((keep[:, 1:] <= keep[:, :-1]).all()):
                return False
        if is_grad_enabled():
            sa = first.self_attn
            args = (src, sa.in_proj_weight, sa.in_proj_bias, sa.out_proj.weight,
                    sa.out_proj.bias, first.norm1.weight, first.norm1.bias, first.norm2.weight,
                    first.norm2.bias, first.linear1.weight, first.linear1.bias,
                    first.linear2.weight, first.linear2.bias)
            if any(a is not None and a.requires_grad for a in args):
                return False
        return True

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """forward(src, mask=None, src_key_padding_mask=None, is_causal=None) -> Tensor

        The layers in turn on ``src``, then ``norm``; ``is_causal=None`` detects whether
        ``mask`` is the causal mask."""
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(mask), "mask", src.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        nested = self._nested(src, mask, src_key_padding_mask)
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal_mask(mask, is_causal, _get_seq_len(src, batch_first))
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal,
                         src_key_padding_mask=src_key_padding_mask)
        if nested:
            padded = _wrap(src_key_padding_mask._arr != 0, src._be).unsqueeze(-1)
            output = output.masked_fill(padded, 0.0)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """TransformerDecoder(decoder_layer, num_layers, norm=None)

    A stack of ``num_layers`` copies of ``decoder_layer`` (independent parameters), each
    attending to the same ``memory``, then ``norm`` when given.

    Args:
        decoder_layer: a TransformerDecoderLayer.
        num_layers: the number of layers.
        norm: an optional final layer norm.

    Shape:
        tgt (T, N, E), memory (S, N, E) ((N, T, E), (N, S, E) with batch_first) -> (T, N, E).

    Example:
        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> dec = nn.TransformerDecoder(layer, num_layers=2)
        >>> dec(torch.randn(7, 2, 16), torch.randn(10, 2, 16)).shape
        gradcore.Size([7, 2, 16])
    """

    __constants__ = ["norm"]

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False) -> Tensor

        The layers in turn on ``tgt`` (each attending to ``memory``), then ``norm``."""
        output = tgt
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """Transformer(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
    dim_feedforward=2048, dropout=0.1, activation=relu, custom_encoder=None, custom_decoder=None,
    layer_norm_eps=1e-05, batch_first=False, norm_first=False, bias=True, device=None, dtype=None)

    The encoder-decoder transformer of "Attention Is All You Need": a TransformerEncoder
    and a TransformerDecoder, each with a final LayerNorm; every parameter of two or more
    dims is re-initialised with xavier_uniform_.

    Args:
        d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
            norm_first, bias: as TransformerEncoderLayer's.
        num_encoder_layers, num_decoder_layers: the depths. Default: 6 each.
        custom_encoder, custom_decoder: modules used instead of the built ones.

    Shape:
        src (S, N, E), tgt (T, N, E) ((N, S, E), (N, T, E) with batch_first) -> (T, N, E).

    Example:
        >>> model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1,
        ...                        num_decoder_layers=1, dim_feedforward=32)
        >>> model(torch.randn(10, 2, 16), torch.randn(7, 2, 16)).shape
        gradcore.Size([7, 2, 16])
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        fk = {"device": device, "dtype": dtype}
        super().__init__()
        args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*args, **fk), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*args, **fk), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk))
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        """forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
        src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
        src_is_causal=None, tgt_is_causal=None, memory_is_causal=False) -> Tensor

        The encoder on ``src``, then the decoder on ``tgt`` attending to its output."""
        is_batched = src.dim() == 3
        if is_batched and src.shape[0 if self.batch_first else 1] != \
                tgt.shape[0 if self.batch_first else 1]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """generate_square_subsequent_mask(sz, device=None, dtype=None) -> Tensor

        The (sz, sz) causal mask: -inf above the diagonal, 0 on and below it."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
