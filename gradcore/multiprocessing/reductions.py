"""How gradcore tensors cross process boundaries (torch.multiprocessing.reductions' job):
reducers registered with multiprocessing's ForkingPickler -- what Queue, Pipe and Process
arguments pickle with -- so a tensor or Parameter put on a Queue arrives as a copy (its
values, dtype, device and requires_grad).  Plain ``pickle`` still refuses tensors (use
gradcore.save); PyTorch's CPU tensors travel through shared memory instead, gradcore's are
copied."""
from multiprocessing.reduction import ForkingPickler

from .._device import as_device
from ..backend import get_backend
from ..nn.parameter import Buffer, Parameter
from ..tensor import Tensor, _wrap


def _rebuild(host, device, requires_grad, cls):
    be = get_backend(as_device(device))
    t = _wrap(be.from_host(host), be)
    if cls is Parameter:
        return Parameter(t, requires_grad=requires_grad)
    if cls is Buffer:
        return Buffer(t)
    return t.requires_grad_(requires_grad) if requires_grad else t


def reduce_tensor(tensor):
    """The ForkingPickler reduction of a tensor: rebuilt from a host copy of its values."""
    if tensor.requires_grad and not tensor.is_leaf:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, "
                           "since autograd does not support crossing process boundaries.  If "
                           "you just want to transfer the data, call detach() on the tensor "
                           "before serializing (e.g., putting it on the queue).")
    host = tensor._be.to_host(tensor.detach().contiguous()._arr)
    return _rebuild, (host, str(tensor.device), tensor.requires_grad, type(tensor))


def init_reductions():
    """Register reduce_tensor for Tensor, Parameter and Buffer with ForkingPickler."""
    for cls in (Tensor, Parameter, Buffer):
        ForkingPickler.register(cls, reduce_tensor)
