"""A GEMM's bias + activation epilogue, y = act(x @ W^T + b), as registered kernels: the
NumPy references of kernels/bias_act.cu (launch planning: backend/bias_act_launch.py).

On CUDA ``be.bias_act_forward(x, b, act)`` adds the bias and applies the activation (none,
relu, gelu, gelu_tanh) in one pass after the matmul, keeping what the backward needs (the
output for relu, the pre-activation for gelu); ``be.bias_act_backward(gy, s, act)`` gives
the gradient through the activation and the bias gradient (its column sums) in one read of
gy.  On NumPy both are these references.  They are backend methods (every registered kernel
is), for the layers that compute linear + bias + activation to call.
"""
from .. import _dtype
from ..backend.kernels import kernel
from .activation import _gelu, gelu_backward
from .elementwise import relu_backward

ACTIVATIONS = ("none", "relu", "gelu", "gelu_tanh")


@kernel("bias_act", dtypes="efdE")
def bias_act_forward(F, x, b, act):
    """(y, pre) for a GEMM output x (rows, cols) and bias b (cols,): pre = x + b (in x's
    dtype; the CUDA kernel writes it into x, which the caller hands over), y = act(pre)."""
    pre = x + b
    if act == "relu":
        y = F.maximum(pre, 0)  # NaN passes, as PyTorch's relu
    elif act in ("gelu", "gelu_tanh"):
        y = _gelu(F, pre, "tanh" if act == "gelu_tanh" else "none")
    elif act == "none":
        y = pre
    else:
        raise ValueError(f"unknown activation {act!r} (one of {', '.join(ACTIVATIONS)})")
    return y, pre


@kernel("bias_act", dtypes="efdE", quiet=True)
def bias_act_backward(F, gy, s, act):
    """(gx, gb): gy through the activation's derivative at s (relu: its output y, as
    PyTorch's threshold_backward; gelu: the pre-activation; none: s is None) and the bias
    gradient gx.sum(0), accumulated in float32 for float16."""
    if act == "relu":
        gx = relu_backward.reference(F, s, gy)
    elif act in ("gelu", "gelu_tanh"):
        gx = gelu_backward.reference(F, s, gy, "tanh" if act == "gelu_tanh" else "none")
    elif act == "none":
        gx = gy
    else:
        raise ValueError(f"unknown activation {act!r} (one of {', '.join(ACTIVATIONS)})")
    return gx, _dtype.in_opmath(lambda xp, g: g.sum(axis=0), F, gx)


METHODS = {}
FUNCTIONS = {}
