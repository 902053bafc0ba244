"""BatchNorm1d / 2d / 3d: per-channel normalization by the batch's statistics in training
(updating the running_mean / running_var / num_batches_tracked buffers) and by the running
statistics in eval mode.  InstanceNorm1d / 2d / 3d: per-sample, per-channel normalization
(the same parameters and buffers, off by default)."""
import warnings

from ... import _dtype
from ...ops import factories
from ...ops.normalization import batch_norm, instance_norm
from ..module import Module
from .normalization import _affine_parameters, _reset_affine


__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d"]

class _BatchNorm(Module):
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        kw = {"device": device, "dtype": dtype}
        _affine_parameters(self, num_features, affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", factories.zeros(num_features, **kw))
            self.register_buffer("running_var", factories.ones(num_features, **kw))
            self.register_buffer("num_batches_tracked",
                                 factories.tensor(0, dtype=_dtype.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_buffers = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if use_buffers else None,
                          self.running_var if use_buffers else None, self.weight, self.bias,
                          bn_training, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # state_dicts older than version 2 have no num_batches_tracked: it starts at 0
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked
                                   if self.num_batches_tracked is not None
                                   else factories.tensor(0, dtype=_dtype.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class BatchNorm1d(_BatchNorm):
    """BatchNorm1d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True,
    device=None, dtype=None, *, bias=True)

    Batch normalization over a (N, C) or (N, C, L) input, per channel C (over N, or N and L).
    Normalizes each channel: ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with the
    batch's mean and biased variance in training (updating ``running = (1 - momentum) *
    running + momentum * batch``, the unbiased variance) and the running ones in eval mode.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability. Default: 1e-5.
        momentum: the weight of the batch in the running averages; None for a cumulative
            average (1 / num_batches_tracked). Default: 0.1.
        affine: whether to learn ``weight`` and ``bias``. Default: True.
        track_running_stats: keep running_mean / running_var; without them eval mode uses
            the batch's statistics too. Default: True.
        device: the device of the parameters and buffers. Default: the default device.
        dtype: the dtype of the parameters and buffers. Default: the default dtype.
        bias: (keyword only) whether to learn ``bias`` (with affine). Default: True.

    Shape:
        (N, C) -> (N, C), or (N, C, L) -> (N, C, L).

    Attributes:
        weight: (C,), initialised to ones; None without affine.
        bias: (C,), initialised to zeros; None without affine or with ``bias=False``.
        running_mean: buffer (C,), starts at zeros; None without track_running_stats.
        running_var: buffer (C,), starts at ones; None without track_running_stats.
        num_batches_tracked: buffer, int64 scalar counting training batches; None likewise.

    Example:
        >>> m = nn.BatchNorm1d(3)
        >>> m(torch.randn(8, 3, 5)).shape
        gradcore.Size([8, 3, 5])
        >>> m.num_batches_tracked
        tensor(1)
    """

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """BatchNorm2d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True,
    device=None, dtype=None, *, bias=True)

    Batch normalization over a (N, C, H, W) input, per channel C (over N, H and W).
    Normalizes each channel: ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with the
    batch's mean and biased variance in training (updating ``running = (1 - momentum) *
    running + momentum * batch``, the unbiased variance) and the running ones in eval mode.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability. Default: 1e-5.
        momentum: the weight of the batch in the running averages; None for a cumulative
            average (1 / num_batches_tracked). Default: 0.1.
        affine: whether to learn ``weight`` and ``bias``. Default: True.
        track_running_stats: keep running_mean / running_var; without them eval mode uses
            the batch's statistics too. Default: True.
        device: the device of the parameters and buffers. Default: the default device.
        dtype: the dtype of the parameters and buffers. Default: the default dtype.
        bias: (keyword only) whether to learn ``bias`` (with affine). Default: True.

    Shape:
        (N, C, H, W) -> (N, C, H, W).

    Attributes:
        weight: (C,), initialised to ones; None without affine.
        bias: (C,), initialised to zeros; None without affine or with ``bias=False``.
        running_mean: buffer (C,), starts at zeros; None without track_running_stats.
        running_var: buffer (C,), starts at ones; None without track_running_stats.
        num_batches_tracked: buffer, int64 scalar counting training batches; None likewise.

    Example:
        >>> m = nn.BatchNorm2d(16)
        >>> m(torch.randn(4, 16, 8, 8)).shape
        gradcore.Size([4, 16, 8, 8])
        >>> m.running_mean.shape
        gradcore.Size([16])
    """

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """BatchNorm3d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True,
    device=None, dtype=None, *, bias=True)

    Batch normalization over a (N, C, D, H, W) input, per channel C (over N, D, H and W).
    Normalizes each channel: ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with the
    batch's mean and biased variance in training (updating ``running = (1 - momentum) *
    running + momentum * batch``, the unbiased variance) and the running ones in eval mode.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability. Default: 1e-5.
        momentum: the weight of the batch in the running averages; None for a cumulative
            average (1 / num_batches_tracked). Default: 0.1.
        affine: whether to learn ``weight`` and ``bias``. Default: True.
        track_running_stats: keep running_mean / running_var; without them eval mode uses
            the batch's statistics too. Default: True.
        device: the device of the parameters and buffers. Default: the default device.
        dtype: the dtype of the parameters and buffers. Default: the default dtype.
        bias: (keyword only) whether to learn ``bias`` (with affine). Default: True.

    Shape:
        (N, C, D, H, W) -> (N, C, D, H, W).

    Attributes:
        weight, bias, running_mean, running_var, num_batches_tracked: as BatchNorm2d's.

    Example:
        >>> m = nn.BatchNorm3d(4)
        >>> m(torch.randn(2, 4, 3, 5, 5)).shape
        gradcore.Size([2, 4, 3, 5, 5])
    """

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class _InstanceNorm(_BatchNorm):
    _no_batch_dim = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _check_input_dim(self, input):
        n = self._no_batch_dim
        if input.dim() not in (n, n + 1):
            raise ValueError(f"expected {n}D or {n + 1}D input (got {input.dim()}D input)")

    def _apply_instance_norm(self, input):
        return instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats,
                             self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You "
                          "can silence this warning by not passing in num_features, which is "
                          "not used because affine=False", stacklevel=2)
        if input.dim() == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            keys = [prefix + n for n in ("running_mean", "running_var")
                    if prefix + n in state_dict]
            if keys:
                klass = type(self).__name__
                error_msgs.append(
                    "Unexpected running stats buffer(s) {names} for {klass} with "
                    "track_running_stats=False. If state_dict is a checkpoint saved before "
                    "0.4.0, this may be expected because {klass} does not track running stats "
                    "by default since 0.4.0. Please remove these keys from state_dict. If the "
                    "running stats are actually needed, instead set track_running_stats=True "
                    "in {klass} to enable them. See the documentation of {klass} for "
                    "details.".format(names=" and ".join(f'"{k}"' for k in keys), klass=klass))
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


_INSTANCE_DOC = """InstanceNorm{n}d(num_features, eps=1e-05, momentum=0.1, affine=False,
    track_running_stats=False, device=None, dtype=None, *, bias=True)

    Instance normalization over a {shape} input: each channel of each sample normalized by
    its own mean and biased variance, ``y = (x - mean) / sqrt(var + eps) * weight + bias``.
    With track_running_stats the running averages of those statistics are kept in training
    (``running = (1 - momentum) * running + momentum * batch average``, unbiased variances)
    and used in eval mode.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability. Default: 1e-5.
        momentum: the weight of the batch in the running averages (None: 0). Default: 0.1.
        affine: whether to learn ``weight`` and ``bias`` per channel. Default: False.
        track_running_stats: keep running_mean / running_var. Default: False.
        device: the device of the parameters and buffers. Default: the default device.
        dtype: the dtype of the parameters and buffers. Default: the default dtype.
        bias: (keyword only) whether to learn ``bias`` (with affine). Default: True.

    Shape:
        {shape} -> the same shape (or without N).

    Attributes:
        weight, bias: (C,), ones and zeros; None without affine.
        running_mean, running_var, num_batches_tracked: buffers, None without
            track_running_stats.

    Example:
        >>> m = nn.InstanceNorm{n}d(3, affine=True)
        >>> m(torch.randn{example}).shape
        gradcore.Size({size})
    """


class InstanceNorm1d(_InstanceNorm):
    __doc__ = _INSTANCE_DOC.format(n=1, shape="(N, C, L)", example="(2, 3, 5)",
                                   size="[2, 3, 5]")
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    __doc__ = _INSTANCE_DOC.format(n=2, shape="(N, C, H, W)", example="(2, 3, 4, 5)",
                                   size="[2, 3, 4, 5]")
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    __doc__ = _INSTANCE_DOC.format(n=3, shape="(N, C, D, H, W)", example="(2, 3, 2, 4, 5)",
                                   size="[2, 3, 2, 4, 5]")
    _no_batch_dim = 4
