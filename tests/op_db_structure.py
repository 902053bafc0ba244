"""OpInfo entries for gradcore/ops/structure.py (registered into op_db.OP_DB)."""
import numpy as np

from op_db import S, distinct, idx, register


def _r(name, op, samples, **kw):
    register(name, op, samples, module="structure", **kw)


def _samples(*specs):
    """Samples from (shapes, kwargs) pairs: one float input per shape."""
    def gen(make):
        for shapes, kw in specs:
            yield S(*(make(*s, i=i) for i, s in enumerate(shapes)), **kw)
    return gen


# ---- triangles and diagonals ------------------------------------------------------------------
_tri = _samples(([(3, 4)], {}), ([(3, 4)], dict(diagonal=1)), ([(4, 3)], dict(diagonal=-1)),
                ([(2, 3, 3)], dict(diagonal=2)), ([(2, 0)], {}))
_r("tril", lambda lib, x, **k: lib.tril(x, **k), _tri)
_r("triu", lambda lib, x, **k: x.triu(**k), _tri)
_r("tril_", lambda lib, x, **k: (x * 1).tril_(**k), _tri)
_r("triu_", lambda lib, x, **k: (x * 1).triu_(**k), _tri)
_r("diag", lambda lib, x, *a: lib.diag(x, *a),
   _samples(([(3,)], {}), ([(3,)], dict(args=(1,))), ([(2,)], dict(args=(-2,))),
            ([(3, 4)], {}), ([(3, 4)], dict(args=(2,))), ([(4, 3)], dict(args=(-1,)))))
_r("diag_embed", lambda lib, x, **k: lib.diag_embed(x, **k),
   _samples(([(3,)], {}), ([(2, 3)], dict(offset=1)), ([(2, 3)], dict(dim1=0, dim2=2)),
            ([(2, 2)], dict(offset=-1, dim1=-1, dim2=0))))
_r("diagonal", lambda lib, x, **k: x.diagonal(**k),
   _samples(([(3, 4)], {}), ([(3, 4)], dict(offset=1)), ([(3, 4)], dict(offset=-2)),
            ([(2, 3, 4)], dict(dim1=2, dim2=0)), ([(2, 3, 3)], dict(offset=1, dim1=-1, dim2=1)),
            ([(2, 3)], dict(offset=5))))
_r("diagonal_fn", lambda lib, x: lib.diagonal(x, 0, -2, -1) * 2, _samples(([(2, 2, 3)], {})))
_r("trace", lambda lib, x: lib.trace(x), _samples(([(3, 3)], {}), ([(2, 4)], {}), ([(4, 1)], {})))
_r("fill_diagonal_", lambda lib, x, v, **k: (x * 1).fill_diagonal_(v, **k),
   _samples(([(3, 3)], dict(args=(0.5,))), ([(5, 2)], dict(args=(2.0,))),
            ([(5, 2)], dict(args=(2.0,), wrap=True)), ([(2, 4)], dict(args=(-1.0,))),
            ([(2, 2, 2)], dict(args=(3.0,)))))

# ---- block_diag, cartesian_prod, meshgrid, kron, cross ----------------------------------------
_r("block_diag", lambda lib, *ts: lib.block_diag(*ts),
   _samples(([(2, 2), (1, 3)], {}), ([(3,), (), (2, 1)], {}), ([(2, 3)], {})))
_r("cartesian_prod", lambda lib, *ts: lib.cartesian_prod(*ts),
   _samples(([(3,), (2,)], {}), ([(2,), (2,), (2,)], {}), ([(3,)], {})))
_r("meshgrid", lambda lib, *ts, **k: lib.meshgrid(*ts, **k),
   _samples(([(3,), (2,)], dict(indexing="ij")), ([(3,), (2,), (2,)], dict(indexing="xy")),
            ([(), (2,)], dict(indexing="ij"))))
_r("meshgrid_list", lambda lib, a, b: lib.meshgrid([a, b], indexing="xy"),
   _samples(([(2,), (3,)], {})))
_r("kron", lambda lib, a, b: lib.kron(a, b),
   _samples(([(2, 2), (2, 3)], {}), ([(3,), (2,)], {}), ([(2,), (2, 2)], {}),
            ([(), (3,)], {}), ([(2, 1, 2), (1, 2)], {})))
_r("cross", lambda lib, a, b, **k: lib.cross(a, b, **k),
   _samples(([(2, 3), (2, 3)], dict(dim=1)), ([(3, 2), (3, 2)], dict(dim=0)),
            ([(2, 3), (1, 3)], dict(dim=-1)), ([(3,), (3,)], dict(dim=0))))
_r("cross_method", lambda lib, a, b: a.cross(b, dim=-1), _samples(([(2, 2, 3), (2, 2, 3)], {})))

# ---- rotations and flips ------------------------------------------------------------------------
_r("rot90", lambda lib, x, *a: lib.rot90(x, *a),
   _samples(([(2, 3)], {}), ([(2, 3)], dict(args=(2,))), ([(2, 3)], dict(args=(-1,))),
            ([(2, 3, 2)], dict(args=(3, [2, 0]))), ([(2, 3)], dict(args=(4,)))))
_r("rot90_method", lambda lib, x: x.rot90(1, [-1, -2]), _samples(([(2, 3)], {})))
_r("fliplr", lambda lib, x: lib.fliplr(x), _samples(([(2, 3)], {}), ([(2, 3, 2)], {})))
_r("flipud", lambda lib, x: x.flipud(), _samples(([(3,)], {}), ([(3, 2)], {})))

# ---- repeat_interleave, broadcast, atleast, take ----------------------------------------------
_r("repeat_interleave", lambda lib, x, *a, **k: x.repeat_interleave(*a, **k),
   _samples(([(2, 3)], dict(args=(2,))), ([(2, 3)], dict(args=(2,), dim=1)),
            ([(2, 3)], dict(args=(3,), dim=-2)), ([()], dict(args=(3,))),
            ([(2, 3)], dict(args=(0,), dim=0))))


def _ri_tensor(lib, x, r, **k):
    return lib.repeat_interleave(x, r, **k)


_r("repeat_interleave_tensor", _ri_tensor,
   lambda make: [S(make(3, 2), idx(1, 0, 3), dim=0), S(make(2, 3), idx(2, 1, 2), dim=1),
                 S(make(4), idx(2), dim=0), S(make(2, 2), np.array(2)),
                 S(make(3), idx(1, 2, 1), dim=0, output_size=4)])
_r("broadcast_tensors", lambda lib, *ts: lib.broadcast_tensors(*ts),
   _samples(([(2, 1), (3,)], {}), ([(2, 3), (2, 3)], {}), ([(), (2,), (3, 1)], {})))
for _n in (1, 2, 3):
    _r(f"atleast_{_n}d", lambda lib, *ts, _n=_n: getattr(lib, f"atleast_{_n}d")(*ts),
       _samples(([()], {}), ([(3,)], {}), ([(2, 3)], {}), ([(2, 1, 2)], {}),
                ([(), (2,), (2, 2)], {})))
_r("atleast_2d_list", lambda lib, a, b: lib.atleast_2d([a, b]), _samples(([(), (3,)], {})))
_r("take", lambda lib, x, i: lib.take(x, i),
   lambda make: [S(make(3, 4), idx(0, 5, 11, 5)), S(make(2, 3), np.array([[1, -1], [0, 0]])),
                 S(make(), idx(0, 0)), S(make(4), np.array(-2))])
_r("take_method", lambda lib, x, i: x.take(i), lambda make: [S(make(2, 2), idx(3, 1))])

# ---- stacks and splits --------------------------------------------------------------------------
_stack = _samples(([(2, 3), (2, 3)], {}), ([(3,), (3,)], {}), ([(), ()], {}),
                  ([(2, 2, 1), (2, 2, 2)], {}))
_r("dstack", lambda lib, *ts: lib.dstack(list(ts)), _stack)
_r("column_stack", lambda lib, *ts: lib.column_stack(ts),
   _samples(([(2, 3), (2,)], {}), ([(3,), (3,)], {}), ([(), ()], {}), ([(2, 1), (2, 2)], {})))
_r("row_stack", lambda lib, *ts: lib.row_stack(list(ts)), _samples(([(2, 3), (3,)], {})))
_r("tensor_split", lambda lib, x, *a, **k: lib.tensor_split(x, *a, **k),
   _samples(([(5, 2)], dict(args=(3,))), ([(2, 5)], dict(args=(2,), dim=1)),
            ([(6,)], dict(args=([1, 4],))), ([(3, 2)], dict(args=((2, 1, 5),))),
            ([(6,)], dict(args=([-2, 4],))), ([(2, 3)], dict(args=(4,), dim=-1))))
_r("tensor_split_tensor", lambda lib, x, i: x.tensor_split(i, dim=1),
   lambda make: [S(make(2, 4), idx(1, 3)), S(make(2, 4), np.array(3))])
_r("hsplit", lambda lib, x, s: lib.hsplit(x, s),
   _samples(([(2, 4)], dict(args=(2,))), ([(4,)], dict(args=(2,))),
            ([(2, 3)], dict(args=([1],)))))
_r("vsplit", lambda lib, x, s: x.vsplit(s),
   _samples(([(4, 2)], dict(args=(2,))), ([(3, 2)], dict(args=([1, 2],)))))
_r("dsplit", lambda lib, x, s: lib.dsplit(x, s),
   _samples(([(2, 1, 4)], dict(args=(2,))), ([(1, 2, 3)], dict(args=([2],)))))

# ---- index_add / index_copy / index_fill / masked_scatter / scatter_reduce --------------------
_r("index_add", lambda lib, x, i, s, d, **k: x.index_add(d, i, s, **k),
   lambda make: [S(make(3, 2), idx(0, 2), make(2, 2, i=1), args=(0,)),
                 S(make(2, 3), idx(1, 1), make(2, 2, i=1), args=(1,), alpha=2.5),
                 S(make(4), idx(3, 0, 3), make(3, i=1), args=(-1,))])
_r("index_add_", lambda lib, x, i, s, d: (x * 1).index_add_(d, i, s, alpha=-1),
   lambda make: [S(make(3, 2), idx(2, 0), make(2, 2, i=1), args=(0,))])
_r("index_add_fn", lambda lib, x, i, s: lib.index_add(x, 1, i, s),
   lambda make: [S(make(2, 2), idx(1), make(2, 1, i=1))])
_r("index_copy", lambda lib, x, i, s, d: x.index_copy(d, i, s),
   lambda make: [S(make(3, 2), idx(0, 2), make(2, 2, i=1), args=(0,)),
                 S(make(2, 3), idx(2), make(2, 1, i=1), args=(-1,))])
_r("index_copy_", lambda lib, x, i, s: (x * 1).index_copy_(0, i, s),
   lambda make: [S(make(3), idx(1, 0), make(2, i=1))])
_r("index_fill", lambda lib, x, i, d, v: x.index_fill(d, i, v),
   lambda make: [S(make(3, 2), idx(0, 2), args=(0, 1.5)),
                 S(make(2, 3), idx(-1, 0, 2, 0), args=(1, -2.0))])
_r("index_fill_tensor", lambda lib, x, i, v: lib.index_fill(x, 1, i, v),
   lambda make: [S(make(2, 3), idx(0, 2, 2), make(i=1))])
_r("index_fill_", lambda lib, x, i: (x * 1).index_fill_(0, i, 0.0),
   lambda make: [S(make(3, 2), idx(1))])
_MASK = np.array([[True, False, True], [False, True, True]])
_r("masked_scatter", lambda lib, x, m, s: x.masked_scatter(m, s),
   lambda make: [S(make(2, 3), _MASK, make(5, i=1)), S(make(2, 3), _MASK, make(2, 2, i=1)),
                 S(make(2, 3), np.array([True, False, True]), make(4, i=1)),
                 S(make(3), np.array([[True], [False]]), make(3, i=1)),
                 S(make(), np.array(True), make(1, i=1))])
_r("masked_scatter_", lambda lib, x, m, s: (x * 1).masked_scatter_(m, s),
   lambda make: [S(make(2, 3), _MASK, make(4, i=1))])
_r("masked_scatter_fn", lambda lib, x, m, s: lib.masked_scatter(x, m, s),
   lambda make: [S(make(2, 2), np.array([[False, True], [True, True]]), make(3, i=1))])


def _scatter_reduce_samples(make):
    ii = np.array([[0, 1, 0], [2, 0, 0]])
    for reduce in ("sum", "mean", "amax", "amin", "prod"):
        for include_self in (True, False):
            yield S(make(3, 3), ii, make(2, 3, i=1), args=(0, reduce),
                    include_self=include_self)
        yield S(make(2, 4), np.array([[3, 3], [0, 1]]), make(2, 2, i=1), args=(-1, reduce))
        yield S(make(4), idx(1, 1, 3), make(3, i=1), args=(0, reduce), include_self=False)


_r("scatter_reduce", lambda lib, x, i, s, d, r, **k: x.scatter_reduce(d, i, s, r, **k),
   _scatter_reduce_samples, domain=distinct)


def _prod_zeros(n_zeros):
    """prod with zeros: a single zero among the values reduced into out[0, 0] (and one in
    input), or ``n_zeros`` of them into out[1, 1]."""
    def gen(make):
        x, s = make(3, 2), make(3, 2, i=1)
        s[0, 0] = 0.0
        s[1:1 + n_zeros, 1] = 0.0
        x[2, 0] = 0.0
        for include_self in (True, False):
            yield S(x.copy(), np.array([[0, 0], [1, 1], [2, 1]]), s.copy(), args=(0, "prod"),
                    include_self=include_self)
    return gen


def _scatter_reduce_fn(lib, x, i, s, d, r, **k):
    return lib.scatter_reduce(x, d, i, s, r, **k)


_r("scatter_reduce_prod_zero", _scatter_reduce_fn, _prod_zeros(1), domain=distinct)
# PyTorch refuses the double backward where several zeros meet (so does gradcore: tested in
# tests/test_structure_ops.py)
_r("scatter_reduce_prod_zeros", _scatter_reduce_fn, _prod_zeros(2), domain=distinct,
   gradgrad=False)
_r("scatter_reduce_", lambda lib, x, i, s: (x * 1).scatter_reduce_(0, i, s, "amax"),
   lambda make: [S(make(3), idx(0, 0, 2), make(3, i=1))], domain=distinct)
