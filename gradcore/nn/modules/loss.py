"""Loss modules: thin wrappers over the functional losses (gradcore/ops/loss.py), with
PyTorch's constructor arguments; class weights are buffers (in state_dict, moved by .to())."""
from .. import functional as F
from ...ops.loss import _legacy_reduction
from ..module import Module
from .distance import PairwiseDistance


__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss", "HuberLoss", "SoftMarginLoss",
           "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MarginRankingLoss",
           "HingeEmbeddingLoss", "CosineEmbeddingLoss", "TripletMarginLoss", "PoissonNLLLoss",
           "GaussianNLLLoss", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss",
           "CTCLoss"]

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


class KLDivLoss(_Loss):
    """KLDivLoss(size_average=None, reduce=None, reduction='mean', log_target=False)

    The Kullback-Leibler divergence of log-probabilities x from the target y:
    ``l_i = y_i * (log(y_i) - x_i)`` (with log_target: ``exp(y_i) * (y_i - x_i)``), reduced.

    Args:
        size_average: deprecated (use reduction). Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'batchmean'`` (the sum over the batch size: the KL divergence),
            ``'sum'`` or ``'mean'`` (over every element; it warns). Default: ``'mean'``.
        log_target: the target is given as log-probabilities. Default: False.

    Shape:
        input (*), target (*) the same shape -> () or (*) with 'none'.

    Example:
        >>> loss = nn.KLDivLoss(reduction="batchmean")
        >>> loss(torch.tensor([[-0.5, -1.0]]), torch.tensor([[0.5, 0.5]])).shape
        gradcore.Size([])
    """
    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class HuberLoss(_Loss):
    """HuberLoss(reduction='mean', delta=1.0)

    Squared error near zero, linear beyond ``delta``: with d = x_i - y_i,
    ``l_i = 0.5 * d**2 if |d| < delta else delta * (|d| - 0.5 * delta)``; reduced.

    Args:
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        delta: where the loss turns from quadratic to linear (> 0). Default: 1.0.

    Shape:
        input (*), target (*) the same shape -> () or (*) with 'none'.

    Example:
        >>> loss = nn.HuberLoss()
        >>> loss(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 0.0]))
        tensor(1.3125)
    """
    __constants__ = ["reduction", "delta"]

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SoftMarginLoss(_Loss):
    """SoftMarginLoss(size_average=None, reduce=None, reduction='mean')

    The two-class logistic loss for targets of +1 / -1: ``l_i = log(1 + exp(-y_i * x_i))``;
    reduced.

    Args:
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*), target (*) the same shape -> () or (*) with 'none'.

    Example:
        >>> loss = nn.SoftMarginLoss()
        >>> loss(torch.zeros(2), torch.tensor([1.0, -1.0]))
        tensor(0.6931)
    """
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """MultiLabelSoftMarginLoss(weight=None, size_average=None, reduce=None, reduction='mean')

    One-versus-all logistic loss over C labels: ``l_n = -1/C * sum_c w_c * (y_nc *
    log(sigmoid(x_nc)) + (1 - y_nc) * log(sigmoid(-x_nc)))``; reduced over the samples.

    Args:
        weight: a (C,) tensor of per-class weights (a buffer). Default: None.
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (N, C), target (N, C) of 0 / 1 -> () or (N,) with 'none'.

    Example:
        >>> loss = nn.MultiLabelSoftMarginLoss()
        >>> loss(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """MultiMarginLoss(p=1, margin=1.0, weight=None, size_average=None, reduce=None,
    reduction='mean')

    The multi-class hinge loss: ``l_n = sum_{i != y_n} max(0, margin - x[n, y_n] + x[n, i])**p
    * weight[y_n] / C``; reduced.

    Args:
        p: 1 or 2. Default: 1.
        margin: the margin. Default: 1.0.
        weight: a (C,) tensor of per-class weights (a buffer). Default: None.
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (N, C) or (C,), target (N,) or () class indices -> () or (N,) with 'none'.

    Example:
        >>> loss = nn.MultiMarginLoss()
        >>> loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([3]))
        tensor(0.3250)
    """
    __constants__ = ["p", "margin", "reduction"]

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.dim()}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class _MarginLoss(_Loss):
    __constants__ = ["margin", "reduction"]
    fn = None

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class MarginRankingLoss(_MarginLoss):
    """MarginRankingLoss(margin=0.0, size_average=None, reduce=None, reduction='mean')

    A ranking loss for pairs: ``l_i = max(0, -y_i * (x1_i - x2_i) + margin)``, y = +1 when x1
    should rank higher, -1 otherwise; reduced.

    Args:
        margin: the margin. Default: 0.0.
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input1 (N,) or (), input2 and target the same -> () or (N,) with 'none'.

    Example:
        >>> loss = nn.MarginRankingLoss()
        >>> loss(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0]))
        tensor(0.5000)
    """

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """HingeEmbeddingLoss(margin=1.0, size_average=None, reduce=None, reduction='mean')

    For distances x and targets y of +1 / -1: ``l_i = x_i if y_i == 1 else max(0, margin -
    x_i)``; reduced.

    Args:
        margin: the margin. Default: 1.0.
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*), target (*) the same shape -> () or (*) with 'none'.

    Example:
        >>> loss = nn.HingeEmbeddingLoss()
        >>> loss(torch.tensor([0.3, 0.2]), torch.tensor([1.0, -1.0]))
        tensor(0.5500)
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """CosineEmbeddingLoss(margin=0.0, size_average=None, reduce=None, reduction='mean')

    For pairs of rows and targets of +1 / -1: ``l_n = 1 - cos(x1_n, x2_n)`` where y_n == 1,
    ``max(0, cos(x1_n, x2_n) - margin)`` where y_n == -1; reduced.

    Args:
        margin: the margin, in [-1, 1]. Default: 0.0.
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input1 (N, D) or (D,), input2 the same, target (N,) or () -> () or (N,) with 'none'.

    Example:
        >>> loss = nn.CosineEmbeddingLoss()
        >>> loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]), torch.tensor([1.0]))
        tensor(1.)
    """

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """TripletMarginLoss(margin=1.0, p=2.0, eps=1e-06, swap=False, size_average=None,
    reduce=None, reduction='mean')

    For triplets (anchor a, positive p, negative n): ``l_i = max(0, margin + d(a_i, p_i) -
    d(a_i, n_i))``, d the pairwise p-norm distance; reduced.

    Args:
        margin: the margin (> 0). Default: 1.0.
        p: the norm degree of the distance. Default: 2.0.
        eps: added to the differences, for stability. Default: 1e-6.
        swap: use min(d(a, n), d(p, n)) as the negative distance. Default: False.
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        anchor, positive, negative (N, D) or (D,) -> () or (N,) with 'none'.

    Example:
        >>> loss = nn.TripletMarginLoss()
        >>> loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.ones(1, 2)).shape
        gradcore.Size([])
    """
    __constants__ = ["margin", "p", "eps", "swap", "reduction"]

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """PoissonNLLLoss(log_input=True, full=False, size_average=None, eps=1e-08, reduce=None,
    reduction='mean')

    The negative log likelihood of a Poisson target: ``l_i = exp(x_i) - y_i * x_i`` for log
    rates (log_input), else ``x_i - y_i * log(x_i + eps)``; ``full`` adds the Stirling term.

    Args:
        log_input: the input is the log of the rate. Default: True.
        full: add the Stirling approximation term y log y - y + 0.5 log(2 pi y) (for y > 1).
            Default: False.
        size_average: deprecated (use reduction). Default: None.
        eps: keeps the log finite when log_input=False. Default: 1e-8.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*), target (*) the same shape -> () or (*) with 'none'.

    Example:
        >>> loss = nn.PoissonNLLLoss()
        >>> loss(torch.zeros(2), torch.tensor([1.0, 2.0]))
        tensor(1.)
    """
    __constants__ = ["log_input", "full", "eps", "reduction"]

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """GaussianNLLLoss(*, full=False, eps=1e-06, reduction='mean')

    The negative log likelihood of the target under N(input, var):
    ``l_i = 0.5 * (log(max(var_i, eps)) + (x_i - y_i)**2 / max(var_i, eps))`` (+ 0.5 log(2 pi)
    with ``full``); reduced.

    Args:
        full: add the constant 0.5 log(2 pi). Default: False.
        eps: the floor var is clamped to. Default: 1e-6.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (N, *), target the same, var the same or with one size-1 dim (or one dim fewer)
        -> () or (N, *) with 'none'.

    Example:
        >>> loss = nn.GaussianNLLLoss()
        >>> loss(torch.zeros(2), torch.zeros(2), torch.ones(2))
        tensor(0.)
    """
    __constants__ = ["full", "eps", "reduction"]

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """MultiLabelMarginLoss(size_average=None, reduce=None, reduction='mean')

    The multi-class multi-label hinge loss: ``l_n = sum_{j, i} max(0, 1 - (x[n, y[n, j]] -
    x[n, i])) / C`` over the target classes y[n, j] (those before the first -1) and the
    classes i that are not targets; reduced.

    Args:
        size_average: deprecated (use reduction); with ``reduce`` it maps to a reduction, as
            in PyTorch, with a warning. Default: None.
        reduce: deprecated (use reduction). Default: None.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        input (N, C) or (C,), target the same shape (int64, -1 ends each list) -> () or (N,)
        with 'none'.

    Example:
        >>> loss = nn.MultiLabelMarginLoss()
        >>> loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """TripletMarginWithDistanceLoss(*, distance_function=None, margin=1.0, swap=False,
    reduction='mean')

    For triplets (anchor a, positive p, negative n): ``l_i = max(0, margin + d(a_i, p_i) -
    d(a_i, n_i))`` for a distance function ``d``; reduced.

    Args:
        distance_function: a callable of two Tensors giving their distances (a Module is a
            submodule). Default: None, nn.PairwiseDistance().
        margin: the margin (> 0). Default: 1.0.
        swap: use min(d(a, n), d(p, n)) as the negative distance. Default: False.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        anchor, positive, negative (N, D) or (D,) (what ``d`` takes) -> () or (N,) with 'none'.

    Example:
        >>> loss = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1))
        >>> loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.ones(1, 2)).shape
        gradcore.Size([])
    """
    __constants__ = ["margin", "swap", "reduction"]

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(None, None, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater "
                             f"than 0, got {margin} instead")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap,
                                                   reduction=self.reduction)


class CTCLoss(_Loss):
    """CTCLoss(blank=0, reduction='mean', zero_infinity=False)

    The connectionist temporal classification loss (F.ctc_loss): the negative log likelihood
    of each target sequence summed over its alignments to the input's time steps.

    Args:
        blank: the blank label's index. Default: 0.
        reduction: ``'none'``, ``'mean'`` (each loss divided by its target length, then the
            batch mean) or ``'sum'``. Default: ``'mean'``.
        zero_infinity: zero the infinite losses (no alignment possible) and their gradients.
            Default: False.

    Shape:
        log_probs (T, N, C) or (T, C) log_softmax outputs, targets (N, S) or
        (sum(target_lengths),), input_lengths (N,), target_lengths (N,) (Tensors or tuples)
        -> () or (N,) with 'none'.

    Example:
        >>> loss = nn.CTCLoss()
        >>> lp = torch.zeros(2, 1, 3).log_softmax(2)
        >>> loss(lp, torch.tensor([[1]]), torch.tensor([2]), torch.tensor([1])).shape
        gradcore.Size([])
    """
    __constants__ = ["blank", "reduction"]

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)
