"""grad, grad_and_value, vjp, jacrev, jacfwd, hessian: torch.func's function transforms,
built on gradcore's reverse-mode autograd (``autograd.grad``).

Each transform tracks fresh aliases of the inputs it differentiates and calls ``func``; inside
another transform (or when an input already requires grad) the graph of the result is kept,
so transforms nest (``grad(grad(f))``, ``jacfwd(jacrev(f))``) and compose with vmap.
jacfwd computes the same Jacobian by reverse mode (gradcore has no forward-mode AD).
"""
import functools

from ..autograd.engine import grad as _autograd_grad
from ..autograd.grad_mode import enable_grad
from ..ops.factories import zeros_like
from ..ops.join import stack
from ..tensor import Tensor
from . import _pytree

_depth = [0]  # how many transforms' functions are running now


def _check_argnums(argnums, nargs):
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        nums = (argnums,)
    elif isinstance(argnums, tuple) and all(isinstance(a, int) for a in argnums):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
        nums = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for a in nums:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")
    return tuple(a % nargs for a in nums)


def _track(x):
    """A differentiable alias of ``x``: connected to x's graph when x requires grad."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


class _Tracked:
    """The positional args with those at ``argnums`` replaced by tracked aliases."""

    def __init__(self, args, argnums):
        self.args = list(args)
        self.keep_graph = _depth[0] > 0
        self.specs, self.inputs = [], []
        for a in argnums:
            flat, spec = _pytree.flatten(self.args[a])
            self.keep_graph = self.keep_graph or any(
                isinstance(x, Tensor) and x.requires_grad for x in flat)
            tracked = [_track(x) for x in flat]
            self.args[a] = _pytree.unflatten(tracked, spec)
            self.specs.append(spec)
            self.inputs.append(tracked)

    def call(self, func, kwargs):
        _depth[0] += 1
        try:
            with enable_grad():
                return func(*self.args, **kwargs)
        finally:
            _depth[0] -= 1

    def grads(self, outputs, grad_outputs):
        """Gradients of ``outputs`` (with ``grad_outputs``) w.r.t. every tracked input, zeros
        where one is unused; a list (per argnum) of flat lists."""
        flat_in = [x for group in self.inputs for x in group]
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
        if pairs:
            got = _autograd_grad([o for o, _ in pairs], flat_in, [g for _, g in pairs],
                                 retain_graph=True, create_graph=self.keep_graph,
                                 allow_unused=True)
        else:
            got = [None] * len(flat_in)
        got = [zeros_like(x) if g is None else g for g, x in zip(got, flat_in)]
        out, k = [], 0
        for group in self.inputs:
            out.append(got[k:k + len(group)])
            k += len(group)
        return out

    def finish(self, tree):
        """``tree`` with its tensors detached unless the graph is kept."""
        if self.keep_graph:
            return tree
        flat, spec = _pytree.flatten(tree)
        return _pytree.unflatten([x.detach() if isinstance(x, Tensor) else x for x in flat],
                                 spec)


def _split_aux(out, has_aux, api):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}(f)(*args): output of function f should be a tuple: "
                           "(output, aux) if has_aux is True")
    return out


def grad_and_value(func, argnums=0, has_aux=False):
    """grad_and_value(func, argnums=0, has_aux=False) -> function

    ``f(*args) -> ((gradient, value)`` : the gradient of ``func``'s scalar output w.r.t. the
    positional argument(s) ``argnums`` (an int or a tuple of ints; each a tensor or a nested
    tuple/list/dict of them) and the output itself; with has_aux, ``func`` returns (output,
    aux) and this returns ((gradient, (value, aux)))."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args))
        tracked = _Tracked(args, nums)
        out, aux = _split_aux(tracked.call(func, kwargs), has_aux, "grad_and_value")
        if not isinstance(out, Tensor):
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                               f"Tensor, got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                               f"Tensor, got tensor with {out.dim()} dims. Maybe you wanted to "
                               "use the vjp or jacrev APIs instead?")
        grads = [_pytree.unflatten(g, spec) for g, spec in
                 zip(tracked.grads([out], [None]), tracked.specs)]
        g = grads[0] if isinstance(argnums, int) else tuple(grads)
        value = tracked.finish(out)
        return (g, (value, tracked.finish(aux))) if has_aux else (g, value)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """grad(func, argnums=0, has_aux=False) -> function

    ``f(*args) -> gradient`` of ``func``'s scalar output w.r.t. the positional argument(s)
    ``argnums``; with has_aux, ``func`` returns (output, aux) and this returns (gradient,
    aux).  Composes: ``grad(grad(f))``, ``vmap(grad(f))``.

        gradcore.func.grad(lambda x: (x ** 3).sum())(x)      # 3 * x ** 2
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """vjp(func, *primals, has_aux=False) -> (output, vjp_fn) or (output, vjp_fn, aux)

    ``func(*primals)`` and a function ``vjp_fn(cotangents)`` returning the vector-Jacobian
    products (a tuple, one per primal) for ``cotangents`` shaped like the output."""
    tracked = _Tracked(primals, tuple(range(len(primals))))
    out, aux = _split_aux(tracked.call(func, {}), has_aux, "vjp")
    flat_out, out_spec = _pytree.flatten(out)
    for o in flat_out:
        if not isinstance(o, Tensor):
            raise RuntimeError("vjp(f, *primals): Expected f(*primals) to return only "
                               f"tensors, got unsupported type {type(o)}")

    def vjp_fn(cotangents):
        """vjp_fn(cotangents) -> tuple: one vector-Jacobian product per primal."""
        flat_cot, cot_spec = _pytree.flatten(cotangents)
        if len(flat_cot) != len(flat_out):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function. cotangents: "
                               f"{_pytree.describe(cot_spec)}, primal output: "
                               f"{_pytree.describe(out_spec)}")
        grads = tracked.grads(flat_out, flat_cot)
        return tuple(_pytree.unflatten(g, spec) for g, spec in zip(grads, tracked.specs))

    result = (tracked.finish(out), vjp_fn)
    return result + (tracked.finish(aux),) if has_aux else result


def _jacobian(func, argnums, has_aux, api):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _check_argnums(argnums, len(args))
        tracked = _Tracked(args, nums)
        out, aux = _split_aux(tracked.call(func, kwargs), has_aux, api)
        flat_out, out_spec = _pytree.flatten(out)
        leaves = []
        for o in flat_out:
            if not isinstance(o, Tensor):
                raise RuntimeError(f"{api}(f, ...)(*args): Expected f(*args) to return only "
                                   f"tensors, got unsupported type {type(o)}")
            rows = []
            for k in range(o.numel()):
                basis = zeros_like(o).flatten()
                basis[k] = 1
                rows.append(tracked.grads([o], [basis.reshape(o.shape)]))
            per_arg = []
            for a, spec in enumerate(tracked.specs):
                jac = []
                for i, x in enumerate(tracked.inputs[a]):
                    col = (stack([r[a][i] for r in rows]) if rows
                           else zeros_like(x).reshape((0, *x.shape)))
                    jac.append(col.reshape((*o.shape, *x.shape)))
                per_arg.append(_pytree.unflatten(jac, spec))
            leaves.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
        jac = tracked.finish(_pytree.unflatten(leaves, out_spec))
        return (jac, tracked.finish(aux)) if has_aux else jac
    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """jacrev(func, argnums=0, *, has_aux=False, chunk_size=None) -> function

    ``f(*args) -> Jacobian`` of ``func`` w.r.t. the argument(s) ``argnums`` by reverse mode,
    one vector-Jacobian product per output element: for an output of shape O and an input of
    shape I, a tensor of shape O + I (nested like the output, then like the argnums)."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, "jacrev")


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """jacfwd(func, argnums=0, has_aux=False, *, randomness='error') -> function

    The Jacobian of ``func`` w.r.t. ``argnums``, shaped as jacrev's.  gradcore has no
    forward-mode AD: this computes it by reverse mode (same values, not forward-mode's cost)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    return _jacobian(func, argnums, has_aux, "jacfwd")


def hessian(func, argnums=0):
    """hessian(func, argnums=0) -> function: ``jacfwd(jacrev(func, argnums), argnums)``, the
    second derivatives of ``func``'s scalar output w.r.t. ``argnums``."""
    return jacfwd(jacrev(func, argnums), argnums)
