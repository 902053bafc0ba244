"""SparseAdam: Adam's moments and update at a sparse (COO) gradient's coalesced rows only,
as PyTorch's ``F.sparse_adam``; dense gradients are refused with PyTorch's error."""
import math

from ..sparse import CooArray, add_into, rows, sparse_mask
from .optimizer import Optimizer, _check_betas, _number


class SparseAdam(Optimizer):
    """SparseAdam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, maximize=False)

    Adam masked to the elements a sparse gradient holds (for ``Embedding(sparse=True)``):
    at the rows of the coalesced gradient g, ``m += (1 - beta1) (g - m)``, ``v += (1 -
    beta2) (g^2 - v)``, ``p -= lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)``;
    other rows, and their moments, are left as they are.  A dense gradient raises PyTorch's
    RuntimeError.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (> 0). Default: 1e-3.
        betas: (beta1, beta2), the decay rates of m and v. Default: (0.9, 0.999).
        eps: added to the denominator for stability (> 0). Default: 1e-8.
        maximize: ascend the objective instead of descending it. Default: False.

    State:
        step (an int), exp_avg and exp_avg_sq (dense, like the parameter): made at its
        first step.

    Example:
        >>> emb = nn.Embedding(10, 3, sparse=True)
        >>> opt = optim.SparseAdam(emb.parameters(), lr=0.1)
        >>> emb(torch.tensor([1, 2])).sum().backward(); opt.step()
    """
    _sparse_grads = True

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
        grad = p.grad._arr
        if type(grad) is not CooArray:
            raise RuntimeError("SparseAdam does not support dense gradients, please consider "
                               "Adam instead")
        state = self.state[p]
        if not state:
            from ..ops.factories import zeros_like
            state["step"] = 0
            state["exp_avg"], state["exp_avg_sq"] = zeros_like(p), zeros_like(p)
        state["step"] += 1
        step = state["step"]
        beta1, beta2 = group["betas"]
        if group["maximize"]:
            grad = rows(grad, -grad.values)
        grad = grad.coalesce()  # the update is non-linear: each row once
        g = grad.values
        if g.size == 0:
            return
        m, v = state["exp_avg"]._arr, state["exp_avg_sq"]._arr
        old_m = sparse_mask(m, grad)
        m_update = (g - old_m) * (1 - beta1)
        add_into(m, rows(grad, m_update))
        old_v = sparse_mask(v, grad)
        v_update = (g * g - old_v) * (1 - beta2)
        add_into(v, rows(grad, v_update))
        numer = m_update + old_m
        denom = grad.xp.sqrt(v_update + old_v) + group["eps"]
        step_size = _number(group["lr"]) * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        add_into(p._arr, rows(grad, -step_size * (numer / denom)))
        state["exp_avg"]._bump_version()
        state["exp_avg_sq"]._bump_version()
