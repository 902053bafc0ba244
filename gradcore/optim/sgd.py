"""SGD with PyTorch's update: momentum buffer = the first gradient, then
buf = momentum * buf + (1 - dampening) * grad, Nesterov, maximize, weight decay."""
from .optimizer import Optimizer, _arrays, _bump, _check_flags, _check_nonnegative, _number


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_nonnegative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_flags(differentiable, fused, foreach)
        super().__init__(params, defaults)

    def _update(self, p, group):
        momentum = group["momentum"]
        buf, first = None, False
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                from ..ops.factories import empty_like
                buf = state["momentum_buffer"] = empty_like(p)
                first = True
        p._be.sgd_step_(p._arr, p.grad._arr, *_arrays([buf]), _number(group["lr"]), momentum,
                        group["dampening"], group["nesterov"], group["weight_decay"],
                        group["maximize"], first)
        _bump([buf])
