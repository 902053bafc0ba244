"""OpInfo entries for gradcore/ops/scan.py (registered into op_db.OP_DB)."""
from op_db import S, distinct, nonzero, register, var_std


def scans(make):
    yield S(make(2, 3), args=(1,))
    yield S(make(3, 4), args=(0,))
    yield S(make(2, 1, 3), dim=-1)
    yield S(make(5), dim=0)
    yield S(make(), args=(0,))


def cumprod_with_zeros(make):
    a = make(2, 4)
    a[0, 1] = 0.0           # one zero in a row
    a[1, 0] = a[1, 2] = 0.0  # two zeros in a row
    yield S(a.copy(), args=(1,))
    yield S(a.copy(), args=(0,))
    b = make(5)
    b[4] = 0.0              # a zero last
    yield S(b, args=(0,))
    c = make(4)
    c[0] = c[1] = 0.0       # zeros first
    yield S(c, args=(-1,))


def diff_samples(make):
    yield S(make(2, 4))
    yield S(make(3, 2), dim=0)
    yield S(make(5), n=2)
    yield S(make(2, 3), make(2, 1, i=1), make(2, 2, i=2), desc="prepend,append")
    yield S(make(3), n=4)


def _diff(lib, x, pre=None, app=None, **k):
    return lib.diff(x, prepend=pre, append=app, dim=-1, **k) if pre is not None else x.diff(**k)


def extremes(make):
    yield S(make(2, 3))
    yield S(make(2, 3), dim=1)
    yield S(make(3, 2), dim=0, keepdim=True)
    yield S(make(4), dim=-1)
    yield S(make())
    yield S(make(), dim=0)


def nan_reductions(make):
    x = make(3, 4)
    x[0, 1] = x[2, 3] = float("nan")
    yield S(x.copy())
    yield S(x.copy(), args=(1,))
    yield S(x.copy(), args=(0,), keepdim=True)
    yield S(x.copy(), dim=(0, 1))
    yield S(make(2, 3), args=(-1,))
    yield S(make())


register("cumprod", lambda lib, x, *a, **k: x.cumprod(*a, **k), scans, domain=nonzero,
         module="scan")
register("cumprod_fn_dtype", lambda lib, x, d: lib.cumprod(x, d, dtype=lib.float64),
         lambda make: [S(make(2, 3), args=(1,))], domain=nonzero, module="scan")
register("cumprod_with_zeros", lambda lib, x, d: lib.cumprod(x, d), cumprod_with_zeros,
         module="scan")
register("cummax", lambda lib, x, *a, **k: x.cummax(*a, **k), scans, domain=distinct,
         module="scan")
register("cummin", lambda lib, x, *a, **k: lib.cummin(x, *a, **k), scans, domain=distinct,
         module="scan")
register("logcumsumexp", lambda lib, x, *a, **k: x.logcumsumexp(*a, **k), scans,
         module="scan")
register("logcumsumexp_wide", lambda lib, x, d: lib.logcumsumexp(x * 30, d),
         lambda make: [S(make(2, 4), args=(1,))], module="scan")
register("diff", _diff, diff_samples, module="scan")
register("aminmax", lambda lib, x, **k: lib.aminmax(x, **k), extremes, domain=distinct,
         module="scan")
register("aminmax_method", lambda lib, x, **k: x.aminmax(**k)[1],
         lambda make: [S(make(2, 3), dim=0)], domain=distinct, module="scan")
register("nansum", lambda lib, x, *a, **k: x.nansum(*a, **k), nan_reductions, module="scan")
register("nanmean", lambda lib, x, *a, **k: lib.nanmean(x, *a, **k), nan_reductions,
         module="scan")
register("var_mean", lambda lib, x, *a, **k: lib.var_mean(x, *a, **k), var_std, module="scan")
register("std_mean", lambda lib, x, *a, **k: lib.std_mean(x, *a, **k), var_std, module="scan")
