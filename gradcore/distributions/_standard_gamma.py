"""Gamma(alpha, 1) samples that are differentiable in alpha (implicit reparameterisation), and
the regularised lower incomplete gamma function P(a, x) they rest on.

A sample x = F^-1(u; alpha) of the Gamma(alpha, 1) CDF F = P(alpha, .) moves with alpha as
dx/dalpha = -(dP/dalpha) / (dP/dx) at fixed u (PyTorch's ``_standard_gamma_grad``).  Here
dP/dalpha is exact to a few ulp rather than PyTorch's approximations: forward-mode
differentiation (a value and its alpha-derivative carried together) of

  - the series P = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)) for x < a + 1,
  - the continued fraction Q = 1 - P = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a
    - 2 (2 - a) / ...)) for x >= a + 1,

each iterated (vectorised, a Python loop over terms, never over elements) until every element
has converged.  Their term counts grow as sqrt(a); for a >= ``_LARGE`` Temme's uniform
asymptotic form P ~ Phi(sqrt(a) (eta - (1/eta - 1/(lambda - 1)) / a)), lambda = x / a,
eta^2 / 2 = lambda - 1 - log(lambda), is differentiated instead (relative error O(a^-2)).
Everything runs in float64 over ``xp`` (NumPy or CuPy).
"""
import numpy as np

from .._generator import draw_backend
from ..autograd.function import ArrayFunction
from ..ops.unary_math import digamma_array, lgamma_array
from ..tensor import Tensor

__all__ = ["standard_gamma", "standard_gamma_grad", "gammainc"]

_EPS = 1e-17  # a series term negligible against the sum
_TOL = 4e-15, 1e-13  # the continued fraction's and its derivative's relative change over
# _CHECK_EVERY steps at convergence (above their rounding noise)
_MAX_TERMS = 20000  # enough for a < 2e6
_CHECK_EVERY = 8
_LARGE = 2e4  # alpha from which the asymptotic form replaces the series and fraction
_SMALL_D = 0.1  # |lambda - 1| below which lambda - 1 - log(lambda) is its Taylor series


def _converged(xp, step, total):
    return bool((xp.abs(step) <= _EPS * xp.abs(total)).all())


def _lower_series(xp, a, x):
    """(S, dS/da) of S = sum_n x^n / ((a + 1) ... (a + n)), for x < a + 1."""
    t, r = xp.ones_like(x), xp.zeros_like(x)  # a term and d log(term) / da
    s, ds = xp.ones_like(x), xp.zeros_like(x)
    for n in range(1, _MAX_TERMS + 1):
        an = a + n
        t = t * (x / an)
        r = r - 1.0 / an
        s, ds = s + t, ds + t * r
        if n % _CHECK_EVERY == 0 and _converged(xp, t, s) and _converged(xp, t * r, ds):
            break
    return s, ds


def _upper_fraction(xp, a, x):
    """(C, dC/da) of C = 1 / (b0 + a1 / (b1 + a2 / (b2 + ...))), b_n = x + 2n + 1 - a,
    a_n = n (a - n), for x >= a + 1: its convergents A_n / B_n and their a-derivatives by the
    three-term recurrence, renormalised each step.  Each element is kept from the check at
    which it first stopped moving (later steps only add rounding noise)."""
    one, zero = xp.ones_like(x), xp.zeros_like(x)
    A0, A1, B0, B1 = one, x + 1 - a, zero, one  # A_{n-2}, A_{n-1}, B_{n-2}, B_{n-1}
    dA0, dA1, dB0, dB1 = zero, -one, zero, zero
    c, dc = B1 / A1, -(B1 * dA1) / (A1 * A1)
    out, d_out = c.copy(), dc.copy()
    done = xp.zeros(x.shape, dtype=bool)
    for n in range(1, _MAX_TERMS + 1):
        bn, an = x + (2 * n + 1) - a, n * (a - n)
        A2, B2 = bn * A1 + an * A0, bn * B1 + an * B0
        dA2 = bn * dA1 - A1 + an * dA0 + n * A0
        dB2 = bn * dB1 - B1 + an * dB0 + n * B0
        scale = 1.0 / xp.abs(A2)
        A0, A1, B0, B1 = A1 * scale, A2 * scale, B1 * scale, B2 * scale
        dA0, dA1, dB0, dB1 = dA1 * scale, dA2 * scale, dB1 * scale, dB2 * scale
        if n % _CHECK_EVERY == 0 or n == _MAX_TERMS:
            c_new = B1 / A1
            dc_new = (dB1 * A1 - B1 * dA1) / (A1 * A1)
            now = ~done & ((xp.abs(c_new - c) <= _TOL[0] * xp.abs(c_new))
                           & (xp.abs(dc_new - dc) <= _TOL[1] * xp.abs(dc_new))
                           | (n == _MAX_TERMS))
            out, d_out = xp.where(now, c_new, out), xp.where(now, dc_new, d_out)
            done = done | now
            c, dc = c_new, dc_new
            if bool(done.all()):
                break
    return out, d_out


def _d_minus_log1p(xp, d):
    """d - log(1 + d) (= lambda - 1 - log(lambda) for d = lambda - 1), without cancellation
    near 0."""
    small = xp.abs(d) < _SMALL_D
    ds = xp.where(small, d, 0.0)
    series = xp.zeros_like(d)
    for k in range(30, 1, -1):  # sum over k >= 2 of (-1)^k d^k / k, by Horner
        series = (series + (-1.0) ** k / k) * ds
    series = series * ds
    return xp.where(small, series, d - xp.log1p(xp.where(small, 0.0, d)))


def _large_alpha(xp, a, x):
    """dx/da from Temme's form G(a, x) = sqrt(a) eta - h / sqrt(a) = z held fixed:
    -dG/da / dG/dx, with h = 1/(lambda - 1) - 1/eta (its Taylor series near lambda = 1)."""
    lam = x / a
    d = lam - 1
    eta = xp.sign(d) * xp.sqrt(2 * _d_minus_log1p(xp, d))
    near = xp.abs(d) < 1e-3
    dn = xp.where(near, d, 1.0)
    en = xp.where(near, 1.0, eta)
    # near lambda = 1, eta's Taylor series gives h = -1/3 + d/12 - 23 d^2/540 - 163 d^3/2160
    h = xp.where(near, -1 / 3 + dn * (1 / 12 - dn * (23 / 540 + 163 * dn / 2160)),
                 1 / xp.where(near, 1.0, d) - 1 / en)
    eta_p = xp.where(near, 1 - 2 * dn / 3 + 7 * dn * dn / 12,
                     d / (lam * en))  # d eta / d lambda
    h_p = xp.where(near, 1 / 12 - dn * (23 / 270 + 163 * dn / 720),
                   -1 / xp.where(near, 1.0, d) ** 2 + eta_p / (en * en))
    ra = xp.sqrt(a)
    g_lam = ra * eta_p - h_p / ra  # dG/dlambda
    g_x = g_lam / a
    g_a = eta / (2 * ra) + h / (2 * a * ra) - g_lam * lam / a
    return -g_a / g_x


def _exact(xp, a, x, want_p):
    """(P(a, x) or None, dx/da) by the series (x < a + 1) or the continued fraction."""
    dxda = xp.zeros_like(x)
    p = xp.zeros_like(x) if want_p else None
    log_x = xp.log(x)
    lower = x < a + 1
    for part, fn in ((lower, _lower_series), (~lower, _upper_fraction)):
        if not bool(part.any()):
            continue
        ap, xs, lx = a[part], x[part], log_x[part]
        f, df = fn(xp, ap, xs)
        if fn is _lower_series:  # P = x^a e^-x / Gamma(a + 1) S; density ratio x / a
            dxda[part] = -(xs / ap) * (f * (lx - digamma_array(xp, ap + 1)) + df)
            if want_p:
                p[part] = xp.exp(ap * lx - xs - lgamma_array(xp, ap + 1)) * f
        else:  # Q = x^a e^-x / Gamma(a) C; density ratio x
            dxda[part] = xs * (f * (lx - digamma_array(xp, ap)) + df)
            if want_p:
                p[part] = -xp.expm1(ap * lx - xs - lgamma_array(xp, ap) + xp.log(f))
    return p, dxda


def _parts(xp, a, x, want_p):
    """(P(a, x) or None, dx/da) over float64 arrays a > 0, x > 0 of one shape."""
    large = a >= _LARGE
    if not bool(large.any()):
        return _exact(xp, a, x, want_p)
    dxda = xp.zeros_like(x)
    p = xp.zeros_like(x) if want_p else None
    small = ~large
    if bool(small.any()):
        ps, dxda[small] = _exact(xp, a[small], x[small], want_p)
        if want_p:
            p[small] = ps
    dxda[large] = _large_alpha(xp, a[large], x[large])
    if want_p:  # the series and fraction: slow for large a, but exact (cdf only)
        p[large] = _exact(xp, a[large], x[large], True)[0]
    return p, dxda


def _evaluate(xp, a, x, want_p):
    """_parts over broadcast arrays of any shape and dtype (computed in float64): x <= 0 gives
    P = 0 and a zero derivative (PyTorch's 0 for its nan), x = inf gives P = 1."""
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype=np.float64), xp.asarray(x, dtype=np.float64))
    a, x = a.reshape(-1), x.reshape(-1)
    ok = (x > 0) & (a > 0) & xp.isfinite(x) & xp.isfinite(a)
    with np.errstate(all="ignore"):
        p, dxda = _parts(xp, xp.where(ok, a, 1.0)[ok], xp.where(ok, x, 1.0)[ok], want_p)
    full = xp.zeros_like(x)
    full[ok] = dxda
    full_p = None
    if want_p:
        full_p = xp.where((x == np.inf) & (a > 0), 1.0, xp.where(xp.isnan(x + a), np.nan, 0.0))
        full_p[ok] = p
    return full_p, xp.where(xp.isnan(full), 0.0, full)


def standard_gamma_grad_array(xp, alpha, x):
    """dx/dalpha of Gamma(alpha, 1) samples x (arrays, float64 result)."""
    shape = np.broadcast_shapes(alpha.shape, x.shape)
    return _evaluate(xp, alpha, x, False)[1].reshape(shape)


class _StandardGammaGrad(ArrayFunction):
    node_name = "StandardGammaGradBackward0"

    @staticmethod
    def forward(ctx, alpha, x):
        return standard_gamma_grad_array(alpha._be.xp, alpha._arr, x._arr).astype(
            np.result_type(alpha._arr, x._arr), copy=False)

    @staticmethod
    def backward(ctx, gy):
        raise NotImplementedError("the derivative for '_standard_gamma_grad' is not "
                                  "implemented.")


def standard_gamma_grad(alpha, x):
    """standard_gamma_grad(alpha, x) -> Tensor

    dx/dalpha of Gamma(alpha, 1) samples ``x`` at fixed CDF value (torch._standard_gamma_grad):
    -(dP/dalpha) / (dP/dx), P the regularised lower incomplete gamma function.  Not
    differentiable itself, as PyTorch's."""
    return _StandardGammaGrad.apply(alpha, x)


class _StandardGamma(ArrayFunction):
    node_name = "StandardGammaBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, alpha, generator):
        be, arr = alpha._be, alpha._arr
        x = draw_backend(be, generator, "_standard_gamma").standard_gamma(
            arr.reshape(-1), arr.dtype).reshape(arr.shape)  # 1-d: NumPy's 0-d draw is a float
        x = be.xp.maximum(x, np.finfo(arr.dtype).tiny)  # never 0 (PyTorch's CPU sampler)
        ctx.save_for_backward(alpha)
        return x

    @staticmethod
    def backward(ctx, gy):
        alpha, x = ctx.saved_tensors
        return gy * standard_gamma_grad(alpha, x)


def standard_gamma(alpha, generator=None):
    """standard_gamma(alpha, generator=None) -> Tensor

    Gamma(alpha, 1) samples of the concentrations ``alpha`` (a floating tensor), differentiable
    in alpha (torch._standard_gamma): the gradient is standard_gamma_grad(alpha, x)."""
    if not isinstance(alpha, Tensor) or not alpha.is_floating_point():
        raise TypeError("standard_gamma expects a floating-point tensor of concentrations")
    return _StandardGamma.apply(alpha, generator)


class _Gammainc(ArrayFunction):
    node_name = "IgammaBackward0"

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        p, _ = _evaluate(a._be.xp, a._arr, x._arr, True)
        return p.reshape(np.broadcast_shapes(a.shape, x.shape)).astype(
            np.result_type(a._arr, x._arr), copy=False)

    @staticmethod
    def backward(ctx, gy):
        from ._namespace import G as gradcore
        a, x = ctx.saved_tensors
        pdf = gradcore.exp(gradcore.xlogy(a - 1, x) - x - gradcore.lgamma(a))
        return -gy * pdf * standard_gamma_grad(a, x), gy * pdf


def gammainc(a, x):
    """gammainc(a, x) -> Tensor

    The regularised lower incomplete gamma function P(a, x) (torch.special.gammainc), a > 0,
    x >= 0.  Derivative in x: the Gamma(a, 1) density; in a: -density * standard_gamma_grad."""
    return _Gammainc.apply(a, x)
