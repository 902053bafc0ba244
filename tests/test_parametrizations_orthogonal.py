"""nn.utils.parametrizations.orthogonal against PyTorch: for each map (matrix_exp, cayley,
householder, the default), with and without the dynamic trivialization, on square, tall,
wide and batched weights: the same state_dict keys, parametrized weight and gradient of a
loss w.r.t. the original; assignment (right_inverse); PyTorch's errors."""
import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
from gradcore.nn.utils import parametrizations, parametrize

MAPS = [None, "matrix_exp", "cayley", "householder"]
SHAPES = [(4, 4), (5, 3), (3, 5), (2, 4, 3)]


def _np(t):
    return t.detach().cpu().numpy()


def _pair(torch, shape):
    tm = torch.nn.Linear(shape[-1], shape[-2]).double()
    gm = nn.Linear(shape[-1], shape[-2]).double()
    if len(shape) > 2:
        tm.weight = torch.nn.Parameter(torch.randn(shape, dtype=torch.float64))
        gm.weight = nn.Parameter(gradcore.tensor(_np(tm.weight)))
    gm.load_state_dict({k: gradcore.tensor(_np(v)) for k, v in tm.state_dict().items()})
    return tm, gm


def _orthogonal_both(torch, tm, gm, **kwargs):
    torch.manual_seed(1)  # the random completion of a non-square base: the same draws
    gradcore.manual_seed(1)
    torch.nn.utils.parametrizations.orthogonal(tm, **kwargs)
    parametrizations.orthogonal(gm, **kwargs)


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", SHAPES)
def test_orthogonal_matches_torch(torch, shape, orthogonal_map, use_trivialization):
    tm, gm = _pair(torch, shape)
    _orthogonal_both(torch, tm, gm, orthogonal_map=orthogonal_map,
                     use_trivialization=use_trivialization)
    assert list(gm.state_dict()) == list(tm.state_dict())
    assert ("parametrizations.weight.0.base" in gm.state_dict()) is use_trivialization
    assert gm.parametrizations.weight[0].orthogonal_map == (
        orthogonal_map or ("matrix_exp" if shape[-1] == shape[-2] else "householder"))
    for key, value in tm.state_dict().items():
        np.testing.assert_allclose(_np(gm.state_dict()[key]), _np(value), atol=1e-13)
    W = _np(gm.weight)
    np.testing.assert_allclose(W, _np(tm.weight), atol=1e-13)
    small = min(shape[-2:])
    gram = W.swapaxes(-1, -2) @ W if shape[-2] >= shape[-1] else W @ W.swapaxes(-1, -2)
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(small), gram.shape), atol=1e-13)
    x = np.random.default_rng(0).standard_normal((2, shape[-1]))
    if len(shape) == 2:
        (tm(torch.tensor(x)) ** 2).sum().backward()
        (gm(gradcore.tensor(x)) ** 2).sum().backward()
    else:
        (tm.weight ** 3).sum().backward()
        (gm.weight ** 3).sum().backward()
    np.testing.assert_allclose(_np(gm.parametrizations.weight.original.grad),
                               _np(tm.parametrizations.weight.original.grad), atol=1e-13)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_assignment_and_steps_stay_orthogonal(torch, orthogonal_map):
    tm, gm = _pair(torch, (4, 4))
    _orthogonal_both(torch, tm, gm, orthogonal_map=orthogonal_map)
    q = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 4)))[0]
    with torch.no_grad():
        tm.weight = torch.tensor(q)
    with gradcore.no_grad():
        gm.weight = gradcore.tensor(q)
    np.testing.assert_allclose(_np(gm.weight), q, atol=1e-13)
    np.testing.assert_allclose(_np(gm.parametrizations.weight[0].base),
                               _np(tm.parametrizations.weight[0].base), atol=1e-13)
    opt = gradcore.optim.SGD(gm.parameters(), lr=0.1)
    x = gradcore.tensor(np.random.default_rng(2).standard_normal((3, 4)))
    for _ in range(3):
        opt.zero_grad()
        (gm(x) ** 2).sum().backward()
        opt.step()
    W = _np(gm.weight)
    np.testing.assert_allclose(W.T @ W, np.eye(4), atol=1e-12)
    assert not np.allclose(W, q)


def test_householder_assignment_without_trivialization(torch):
    tm, gm = _pair(torch, (5, 3))
    _orthogonal_both(torch, tm, gm, orthogonal_map="householder", use_trivialization=False)
    q = np.linalg.qr(np.random.default_rng(3).standard_normal((5, 3)))[0]
    with torch.no_grad():
        tm.weight = torch.tensor(q)
    with gradcore.no_grad():
        gm.weight = gradcore.tensor(q)
    np.testing.assert_allclose(_np(gm.parametrizations.weight.original),
                               _np(tm.parametrizations.weight.original), atol=1e-13)
    np.testing.assert_allclose(_np(gm.weight), _np(tm.weight), atol=1e-13)


def _same_error(tfn, gfn):
    with pytest.raises(Exception) as te:
        tfn()
    with pytest.raises(type(te.value)) as ge:
        gfn()
    assert str(ge.value) == str(te.value).replace("torch.Size", "gradcore.Size")


def test_errors_match_torch(torch):
    tpz = torch.nn.utils.parametrizations
    _same_error(lambda: tpz.orthogonal(torch.nn.Linear(3, 3), orthogonal_map="qr"),
                lambda: parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="qr"))
    _same_error(lambda: tpz.orthogonal(torch.nn.Linear(3, 3), "bias"),
                lambda: parametrizations.orthogonal(nn.Linear(3, 3), "bias"))
    tm, gm = _pair(torch, (3, 3))
    _orthogonal_both(torch, tm, gm, use_trivialization=False)

    def assign(lib, m):
        with lib.no_grad():
            m.weight = lib.eye(3, dtype=lib.float64)

    _same_error(lambda: assign(torch, tm), lambda: assign(gradcore, gm))
    tm, gm = _pair(torch, (3, 3))
    _orthogonal_both(torch, tm, gm)

    def assign_wrong_shape(lib, m):
        with lib.no_grad():
            m.weight = lib.eye(2, dtype=lib.float64)

    _same_error(lambda: assign_wrong_shape(torch, tm), lambda: assign_wrong_shape(gradcore, gm))
    assert parametrize.is_parametrized(gm, "weight")


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3)])
def test_orthogonal_float32_matches_torch(torch, shape, orthogonal_map):
    tm = torch.nn.Linear(shape[1], shape[0])
    gm = nn.Linear(shape[1], shape[0])
    gm.load_state_dict({k: gradcore.tensor(_np(v)) for k, v in tm.state_dict().items()})
    _orthogonal_both(torch, tm, gm, orthogonal_map=orthogonal_map)
    assert gm.weight.dtype == gradcore.float32
    assert gm.parametrizations.weight[0].base.dtype == gradcore.float32
    np.testing.assert_allclose(_np(gm.weight), _np(tm.weight), atol=1e-6)
