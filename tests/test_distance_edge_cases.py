"""pdist and embedding_bag corners against PyTorch: pdist of a single row (no pairs: an empty
result, a zero gradient), embedding_bag's ValueErrors for mode='max' with
scale_grad_by_freq or sparse, and its RuntimeErrors (PyTorch's CPU wording, by dtype, mode
and padding_idx) for an index outside [0, num_embeddings)."""
import numpy as np
import pytest

import gradcore


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, float("inf")])
def test_pdist_single_row_has_a_zero_gradient(torch, p):
    a = np.random.default_rng(0).standard_normal((1, 3))
    grads = []
    for lib in (torch, gradcore):
        x = lib.tensor(a, requires_grad=True)
        y = lib.nn.functional.pdist(x, p)
        assert tuple(y.shape) == (0,)
        grads.append(lib.autograd.grad(y.sum(), x)[0].numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_pdist_single_row_double_backward(torch):
    x = gradcore.tensor([[1.0, 2.0, 4.0]], dtype=gradcore.float64, requires_grad=True)
    g, = gradcore.autograd.grad(gradcore.nn.functional.pdist(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), np.zeros((1, 3)))


def _error(fn):
    try:
        fn()
    except Exception as e:  # the type and message are what is compared
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"mode": "max"}, {"mode": "sum"},
                                    {"mode": "sum", "include_last_offset": True},
                                    {"mode": "max", "scale_grad_by_freq": True},
                                    {"mode": "max", "sparse": True}])
def test_embedding_bag_errors_match_pytorch(torch, dtype, kwargs):
    errors = []
    for lib in (torch, gradcore):
        w = lib.ones(6, 3, dtype=getattr(lib, dtype))
        offsets = lib.tensor([0, 2] if kwargs.get("include_last_offset") else [0])
        errors.append(_error(lambda: lib.nn.functional.embedding_bag(
            lib.tensor([0, -3, 9]), w, offsets, **kwargs)))
    assert errors[0] is not None
    assert errors[1] == errors[0]
