"""gradcore: a define-by-run autograd engine with PyTorch's API, on NumPy (CPU) or CuPy (CUDA).

``import gradcore as torch`` runs PyTorch tutorial code.  Importing gradcore never imports
CuPy, torch or matplotlib.
"""
import math as _math
import os as _os
import warnings as _warnings
from builtins import bool as _bool, int as _int

from . import _deterministic, _dtype
from ._device import device
from ._dtype import (dtype, float32, float64, float16, int64, int32, int16, int8, uint8,  # noqa
                     bfloat16,
                     bool, float, double, half, long, int, short, complex64, complex128, cfloat,
                     cdouble,
                     get_default_dtype, set_default_dtype, promote_types)
from ._info import finfo, iinfo
from .tensor import Tensor, Size
from .sparse import layout, strided, sparse_coo, sparse_coo_tensor  # noqa: F401
from . import autograd, cuda, ops
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .autograd import (is_inference_mode_enabled, is_anomaly_enabled,  # noqa: F401
                       is_anomaly_check_nan_enabled, set_anomaly_enabled)
from ._tensor_str import set_printoptions, get_printoptions
from ._generator import Generator, default_generator
from . import random  # noqa: E402  (torch.random)
from .random import (manual_seed, seed, initial_seed, get_rng_state, set_rng_state,  # noqa
                     fork_rng)
from .serialization import save, load
from ._settings import *  # noqa: F401,F403  (compile, set_default_device ...)
from . import linalg, nn, optim, utils  # noqa: E402  (they use the namespace above)
from . import distributions  # noqa: E402  (it uses nn.functional)
from . import special  # noqa: E402,F811  (torch.special; after distributions)
from . import return_types  # noqa: E402
from . import amp  # noqa: E402  (torch.amp: autocast, GradScaler)
from . import distributed  # noqa: E402  (torch.distributed: MPI / NCCL; mpi4py loads lazily)
from . import backends, func, multiprocessing, profiler, testing, types  # noqa: E402,F401
from .func import vmap  # noqa: E402  (torch.vmap)
globals().update(amp.autocast_mode.TORCH_FUNCTIONS)  # torch.autocast, is_autocast_enabled ...
from .amp.grad_scaler import (_amp_foreach_non_finite_check_and_unscale_,  # noqa: E402,F401
                              _amp_update_scale_)
from .amp._deprecated import cuda_amp as _cuda_amp, cpu_amp as _cpu_amp  # noqa: E402
cuda.amp = _cuda_amp  # torch.cuda.amp, deprecated (bound: cuda sits below amp)
from ._graphed_callables import make_graphed_callables as _mgc  # noqa: E402
cuda.make_graphed_callables = _mgc  # (bound: it needs nn and autograd, above cuda)
from . import cpu  # noqa: E402  (torch.cpu)
cpu.amp = _cpu_amp  # torch.cpu.amp, deprecated (bound: cpu sits below amp)

__version__ = "0.1.0"

pi, e, inf, nan, newaxis = _math.pi, _math.e, _math.inf, _math.nan, None

# NumPy reports floating-point errors (x / 0, log(0), sqrt's gradient at 0, nan to int) as
# RuntimeWarnings from the module that called it; PyTorch computes the same inf and nan
# silently, and so do gradcore's own modules.  NumPy calls in user code still warn.
_warnings.filterwarnings("ignore", r"(divide by zero|invalid value|overflow|underflow) "
                         "encountered", RuntimeWarning, r"gradcore(\.|$)")

globals().update(ops.FUNCTIONS)
from .legacy import *  # noqa: E402,F401,F403  (FloatTensor ..., asarray, range)
globals().update(ops.out.wrap_namespace(dict(linalg.TORCH_FUNCTIONS)))  # det, logdet, slogdet
globals().update(ops.out.wrap_namespace(dict(special.TORCH_FUNCTIONS)))  # mvlgamma, igamma


def is_tensor(obj):
    """is_tensor(obj) -> bool

    True when ``obj`` is a gradcore Tensor (or a subclass, such as nn.Parameter)."""
    return isinstance(obj, Tensor)


def numel(input):
    """numel(input) -> int

    The number of elements of tensor ``input`` (the product of its sizes)."""
    return input.numel()


def result_type(tensor1, tensor2):
    """result_type(tensor1, tensor2) -> dtype

    The dtype an arithmetic op on the two operands (tensors or Python numbers) would give,
    by PyTorch's promotion: a 0-d tensor or a number only raises the category (bool < int <
    float), so ``result_type(float32_tensor, 1.0)`` is float32."""
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_, to):
    """can_cast(from_, to) -> bool

    Whether dtype ``from_`` may be cast to ``to`` under PyTorch's casting rule: the category
    (bool < integer < floating) must not go down, so float -> int is False, int -> float
    True; sizes don't matter (int64 -> uint8 is True)."""
    return from_._cat <= to._cat


def is_floating_point(input):
    """is_floating_point(input) -> bool

    True when tensor ``input`` has a floating-point dtype (float16, bfloat16, float32,
    float64)."""
    return input.is_floating_point()


_threads = [_os.cpu_count() or 1]


def set_num_threads(int):  # noqa: A002  (PyTorch's argument name)
    """set_num_threads(int) -> None

    The number of threads gradcore's CPU ops may use: its BLAS's thread pool, set through
    threadpoolctl when that is installed (gradcore's other CPU work is single-threaded)."""
    if not isinstance(int, _int) or int <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads[0] = int
    try:
        import threadpoolctl
    except ImportError:
        return
    threadpoolctl.threadpool_limits(int, user_api="blas")


def get_num_threads():
    """get_num_threads() -> int

    The thread count set_num_threads last set (at start: the machine's CPU count)."""
    return _threads[0]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """use_deterministic_algorithms(mode, *, warn_only=False) -> None

    Ask for deterministic algorithms only.  gradcore's CPU ops are deterministic and its CUDA
    backward reductions sum in a fixed order without atomics; on CUDA, index_add_ and
    scatter_add (cupyx.scatter_add) use atomics.  Nothing warns or refuses yet; as PyTorch,
    empty, empty_like, new_empty and empty_strided fill their result with NaN (an integer
    dtype's largest value) while utils.deterministic.fill_uninitialized_memory is True."""
    _deterministic.state.update(mode=_bool(mode), warn_only=_bool(warn_only))


def are_deterministic_algorithms_enabled():
    """are_deterministic_algorithms_enabled() -> bool

    What use_deterministic_algorithms last set."""
    return _deterministic.state["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    """is_deterministic_algorithms_warn_only_enabled() -> bool

    The warn_only of use_deterministic_algorithms' last call."""
    return _deterministic.state["warn_only"]
