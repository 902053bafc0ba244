"""gradcore.utils.checkpoint: checkpoint / checkpoint_sequential recompute the forward in
backward (gradients as without checkpointing, and as torch's), dropout's mask survives the
recomputation, the RNG is left as it was, and PyTorch's warnings and errors."""
import importlib
import warnings

import numpy as np
import pytest

import gradcore
from gradcore.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

X = np.random.default_rng(0).standard_normal((4, 3))
W = np.random.default_rng(1).standard_normal((3, 3))


def _leaves(lib):
    return (lib.tensor(X, requires_grad=True), lib.tensor(W, requires_grad=True))


def _block(lib, calls):
    def f(a, b):
        calls.append(1)
        h = (a @ b).tanh()
        return lib.nn.functional.dropout(h, 0.5, training=True) * h.exp()
    return f


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_same_gradients_as_without_and_one_recomputation(use_reentrant):
    calls = []
    f = _block(gradcore, calls)
    x, w = _leaves(gradcore)
    gradcore.manual_seed(3)
    ref = f(x, w)
    ref.sum().backward()
    expected = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    gradcore.manual_seed(3)
    y = checkpoint(f, x, w, use_reentrant=use_reentrant)
    np.testing.assert_array_equal(y.detach().numpy(), ref.detach().numpy())
    calls.clear()
    y.sum().backward()
    assert len(calls) == 1  # run again once, for every saved tensor
    np.testing.assert_allclose(x.grad.numpy(), expected[0], rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), expected[1], rtol=1e-12)


def test_matches_torch_on_a_dropout_free_block(torch):
    def run(lib, ck):
        x, w = _leaves(lib)
        y = ck.checkpoint(lambda a, b: ((a @ b).sin() * a.exp()).sum(), x, w,
                          use_reentrant=False)
        y.backward()
        return y.detach().numpy(), x.grad.numpy(), w.grad.numpy()
    ours = run(gradcore, importlib.import_module("gradcore.utils.checkpoint"))
    theirs = run(torch, importlib.import_module("torch.utils.checkpoint"))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-10)


def test_saved_tensors_are_not_kept():
    x, w = _leaves(gradcore)
    y = checkpoint(lambda a, b: (a @ b).exp(), x, w, use_reentrant=False)
    saved = y.grad_fn._saved
    assert saved and all(type(s).__name__ == "_Packed" for s in saved)
    assert all(type(s.packed).__name__ == "_Holder" and s.packed.value is None for s in saved)


def test_rng_state_left_as_it_was_after_recomputation():
    x, w = _leaves(gradcore)
    gradcore.manual_seed(5)
    y = checkpoint(_block(gradcore, []), x, w, use_reentrant=False)
    state = gradcore.get_rng_state()
    y.sum().backward()
    assert (gradcore.get_rng_state() == state).all()


def test_without_preserve_rng_state_the_mask_changes():
    x, w = _leaves(gradcore)
    gradcore.manual_seed(3)
    ref = _block(gradcore, [])(x, w)
    ref.sum().backward()
    expected = x.grad.numpy().copy()
    x.grad = w.grad = None
    gradcore.manual_seed(3)
    y = checkpoint(_block(gradcore, []), x, w, use_reentrant=False, preserve_rng_state=False)
    y.sum().backward()
    assert not np.allclose(x.grad.numpy(), expected)


def test_retain_graph_recomputes_each_backward():
    calls = []
    x, w = _leaves(gradcore)
    y = checkpoint(lambda a, b: (calls.append(1), (a * b[0]).exp().sum())[1], x, w,
                   use_reentrant=False)
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    assert len(calls) == 3
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_autograd_grad_and_double_backward():
    x = gradcore.tensor(X, requires_grad=True)
    y = checkpoint(lambda a: (a ** 3).sum(), x, use_reentrant=False)
    g, = gradcore.autograd.grad(y, x, create_graph=True)
    gg, = gradcore.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), 3 * X ** 2)
    np.testing.assert_allclose(gg.numpy(), 6 * X)


def test_nested_checkpoint():
    x, w = _leaves(gradcore)
    inner = lambda a: (a * 2).sin()  # noqa: E731
    outer = lambda a, b: (checkpoint(inner, a @ b, use_reentrant=False) * a[:, :1]).exp()  # noqa
    y = checkpoint(outer, x, w, use_reentrant=False)
    y.sum().backward()
    got = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    outer_plain = lambda a, b: (inner(a @ b) * a[:, :1]).exp()  # noqa: E731
    outer_plain(x, w).sum().backward()
    np.testing.assert_allclose(got[0], x.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(got[1], w.grad.numpy(), rtol=1e-12)


def test_kwargs_and_no_grad():
    x = gradcore.tensor(X, requires_grad=True)
    y = checkpoint(lambda a, scale=1: a * scale, x, use_reentrant=False, scale=3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(X.shape, 3.0))
    with gradcore.no_grad():
        assert not checkpoint(lambda a: a * 2, x, use_reentrant=False).requires_grad


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential(segments):
    gradcore.manual_seed(0)
    nn = gradcore.nn
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4), nn.Tanh(),
                          nn.Linear(4, 2))
    x = gradcore.tensor(X, dtype=gradcore.float32, requires_grad=True)
    ref = model(x)
    ref.sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]
    model.zero_grad()
    x.grad = None
    out = checkpoint_sequential(model, segments, x, use_reentrant=False)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    out.sum().backward()
    for g, p in zip(grads, list(model.parameters()) + [x]):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-6)
    out2 = checkpoint_sequential(list(model.children()), segments, x, use_reentrant=False)
    np.testing.assert_array_equal(out2.detach().numpy(), ref.detach().numpy())


def _warning_and_errors(lib, ck):
    x = lib.tensor(X, requires_grad=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ck.checkpoint(lambda a: a * 2, x)
        ck.checkpoint_sequential([lambda a: a * 2], 1, x)
    out = [(r.category, str(r.message).replace("torch.", "T.").replace("gradcore.", "T."))
           for r in rec]
    for call in (lambda: ck.checkpoint(lambda a: a, x, use_reentrant=True, foo=1),
                 lambda: ck.checkpoint(lambda a: a, x, use_reentrant=True, debug=True),
                 lambda: ck.checkpoint(lambda a: a, x, use_reentrant=False,
                                       determinism_check="x"),
                 lambda: ck.checkpoint_sequential([lambda a: a], 1, x, use_reentrant=False,
                                                  foo=2)):
        with pytest.raises(Exception) as info:
            call()
        out.append((info.type.__name__, str(info.value)))
    return out


def test_warnings_and_errors_match_torch(torch):
    ours = _warning_and_errors(gradcore, importlib.import_module("gradcore.utils.checkpoint"))
    theirs = _warning_and_errors(torch, importlib.import_module("torch.utils.checkpoint"))
    assert ours == theirs
    assert ours[0][0] is UserWarning


def _recompute_error(lib, ck, variant):
    x = lib.tensor(X, requires_grad=True)
    runs = []

    def f(a):
        runs.append(1)
        if variant == "shape":
            return (a[: 1 + len(runs)] ** 2).sum()
        return (a.exp() if len(runs) == 1 else a * 2).sum()
    y = ck.checkpoint(f, x, use_reentrant=False)
    with pytest.raises(Exception) as info:
        y.backward()
    return info.type.__name__, str(info.value).replace("torch.", "T.").replace("gradcore.", "T.")


@pytest.mark.parametrize("variant", ["shape", "count"])
def test_recomputation_mismatch_errors(torch, variant):
    ours = _recompute_error(gradcore, importlib.import_module("gradcore.utils.checkpoint"),
                            variant)
    theirs = _recompute_error(torch, importlib.import_module("torch.utils.checkpoint"), variant)
    assert ours[0] == theirs[0] == "CheckpointError"
    # PyTorch appends a note about torch.compile, which gradcore has no use for
    assert theirs[1].startswith(ours[1].rstrip("\n"))
    assert issubclass(CheckpointError, RuntimeError)
