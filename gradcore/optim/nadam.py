"""NAdam (Adam with Nesterov momentum) and its decoupled-weight-decay form, with PyTorch's
arithmetic: the momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)),
its running product kept (as PyTorch keeps it) in a scalar tensor of the step's dtype."""
from .optimizer import (Optimizer, _check_betas, _check_flags, _check_nonnegative, _number,
                        _step_tensor)
from . import array_ops
from .array_ops import sliced, adam_moments_, addcdiv_


def nadam_step_(xp, p, g, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                decoupled, maximize, bias_correction2, grad_coef, avg_coef):
    """NAdam on ``p``: ``p += grad_coef * g / denom + avg_coef * m / denom``."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            nadam_step_, xp, (p, g, exp_avg, exp_avg_sq),
            (lr, beta1, beta2, eps, weight_decay, decoupled, maximize, bias_correction2,
             grad_coef, avg_coef)):
        return
    d, _, tmp = adam_moments_(xp, p, g, exp_avg, exp_avg_sq, lr, beta1, beta2,
                           weight_decay, decoupled, maximize)
    denom = xp.divide(exp_avg_sq, bias_correction2)
    xp.sqrt(denom, out=denom)
    xp.add(denom, eps, out=denom)
    addcdiv_(xp, p, d, denom, grad_coef, tmp)
    addcdiv_(xp, p, exp_avg, denom, avg_coef, tmp)


class NAdam(Optimizer):
    """NAdam(params, lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, momentum_decay=0.004,
    decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
    differentiable=False)

    NAdam: Adam's moments m and v, and a Nesterov step with the momentum schedule
    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``:
    ``p -= lr * ((1 - mu_t) / (1 - prod mu) * g + mu_{t+1} / (1 - prod mu * mu_{t+1}) * m)
    / (sqrt(v / (1 - beta2**t)) + eps)``.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 2e-3.
        betas: (beta1, beta2), the decay rates of m and v. Default: (0.9, 0.999).
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: the L2 penalty added to the gradient, or with decoupled_weight_decay
            p *= 1 - lr * weight_decay (NAdamW). Default: 0.
        momentum_decay: the momentum schedule's decay psi. Default: 4e-3.
        decoupled_weight_decay: NAdamW's weight decay. Default: False.
        foreach: accepted for PyTorch's API (one fused update per parameter). Default: None.
        maximize: ascend the objective instead of descending it. Default: False.
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.
        differentiable: True is not supported (NotImplementedError). Default: False.

    State:
        step, mu_product (scalar tensors), exp_avg (m), exp_avg_sq (v): per parameter, made
        at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.NAdam([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.8944, 1.8944])
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        _check_flags(differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for st in self.state.values():  # a number mu_product (older checkpoints): a tensor
            if isinstance(st, dict) and "mu_product" in st and not hasattr(st["mu_product"],
                                                                           "_arr"):
                st["mu_product"] = _step_tensor(st["mu_product"])

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["mu_product"] = _step_tensor(1.0)
            self._zeros_state(p, state, "exp_avg", "exp_avg_sq")
        step = self._next_step(state)
        lr = _number(group["lr"])
        beta1, beta2 = (_number(b) for b in group["betas"])
        momentum_decay = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        mu_product = state["mu_product"]
        mu_product._arr *= mu  # in the scalar tensor's own dtype, as PyTorch's ``*=``
        mu_product._bump_version()
        prod = float(mu_product.item())
        grad_coef = -lr * (1.0 - mu) / (1.0 - prod)
        avg_coef = (-lr * mu_next) / (1.0 - prod * mu_next)
        nadam_step_(p._be.xp, p._arr, p.grad._arr, state["exp_avg"]._arr,
                    state["exp_avg_sq"]._arr, lr, beta1, beta2, group["eps"],
                    group["weight_decay"], group["decoupled_weight_decay"], group["maximize"],
                    1 - beta2 ** step, grad_coef, avg_coef)
        state["exp_avg"]._bump_version()
        state["exp_avg_sq"]._bump_version()
