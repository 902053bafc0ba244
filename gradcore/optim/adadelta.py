"""Adadelta with PyTorch's arithmetic: square_avg and acc_delta as moving averages (mul, then
addcmul), the step delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g."""
from .optimizer import (Optimizer, _check_flags, _check_nonnegative, _number, _step_tensor)
from . import array_ops
from .array_ops import sliced, update_grad, addcmul_, add_scaled_


def adadelta_step_(xp, p, g, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    """Adadelta on ``p``."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            adadelta_step_, xp, (p, g, square_avg, acc_delta),
            (lr, rho, eps, weight_decay, maximize)):
        return
    d, _ = update_grad(xp, p, g, weight_decay, maximize)
    std = xp.empty_like(square_avg)
    xp.multiply(square_avg, rho, out=square_avg)
    addcmul_(xp, square_avg, d, d, 1 - rho, std)
    xp.add(square_avg, eps, out=std)
    xp.sqrt(std, out=std)
    delta = xp.add(acc_delta, eps)
    xp.sqrt(delta, out=delta)
    xp.divide(delta, std, out=delta)
    xp.multiply(delta, d, out=delta)
    xp.multiply(acc_delta, rho, out=acc_delta)
    addcmul_(xp, acc_delta, delta, delta, 1 - rho, std)
    add_scaled_(xp, p, delta, -lr)


class Adadelta(Optimizer):
    """Adadelta(params, lr=1.0, rho=0.9, eps=1e-06, weight_decay=0, foreach=None, *, capturable=False,
    maximize=False, differentiable=False)

    Adadelta: ``v = rho * v + (1 - rho) * g**2``, ``delta = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho * u + (1 - rho) * delta**2`` and ``p -= lr * delta``.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the coefficient scaling delta (a float or a 1-element tensor). Default: 1.0.
        rho: the decay rate of the moving averages, in [0, 1]. Default: 0.9.
        eps: added inside the square roots for stability. Default: 1e-6.
        weight_decay: the L2 penalty added to the gradient. Default: 0.
        foreach: accepted for PyTorch's API (one fused update per parameter). Default: None.
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.
        maximize: ascend the objective instead of descending it. Default: False.
        differentiable: True is not supported (NotImplementedError). Default: False.

    State:
        step, square_avg (v), acc_delta (u): per parameter, made at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.Adadelta([w], lr=1.0)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.9968, 1.9968])
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        _check_flags(differentiable)
        super().__init__(params, defaults)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            self._zeros_state(p, state, "square_avg", "acc_delta")
        self._next_step(state)
        adadelta_step_(p._be.xp, p._arr, p.grad._arr, state["square_avg"]._arr,
                       state["acc_delta"]._arr, _number(group["lr"]), group["rho"],
                       group["eps"], group["weight_decay"], group["maximize"])
        state["square_avg"]._bump_version()
        state["acc_delta"]._bump_version()
