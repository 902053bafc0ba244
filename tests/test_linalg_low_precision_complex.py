"""det / slogdet / logdet / lstsq / matrix_exp for float16, bfloat16 and complex inputs against
PyTorch: its errors for the low precision dtypes (det: no LU kernel; slogdet, logdet: refused;
lstsq: dtypes compared first, then only float and double), matrix_exp of complex matrices,
and matrix_exp of float16 / bfloat16 keeping the dtype (computed in float32)."""
import numpy as np
import pytest

import gradcore

CALLS = {
    "linalg.det": lambda lib, a: lib.linalg.det(a),
    "det": lambda lib, a: lib.det(a),
    "linalg.slogdet": lambda lib, a: lib.linalg.slogdet(a),
    "slogdet": lambda lib, a: lib.slogdet(a),
    "logdet": lambda lib, a: lib.logdet(a),
    "lstsq": lambda lib, a: lib.linalg.lstsq(a, a),
    "lstsq_mixed": lambda lib, a: lib.linalg.lstsq(a.float(), a),
    "lstsq_long": lambda lib, a: lib.linalg.lstsq(a.long(), a.long()),
}


def _error(fn):
    try:
        fn()
    except Exception as e:  # the type and message are what is compared
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_low_precision_errors_match_pytorch(torch, dtype, call):
    theirs = _error(lambda: CALLS[call](torch, torch.eye(3, dtype=getattr(torch, dtype))))
    ours = _error(lambda: CALLS[call](gradcore, gradcore.eye(3, dtype=getattr(gradcore, dtype))))
    assert theirs is not None
    assert ours == theirs


@pytest.mark.parametrize("dtype,rtol", [("complex128", 1e-12), ("complex64", 1e-5)])
def test_matrix_exp_of_complex_matrices(torch, dtype, rtol):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((2, 4, 4)) + 1j * rng.standard_normal((2, 4, 4))).astype(dtype)
    ours = gradcore.linalg.matrix_exp(gradcore.tensor(a))
    theirs = torch.linalg.matrix_exp(torch.tensor(a))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_matrix_exp_low_precision_keeps_the_dtype(dtype):
    a = np.array([[0.5, 0.25], [-0.5, 0.125]])
    x = gradcore.tensor(a, dtype=getattr(gradcore, dtype), requires_grad=True)
    y = gradcore.linalg.matrix_exp(x)
    assert y.dtype == x.dtype
    want = gradcore.linalg.matrix_exp(gradcore.tensor(a, dtype=gradcore.float32))
    np.testing.assert_allclose(y.float().detach().numpy(), want.numpy(), rtol=1e-2)
    y.sum().backward()
    assert x.grad.dtype == x.dtype and x.grad.shape == x.shape
