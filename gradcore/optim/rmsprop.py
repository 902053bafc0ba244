"""RMSprop with PyTorch's update (centered variant, momentum buffer, maximize, weight decay)."""
from .optimizer import (Optimizer, _arrays, _bump, _check_flags, _check_nonnegative, _number,
                        _step_tensor, _to_scalar)
from ..tensor import Tensor
from . import array_ops
from .array_ops import sliced, update_grad, lerp_, addcmul_, addcdiv_


def rmsprop_step_(xp, p, g, square_avg, grad_avg, momentum_buffer, lr, alpha, eps,
                  weight_decay, momentum, centered, maximize):
    """RMSprop on ``p``; grad_avg is used when ``centered``, momentum_buffer when
    ``momentum > 0`` (None otherwise)."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            rmsprop_step_, xp, (p, g, square_avg, grad_avg, momentum_buffer),
            (lr, alpha, eps, weight_decay, momentum, centered, maximize)):
        return
    d, scratch = update_grad(xp, p, g, weight_decay, maximize)
    avg = xp.empty_like(square_avg)
    xp.multiply(square_avg, alpha, out=square_avg)
    addcmul_(xp, square_avg, d, d, 1 - alpha, avg)
    if centered:
        lerp_(xp, grad_avg, d, 1 - alpha, avg)
        xp.multiply(grad_avg, grad_avg, out=avg)  # addcmul with value=-1, exactly
        xp.subtract(square_avg, avg, out=avg)
        xp.sqrt(avg, out=avg)
    else:
        xp.sqrt(square_avg, out=avg)
    xp.add(avg, eps, out=avg)
    if momentum > 0:
        xp.multiply(momentum_buffer, momentum, out=momentum_buffer)
        addcdiv_(xp, momentum_buffer, d, avg, 1, scratch)
        xp.multiply(momentum_buffer, -lr, out=avg)
        xp.add(p, avg, out=p)
    else:
        addcdiv_(xp, p, d, avg, -lr, scratch)


class RMSprop(Optimizer):
    """RMSprop(params, lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0, centered=False,
    capturable=False, foreach=None, maximize=False, differentiable=False)

    RMSprop: ``v = alpha * v + (1 - alpha) * g**2`` and ``p -= lr * g / (sqrt(v) + eps)``;
    centered subtracts the squared moving average of g from v first; momentum keeps
    buf = momentum * buf + g / (sqrt(v) + eps) and steps p -= lr * buf.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 1e-2.
        alpha: the smoothing constant of the moving average v. Default: 0.99.
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: the L2 penalty added to the gradient. Default: 0.
        momentum: the momentum factor. Default: 0.
        centered: normalize by an estimate of the gradient's variance. Default: False.
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.
        foreach: accepted for PyTorch's API (one fused update per parameter). Default: None.
        maximize: ascend the objective instead of descending it. Default: False.
        differentiable: run the update in Tensor ops under autograd (PyTorch's single-tensor
            update), so a loss after ``step()`` differentiates through it. Default: False.

    State:
        step, square_avg (v), momentum_buffer (with momentum), grad_avg (centered): per
        parameter, made at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.9000, 1.9000])
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                           alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        _check_flags(differentiable)
        super().__init__(params, defaults)

    def _state(self, p, group):
        """``p``'s state, its tensors made at its first step, the step counted."""
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            self._zeros_state(p, state, "square_avg")
        for name, needed in (("momentum_buffer", group["momentum"] > 0),
                             ("grad_avg", group["centered"])):
            if needed and name not in state:
                self._zeros_state(p, state, name)
        self._next_step(state)
        return state

    def _differentiable_update(self, p, group):
        state = self._state(p, group)
        alpha, momentum = group["alpha"], group["momentum"]
        lr = _to_scalar(group["lr"])
        grad = p.grad if not group["maximize"] else -p.grad
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add(group["eps"])
        if isinstance(lr, Tensor) and lr.requires_grad:  # PyTorch passes it as a Number
            # argument here, which takes a 0-dim tensor only when it does not require grad
            raise TypeError(f"{'add_' if momentum > 0 else 'addcdiv_'}(): argument "
                            f"'{'alpha' if momentum > 0 else 'value'}' must be Number, not "
                            "Tensor")
        lr = _number(lr)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf.mul_(momentum).addcdiv_(grad, avg)
            p.add_(buf, alpha=-lr)
        else:
            p.addcdiv_(grad, avg, value=-lr)

    def _update(self, p, group):
        momentum, centered = group["momentum"], group["centered"]
        state = self._state(p, group)
        bufs = [state["square_avg"], state["grad_avg"] if centered else None,
                state["momentum_buffer"] if momentum > 0 else None]
        rmsprop_step_(p._be.xp, p._arr, p.grad._arr, *_arrays(bufs), _number(group["lr"]),
                            group["alpha"], group["eps"], group["weight_decay"], momentum,
                            centered, group["maximize"])
        _bump(bufs)
