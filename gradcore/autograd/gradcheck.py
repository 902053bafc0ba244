"""gradcheck / gradgradcheck: analytical gradients against central finite differences."""
import numpy as np

from .engine import grad as _grad


class GradcheckError(RuntimeError):
    """GradcheckError(message): the RuntimeError gradcheck and gradgradcheck raise (with
    raise_exception=True) when analytical and numerical gradients disagree.  Example:

        try: gradcheck(f, (x,))
        except GradcheckError as e: print(e)
    """


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_diff(t):
    from ..tensor import Tensor
    return isinstance(t, Tensor) and t.requires_grad


def _outputs(func, inputs):
    from ..tensor import Tensor
    return [o for o in _as_tuple(func(*inputs))
            if isinstance(o, Tensor) and o.is_floating_point()]


def _numerical(func, inputs, j, outputs, eps):
    """d outputs / d inputs[j] by central differences: one (in.numel, out.numel) per output."""
    t = inputs[j]
    be = t._be
    host = be.to_host(t._arr).copy()
    jac = [np.zeros((host.size, o._arr.size)) for o in outputs]
    flat = host.reshape(-1)
    for k in range(host.size):
        orig = flat[k]
        vals = []
        for delta in (eps, -eps):
            flat[k] = orig + delta
            t._arr[...] = be.from_host(host)
            vals.append([be.to_host(o._arr).astype(np.float64).reshape(-1)
                         for o in _outputs(func, inputs)])
        flat[k] = orig
        t._arr[...] = be.from_host(host)
        for i in range(len(outputs)):
            jac[i][k] = (vals[0][i] - vals[1][i]) / (2 * eps)
    return jac


def _analytical(inputs, diff, outputs):
    """Rows of the Jacobian from one backward pass per output element."""
    from ..tensor import _wrap
    jacs = [[np.zeros((inputs[j]._arr.size, o._arr.size)) for o in outputs] for j in diff]
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            continue
        for m in range(o._arr.size):
            onehot = np.zeros(o._arr.size, dtype=o._arr.dtype)
            onehot[m] = 1
            go = _wrap(o._be.from_host(onehot.reshape(o._arr.shape)), o._be)
            grads = _grad(o, [inputs[j] for j in diff], go, retain_graph=True,
                          allow_unused=True)
            for jj, g in enumerate(grads):
                if g is not None:  # a sparse gradient (sparse.py) is compared dense
                    jacs[jj][i][:, m] = g._be.to_host(g.to_dense()._arr).astype(
                        np.float64).reshape(-1)
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, **unused):
    """gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True,
        nondet_tol=0.0) -> bool

    Compare autograd's Jacobian of ``func(*inputs)`` (one backward pass per output element)
    with central finite differences of step ``eps``, for every input tensor that requires
    grad; use float64 inputs.  True when all agree within atol + rtol * |numerical| (and two
    backward runs agree within nondet_tol); else GradcheckError, or False with
    raise_exception=False.  PyTorch's other keyword options are accepted and ignored."""
    inputs = _as_tuple(inputs)
    diff = [j for j, t in enumerate(inputs) if _is_diff(t)]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    outputs = _outputs(func, inputs)
    analytical = _analytical(inputs, diff, outputs)
    again = _analytical(inputs, diff, outputs)
    for jj, j in enumerate(diff):
        numerical = _numerical(func, inputs, j, outputs, eps)
        for i in range(len(outputs)):
            a, n = analytical[jj][i], numerical[i]
            if np.abs(again[jj][i] - a).max(initial=0) > nondet_tol:
                return _fail(raise_exception, f"Backward is not reentrant, i.e., running "
                             f"backward with same input and grad_output multiple times gives "
                             f"different values, although analytical gradient matches numerical "
                             f"gradient.  The tolerance for nondeterminism was {nondet_tol}.")
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                return _fail(raise_exception, f"Jacobian mismatch for output {i} with respect "
                             f"to input {j},\nnumerical:{n}\nanalytical:{a}\n")
    return True


def _fail(raise_exception, msg):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  **unused):
    """gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001,
        gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0) -> bool

    gradcheck of the gradients themselves: the first derivatives of ``func(*inputs)`` against
    ``grad_outputs`` (random normal ones, which require grad, when None) are taken with
    create_graph=True and checked against finite differences, so second derivatives are
    tested.  gen_non_contig_grad_outputs and other PyTorch options are ignored."""
    from ..tensor import _wrap
    inputs = _as_tuple(inputs)
    diff = [j for j, t in enumerate(inputs) if _is_diff(t)]
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_wrap(o._be.from_host(rng.standard_normal(o._arr.shape)
                                              .astype(o._arr.dtype)), o._be).requires_grad_()
                        for o in outputs]
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _outputs(func, ins)
        gs = _grad(outs, [ins[j] for j in diff], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)
