"""gradcore.func: torch.func -- vmap (_vmap.py: one call per batch element, stacked),
grad, grad_and_value, vjp, jacrev, jacfwd, hessian (_transforms.py: over gradcore's
reverse-mode autograd) and functional_call (_functional_call.py); _pytree.py walks the
nested tuples, lists and dicts they take and return."""
from ._functional_call import functional_call  # noqa: F401
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, vjp  # noqa: F401
from ._vmap import vmap  # noqa: F401

__all__ = ["vmap", "grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian",
           "functional_call"]
