"""Adam and AdamW (decoupled weight decay), with PyTorch's arithmetic: exp_avg by lerp,
exp_avg_sq by mul and addcmul, bias corrections in Python floats from the step count."""
from .optimizer import (Optimizer, _arrays, _bump, _check_betas, _check_flags,
                        _check_nonnegative, _number, _step_tensor)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        betas = tuple(_number(b) for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        _check_flags(differentiable, fused, foreach)
        super().__init__(params, defaults)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            self._zeros_state(p, state, "exp_avg", "exp_avg_sq")
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            self._zeros_state(p, state, "max_exp_avg_sq")
        step = self._next_step(state)
        beta1, beta2 = group["betas"]
        bufs = [state["exp_avg"], state["exp_avg_sq"],
                state["max_exp_avg_sq"] if group["amsgrad"] else None]
        p._be.adam_step_(p._arr, p.grad._arr, *_arrays(bufs), step, _number(group["lr"]),
                         _number(beta1), _number(beta2), group["eps"], group["weight_decay"],
                         group["amsgrad"], group["maximize"], group["decoupled_weight_decay"])
        _bump(bufs)


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
