"""Dirichlet samples differentiable in their concentrations, with PyTorch's implicit
reparameterisation gradient (torch._dirichlet_grad and the _Dirichlet Function, so a gradient
for a given sample is PyTorch's number).

For a sample x of Dirichlet(alpha) the coordinate x_i is Beta(alpha_i, total - alpha_i), and
dx_i/dalpha_i is -(dF/dalpha) / f / (1 - x) for that Beta's CDF F and density f; PyTorch
approximates it piecewise (aten's dirichlet_grad_one), as here, vectorised over ``xp``:

  - x <= 1/2 and total x (1 - x) < 2.5: a Taylor series of the Beta's gradient in alpha at
    x near 0 (11 terms);
  - x >= 1/2 and total x (1 - x) < 0.75: the series in beta at 1 - x near 0 (9 terms);
  - alpha > 6 and beta > 6: Rice's saddle-point expansion (a polynomial within 0.1 standard
    deviations of the mean, where the expansion is singular);
  - otherwise a rational correction p / q (PyTorch's fitted coefficients) of
    x (digamma(total) - digamma(alpha)) / beta.

Every branch is computed in float64 (PyTorch computes the two series in the input's dtype);
a series that gives nan gives 0, as PyTorch's.
"""
import numpy as np

from .._generator import draw_backend
from ..autograd.function import ArrayFunction
from ..ops.unary_math import digamma_array
from ..tensor import _wrap

__all__ = ["dirichlet_grad", "sample_dirichlet"]

# dirichlet_grad_one's rational correction: [numerator p, denominator q][power of u][power of
# a][power of b], u = log x, a = log alpha - u, b = log total - a
_RATIONAL = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]]])


def _nan_to_zero(xp, r):
    return xp.where(xp.isnan(r), 0.0, r)


def _grad_alpha_small(xp, x, alpha, beta):
    """d x / d alpha of Beta(alpha, beta) samples x near 0: its Taylor series."""
    factor = digamma_array(xp, alpha) - digamma_array(xp, alpha + beta) - xp.log(x)
    numer = xp.ones_like(x)
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer = numer * ((i - beta) * x / i)
        denom = alpha + i
        series = series + numer / denom * (factor + 1 / denom)
    return _nan_to_zero(xp, x * (1 - x) ** -beta * series)


def _grad_beta_small(xp, x, alpha, beta):
    """d x / d beta of Beta(alpha, beta) samples x near 0: its Taylor series."""
    factor = digamma_array(xp, alpha + beta) - digamma_array(xp, beta)
    numer, betas, dbetas = xp.ones_like(x), xp.ones_like(x), xp.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    return _nan_to_zero(xp, -(1 - x) ** (1 - beta) * series)


def _grad_alpha_mid(xp, x, alpha, beta):
    """d x / d alpha for large alpha and beta: Rice's saddle-point expansion."""
    total = alpha + beta
    mean = alpha / total
    std = xp.sqrt(alpha * beta / (total + 1)) / total
    near = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)
    b2 = beta * beta
    poly = 47 * x * b2 * b2 + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * b2 * beta + alpha * (
            3 * (59 + 180 * beta - 90 * x) * b2 + alpha * (
                (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                    8 * (1 - x) * (135 * beta - 11)))))
    pre_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    pre_den = 12960 * alpha ** 3 * b2 * (1 + 12 * total)
    at_mean = pre_num / (1 - x) * poly / pre_den
    prefactor = -x / xp.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
                * (1 + 1 / (12 * beta) + 1 / (288 * b2))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    axbx = alpha * (x - 1) + beta * x
    term1 = ((2 * alpha * alpha * (x - 1) + alpha * beta * (x - 1) - x * b2)
             / (xp.sqrt(2 * alpha / beta) * total ** 1.5 * axbx * axbx))
    term2 = 0.5 * xp.log(alpha / (total * x))
    term3 = xp.sqrt(8 * alpha * beta / total) / axbx
    term4 = (beta * xp.log(beta / (total * (1 - x)))
             + alpha * xp.log(alpha / (total * x))) ** -1.5
    away = stirling * prefactor * (term1 + term2 * (term3 + xp.where(x < mean, term4, -term4)))
    return xp.where(near, at_mean, away)


def _rational(xp, x, alpha, total, beta):
    """The rational correction p / q of x (digamma(total) - digamma(alpha)) / beta."""
    c = xp.asarray(_RATIONAL)
    u = xp.log(x)
    a = xp.log(alpha) - u
    b = xp.log(total) - a
    p, q = xp.zeros_like(x), xp.zeros_like(x)
    for i, ui in enumerate((1.0, u, u * u)):
        for j, aj in enumerate((1.0, a, a * a)):
            cp, cq = c[0, i, j], c[1, i, j]
            p = p + ui * aj * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q = q + ui * aj * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    approx = x * (digamma_array(xp, total) - digamma_array(xp, alpha)) / beta
    return p / q * approx


def dirichlet_grad_array(xp, x, alpha, total):
    """torch._dirichlet_grad on arrays: d x / d alpha of Dirichlet samples ``x`` (each
    coordinate against its own concentration ``alpha``, ``total`` the concentrations' sum),
    of x's dtype."""
    dtype = x.dtype
    x, alpha, total = (xp.asarray(v, dtype=np.float64) for v in xp.broadcast_arrays(
        x, alpha, total))
    beta = total - alpha
    boundary = total * x * (1 - x)
    with np.errstate(all="ignore"):
        out = _rational(xp, x, alpha, total, beta)
        out = xp.where((alpha > 6) & (beta > 6), _grad_alpha_mid(xp, x, alpha, beta), out)
        out = xp.where((x >= 0.5) & (boundary < 0.75),
                       -_grad_beta_small(xp, 1 - x, beta, alpha), out)
        out = xp.where((x <= 0.5) & (boundary < 2.5), _grad_alpha_small(xp, x, alpha, beta),
                       out)
    return out.astype(dtype)


def dirichlet_grad(x, alpha, total):
    """dirichlet_grad(x, alpha, total) -> Tensor

    torch._dirichlet_grad: the reparameterisation gradient d x / d alpha of Dirichlet samples
    ``x`` with concentrations ``alpha`` summing to ``total`` (tensors of one shape); not
    differentiable itself, as PyTorch's."""
    be = x._be
    return _wrap(dirichlet_grad_array(be.xp, x._arr, alpha._arr, total._arr), be)


class _Dirichlet(ArrayFunction):
    """PyTorch's _Dirichlet Function: a Dirichlet sample (standard gamma draws normalised over
    the last dim) whose backward is dirichlet_grad times the simplex projection of gy."""
    node_name = "_DirichletBackward"
    save_output = True

    @staticmethod
    def forward(ctx, alpha, generator):
        be, arr = alpha._be, alpha._arr
        g = draw_backend(be, generator, "_standard_gamma").standard_gamma(
            arr.reshape(-1), arr.dtype).reshape(arr.shape)
        g = be.xp.maximum(g, np.finfo(arr.dtype).tiny)  # never 0 (PyTorch's CPU sampler)
        ctx.save_for_backward(alpha)
        return g / g.sum(-1, keepdims=True)

    @staticmethod
    def backward(ctx, gy):
        alpha, x = ctx.saved_tensors
        total = alpha.detach().sum(-1, True).expand_as(alpha)
        grad = dirichlet_grad(x.detach(), alpha.detach(), total)
        return grad * (gy - (x.detach() * gy).sum(-1, True))


def sample_dirichlet(alpha, generator=None):
    """sample_dirichlet(alpha, generator=None) -> Tensor

    Dirichlet samples of the concentrations ``alpha`` (..., k), differentiable in alpha with
    PyTorch's implicit reparameterisation gradient (its _Dirichlet Function)."""
    return _Dirichlet.apply(alpha, generator)
