"""Autograd tools, against PyTorch: anomaly detection, inference mode and inference tensors,
post-accumulate-grad hooks, backward(inputs=) with non-leaves, autograd.grad with batched
grad_outputs, and the saved-tensor hooks of autograd.graph (saved_tensors_hooks,
save_on_cpu, disable_saved_tensors_hooks)."""
import importlib
import threading
import warnings

import numpy as np
import pytest

import gradcore
from gradcore import autograd
from gradcore.autograd import function as _function
from gradcore.autograd.function import Node


def _msg(e):
    return str(e).replace("torch.", "T.").replace("gradcore.", "T.")


def _outcome(call):
    """('ok', result) or (exception type name, message) of call()."""
    try:
        return "ok", call()
    except Exception as e:
        return type(e).__name__, _msg(e)


# ---- anomaly detection -------------------------------------------------------------------

def _anomaly(lib):
    a = lib.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            z = a.sqrt() * 0 / a.sqrt()
            err = _outcome(lambda: z.sum().backward())
    return err, [(r.category, str(r.message).split(". ")[0]) for r in rec], rec


def test_anomaly_nan_error_and_forward_traceback(torch):
    ours, our_warnings, rec = _anomaly(gradcore)
    theirs, their_warnings, _ = _anomaly(torch)
    assert ours == theirs == ("RuntimeError",
                              "Function 'DivBackward0' returned nan values in its 1th output.")
    assert our_warnings == their_warnings  # "Anomaly Detection has been enabled", the error's
    trace = str(rec[-1].message)
    assert "Traceback of forward call that caused the error" in trace
    assert __file__ in trace and "z = a.sqrt() * 0 / a.sqrt()" in trace
    assert "gradcore" + "/" + "ops" not in trace  # the op's own frames are left out


def test_anomaly_without_check_nan_and_is_enabled(torch):
    for lib, enabled in ((gradcore, autograd.is_anomaly_enabled),
                         (torch, torch.is_anomaly_enabled)):
        a = lib.tensor([0.0, 1.0], requires_grad=True)
        assert not enabled()
        with lib.autograd.set_detect_anomaly(True, check_nan=False):
            assert enabled()
            (a.sqrt() * 0 / a.sqrt()).sum().backward()
        assert not enabled() and np.isnan(a.grad.numpy()[0])


def test_anomaly_error_in_a_custom_backward_warns_its_forward():
    class Boom(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")
    a = gradcore.ones(2, requires_grad=True)
    out = Boom.apply(a).sum()  # made outside anomaly mode: no forward information
    with autograd.set_detect_anomaly(True):
        with pytest.warns(UserWarning, match="Error detected in BoomBackward. No forward pass "
                                             "information available"):
            with pytest.raises(ValueError, match="boom"):
                out.backward()
        with pytest.warns(UserWarning, match="Traceback of forward call"):
            with pytest.raises(ValueError, match="boom"):
                Boom.apply(a).sum().backward()


def test_anomaly_decorator_and_no_cost_when_off():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        @autograd.detect_anomaly()
        def run():
            assert autograd.is_anomaly_enabled()
            return gradcore.ones(1, requires_grad=True).exp()
    y = run()
    assert "_anomaly_trace" in y.grad_fn.__dict__
    assert not autograd.is_anomaly_enabled() and "__init__" not in Node.__dict__
    assert "_anomaly_trace" not in gradcore.ones(1, requires_grad=True).exp().grad_fn.__dict__


# ---- inference mode ----------------------------------------------------------------------

INFERENCE_CASES = {
    "mul": lambda x, w: x * w,
    "rmul": lambda x, w: w * x,
    "div": lambda x, w: w.exp() / x,
    "add": lambda x, w: (x + w).sum().item(),
    "inplace": lambda x, w: x.add_(1),
    "version": lambda x, w: x._version,
    "clone_is_normal": lambda x, w: (x.clone() * w).sum().item(),
    "no_grad_is_fine": lambda x, w: (x * w.detach()).sum().item(),
}


def _inference(lib, case):
    with lib.inference_mode():
        x = lib.ones(3)
    w = lib.ones(3, requires_grad=True)
    return _outcome(lambda: INFERENCE_CASES[case](x, w))


@pytest.mark.parametrize("case", sorted(INFERENCE_CASES))
def test_inference_tensors_outside_inference_mode(torch, case):
    ours, theirs = _inference(gradcore, case), _inference(torch, case)
    assert ours == theirs


def test_which_tensors_are_inference_tensors(torch):
    def run(lib, enabled):
        out = []
        z = lib.ones(3, requires_grad=True).clone()
        with lib.inference_mode():
            x = lib.ones(3)
            out += [enabled(), lib.is_grad_enabled(), x.is_inference(), (x * 2).is_inference(),
                    z.view(3).is_inference(), (z * 2).is_inference()]
            x.add_(1)  # in place inside inference mode is allowed
            with lib.inference_mode(False):
                out += [enabled(), lib.is_grad_enabled(), lib.ones(1).is_inference()]
        out += [enabled(), x.is_inference(), x.view(3).is_inference(), x.detach().is_inference(),
                x.clone().is_inference(), lib.ones(1).is_inference(), x.tolist()]
        out.append(lib.inference_mode()(lambda: lib.ones(1).is_inference())())
        return out
    assert (run(gradcore, autograd.is_inference_mode_enabled)
            == run(torch, torch.is_inference_mode_enabled))


def test_inference_mode_is_per_thread():
    seen = []
    inside, done = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen.append((autograd.is_inference_mode_enabled(), gradcore.ones(1).is_inference()))
        done.set()
    t = threading.Thread(target=other)
    t.start()
    with gradcore.inference_mode():
        inside.set()
        done.wait()
    t.join()
    assert seen == [(False, False)]


# ---- post-accumulate-grad hooks, backward(inputs=), batched grad -------------------------

def _post_hooks(lib):
    log = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_post_accumulate_grad_hook(lambda t: log.append(t.grad.tolist()))
    x.register_hook(lambda g: log.append(("pre", g.tolist())))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    lib.autograd.grad((x * 2).sum(), x)  # fills no .grad: no post hook
    (x * 2).sum().backward(inputs=[x])
    h.remove()
    (x * 3).sum().backward()
    log.append(x.grad.tolist())

    def scale(t):
        t.grad.mul_(10)
    y = lib.tensor([1.0, 2.0], requires_grad=True)
    y.register_post_accumulate_grad_hook(scale)
    (y * 2).sum().backward()
    log.append(y.grad.tolist())
    z = lib.tensor([1.0], requires_grad=True)
    z.register_post_accumulate_grad_hook(lambda t: 5)
    log.append(_outcome(lambda: (z * 2).sum().backward()))
    log.append(_outcome(lambda: (x * 2).register_post_accumulate_grad_hook(print)))
    log.append(_outcome(lambda: lib.ones(1).register_post_accumulate_grad_hook(print)))
    return log


def test_post_accumulate_grad_hook(torch):
    assert _post_hooks(gradcore) == _post_hooks(torch)


def _non_leaf_inputs(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    c = (b * b).sum()
    c.backward(inputs=[b], retain_graph=True)
    out = [b.grad.tolist(), a.grad]
    c.backward(inputs=[b, a])
    out += [b.grad.tolist(), a.grad.tolist()]
    d = b.exp()
    (d * a).sum().backward(inputs=[d], create_graph=True)
    out += [d.grad.tolist(), d.grad.requires_grad]
    return out


def test_backward_inputs_non_leaf(torch):
    assert _non_leaf_inputs(gradcore) == _non_leaf_inputs(torch)


def _batched(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(3), requires_grad=True)
    z = lib.tensor(rng.standard_normal(2), requires_grad=True)
    y = x * x.exp()
    eye = lib.tensor(np.eye(3))
    out = [lib.autograd.grad(y, x, eye, is_grads_batched=True, retain_graph=True)[0].tolist()]
    out.append([None if g is None else g.tolist() for g in lib.autograd.grad(
        y, [x, z], eye[:2], is_grads_batched=True, allow_unused=True, retain_graph=True)])
    out.append([g.tolist() for g in lib.autograd.grad(
        y, [x, z], eye, is_grads_batched=True, materialize_grads=True, retain_graph=True)])
    g, = lib.autograd.grad(y, x, eye, is_grads_batched=True, create_graph=True)
    out.append((g.requires_grad, lib.autograd.grad(g.sum(), x)[0].tolist()))
    for go in (None, lib.ones(3), lib.ones(2, 4, dtype=lib.float64)):
        out.append(_outcome(lambda: lib.autograd.grad(x * 2, x, go, is_grads_batched=True)))
    y = x * x
    lib.autograd.grad(y, x, eye, is_grads_batched=True)  # frees the graph, as one backward
    out.append(_outcome(lambda: lib.autograd.grad(y, x, lib.ones(3))[0]))
    return out


def test_grad_is_grads_batched(torch):
    ours, theirs = _batched(gradcore), _batched(torch)
    close = lambda o, t: np.testing.assert_allclose(o, t, rtol=1e-12)  # noqa: E731
    close(ours[0], theirs[0])
    close(ours[1][0], theirs[1][0])  # the unused input: None
    assert ours[1][1] is theirs[1][1] is None
    close(ours[2][0], theirs[2][0])  # ... or zeros with materialize_grads
    assert ours[2][1] == theirs[2][1] == [0.0, 0.0]  # not batched, as PyTorch
    assert ours[3][0] is theirs[3][0] is True  # create_graph: differentiable
    close(ours[3][1], theirs[3][1])
    assert ours[4:6] == theirs[4:6]  # no grad_outputs; a batch of scalars for a vector output
    assert ours[6][0] == theirs[6][0] == "RuntimeError"
    assert "[4]" in ours[6][1]  # gradcore names the per-entry shape (torch shows [] here)
    assert ours[7][0] == theirs[7][0] == "RuntimeError"


# ---- saved-tensor hooks ------------------------------------------------------------------

def _graph(lib):
    return importlib.import_module(lib.__name__ + ".autograd.graph")


def _saved_hooks(lib):
    G = _graph(lib)
    log = []

    def pack(t):
        log.append(("pack", tuple(t.shape), t.requires_grad, lib.is_grad_enabled()))
        return t

    def unpack(t):
        log.append("unpack")
        return t
    a = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with G.saved_tensors_hooks(pack, unpack):
        z = (a.exp() * a).sum()
    n_pack = len(log)
    z.backward()
    out = [sorted(map(str, log[:n_pack])), log[n_pack:], a.grad.tolist()]
    with G.saved_tensors_hooks(lambda t: 1, lambda p: p):
        y = a * a
    out.append(_outcome(lambda: y.sum().backward()))
    a.grad = None
    with G.saved_tensors_hooks(lambda t: t, lambda p: p * 2):
        y = (a * a).sum()
    y.backward()
    out.append(a.grad.tolist())  # the unpacked values are what backward uses
    with G.saved_tensors_hooks(lambda t: t.detach(), lambda p: p):
        y = (a ** 3).sum()
    g, = lib.autograd.grad(y, a, create_graph=True)  # unpacked tensors keep their place
    out += [g.requires_grad, lib.autograd.grad(g.sum(), a)[0].tolist()]

    class Sq(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, go):
            x, = ctx.saved_tensors
            return 2 * go * x
    log.clear()
    with G.saved_tensors_hooks(pack, unpack):
        Sq.apply(a).sum().backward()
        with lib.no_grad():
            a * a
    out.append(log)
    return out


def test_saved_tensors_hooks(torch):
    assert _saved_hooks(gradcore) == _saved_hooks(torch)


def test_saved_tensors_hooks_nest_and_are_per_thread():
    a = gradcore.tensor([1.0, 2.0], requires_grad=True)
    G = autograd.graph
    seen = []
    with G.saved_tensors_hooks(lambda t: seen.append("outer") or t, lambda p: p):
        with G.saved_tensors_hooks(lambda t: seen.append("inner") or t, lambda p: p):
            a.exp()
        a.exp()
        t = threading.Thread(target=lambda: a.exp())
        t.start()
        t.join()
    a.exp()
    assert seen == ["inner", "outer"] and _function._saved_hooks is None


def test_save_on_cpu_and_disable(torch):
    for lib in (gradcore, torch):
        G = _graph(lib)
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with G.save_on_cpu(pin_memory=False):
            y = (a.exp() * a).sum()
        y.backward()
        np.testing.assert_allclose(a.grad.numpy(), np.exp([1.0, 2.0]) * [2.0, 3.0], rtol=1e-6)
    outcomes = []
    for lib in (gradcore, torch):
        G = _graph(lib)

        def enter():
            with G.disable_saved_tensors_hooks("hooks are off"):
                with G.save_on_cpu():
                    pass

        def disable_inside():
            with G.saved_tensors_hooks(lambda t: t, lambda t: t):
                with G.disable_saved_tensors_hooks("no hooks here"):
                    pass
        outcomes.append((_outcome(enter), _outcome(disable_inside)))
    assert outcomes[0] == outcomes[1] == (("RuntimeError", "hooks are off"),
                                          ("RuntimeError", "no hooks here"))


def test_inference_tensor_saved_through_hooks_still_raises(torch):
    results = []
    for lib in (gradcore, torch):
        with lib.inference_mode():
            x = lib.ones(2)
        w = lib.ones(2, requires_grad=True)
        with _graph(lib).saved_tensors_hooks(lambda t: t, lambda t: t):
            results.append(_outcome(lambda: x * w))
    assert results[0] == results[1] and results[0][0] == "RuntimeError"


def _grad_arguments(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    z = lib.tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    out = [_outcome(lambda: lib.autograd.grad(y, [], retain_graph=True)),
           _outcome(lambda: lib.autograd.grad(y, x, materialize_grads=True, allow_unused=False))]
    got = lib.autograd.grad(y, {"x": x, "z": z}, allow_unused=True, retain_graph=True)
    out.append({k: None if v is None else v.tolist() for k, v in got.items()})
    g = lib.autograd.grad(y, [x, z], create_graph=True, materialize_grads=True)
    out.append([(t.tolist(), t.requires_grad) for t in g])
    return out


def test_grad_arguments(torch):
    assert _grad_arguments(gradcore) == _grad_arguments(torch)


def test_an_input_returned_as_is_and_marked_non_differentiable_needs_no_grad(torch):
    for lib in (gradcore, torch):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_non_differentiable(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        y = F.apply(lib.ones(2, requires_grad=True) * 1)
        assert not y.requires_grad and y.grad_fn is None
