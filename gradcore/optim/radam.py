"""RAdam (rectified Adam) and its decoupled-weight-decay form, with PyTorch's arithmetic:
the rectification is taken once the variance's length of the SMA rho_t exceeds 5, before
that the step is plain momentum SGD on the bias-corrected m."""
from .optimizer import (Optimizer, _check_betas, _check_flags, _check_nonnegative, _number,
                        _step_tensor)
from . import array_ops
from .array_ops import sliced, adam_moments_


def radam_step_(xp, p, g, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                decoupled, maximize, bias_correction1, bias_correction2, rect):
    """RAdam on ``p``; ``rect`` is the rectification term, None while rho_t <= 5."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            radam_step_, xp, (p, g, exp_avg, exp_avg_sq),
            (lr, beta1, beta2, eps, weight_decay, decoupled, maximize, bias_correction1,
             bias_correction2, rect)):
        return
    d, _, tmp = adam_moments_(xp, p, g, exp_avg, exp_avg_sq, lr, beta1, beta2,
                           weight_decay, decoupled, maximize)
    update = xp.divide(exp_avg, bias_correction1)
    xp.multiply(update, lr, out=update)
    if rect is not None:  # PyTorch's scalar / tensor: reciprocal, then the product
        xp.sqrt(exp_avg_sq, out=tmp)
        xp.add(tmp, eps, out=tmp)
        xp.reciprocal(tmp, out=tmp)
        xp.multiply(tmp, bias_correction2 ** 0.5, out=tmp)
        xp.multiply(update, tmp, out=update)
        xp.multiply(update, rect, out=update)
    xp.subtract(p, update, out=p)


class RAdam(Optimizer):
    """RAdam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0,
    decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
    differentiable=False)

    RAdam: Adam's moments m and v; with rho_inf = 2 / (1 - beta2) - 1 and
    ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``, the step is
    ``p -= lr * m_hat * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)`` when rho_t > 5 (r_t
    the rectification), else ``p -= lr * m_hat``.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 1e-3.
        betas: (beta1, beta2), the decay rates of m and v. Default: (0.9, 0.999).
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: the L2 penalty added to the gradient, or with decoupled_weight_decay
            p *= 1 - lr * weight_decay (RAdamW). Default: 0.
        decoupled_weight_decay: RAdamW's weight decay. Default: False.
        foreach: accepted for PyTorch's API (one fused update per parameter). Default: None.
        maximize: ascend the objective instead of descending it. Default: False.
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.
        differentiable: True is not supported (NotImplementedError). Default: False.

    State:
        step, exp_avg (m), exp_avg_sq (v): per parameter, made at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.RAdam([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.8000, 1.6000])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        _check_flags(differentiable)
        super().__init__(params, defaults)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            self._zeros_state(p, state, "exp_avg", "exp_avg_sq")
        step = self._next_step(state)
        beta1, beta2 = (_number(b) for b in group["betas"])
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        rect = None
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        radam_step_(p._be.xp, p._arr, p.grad._arr, state["exp_avg"]._arr,
                    state["exp_avg_sq"]._arr, _number(group["lr"]), beta1, beta2,
                    group["eps"], group["weight_decay"], group["decoupled_weight_decay"],
                    group["maximize"], bias_correction1, bias_correction2, rect)
        state["exp_avg"]._bump_version()
        state["exp_avg_sq"]._bump_version()
