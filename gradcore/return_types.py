"""gradcore.return_types: the named tuples ops return (torch.return_types), e.g.
``isinstance(x.max(0), gradcore.return_types.max)``."""
from .ops import reduction as _reduction, scan as _scan, sorting as _sorting

max = _reduction.return_types.max  # noqa: A001  (PyTorch's names)
min = _reduction.return_types.min  # noqa: A001
sort, topk, kthvalue = (_sorting.return_types[n] for n in ("sort", "topk", "kthvalue"))
median, nanmedian, mode = (_sorting.return_types[n] for n in ("median", "nanmedian", "mode"))
cummax, cummin, aminmax = _scan._cummax_t, _scan._cummin_t, _scan._aminmax_t

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
           "cummin", "aminmax"]
