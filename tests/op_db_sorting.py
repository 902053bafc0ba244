"""OpInfo entries for gradcore/ops/sorting.py (registered into op_db.OP_DB)."""
from op_db import S, distinct, register


def along_dims(make, *args):
    """dim as int / negative int, keepdim, 0-d and size-1 dims (``args`` come first)."""
    yield S(make(2, 3), args=args)
    yield S(make(3, 4), args=args + (0,))
    yield S(make(2, 3), args=args, dim=-1, keepdim=True)
    yield S(make(2, 1, 3), args=args + (1,))
    yield S(make(4), args=args)
    yield S(make(), args=args + (0,))


def sort_samples(make):
    yield S(make(2, 3))
    yield S(make(3, 4), args=(0,))
    yield S(make(2, 3), dim=-1, descending=True)
    yield S(make(2, 3, 2), dim=1, descending=True, stable=True)
    yield S(make(5))
    yield S(make())


def topk_samples(make):
    yield S(make(2, 4), args=(2,))
    yield S(make(3, 2), args=(2, 0))
    yield S(make(5), args=(3,), largest=False)
    yield S(make(2, 3), args=(3,), dim=-1, largest=True, sorted=True)
    yield S(make(), args=(1,))


def median_samples(make):
    yield S(make(2, 3), args=(1,))
    yield S(make(4, 2), args=(0,), keepdim=True)
    yield S(make(2, 4), dim=-1)
    yield S(make(5), args=(0,))
    yield S(make(), args=(0,))


def all_elements(make):
    yield S(make(2, 3))
    yield S(make(4))
    yield S(make(2, 2, 2))
    yield S(make())


def quantile_samples(make):
    yield S(make(2, 3), args=(0.3,))
    yield S(make(3, 4), args=(0.75,), dim=1)
    yield S(make(3, 4), args=([0.2, 0.5, 1.0],), dim=0, keepdim=True)
    yield S(make(2, 3), args=([0.0, 0.4],))
    yield S(make(2, 3), args=(0.6,), keepdim=True)
    yield S(make(4), args=(0.4,), dim=0, interpolation="lower")
    yield S(make(2, 4), args=(0.4,), dim=1, interpolation="higher")
    yield S(make(2, 4), args=([0.4, 0.9],), dim=-1, interpolation="midpoint")
    yield S(make(5), args=([0.3, 0.6],), interpolation="nearest")
    yield S(make(), args=(0.5,))


def _q(lib, x, q):
    return lib.tensor(q, dtype=x.dtype) if isinstance(q, list) else q


register("sort", lambda lib, x, *a, **k: lib.sort(x, *a, **k), sort_samples, domain=distinct,
         module="sorting")
register("sort_method", lambda lib, x, *a, **k: x.sort(*a, **k),
         lambda make: [S(make(2, 3), args=(0, True))], domain=distinct, module="sorting")
register("msort", lambda lib, x: lib.msort(x), lambda make: [S(make(3, 2)), S(make(4))],
         domain=distinct, module="sorting")
register("topk", lambda lib, x, *a, **k: x.topk(*a, **k), topk_samples, domain=distinct,
         module="sorting")
register("kthvalue", lambda lib, x, *a, **k: lib.kthvalue(x, *a, **k),
         lambda make: along_dims(make, 1), domain=distinct, module="sorting")
register("kthvalue_2", lambda lib, x, *a, **k: x.kthvalue(*a, **k),
         lambda make: [S(make(3, 2), args=(2, 0)), S(make(2, 4), args=(4,), keepdim=True)],
         domain=distinct, module="sorting")
register("median_dim", lambda lib, x, *a, **k: x.median(*a, **k), median_samples,
         domain=distinct, module="sorting")
register("nanmedian_dim", lambda lib, x, *a, **k: lib.nanmedian(x, *a, **k), median_samples,
         domain=distinct, module="sorting")
register("median_all", lambda lib, x: lib.median(x), all_elements, domain=distinct,
         module="sorting")
register("nanmedian_all", lambda lib, x: x.nanmedian(), all_elements, domain=distinct,
         module="sorting")
register("mode", lambda lib, x, *a, **k: x.mode(*a, **k), median_samples, domain=distinct,
         module="sorting")
register("quantile", lambda lib, x, q, **k: x.quantile(_q(lib, x, q), **k), quantile_samples,
         domain=distinct, module="sorting")
register("nanquantile", lambda lib, x, q, **k: lib.nanquantile(x, _q(lib, x, q), **k),
         quantile_samples, domain=distinct, module="sorting")
