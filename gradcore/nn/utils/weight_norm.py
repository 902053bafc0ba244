"""The hook-based weight normalization (torch.nn.utils.weight_norm, deprecated in favour of
nn.utils.parametrizations.weight_norm): ``weight = weight_g * weight_v / ||weight_v||``."""
import warnings

from ...linalg.norms import vector_norm
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _norm_except_dim(v, pow, dim):
    """PyTorch's norm_except_dim: the ``pow``-norm of ``v`` over every dim but ``dim``, kept as
    size-1 dims (``dim=-1``: the norm of the whole tensor, 0-d)."""
    if dim == -1:
        return vector_norm(v, pow)
    dim = dim % v.dim()
    others = tuple(d for d in range(v.dim()) if d != dim)
    return vector_norm(v, pow, dim=others, keepdim=True)


def _weight_norm(v, g, dim=0):
    """``v * (g / norm_except_dim(v, 2, dim))``: PyTorch's torch._weight_norm."""
    return v * (g / _norm_except_dim(v, 2, dim))


class WeightNorm:
    """WeightNorm(name, dim)

    The forward pre-hook :func:`weight_norm` installs: it recomputes ``module.<name>`` from
    ``<name>_g`` and ``<name>_v`` before every forward.

    Args:
        name: the parameter's name.
        dim: the dim whose slices are normalized separately (None or -1: the whole tensor).

    Example:
        >>> m = nn.utils.weight_norm(nn.Linear(3, 2))
        >>> [n for n, _ in m.named_parameters()]
        ['bias', 'weight_g', 'weight_v']
    """

    def __init__(self, name, dim):
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module):
        """``weight_g * weight_v / ||weight_v||`` of ``module``."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        """Replace ``module.<name>`` by the Parameters ``<name>_g`` and ``<name>_v`` and the
        pre-hook that recomputes it; returns the hook."""
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        """Put back ``module.<name>`` as a Parameter holding the current weight."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """weight_norm(module, name='weight', dim=0) -> Module

    Reparametrize ``module.<name>`` as ``<name>_g * <name>_v / ||<name>_v||`` (the norm over
    every dim but ``dim``; ``dim=None``: over the whole tensor), with the Parameters
    ``<name>_g`` (magnitude) and ``<name>_v`` (direction); returns the module."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """remove_weight_norm(module, name='weight') -> Module

    Undo :func:`weight_norm`: ``<name>`` is a plain Parameter again."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
