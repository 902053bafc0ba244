"""Rprop with PyTorch's arithmetic: per-element step sizes grown by etaplus while the
gradient keeps its sign, shrunk by etaminus when it flips (that step then skipped)."""
from .optimizer import Optimizer, _check_flags, _check_nonnegative, _number, _step_tensor
from . import array_ops
from .array_ops import sliced


def rprop_step_(xp, p, g, prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
                maximize):
    """Rprop on ``p``: ``step_size`` and ``prev`` (the last gradient used) updated in place."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            rprop_step_, xp, (p, g, prev, step_size),
            (etaminus, etaplus, step_size_min, step_size_max, maximize)):
        return
    one = p.dtype.type
    d = xp.negative(g) if maximize else g
    sign = xp.sign(xp.multiply(d, prev))
    factor = xp.where(sign > 0, one(etaplus), xp.where(sign < 0, one(etaminus), one(1)))
    xp.multiply(step_size, factor, out=step_size)
    xp.clip(step_size, step_size_min, step_size_max, out=step_size)
    d = xp.where(factor == one(etaminus), one(0), d)
    u = xp.sign(d)
    xp.multiply(u, -1, out=u)
    xp.multiply(u, step_size, out=u)
    xp.add(p, u, out=p)
    xp.copyto(prev, d)


class Rprop(Optimizer):
    """Rprop(params, lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-06, 50), *, capturable=False,
    foreach=None, maximize=False, differentiable=False)

    Resilient backpropagation: each element's step size is multiplied by etaplus when
    ``g * prev > 0``, by etaminus when < 0 (and that element's gradient is then taken as 0),
    clamped to step_sizes, and ``p -= sign(g) * step_size``.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the initial step size (a float or a 1-element tensor). Default: 1e-2.
        etas: (etaminus, etaplus), with 0 < etaminus < 1 < etaplus. Default: (0.5, 1.2).
        step_sizes: (the smallest, the largest) step size. Default: (1e-6, 50).
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.
        foreach: accepted for PyTorch's API (one fused update per parameter). Default: None.
        maximize: ascend the objective instead of descending it. Default: False.
        differentiable: True is not supported (NotImplementedError). Default: False.

    State:
        step, prev (the last gradient), step_size: per parameter, made at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.Rprop([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.9000, 1.9000])
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        _check_flags(differentiable)
        super().__init__(params, defaults)

    def _update(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            from ..ops.factories import full_like
            state["step"] = _step_tensor()
            self._zeros_state(p, state, "prev")
            state["step_size"] = full_like(p.grad, _number(group["lr"]))
        self._next_step(state)
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        rprop_step_(p._be.xp, p._arr, p.grad._arr, state["prev"]._arr,
                    state["step_size"]._arr, etaminus, etaplus, step_size_min, step_size_max,
                    group["maximize"])
        state["prev"]._bump_version()
        state["step_size"]._bump_version()
