"""The hook-based spectral normalization (torch.nn.utils.spectral_norm): ``weight =
weight_orig / sigma``, sigma the largest singular value, estimated by power iteration on the
buffers ``weight_u`` and ``weight_v``."""
from ...autograd.grad_mode import no_grad
from ...linalg.decompositions import pinv
from ...linalg.norms import vector_norm
from ..parameter import Parameter

__all__ = ["SpectralNorm", "SpectralNormLoadStateDictPreHook", "SpectralNormStateDictHook",
           "spectral_norm", "remove_spectral_norm"]

_TRANSPOSED = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")


def _normalize(x, dim=0, eps=1e-12):
    """F.normalize(x, p=2, dim, eps): x over its 2-norm along ``dim`` (at least eps)."""
    return x / vector_norm(x, 2, dim=dim, keepdim=True).clamp_min(eps).expand_as(x)


class SpectralNorm:
    """SpectralNorm(name='weight', n_power_iterations=1, dim=0, eps=1e-12)

    The forward pre-hook :func:`spectral_norm` installs: in training mode it runs
    ``n_power_iterations`` of power iteration on ``<name>_u`` / ``<name>_v`` (in place), then
    sets ``module.<name> = <name>_orig / sigma``.

    Args:
        name: the parameter's name.
        n_power_iterations: power iterations per forward (positive).
        dim: the dim of the output channels (1 for ConvTranspose).
        eps: the floor of the norms in the normalization.

    Example:
        >>> m = nn.utils.spectral_norm(nn.Linear(3, 2))
        >>> sorted(m.state_dict())
        ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        """``weight`` with ``dim`` first, flattened to (size along dim, -1)."""
        weight_mat = weight
        if self.dim != 0:
            weight_mat = weight_mat.permute(
                self.dim, *[d for d in range(weight_mat.dim()) if d != self.dim])
        return weight_mat.reshape(weight_mat.size(0), -1)

    def compute_weight(self, module, do_power_iteration):
        """``<name>_orig / sigma``, after updating u and v in place if ``do_power_iteration``."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(_normalize(weight_mat.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(_normalize(weight_mat.mv(v), dim=0, eps=self.eps))
                u = u.clone()
                v = v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module):
        """Put back ``module.<name>`` as a Parameter holding the current normalized weight."""
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module,
                                                       do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        """Install the reparametrization on ``module`` (``<name>_orig``, ``<name>_u``,
        ``<name>_v``, the pre-hook and the state_dict hooks); returns the hook."""
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            weight_mat = fn.reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = _normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = _normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module._register_state_dict_hook(SpectralNormStateDictHook(fn))
        module._register_load_state_dict_pre_hook(SpectralNormLoadStateDictPreHook(fn))
        return fn


class SpectralNormLoadStateDictPreHook:
    """SpectralNormLoadStateDictPreHook(fn)

    Loads the state_dicts of the version-0 spectral norm (which stored ``<name>`` and no
    ``<name>_v``): ``v`` is solved for from ``<name>_orig`` and ``u``.

    Args:
        fn: the module's SpectralNorm hook.

    Example:
        >>> m = nn.utils.spectral_norm(nn.Linear(3, 2))
        >>> m.load_state_dict(m.state_dict())
        <All keys matched successfully>
    """

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs):
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is None or version < 1:
            weight_key = prefix + fn.name
            if (version is None and all(weight_key + s in state_dict
                                        for s in ("_orig", "_u", "_v"))
                    and weight_key not in state_dict):
                return
            has_missing_keys = False
            for suffix in ("_orig", "", "_u"):
                key = weight_key + suffix
                if key not in state_dict:
                    has_missing_keys = True
                    if strict:
                        missing_keys.append(key)
            if has_missing_keys:
                return
            with no_grad():
                weight_orig = state_dict[weight_key + "_orig"]
                weight = state_dict.pop(weight_key)
                sigma = (weight_orig / weight).mean()
                weight_mat = fn.reshape_weight_to_matrix(weight_orig)
                u = state_dict[weight_key + "_u"]
                wtw = weight_mat.t().mm(weight_mat)
                v = pinv(wtw).mm(weight_mat.t()).mm(u.unsqueeze(1)).squeeze(1)
                state_dict[weight_key + "_v"] = v.mul_(sigma / u.dot(weight_mat.mv(v)))


class SpectralNormStateDictHook:
    """SpectralNormStateDictHook(fn)

    Records the spectral norm's version in the state_dict's metadata
    (``metadata['spectral_norm']['<name>.version']``).

    Args:
        fn: the module's SpectralNorm hook.

    Example:
        >>> m = nn.utils.spectral_norm(nn.Linear(3, 2))
        >>> m.state_dict()._metadata['']['spectral_norm']
        {'weight.version': 1}
    """

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata):
        if "spectral_norm" not in local_metadata:
            local_metadata["spectral_norm"] = {}
        key = self.fn.name + ".version"
        if key in local_metadata["spectral_norm"]:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        local_metadata["spectral_norm"][key] = self.fn._version


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """spectral_norm(module, name='weight', n_power_iterations=1, eps=1e-12, dim=None) -> Module

    Reparametrize ``module.<name>`` as ``<name>_orig / sigma`` (sigma: its largest singular
    value as a matrix with ``dim`` first, by power iteration in training mode on the buffers
    ``<name>_u`` and ``<name>_v``); ``dim`` defaults to 1 for ConvTranspose, else 0."""
    if dim is None:
        dim = 1 if any(c.__name__ in _TRANSPOSED for c in type(module).__mro__) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """remove_spectral_norm(module, name='weight') -> Module

    Undo :func:`spectral_norm`: ``<name>`` is a plain Parameter again (the current normalized
    weight)."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            break
    else:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    for k, hook in module._state_dict_hooks.items():
        if isinstance(hook, SpectralNormStateDictHook) and hook.fn.name == name:
            del module._state_dict_hooks[k]
            break
    for k, hook in module._load_state_dict_pre_hooks.items():
        if isinstance(hook, SpectralNormLoadStateDictPreHook) and hook.fn.name == name:
            del module._load_state_dict_pre_hooks[k]
            break
    return module
