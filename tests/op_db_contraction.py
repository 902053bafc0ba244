"""OpInfo entries for gradcore/ops/contraction.py and gradcore.linalg (registered into
op_db.OP_DB).  Matrices are made well-conditioned inside the op (A + n I; symmetric
positive-definite as A A^T + I), and eigenvectors / singular vectors get their signs fixed
(each column's first entry positive), so both libraries' LAPACKs agree."""
import math

from op_db import S, distinct, register


def _einsum(eq, *shapes):
    return lambda make: [S(*(make(*s, i=k) for k, s in enumerate(shapes)), desc=eq)]


EINSUMS = [("ij,jk->ik", (2, 3), (3, 2)), ("ii->i", (3, 3)), ("ii", (3, 3)), ("ij->", (2, 3)),
           ("ij->ji", (2, 3)), ("i,j->ij", (2,), (3,)), ("...ij,...jk", (2, 2, 3), (3, 2)),
           ("ij,kj->ij", (2, 3), (1, 3)), ("iij->ji", (2, 2, 3)), ("ii,i->i", (3, 3), (3,)),
           ("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)), ("bi,bi->b", (1, 3), (2, 3)),
           ("i j -> j", (2, 3)), ("...,...->...", (2, 1), (3,)), ("ij,k->ik", (2, 3), (4,)),
           ("i,i", (3,), (3,)), ("iji->j", (2, 3, 2)), ("bij,bjk->bik", (2, 2, 3), (2, 3, 2))]


def _einsum_samples(make):
    for eq, *shapes in EINSUMS:
        yield S(*(make(*s, i=k) for k, s in enumerate(shapes)), args=(eq,), desc=eq)


register("einsum", lambda lib, *ts_eq: lib.einsum(ts_eq[-1], *ts_eq[:-1]), _einsum_samples,
         module="contraction")
register("einsum_list", lambda lib, a, b: lib.einsum("ij,jk", [a, b]),
         lambda make: [S(make(2, 3), make(3, 2, i=1))], module="contraction")
register("tensordot", lambda lib, a, b, **k: lib.tensordot(a, b, **k),
         lambda make: [S(make(2, 2, 3), make(2, 3, 2, i=1)), S(make(2, 3), make(3, 2, i=1),
                                                                 dims=1),
                       S(make(2, 3), make(2, 2, i=1), dims=([0], [1])),
                       S(make(2, 3), make(2, i=1), dims=0),
                       S(make(3, 2, 2), make(2, 3, i=1), dims=([0, 1], [1, 0]))],
         module="contraction")
register("inner", lambda lib, a, b: lib.inner(a, b),
         lambda make: [S(make(2, 3), make(2, 3, i=1)), S(make(3), make(3, i=1)),
                       S(make(), make(2, i=1)), S(make(2, 2, 3), make(3, i=1))],
         module="contraction")
register("vdot", lambda lib, a, b: lib.vdot(a, b), lambda make: [S(make(3), make(3, i=1))],
         module="contraction")
register("multi_dot", lambda lib, *ts: lib.linalg.multi_dot(list(ts)),
         lambda make: [S(make(2, 3), make(3, 2, i=1)), S(make(3), make(3, 2, i=1), make(2, i=2)),
                       S(make(2, 3), make(3, 3, i=1), make(3, 1, i=2), make(1, 2, i=3)),
                       S(make(1, 3), make(3, 4, i=1), make(4, 2, i=2))],
         module="contraction")
register("addmv", lambda lib, c, a, b, **k: lib.addmv(c, a, b, **k),
         lambda make: [S(make(2), make(2, 3, i=1), make(3, i=2)),
                       S(make(1), make(2, 3, i=1), make(3, i=2), beta=0.5, alpha=2)],
         module="contraction")
register("addr", lambda lib, c, a, b, **k: c.addr(a, b, **k),
         lambda make: [S(make(2, 3), make(2, i=1), make(3, i=2)),
                       S(make(3), make(2, i=1), make(3, i=2), beta=2, alpha=-1)],
         module="contraction")
register("baddbmm", lambda lib, c, a, b, **k: lib.baddbmm(c, a, b, **k),
         lambda make: [S(make(2, 2, 2), make(2, 2, 3, i=1), make(2, 3, 2, i=2)),
                       S(make(1, 2), make(2, 2, 3, i=1), make(2, 3, 2, i=2), alpha=0.5)],
         module="contraction")
register("addbmm", lambda lib, c, a, b, **k: lib.addbmm(c, a, b, **k),
         lambda make: [S(make(2, 2), make(2, 2, 3, i=1), make(2, 3, 2, i=2)),
                       S(make(2), make(2, 2, 3, i=1), make(2, 3, 2, i=2), beta=0.5)],
         module="contraction")
register("cdist", lambda lib, a, b, **k: lib.cdist(a, b, **k),
         lambda make: [S(make(3, 2), make(2, 2, i=1)), S(make(3, 2), make(2, 2, i=1), p=1.0),
                       S(make(2, 2, 3), make(1, 2, 3, i=1), p=3.0),
                       S(make(3, 2), make(2, 2, i=1), p=math.inf)],
         domain=distinct, module="contraction")


# ---- gradcore.linalg -------------------------------------------------------------------------

def _wc(lib, A):
    """A + n I: well-conditioned for a standard-normal A."""
    n = A.shape[-1]
    return A + n * lib.eye(n, dtype=A.dtype)


def _spd(lib, A):
    return A @ A.mT + lib.eye(A.shape[-1], dtype=A.dtype)


def _signs(V):
    """V's columns with their first entry made positive (and the signs applied)."""
    s = V[..., :1, :].sign()
    return V * s, s


def _svd_fixed(U, S_, Vh):
    U, s = _signs(U[..., :, :S_.shape[-1]] if U.shape[-1] > S_.shape[-1] else U)
    return U, S_, Vh[..., :S_.shape[-1], :] * s.mT


def _square(make):
    yield S(make(3, 3))
    yield S(make(2, 2, 2))


def _rect(make):
    yield S(make(3, 2))
    yield S(make(2, 3))
    yield S(make(2, 2, 2))


register("linalg_inv", lambda lib, A: lib.linalg.inv(_wc(lib, A)), _square, module="linalg")
register("linalg_det", lambda lib, A: lib.linalg.det(_wc(lib, A)), _square, module="linalg")
register("linalg_det_raw", lambda lib, A: lib.linalg.det(A), lambda make: [S(make(2, 2))],
         module="linalg")
register("linalg_slogdet", lambda lib, A: lib.linalg.slogdet(A - 3 * lib.eye(3, dtype=A.dtype)),
         lambda make: [S(make(3, 3))], module="linalg")
register("linalg_solve", lambda lib, A, B, **k: lib.linalg.solve(_wc(lib, A), B, **k),
         lambda make: [S(make(3, 3), make(3, 2, i=1)), S(make(3, 3), make(3, i=1)),
                       S(make(2, 2, 2), make(2, i=1)), S(make(2, 2, 2), make(2, 2, i=1)),
                       S(make(2, 2), make(2, 2, 1, i=1)), S(make(2, 2), make(3, 2, i=1),
                                                            left=False)],
         module="linalg")
register("linalg_cholesky", lambda lib, A, **k: lib.linalg.cholesky(_spd(lib, A), **k),
         lambda make: [S(make(3, 3)), S(make(2, 2, 2)), S(make(3, 3), upper=True)],
         module="linalg")
register("linalg_qr", lambda lib, A, **k: lib.linalg.qr(A, **k),
         lambda make: [S(make(3, 2)), S(make(2, 2, 2)), S(make(3, 3), mode="complete"),
                       S(make(2, 3))],
         module="linalg")
register("linalg_eigh", lambda lib, A, **k: (lambda r: (r[0], _signs(r[1])[0]))(
             lib.linalg.eigh(_spd(lib, A), **k)),
         lambda make: [S(make(3, 3)), S(make(2, 2, 2)), S(make(3, 3), UPLO="U")],
         module="linalg")
register("linalg_eigvalsh", lambda lib, A: lib.linalg.eigvalsh(_spd(lib, A)), _square,
         module="linalg")
register("linalg_svd", lambda lib, A, **k: _svd_fixed(*lib.linalg.svd(A, **k)),
         lambda make: [S(make(3, 2), full_matrices=False), S(make(2, 3), full_matrices=False),
                       S(make(2, 2, 2), full_matrices=False), S(make(3, 2))],
         module="linalg")
register("linalg_svdvals", lambda lib, A: lib.linalg.svdvals(A), _rect, module="linalg")
register("linalg_pinv", lambda lib, A: lib.linalg.pinv(A), _rect, module="linalg")
register("linalg_lstsq", lambda lib, A, B: lib.linalg.lstsq(A, B).solution,
         lambda make: [S(make(3, 2), make(3, 2, i=1)), S(make(2, 3, 2), make(2, 3, 1, i=1))],
         module="linalg")
register("linalg_matrix_power", lambda lib, A, n: lib.linalg.matrix_power(A, n),
         lambda make: [S(make(2, 2), args=(n,)) for n in (0, 1, 2, 3, 5)]
         + [S(make(2, 2, 2), args=(2,))],
         module="linalg")
register("linalg_matrix_power_neg", lambda lib, A, n: lib.linalg.matrix_power(_wc(lib, A), n),
         lambda make: [S(make(2, 2), args=(-1,)), S(make(2, 2), args=(-2,))], module="linalg")
register("linalg_cross", lambda lib, a, b, **k: lib.linalg.cross(a, b, **k),
         lambda make: [S(make(2, 3), make(2, 3, i=1)), S(make(1, 3), make(2, 3, i=1)),
                       S(make(3, 2), make(3, 2, i=1), dim=0)],
         module="linalg")
register("linalg_vector_norm", lambda lib, x, *a, **k: lib.linalg.vector_norm(x, *a, **k),
         lambda make: [S(make(2, 3)), S(make(2, 3), args=(1,), dim=1),
                       S(make(2, 3), args=(math.inf,), dim=(0, 1), keepdim=True),
                       S(make(4), args=(3,))],
         domain=distinct, module="linalg")
register("linalg_matrix_norm", lambda lib, A, *a, **k: lib.linalg.matrix_norm(A, *a, **k),
         lambda make: [S(make(2, 3)), S(make(3, 2), args=("nuc",)), S(make(2, 3), args=(2,)),
                       S(make(2, 3), args=(-2,)), S(make(2, 3), args=(1,)),
                       S(make(2, 3), args=(-1,), keepdim=True), S(make(3, 2), args=(math.inf,)),
                       S(make(2, 2, 2), args=(-math.inf,), dim=(0, 2))],
         domain=distinct, module="linalg")
register("linalg_norm", lambda lib, A, *a, **k: lib.linalg.norm(A, *a, **k),
         lambda make: [S(make(2, 3)), S(make(2, 3), args=(2,)), S(make(3), args=(1,)),
                       S(make(2, 3), args=("fro",)), S(make(2, 3), dim=1),
                       S(make(2, 2, 2), args=(1,), dim=(1, 2))],
         domain=distinct, module="linalg")
register("linalg_matrix_exp", lambda lib, A: lib.linalg.matrix_exp(A),
         lambda make: [S(make(3, 3)), S(make(2, 2, 2)), S(make(4, 4) * 3, desc="squared"),
                       S(make(1, 1))],
         module="linalg")
register("linalg_householder_product",
         lambda lib, A, tau: lib.linalg.householder_product(A, tau),
         lambda make: [S(make(4, 3), make(2, i=1)), S(make(3, 3), make(3, i=1)),
                       S(make(2, 4, 2), make(2, 2, i=1)), S(make(3, 1), make(1, i=1))],
         module="linalg")
