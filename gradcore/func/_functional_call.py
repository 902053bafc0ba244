"""functional_call: call a module with some of its parameters and buffers replaced by given
tensors, restoring the originals afterwards (also when the call raises), as
torch.func.functional_call."""
import contextlib


def _split(module, name):
    *path, leaf = name.split(".")
    for part in path:
        module = getattr(module, part)
    return module, leaf


def _swap(module, name, value):
    """Put ``value`` at ``name`` (dotted); return how to undo it."""
    owner, leaf = _split(module, name)
    for table in ("_parameters", "_buffers"):
        d = owner.__dict__.get(table)
        if d is not None and leaf in d:
            old = d[leaf]
            d[leaf] = value
            return lambda: d.__setitem__(leaf, old)
    missing = object()
    old = owner.__dict__.get(leaf, missing)
    object.__setattr__(owner, leaf, value)
    return (lambda: owner.__dict__.pop(leaf, None)) if old is missing else (
        lambda: object.__setattr__(owner, leaf, old))


def _untie(module, given):
    """``given`` with the names tied to a given one (the same tensor registered twice) added,
    as PyTorch's tie_weights=True; ValueError when tied names get different values."""
    names_of = {}
    for name, t in [*module.named_parameters(remove_duplicate=False),
                    *module.named_buffers(remove_duplicate=False)]:
        names_of.setdefault(id(t), set()).add(name)
    tied = {n: names for names in names_of.values() if len(names) > 1 for n in names}
    out = dict(given)
    for name in [n for n in given if n in tied]:
        group = tied[name]
        values = {id(given[n]) for n in group if n in given}
        if len(group & set(given)) > 1 and len(values) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, "
                             "which are tied. Consider using tie_weights=False")
        for n in group:
            out[n] = given[name]
    return out


@contextlib.contextmanager
def _reparametrize(module, tensors, tie_weights, strict):
    if tie_weights:
        tensors = _untie(module, tensors)
    if strict:
        known = [n for n, _ in [*module.named_parameters(remove_duplicate=False),
                                *module.named_buffers(remove_duplicate=False)]]
        unexpected = sorted(set(tensors) - set(known))
        missing = sorted(set(known) - set(tensors))
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(msgs))
    undo = []
    try:
        for name, value in tensors.items():
            undo.append(_swap(module, name, value))
        yield
    finally:
        for u in reversed(undo):
            u()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
    tie_weights=True, strict=False) -> module(*args, **kwargs)

    Call ``module`` with the parameters and buffers named in ``parameter_and_buffer_dicts``
    (a dict name -> tensor, or a tuple/list of such dicts with distinct keys) in place of
    its own, and put its own back afterwards, also when the call raises.  ``args`` that is
    not a tuple is the single positional argument.  tie_weights: a value given for one of
    several names of one tensor goes to all of them; strict: the names must be exactly the
    module's parameters and buffers.  With grad/vmap this makes a model a function of its
    weights:

        params = {k: v.detach() for k, v in model.named_parameters()}
        grads = gradcore.func.grad(lambda p, x: functional_call(model, p, (x,)).sum())(params, x)
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        tensors = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(parameter_and_buffer_dicts)}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, tensors, tie_weights, strict):
        return module(*args, **kwargs)
