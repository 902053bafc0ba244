"""SGD with PyTorch's update: momentum buffer = the first gradient, then
buf = momentum * buf + (1 - dampening) * grad, Nesterov, maximize, weight decay."""
from ..backend.kernels import kernel
from ..sparse import CooArray, add_into, rows
from ..tensor import Tensor, _wrap
from .optimizer import (Optimizer, _check_flags, _check_nonnegative, _multi_tensor_groups,
                        _number, _to_scalar)
from . import array_ops
from .array_ops import grouped_, in_opmath_, sliced, update_grad, add_scaled_
from ..ops.scaled_add import add_scaled


@kernel("sgd", dtypes="fd")
def sgd_step_(xp, p, g, buf, lr, momentum, dampening, nesterov, weight_decay, maximize,
              first):
    """SGD on ``p``; ``buf`` (the momentum buffer, None without momentum) is overwritten
    with the gradient when ``first``, else decayed by momentum and accumulated."""
    plain = weight_decay == 0 and not maximize  # the gradient used as it is
    scratch_needed = (not plain or nesterov
                      or (momentum != 0 and dampening != 0 and not first))
    if scratch_needed and p.nbytes > array_ops.SLICE_BYTES and sliced(
            sgd_step_.reference, xp, (p, g, buf),
            (lr, momentum, dampening, nesterov, weight_decay, maximize, first)):
        return
    d, scratch = (g, None) if plain else update_grad(xp, p, g, weight_decay, maximize)
    if momentum != 0:
        if first:
            xp.copyto(buf, d)
        else:
            xp.multiply(buf, momentum, out=buf)
            if dampening != 0:  # buf.mul_(momentum).add_(d, alpha=1 - dampening)
                add_scaled(xp, buf, d, 1 - dampening, out=buf)
            else:
                xp.add(buf, d, out=buf)
        d = add_scaled(xp, d, buf, momentum) if nesterov else buf  # d.add(buf, alpha=momentum)
    add_scaled_(xp, p, d, -lr)


@kernel("multi_tensor", dtypes="efdE")
def multi_tensor_sgd(xp, params, grads, bufs, lr, momentum, dampening, nesterov, weight_decay,
                     maximize, first):
    """SGD on every array of ``params`` (their gradients ``grads``, momentum buffers ``bufs``
    or None) as one multi-tensor launch computes it: sgd_step_'s arithmetic per tensor, in
    float32 for float16/bfloat16 arrays, rounded once."""
    for i, p in enumerate(params):
        in_opmath_(sgd_step_.reference, xp, (p, grads[i], None if bufs is None else bufs[i]),
                   (0, 2), (lr, momentum, dampening, nesterov, weight_decay, maximize, first))


class SGD(Optimizer):
    """SGD(params, lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None, differentiable=False, fused=None)

    Stochastic gradient descent, optionally with momentum: with g = grad + weight_decay * p,
    ``buf = momentum * buf + (1 - dampening) * g`` (buf = g at the first step) and
    ``p -= lr * (g + momentum * buf if nesterov else buf)``; without momentum p -= lr * g.
    A sparse gradient (``Embedding(sparse=True)``) updates only its rows, with a sparse
    momentum buffer; weight_decay is refused with it, as PyTorch's add(sparse, dense).

    Args:
        params: an iterable of Tensors to optimize, or of dicts (parameter groups with their
            own options), or of (name, Tensor) pairs.
        lr: the learning rate (a float or a 1-element tensor). Default: 1e-3.
        momentum: the momentum factor. Default: 0.
        dampening: the dampening of the momentum (on the gradient's share). Default: 0.
        weight_decay: the L2 penalty added to the gradient. Default: 0.
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0). Default: False.
        maximize: ascend the objective instead of descending it. Default: False.
        foreach, fused: on CUDA, None, foreach=True and fused=True update each (device,
            dtype) group of parameters with one multi-tensor launch (kernels/multi_tensor.cu;
            float16/bfloat16 in float32), foreach=False with one launch per parameter; on
            the CPU the same options update small parameters (up to 2048 elements, four or
            more of a dtype) in one NumPy pass over them all, the others one fused NumPy
            update each -- the same bits either way (both True is a RuntimeError).
            Default: None.
        differentiable: run the update in Tensor ops under autograd (PyTorch's single-tensor
            update): a loss after ``step()`` differentiates through it to a non-leaf
            parameter's inputs, its ``.grad`` and a Tensor ``lr`` (the first momentum buffer
            is the gradient detached, as in PyTorch). Default: False.

    State:
        momentum_buffer: per parameter, with momentum, made at its first step.

    Example:
        >>> w = nn.Parameter(torch.tensor([1.0, 2.0]))
        >>> opt = optim.SGD([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([0.8000, 1.6000])
    """
    _sparse_grads = True

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
        g = p._grad._arr
        if type(g) is CooArray:
            return self._sparse_update(p, group, g)
        momentum = group["momentum"]
        buf, first = None, False
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                from ..ops.factories import empty_like
                buf = state["momentum_buffer"] = empty_like(p)
                first = True
        sgd_step_(p._be, p._arr, g, None if buf is None else buf._arr, _number(group["lr"]),
                  momentum, group["dampening"], group["nesterov"], group["weight_decay"],
                  group["maximize"], first)
        if buf is not None:
            buf._bump_version()

    def _multi_tensor_update(self, params, group):
        """One multi_tensor_sgd launch (per table) for each CUDA (device, dtype) group, one
        grouped NumPy update for a CPU group of small parameters; with momentum the
        parameters at their first step (buffer = the gradient) and the others separately."""
        groups, rest = _multi_tensor_groups(params, group)
        momentum = group["momentum"]
        lr = _number(group["lr"])
        if momentum != 0 and groups:
            for p in params:  # the state's entries in the parameters' order, as PyTorch's
                self.state[p]
        for (be, _), ps in groups.items():
            split = {False: ps}
            if momentum != 0:
                split = {True: [], False: []}
                for p in ps:
                    state = self.state[p]
                    if state.get("momentum_buffer") is None:
                        from ..ops.factories import empty_like
                        state["momentum_buffer"] = empty_like(p)
                        split[True].append(p)
                    else:
                        split[False].append(p)
            for first, sub in split.items():
                if not sub:
                    continue
                bufs = [self.state[p]["momentum_buffer"] for p in sub] if momentum else None
                lists = ([p._arr for p in sub], [p._grad._arr for p in sub],
                         None if bufs is None else [b._arr for b in bufs])
                args = (lr, momentum, group["dampening"], group["nesterov"],
                        group["weight_decay"], group["maximize"], first)
                if be.launches_kernels:
                    multi_tensor_sgd(be, *lists, *args)
                else:  # small CPU parameters: one NumPy update of them all
                    grouped_(sgd_step_.reference, be.xp, lists, (0, 2), args)
                for t in sub + (bufs or []):
                    t._bump_version()
        return rest

    def _sparse_update(self, p, group, grad):
        """PyTorch's single-tensor SGD on a sparse gradient: no weight decay (its add(sparse,
        dense) error); the momentum buffer is sparse (the first gradient, then ``buf * m +
        (1 - dampening) * g``, PyTorch's sparse add); ``p += -lr * d`` at d's rows."""
        if group["maximize"]:
            grad = rows(grad, -grad.values)
        if group["weight_decay"] != 0:
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        momentum, d = group["momentum"], grad
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = _wrap(grad.copy(), p._be)
            else:
                b, dampening = buf._arr, group["dampening"]
                if type(b) is CooArray:  # buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    b.values = b.values * momentum
                    b.extend_(rows(grad, grad.values * (1 - dampening)) if dampening
                              else grad)
                else:  # a dense buffer from earlier dense steps
                    xp = p._be.xp
                    xp.multiply(b, momentum, out=b)
                    add_into(b, grad, 1 - dampening)
                buf._bump_version()
            b = buf._arr
            if group["nesterov"]:  # grad.add(buf, alpha=momentum)
                if type(b) is not CooArray:
                    raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, "
                                       "sparse) instead.")
                d = grad.concat(rows(b, b.values * momentum))
            else:
                d = b
        if type(d) is CooArray:
            add_into(p._arr, d, -_number(group["lr"]))
        else:
            add_scaled_(p._be.xp, p._arr, d, -_number(group["lr"]))

    def _differentiable_update(self, p, group):
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        grad = p.grad if not group["maximize"] else -p.grad
        if weight_decay != 0:
            if isinstance(weight_decay, Tensor) and weight_decay.requires_grad:
                grad = grad.addcmul_(p.clone(), weight_decay)
            else:
                grad = grad.add(p, alpha=_number(weight_decay))
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.detach().clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        lr = _to_scalar(group["lr"])
        if isinstance(lr, Tensor) and lr.requires_grad:
            p.addcmul_(grad, lr, value=-1)
        else:
            p.add_(grad, alpha=-_number(lr))
