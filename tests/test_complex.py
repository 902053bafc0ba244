"""complex64 / complex128 against PyTorch: creation and inference, printing, promotion,
arithmetic, real / imag views, angle, conj, complex, polar, view_as_real / view_as_complex,
and the clear refusal of autograd on complex tensors."""
import numpy as np
import pytest

import gradcore


def _run(lib, make):
    try:
        out = make(lib)
    except Exception as e:  # noqa: BLE001  (compared with torch's)
        return "error", type(e).__name__, str(e)
    return str(out).replace("torch.", "").replace("gradcore.", "")


CASES = {
    "infer": lambda L: L.tensor([1 + 2j, 3.5 - 1j]),
    "infer default float64": lambda L: (L.set_default_dtype(L.float64), L.tensor([1j]),
                                        L.set_default_dtype(L.float32))[1].dtype,
    "print small imag": lambda L: L.tensor([[1 + 1e-5j, 100 + 2j]]),
    "print complex128": lambda L: L.tensor(1j, dtype=L.complex128),
    "zeros cfloat": lambda L: L.zeros(2, dtype=L.cfloat),
    "from numpy": lambda L: L.from_numpy(np.array([1j, 2])).dtype,
    "real": lambda L: L.tensor([1 + 2j, 3.5 - 1j]).real,
    "imag": lambda L: L.tensor([1 + 2j, 3.5 - 1j]).imag,
    "real of real": lambda L: L.tensor([1.0, 2.0]).real,
    "imag of real": lambda L: L.tensor([1.0, 2.0]).imag,
    "abs": lambda L: L.tensor([3 + 4j, -1j]).abs(),
    "angle complex": lambda L: L.tensor([1 + 1j, -1 + 0j]).angle(),
    "angle real": lambda L: L.tensor([-1.0, 2.0, 0.0, float("nan")]).angle(),
    "angle int": lambda L: L.tensor([-1, 2]).angle(),
    "conj": lambda L: L.tensor([1 + 2j]).conj(),
    "complex": lambda L: L.complex(L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0])),
    "complex mixed": lambda L: L.complex(L.tensor([1.0]), L.tensor([3.0], dtype=L.float64)),
    "polar": lambda L: L.polar(L.tensor([2.0]), L.tensor([0.5])),
    "view_as_real": lambda L: L.view_as_real(L.tensor([1 + 2j, 3j])),
    "view_as_complex": lambda L: L.view_as_complex(L.tensor([[1.0, 2.0], [3.0, 4.0]])),
    "view_as_complex bad": lambda L: L.view_as_complex(L.tensor([1.0, 2.0, 3.0])),
    "is_complex": lambda L: (L.tensor([1j]).is_complex(), L.tensor([1.0]).is_complex()),
    "isreal": lambda L: L.isreal(L.tensor([1 + 0j, 1j])),
    "matmul": lambda L: L.tensor([[1j, 1.0], [0.0, 1.0]]) @ L.tensor([[1.0, 0], [0, 1j]]),
    "sum": lambda L: L.tensor([1j, 2.0]).sum(),
    "mean": lambda L: L.tensor([[1j, 2.0], [1, 1]]).mean(0),
    "eq": lambda L: L.tensor([1j, 2.0]) == 1j,
    "div": lambda L: L.tensor([1j, 2.0]) / 2,
    "int / complex": lambda L: L.tensor([1, 2]) / 1j,
    "int + complex": lambda L: L.tensor([1, 2]) + 1j,
    "float64 * complex": lambda L: (L.tensor([1.0], dtype=L.float64) * 1j).dtype,
    "float * 0-d complex128": lambda L: (L.ones(2) * L.tensor(1j, dtype=L.complex128)).dtype,
    "exp": lambda L: L.exp(L.tensor([1 + 2j])),
    "sqrt": lambda L: L.sqrt(L.tensor([-1 + 0j])),
    "to complex": lambda L: L.tensor([1.0, 2.0]).to(L.complex64),
    "tolist": lambda L: L.tensor([1j, 2.0]).tolist(),
    "item": lambda L: L.tensor(1j).item(),
    "promote": lambda L: [L.promote_types(a, b) for a, b in (
        (L.complex64, L.int64), (L.complex64, L.float64), (L.float16, L.complex64),
        (L.complex128, L.complex64), (L.bool, L.complex64))],
    "to_real / to_complex": lambda L: (L.complex64.to_real(), L.float64.to_complex(),
                                       L.complex128.is_complex, L.float32.is_complex),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(torch, name):
    assert _run(gradcore, CASES[name]) == _run(torch, CASES[name])


def test_real_and_imag_are_views():
    x = gradcore.tensor([1 + 2j, 3 - 1j])
    x.real.mul_(10)
    x.imag[0] = 7.0
    assert x.tolist() == [10 + 7j, 30 - 1j]


def test_autograd_refuses_complex_tensors_clearly():
    with pytest.raises(RuntimeError, match="does not support complex tensors"):
        gradcore.tensor([1j], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not support complex tensors"):
        gradcore.zeros(2, dtype=gradcore.complex64).requires_grad_()
