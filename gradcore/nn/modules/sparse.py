"""Embedding: a lookup table of ``num_embeddings`` vectors of size ``embedding_dim``;
EmbeddingBag: the sums, means or maxima of bags of its rows."""
from ...autograd.grad_mode import no_grad
from ...ops import factories
from ...ops.distance import embedding_bag
from ...ops.normalization import embedding, _padding_index
from .. import init
from ..module import Module
from ..parameter import Parameter


__all__ = ["Embedding", "EmbeddingBag"]

class Embedding(Module):
    """Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None,
    dtype=None)

    A lookup table: each integer index in the input picks a row of ``weight``,
    ``y[..., :] = weight[x[...]]``.

    Args:
        num_embeddings: the number of rows (the indices are in [0, num_embeddings)).
        embedding_dim: the size of each row.
        padding_idx: a row that starts at zero and gets no gradient (may be negative).
            Default: None.
        max_norm: rows looked up with a larger ``norm_type`` norm are renormalized to it, in
            place in ``weight``, at each forward. Default: None.
        norm_type: the p of the p-norm for ``max_norm``. Default: 2.0.
        scale_grad_by_freq: divide each row's gradient by its count in the batch. Default: False.
        sparse: weight's gradient is a sparse COO tensor (the looked-up rows; use
            optim.SGD, Adagrad or SparseAdam). Default: False.
        _weight: a (num_embeddings, embedding_dim) tensor to use as ``weight`` (not
            initialised, padding row not zeroed). Default: None.
        _freeze: make ``weight`` with requires_grad=False. Default: False.
        device: the device of the weight. Default: the default device.
        dtype: the dtype of the weight. Default: the default dtype.

    Shape:
        (*) integer (int64 or int32) -> (*, embedding_dim).

    Attributes:
        weight: (num_embeddings, embedding_dim), N(0, 1), the ``padding_idx`` row zero.

    Example:
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(torch.tensor([[1, 2, 4], [4, 3, 0]])).shape
        gradcore.Size([2, 3, 3])
        >>> emb.weight[0].tolist()
        [0.0, 0.0, 0.0]
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            self.weight = Parameter(factories.empty((num_embeddings, embedding_dim),
                                                    device=device, dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self):
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is the 2-D tensor ``embeddings`` (shared, not copied),
        frozen (requires_grad=False) unless ``freeze=False``."""
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(Embedding):
    """EmbeddingBag(num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, mode='mean', sparse=False, _weight=None,
    include_last_offset=False, padding_idx=None, device=None, dtype=None)

    The sum, mean or max of bags of embedding rows, per bag: ``y[b] = reduce_{k in bag b}
    weight[x[k]]`` (times per_sample_weights[k] for 'sum').

    Args:
        num_embeddings: the number of rows.
        embedding_dim: the size of each row.
        max_norm: looked-up rows with a larger norm are renormalized to it, in place.
            Default: None.
        norm_type: the p of the p-norm for ``max_norm``. Default: 2.0.
        scale_grad_by_freq: divide each row's gradient by its count in the batch.
            Default: False.
        mode: ``'sum'``, ``'mean'`` or ``'max'``. Default: ``'mean'``.
        sparse: sparse gradients: not built for EmbeddingBag, True raises
            NotImplementedError at forward. Default: False.
        _weight: a tensor to use as ``weight``. Default: None.
        include_last_offset: offsets has one more entry, the end of the last bag.
            Default: False.
        padding_idx: a row that starts at zero, gets no gradient and is left out of its bags
            (and of their counts for 'mean'). Default: None.
        device: the device of the weight. Default: the default device.
        dtype: the dtype of the weight. Default: the default dtype.

    Shape:
        input (B, N) (B bags of N indices) with offsets None, or (L,) with offsets (B,)
        (B + 1 with include_last_offset); per_sample_weights input's shape -> (B,
        embedding_dim).

    Attributes:
        weight: (num_embeddings, embedding_dim), N(0, 1), the ``padding_idx`` row zero.

    Example:
        >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag(torch.tensor([1, 2, 4, 5, 4, 3, 2, 9]), torch.tensor([0, 4])).shape
        gradcore.Size([2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        super().__init__(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
                         scale_grad_by_freq, sparse, _weight, False, device, dtype)
        self.mode = mode
        self.include_last_offset = include_last_offset

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An EmbeddingBag whose weight is the 2-D tensor ``embeddings`` (shared, not
        copied), frozen (requires_grad=False) unless ``freeze=False``."""
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings,
                  max_norm=max_norm, norm_type=norm_type,
                  scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
