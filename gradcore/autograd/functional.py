"""gradcore.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp of a function.

A port of torch.autograd.functional over reverse mode: jvp and hvp use the double-backward
trick (the backward is linear in its grad_outputs, so differentiating it again w.r.t. them
gives the forward-mode product); ``vectorize=True`` computes the jacobian from one batched
``autograd.grad`` (is_grads_batched) instead of vmap; ``strategy="forward-mode"`` gives the
same jacobian, computed in reverse mode (gradcore has no forward-mode AD).
"""
from ..ops.factories import eye, zeros_like
from ..ops.join import stack
from ..tensor import Tensor
from .engine import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled


def _as_tuple(inp, arg_name, fn_name):
    """(was it a tuple, the tuple of Tensors), with PyTorch's TypeError for anything else."""
    is_tuple = isinstance(inp, tuple)
    inp = inp if is_tuple else (inp,)
    for i, el in enumerate(inp):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the {where} has type {type(el)}.")
    return is_tuple, inp


def _tuple_postprocess(res, to_unpack):
    """Undo _as_tuple: ``to_unpack`` is one flag or (outer, inner) flags for nested tuples."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    """New tensor objects for the inputs (so the function's own captures of them are told
    apart): differentiable views with create_graph, else detached copies."""
    return tuple(inp.view_as(inp) if create_graph and inp.requires_grad
                 else inp.detach().requires_grad_(need_graph) for inp in inputs)


def _grad_postprocess(inputs, create_graph):
    """Detach results (nested tuples too) unless create_graph."""
    if isinstance(inputs[0], Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but "
                               f"got {el_v.size()}.")


def _prepare_v(v, like, is_like_tuple, fn_name, create_graph, none_msg):
    """``v`` as a tuple checked against ``like``; None only when ``like`` is one number."""
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, like, is_like_tuple)
        return v
    if len(like) != 1 or like[0].nelement() != 1:
        raise RuntimeError(none_msg)
    return None


_V_NONE_OUT = ("The vector v can only be None if the user-provided function returns a single "
               "Tensor with a single element.")
_V_NONE_IN = ("The vector v can only be None if the input to the user-provided function is a "
              "single Tensor with a single element.")

_NOT_DIFFERENTIABLE = {
    "hessian": ("The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided "
                 "function with respect to input {i} is independent of the input. This is not "
                 "allowed in strict mode. You should ensure that your function is twice "
                 "differentiable and that the jacobian depends on the inputs (this would be "
                 "violated by a linear function for example)."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode."),
    "outputs": ("Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode."),
}


def _check_requires_grad(inputs, input_type, strict):
    """strict mode: every one of ``inputs`` must exist and require grad."""
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not inp.requires_grad:
            raise RuntimeError(_NOT_DIFFERENTIABLE[input_type].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None,
                   is_grads_batched=False):
    """autograd.grad over the outputs that require grad (None for every input if none does);
    unused inputs give None."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad([o for o, _ in pairs], inputs, [g for _, g in pairs], allow_unused=True,
                 create_graph=create_graph, retain_graph=retain_graph,
                 is_grads_batched=is_grads_batched)


_ZERO_STRICT = {
    "back": ("The output of the user-provided function is independent of input {i}. This is "
             "not allowed in strict mode."),
    "back_trick": ("The gradient with respect to the input is independent of entry {i} in the "
                   "grad_outputs when using the double backward trick to compute forward mode "
                   "gradients. This is not allowed in strict mode."),
    "double_back": ("The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode."),
    "double_back_trick": ("The hessian of the user-provided function is independent of entry "
                          "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                          "prevents from using the double backward trick to replace forward "
                          "mode AD."),
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """None gradients as zeros like ``refs`` (strict: PyTorch's error for the stage)."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_STRICT[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        res.append(g)
    return tuple(res)


def _single_output(out, fn_name):
    is_tuple, t_out = out
    if is_tuple or not isinstance(t_out[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if t_out[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")


def _finish(outputs, is_outputs_tuple, res, is_res_tuple, create_graph):
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_grad_postprocess(res, create_graph), is_res_tuple))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """vjp(func, inputs, v=None, create_graph=False, strict=False) -> (outputs, vjp)

    The outputs of ``func(*inputs)`` and the vector-Jacobian product ``v^T J`` (one tensor per
    input, as inputs is a tensor or a tuple).  ``v`` may be omitted when func returns one
    number; strict raises when an output does not depend on an input."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs),
                                              "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        v = _prepare_v(v, outputs, is_outputs_tuple, "vjp", create_graph, _V_NONE_OUT)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    return _finish(outputs, is_outputs_tuple, res, is_inputs_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """jvp(func, inputs, v=None, create_graph=False, strict=False) -> (outputs, jvp)

    The outputs of ``func(*inputs)`` and the Jacobian-vector product ``J v`` (one tensor per
    output), by the double-backward trick.  ``v`` may be omitted when the input is one
    number."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, "jvp", create_graph, _V_NONE_IN)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs),
                                              "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # the backward is linear in grad_outputs: their value does not matter (0, not nan)
        grad_outputs = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    return _finish(outputs, is_outputs_tuple, res, is_outputs_tuple, create_graph)


def _basis_for(tensors, numels):
    """The identity of size sum(numels), its columns split into one chunk per tensor (each
    in that tensor's dtype and device)."""
    total, start, chunks = sum(numels), 0, []
    for t, n in zip(tensors, numels):
        chunks.append(eye(total, dtype=t.dtype, device=t.device)[:, start:start + n])
        start += n
    return tuple(chunks)


def _jacobian_vectorized(outputs, inputs, create_graph):
    """Every row of every output's Jacobian from one batched autograd.grad."""
    output_numels = tuple(out.numel() for out in outputs)
    grad_outputs = _basis_for(outputs, output_numels)
    flat_outputs = tuple(out.reshape(-1) for out in outputs)
    vj = list(_autograd_grad(flat_outputs, inputs, grad_outputs, create_graph=create_graph,
                             is_grads_batched=True))
    for k, el in enumerate(vj):
        if el is None:
            vj[k] = zeros_like(inputs[k]).expand((sum(output_numels),) + inputs[k].shape)
    per_input = [[jac.reshape(out.shape + inp.shape)
                  for jac, out in zip(jac_i.split(output_numels, dim=0), outputs)]
                 for jac_i, inp in zip(vj, inputs)]
    return tuple(zip(*per_input))


def _jacobian_rows(outputs, inputs, create_graph, strict):
    """The Jacobian row by row: one autograd.grad per output element."""
    jacobian = []
    for i, out in enumerate(outputs):
        rows = tuple([] for _ in inputs)
        flat = out.reshape(-1)
        for j in range(out.nelement()):
            vj = _autograd_grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
            for k, (row, el, inp) in enumerate(zip(rows, vj, inputs)):
                if el is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is "
                                           f"independent of input {k}. This is not allowed in "
                                           "strict mode.")
                    el = zeros_like(inp)
                elif strict and create_graph and not el.requires_grad:
                    raise RuntimeError("The jacobian of the user-provided function is "
                                       f"independent of input {i}. This is not allowed in "
                                       "strict mode when create_graph=True.")
                row.append(el)
        jacobian.append(tuple(stack(row, dim=0).view(out.size() + inp.size())
                              for row, inp in zip(rows, inputs)))
    return tuple(jacobian)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
        strategy='reverse-mode') -> Tensor or (nested) tuple of Tensors

    The Jacobian of ``func(*inputs)``: for output i and input j a tensor of shape
    ``output_i.shape + input_j.shape``, nested as torch's (a tensor when both are single,
    tuple of tuples when both are tuples).  vectorize computes it in one batched backward;
    strategy='forward-mode' (needs vectorize) gives the same result."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more '
            'performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either '
                'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError(
                'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-'
                'mode"` are not supported together (yet). Please either set `strict=False` '
                'or `strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`.")
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize:
            if strict:
                raise RuntimeError(
                    "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                    "are not supported together. Please either set `strict=False` or "
                    "`vectorize=False`.")
            jac = _grad_postprocess(_jacobian_vectorized(outputs, inputs, create_graph),
                                    create_graph)
            if strategy == "forward-mode":  # PyTorch's forward mode nests lists, not tuples
                jac = [list(row) for row in jac]
            return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))
        jac = _jacobian_rows(outputs, inputs, create_graph, strict)
        return _tuple_postprocess(_grad_postprocess(jac, create_graph),
                                  (is_outputs_tuple, is_inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
        outer_jacobian_strategy='reverse-mode') -> Tensor or tuple of tuples of Tensors

    The Hessian of the scalar function ``func(*inputs)``: for inputs i and j a tensor of
    shape ``input_i.shape + input_j.shape`` (the Jacobian of its Jacobian)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        out = func(*inp)
        t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out[1], "outputs", strict=strict)
        _single_output(t_out, "hessian")
        return out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _scalar_jacobian(func, inputs, v, create_graph, strict, fn_name):
    """What vhp and hvp share: prepared inputs, v, the function's single output and its
    gradient (made differentiable)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    v = _prepare_v(v, inputs, is_inputs_tuple, fn_name, create_graph, _V_NONE_IN)
    out = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_requires_grad(out[1], "outputs", strict=strict)
    _single_output(out, fn_name)
    jac = _autograd_grad(out[1], inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return is_inputs_tuple, inputs, v, out, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """vhp(func, inputs, v=None, create_graph=False, strict=False) -> (output, vhp)

    The output of the scalar function ``func(*inputs)`` and the vector-Hessian product
    ``v^T H`` (one tensor per input)."""
    with enable_grad():
        is_inputs_tuple, inputs, v, (is_out_tuple, outputs), jac = _scalar_jacobian(
            func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    return _finish(outputs, is_out_tuple, res, is_inputs_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """hvp(func, inputs, v=None, create_graph=False, strict=False) -> (output, hvp)

    The output of the scalar function ``func(*inputs)`` and the Hessian-vector product
    ``H v`` (one tensor per input), by the double-backward trick."""
    with enable_grad():
        is_inputs_tuple, inputs, v, (is_out_tuple, outputs), jac = _scalar_jacobian(
            func, inputs, v, create_graph, strict, "hvp")
        grad_jac = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, is_out_tuple, res, is_inputs_tuple, create_graph)
