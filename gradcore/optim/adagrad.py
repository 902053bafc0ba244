"""Adagrad with PyTorch's update; its state (step, sum) is made in the constructor, as
PyTorch's is, with ``sum`` starting at initial_accumulator_value."""
from ..sparse import CooArray, add_into, rows, sparse_mask
from ..tensor import Tensor
from .optimizer import (Optimizer, _check_flags, _check_nonnegative, _number, _step_tensor,
                        _to_scalar)
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
    learning rate clr = lr / (1 + (step - 1) * lr_decay).  A sparse gradient
    (``Embedding(sparse=True)``) updates only its (coalesced) rows and their ``sum``;
    weight_decay is refused with it, as in PyTorch.

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
        differentiable: run the update in Tensor ops under autograd (PyTorch's single-tensor
            update), so a loss after ``step()`` differentiates through it. Default: False.
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
    _sparse_grads = True

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

    def _step(self, p, group):
        """``p``'s state (made for a group added after construction), the step counted."""
        state = self.state[p]
        if "sum" not in state:
            self._init_state(p, group["initial_accumulator_value"])
        return state, self._next_step(state)

    def _differentiable_update(self, p, group):
        state, step = self._step(p, group)
        grad = p.grad if not group["maximize"] else -p.grad
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        clr = _to_scalar(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        state["sum"].addcmul_(grad, grad, value=1)
        std = state["sum"].sqrt() + group["eps"]
        if isinstance(clr, Tensor) and clr.requires_grad:  # PyTorch passes it as a Number
            # argument here, which takes a 0-dim tensor only when it does not require grad
            raise TypeError("addcdiv_(): argument 'value' must be Number, not Tensor")
        clr = _number(clr)
        p.addcdiv_(grad, std, value=-clr)

    def _update(self, p, group):
        if type(p._grad._arr) is CooArray:
            return self._sparse_update(p, group, p._grad._arr)
        state, step = self._step(p, group)
        clr = _number(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        adagrad_step_(p._be.xp, p._arr, p.grad._arr, state["sum"]._arr, clr, group["eps"],
                            group["weight_decay"], group["maximize"])
        state["sum"]._bump_version()

    def _sparse_update(self, p, group, grad):
        """PyTorch's sparse Adagrad: at the coalesced gradient's rows, ``sum += g^2`` and
        ``p -= clr * g / (sqrt(sum) + eps)``; weight_decay is refused."""
        state, step = self._step(p, group)
        if group["maximize"]:
            grad = rows(grad, -grad.values)
        if group["weight_decay"] != 0:
            raise RuntimeError("weight_decay option is not compatible with sparse gradients")
        clr = _number(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        grad = grad.coalesce()  # the update is non-linear: each row once
        g, total = grad.values, state["sum"]._arr
        add_into(total, rows(grad, g * g))
        std = grad.xp.sqrt(sparse_mask(total, grad)) + group["eps"]
        add_into(p._arr, rows(grad, g / std), -clr)
        state["sum"]._bump_version()
