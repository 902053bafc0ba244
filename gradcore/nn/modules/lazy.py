"""Lazy modules: layers whose input size is inferred at the first forward (LazyLinear,
LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d, LazyBatchNorm1d/2d/3d, LazyInstanceNorm1d/2d/3d)
and LazyModuleMixin, the machinery, as PyTorch's torch.nn.modules.lazy.

Until then the parameters are ``UninitializedParameter`` (nn/parameter.py).  A forward
pre-hook infers the size from the input, materializes the parameters, runs the layer's own
``reset_parameters`` (so the draws come in PyTorch's order: under the same seed the weights
equal torch's), removes itself and turns the module into its non-lazy class
(``cls_to_become``).
"""
from ... import _dtype
from ...ops import factories
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .batchnorm import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d,
                        InstanceNorm3d)
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """A mixin for modules whose parameters are inferred from the first input.

    Subclasses define ``initialize_parameters(*args)`` (materialize the parameters from the
    input, then reset them) and ``cls_to_become`` (the class the module becomes after)."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._register_lazy_hook()

    def _register_lazy_hook(self):
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(
            LazyModuleMixin._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # an uninitialized parameter or buffer goes in as itself (detach would lose its kind)
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars or is_lazy(param) \
                    else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars or is_lazy(buf) else buf.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        """Loading real tensors into uninitialized ones materializes them to their shapes."""
        for table in (self._parameters, self._buffers):
            for name, t in list(table.items()):
                value = state_dict.get(prefix + name)
                if t is None or value is None or not is_lazy(t) or is_lazy(value):
                    continue
                shape = tuple(value.shape)
                if isinstance(t, UninitializedParameter):
                    t.materialize(shape)
                else:
                    table[name] = t.materialize(shape)

    def has_uninitialized_params(self):
        """Whether any parameter or buffer of this module is still uninitialized."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        """Materialize the parameters from the input (each lazy layer defines it)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{self.__class__.__name__}")

    def _infer_parameters(self, args, kwargs=None):
        self.initialize_parameters(*args, **(kwargs or {}))
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self._initialize_hook.remove()
        self._load_hook.remove()
        del self._initialize_hook, self._load_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become


# ---- Linear ----------------------------------------------------------------------------------

class LazyLinear(LazyModuleMixin, Linear):
    """LazyLinear(out_features, bias=True, device=None, dtype=None)

    A Linear whose ``in_features`` is inferred from the first input's last dimension."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


# ---- convolutions ----------------------------------------------------------------------------

class _LazyConvMixin(LazyModuleMixin):
    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input):
        n = self._dims + 1
        if input.dim() not in (n, n + 1):
            raise RuntimeError(f"Expected {n}D (unbatched) or {n + 1}D (batched) input to "
                               f"{self.__class__.__name__}, but got input of size: "
                               f"{input.shape}")
        return input.shape[1] if input.dim() == n + 1 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            shape = ((self.in_channels, self.out_channels // self.groups) if self.transposed
                     else (self.out_channels, self.in_channels // self.groups))
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv(base, transposed):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, *rest, **kw):
        if transposed:
            names = ("output_padding", "groups", "bias", "dilation", "padding_mode")
            defaults = (0, 1, True, 1, "zeros")
        else:
            names = ("dilation", "groups", "bias", "padding_mode")
            defaults = (1, 1, True, "zeros")
        opts = dict(zip(names, defaults))
        opts.update(zip(names, rest))
        device, dtype = kw.pop("device", None), kw.pop("dtype", None)
        opts.update(kw)
        bias = opts.pop("bias")
        base.__init__(self, 0, 0, kernel_size, stride, padding, bias=False,
                      device=device, dtype=dtype, **opts)
        self._register_lazy_hook()
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    sig = ("output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros'"
           if transposed else "dilation=1, groups=1, bias=True, padding_mode='zeros'")
    name = "Lazy" + base.__name__
    doc = (f"{name}(out_channels, kernel_size, stride=1, padding=0, {sig}, device=None, "
           f"dtype=None)\n\n    A {base.__name__} whose ``in_channels`` is inferred from the "
           "first input (its dim 1, or dim 0 for unbatched input).")
    return type(name, (_LazyConvMixin, base), {"__init__": __init__, "__doc__": doc,
                                                "cls_to_become": base,
                                                "__module__": __name__})


LazyConv1d = _lazy_conv(Conv1d, False)
LazyConv2d = _lazy_conv(Conv2d, False)
LazyConv3d = _lazy_conv(Conv3d, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, True)


# ---- batch and instance norms ------------------------------------------------------------------

class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None):
        super().__init__(0, eps, momentum, False, False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        kw = {"device": device, "dtype": dtype}
        if affine:
            self.weight = UninitializedParameter(**kw)
            self.bias = UninitializedParameter(**kw)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(**kw)
            self.running_var = UninitializedBuffer(**kw)
            self.num_batches_tracked = factories.tensor(0, dtype=_dtype.int64, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1] if input.dim() > 1 else input.shape[0]
            if self.affine:
                self.weight.materialize((self.num_features,))
                self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean = self.running_mean.materialize((self.num_features,))
                self.running_var = self.running_var.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(base):
    name = "Lazy" + base.__name__
    doc = (f"{name}(eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, "
           f"device=None, dtype=None)\n\n    A {base.__name__} whose ``num_features`` is "
           "inferred from the first input's dim 1.")
    return type(name, (_LazyNormBase, base), {"__doc__": doc, "cls_to_become": base,
                                               "__module__": __name__})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
