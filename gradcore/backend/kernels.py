"""The kernel registry: each CUDA kernel gradcore launches, declared once, by its NumPy reference.

A kernel is declared where the op that uses it is declared (ops/*.py): a function
``reference(F, *arrays, *params)`` written in the vocabulary ``F`` (the array module's
functions or the Tensor ops' namespace: ``ops/declare.py``) and operators, decorated with
``@kernel(kind, dtypes)``.  Its name is the name of its functor in the ``.cu`` file of its kind.
The one reference is

- the CPU kernel (``NumpyBackend.launch``: the reference on NumPy arrays),
- the CuPy fallback where the RawKernel declines (a dtype it isn't instantiated for, a layout
  its launcher can't read, parameters it can't take),
- and, run on Tensors, the op's differentiable derivative (double backward needs nothing more).

``k(be, *args)`` runs kernel ``k`` on backend ``be``'s arrays (``be.launch(k, *args)`` on CuPy, the
reference on NumPy).

Kinds: which launcher of backend/cupy_backend.py runs the kernel, in which ``.cu`` file, through
which templates (``{op}``: the functor, ``{T}``: the storage type):

  unary   gx = op(s, gy, p0, p1), s the saved input or output; ``params(*extra)`` maps the
          call's extra arguments to (functor, p0, p1), or None to decline
  binary  (ga, gb) = op(a, b, gy): both gradients in one pass, at the broadcast shape
  pow_tensor, where: one kernel each (pow_tensor_backward(a, b, y, gy), where_backward(cond,
          gy)), no functor
  softmax gx = op(y, gy) along an axis: a warp per row (the axis innermost) or a thread per
          column
  expand  gy broadcast back over a reduction's dims, times ``params(shape, axes)`` (sum: 1,
          mean: 1 / n; None declines)
  extremum  amax/amin's gradient, shared evenly between ties: a warp per reduced row or a
          thread per reduced column
  index_along  max(dim)/min(dim)'s gradient: gy put at each value's index along the dim
  pointwise_loss  gx = op(x, t, gy, reduction[, param]): a loss of x - t, gy per element
          ('none') or one scalar
  nll     nll_loss's input gradient: classes on axis 1, a thread per element
  sgd, adam  an optimizer's update of a parameter and its state, in place (the launcher
          returns True when it ran)
  rnn_cell  a recurrent layer step's pointwise math, one kernel per reference
          (``{name}``: the kernel is named after it): lstm_cell_forward/backward,
          gru_cell_forward/backward, a thread per (batch row, hidden unit)
  multi_tensor  an optimizer's update of many parameters in one launch (``{name}``:
          multi_tensor_sgd, multi_tensor_adam), the reference taking lists of arrays
          (backend/multi_tensor.py packs them into tables of tensors and chunks)
  conv    a convolution's implicit-GEMM kernels (``{name}``: conv_forward, conv_input_grad,
          conv_weight_grad; launch planning in backend/conv_launch.py)
  bias_act  y = act(x + b) after a GEMM and its backward with the bias's column sums
          (``{name}``: bias_act_forward, bias_act_backward; backend/bias_act_launch.py)
"""

import numpy as np

KINDS = {
    "unary": ("elementwise_backward.cu",
              ("unary_backward<{op}, {T}>", "unary_backward_strided<{op}, {T}>")),
    "binary": ("elementwise_backward.cu",
               ("binary_backward<{op}, {T}>", "binary_backward_strided<{op}, {T}>")),
    "pow_tensor": ("elementwise_backward.cu",
                   ("pow_tensor_backward<{T}>", "pow_tensor_backward_strided<{T}>")),
    "where": ("elementwise_backward.cu", ("where_backward<{T}>", "where_backward_strided<{T}>")),
    "softmax": ("reduction_backward.cu", ("softmax_rows<{op}, {T}>", "softmax_cols<{op}, {T}>")),
    "expand": ("reduction_backward.cu", ("expand_scale<{T}>",)),
    "extremum": ("reduction_backward.cu",
                 ("extremum_backward_rows<{T}>", "extremum_backward_cols<{T}>")),
    "index_along": ("reduction_backward.cu", ("index_backward_along<{T}>",)),
    "pointwise_loss": ("loss_backward.cu", ("pointwise_loss_backward<{op}, {T}>",)),
    "nll": ("loss_backward.cu", ("nll_loss_backward<{T}>",)),
    "sgd": ("optimizer.cu", ("sgd_step<{T}>",)),
    "adam": ("optimizer.cu", ("adam_step<{T}>",)),
    "rnn_cell": ("rnn.cu", ("{name}<{T}>",)),
    "multi_tensor": ("multi_tensor.cu", ("{name}<{T}>",)),
    "conv": ("conv.cu", ("{name}<{T}>",)),
    "bias_act": ("bias_act.cu", ("{name}<{T}>",)),
}

REGISTRY = {}
_LISTENERS = []  # called with each kernel registered (numpy_backend binds it as a method)


class Kernel:
    """A registered kernel: ``name``, ``kind``, ``dtypes`` (the NumPy type chars its CUDA
    version is instantiated for: e = float16, f = float32, d = float64, E = bfloat16), ``functors`` (the
    ``.cu`` functors it may launch), ``params`` and its ``reference``."""
    __slots__ = ("name", "kind", "launcher", "dtypes", "functors", "params", "quiet",
                 "reference")

    def __init__(self, reference, kind, dtypes, params, functors, quiet):
        if kind not in KINDS:
            raise ValueError(f"unknown kernel kind {kind!r} (one of {', '.join(KINDS)})")
        self.name = reference.__name__
        self.kind, self.dtypes, self.params, self.quiet = kind, dtypes, params, quiet
        self.launcher = "_launch_" + kind  # the CUDA backend's method for the kind
        templated = "{op}" in KINDS[kind][1][0]  # a kind of many functors, or one kernel
        self.functors = functors or ((self.name,) if templated else ())
        self.reference = reference

    def __call__(self, be, *args):
        """The kernel on backend ``be``'s arrays: launched where ``be`` launches kernels, else
        (NumPy) its reference, called directly."""
        if be.launches_kernels:
            return be.launch(self, *args)
        if self.quiet:
            with np.errstate(all="ignore"):
                return self.reference(be.xp, *args)
        return self.reference(be.xp, *args)

    def __repr__(self):
        return f"<kernel {self.name}: {self.kind}, dtypes {self.dtypes!r}>"


def kernel(kind, dtypes="efd", params=None, functors=None, quiet=False):
    """Register the decorated reference as the kernel of its name (see the module docstring).
    ``quiet``: its reference meets x / 0, log(0) and the like in normal use; on NumPy it runs
    under ``np.errstate(all="ignore")`` (PyTorch computes the same inf and nan silently)."""
    def register(reference):
        k = Kernel(reference, kind, dtypes, params, functors, quiet)
        if k.name in REGISTRY:
            raise ValueError(f"kernel {k.name} is registered twice")
        REGISTRY[k.name] = k
        for listener in _LISTENERS:
            listener(k)
        return k
    return register


def on_register(listener):
    """Call ``listener(k)`` for every kernel registered, now and later."""
    _LISTENERS.append(listener)
    for k in REGISTRY.values():
        listener(k)


def kept_shape(shape, axes):
    """The shape of a reduction over ``axes`` (None: all) of ``shape`` with keepdim: the
    reduced dims kept as size 1 (what a reduction kernel broadcasts its gy from)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def templates():
    """(file, name template with {op} and {name} filled, dtype chars) of every registered
    kernel, each once (kernels of one kind without functors, sum and mean's backward, share a
    template)."""
    out = {}
    for k in REGISTRY.values():
        file, names = KINDS[k.kind]
        for functor in k.functors or (None,):
            for name in names:
                name = name.replace("{name}", k.name)
                key = file, name if functor is None else name.replace("{op}", functor)
                out[key] = "".join(sorted(set(out.get(key, "")) | set(k.dtypes)))
    return [(file, name, chars) for (file, name), chars in out.items()]
