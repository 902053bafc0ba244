"""Pruning (torch.nn.utils.prune): a parameter ``<name>`` becomes ``<name>_orig`` (Parameter)
times ``<name>_mask`` (buffer), recomputed by a forward pre-hook; ``remove`` makes it permanent."""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ...ops import factories
from .convert_parameters import parameters_to_vector

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """BasePruningMethod()

    The base of the pruning methods: a subclass defines ``compute_mask(t, default_mask)`` and
    ``PRUNING_TYPE`` ('unstructured', 'structured' or 'global'); ``apply`` installs it on a
    module as a forward pre-hook that sets ``<name> = <name>_mask * <name>_orig``.

    Example:
        >>> m = prune.l1_unstructured(nn.Linear(3, 2), "weight", amount=2)
        >>> sorted(m.state_dict())
        ['bias', 'weight_mask', 'weight_orig']
    """

    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask for ``t`` (ones where kept), combining ``default_mask``."""

    def apply_mask(self, module):
        """``<name>_mask * <name>_orig`` of ``module``."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)`` (chained in a PruningContainer
        with an earlier pruning of the same tensor); returns the method."""
        old_method = None
        found = 0
        hooks_to_remove = []
        for k, hook in module._forward_pre_hooks.items():
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old_method = hook
                hooks_to_remove.append(k)
                found += 1
        if found > 1:
            raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} "
                                 f"of module {module}. Use a PruningContainer.")
        for k in hooks_to_remove:
            del module._forward_pre_hooks[k]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old_method is not None:
            if isinstance(old_method, PruningContainer):
                old_method.add_pruning_method(method)
                method = old_method
            elif isinstance(old_method, BasePruningMethod):
                container = PruningContainer(old_method)
                container.add_pruning_method(method)
                method = container
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(f"importance_scores should have the same shape as parameter "
                                     f"{name} of {module}, got {importance_scores.shape} vs "
                                     f"{orig.shape}")
        else:
            importance_scores = orig
        if not isinstance(method, PruningContainer):
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = factories.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if not isinstance(method, PruningContainer):
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times its mask (computed from ``importance_scores``, default ``t``)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError(f"importance_scores should have the same shape as tensor t, "
                                     f"got {importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else factories.ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` is the Parameter ``<name>_orig`` holding the
        masked values; the mask and the hook go."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be "
                                 f"removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """PruningContainer(*args)

    The successive pruning methods applied to one tensor: the last one prunes what the earlier
    ones left.

    Args:
        *args: the pruning methods (acting on the same tensor name).

    Example:
        >>> m = prune.l1_unstructured(nn.Linear(3, 2), "weight", amount=1)
        >>> m = prune.l1_unstructured(m, "weight", amount=1)
        >>> int((m.weight_mask == 0).sum())
        2
    """

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append ``method`` (it must act on the same tensor name)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        elif method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """The last method's mask over the entries (or channels) the current mask keeps."""
        method = self._pruning_methods[-1]
        mask = default_mask.to(dtype=t.dtype)
        if method.PRUNING_TYPE == "unstructured":
            slc = mask == 1
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError("Pruning methods of PRUNING_TYPE \"structured\" need to have "
                                     "the attribute `dim` defined.")
            n_dims = t.dim()
            dim = method.dim + n_dims if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            keep_channel = default_mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
            slc = [slice(None)] * n_dims
            slc[dim] = keep_channel
            slc = tuple(slc)
        elif method.PRUNING_TYPE == "global":
            slc = tuple([slice(None)] * len(t.shape))
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        partial_mask = method.compute_mask(t[slc], default_mask=default_mask[slc])
        mask[slc] = partial_mask.to(dtype=mask.dtype)
        return mask


class Identity(BasePruningMethod):
    """Identity()

    Prunes nothing (the mask is all ones): the pruning machinery without pruning.

    Example:
        >>> m = prune.identity(nn.Linear(3, 2), "weight")
        >>> bool(m.weight_mask.all())
        True
    """

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        """``default_mask`` unchanged."""
        return default_mask

    @classmethod
    def apply(cls, module, name):
        """Install it on ``module.<name>``."""
        return super().apply(module, name)


def _validate_pruning_amount_init(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral)
            and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         f"non-negative integer")


def _validate_pruning_amount(amount, tensor_size):
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to "
                         f"prune={tensor_size}")


def _compute_nparams_toprune(amount, tensor_size):
    if isinstance(amount, numbers.Integral):
        return amount
    return round(amount * tensor_size)


class _Unstructured(BasePruningMethod):
    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        """``default_mask`` with the ``amount`` lowest-scored entries of ``t`` zeroed."""
        tensor_size = t.nelement()
        nparams_toprune = _compute_nparams_toprune(self.amount, tensor_size)
        _validate_pruning_amount(nparams_toprune, tensor_size)
        mask = default_mask.clone()
        if nparams_toprune != 0:
            topk = self._scores(t).view(-1).topk(k=nparams_toprune, largest=False)
            mask.view(-1)[topk.indices] = 0
        return mask


class RandomUnstructured(_Unstructured):
    """RandomUnstructured(amount)

    Prunes ``amount`` entries (a count, or a fraction in [0, 1]) chosen at random.

    Args:
        amount: how many entries to prune (int), or which fraction of them (float).

    Example:
        >>> m = prune.random_unstructured(nn.Linear(4, 2), "weight", amount=0.5)
        >>> int((m.weight_mask == 0).sum())
        4
    """

    @staticmethod
    def _scores(t):
        return -factories.rand_like(t)

    @classmethod
    def apply(cls, module, name, amount):
        """Install it on ``module.<name>``."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """L1Unstructured(amount)

    Prunes the ``amount`` entries (a count, or a fraction in [0, 1]) of smallest absolute
    value (of the importance scores, by default the tensor itself).

    Args:
        amount: how many entries to prune (int), or which fraction of them (float).

    Example:
        >>> m = prune.l1_unstructured(nn.Linear(4, 2), "weight", amount=3)
        >>> int((m.weight == 0).sum())
        3
    """

    @staticmethod
    def _scores(t):
        return t.abs()

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        """Install it on ``module.<name>``."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _validate_structured_pruning(t):
    if len(t.shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {t.shape} with {len(t.shape)} dims")


def _validate_pruning_dim(t, dim):
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


class RandomStructured(BasePruningMethod):
    """RandomStructured(amount, dim=-1)

    Prunes ``amount`` channels along ``dim``, chosen at random (each channel gets a uniform
    draw; the ``amount`` lowest go).

    Args:
        amount: how many channels to prune (int), or which fraction of them (float).
        dim: the dim of the channels. Default: -1.

    Example:
        >>> m = prune.random_structured(nn.Linear(4, 3), "weight", amount=1, dim=0)
        >>> int((m.weight_mask.sum(1) == 0).sum())
        1
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        """Zeros on the randomly chosen channels, times ``default_mask``."""
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        tensor_size = t.shape[self.dim]
        nparams_toprune = _compute_nparams_toprune(self.amount, tensor_size)
        _validate_pruning_amount(nparams_toprune, tensor_size)
        if nparams_toprune == 0:
            return default_mask
        prob = factories.rand(tensor_size, device=t.device)
        threshold = prob.kthvalue(k=nparams_toprune).values
        mask = factories.zeros_like(t)
        slc = [slice(None)] * len(t.shape)
        slc[self.dim] = prob > threshold
        mask[tuple(slc)] = 1
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        """Install it on ``module.<name>``."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """LnStructured(amount, n, dim=-1)

    Prunes the ``amount`` channels along ``dim`` of smallest ``n``-norm.

    Args:
        amount: how many channels to prune (int), or which fraction of them (float).
        n: the order of the norm (see ``torch.norm``'s ``p``).
        dim: the dim of the channels.

    Example:
        >>> m = prune.ln_structured(nn.Linear(4, 3), "weight", amount=1, n=2, dim=0)
        >>> int((m.weight_mask.sum(1) == 0).sum())
        1
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        """Zeros on the pruned channels, times ``default_mask``."""
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        tensor_size = t.shape[self.dim]
        nparams_toprune = _compute_nparams_toprune(self.amount, tensor_size)
        nparams_tokeep = tensor_size - nparams_toprune
        _validate_pruning_amount(nparams_toprune, tensor_size)
        dims = list(range(t.dim()))
        dims.remove(dims[self.dim])
        norm = t.norm(p=self.n, dim=dims)
        topk = norm.topk(k=nparams_tokeep, largest=True)
        if nparams_toprune == 0:
            return default_mask
        mask = factories.zeros_like(t)
        slc = [slice(None)] * len(t.shape)
        slc[self.dim] = topk.indices
        mask[tuple(slc)] = 1
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        """Install it on ``module.<name>``."""
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """CustomFromMask(mask)

    Prunes where the given ``mask`` is 0.

    Args:
        mask: a tensor of the parameter's shape.

    Example:
        >>> m = prune.custom_from_mask(nn.Linear(2, 1), "bias", mask=torch.tensor([0.0]))
        >>> m.bias
        tensor([0.], grad_fn=<MulBackward0>)
    """

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        """``default_mask * mask``."""
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match "
                                 f"self.mask shape {self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        """Install it on ``module.<name>``."""
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """identity(module, name) -> Module

    Install the pruning machinery on ``module.<name>`` with an all-ones mask."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """random_unstructured(module, name, amount) -> Module

    Prune ``amount`` random entries of ``module.<name>``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """l1_unstructured(module, name, amount, importance_scores=None) -> Module

    Prune the ``amount`` entries of ``module.<name>`` of smallest absolute value."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """random_structured(module, name, amount, dim) -> Module

    Prune ``amount`` random channels along ``dim`` of ``module.<name>``."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """ln_structured(module, name, amount, n, dim, importance_scores=None) -> Module

    Prune the ``amount`` channels along ``dim`` of ``module.<name>`` of smallest n-norm."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None

    Prune the (module, name) pairs of ``parameters`` together: the ``pruning_method`` class
    (an unstructured one, made with ``kwargs``, e.g. ``amount``) ranks all their entries (or
    their ``importance_scores``, a dict keyed by the pairs) as one vector, over what their
    current masks keep; each tensor then gets its slice of the mask (``custom_from_mask``)."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    parameters = list(parameters)
    relevant_importance_scores = parameters_to_vector(
        [importance_scores.get((module, name), getattr(module, name))
         for (module, name) in parameters])
    default_mask = parameters_to_vector(
        [getattr(module, name + "_mask", factories.ones_like(getattr(module, name)))
         for (module, name) in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = container.compute_mask(relevant_importance_scores, default_mask)
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        num_param = param.numel()
        param_mask = final_mask[pointer:pointer + num_param].view_as(param)
        custom_from_mask(module, name, mask=param_mask)
        pointer += num_param


def custom_from_mask(module, name, mask):
    """custom_from_mask(module, name, mask) -> Module

    Prune ``module.<name>`` where ``mask`` is 0."""
    CustomFromMask.apply(module, name, mask=mask)
    return module


def remove(module, name):
    """remove(module, name) -> Module

    Make the pruning of ``module.<name>`` permanent (a plain Parameter again)."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can "
                     f"be removed")


def is_pruned(module):
    """is_pruned(module) -> bool

    Whether any submodule of ``module`` has a pruning hook."""
    for _, submodule in module.named_modules():
        for hook in submodule._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False
