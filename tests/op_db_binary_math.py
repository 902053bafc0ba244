"""OpInfo entries for gradcore/ops/binary_math.py (registered into op_db.OP_DB)."""
from op_db import S, binary, distinct, nonzero, positive, real, register, with_scalars

M = "binary_math"

TERNARY_SHAPES = [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((), (2, 3), ()),
                  ((3, 1), (1, 2), (3, 2)), ((), (), ())]


def ternary(make):
    for shapes in TERNARY_SHAPES:
        yield S(*(make(*s, i=i) for i, s in enumerate(shapes)))


def lerp_scalar_weight(make):
    for w in (0.3, 0.7, -1.5, 2):
        for sa, sb in ((2, 3), (2, 3)), ((2, 3), (3,)), ((), (2, 1)):
            yield S(make(*sa, i=0), make(*sb, i=1), args=(w,))


def addc_value(make):
    yield from ternary(make)
    yield S(make(2, 3, i=0), make(3, i=1), make(2, 1, i=2), value=-0.5)
    yield S(make(2, 3, i=0), make(2, 3, i=1), make(2, 3, i=2), value=2)


register("hypot", lambda lib, a, b: lib.hypot(a, b), binary, domain=nonzero, module=M)
register("hypot_method", lambda lib, a, b: a.hypot(b), binary, domain=nonzero, module=M)
register("logaddexp", lambda lib, a, b: lib.logaddexp(a, b), binary, module=M)
register("logaddexp2", lambda lib, a, b: a.logaddexp2(b), binary, module=M)
# away from the jump of log at 0 (other > 0); the masked gradient is checked in the test file
register("xlogy", lambda lib, a, b: lib.xlogy(a, b), binary, domain=(real, positive), module=M)
register("xlogy_method", lambda lib, a, b: a.xlogy(b), binary, domain=(real, positive),
         module=M)
# away from the kink at input == 0 and from the jump at other == 0
register("copysign", lambda lib, a, b: lib.copysign(a, b), binary, domain=nonzero, module=M)
register("copysign_method", lambda lib, a, b: a.copysign(b), binary, domain=nonzero, module=M)
register("nextafter", lambda lib, a, b: lib.nextafter(a, b), binary, module=M)
register("float_power", lambda lib, a, b: lib.float_power(a, b), binary,
         domain=(positive, real), module=M)
register("float_power_scalar", lambda lib, x, e: x.float_power(e), with_scalars(2, -0.5, 3.5),
         domain=positive, module=M)
register("rfloat_power_scalar", lambda lib, x, s: lib.float_power(s, x),
         with_scalars(2, 0.5), module=M)
register("lerp", lambda lib, a, b, w: lib.lerp(a, b, w), lerp_scalar_weight, module=M)
register("lerp_tensor_weight", lambda lib, a, b, w: a.lerp(b, w), ternary, module=M)
register("addcmul", lambda lib, a, b, c, **k: lib.addcmul(a, b, c, **k), addc_value, module=M)
register("addcmul_method", lambda lib, a, b, c: a.addcmul(b, c, value=3), ternary, module=M)
register("addcdiv", lambda lib, a, b, c, **k: lib.addcdiv(a, b, c, **k), addc_value,
         domain=(real, real, nonzero), module=M)
register("addcdiv_method", lambda lib, a, b, c: a.addcdiv(b, c, value=0.5), ternary,
         domain=(real, real, nonzero), module=M)
# fmax / fmin: away from ties (input == other sends all of gy to input, a kink)
register("fmax", lambda lib, a, b: lib.fmax(a, b), binary, domain=distinct, module=M)
register("fmax_method", lambda lib, a, b: a.fmax(b), binary, domain=distinct, module=M)
register("fmin", lambda lib, a, b: lib.fmin(a, b), binary, domain=distinct, module=M)
register("fmin_method", lambda lib, a, b: a.fmin(b), binary, domain=distinct, module=M)
