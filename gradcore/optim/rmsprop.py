"""RMSprop with PyTorch's update (centered variant, momentum buffer, maximize, weight decay)."""
from .optimizer import (Optimizer, _arrays, _bump, _check_flags, _check_nonnegative, _number,
                        _step_tensor)


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
        differentiable: True is not supported (NotImplementedError). Default: False.

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

    def _update(self, p, group):
        state = self.state[p]
        momentum, centered = group["momentum"], group["centered"]
        if len(state) == 0:
            state["step"] = _step_tensor()
            self._zeros_state(p, state, "square_avg")
        for name, needed in (("momentum_buffer", momentum > 0), ("grad_avg", centered)):
            if needed and name not in state:
                self._zeros_state(p, state, name)
        self._next_step(state)
        bufs = [state["square_avg"], state["grad_avg"] if centered else None,
                state["momentum_buffer"] if momentum > 0 else None]
        p._be.rmsprop_step_(p._arr, p.grad._arr, *_arrays(bufs), _number(group["lr"]),
                            group["alpha"], group["eps"], group["weight_decay"], momentum,
                            centered, group["maximize"])
        _bump(bufs)
