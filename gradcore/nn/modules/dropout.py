"""Dropout: zeroes elements with probability p in training mode (scaling the rest by 1/(1-p));
the identity in eval mode."""
from ...ops.activation import dropout
from ..module import Module


__all__ = ["Dropout"]

class Dropout(Module):
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

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
