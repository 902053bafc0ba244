"""Binary and ternary elementwise math: hypot, logaddexp(2), xlogy, copysign, nextafter,
heaviside, gcd, lcm, float_power, bitwise shifts, lerp, addcmul, addcdiv, and the comparison
helpers isclose, allclose, equal, isin, isreal, is_nonzero, is_complex.
"""

METHODS = {}
FUNCTIONS = {}
