"""Loss modules: thin wrappers over the functional losses (gradcore/ops/loss.py), with
PyTorch's constructor arguments; class weights are buffers (in state_dict, moved by .to())."""
from .. import functional as F
from ...ops.loss import _legacy_reduction
from ..module import Module


__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"]

class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _legacy_reduction(reduction, size_average, reduce)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """L1Loss(size_average=None, reduce=None, reduction='mean')

    The mean absolute error: ``l_i = |x_i - y_i|``, then reduced (mean by default).

    Args:
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'`` (the loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*), target (*) the same shape -> () with 'mean' / 'sum', or (*) with 'none'.

    Example:
        >>> loss = nn.L1Loss()
        >>> loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]))
        tensor(1.5000)
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """MSELoss(size_average=None, reduce=None, reduction='mean')

    The mean squared error: ``l_i = (x_i - y_i)**2``, then reduced (mean by default).

    Args:
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'`` (the loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*), target (*) the same shape -> () with 'mean' / 'sum', or (*) with 'none'.

    Example:
        >>> loss = nn.MSELoss()
        >>> loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]))
        tensor(2.5000)
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """SmoothL1Loss(size_average=None, reduce=None, reduction='mean', beta=1.0)

    Squared error near zero, absolute error beyond ``beta`` (the Huber loss divided by beta):
    ``l_i = 0.5 * d**2 / beta if |d| < beta else |d| - 0.5 * beta``, d = x_i - y_i; reduced.

    Args:
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'`` (the loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        beta: where the loss turns from quadratic to linear (>= 0; 0 gives L1Loss). Default: 1.0.

    Shape:
        input (*), target (*) the same shape -> () with 'mean' / 'sum', or (*) with 'none'.

    Example:
        >>> loss = nn.SmoothL1Loss()
        >>> loss(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
        tensor(1.3125)
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class NLLLoss(_WeightedLoss):
    """NLLLoss(weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean')

    The negative log likelihood of class indices given log-probabilities (e.g. LogSoftmax's
    output): ``l_n = -weight[y_n] * x[n, y_n]``; 'mean' divides the sum by sum_n weight[y_n].

    Args:
        weight: a (C,) tensor of per-class weights (a buffer). Default: None (all ones).
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        ignore_index: a target value that adds no loss and no weight. Default: -100.
        reduction: ``'none'`` (the loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (N, C) or (C,) or (N, C, d1, ...), target (N,) or () or (N, d1, ...) int64 in
        [0, C) -> () with 'mean' / 'sum', or the target's shape with 'none'.

    Example:
        >>> loss = nn.NLLLoss()
        >>> loss(torch.tensor([[-0.5, -1.0], [-2.0, -0.1]]), torch.tensor([0, 1]))
        tensor(0.3000)
    """

    __constants__ = ["ignore_index", "reduction"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """CrossEntropyLoss(weight=None, size_average=None, ignore_index=-100, reduce=None,
    reduction='mean', label_smoothing=0.0)

    The cross entropy between softmax(input) over the class dim and the target: for class
    indices ``l_n = -weight[y_n] * log_softmax(x_n)[y_n]`` (LogSoftmax then NLLLoss); for class
    probabilities (a target shaped as the input) ``l_n = -sum_c weight[c] * y_nc *
    log_softmax(x_n)[c]``.

    Args:
        weight: a (C,) tensor of per-class weights (a buffer). Default: None (all ones).
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        ignore_index: a class-index target that adds no loss and no weight. Default: -100.
        reduction: ``'none'`` (the loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        label_smoothing: eps in [0, 1]: the target is mixed with the uniform one,
            (1 - eps) * target + eps / C. Default: 0.0.

    Shape:
        input (N, C) or (C,) or (N, C, d1, ...) logits; target int64 class indices (N,) or ()
        or (N, d1, ...), or float probabilities shaped as the input -> () with 'mean' /
        'sum', or (N,) / () / (N, d1, ...) with 'none'.

    Example:
        >>> loss = nn.CrossEntropyLoss()
        >>> loss(torch.zeros(3, 4), torch.tensor([0, 1, 3]))
        tensor(1.3863)
    """

    __constants__ = ["ignore_index", "reduction", "label_smoothing"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """BCELoss(weight=None, size_average=None, reduce=None, reduction='mean')

    The binary cross entropy of probabilities x in [0, 1] (e.g. Sigmoid's output) against
    targets y in [0, 1]: ``l_i = -w_i * (y_i * log(x_i) + (1 - y_i) * log(1 - x_i))``, each
    log clamped at -100; reduced.

    Args:
        weight: a tensor broadcastable to the input, rescaling each element's loss (a
            buffer). Default: None.
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'`` (the loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*), target (*) the same shape -> () with 'mean' / 'sum', or (*) with 'none'.

    Example:
        >>> loss = nn.BCELoss()
        >>> loss(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0]))
        tensor(0.6931)
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """BCEWithLogitsLoss(weight=None, size_average=None, reduce=None, reduction='mean',
    pos_weight=None)

    Sigmoid then BCELoss in one, computed stably from the logits x:
    ``l_i = -w_i * (p * y_i * log(sigmoid(x_i)) + (1 - y_i) * log(1 - sigmoid(x_i)))``.

    Args:
        weight: a tensor broadcastable to the input, rescaling each element's loss (a
            buffer). Default: None.
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'`` (the loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        pos_weight: p, the weight of the positive term, broadcastable to the target (e.g. one
            per class along the last dim; a buffer). Default: None (1).

    Shape:
        input (*), target (*) the same shape -> () with 'mean' / 'sum', or (*) with 'none'.

    Example:
        >>> loss = nn.BCEWithLogitsLoss()
        >>> loss(torch.zeros(3), torch.tensor([1.0, 0.0, 1.0]))
        tensor(0.6931)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)
