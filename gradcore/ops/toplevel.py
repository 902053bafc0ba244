"""PyTorch's top-level forms of ops gradcore defines elsewhere: ``torch.layer_norm``,
``torch.batch_norm``, ``torch.instance_norm``, ``torch.embedding``,
``torch.binary_cross_entropy_with_logits`` (ATen's argument orders, which differ from
nn.functional's) and the Tensor methods torch also exports as functions (``torch.detach(t)``
...).  No math here: each calls the op it names."""
from .._autocast import FP32, autocast_op
from ..autograd.grad_mode import is_inference
from ..tensor import Tensor
from . import loss, normalization
from .conversion import is_signed
@autocast_op(cuda=FP32)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05,
        cudnn_enable=True) -> Tensor

    nn.functional.layer_norm (cudnn_enable is ignored)."""
    return normalization.layer_norm(input, normalized_shape, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
        cudnn_enabled) -> Tensor

    nn.functional.batch_norm in ATen's argument order (cudnn_enabled is ignored)."""
    return normalization.batch_norm(input, running_mean, running_var, weight, bias, training,
                                    momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
        momentum, eps, cudnn_enabled) -> Tensor

    nn.functional.instance_norm in ATen's argument order (cudnn_enabled is ignored)."""
    return normalization.instance_norm(input, running_mean, running_var, weight, bias,
                                       use_input_stats, momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False,
        sparse=False) -> Tensor

    nn.functional.embedding(indices, weight, ...): the rows of weight at indices; a negative
    padding_idx means none (ATen's convention)."""
    return normalization.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


_REDUCTIONS = ("none", "mean", "sum")  # ATen's Reduction enum: 0, 1, 2


@autocast_op(cpu=FP32, cuda=FP32)
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    """binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
        reduction=0) -> Tensor

    nn.functional.binary_cross_entropy_with_logits, ``reduction`` as ATen's enum (0 none --
    torch's default here, unlike nn.functional's -- 1 mean, 2 sum)."""
    return loss.binary_cross_entropy_with_logits(input, target, weight,
                                                 reduction=_REDUCTIONS[reduction],
                                                 pos_weight=pos_weight)


FUNCTIONS = {"layer_norm": layer_norm, "batch_norm": batch_norm, "instance_norm": instance_norm,
             "embedding": embedding,
             "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
             "detach": Tensor.detach, "get_device": Tensor.get_device,
             "is_inference": is_inference, "is_signed": is_signed}
