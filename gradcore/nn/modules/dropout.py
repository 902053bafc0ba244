"""Dropout layers: Dropout zeroes elements with probability p in training mode (scaling the rest
by 1/(1-p)); Dropout1d/2d/3d zero whole channels; AlphaDropout / FeatureAlphaDropout keep a
SELU network's mean and variance.  All are the identity in eval mode (ops/feature_dropout.py)."""
from ...ops.activation import dropout
from ...ops import feature_dropout as _FD
from ..module import Module


__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    """The dropouts' shared arguments (p, inplace) and repr, as PyTorch's _DropoutNd."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Dropout(p=0.5, inplace=False)

    In training mode, zeroes each element with probability ``p`` (a new Bernoulli draw per
    call) and scales the others by ``1 / (1 - p)``, so the expectation is unchanged; in eval
    mode it returns its input.

    Args:
        p: the probability of zeroing an element. Default: 0.5.
        inplace: write the result into the input instead of a new tensor. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Dropout(p=0.5)
        >>> sorted(set(m(torch.ones(1000)).tolist()))
        [0.0, 2.0]
        >>> m.eval()(torch.ones(3))
        tensor([1., 1., 1.])
    """

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Dropout1d(p=0.5, inplace=False): zero whole channels of (N, C, L) or (C, L) input
    with probability p in training mode, scaling the rest by 1 / (1 - p)."""

    def forward(self, input):
        return _FD.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Dropout2d(p=0.5, inplace=False): zero whole channels of (N, C, H, W) input with
    probability p in training mode (3-D input is taken as (N, C, L), with a warning)."""

    def forward(self, input):
        return _FD.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Dropout3d(p=0.5, inplace=False): zero whole channels of (N, C, D, H, W) or
    (C, D, H, W) input with probability p in training mode."""

    def forward(self, input):
        return _FD.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """AlphaDropout(p=0.5, inplace=False): alpha dropout (for SELU networks) in training
    mode; as PyTorch's, ``inplace`` is stored but the forward does not write in place."""

    def forward(self, input):
        return _FD.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """FeatureAlphaDropout(p=0.5, inplace=False): alpha dropout of whole channels in
    training mode (``inplace`` stored, not used, as PyTorch's)."""

    def forward(self, input):
        return _FD.feature_alpha_dropout(input, self.p, self.training)
