"""Adamax (Adam with the infinity norm), with PyTorch's arithmetic: exp_avg by lerp,
exp_inf = max(beta2 * exp_inf, |g| + eps), and the step lr / (1 - beta1**t)."""
from .optimizer import (Optimizer, _check_betas, _check_flags, _check_nonnegative, _number,
                        _step_tensor)
from . import array_ops
from .array_ops import sliced, update_grad, lerp_, addcdiv_


def adamax_step_(xp, p, g, exp_avg, exp_inf, clr, beta1, beta2, eps, weight_decay,
                 maximize):
    """Adamax on ``p`` with the bias-corrected step size ``clr``."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            adamax_step_, xp, (p, g, exp_avg, exp_inf),
            (clr, beta1, beta2, eps, weight_decay, maximize)):
        return
    d, _ = update_grad(xp, p, g, weight_decay, maximize)
    tmp = xp.empty_like(exp_avg)
    lerp_(xp, exp_avg, d, 1 - beta1, tmp)
    xp.multiply(exp_inf, beta2, out=exp_inf)
    xp.abs(d, out=tmp)
    xp.add(tmp, eps, out=tmp)
    xp.maximum(exp_inf, tmp, out=exp_inf)
    addcdiv_(xp, p, exp_avg, exp_inf, -clr, tmp)


class Adamax(Optimizer):
    """Adamax(params, lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, foreach=None, *,
    maximize=False, differentiable=False, capturable=False)

    Adamax, Adam's variant on the infinity norm: ``m = lerp(m, g, 1 - beta1)``,
    ``u = max(beta2 * u, |g| + eps)`` and ``p -= lr / (1 - beta1**t) * m / u`` at step t.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 2e-3.
        betas: (beta1, beta2), the decay rates of m and of the infinity norm u.
            Default: (0.9, 0.999).
        eps: added to |g| for stability. Default: 1e-8.
        weight_decay: the L2 penalty added to the gradient. Default: 0.
        foreach: accepted for PyTorch's API (one fused update per parameter). Default: None.
        maximize: ascend the objective instead of descending it. Default: False.
        differentiable: True is not supported (NotImplementedError). Default: False.
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.

    State:
        step, exp_avg (m), exp_inf (u): per parameter, made at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.Adamax([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.9000, 1.9000])
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        _check_flags(differentiable)
        super().__init__(params, defaults)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            self._zeros_state(p, state, "exp_avg", "exp_inf")
        step = self._next_step(state)
        beta1, beta2 = (_number(b) for b in group["betas"])
        clr = _number(group["lr"]) / (1 - beta1 ** step)
        adamax_step_(p._be.xp, p._arr, p.grad._arr, state["exp_avg"]._arr,
                     state["exp_inf"]._arr, clr, beta1, beta2, group["eps"],
                     group["weight_decay"], group["maximize"])
        state["exp_avg"]._bump_version()
        state["exp_inf"]._bump_version()
