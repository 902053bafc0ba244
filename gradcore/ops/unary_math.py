"""Unary elementwise math beyond elementwise.py's: logs and exponentials (log1p, expm1, log2,
log10, exp2), trigonometric and hyperbolic functions and their inverses, logit,
deg2rad/rad2deg, frac, sgn, sinc, nan_to_num and the special functions (erfinv, lgamma,
digamma, polygamma, i0), each declared once (ops/declare.py).
"""

METHODS = {}
FUNCTIONS = {}
