"""The autograd engine and API: backward, grad, higher order, custom Functions, hooks,
retain_grad, grad modes, version counters, graph freeing, and PyTorch's errors."""
import gc
import threading
import weakref

import numpy as np
import pytest

import gradcore as gc_
from gradcore import autograd


def leaf(*shape, device="cpu", dtype=gc_.float64, seed=0):
    arr = np.random.default_rng(seed).standard_normal(shape)
    return gc_.tensor(arr, dtype=dtype, device=device, requires_grad=True)


# ---- the tutorial's first half ---------------------------------------------------------------

def test_tutorial_first_half(device):
    x = gc_.randn(3, 4, requires_grad=True, device=device)
    b = gc_.randn(3, 4, requires_grad=True, device=device)
    t = x + b
    y = t.sum()
    assert type(y.grad_fn).__name__ == "SumBackward0"
    assert "grad_fn=<SumBackward0>" in repr(y)
    y.backward()
    np.testing.assert_array_equal(b.grad.cpu().numpy(), np.ones((3, 4), np.float32))
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.ones((3, 4), np.float32))
    assert (x.requires_grad, b.requires_grad, t.requires_grad) == (True, True, True)
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert t.grad is None  # not a leaf: no .grad unless retain_grad(), and a warning
    assert x.is_leaf and not t.is_leaf and x.grad_fn is None
    assert t.creator is t.grad_fn  # the tutorial's older name


def test_variable_alias():
    v = autograd.Variable(gc_.ones(2), requires_grad=True)
    assert v.requires_grad and v.is_leaf and v.data.requires_grad is False


def test_grad_fn_names_and_next_functions():
    a, b = leaf(3), leaf(3, seed=1)
    y = (a * b + a).exp().sum()
    assert y.grad_fn.name() == "SumBackward0"
    exp_node, _ = y.grad_fn.next_functions[0]
    assert type(exp_node).__name__ == "ExpBackward0"
    add_node, _ = exp_node.next_functions[0]
    assert type(add_node).__name__ == "AddBackward0"
    names = [type(n).__name__ for n, _ in add_node.next_functions]
    assert names == ["MulBackward0", "AccumulateGrad"]
    acc = add_node.next_functions[1][0]
    assert acc.variable is a
    # a constant operand has no edge
    c = a * gc_.ones(3, dtype=gc_.float64)
    assert c.grad_fn.next_functions[1] == (None, 0)


# ---- backward semantics ----------------------------------------------------------------------

def test_backward_values_against_analytic(device):
    a, b = leaf(3, 4, device=device), leaf(3, 4, device=device, seed=1)
    ((a * b + a).exp().sum()).backward()
    an, bn = a.detach().cpu().numpy(), b.detach().cpu().numpy()
    e = np.exp(an * bn + an)
    np.testing.assert_allclose(a.grad.cpu().numpy(), e * (bn + 1), rtol=1e-12)
    np.testing.assert_allclose(b.grad.cpu().numpy(), e * an, rtol=1e-12)


def test_gradients_accumulate_and_grads_do_not_alias():
    a = leaf(3)
    b = leaf(3, seed=1)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.zero_()  # must not touch b.grad
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3))
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full(3, 2.0))
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full(3, 4.0))


def test_views_of_one_gradient_are_not_shared_between_leaves():
    a, b = leaf(2, 3), leaf(6, seed=1)
    (a.view(6) + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(6))


def test_linear_weight_grad_is_contiguous_without_extra_copies():
    w = leaf(4, 3)
    x = leaf(5, 3, seed=1)
    gradcore_linear = x @ w.t()
    gradcore_linear.sum().backward()
    assert w.grad.is_contiguous()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((5, 4)).T @ x.detach().numpy())


def test_user_gradient_is_not_aliased_into_grad():
    a = leaf(3)
    g = gc_.ones(3, dtype=gc_.float64)
    a.backward(g)
    a.grad.mul_(5)
    np.testing.assert_array_equal(g.numpy(), np.ones(3))


def test_backward_with_gradient_for_non_scalar(device):
    a = leaf(2, 3, device=device)
    g = gc_.tensor([[1., 2., 3.], [4., 5., 6.]], dtype=gc_.float64, device=device)
    (a * 3).backward(g)
    np.testing.assert_array_equal(a.grad.cpu().numpy(), 3 * g.cpu().numpy())


def test_diamond_and_shared_subexpression():
    a = leaf(4)
    h = a * a          # used twice below
    y = (h + h.exp()).sum() + h.sum()
    y.backward()
    an = a.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), 2 * an * (2 + np.exp(an * an)), rtol=1e-12)


def test_broadcasting_gradients_reduce_to_input_shapes():
    a, b = leaf(3, 1), leaf(1, 4, seed=1)
    c = leaf(4, seed=2)
    (a * b + c).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4) and c.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), b.detach().numpy().sum()))
    np.testing.assert_allclose(c.grad.numpy(), np.full(4, 3.0))


def test_backward_inputs_argument_limits_accumulation():
    a, b = leaf(3), leaf(3, seed=1)
    (a * b).sum().backward(inputs=[a])
    assert a.grad is not None and b.grad is None


def test_chain_of_100k_ops_needs_no_recursion():
    x = gc_.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_retain_graph_and_second_backward_error():
    a = leaf(3)
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(a.grad.numpy(), 4 * a.detach().numpy())
    with pytest.raises(RuntimeError, match="a second time"):
        y.backward()


def test_saved_tensors_and_nodes_are_freed_after_backward():
    a = leaf(3)
    b = leaf(3, seed=1)
    h = a * 2                          # saved by the mul below
    y = (h * b).exp().sum()
    h_ref = weakref.ref(h)
    node_ref = weakref.ref(y.grad_fn)
    del h
    gc.disable()
    try:
        assert h_ref() is not None     # alive: saved for backward
        y.backward()
        assert h_ref() is None         # freed as soon as backward ran, without the cycle GC
        del y
        assert node_ref() is None
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_tensors():
    a, b = leaf(3), leaf(3, seed=1)
    h = a * 2
    y = (h * b).sum()
    ref = weakref.ref(h)
    del h
    y.backward(retain_graph=True)
    assert ref() is not None


def test_non_scalar_backward_error():
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (leaf(2, 2) * 2).backward()


def test_gradient_of_wrong_shape_error():
    a = leaf(2, 3)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"gradcore.Size\(\[3\]\) and output\[0\] has a shape "
                                           r"of gradcore.Size\(\[2, 3\]\)"):
        (a * 2).backward(gc_.ones(3, dtype=gc_.float64))


def test_backward_on_tensor_without_grad_error():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        gc_.ones(3).sum().backward()


# ---- autograd.grad and higher order ----------------------------------------------------------

def test_autograd_grad_does_not_touch_dot_grad():
    a, b = leaf(3), leaf(3, seed=1)
    ga, = autograd.grad((a * b).sum(), a)
    np.testing.assert_array_equal(ga.numpy(), b.detach().numpy())
    assert a.grad is None and b.grad is None


def test_autograd_grad_allow_unused_and_materialize():
    a, b = leaf(3), leaf(3, seed=1)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        autograd.grad((a * 2).sum(), [a, b], retain_graph=True)
    ga, gb = autograd.grad((a * 2).sum(), [a, b], allow_unused=True, retain_graph=True)
    assert gb is None
    ga, gb = autograd.grad((a * 2).sum(), [a, b], materialize_grads=True)
    np.testing.assert_array_equal(gb.numpy(), np.zeros(3))


def test_autograd_grad_of_intermediate():
    a = leaf(3)
    h = a.exp()
    y = (h * h).sum()
    gh, = autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * np.exp(a.detach().numpy()))


def test_autograd_grad_input_without_grad_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(leaf(2).sum(), gc_.ones(2))


def test_higher_order_gradients():
    x = gc_.tensor(2.0, dtype=gc_.float64, requires_grad=True)
    y = x ** 4
    g1, = autograd.grad(y, x, create_graph=True)
    g2, = autograd.grad(g1, x, create_graph=True)
    g3, = autograd.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (32.0, 48.0, 48.0)


def test_create_graph_backward_makes_differentiable_grad():
    x = leaf(3)
    (x.sin() * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    xn = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(xn) - xn * np.sin(xn), rtol=1e-12)


def test_gradcheck_and_gradgradcheck_pass_and_fail():
    a, b = leaf(2, 3), leaf(2, 3, seed=1)
    f = lambda a, b: (a * b + a).exp() / (b.sigmoid() + 1) - a.tanh() ** 2  # noqa: E731
    assert autograd.gradcheck(f, (a, b))
    assert autograd.gradgradcheck(f, (a, b))

    class Wrong(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 x g

    with pytest.raises(autograd.GradcheckError, match="Jacobian mismatch"):
        autograd.gradcheck(Wrong.apply, (leaf(3),))
    assert autograd.gradcheck(Wrong.apply, (leaf(3),), raise_exception=False) is False


# ---- custom Functions ------------------------------------------------------------------------

class MyExp(autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        y = x.exp() * scale
        ctx.save_for_backward(y)
        ctx.scale = scale
        return y

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return gy * y, None


def test_custom_function():
    x = leaf(3)
    y = MyExp.apply(x, 2.0)
    assert type(y.grad_fn).__name__ == "MyExpBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()))
    assert autograd.gradcheck(lambda t: MyExp.apply(t, 3.0), (leaf(4),))
    assert autograd.gradgradcheck(lambda t: MyExp.apply(t, 3.0), (leaf(4),))


def test_custom_function_setup_context_and_multiple_outputs():
    class SplitMul(autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k, x * (k + 1)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * ctx.k + g2 * (ctx.k + 1), None

    x = leaf(3)
    u, v = SplitMul.apply(x, 2.0)
    u.sum().backward()  # v gets no gradient: materialized as zeros
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 2.0))


def test_custom_function_wrong_number_or_shape_of_gradients():
    class TooMany(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        TooMany.apply(leaf(3)).sum().backward()

    class BadShape(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return gc_.ones(5, dtype=gc_.float64)

    with pytest.raises(RuntimeError, match=r"BadShapeBackward returned an invalid gradient at "
                                           r"index 0 - got \[5\] but expected shape compatible "
                                           r"with \[3\]"):
        BadShape.apply(leaf(3)).sum().backward()


def test_once_differentiable_blocks_double_backward():
    class Sq(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @autograd.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    x = leaf(3)
    g, = autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
    assert not g.requires_grad


# ---- hooks and retain_grad -------------------------------------------------------------------

def test_tensor_hooks_on_leaf_and_intermediate_with_remove():
    a = leaf(3)
    seen = []
    h1 = a.register_hook(lambda g: g * 10)
    b = a * 2
    h2 = b.register_hook(lambda g: seen.append(g.numpy().copy()))
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full(3, 20.0))
    np.testing.assert_array_equal(seen[0], np.ones(3))
    h1.remove()
    h2.remove()
    a.grad = None
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full(3, 2.0))
    assert len(seen) == 1


def test_hook_on_tensor_without_grad_error():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gc_.ones(2).register_hook(lambda g: g)


def test_retain_grad():
    a = leaf(3)
    b = a * 3
    b.retain_grad()
    c = b * b
    assert b.retains_grad and not c.retains_grad
    c.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), 2 * b.detach().numpy())
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert c.grad is None


def test_node_hooks():
    a = leaf(3)
    y = a * 2
    calls = []
    y.grad_fn.register_prehook(lambda gout: calls.append("pre"))
    y.grad_fn.register_hook(lambda gin, gout: calls.append("post"))
    y.sum().backward()
    assert calls == ["pre", "post"]


# ---- grad modes ------------------------------------------------------------------------------

def test_no_grad_context_and_decorator():
    a = leaf(3)
    with gc_.no_grad():
        assert not gc_.is_grad_enabled()
        y = a * 2
        with gc_.enable_grad():
            z = a * 2
    assert gc_.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None

    @gc_.no_grad()
    def f(t):
        return t * 2

    @gc_.no_grad
    def g(t):
        return t * 2

    assert f(a).grad_fn is None and g(a).grad_fn is None
    assert gc_.is_grad_enabled()


def test_set_grad_enabled_function_and_context():
    a = leaf(3)
    with gc_.set_grad_enabled(False):
        assert (a * 2).grad_fn is None
    assert gc_.is_grad_enabled()
    gc_.set_grad_enabled(False)
    try:
        assert not gc_.is_grad_enabled()
    finally:
        gc_.set_grad_enabled(True)


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["thread"] = gc_.is_grad_enabled()

    with gc_.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert not gc_.is_grad_enabled()
    assert seen["thread"] is True


# ---- in-place ops and version counters -------------------------------------------------------

def test_inplace_on_leaf_requiring_grad_is_refused():
    a = leaf(3)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        a.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable"):
        a += 1
    with gc_.no_grad():
        a.add_(1)  # fine outside grad mode
    assert a._version == 1


def test_saved_tensor_modified_inplace_error():
    a = leaf(3)
    y = a.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    b = a * 1
    c = b * b
    b.mul_(2)
    with pytest.raises(RuntimeError, match=r"is at version 1; expected version 0"):
        c.sum().backward()


def test_inplace_op_gradients_match_out_of_place():
    x, w = leaf(3), leaf(3, seed=1)
    y = x * 1
    y.mul_(w)
    y.add_(w, alpha=2)
    assert type(y.grad_fn).__name__ == "AddBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w.detach().numpy())
    np.testing.assert_allclose(w.grad.numpy(), x.detach().numpy() + 2)


def test_inplace_on_view_rebases_base_history():
    x = leaf(4)
    y = x * 1
    v = y[1:3]
    v.mul_(3)
    assert type(y.grad_fn).__name__ == "CopySlices"
    (y * y.detach()).sum().backward()
    yn = x.detach().numpy().copy()
    yn[1:3] *= 3
    scale = np.array([1., 3., 3., 1.])
    np.testing.assert_allclose(x.grad.numpy(), yn * scale, rtol=1e-12)
    # a view of a view: reshape then slice
    x.grad = None
    z = x * 1
    z.view(2, 2)[1].add_(x[:2] * 2)
    np.testing.assert_allclose(z.detach().numpy()[2:], (x[2:] + 2 * x[:2]).detach().numpy())
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3., 3., 1., 1.])


def test_inplace_on_view_of_leaf_is_refused():
    x = leaf(4)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[1:].mul_(2)


def test_setitem_with_autograd():
    x, w = leaf(4), leaf(2, seed=1)
    y = x * 1
    y[1:3] = w * 2
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1., 0., 0., 1.])
    np.testing.assert_array_equal(w.grad.numpy(), [2., 2.])


def test_inplace_dtype_and_shape_errors():
    i = gc_.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        i.mul_(1.5)
    f = gc_.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the "
                                           r"broadcast shape \[2, 3\]"):
        f.add_(gc_.ones(2, 3))


def test_views_share_version_counter_and_data():
    base = gc_.zeros(2, 3)
    v = base.view(6)
    v.add_(1)
    assert base._version == v._version == 1
    np.testing.assert_array_equal(base.numpy(), np.ones((2, 3)))
    d = base.detach()
    d.add_(1)
    assert base._version == 2


def test_data_is_untracked():
    a = leaf(3)
    y = a * a
    a.data.mul_(0)       # changes through .data are not tracked: no version bump on a
    assert a._version == 0
    y.sum().backward()   # uses the modified values, as PyTorch does
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros(3))


# ---- devices ---------------------------------------------------------------------------------

@pytest.mark.gpu
def test_mixing_devices_error():
    a = gc_.ones(3)
    b = gc_.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but "
                                           "found at least two devices"):
        a + b


def test_to_device_is_differentiable(device):
    a = leaf(3)
    b = a.to(device)
    (b * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full(3, 2.0))
    c = a.float()
    assert type(c.grad_fn).__name__ == "ToCopyBackward0"
    c.sum().backward()
    assert a.grad.dtype is gc_.float64


def test_accumulate_grad_node_is_shared_while_alive_and_held_weakly_by_its_leaf():
    # As PyTorch: the graphs alive at once share a leaf's AccumulateGrad; the node holds the
    # leaf, the leaf holds the node weakly, so graph and node go with the last reference.
    a = leaf(3)
    y1 = a * 2
    acc = y1.grad_fn.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is a
    assert a.exp().grad_fn.next_functions[0][0] is acc
    ref = weakref.ref(acc)
    del y1, acc
    assert ref() is None  # reference counting alone: no cycle


def test_leaf_gradients_arrive_as_soon_as_ready_in_every_step():
    # The engine orders nodes by creation.  A training loop keeps the previous step's graph
    # (its loss) alive while the next forward runs, so the leaves' AccumulateGrad nodes are
    # old; a backward that reaches one that already ran keys it just below its last producer
    # in this graph, so the leaf's gradient still goes into .grad right after the last node
    # that sends it ran (PyTorch's order; a late one would also hold every gradient until the
    # end of backward).
    ws = [gc_.tensor(np.full((4, 4), 0.1), requires_grad=True) for _ in range(3)]
    log = []
    for i, w in enumerate(ws):
        w.register_hook(lambda g, i=i: log.append(f"w{i}"))
    x0 = gc_.ones(2, 4, dtype=gc_.float64)
    loss = None
    for step in range(3):
        log.clear()
        h = x0
        for i, w in enumerate(ws):
            h = (h @ w).tanh()
            h.register_hook(lambda g, i=i: log.append(f"h{i}"))
        loss = h.sum()  # the previous loss (and graph) lived until here
        loss.backward()
        assert log == ["h2", "w2", "h1", "w1", "h0", "w0"], (step, log)


def test_backward_after_the_user_dropped_the_leaf():
    # The graph keeps the leaf alive (its AccumulateGrad holds it): its hooks run and its
    # .grad is filled, reachable through the node, as in PyTorch.
    seen = []

    def make():
        x = gc_.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x.register_hook(lambda g: seen.append(g.tolist()))
        return (x * 2).sum()
    y = make()
    acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
    y.backward()
    assert seen == [[2.0, 2.0, 2.0]]
    assert acc.variable.grad.tolist() == [2.0, 2.0, 2.0]


def test_hooks_on_an_accumulate_grad_node():
    # PyTorch: a pre-hook sees (grad,) and may replace it; a post-hook gets ((), (grad,)).
    a = leaf(3)
    y = (a * 2).sum()
    acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
    seen = []
    acc.register_prehook(lambda gouts: (seen.append(("pre", gouts[0].tolist())),
                                        (gouts[0] * 10,))[1])
    acc.register_hook(lambda gin, gout: seen.append(("post", gin, gout[0].tolist())))
    y.backward()
    assert seen == [("pre", [2.0, 2.0, 2.0]), ("post", (), [20.0, 20.0, 20.0])]
    np.testing.assert_array_equal(a.grad.numpy(), [20.0, 20.0, 20.0])


def test_a_hook_may_not_change_the_gradient_type_or_size():
    x = leaf(3)
    h = x * 2
    h.register_hook(lambda g: g.float())
    with pytest.raises(RuntimeError, match=r"hook '<lambda>' has changed the type of value "
                                           r"\(was torch.DoubleTensor got torch.FloatTensor\)"):
        (h * h).sum().backward()
    x = leaf(3)
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
        (x * x).sum().backward()


def test_first_order_backward_adds_into_a_grad_left_by_create_graph():
    # PyTorch adds in place: the same .grad object, still requiring grad.
    x = leaf(3)
    (x * x).sum().backward(create_graph=True)
    g1 = x.grad
    assert g1.requires_grad
    (x * 3).sum().backward()
    assert x.grad is g1 and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.detach().numpy(), 2 * x.detach().numpy() + 3)


def test_a_gradient_held_elsewhere_is_not_made_into_grad():
    # .grad takes a gradient array without a copy only when nothing else holds it; later
    # backward passes add into .grad in place and must not write into anybody else's array.
    class ReturnsGlobal(autograd.Function):
        G = gc_.ones(3, dtype=gc_.float64)

        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return ReturnsGlobal.G
    x = leaf(3)
    for _ in range(2):
        ReturnsGlobal.apply(x).sum().backward()
    np.testing.assert_array_equal(ReturnsGlobal.G.numpy(), np.ones(3))
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.ones(3))
    # a hook keeps the gradient that also reaches a leaf
    x, w = leaf(3), leaf(3, seed=1)
    kept = []
    h = x * 2
    h.register_hook(lambda g: kept.append(g))
    for _ in range(2):
        (h + w).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(kept[0].numpy(), np.ones(3))
    np.testing.assert_array_equal(w.grad.numpy(), 2 * np.ones(3))
    # a hook changes in place a gradient that is also pending for a leaf (PyTorch: 1, 2, 3)
    x, w = leaf(3), leaf(3, seed=1)
    c = gc_.tensor([1.0, 2.0, 3.0], dtype=gc_.float64)
    h = x * 2
    y = h + w
    h.register_hook(lambda g: g.mul_(3))
    (y * c).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0, 18.0])


def test_a_gradient_nothing_else_holds_becomes_grad_without_a_copy(monkeypatch):
    import gradcore.nn as nn
    from gradcore.ops import linalg
    made = []
    orig = linalg.linear_backward

    def spy(be, *args):
        out = orig(be, *args)
        made.extend(weakref.ref(o) for o in out)
        return out
    monkeypatch.setattr(linalg, "linear_backward", spy)
    lin = nn.Linear(8, 4)
    lin(gc_.randn(16, 8)).sum().backward()
    assert any(lin.weight.grad._arr is r() for r in made)
