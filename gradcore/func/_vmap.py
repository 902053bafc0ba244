"""vmap: ``func`` mapped over a batch dimension of its inputs, by calling it once per batch
element and stacking the results (correct, not fast: one call per element, no batching rules);
PyTorch's argument checks and messages."""
import functools

from .._generator import default_generator
from ..ops.indexing import select
from ..ops.join import stack
from ..tensor import Tensor
from . import _pytree

_RANDOMNESS = ("error", "different", "same")


def _name(func):
    return getattr(func, "__name__", repr(func))


def _check_randomness(randomness):
    if randomness not in _RANDOMNESS:
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _batch_size(func, in_dims, args):
    """Validate in_dims against args; return (flat args, flat in_dims, spec, batch size)."""
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) "
                         "tuple matching the structure of inputs, got: "
                         f"{type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to "
                         "add inputs, or you are trying to vmap over a function with no "
                         "inputs. The latter is unsupported.")
    flat, spec = _pytree.flatten(args)
    dims = _pytree.broadcast_prefix(in_dims if isinstance(in_dims, tuple) else (in_dims,)
                                    * len(args), args)
    if dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of "
                         f"`inputs`. in_dims has structure "
                         f"{_pytree.describe(_pytree.flatten(in_dims)[1])} but inputs has "
                         f"structure {_pytree.describe(spec)}.")
    sizes = []
    for i, (x, d) in enumerate(zip(flat, dims)):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"{where}: Got in_dim={d} for an input but in_dim must be either "
                             "an integer dimension or None.")
        if not isinstance(x, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             f"{type(x)}. We cannot vmap over non-Tensor arguments, please "
                             "use None as the respective in_dim")
        n = x.dim()
        if not -n <= d < n:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a "
                             f"Tensor of dimensionality {n} so expected in_dim to satisfy "
                             f"-{n} <= in_dim < {n}.")
        dims[i] = d % n
        sizes.append(x.shape[dims[i]])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return flat, dims, spec, sizes[0]


def _stack_outputs(func, outs, out_dims, empty=False):
    """Stack the per-element outputs along out_dims (a prefix of the outputs' structure);
    ``empty``: the batch has no elements and ``outs`` is one stand-in call's output."""
    first, spec = _pytree.flatten(outs[0])
    dims = _pytree.broadcast_prefix(out_dims, outs[0])
    if dims is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims "
                         "is not compatible with the structure of `outputs`. out_dims has "
                         f"structure {_pytree.describe(_pytree.flatten(out_dims)[1])} but "
                         f"outputs has structure {_pytree.describe(spec)}.")
    columns = list(zip(*[_pytree.flatten(o)[0] for o in outs]))
    leaves = []
    for column, d in zip(columns, dims):
        if d is None:
            leaves.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                             f"Tensors, got type {type(column[0])}. Did you mean to set "
                             "out_dims= to None for output?")
        if empty:  # a batch of none: the one stand-in call's output, cut to size 0
            leaves.append(column[0].unsqueeze(d).narrow(d, 0, 0))
        else:
            leaves.append(stack(column, dim=d))
    return _pytree.unflatten(leaves, spec)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """vmap(func, in_dims=0, out_dims=0, randomness='error', *, chunk_size=None) -> function

    ``func`` mapped over a dimension of its inputs: ``vmap(f)(x)[i] == f(x[i])``.
    ``in_dims`` gives each positional input's mapped dimension (an int for all, or a tuple
    matching the inputs' structure, None for an input that is not mapped); ``out_dims`` where
    the mapped dimension goes in each output.  Composes with itself and with grad (per-sample
    gradients: ``vmap(grad(loss), in_dims=(None, 0, 0))``).

    Implemented by calling ``func`` once per batch element and stacking the results: correct
    but not fast.  randomness: 'different' lets each element draw its own numbers, 'same'
    restores the default generator's state before each call so all draw the same, and
    'error' (the default) raises if ``func`` drew from the default generator."""
    _check_randomness(randomness)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got "
                         f"{chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        flat, dims, spec, n = _batch_size(func, in_dims, args)
        state = default_generator.get_state() if randomness != "different" else None
        if n == 0:  # call once on zeros shaped like an element, for the outputs' shapes
            stand_in = [x if d is None else select(x.new_zeros(x.shape[:d] + (1,)
                                                               + x.shape[d + 1:]), d, 0)
                        for x, d in zip(flat, dims)]
            return _stack_outputs(func, [func(*_pytree.unflatten(stand_in, spec), **kwargs)],
                                  out_dims, empty=True)
        outs = []
        for i in range(n):
            if randomness == "same":
                default_generator.set_state(state)
            sliced = [x if d is None else select(x, d, i) for x, d in zip(flat, dims)]
            outs.append(func(*_pytree.unflatten(sliced, spec), **kwargs))
            if randomness == "error" and not _same_state(state, default_generator.get_state()):
                raise RuntimeError("vmap: called random operation while in randomness error "
                                   "mode. Please either use the 'same' or 'different' "
                                   "randomness flags on vmap or perform the randomness "
                                   "operation out of vmap")
        return _stack_outputs(func, outs, out_dims)
    return wrapped


def _same_state(a, b):
    return bool((a == b).all().item())
