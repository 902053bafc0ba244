"""Adam and AdamW (decoupled weight decay), with PyTorch's arithmetic: exp_avg by lerp,
exp_avg_sq by mul and addcmul, bias corrections in Python floats from the step count."""
from ..backend.kernels import kernel
from .optimizer import (Optimizer, _arrays, _bump, _check_betas, _check_flags,
                        _check_nonnegative, _multi_tensor_groups, _number, _step_tensor,
                        _to_scalar)
from . import array_ops
from .array_ops import grouped_, in_opmath_, sliced, adam_moments_, addcdiv_


@kernel("adam", dtypes="fd")
def adam_step_(xp, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps,
               weight_decay, amsgrad, maximize, decoupled):
    """Adam (AdamW when ``decoupled``) on ``p`` at step number ``step`` (counted from 1)."""
    if p.nbytes > array_ops.SLICE_BYTES and sliced(
            adam_step_.reference, xp, (p, g, exp_avg, exp_avg_sq, max_exp_avg_sq),
            (step, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled)):
        return
    d, scratch, tmp = adam_moments_(xp, p, g, exp_avg, exp_avg_sq, lr, beta1, beta2,
                                 weight_decay, decoupled, maximize)
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    if amsgrad:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    denom = xp.sqrt(max_exp_avg_sq if amsgrad else exp_avg_sq, out=tmp)
    xp.divide(denom, bias_correction2_sqrt, out=denom)
    xp.add(denom, eps, out=denom)
    addcdiv_(xp, p, exp_avg, denom, -step_size, scratch)


@kernel("multi_tensor", dtypes="efdE")
def multi_tensor_adam(xp, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr,
                      beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled):
    """Adam (AdamW when ``decoupled``) on every array of ``params``, ``steps`` the step number
    of each, as one multi-tensor launch computes it: adam_step_'s arithmetic per tensor, in
    float32 for float16/bfloat16 arrays, rounded once."""
    for i, p in enumerate(params):
        arrays = (p, grads[i], exp_avgs[i], exp_avg_sqs[i],
                  None if max_exp_avg_sqs is None else max_exp_avg_sqs[i])
        in_opmath_(adam_step_.reference, xp, arrays, (0, 2, 3, 4),
                   (steps[i], lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                    decoupled))


class Adam(Optimizer):
    """Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False, *,
    foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
    decoupled_weight_decay=False)

    Adam: m = beta1 * m + (1 - beta1) * g, v = beta2 * v + (1 - beta2) * g**2, and at step t
    ``p -= lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)``.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 1e-3.
        betas: (beta1, beta2), the decay rates of the moving averages m and v.
            Default: (0.9, 0.999).
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: the L2 penalty added to the gradient (g += weight_decay * p), or with
            decoupled_weight_decay p *= 1 - lr * weight_decay (AdamW). Default: 0.
        amsgrad: use the maximum of all v so far in the denominator (AMSGrad). Default: False.
        maximize: ascend the objective instead of descending it. Default: False.
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.
        foreach, fused: on CUDA, None, foreach=True and fused=True update each (device,
            dtype) group of parameters with one multi-tensor launch (kernels/multi_tensor.cu;
            float16/bfloat16 in float32), foreach=False with one launch per parameter; on
            the CPU the same options update small parameters (up to 2048 elements, four or
            more of a dtype) in one NumPy pass over them all, the others one fused NumPy
            update each -- the same bits either way (both True is a RuntimeError).
            Default: None.
        differentiable: run the update in Tensor ops under autograd (PyTorch's single-tensor
            differentiable update: bias corrections from the step tensor): a loss after
            ``step()`` differentiates through it to a non-leaf parameter's inputs, its
            ``.grad`` and a Tensor ``lr``. Default: False.
        decoupled_weight_decay: AdamW's weight decay. Default: False.

    State:
        step (a scalar tensor), exp_avg (m), exp_avg_sq (v), max_exp_avg_sq (with
        amsgrad): per parameter, made at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.9000, 1.9000])
    """

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

    def _state(self, p, group):
        """p's state, its moments made (zeros) at the first step and max_exp_avg_sq with amsgrad."""
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            self._zeros_state(p, state, "exp_avg", "exp_avg_sq")
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            self._zeros_state(p, state, "max_exp_avg_sq")
        return state

    def _update(self, p, group):
        state = self._state(p, group)
        step = self._next_step(state)
        beta1, beta2 = group["betas"]
        bufs = [state["exp_avg"], state["exp_avg_sq"],
                state["max_exp_avg_sq"] if group["amsgrad"] else None]
        adam_step_(p._be, p._arr, p.grad._arr, *_arrays(bufs), step, _number(group["lr"]),
                         _number(beta1), _number(beta2), group["eps"], group["weight_decay"],
                         group["amsgrad"], group["maximize"], group["decoupled_weight_decay"])
        _bump(bufs)

    def _multi_tensor_update(self, params, group):
        """One multi_tensor_adam launch (per table) for each CUDA (device, dtype) group, each
        tensor with its own step count (its bias corrections); a CPU group of small
        parameters in one grouped NumPy update per step count."""
        groups, rest = _multi_tensor_groups(params, group)
        if groups:
            for p in params:  # the state's entries in the parameters' order, as PyTorch's
                self.state[p]
        beta1, beta2 = group["betas"]
        amsgrad = group["amsgrad"]
        args = (_number(group["lr"]), _number(beta1), _number(beta2), group["eps"],
                group["weight_decay"], amsgrad, group["maximize"],
                group["decoupled_weight_decay"])
        for (be, _), ps in groups.items():
            states = [self._state(p, group) for p in ps]
            steps = [self._next_step(state) for state in states]
            bufs = [[state[k] for state in states] for k in ("exp_avg", "exp_avg_sq")]
            bufs.append([state["max_exp_avg_sq"] for state in states] if amsgrad else None)
            lists = [[p._arr for p in ps], [p._grad._arr for p in ps]] + [
                None if b is None else _arrays(b) for b in bufs]
            if be.launches_kernels:
                multi_tensor_adam(be, *lists, steps, *args)
            else:  # small CPU parameters: one NumPy update per step count
                for step in sorted(set(steps)):
                    pick = [i for i, s in enumerate(steps) if s == step]
                    grouped_(adam_step_.reference, be.xp,
                             [None if lst is None else [lst[i] for i in pick] for lst in lists],
                             (0, 2, 3, 4), (step,) + args)
            for t in ps + [t for b in bufs if b is not None for t in b]:
                t._bump_version()
        return rest

    def _differentiable_update(self, p, group):
        state = self._state(p, group)
        if state["step"].requires_grad:
            raise RuntimeError("`requires_grad` is not supported for `step` in differentiable "
                               "mode")
        lr = _to_scalar(group["lr"])
        beta1, beta2 = (_number(b) for b in group["betas"])
        weight_decay, eps = group["weight_decay"], group["eps"]
        exp_avg, exp_avg_sq, step = state["exp_avg"], state["exp_avg_sq"], state["step"]
        grad = p.grad if not group["maximize"] else -p.grad
        self._next_step(state)
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(p, alpha=weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size_neg = (lr / (1 - beta1 ** step)).neg()
        bias_correction2_sqrt = (1 - beta2 ** step).sqrt()
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            max_exp_avg_sq.copy_(max_exp_avg_sq.clone().maximum(exp_avg_sq))
            exp_avg_sq = max_exp_avg_sq
        denom = (exp_avg_sq.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(
            eps / step_size_neg)
        p.addcdiv_(exp_avg.clone(), denom)


class AdamW(Adam):
    """AdamW(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False, *,
    maximize=False, foreach=None, capturable=False, differentiable=False, fused=None)

    Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` first, then Adam's step
    on the plain gradient, ``p -= lr * m_hat / (sqrt(v_hat) + eps)``.

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 1e-3.
        betas: (beta1, beta2), the decay rates of the moving averages m and v.
            Default: (0.9, 0.999).
        eps: added to the denominator for stability. Default: 1e-8.
        weight_decay: the decoupled weight decay coefficient. Default: 1e-2.
        amsgrad: use the maximum of all v so far in the denominator (AMSGrad). Default: False.
        maximize: ascend the objective instead of descending it. Default: False.
        capturable: accepted for PyTorch's API (no CUDA graphs here). Default: False.
        foreach, fused: on CUDA, None, foreach=True and fused=True update each (device,
            dtype) group of parameters with one multi-tensor launch (kernels/multi_tensor.cu;
            float16/bfloat16 in float32), foreach=False with one launch per parameter; on
            the CPU the same options update small parameters (up to 2048 elements, four or
            more of a dtype) in one NumPy pass over them all, the others one fused NumPy
            update each -- the same bits either way (both True is a RuntimeError).
            Default: None.
        differentiable: as Adam's (a differentiable update). Default: False.

    State:
        as Adam's: step, exp_avg, exp_avg_sq (and max_exp_avg_sq with amsgrad).

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.01)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.8990, 1.8980])
    """

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
