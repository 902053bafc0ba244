"""linalg.lstsq's right-hand side shapes against PyTorch: B is a batch of vectors only when it
is 1-D or has exactly A's shape without the last dim; a B with one dim fewer that is not
(PyTorch broadcasts A's batch dims with all of B's dims but the last, then solves with B as
one matrix) gives PyTorch's solution, fields and gradients, or its error."""
import numpy as np
import pytest

import gradcore

SHAPES = [((2, 5, 3), (2, 5)), ((5, 3), (5,)), ((5, 5, 3), (5, 2)), ((1, 5, 3), (5, 2)),
          ((1, 5, 3), (5, 1)), ((4, 5, 3), (5, 2)), ((2, 5, 3), (1, 5)), ((1, 5, 3), (2, 5)),
          ((3, 2, 5, 3), (2, 5, 2)), ((3, 1, 5, 3), (2, 5, 2))]


def _run(lib, a, b, driver):
    A, B = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
    try:
        out = lib.linalg.lstsq(A, B, driver=driver)
    except RuntimeError as e:
        return str(e)
    loss = (out.solution ** 2).sum()
    if out.residuals.numel():
        loss = loss + out.residuals.sum()
    return [f.detach().numpy() for f in out] + [g.numpy() for g in
                                                lib.autograd.grad(loss, (A, B))]


@pytest.mark.parametrize("driver", ["gelsd", None])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_lstsq_rhs_shapes_match_pytorch(torch, shapes, driver):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    theirs, ours = _run(torch, a, b, driver), _run(gradcore, a, b, driver)
    if isinstance(theirs, str):
        assert ours == theirs
        return
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.shape == t.shape
        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)
