"""gradcore.autograd.functional against torch.autograd.functional: jacobian (looped,
vectorized, forward-mode), hessian, vjp, jvp, vhp, hvp -- values, nesting of the results,
create_graph, strict mode and PyTorch's errors."""
import numpy as np
import pytest

import gradcore

ARRS = [np.random.default_rng(0).standard_normal((2, 3)),
        np.random.default_rng(1).standard_normal(3)]


def _inputs(lib, n=2):
    return tuple(lib.tensor(a) for a in ARRS[:n])


def _one_in_one_out(lib, a):
    return (a.exp() * a).sum(0)


def _two_in_two_out(lib, a, b):
    return a * b, (a.sin() * b).sum()


def _scalar(lib, a, b):
    return (a.exp() * b).sum() + (b ** 3).sum()


def _structure(r):
    """The nesting of a result: 'T' for a tensor, a tuple (or list) of those."""
    if isinstance(r, (tuple, list)):
        return type(r).__name__, [_structure(e) for e in r]
    return "T" if r is not None else None


def _assert_same(ours, theirs, requires_grad=None):
    assert _structure(ours) == _structure(theirs)
    if isinstance(ours, (tuple, list)):
        for o, t in zip(ours, theirs):
            _assert_same(o, t, requires_grad)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    if requires_grad is not None:
        assert ours.requires_grad is theirs.requires_grad is requires_grad


def _both(torch, call):
    """call(lib, F) in gradcore and in torch."""
    return (call(gradcore, gradcore.autograd.functional),
            call(torch, torch.autograd.functional))


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("case", ["one", "two", "tuple_out_single_in"])
def test_jacobian(torch, case, vectorize):
    def call(lib, F):
        if case == "one":
            return F.jacobian(lambda a: _one_in_one_out(lib, a), _inputs(lib, 1)[0],
                              vectorize=vectorize)
        if case == "two":
            return F.jacobian(lambda a, b: _two_in_two_out(lib, a, b), _inputs(lib),
                              vectorize=vectorize)
        return F.jacobian(lambda a: (a * 2, a.sum()), _inputs(lib, 1)[0], vectorize=vectorize)
    ours, theirs = _both(torch, call)
    _assert_same(ours, theirs, requires_grad=False)


def test_jacobian_forward_mode_nests_lists(torch):
    ours, theirs = _both(torch, lambda lib, F: F.jacobian(
        lambda a, b: _two_in_two_out(lib, a, b), _inputs(lib), vectorize=True,
        strategy="forward-mode"))
    assert _structure(ours)[0] == "list"
    _assert_same(ours, theirs, requires_grad=False)


def test_jacobian_unused_input_gives_zeros(torch):
    ours, theirs = _both(torch, lambda lib, F: F.jacobian(lambda a, b: a * 2, _inputs(lib)))
    _assert_same(ours, theirs)
    assert not ours[1].detach().numpy().any()


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_create_graph_is_differentiable(torch, vectorize):
    def call(lib, F):
        x = lib.tensor(ARRS[0], requires_grad=True)
        j = F.jacobian(lambda a: _one_in_one_out(lib, a), x, create_graph=True,
                       vectorize=vectorize)
        assert j.requires_grad
        (j * j).sum().backward()
        return x.grad
    ours, theirs = _both(torch, call)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("vectorize", [False, True])
def test_hessian(torch, vectorize):
    ours, theirs = _both(torch, lambda lib, F: F.hessian(
        lambda a, b: _scalar(lib, a, b), _inputs(lib), vectorize=vectorize))
    _assert_same(ours, theirs, requires_grad=False)
    ours, theirs = _both(torch, lambda lib, F: F.hessian(
        lambda b: (b ** 3).sum(), _inputs(lib)[1], vectorize=vectorize))
    _assert_same(ours, theirs)


@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp_vhp_hvp(torch, create_graph):
    def calls(lib, F):
        x, y = _inputs(lib)
        two = lambda a, b: _two_in_two_out(lib, a, b)  # noqa: E731
        scalar = lambda a, b: _scalar(lib, a, b)  # noqa: E731
        ones = lib.ones(3, dtype=lib.float64)
        return (F.vjp(lambda a: _one_in_one_out(lib, a), x, ones, create_graph=create_graph),
                F.vjp(two, (x, y), (x * 0 + 1, lib.tensor(2.0, dtype=lib.float64)),
                      create_graph=create_graph),
                F.jvp(two, (x, y), (x, y), create_graph=create_graph),
                F.jvp(lambda a: _one_in_one_out(lib, a), x, x, create_graph=create_graph),
                F.vhp(scalar, (x, y), (x, y), create_graph=create_graph),
                F.hvp(scalar, (x, y), (x * 0 + 1, y), create_graph=create_graph)[1:],
                F.hvp(lambda b: (b ** 3).sum(), y, y, create_graph=create_graph))
    ours, theirs = _both(torch, calls)
    _assert_same(ours, theirs, requires_grad=create_graph)


def test_v_may_be_omitted_for_one_number(torch):
    ours, theirs = _both(torch, lambda lib, F: (
        F.vjp(lambda a: (a * a).sum(), _inputs(lib, 1)[0]),
        F.jvp(lambda a: a * 3, lib.tensor([2.0], dtype=lib.float64)),
        F.hvp(lambda a: (a ** 4).sum(), lib.tensor(1.5, dtype=lib.float64))))
    _assert_same(ours, theirs)


ERRORS = {
    "strict_unused": lambda lib, F, x, y: F.jacobian(lambda a, b: a * 2, (x, y), strict=True),
    "strict_constant": lambda lib, F, x, y: F.jacobian(lambda a: lib.ones(2), x, strict=True),
    "strict_vectorize": lambda lib, F, x, y: F.jacobian(lambda a: a * 2, x, strict=True,
                                                        vectorize=True),
    "strict_create_graph_linear": lambda lib, F, x, y: F.jacobian(
        lambda a: a * 2, x, strict=True, create_graph=True),
    "bad_strategy": lambda lib, F, x, y: F.jacobian(lambda a: a, x, strategy="foo"),
    "forward_needs_vectorize": lambda lib, F, x, y: F.jacobian(lambda a: a, x,
                                                               strategy="forward-mode"),
    "forward_create_graph": lambda lib, F, x, y: F.jacobian(
        lambda a: a, x, strategy="forward-mode", vectorize=True, create_graph=True),
    "forward_strict": lambda lib, F, x, y: F.jacobian(
        lambda a: a, x, strategy="forward-mode", vectorize=True, strict=True),
    "input_not_tensor": lambda lib, F, x, y: F.jacobian(lambda a: a, 3),
    "input_tuple_not_tensor": lambda lib, F, x, y: F.jacobian(lambda a, b: a, (x, 3)),
    "output_not_tensor": lambda lib, F, x, y: F.jacobian(lambda a: 3, x),
    "vjp_v_missing": lambda lib, F, x, y: F.vjp(lambda a: a * 2, x),
    "vjp_v_size": lambda lib, F, x, y: F.vjp(lambda a: a.sum(0), x, lib.ones(4)),
    "vjp_v_length": lambda lib, F, x, y: F.vjp(lambda a, b: (a, b), (x, y), (x,)),
    "vjp_v_entry_size": lambda lib, F, x, y: F.vjp(lambda a, b: (a, b), (x, y), (x, x)),
    "vjp_v_single": lambda lib, F, x, y: F.vjp(lambda a: a, x, (x, x)),
    "vjp_strict_detached": lambda lib, F, x, y: F.vjp(lambda a: a.detach(), x, x, strict=True),
    "vjp_strict_unused": lambda lib, F, x, y: F.vjp(lambda a, b: a.sum(), (x, y), strict=True),
    "jvp_v_missing": lambda lib, F, x, y: F.jvp(lambda a: a, x),
    "jvp_strict_unused": lambda lib, F, x, y: F.jvp(lambda a, b: a * 2, (x, y), (x, y),
                                                    strict=True),
    "hessian_not_scalar": lambda lib, F, x, y: F.hessian(lambda a: a * 2, x),
    "hessian_tuple_out": lambda lib, F, x, y: F.hessian(lambda a: (a.sum(), a.sum()), x),
    "hessian_strict_linear": lambda lib, F, x, y: F.hessian(lambda a: (a * 2).sum(), x,
                                                            strict=True),
    "hvp_not_scalar": lambda lib, F, x, y: F.hvp(lambda a: a * 2, x, x),
    "hvp_strict_linear": lambda lib, F, x, y: F.hvp(lambda a: (a * 2).sum(), x, x,
                                                    strict=True),
    "vhp_strict_linear": lambda lib, F, x, y: F.vhp(lambda a: (a * 2).sum(), x, x,
                                                    strict=True),
    "hvp_strict_unused": lambda lib, F, x, y: F.hvp(lambda a, b: (a ** 2).sum(), (x, y),
                                                    (x, y), strict=True),
    "vhp_tuple_out": lambda lib, F, x, y: F.vhp(lambda a: (a.sum(),), x, x),
}


def _error(lib, F, name):
    x, y = _inputs(lib)
    with pytest.raises(Exception) as info:
        ERRORS[name](lib, F, x, y)
    return info.type, str(info.value).replace("torch.", "T.").replace("gradcore.", "T.")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(torch, name):
    ours = _error(gradcore, gradcore.autograd.functional, name)
    theirs = _error(torch, torch.autograd.functional, name)
    assert ours[0].__name__ == theirs[0].__name__
    assert ours[1] == theirs[1]


def test_results_do_not_keep_the_graph_without_create_graph():
    x = gradcore.tensor(ARRS[0], requires_grad=True)
    out, v = gradcore.autograd.functional.vjp(lambda a: (a * a).sum(), x)
    assert not out.requires_grad and not v.requires_grad and x.grad is None
