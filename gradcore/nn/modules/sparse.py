"""Embedding: a lookup table of ``num_embeddings`` vectors of size ``embedding_dim``."""
from ...autograd.grad_mode import no_grad
from ...ops import factories
from ...ops.normalization import embedding, _padding_index
from .. import init
from ..module import Module
from ..parameter import Parameter


__all__ = ["Embedding"]

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
        sparse: sparse gradients; gradcore has none: True raises NotImplementedError at
            forward. Default: False.
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
