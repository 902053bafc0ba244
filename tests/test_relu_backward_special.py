"""ReLU's gradient is PyTorch's threshold_backward at special values: an inf or nan upstream
gradient where the input is <= 0 gives 0 (``gy * (y > 0)`` gave nan), a nan input passes its
gradient -- on both array paths (np.where for small arrays, the bits for large ones)."""
import numpy as np
import pytest

import gradcore


@pytest.mark.parametrize("n", [4, 5, 3000, 70_000])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_gradient_at_special_values(torch, rng, n, dtype):
    x = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    x[:4], g[:4] = [np.nan, -1.0, 0.0, 2.0], [1.0, np.inf, np.nan, -np.inf]
    x[-3:], g[-3:] = [-0.0, -np.inf, np.inf], [np.nan, np.inf, np.nan]
    grads = []
    for lib in (gradcore, torch):
        xt = lib.tensor(x, requires_grad=True)
        lib.relu(xt).backward(lib.tensor(g))
        grads.append(xt.grad.numpy())
    np.testing.assert_array_equal(grads[0].view(f"i{grads[0].itemsize}"),
                                  grads[1].view(f"i{grads[1].itemsize}"))
