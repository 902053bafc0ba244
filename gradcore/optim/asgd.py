"""ASGD (averaged SGD) with PyTorch's arithmetic: eta and mu, the step size and averaging
rate, kept per parameter as scalar tensors of the step's dtype (so rounded as PyTorch's)."""
import numpy as np

from .optimizer import (Optimizer, _check_flags, _check_nonnegative, _number, _scalar_dtype,
                        _step_tensor)
from . import array_ops
from .array_ops import sliced, update_grad, add_scaled_


def _as_default(value):
    """A Python number rounded to the scalar dtype (``torch.as_tensor(value)``'s value)."""
    return float(np.dtype(_scalar_dtype().name).type(value))


def asgd_step_(xp, p, g, ax, eta, mu, lambd, weight_decay, maximize, foreach=False):
    """ASGD on ``p`` with the step size ``eta``, then the average ``ax`` at rate ``mu``;
    ``foreach``: PyTorch's multi-tensor arithmetic, p -= (g + weight_decay * p + lambd * p)
    * eta and ax += (p - ax) * mu."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            asgd_step_, xp, (p, g, ax), (eta, mu, lambd, weight_decay, maximize, foreach)):
        return
    if foreach:
        d = xp.negative(g) if maximize else g
        if weight_decay != 0:
            d = xp.add(d, xp.multiply(p, weight_decay))
        d = xp.add(d, xp.multiply(p, lambd))
        xp.multiply(d, -1, out=d)
        xp.multiply(d, eta, out=d)
        xp.add(p, d, out=p)
        t = xp.subtract(p, ax)
        xp.multiply(t, mu, out=t)
        xp.add(ax, t, out=ax)
        return
    d, _ = update_grad(xp, p, g, weight_decay, maximize)
    xp.multiply(p, 1 - lambd * eta, out=p)
    add_scaled_(xp, p, d, -eta)
    if mu != 1:
        t = xp.subtract(p, ax)
        xp.multiply(t, mu, out=t)
        xp.add(ax, t, out=ax)
    else:
        xp.copyto(ax, p)


class ASGD(Optimizer):
    """ASGD(params, lr=0.01, lambd=0.0001, alpha=0.75, t0=1000000.0, weight_decay=0, foreach=None,
    maximize=False, differentiable=False, capturable=False)

    Averaged SGD: ``p = p * (1 - lambd * eta) - eta * g``, the average
    ``ax += mu * (p - ax)``, then ``eta = lr / (1 + lambd * lr * t)**alpha`` and
    ``mu = 1 / max(1, t - t0)`` for the next step.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 1e-2.
        lambd: the decay term. Default: 1e-4.
        alpha: the power of eta's update. Default: 0.75.
        t0: the step at which averaging starts. Default: 1e6.
        weight_decay: the L2 penalty added to the gradient. Default: 0.
        foreach: accepted for PyTorch's API (one fused update per parameter). Default: None.
        maximize: ascend the objective instead of descending it. Default: False.
        differentiable: True is not supported (NotImplementedError). Default: False.
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.

    State:
        step, eta, mu (scalar tensors on the parameter's device), ax (the average): per
        parameter, made at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.ASGD([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.8000, 1.6000])
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_nonnegative(lr=lr, weight_decay=weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        _check_flags(differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for st in self.state.values():  # numbers (older checkpoints) become tensors
            if isinstance(st, dict):
                for key in ("eta", "mu"):
                    if key in st and not hasattr(st[key], "_arr"):
                        st[key] = _step_tensor(st[key])

    @staticmethod
    def _scalar(value, p):
        from ..ops.factories import tensor
        return tensor(float(value), dtype=_scalar_dtype(), device=p.device)

    def _update(self, p, group):
        state = self.state[p]
        lr = _number(group["lr"])
        if len(state) == 0:
            state["step"] = self._scalar(0.0, p)
            state["eta"] = self._scalar(lr, p)
            state["mu"] = self._scalar(1.0, p)
            self._zeros_state(p, state, "ax")
        step = self._next_step(state)
        eta, mu = state["eta"], state["mu"]
        lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
        foreach = bool(group["foreach"])
        asgd_step_(p._be.xp, p._arr, p.grad._arr, state["ax"]._arr, float(eta.item()),
                   float(mu.item()), lambd, group["weight_decay"], group["maximize"], foreach)
        state["ax"]._bump_version()
        if foreach:  # PyTorch's multi-tensor eta: the arithmetic on the step tensor's dtype
            st = state["step"]._arr
            t = (st.dtype.type(1) + st * st.dtype.type(lambd * lr)) ** st.dtype.type(alpha)
            eta.fill_(float(st.dtype.type(1) / t * st.dtype.type(lr)))
        else:  # PyTorch's as_tensor of the number: rounded to the default dtype first
            eta.fill_(_as_default(lr / ((1 + lambd * lr * step) ** alpha)))
        mu.fill_(_as_default(1 / max(1, step - t0)))
