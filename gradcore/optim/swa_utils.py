"""torch.optim.swa_utils: stochastic weight averaging and EMA of a model's parameters
(AveragedModel and its average functions), the SWALR schedule, and update_bn."""
import itertools
import math
import warnings
from copy import deepcopy

from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    """get_ema_multi_avg_fn(decay=0.999)

    The in-place EMA update of lists of tensors for AveragedModel's ``multi_avg_fn``:
    ``ema = lerp(ema, model, 1 - decay)`` (floating point; others by decay * ema +
    (1 - decay) * model)."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                if p_ema.is_floating_point() or p_ema.is_complex():
                    p_ema.lerp_(p_model, 1 - decay)
                else:
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """get_swa_multi_avg_fn()

    The in-place running-mean update of lists of tensors for AveragedModel's
    ``multi_avg_fn``: ``avg = lerp(avg, model, 1 / (n_averaged + 1))``."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            weight = 1 / (num_averaged + 1)  # of a count tensor: in the default dtype
            weight = weight.item() if isinstance(weight, Tensor) else weight
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                if p_avg.is_floating_point() or p_avg.is_complex():
                    p_avg.lerp_(p_model, weight)
                else:
                    p_avg.copy_(p_avg + (p_model - p_avg) / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """get_ema_avg_fn(decay=0.999)

    The EMA for AveragedModel's ``avg_fn``: ``(ema, model, n) -> decay * ema + (1 - decay)
    * model``."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """get_swa_avg_fn()

    The running mean for AveragedModel's ``avg_fn``: ``(avg, model, n) -> avg + (model -
    avg) / (n + 1)``."""
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """AveragedModel(model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False)

    A copy of ``model`` whose parameters (and with use_buffers its buffers) are the running
    average of ``model``'s, updated by ``update_parameters(model)``: the first call copies
    them, later ones apply ``avg_fn(averaged, current, n_averaged)`` (a new tensor, per
    parameter) or ``multi_avg_fn(averaged_list, current_list, n_averaged)`` (in place);
    by default the equal-weight mean (SWA).  Without use_buffers the buffers are copied.

    Args:
        model: the Module to average (deep-copied).
        device: where to keep the copy. Default: the model's.
        avg_fn: the per-tensor average function (e.g. ``get_ema_avg_fn(0.99)``).
        multi_avg_fn: the in-place average of lists (e.g. ``get_ema_multi_avg_fn(0.99)``);
            not with avg_fn.
        use_buffers: average the buffers too (instead of copying them). Default: False.

    Buffers: ``n_averaged``, the number of models averaged (int64).

    Example:
        >>> model = nn.Linear(3, 1)
        >>> swa = optim.swa_utils.AveragedModel(model)
        >>> swa.update_parameters(model)
        >>> swa.n_averaged
        tensor(1)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        from ..ops.factories import tensor
        from .. import _dtype
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_dtype.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """The averaged copy's forward."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average ``model``'s current parameters (and buffers) into this copy's."""
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param, model_param = self.parameters(), model.parameters()
        averaged, current = [], []
        copy_param = bool(self.n_averaged == 0)
        with no_grad():
            for p_averaged, p_model in zip(self_param, model_param):
                p_model_ = p_model.detach().to(p_averaged.device)
                averaged.append(p_averaged.detach())
                current.append(p_model_)
                if copy_param:
                    p_averaged.detach().copy_(p_model_)
            if self.n_averaged > 0:
                if self.multi_avg_fn is not None:
                    groups = {}
                    for a, c in zip(averaged, current):
                        key = (a.device, a.dtype)
                        groups.setdefault(key, ([], []))
                        groups[key][0].append(a)
                        groups[key][1].append(c)
                    for (dev, _), (avgs, curs) in groups.items():
                        self.multi_avg_fn(avgs, curs, self.n_averaged.to(dev))
                else:
                    avg_fn = self.avg_fn or get_swa_avg_fn()
                    for a, c in zip(averaged, current):
                        a.copy_(avg_fn(a, c, self.n_averaged.to(a.device)))
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.detach().copy_(b_model.detach().to(b_swa.device))
            self.n_averaged += 1


def update_bn(loader, model, device=None):
    """update_bn(loader, model, device=None)

    Recompute the running statistics of ``model``'s batch-norm layers from the batches of
    ``loader`` (one pass, cumulative averages, in training mode; a list or tuple batch
    gives its first item); the model's mode and the layers' momentum are restored."""
    from ..nn.modules.batchnorm import _BatchNorm
    with no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
        for bn_module in momenta:
            bn_module.momentum = momenta[bn_module]
        model.train(was_training)


class SWALR(LRScheduler):
    """SWALR(optimizer, swa_lr, anneal_epochs=10, anneal_strategy='cos', last_epoch=-1)

    Anneals each group's lr to its ``swa_lr`` over ``anneal_epochs`` epochs, by a cosine
    or linearly, then holds it (PyTorch's recursive form).

    Args:
        optimizer: the Optimizer whose groups' ``lr`` it sets.
        swa_lr: the lr to anneal to, one for all groups or a list, one per group.
        anneal_epochs: the epochs of the annealing (an int >= 0). Default: 10.
        anneal_strategy: ``'cos'`` or ``'linear'``. Default: ``'cos'``.
        last_epoch: the index of the last epoch. Default: -1.

    Example:
        >>> opt = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = optim.swa_utils.SWALR(opt, swa_lr=0.5, anneal_epochs=2,
        ...                               anneal_strategy='linear')
        >>> for epoch in range(3):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = (self._cosine_anneal if anneal_strategy == "cos"
                            else self._linear_anneal)

    def state_dict(self):
        """Every attribute but the optimizer and the anneal function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        """Restore the attributes saved by ``state_dict()``."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
