"""Adagrad with PyTorch's update; its state (step, sum) is made in the constructor, as
PyTorch's is, with ``sum`` starting at initial_accumulator_value."""
from .optimizer import Optimizer, _check_flags, _check_nonnegative, _number, _step_tensor
from . import array_ops
from .array_ops import sliced, update_grad, addcdiv_


def adagrad_step_(xp, p, g, state_sum, clr, eps, weight_decay, maximize):
    """Adagrad on ``p`` with the step's decayed learning rate ``clr``."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            adagrad_step_, xp, (p, g, state_sum),
            (clr, eps, weight_decay, maximize)):
        return
    d, scratch = update_grad(xp, p, g, weight_decay, maximize)
    std = xp.multiply(d, d)
    xp.add(state_sum, std, out=state_sum)
    xp.sqrt(state_sum, out=std)
    xp.add(std, eps, out=std)
    addcdiv_(xp, p, d, std, -clr, scratch)


class Adagrad(Optimizer):
    """Adagrad(params, lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None)

    Adagrad: ``sum += g**2`` and ``p -= clr * g / (sqrt(sum) + eps)``, with the decayed
    learning rate clr = lr / (1 + (step - 1) * lr_decay).

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 1e-2.
        lr_decay: the learning rate decay. Default: 0.
        weight_decay: the L2 penalty added to the gradient. Default: 0.
        initial_accumulator_value: the starting value of ``sum``. Default: 0.
        eps: added to the denominator for stability. Default: 1e-10.
        foreach, fused: accepted for PyTorch's API; gradcore always runs one fused update
            per parameter (both True is a RuntimeError). Default: None.
        differentiable: True is not supported (NotImplementedError). Default: False.
        maximize: ascend the objective instead of descending it. Default: False.

    State:
        step and sum: per parameter, made in the constructor (as PyTorch's).

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.Adagrad([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.9000, 1.9000])
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        _check_flags(differentiable, fused, foreach)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch starts every group at the constructor's value
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, initial_accumulator_value):
        from ..ops.factories import full_like
        state = self.state[p]
        state["step"] = _step_tensor()
        state["sum"] = full_like(p, initial_accumulator_value)

    def _update(self, p, group):
        state = self.state[p]
        if "sum" not in state:  # a group added after construction
            self._init_state(p, group["initial_accumulator_value"])
        step = self._next_step(state)
        clr = _number(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        adagrad_step_(p._be.xp, p._arr, p.grad._arr, state["sum"]._arr, clr, group["eps"],
                            group["weight_decay"], group["maximize"])
        state["sum"]._bump_version()
