"""Adagrad with PyTorch's update; its state (step, sum) is made in the constructor, as
PyTorch's is, with ``sum`` starting at initial_accumulator_value."""
from .optimizer import Optimizer, _check_flags, _check_nonnegative, _number, _step_tensor


class Adagrad(Optimizer):
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
        p._be.adagrad_step_(p._arr, p.grad._arr, state["sum"]._arr, clr, group["eps"],
                            group["weight_decay"], group["maximize"])
        state["sum"]._bump_version()
