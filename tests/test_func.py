"""gradcore.func (torch.func) and gradcore.vmap: vmap, grad, grad_and_value, vjp, jacrev,
jacfwd, hessian, functional_call -- values against torch.func, gradients against finite
differences, per-sample gradients of a small model, PyTorch's errors and messages."""
import numpy as np
import pytest

import gradcore
from gradcore import func


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same(a, b, tol=1e-12):
    """Nested results of gradcore (a) and torch (b) equal to float64 rounding."""
    if isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y, tol)
    elif isinstance(b, dict):
        assert set(a) == set(b)
        for k in b:
            _same(a[k], b[k], tol)
    else:
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


def _pair(torch, shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    return gradcore.tensor(x), torch.tensor(x)


def _message(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (the type and text are what is compared)
        return type(e).__name__, str(e).replace("gradcore.", "torch.")
    return None


def test_vmap_is_torchs(torch):
    assert gradcore.vmap is func.vmap
    (gx, tx), (gy, ty) = _pair(torch, (3, 4), 0), _pair(torch, (3, 4), 1)
    for lib_fn in [
        lambda L, x, y: L.func.vmap(L.sin)(x),
        lambda L, x, y: L.func.vmap(L.dot)(x, y),
        lambda L, x, y: L.func.vmap(L.outer, out_dims=1)(x, y),
        lambda L, x, y: L.func.vmap(lambda a, b: a * b, in_dims=(1, None))(x, y[0, :3]),
        lambda L, x, y: L.func.vmap(lambda a, b: a @ b, in_dims=(0, 1))(x, y.t()),
        lambda L, x, y: L.func.vmap(L.func.vmap(lambda a, b: a * b))(x, y),
        lambda L, x, y: L.func.vmap(lambda d: d["a"] + d["b"].sum(),
                                    in_dims=({"a": 0, "b": None},))({"a": x, "b": y}),
        lambda L, x, y: L.func.vmap(lambda a: (a.sum(), a * 2), out_dims=(0, 1))(x),
        lambda L, x, y: L.func.vmap(lambda a, b: [a + b, a - b], in_dims=-1)(x, y),
        lambda L, x, y: L.func.vmap(lambda a, k: a * k, in_dims=(0, None))(x, 3.0),
        lambda L, x, y: L.func.vmap(lambda a: (a.sum(), a.exp()), out_dims=(0, 1))(x[:0]),
    ]:
        _same(lib_fn(gradcore, gx, gy), lib_fn(torch, tx, ty))
    out = func.vmap(lambda a: (a.sum(), 3), out_dims=(0, None))(gx)
    assert out[1] == 3


def test_vmap_errors_match_torch(torch):
    (gx, tx), (gy, ty) = _pair(torch, (3, 4), 0), _pair(torch, (2, 4), 1)
    cases = [
        lambda L, x, y: L.func.vmap(L.sin, in_dims=[0])(x),
        lambda L, x, y: L.func.vmap(L.sin, in_dims=0.5)(x),
        lambda L, x, y: L.func.vmap(L.add, in_dims=(0, 0))(x, y),
        lambda L, x, y: L.func.vmap(L.sin, in_dims=(None,))(x),
        lambda L, x, y: L.func.vmap(L.sin, in_dims=5)(x),
        lambda L, x, y: L.func.vmap(L.sin, in_dims=-3)(x),
        lambda L, x, y: L.func.vmap(L.sin)(L.tensor(1.0)),
        lambda L, x, y: L.func.vmap(L.sin)(),
        lambda L, x, y: L.func.vmap(lambda a, b: a * b, in_dims=(0, 0))(x, 2),
        lambda L, x, y: L.func.vmap(lambda a: 1)(x),
        lambda L, x, y: L.func.vmap(lambda a: (a, None))(x),
        lambda L, x, y: L.func.vmap(L.sin, randomness="x")(x),
        lambda L, x, y: L.func.vmap(lambda a: a + L.rand(4, dtype=a.dtype))(x),
        lambda L, x, y: L.func.vmap(L.sin, chunk_size=0)(x),
        lambda L, x, y: L.func.vmap(L.sin, out_dims=2)(x),
    ]
    for case in cases:
        want = _message(lambda: case(torch, tx, ty))
        assert want is not None
        assert _message(lambda: case(gradcore, gx, gy)) == want
    # structure mismatches: PyTorch's sentence, gradcore's own picture of the structures
    for case in (lambda L: L.func.vmap(L.sin, in_dims=(0, 0))(gx if L is gradcore else tx),
                 lambda L: L.func.vmap(L.sin, out_dims=(0, 0))(gx if L is gradcore else tx)):
        want, got = _message(lambda: case(torch)), _message(lambda: case(gradcore))
        assert got[0] == want[0] == "ValueError"
        assert got[1].split(" has structure")[0] == want[1].split(" has structure")[0]


def test_vmap_randomness():
    x = gradcore.zeros(4, 3)
    same = func.vmap(lambda a: a + gradcore.rand(3), randomness="same")(x)
    assert all(row == same[0].tolist() for row in same.tolist())
    gradcore.manual_seed(5)
    different = func.vmap(lambda a: a + gradcore.rand(3), randomness="different")(x)
    assert len({tuple(r) for r in different.tolist()}) == 4
    gradcore.manual_seed(5)
    assert different.tolist() == [gradcore.rand(3).tolist() for _ in range(4)]


def test_vmap_output_is_differentiable():
    x = gradcore.randn(3, 4, dtype=gradcore.float64, requires_grad=True)
    w = gradcore.randn(4, dtype=gradcore.float64, requires_grad=True)
    assert gradcore.autograd.gradcheck(
        lambda a, b: func.vmap(lambda r: (r * b).sin().sum())(a), (x, w))


def test_grad_against_finite_differences():
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal(5)

    def f(x):
        return (x.sin() * x ** 2).sum() + x.prod()
    g = func.grad(f)(gradcore.tensor(x0)).numpy()
    eps = 1e-6
    fd = [(f(gradcore.tensor(x0 + eps * e)).item() - f(gradcore.tensor(x0 - eps * e)).item())
          / (2 * eps) for e in np.eye(5)]
    np.testing.assert_allclose(g, fd, rtol=1e-7, atol=1e-8)
    # second derivative of a scalar function, against finite differences of the first
    s0 = gradcore.tensor(0.7, dtype=gradcore.float64)
    h = func.grad(func.grad(lambda s: s.sin() * s ** 3))(s0)
    d = func.grad(lambda s: s.sin() * s ** 3)
    fd2 = (d(gradcore.tensor(0.7 + eps, dtype=gradcore.float64)).item()
           - d(gradcore.tensor(0.7 - eps, dtype=gradcore.float64)).item()) / (2 * eps)
    assert abs(h.item() - fd2) < 1e-6
    assert not h.requires_grad


def test_grad_transforms_match_torch(torch):
    (gx, tx), (gy, ty) = _pair(torch, (3, 4), 0), _pair(torch, (4,), 1)
    cases = [
        lambda L, x, y: L.func.grad(lambda a: (a ** 3).sum())(x),
        lambda L, x, y: L.func.grad(lambda a, b: (a * b.sin()).sum(), argnums=(0, 1))(x, y),
        lambda L, x, y: L.func.grad(lambda a, b: (a * b).sum(), argnums=1)(x, y),
        lambda L, x, y: L.func.grad(lambda d: (d["u"] * d["v"][0]).sum())(
            {"u": x, "v": [y, y]}),
        lambda L, x, y: L.func.grad(lambda a: ((a ** 2).sum(), a.mean()), has_aux=True)(x),
        lambda L, x, y: L.func.grad_and_value(lambda a: (a.exp()).sum())(x),
        lambda L, x, y: L.func.grad(lambda a, b: b.sum(), argnums=0)(x, y),  # unused: zeros
        lambda L, x, y: L.func.vjp(lambda a: a.exp() * 2, x)[1](x.cos()),
        lambda L, x, y: L.func.vjp(lambda a, b: (a * b, b.sum()), x, y)[1](
            (x, L.tensor(2.0, dtype=x.dtype))),
        lambda L, x, y: L.func.jacrev(lambda a: a.sin() * 2)(y),
        lambda L, x, y: L.func.jacrev(lambda a, b: (a @ b, b.exp()), argnums=(0, 1))(x, y),
        lambda L, x, y: L.func.jacfwd(lambda a: a.tanh().cumsum(0))(y),
        lambda L, x, y: L.func.jacfwd(lambda a, b: a * b, argnums=1)(y, y.cos()),
        lambda L, x, y: L.func.hessian(lambda a: (a.sin() ** 2).sum() * a.prod())(y),
        lambda L, x, y: L.func.vmap(L.func.jacrev(L.sin))(x),
    ]
    for case in cases:
        _same(case(gradcore, gx, gy), case(torch, tx, ty))


def test_grad_of_an_input_that_requires_grad_stays_differentiable(torch):
    results = []
    for lib in (gradcore, torch):
        x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64, requires_grad=True)
        g = lib.func.grad(lambda a: (a.sin() * a).sum())(x)
        (h,) = lib.autograd.grad(g.sum(), x)
        results.append((g, h))
    _same(results[0], results[1])


def test_grad_errors_match_torch(torch):
    (gx, tx), (gi, ti) = _pair(torch, (3, 4), 0), (gradcore.tensor([1, 2]), torch.tensor([1, 2]))
    cases = [
        lambda L, x, i: L.func.grad(lambda a: a * 2)(x),
        lambda L, x, i: L.func.grad(lambda a: 1.0)(x),
        lambda L, x, i: L.func.grad(lambda a: a.sum(), argnums=[0])(x),
        lambda L, x, i: L.func.grad(lambda a: a.sum(), argnums=2)(x),
        lambda L, x, i: L.func.grad(lambda a: a.sum(), argnums=(0, 0))(x),
        lambda L, x, i: L.func.grad(lambda a: a.sum(), argnums=())(x),
        lambda L, x, i: L.func.grad(lambda a: a.sum(), has_aux=True)(x),
        lambda L, x, i: L.func.grad(lambda a: (a.sum(), 1, 2), has_aux=True)(x),
        lambda L, x, i: L.func.grad(lambda a: a.sum())(3.0),
        lambda L, x, i: L.func.grad(lambda a: a.sum())(i),
        lambda L, x, i: L.func.jacrev(lambda a: a * 2, argnums=1)(x),
    ]
    for case in cases:
        want = _message(lambda: case(torch, tx, ti))
        assert want is not None
        assert _message(lambda: case(gradcore, gx, gi)) == want


class _Model:
    """The same two-layer model in both libraries, weights copied from torch's."""

    def __init__(self, lib, src=None):
        nn = lib.nn
        self.m = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()
        if src is not None:
            for p, q in zip(self.m.parameters(), src.m.parameters()):
                with lib.no_grad():
                    p.copy_(lib.tensor(q.detach().numpy()))


def test_per_sample_gradients_match_torch(torch):
    tm = _Model(torch)
    gm = _Model(gradcore, tm)
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    results = []
    for lib, model in ((gradcore, gm.m), (torch, tm.m)):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xi, yi, lib=lib, model=model):
            out = lib.func.functional_call(model, p, (xi.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(out, yi.unsqueeze(0))
        per_sample = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(
            params, lib.tensor(x), lib.tensor(y))
        results.append(per_sample)
    _same(results[0], results[1], tol=1e-10)
    # and each row is that sample's ordinary gradient
    model = gm.m
    model.zero_grad()
    gradcore.nn.functional.cross_entropy(model(gradcore.tensor(x[2:3])),
                                         gradcore.tensor(y[2:3])).backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(results[0][name][2].numpy(), p.grad.numpy(), rtol=1e-12,
                                   atol=1e-14)


def test_functional_call_swaps_and_restores(torch):
    m = gradcore.nn.Linear(3, 2)
    w0 = m.weight
    x = gradcore.randn(4, 3)
    new = {"weight": gradcore.zeros(2, 3), "bias": gradcore.ones(2)}
    assert func.functional_call(m, new, x).tolist() == [[1.0, 1.0]] * 4
    assert m.weight is w0 and list(m._parameters) == ["weight", "bias"]
    assert func.functional_call(m, ({"weight": gradcore.zeros(2, 3)}, {"bias": gradcore.ones(2)}),
                                (x,)).tolist() == [[1.0, 1.0]] * 4

    class Boom(gradcore.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = gradcore.nn.Linear(2, 2)
            self.register_buffer("scale", gradcore.ones(1))

        def forward(self, x):
            raise ValueError("boom")
    b = Boom()
    w, s = b.lin.weight, b.scale
    with pytest.raises(ValueError, match="boom"):
        func.functional_call(b, {"lin.weight": gradcore.zeros(2, 2), "scale": gradcore.zeros(1)},
                             gradcore.ones(2))
    assert b.lin.weight is w and b.scale is s


def test_functional_call_ties_and_strict_match_torch(torch):
    outs = []
    for lib in (gradcore, torch):
        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Linear(2, 2, bias=False)
                self.b = lib.nn.Linear(2, 2, bias=False)
                self.b.weight = self.a.weight

            def forward(self, x):
                return self.b(self.a(x))
        m = Tied()
        x = lib.ones(1, 2)
        eye = {"a.weight": lib.eye(2) * 2}
        row = [lib.func.functional_call(m, eye, x).tolist(),
               lib.func.functional_call(m, eye, x, tie_weights=False).sub(
                   m.b(lib.ones(1, 2) * 2)).abs().max().item() < 1e-6,
               _message(lambda: lib.func.functional_call(
                   m, {"a.weight": lib.eye(2), "b.weight": lib.eye(2) * 3}, x)),
               _message(lambda: lib.func.functional_call(m, {"c": lib.eye(2)}, x, strict=True)),
               _message(lambda: lib.func.functional_call(m, ({"a.weight": lib.eye(2)},
                                                          {"a.weight": lib.eye(2)}), x))]
        outs.append(row)
    assert outs[0] == outs[1]
    assert outs[0][0] == [[4.0, 4.0]] and outs[0][1] is True


def test_nn_utils_stateless_is_the_deprecated_spelling(torch):
    from gradcore.nn.utils import stateless
    m = gradcore.nn.Linear(2, 1)
    msgs = []
    for lib, mod in ((stateless, m), (torch.nn.utils.stateless, torch.nn.Linear(2, 1))):
        tensor = gradcore.ones if lib is stateless else torch.ones
        with pytest.warns(FutureWarning) as record:
            out = lib.functional_call(mod, {"weight": tensor(1, 2), "bias": tensor(1)},
                                      (tensor(3, 2),))
        assert out.tolist() == [[3.0]] * 3
        msgs.append(str(record[0].message))
    assert msgs[0] == msgs[1]
