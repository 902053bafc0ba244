"""SparseAdam: PyTorch's constructor checks and its refusal of dense gradients (gradcore has
no sparse tensors, so a gradient is always dense: use Adam)."""
from .optimizer import Optimizer, _check_betas


class SparseAdam(Optimizer):
    """SparseAdam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, maximize=False)

    Adam masked to the elements a sparse gradient holds.  gradcore has no sparse tensors,
    so ``step()`` refuses every gradient, as PyTorch refuses dense ones (RuntimeError);
    the options are checked and kept as PyTorch's are.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (> 0). Default: 1e-3.
        betas: (beta1, beta2), the decay rates of m and v. Default: (0.9, 0.999).
        eps: added to the denominator for stability (> 0). Default: 1e-8.
        maximize: ascend the objective instead of descending it. Default: False.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.SparseAdam([w], lr=0.1)
        >>> opt.param_groups[0]['betas']
        (0.9, 0.999)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        from ..tensor import Tensor
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    def _update(self, p, group):
        raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam "
                           "instead")
