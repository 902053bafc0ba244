"""Matrix products (gradcore/ops/linalg.py) and softmax / log_softmax (gradcore/ops/softmax.py):
values, node names and gradients against PyTorch for every rank combination, gradcheck and
gradgradcheck in float64, and PyTorch's error messages."""
import zlib

import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck

from test_reduction_ops import run_both


def _arrays(key, *shapes):
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    return [rng.standard_normal(s) for s in shapes]


# ---- matmul: every rank combination --------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((1, 1), (1, 1)),
    ((5, 2, 3), (3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (1, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (1, 5, 3, 1)), ((6, 5, 2, 3), (6, 5, 3, 4)), ((5, 1, 3), (3, 4)),
    ((2, 3), (2, 1, 3, 4)), ((3,), (2, 2, 3, 1)), ((2, 2, 2, 3), (3,)),
]


def _id(shapes):
    return "@".join("x".join(map(str, s)) for s in shapes)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[_id(s) for s in MATMUL_SHAPES])
def test_matmul_matches_torch(torch, device, sa, sb, dtype):
    arrays = _arrays(_id((sa, sb)), sa, sb)
    run_both(torch, lambda L, a, b: L.matmul(a, b), arrays, dtype, device)
    run_both(torch, lambda L, a, b: a @ b, arrays, dtype, device)
    run_both(torch, lambda L, a, b: a.matmul(b), arrays, dtype, device)


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[_id(s) for s in MATMUL_SHAPES])
def test_matmul_gradcheck_and_gradgradcheck(sa, sb):
    a, b = [gradcore.tensor(x, requires_grad=True) for x in _arrays(_id((sa, sb)), sa, sb)]
    assert gradcheck(gradcore.matmul, (a, b))
    assert gradgradcheck(gradcore.matmul, (a, b))


def test_matmul_node_names_without_torch():
    r = lambda *s: gradcore.randn(*s, requires_grad=True)  # noqa: E731
    cases = {((3,), (3,)): "DotBackward0", ((2, 3), (3,)): "MvBackward0",
             ((3,), (3, 4)): "SqueezeBackward4", ((2, 3), (3, 4)): "MmBackward0",
             ((5, 2, 3), (3, 4)): "UnsafeViewBackward0", ((5, 2, 3), (5, 3, 4)):
             "UnsafeViewBackward0", ((3,), (5, 3, 4)): "UnsafeViewBackward0",
             ((2, 3), (5, 3, 4)): "CloneBackward0"}
    for (sa, sb), name in cases.items():
        assert type((r(*sa) @ r(*sb)).grad_fn).__name__ == name, (sa, sb)


def test_matmul_gradient_for_one_operand_only(torch):
    for sa, sb in [((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((4, 2, 3), (4, 3, 2))]:
        a_np, b_np = _arrays("one" + _id((sa, sb)), sa, sb)
        for which in (0, 1):
            ga = gradcore.tensor(a_np, requires_grad=which == 0)
            gb = gradcore.tensor(b_np, requires_grad=which == 1)
            ta = torch.tensor(a_np, requires_grad=which == 0)
            tb = torch.tensor(b_np, requires_grad=which == 1)
            (ga @ gb).sum().backward()
            (ta @ tb).sum().backward()
            g, t = (ga, ta) if which == 0 else (gb, tb)
            np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-12)
            assert (gb if which == 0 else ga).grad is None


def test_matmul_of_transposed_views(torch):
    a_np, b_np = _arrays("views", (4, 3), (2, 4, 5))
    run_both(torch, lambda L, a, b: a.t() @ b.transpose(1, 2).mT, [a_np, b_np])
    run_both(torch, lambda L, a, b: b.mT @ a, [a_np, b_np])


def test_integer_matmul(torch):
    a = [[1, 2], [3, 4]]
    for fn in (lambda L, x: x @ x, lambda L, x: x[0] @ x[1], lambda L, x: L.mm(x, x),
               lambda L, x: x @ x[0]):
        g, t = fn(gradcore, gradcore.tensor(a)), fn(torch, torch.tensor(a))
        assert g.dtype is gradcore.int64 and g.tolist() == t.tolist()


# ---- mm, bmm, dot, mv, outer, addmm --------------------------------------------------------

PRODUCTS = [
    ("mm", lambda L, a, b: L.mm(a, b), (2, 3), (3, 4)),
    ("mm-method", lambda L, a, b: a.mm(b), (1, 1), (1, 3)),
    ("bmm", lambda L, a, b: L.bmm(a, b), (2, 2, 3), (2, 3, 4)),
    ("bmm-method", lambda L, a, b: a.bmm(b), (1, 3, 1), (1, 1, 2)),
    ("dot", lambda L, a, b: L.dot(a, b), (4,), (4,)),
    ("dot-method", lambda L, a, b: a.dot(b), (1,), (1,)),
    ("mv", lambda L, a, b: L.mv(a, b), (2, 3), (3,)),
    ("mv-method", lambda L, a, b: a.mv(b), (1, 2), (2,)),
    ("outer", lambda L, a, b: L.outer(a, b), (3,), (2,)),
    ("outer-method", lambda L, a, b: a.outer(b), (1,), (4,)),
    ("ger", lambda L, a, b: a.ger(b), (2,), (3,)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,fn,sa,sb", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_products_match_torch(torch, device, name, fn, sa, sb, dtype):
    run_both(torch, fn, _arrays(name, sa, sb), dtype, device)


@pytest.mark.parametrize("name,fn,sa,sb", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_products_gradcheck_and_gradgradcheck(name, fn, sa, sb):
    a, b = [gradcore.tensor(x, requires_grad=True) for x in _arrays(name, sa, sb)]
    f = lambda x, y: fn(gradcore, x, y)  # noqa: E731
    assert gradcheck(f, (a, b))
    if not name.startswith(("outer", "ger")):  # outer is a broadcast mul (elementwise.py)
        assert gradgradcheck(f, (a, b))


def test_outer_second_derivative_matches_torch(torch):
    a_np, b_np = _arrays("outer2", (3,), (2,))

    def second(lib):
        a = lib.tensor(a_np, requires_grad=True)
        b = lib.tensor(b_np, requires_grad=True)
        ga, = lib.autograd.grad((lib.outer(a, b) ** 2).sum(), a, create_graph=True)
        gb, = lib.autograd.grad(ga.sum(), b)
        return gb.numpy()
    np.testing.assert_allclose(second(gradcore), second(torch), rtol=1e-12)


ADDMM = [
    ("bias-row", (4,), (2, 3), (3, 4), {}),
    ("bias-full", (2, 4), (2, 3), (3, 4), {}),
    ("bias-col-beta-alpha", (2, 1), (2, 3), (3, 2), {"beta": 0.5, "alpha": 2}),
    ("bias-0d", (), (1, 2), (2, 3), {"alpha": -1}),
    ("beta0", (4,), (2, 3), (3, 4), {"beta": 0}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,sc,sa,sb,kw", ADDMM, ids=[a[0] for a in ADDMM])
def test_addmm_matches_torch(torch, device, name, sc, sa, sb, kw, dtype):
    arrays = _arrays(name, sc, sa, sb)
    run_both(torch, lambda L, c, a, b: L.addmm(c, a, b, **kw), arrays, dtype, device)
    run_both(torch, lambda L, c, a, b: c.addmm(a, b, **kw), arrays, dtype, device)


@pytest.mark.parametrize("name,sc,sa,sb,kw", ADDMM, ids=[a[0] for a in ADDMM])
def test_addmm_gradcheck_and_gradgradcheck(name, sc, sa, sb, kw):
    ts = [gradcore.tensor(x, requires_grad=True) for x in _arrays(name, sc, sa, sb)]
    f = lambda c, a, b: gradcore.addmm(c, a, b, **kw)  # noqa: E731
    assert gradcheck(f, ts)
    assert gradgradcheck(f, ts)


def test_addmm_as_a_linear_layer(torch):
    x_np, w_np, b_np = _arrays("linear", (5, 3), (4, 3), (4,))
    run_both(torch, lambda L, x, w, b: L.addmm(b, x, w.t()), [x_np, w_np, b_np])


def test_addmm_beta_zero_ignores_nan_in_input():
    c = gradcore.tensor([float("nan"), float("inf")])
    a, b = gradcore.ones(1, 3), gradcore.ones(3, 2)
    assert gradcore.addmm(c, a, b, beta=0).tolist() == [[3.0, 3.0]]


def test_matmul_operator_with_non_tensors():
    x = gradcore.ones(2, 2)
    with pytest.raises(TypeError, match="unsupported operand"):
        x @ 3
    with pytest.raises(TypeError, match="unsupported operand"):
        [[1.0, 0.0]] @ x
    with pytest.raises(TypeError, match=r"matmul\(\): argument 'other' \(position 2\) must be "
                                        r"Tensor, not int"):
        gradcore.matmul(x, 3)
    assert (gradcore.ones(2) @ x).tolist() == [2.0, 2.0]
    assert x.__rmatmul__(gradcore.ones(1, 2)).tolist() == [[2.0, 2.0]]


# ---- errors --------------------------------------------------------------------------------

def _r(L, *s, dt=None):
    return L.ones(*s, dtype=getattr(L, dt) if dt else None)


LINALG_ERRORS = [
    (lambda L: _r(L, 2, 3) @ _r(L, 4, 5),
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda L: L.mm(_r(L, 2, 3), _r(L, 4, 5)),
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda L: _r(L, 3) @ _r(L, 4, 5), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
    (lambda L: _r(L, 2, 2, 3) @ _r(L, 4, 5),
     "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)"),
    (lambda L: L.addmm(_r(L, 4), _r(L, 2, 3), _r(L, 2, 4)),
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x4)"),
    (lambda L: L.bmm(_r(L, 2, 2, 3), _r(L, 2, 4, 5)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    (lambda L: L.bmm(_r(L, 2, 2, 3), _r(L, 3, 3, 5)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3]."),
    (lambda L: _r(L, 2, 2, 3) @ _r(L, 2, 4, 5),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    (lambda L: _r(L, 2, 3) @ _r(L, 2, 4, 5),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    (lambda L: _r(L, 3) @ _r(L, 2, 4, 5),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    (lambda L: _r(L, 2, 2, 3) @ _r(L, 3, 3, 5),
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda L: L.dot(_r(L, 3), _r(L, 4)),
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
     "elements, but got 3 and 4 elements respectively"),
    (lambda L: _r(L, 3) @ _r(L, 4),
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
     "elements, but got 3 and 4 elements respectively"),
    (lambda L: L.dot(_r(L, 2, 3), _r(L, 2, 3)), "1D tensors expected, but got 2D and 2D tensors"),
    (lambda L: L.dot(_r(L, 3), _r(L, 2, 3)), "1D tensors expected, but got 1D and 2D tensors"),
    (lambda L: L.dot(L.tensor(1.0), L.tensor(1.0)),
     "1D tensors expected, but got 0D and 0D tensors"),
    (lambda L: L.mv(_r(L, 2, 3), _r(L, 4)), "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda L: _r(L, 2, 3) @ _r(L, 4), "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda L: _r(L, 2, 2, 3) @ _r(L, 4), "size mismatch, got input (4), mat (4x3), vec (4)"),
    (lambda L: L.mv(_r(L, 2, 3), _r(L, 2, 3)), "vector + matrix @ vector expected, got 1, 2, 2"),
    (lambda L: L.mv(_r(L, 3), _r(L, 3)), "vector + matrix @ vector expected, got 1, 1, 1"),
    (lambda L: L.mm(_r(L, 3), _r(L, 3, 5)), "self must be a matrix"),
    (lambda L: L.mm(_r(L, 2, 3), _r(L, 3)), "mat2 must be a matrix"),
    (lambda L: L.bmm(_r(L, 2, 3), _r(L, 2, 3, 5)), "batch1 must be a 3D tensor"),
    (lambda L: L.bmm(_r(L, 2, 2, 3), _r(L, 3, 5)), "batch2 must be a 3D tensor"),
    (lambda L: L.outer(_r(L, 2, 2), _r(L, 3)), "outer: Expected 1-D argument self, but got 2-D"),
    (lambda L: L.outer(_r(L, 2), _r(L, 2, 3)), "outer: Expected 1-D argument vec2, but got 2-D"),
    (lambda L: L.addmm(_r(L, 4), _r(L, 3), _r(L, 3, 4)), "mat1 must be a matrix, got 1-D tensor"),
    (lambda L: L.addmm(_r(L, 4), _r(L, 2, 3), _r(L, 3)), "mat2 must be a matrix, got 1-D tensor"),
    (lambda L: L.addmm(_r(L, 3), _r(L, 2, 3), _r(L, 3, 4)),
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]"),
    (lambda L: L.tensor(2.0) @ _r(L, 3),
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (lambda L: _r(L, 3) @ L.tensor(2.0),
     "both arguments to matmul need to be at least 1D, but they are 1D and 0D"),
    # dtypes
    (lambda L: _r(L, 2, 3) @ _r(L, 3, 4, dt="float64"),
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda L: L.mm(_r(L, 2, 3, dt="float64"), _r(L, 3, 4)),
     "expected m1 and m2 to have the same dtype, but got: double != float"),
    (lambda L: L.mm(_r(L, 2, 3), _r(L, 3, 4, dt="int32")),
     "expected m1 and m2 to have the same dtype, but got: float != int"),
    (lambda L: _r(L, 2, 3) @ _r(L, 3, 4, dt="int64"),
     "expected m1 and m2 to have the same dtype, but got: float != long int"),
    (lambda L: L.mm(_r(L, 2, 3, dt="float16"), _r(L, 3, 4)),
     "expected m1 and m2 to have the same dtype, but got: c10::Half != float"),
    (lambda L: _r(L, 3) @ _r(L, 3, 4, dt="float64"),
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda L: _r(L, 2, 2, 3) @ _r(L, 3, 4, dt="float64"),
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda L: _r(L, 3) @ _r(L, 3, dt="float64"),
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda L: L.dot(_r(L, 3, dt="int32"), _r(L, 3, dt="int64")),
     "dot : expected both vectors to have same dtype, but found Int and Long"),
    (lambda L: L.mv(_r(L, 2, 3, dt="float64"), _r(L, 3)),
     "addmv input tensors must have the same dtype, but got Float, Double, and Float"),
    (lambda L: _r(L, 3, 3) @ _r(L, 3, dt="float64"),
     "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    (lambda L: _r(L, 2, 2, 3, dt="float64") @ _r(L, 3),
     "addmv input tensors must have the same dtype, but got Float, Double, and Float"),
    (lambda L: _r(L, 2, 2, 3) @ _r(L, 3, dt="float64"),
     "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    (lambda L: L.bmm(_r(L, 2, 2, 3), _r(L, 2, 3, 5, dt="float64")),
     "expected scalar type Float but found Double"),
    (lambda L: _r(L, 2, 2, 3, dt="float64") @ _r(L, 2, 3, 4),
     "expected scalar type Double but found Float"),
    (lambda L: _r(L, 2, 3) @ _r(L, 2, 3, 4, dt="float64"),
     "expected scalar type Float but found Double"),
    (lambda L: L.bmm(_r(L, 2, 2, 3), _r(L, 2, 3, 4, dt="int64")),
     "expected scalar type Float but found Long"),
    (lambda L: L.addmm(_r(L, 4, dt="float64"), _r(L, 2, 3), _r(L, 3, 4)),
     "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda L: L.addmm(_r(L, 4), _r(L, 2, 3), _r(L, 3, 4, dt="float64")),
     "self and mat2 must have the same dtype, but got Float and Double"),
    (lambda L: L.addmm(_r(L, 4), _r(L, 2, 3, dt="float64"), _r(L, 3, 4)),
     "mat1 and mat2 must have the same dtype, but got Double and Float"),
]


@pytest.mark.parametrize("fn,msg", LINALG_ERRORS, ids=[str(i) for i in range(len(LINALG_ERRORS))])
def test_linalg_errors(fn, msg):
    with pytest.raises(RuntimeError) as info:
        fn(gradcore)
    assert str(info.value) == msg


@pytest.mark.parametrize("fn,msg", LINALG_ERRORS, ids=[str(i) for i in range(len(LINALG_ERRORS))])
def test_linalg_errors_are_pytorchs(torch, fn, msg):
    with pytest.raises(RuntimeError) as info:
        fn(torch)
    assert str(info.value) == msg


def test_bool_matmul_is_not_implemented(torch):
    for lib in (gradcore, torch):
        b = lib.tensor([[True]])
        with pytest.raises(NotImplementedError, match="\"addmm_impl_cpu_\" not implemented "
                                                      "for 'Bool'"):
            b @ b


# ---- softmax / log_softmax -----------------------------------------------------------------

SOFTMAX = [((2, 3), 1), ((2, 3), 0), ((2, 3), -1), ((2, 2, 3), 1), ((4,), 0), ((), 0),
           ((), -1), ((3, 1), 1), ((2, 3, 4), -3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", SOFTMAX, ids=[_id((s,)) + f",{d}" for s, d in SOFTMAX])
def test_softmax_matches_torch(torch, device, name, shape, dim, dtype):
    arrays = _arrays(name + _id((shape,)), shape)
    run_both(torch, lambda L, x: getattr(x, name)(dim), arrays, dtype, device)
    run_both(torch, lambda L, x: getattr(L, name)(x, dim=dim), arrays, dtype, device)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", SOFTMAX, ids=[_id((s,)) + f",{d}" for s, d in SOFTMAX])
def test_softmax_gradcheck_and_gradgradcheck(name, shape, dim):
    x = gradcore.tensor(_arrays(name + _id((shape,)), shape)[0], requires_grad=True)
    f = lambda t: getattr(t, name)(dim)  # noqa: E731
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_softmax_second_derivative_matches_torch(torch):
    """Both inputs of the backward (y and gy) get second-order gradients like PyTorch's."""
    x_np, w_np, v_np = _arrays("soft2", (2, 3), (2, 3), (2, 3))
    for name in ("softmax", "log_softmax"):
        def second(lib):
            x = lib.tensor(x_np, requires_grad=True)
            w = lib.tensor(w_np, requires_grad=True)
            gx, = lib.autograd.grad((getattr(x, name)(1) * w).sum(), x, create_graph=True)
            return [g.numpy() for g in lib.autograd.grad((gx * lib.tensor(v_np)).sum(), (x, w))]
        for got, want in zip(second(gradcore), second(torch)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_softmax_dtype_argument(torch):
    a = _arrays("dtype", (2, 3))[0]
    for name in ("softmax", "log_softmax"):
        run_both(torch, lambda L, x: getattr(x, name)(1, dtype=L.float64), [a], "float32")
        g = getattr(gradcore.tensor([[1, 2, 3]]), name)(1, dtype=gradcore.float32)
        t = getattr(torch.tensor([[1, 2, 3]]), name)(1, dtype=torch.float32)
        assert g.dtype is gradcore.float32
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)


def test_softmax_is_numerically_stable(torch):
    inf = float("inf")
    for row in ([1000.0, 0.0, -1000.0], [1e4, 1e4], [-1e4, -1e4 - 1], [-inf, 0.0, 1.0],
                [-inf, -inf]):
        for name in ("softmax", "log_softmax"):
            g = getattr(gradcore.tensor(row, dtype=gradcore.float64), name)(0).numpy()
            t = getattr(torch.tensor(row, dtype=torch.float64), name)(0).numpy()
            np.testing.assert_allclose(g, t, rtol=1e-12)
            assert np.isnan(g).any() == (row == [-inf, -inf])
    p = gradcore.tensor([[1000.0, 1000.0, 1000.0]]).softmax(1)
    np.testing.assert_allclose(p.numpy(), [[1 / 3] * 3], rtol=1e-6)


def test_softmax_rows_sum_to_one_and_empty_inputs():
    x = gradcore.randn(4, 5)
    np.testing.assert_allclose(x.softmax(1).sum(1).numpy(), np.ones(4), rtol=1e-6)
    np.testing.assert_allclose(x.log_softmax(0).exp().sum(0).numpy(), np.ones(5), rtol=1e-6)
    for name in ("softmax", "log_softmax"):
        assert getattr(gradcore.empty(0, 3), name)(0).shape == (0, 3)


def test_softmax_node_names_without_torch():
    x = gradcore.randn(2, 3, requires_grad=True)
    assert type(x.softmax(1).grad_fn).__name__ == "SoftmaxBackward0"
    assert type(gradcore.log_softmax(x, 0).grad_fn).__name__ == "LogSoftmaxBackward0"


SOFTMAX_ERRORS = [
    (lambda L: L.arange(3).softmax(0), NotImplementedError,
     "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda L: L.arange(3).log_softmax(0), NotImplementedError,
     "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda L: L.arange(6).reshape(2, 3).softmax(0), NotImplementedError,
     "\"softmax_kernel_impl\" not implemented for 'Long'"),
    (lambda L: L.ones(2, 3, dtype=L.int32).log_softmax(-2), NotImplementedError,
     "\"log_softmax_kernel_impl\" not implemented for 'Int'"),
    (lambda L: L.tensor(3).softmax(0), NotImplementedError,
     "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda L: L.ones(2, 3).softmax(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda L: L.ones(2, 3).log_softmax(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda L: L.tensor(1.0).softmax(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
]


@pytest.mark.parametrize("fn,exc,msg", SOFTMAX_ERRORS)
def test_softmax_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn(gradcore)
    assert str(info.value) == msg


@pytest.mark.parametrize("fn,exc,msg", SOFTMAX_ERRORS)
def test_softmax_errors_are_pytorchs(torch, fn, exc, msg):
    with pytest.raises(exc) as info:
        fn(torch)
    assert str(info.value) == msg


def test_softmax_needs_a_dim():
    with pytest.raises(TypeError):
        gradcore.ones(3).softmax()
