"""gradcore.return_types: the named tuples ops return (torch.return_types), e.g.
``isinstance(x.max(0), gradcore.return_types.max)``."""
from .linalg import legacy as _legacy, lu_family as _lu
from .ops import reduction as _reduction, scan as _scan, sorting as _sorting
from .ops import unary_math as _unary_math

max = _reduction.return_types.max  # noqa: A001  (PyTorch's names)
min = _reduction.return_types.min  # noqa: A001
sort, topk, kthvalue = (_sorting.return_types[n] for n in ("sort", "topk", "kthvalue"))
median, nanmedian, mode = (_sorting.return_types[n] for n in ("median", "nanmedian", "mode"))
cummax, cummin, aminmax = _scan._cummax_t, _scan._cummin_t, _scan._aminmax_t
frexp, histogram = _unary_math.FREXP, _sorting.HISTOGRAM
qr, svd, triangular_solve = _legacy.qr_result, _legacy.svd_result, _legacy.triangular_solve_result
linalg_eig = _legacy.eig_result
linalg_lu_factor, linalg_lu_factor_ex = _lu.lu_factor_result, _lu.lu_factor_ex_result
linalg_lu, lu_unpack, _lu_with_info = _lu.lu_result, _lu.lu_unpack_result, _lu.lu_with_info_result

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
           "cummin", "aminmax", "frexp", "histogram", "qr", "svd", "triangular_solve",
           "linalg_eig", "linalg_lu_factor", "linalg_lu_factor_ex", "linalg_lu", "lu_unpack"]
