"""cdist's matrix-product path for p = 2 (PyTorch's _euclidean_dist): taken where PyTorch takes
it (more than 25 rows, or compute_mode='use_mm_for_euclid_dist'), with PyTorch's graph, values
and gradients; numerically checked; its bad compute_mode refused as PyTorch."""
import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck

MODES = ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
         "donot_use_mm_for_euclid_dist"]


def _names(t):
    out, todo = [], [t.grad_fn]
    while todo:
        n = todo.pop()
        if n is None:
            continue
        out.append(type(n).__name__.replace("torch::autograd::", ""))
        todo.extend(f for f, _ in n.next_functions)
    return sorted(out)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("s1,s2", [((30, 3), (20, 3)), ((5, 3), (4, 3)), ((2, 40, 5), (1, 30, 5)),
                                   ((26, 2), (3, 2))])
def test_cdist_matches_torch(torch, rng, mode, s1, s2):
    a, b = rng.standard_normal(s1), rng.standard_normal(s2)
    b[..., :2, :] = a.reshape(-1, *s1[-2:])[0, :2]  # equal rows: distance 0, gradient 0
    out = []
    for lib in (gradcore, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        d = lib.cdist(x, y, compute_mode=mode)
        (d * lib.tensor(np.arange(d.numel()).reshape(d.shape) % 3)).sum().backward()
        out.append((_names(d), d.detach().numpy(), x.grad.numpy(), y.grad.numpy()))
    if len(s1) == 2:  # (batched: PyTorch's reshape of an expanded input records Clone +
        assert out[0][0] == out[1][0]  # View where gradcore's records one node)
    for g, t in zip(out[0][1:], out[1][1:]):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shapes", [((30, 3), (28, 3)), ((2, 27, 2), (2, 3, 2))])
def test_mm_path_gradcheck(rng, shapes):
    args = [gradcore.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    f = gradcore.cdist
    assert type(f(*args).grad_fn.next_functions[0][0]).__name__ == "EuclideanDistBackward0"
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


def test_bad_compute_mode(torch):
    for lib in (gradcore, torch):
        with pytest.raises(ValueError, match="foo is not a valid value for compute_mode"):
            lib.cdist(lib.ones(2, 2), lib.ones(2, 2), compute_mode="foo")
