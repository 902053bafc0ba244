"""The gradcore names the distributions use, gathered from the modules below the gradcore
package (which imports this one): ``G.log``, ``G.Size``, ``G.no_grad`` ... as ``gradcore.*``."""
from types import SimpleNamespace

from .. import _dtype, ops
from .._info import finfo
from ..autograd.grad_mode import enable_grad, no_grad
from ..nn import functional
from ..tensor import Size, Tensor

G = SimpleNamespace(**ops.FUNCTIONS)
G.__dict__.update(Tensor=Tensor, Size=Size, finfo=finfo, no_grad=no_grad,
                  enable_grad=enable_grad, get_default_dtype=_dtype.get_default_dtype,
                  long=_dtype.int64, nan=float("nan"), nn=SimpleNamespace(functional=functional))
