"""gradcore: a define-by-run autograd engine with PyTorch's API, on NumPy (CPU) or CuPy (CUDA).

``import gradcore as torch`` runs PyTorch tutorial code.  Importing gradcore never imports
CuPy, torch or matplotlib.
"""
import warnings as _warnings

from . import _dtype
from ._device import device
from ._dtype import (dtype, float32, float64, float16, int64, int32, int16, int8, uint8,  # noqa
                     bool, float, double, half, long, int, short,
                     get_default_dtype, set_default_dtype, promote_types)
from .tensor import Tensor, Size
from . import autograd, cuda, ops
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from ._tensor_str import set_printoptions, get_printoptions
from .backend import manual_seed as _manual_seed
from ._generator import Generator, default_generator, _seed_value
from .serialization import save, load
from . import nn, optim, utils  # noqa: E402  (they use the namespace above)

__version__ = "0.1.0"

# NumPy reports floating-point errors (x / 0, log(0), sqrt's gradient at 0, nan to int) as
# RuntimeWarnings from the module that called it; PyTorch computes the same inf and nan
# silently, and so do gradcore's own modules.  NumPy calls in user code still warn.
_warnings.filterwarnings("ignore", r"(divide by zero|invalid value|overflow|underflow) "
                         "encountered", RuntimeWarning, r"gradcore(\.|$)")

globals().update(ops.FUNCTIONS)


def manual_seed(seed):
    """Seed every device's global generator (CPU and CUDA); returns the default generator."""
    _manual_seed(_seed_value(seed))
    return default_generator


def initial_seed():
    return default_generator.initial_seed()


def seed():
    """Seed from OS entropy (every device); returns the seed."""
    s = default_generator.seed()
    _manual_seed(s)
    return s


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_, to):
    return from_._cat <= to._cat


def is_floating_point(input):
    return input.is_floating_point()
