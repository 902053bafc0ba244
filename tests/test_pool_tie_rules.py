"""Which element a max pool picks, against PyTorch, on data full of ties, NaNs and -inf:
the first maximum in C order within each window, the last NaN, never the padding -- through
each of gradcore/ops/windows.py's routes (the small tap search, the large branch-free one,
the masks where a maximum equals the padding value; adaptive max pooling whose windows tile
the input and the one-dim-at-a-time reduction where they do not)."""
import numpy as np
import pytest

import gradcore
from gradcore.nn import functional as F


def _tied(shape, seed, nan=False, ninf=False):
    """Small integers (many ties), optionally some NaNs and -infs, as float32."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(np.float32)
    if nan:
        x[rng.random(shape) < 0.08] = np.nan
    if ninf:
        x[rng.random(shape) < 0.3] = -np.inf
    return x


def _check(torch, fn, tfn, x):
    """Values and indices equal to PyTorch's, and the gradient of x (which goes to the
    picked elements) too."""
    xg, xt = gradcore.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (gy, gi), (ty, ti) = fn(xg), tfn(xt)
    np.testing.assert_array_equal(gi.numpy(), ti.numpy())
    np.testing.assert_array_equal(gy.detach().numpy(), ty.detach().numpy())
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    gy.backward(gradcore.tensor(g))
    ty.backward(torch.tensor(g))
    # where windows overlap the sums' order differs (gradcore adds in float64, rounds once)
    np.testing.assert_array_equal(xg.grad.numpy() != 0, xt.grad.numpy() != 0)
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


MAX_POOL = [  # (input shape, kwargs): small (one argmax) and large (per-tap) searches
    ((1, 3, 8, 8), dict(kernel_size=2)),
    ((2, 8, 64, 64), dict(kernel_size=2)),
    ((1, 2, 9, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 8, 65, 65), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 7, 8), dict(kernel_size=(2, 3), stride=(2, 1), dilation=(2, 1), padding=(1, 1),
                        ceil_mode=True)),
]


@pytest.mark.parametrize("nan,ninf", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("shape,kw", MAX_POOL)
def test_max_pool2d_picks_torchs_element(torch, shape, kw, nan, ninf):
    x = _tied(shape, sum(shape), nan, ninf)
    _check(torch, lambda t: F.max_pool2d(t, return_indices=True, **kw),
           lambda t: torch.nn.functional.max_pool2d(t, return_indices=True, **kw), x)


ADAPTIVE = [((1, 3, 8, 12), (4, 3)), ((2, 3, 9, 7), (4, 3)), ((1, 2, 5, 11), (5, 4)),
            ((2, 8, 64, 60), (7, 9))]


@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("shape,out", ADAPTIVE)
def test_adaptive_max_pool2d_picks_torchs_element(torch, shape, out, nan):
    x = _tied(shape, sum(shape), nan)
    _check(torch, lambda t: F.adaptive_max_pool2d(t, out, return_indices=True),
           lambda t: torch.nn.functional.adaptive_max_pool2d(t, out, True), x)


@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("shape,out", [((1, 2, 6, 5, 7), (3, 2, 4)),
                                       ((2, 1, 4, 6, 6), (2, 3, 3))])
def test_adaptive_max_pool3d_picks_torchs_element(torch, shape, out, nan):
    x = _tied(shape, sum(shape), nan)
    _check(torch, lambda t: F.adaptive_max_pool3d(t, out, return_indices=True),
           lambda t: torch.nn.functional.adaptive_max_pool3d(t, out, True), x)
