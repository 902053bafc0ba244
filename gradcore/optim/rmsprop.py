"""RMSprop with PyTorch's update (centered variant, momentum buffer, maximize, weight decay)."""
from .optimizer import (Optimizer, _arrays, _bump, _check_flags, _check_nonnegative, _number,
                        _step_tensor)


class RMSprop(Optimizer):
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
