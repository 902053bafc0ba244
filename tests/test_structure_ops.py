"""The structure ops (gradcore/ops/structure.py) where tests/op_db.py can't reach: integer and
bool dtypes, non-differentiable results, views, warnings, kwargs, errors and their messages --
each against PyTorch."""
import warnings

import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck


def _np(t):
    return t.detach().cpu().numpy()


def _same(torch, fn):
    """fn(lib) on both libraries: the same values, dtypes and shapes (one tensor or a tuple)."""
    got, exp = fn(gradcore), fn(torch)
    got = got if isinstance(got, (tuple, list)) else (got,)
    exp = exp if isinstance(exp, (tuple, list)) else (exp,)
    assert len(got) == len(exp)
    for g, e in zip(got, exp):
        assert str(g.dtype).split(".")[-1] == str(e.dtype).split(".")[-1]
        assert tuple(g.shape) == tuple(e.shape)
        np.testing.assert_array_equal(_np(g), e.detach().numpy())


def _same_error(torch, fn, prefix=None):
    """fn(lib) raises the same exception type and message in both (its first ``prefix``
    characters where torch's message shows tensor values)."""
    with pytest.raises(Exception) as t_exc:
        fn(torch)
    msg = str(t_exc.value).splitlines()[0]
    with pytest.raises(t_exc.type) as g_exc:
        fn(gradcore)
    got = str(g_exc.value).splitlines()[0]
    assert got[:prefix] == msg[:prefix], (got, msg)


ints = np.arange(12).reshape(3, 4) - 5


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float32"])
def test_integer_and_bool_dtypes(torch, dtype):
    a = ints % 3 == 0 if dtype == "bool" else ints.astype(dtype)
    a3 = np.stack([a, a[::-1]])

    def T(lib, arr=a):
        return lib.tensor(arr)

    _same(torch, lambda lib: lib.tril(T(lib), -1))
    _same(torch, lambda lib: T(lib).triu(1))
    _same(torch, lambda lib: lib.diag(T(lib), 1))
    _same(torch, lambda lib: lib.diag_embed(T(lib), -1, 0, 2))
    _same(torch, lambda lib: T(lib, a3).diagonal(1, 2, 0))
    _same(torch, lambda lib: lib.rot90(T(lib), 3))
    _same(torch, lambda lib: lib.fliplr(T(lib)))
    _same(torch, lambda lib: lib.repeat_interleave(T(lib), 2, dim=1))
    _same(torch, lambda lib: lib.take(T(lib), lib.tensor([[0, -1], [5, 5]])))
    _same(torch, lambda lib: lib.block_diag(T(lib), T(lib)[0]))
    _same(torch, lambda lib: lib.dstack([T(lib), T(lib)]))
    _same(torch, lambda lib: lib.column_stack([T(lib)[:, 0], T(lib)]))
    _same(torch, lambda lib: lib.tensor_split(T(lib), 3, dim=1))
    _same(torch, lambda lib: lib.atleast_3d(T(lib)))
    _same(torch, lambda lib: T(lib).index_copy(1, lib.tensor([3, 0]), T(lib)[:, :2]))
    _same(torch, lambda lib: T(lib).index_fill(0, lib.tensor([-1]), True))
    _same(torch, lambda lib: T(lib).masked_scatter(lib.tensor(a % 2 == 1) if dtype != "bool"
                                                   else T(lib), T(lib).flip(0)))
    _same(torch, lambda lib: lib.meshgrid(T(lib)[0], T(lib)[1], indexing="xy"))
    if dtype != "bool":
        _same(torch, lambda lib: lib.trace(T(lib)))
        _same(torch, lambda lib: lib.kron(T(lib)[:2, :2], T(lib)[1:, 2:]))
        _same(torch, lambda lib: lib.cross(T(lib)[:, :3], T(lib)[:, 1:], dim=1))
        _same(torch, lambda lib: T(lib).index_add(0, lib.tensor([2, 2]), T(lib)[:2], alpha=3))
        _same(torch, lambda lib: (lib.ones(3, 3, dtype=getattr(lib, dtype)) * 4)
              .fill_diagonal_(-2, wrap=True))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["int64", "int32", "float64"])
def test_scatter_reduce_values(torch, reduce, include_self, dtype):
    """Integer mean rounds down; src larger than index (only its leading part is used)."""
    def fn(lib):
        x = lib.tensor(ints.astype(dtype))
        src = lib.tensor((ints[::-1] * 3 - 4).astype(dtype))
        index = lib.tensor([[0, 2, 0], [1, 0, 0]])
        return x.scatter_reduce(0, index, src, reduce, include_self=include_self)
    _same(torch, fn)


def test_scatter_reduce_in_place_and_0d(torch):
    def fn(lib):
        x = lib.tensor(ints.astype("float64"))
        x.scatter_reduce_(1, lib.tensor([[3, 3], [0, 0], [1, 2]]), x[:, :2] * 2, "amax")
        y = lib.tensor(2.0).scatter_reduce(0, lib.tensor(0), lib.tensor(5.0), "prod")
        return x, y
    _same(torch, fn)


def test_scatter_reduce_prod_double_backward_refused_with_two_zeros(torch):
    for lib in (torch, gradcore):
        x = lib.ones(2, dtype=lib.float64, requires_grad=True)
        s = lib.tensor([0.0, 0.0], dtype=lib.float64, requires_grad=True)
        y = x.scatter_reduce(0, lib.tensor([0, 0]), s, "prod")
        g, = lib.autograd.grad(y.sum(), s, create_graph=True)
        np.testing.assert_array_equal(_np(g), [0.0, 0.0])
        with pytest.raises(RuntimeError, match="Double backward is unsupported"):
            lib.autograd.grad(g.sum(), s)


def test_indices_and_single_tensor_repeat_interleave(torch):
    for args in [(3, 3), (4, 3, 1), (3, 5, -2), (0, 3), (4, 2, 5)]:
        _same(torch, lambda lib: lib.tril_indices(*args))
        _same(torch, lambda lib: lib.triu_indices(*args))
    _same(torch, lambda lib: lib.tril_indices(3, 4, dtype=lib.int32))
    _same(torch, lambda lib: lib.repeat_interleave(lib.tensor([2, 0, 3])))
    _same(torch, lambda lib: lib.repeat_interleave(lib.tensor([2, 1]), output_size=3))
    r = gradcore.repeat_interleave(gradcore.tensor([1, 2]))
    assert r.grad_fn is None and not r.requires_grad


def test_diagonal_is_a_writable_view(torch):
    for lib in (torch, gradcore):
        base = lib.zeros(3, 4, dtype=lib.float64, requires_grad=True)
        x = base * 1
        d = x.diagonal(1)
        d.mul_(0).add_(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
        assert float(x[1, 2].detach()) == 2.0
        (x * lib.arange(12, dtype=lib.float64).reshape(3, 4)).sum().backward()
        if lib is torch:
            expected = base.grad.numpy()
        else:
            np.testing.assert_array_equal(_np(base.grad), expected)


def test_fill_diagonal_non_contiguous_and_leaf(torch):
    _same(torch, lambda lib: lib.arange(6.0).reshape(2, 3).t().fill_diagonal_(9.0))
    _same(torch, lambda lib: lib.zeros(7, 3).fill_diagonal_(1.0, wrap=True))
    x = gradcore.randn(3, 2, dtype=gradcore.float64, requires_grad=True)
    assert gradcheck(lambda t: (t * 1).t().fill_diagonal_(0.5) * t.t(), [x])
    _same_error(torch, lambda lib: lib.ones(2, 2, requires_grad=True).fill_diagonal_(0.0))


def test_kwargs_and_forms(torch):
    x = np.arange(24.0).reshape(2, 3, 4)
    _same(torch, lambda lib: lib.diagonal(lib.tensor(x), offset=-1, dim1=2, dim2=1))
    _same(torch, lambda lib: lib.tensor(x).diag_embed(offset=2, dim1=0, dim2=-1))
    _same(torch, lambda lib: lib.tensor(x).rot90(k=-3, dims=[2, 1]))
    _same(torch, lambda lib: lib.tensor(x).repeat_interleave(lib.tensor([1, 0, 2]), dim=1,
                                                             output_size=3))
    _same(torch, lambda lib: lib.tensor_split(lib.tensor(x), [1], dim=2))
    _same(torch, lambda lib: lib.tensor(x).hsplit([1, 2]))
    _same(torch, lambda lib: lib.tensor(x).dsplit(2))
    _same(torch, lambda lib: lib.tensor(x).vsplit(lib.tensor([1])))
    _same(torch, lambda lib: lib.atleast_1d(lib.tensor(1.0), lib.tensor(x)))
    _same(torch, lambda lib: lib.broadcast_tensors(lib.tensor(x), lib.tensor([1.0, 2, 3, 4])))
    _same(torch, lambda lib: lib.row_stack([lib.tensor(x[0]), lib.tensor(x[1, 0])]))
    _same(torch, lambda lib: lib.cartesian_prod(lib.tensor([1, 2]), lib.tensor([3, 4, 5])))
    _same(torch, lambda lib: lib.tensor(x).index_add_(2, lib.tensor([0]), lib.ones(2, 3, 1,
                                                      dtype=lib.float64), alpha=-2))
    _same(torch, lambda lib: lib.tensor(x).index_copy_(0, lib.tensor([1, 0]), lib.tensor(x)))
    _same(torch, lambda lib: lib.tensor(x).index_fill_(1, lib.tensor([1]), lib.tensor(-1.0)))
    _same(torch, lambda lib: lib.tensor(x).masked_scatter_(lib.tensor(x) > 10,
                                                           -lib.tensor(x)))
    _same(torch, lambda lib: lib.tensor(x[0]).tril_(1))
    _same(torch, lambda lib: lib.tensor(x[0]).triu_(diagonal=-1))
    t = gradcore.tensor(x)
    assert gradcore.atleast_2d(t) is t and gradcore.broadcast_tensors(t, t)[0] is t
    assert gradcore.cartesian_prod(t[0, 0]) is not None


def test_meshgrid_and_cross_warn_like_torch(torch):
    for lib in (torch, gradcore):
        a = lib.tensor([1.0, 2.0, 3.0])
        with pytest.warns(UserWarning, match="it will be required to pass the indexing"):
            lib.meshgrid(a, a)
        with pytest.warns(UserWarning, match="torch.cross without specifying the dim"):
            out = lib.cross(a.reshape(3, 1).expand(3, 2), lib.ones(3, 2))
        assert tuple(out.shape) == (3, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.meshgrid(a, a, indexing="ij")
            lib.cross(a, a, dim=0)


ERRORS = [
    lambda lib: lib.ones(3).tril(),
    lambda lib: lib.triu(lib.ones(3)),
    lambda lib: lib.tril_indices(-1, 3),
    lambda lib: lib.triu_indices(3, 3, dtype=lib.float32),
    lambda lib: lib.trace(lib.ones(3)),
    lambda lib: lib.diag(lib.ones(2, 2, 2)),
    lambda lib: lib.diag(lib.tensor(1.0)),
    lambda lib: lib.diag_embed(lib.ones(3), 0, 0, 0),
    lambda lib: lib.diag_embed(lib.ones(3), 0, 0, 3),
    lambda lib: lib.diagonal(lib.ones(3, 3), 0, 1, -1),
    lambda lib: lib.diagonal(lib.ones(3)),
    lambda lib: lib.ones(2).fill_diagonal_(1),
    lambda lib: lib.ones(2, 3, 2).fill_diagonal_(1),
    lambda lib: lib.block_diag(lib.ones(2, 2, 2)),
    lambda lib: lib.cartesian_prod(lib.ones(2, 2)),
    lambda lib: lib.meshgrid(lib.ones(3), lib.ones(3, dtype=lib.float64), indexing="ij"),
    lambda lib: lib.meshgrid(lib.ones(3), indexing="foo"),
    lambda lib: lib.meshgrid(indexing="ij"),
    lambda lib: lib.cross(lib.ones(2, 2), lib.ones(2, 2)),
    lambda lib: lib.cross(lib.ones(3, 3), lib.ones(3, 2)),
    lambda lib: lib.cross(lib.ones(3, 3), lib.ones(3, 3, dtype=lib.int64), dim=0),
    lambda lib: lib.cross(lib.ones(2, 4), lib.ones(2, 4), dim=1),
    lambda lib: lib.cross(lib.ones(4, 3), lib.ones(2, 4, 3), dim=-1),
    lambda lib: lib.cross(lib.ones(3), lib.ones(3), dim=1),
    lambda lib: lib.rot90(lib.ones(3, 3), 1, [0]),
    lambda lib: lib.rot90(lib.ones(3, 3), 1, [0, -2]),
    lambda lib: lib.rot90(lib.ones(3)),
    lambda lib: lib.fliplr(lib.ones(3)),
    lambda lib: lib.flipud(lib.tensor(1.0)),
    lambda lib: lib.ones(3, 3).repeat_interleave(-1),
    lambda lib: lib.ones(3, 3).repeat_interleave(lib.tensor([1, 2]), dim=0),
    lambda lib: lib.ones(3, 3).repeat_interleave(lib.tensor([1, 2, -1]), dim=0),
    lambda lib: lib.ones(3, 3).repeat_interleave(lib.tensor([[1, 2, 1]]), dim=0),
    lambda lib: lib.ones(3, 3).repeat_interleave(lib.tensor([1.0, 2, 1]), dim=0),
    lambda lib: lib.ones(3, 3).repeat_interleave(2, dim=0, output_size=5),
    lambda lib: lib.ones(3).repeat_interleave(lib.tensor([1, 2, 1]), dim=0, output_size=5),
    lambda lib: lib.repeat_interleave(lib.tensor([[1, 2]])),
    lambda lib: lib.repeat_interleave(lib.tensor([1, -2])),
    lambda lib: lib.broadcast_tensors(lib.ones(3, 3), lib.ones(2)),
    lambda lib: lib.take(lib.ones(3, 3), lib.tensor([9])),
    lambda lib: lib.take(lib.ones(3, 3), lib.tensor([-10])),
    lambda lib: lib.take(lib.ones(3, 3), lib.tensor([1.0])),
    lambda lib: lib.take(lib.ones(3, 3), lib.tensor([1], dtype=lib.int32)),
    lambda lib: lib.dstack([]),
    lambda lib: lib.column_stack([]),
    lambda lib: lib.tensor_split(lib.tensor(1.0), 2),
    lambda lib: lib.tensor_split(lib.ones(3), 0),
    lambda lib: lib.tensor_split(lib.ones(3), lib.tensor([1.0])),
    lambda lib: lib.tensor_split(lib.ones(3), lib.tensor([[1]])),
    lambda lib: lib.hsplit(lib.ones(3, 3), 2),
    lambda lib: lib.hsplit(lib.ones(3), 2),
    lambda lib: lib.hsplit(lib.tensor(1.0), 2),
    lambda lib: lib.vsplit(lib.ones(3), 1),
    lambda lib: lib.vsplit(lib.ones(3, 3), 2),
    lambda lib: lib.dsplit(lib.ones(3, 3), 1),
    lambda lib: lib.ones(3, 3).index_add(0, lib.tensor([0, 2]), lib.ones(2, 3,
                                                                         dtype=lib.float64)),
    lambda lib: lib.ones(3, 3).index_add(0, lib.tensor([0, 2]), lib.ones(3, 3)),
    lambda lib: lib.ones(3, 3).index_add(0, lib.tensor([0, 2]), lib.ones(2, 2)),
    lambda lib: lib.ones(3, 3).index_add(0, lib.tensor([5, 0]), lib.ones(2, 3)),
    lambda lib: lib.ones(3, 3).index_add(0, lib.tensor([-1, 0]), lib.ones(2, 3)),
    lambda lib: lib.ones(3, 3).index_add(0, lib.tensor([0.0, 2.0]), lib.ones(2, 3)),
    lambda lib: lib.ones(3, 3).index_add(0, lib.tensor([[0, 2]]), lib.ones(2, 3)),
    lambda lib: lib.ones(3, 3).index_copy(0, lib.tensor([0, 2]), lib.ones(2, 3,
                                                                          dtype=lib.float64)),
    lambda lib: lib.ones(3, 3).index_copy(0, lib.tensor([5, 0]), lib.ones(2, 3)),
    lambda lib: lib.ones(3, 3).index_copy(0, lib.tensor([-1, 0]), lib.ones(2, 3)),
    lambda lib: lib.ones(3, 3).index_copy(0, lib.tensor([0, 2]), lib.ones(3, 3)),
    lambda lib: lib.ones(3, 3).index_fill(0, lib.tensor([5]), 2.0),
    lambda lib: lib.ones(3, 3).index_fill(0, lib.tensor([-4]), 2.0),
    lambda lib: lib.ones(3, 3).index_fill(0, lib.tensor([0]), lib.tensor([2.0])),
    lambda lib: lib.ones(3, 3).masked_scatter(lib.tensor([True, False, True]), lib.ones(2)),
    lambda lib: lib.ones(3, 3).masked_scatter(lib.tensor([1, 0, 1], dtype=lib.int32),
                                              lib.ones(9)),
    lambda lib: lib.ones(3, 3).masked_scatter(lib.tensor([True, False, True]),
                                              lib.ones(9, dtype=lib.float64)),
    lambda lib: lib.ones(3, 3).scatter_reduce(0, lib.tensor([[0, 1, 0]]), lib.ones(3, 3),
                                              "foo"),
    lambda lib: lib.ones(3, 3).scatter_reduce(0, lib.tensor([[0, 1, 0]]),
                                              lib.ones(3, 3, dtype=lib.float64), "sum"),
    lambda lib: lib.ones(3, 3).scatter_reduce(0, lib.tensor([[5, 1, 0]]), lib.ones(3, 3),
                                              "sum"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(torch, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _same_error(torch, ERRORS[k])


def test_meshgrid_shape_error_names_the_tensor(torch):
    _same_error(torch, lambda lib: lib.meshgrid(lib.ones(2, 2), indexing="ij"), prefix=68)
