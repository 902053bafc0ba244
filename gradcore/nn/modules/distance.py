"""Similarity and distance modules: CosineSimilarity, PairwiseDistance (over
gradcore/ops/distance.py)."""
from .. import functional as F
from ..module import Module


__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """CosineSimilarity(dim=1, eps=1e-08)

    The cosine of the angle between x1 and x2 along ``dim``:
    ``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))``.

    Args:
        dim: the dim the vectors lie along. Default: 1.
        eps: the floor of each norm. Default: 1e-8.

    Shape:
        x1 (*, D, *), x2 broadcastable to it -> the broadcast shape without ``dim``.

    Example:
        >>> m = nn.CosineSimilarity(dim=1)
        >>> m(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    __constants__ = ["dim", "eps"]

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """PairwiseDistance(p=2.0, eps=1e-06, keepdim=False)

    The p-norm distance between rows: ``||x1 - x2 + eps||_p`` along the last dim.

    Args:
        p: the norm degree. Default: 2.0.
        eps: added to the difference, for stability. Default: 1e-6.
        keepdim: keep the last dim (of size 1). Default: False.

    Shape:
        x1 (N, D) or (D,), x2 broadcastable to it -> (N,) or () (with keepdim, (N, 1) / (1,)).

    Example:
        >>> m = nn.PairwiseDistance()
        >>> m(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
        tensor([5.0000])
    """
    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
