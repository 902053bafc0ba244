"""binary_math beyond tests/op_db_binary_math.py: integer / bool dtypes, Python-scalar operands,
special values, PyTorch's errors and messages, the non-differentiable ops and predicates, the
in-place forms and the shift operators -- each compared against PyTorch."""
import numpy as np
import pytest

import gradcore
from gradcore.ops import binary_math

INF, NAN = float("inf"), float("nan")


def _outcome(lib, fn):
    try:
        return fn(lib)
    except Exception as e:  # noqa: BLE001 (the exception itself is what is compared)
        return e


def _same(got, want, what):
    if isinstance(want, Exception):
        assert type(got) is type(want) and str(got) == str(want), \
            f"{what}: {got!r}, torch raises {want!r}"
        return
    assert not isinstance(got, Exception), f"{what}: raised {got!r}, torch gives {want!r}"
    if isinstance(want, (tuple, list)):
        assert len(got) == len(want), what
        for g, w in zip(got, want):
            _same(g, w, what)
    elif hasattr(want, "dtype"):
        assert isinstance(got, gradcore.Tensor), f"{what}: got {type(got).__name__}"
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], \
            f"{what}: dtype {got.dtype}, torch {want.dtype}"
        assert tuple(got.shape) == tuple(want.shape), what
        assert got.requires_grad == want.requires_grad, what
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6,
                                   atol=0, equal_nan=True, err_msg=what)
    else:
        assert type(got) is type(want) and got == want, f"{what}: {got!r}, torch {want!r}"


def check(torch, fn, what=""):
    """``fn(lib)`` in both libraries: the same result (value, dtype, shape) or exception."""
    _same(_outcome(gradcore, fn), _outcome(torch, fn), what or getattr(fn, "__name__", "?"))


def t(lib, values, dtype="float32", grad=False):
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=grad)


INTS = ["int64", "int32", "int16", "int8", "uint8"]
ALL = ["float32", "float64", "float16"] + INTS + ["bool"]


# ---- scalar operands, with gradients -------------------------------------------------------

def _grads(lib, op, xs, ys, scalar_side):
    """op on a float64 tensor and a Python scalar (or two tensors): output and gradients."""
    x = t(lib, xs, "float64", grad=True)
    if scalar_side == "input":
        out = op(lib)(ys, x)
    elif scalar_side == "other":
        out = op(lib)(x, ys)
    else:
        y = t(lib, ys, "float64", grad=True)
        out = op(lib)(x, y)
        return out, lib.autograd.grad(out.sum(), [x, y])
    return out, lib.autograd.grad(out.sum(), [x])


@pytest.mark.parametrize("name,xs,ys,side", [
    ("xlogy", [0.0, 0.5, 2.0, -1.0], 3.0, "other"),
    ("xlogy", [0.0, 0.5, 2.0, 1.0], 0.0, "other"),
    ("xlogy", [0.5, 2.0, 0.0, 1.0], 2, "input"),
    ("xlogy", [0.5, 2.0, 3.0, 1.0], 0, "input"),
    ("xlogy", [0.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, NAN], "tensors"),
    ("copysign", [1.5, -2.0, 0.0, -0.0], -1.0, "other"),
    ("copysign", [1.5, -2.0, 0.0, -0.0], -0.0, "other"),
    ("copysign", [1.5, -2.0, 0.0, -0.0], [-0.0, 0.0, -1.0, 3.0], "tensors"),
    ("hypot", [0.0, 3.0, -1e200], [0.0, 4.0, 1e200], "tensors"),
    ("logaddexp", [INF, -INF, 1000.0], [INF, -INF, -1000.0], "tensors"),
    ("logaddexp2", [INF, -INF, 1000.0], [1.0, -INF, -1000.0], "tensors"),
    ("nextafter", [1.0, 0.0, -2.0], [2.0, -1.0, -2.0], "tensors"),
    ("float_power", [0.5, 2.0, 3.0], 2, "other"),
    ("float_power", [0.5, -2.0, 3.0], 1.5, "input"),
])
def test_values_and_gradients_at_scalars_and_special_points(torch, name, xs, ys, side):
    def op(lib):
        return getattr(lib, name)
    got, want = _grads(gradcore, op, xs, ys, side), _grads(torch, op, xs, ys, side)
    _same(got[0].detach(), want[0].detach(), f"{name} forward")
    _same([g.detach() for g in got[1]], [g.detach() for g in want[1]], f"{name} gradients")


def test_scalar_operand_nodes(torch):
    """xlogy and copysign with a Python number: values and gradients match (above), and the
    node is PyTorch's (XlogyBackward1/2, CopysignBackward1: declare.binary's scalar_nodes;
    tests/test_out_inplace.py walks every declared op's forms)."""
    for lib in (gradcore, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        names = [f().grad_fn.name() for f in (lambda: lib.xlogy(x, 2), lambda: lib.xlogy(2, x),
                                               lambda: lib.copysign(x, -1))]
        if lib is gradcore:
            got = names
    assert got == names


def test_float_power_gradients_keep_their_dtype(torch):
    def f(lib):
        a = t(lib, [0.5, 2.0], "float32", grad=True)
        b = t(lib, [1.5, -1.0], "float16", grad=True)
        out = lib.float_power(a, b)
        return (out.detach(),) + lib.autograd.grad(out.sum(), [a, b])
    check(torch, f)


# ---- dtypes and promotion ------------------------------------------------------------------

DTYPE_OPS = {
    "hypot": lambda lib, a, b: lib.hypot(a, b),
    "logaddexp": lambda lib, a, b: lib.logaddexp(a, b),
    "logaddexp2": lambda lib, a, b: lib.logaddexp2(a, b),
    "xlogy": lambda lib, a, b: lib.xlogy(a, b),
    "copysign": lambda lib, a, b: lib.copysign(a, b),
    "nextafter": lambda lib, a, b: lib.nextafter(a, b),
    "heaviside": lambda lib, a, b: lib.heaviside(a, b),
    "gcd": lambda lib, a, b: lib.gcd(a, b),
    "lcm": lambda lib, a, b: lib.lcm(a, b),
    "float_power": lambda lib, a, b: lib.float_power(a, b),
    "lshift": lambda lib, a, b: a << b,
    "rshift": lambda lib, a, b: lib.bitwise_right_shift(a, b),
    "isclose": lambda lib, a, b: lib.isclose(a, b),
    "isin": lambda lib, a, b: lib.isin(a, b),
}


@pytest.mark.parametrize("name", list(DTYPE_OPS))
@pytest.mark.parametrize("da,db", [(d, d) for d in ALL] + [
    ("int64", "float32"), ("int8", "int32"), ("uint8", "int8"), ("bool", "int16"),
    ("float32", "float64"), ("float16", "uint8"), ("int32", "bool")])
def test_dtypes_as_torch(torch, name, da, db):
    """Result dtype and values, or PyTorch's refusal, for every dtype pair."""
    def f(lib):
        a = t(lib, [[0, 1, 3], [2, 0, 1]], da)
        b = t(lib, [2, 0, 1], db)
        return DTYPE_OPS[name](lib, a, b)
    check(torch, f, f"{name}({da}, {db})")


@pytest.mark.parametrize("name", ["xlogy", "copysign", "float_power", "lshift", "rshift",
                                  "isin"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("scalar", [2, 1.5, True, -3])
def test_python_scalar_other(torch, name, dtype, scalar):
    def f(lib):
        return DTYPE_OPS[name](lib, t(lib, [0, 1, 3], dtype), scalar)
    check(torch, f, f"{name}({dtype}, {scalar!r})")


@pytest.mark.parametrize("name", ["xlogy", "float_power", "lshift", "rshift", "isin"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "int8"])
def test_python_scalar_input(torch, name, dtype):
    def f(lib):
        return DTYPE_OPS[name](lib, 3, t(lib, [0, 1, 2], dtype))
    check(torch, f, f"{name}(3, {dtype})")


def test_reflected_shift_operators(torch):
    check(torch, lambda lib: (2 << t(lib, [0, 1, 5], "int64"), -64 >> t(lib, [0, 1, 5], "int8"),
                              t(lib, [3, -5], "int16") >> 1))


# ---- integer ops ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
@pytest.mark.parametrize("fn", ["bitwise_left_shift", "bitwise_right_shift"])
def test_shift_amounts_out_of_range(torch, dtype, fn):
    vals = [1, 3, -9, 100, 0, -128, 127] if dtype != "uint8" else [1, 3, 200, 100, 0, 255, 128]

    def f(lib):
        a = t(lib, vals * 2, dtype)
        b = t(lib, [0, 1, 7, 8, 31, 63, 64, -1, -65, 9, 70, 2, 5, 3], dtype if dtype in (
            "int64", "int32") else "int64")
        return getattr(lib, fn)(a.to(b.dtype), b).to(a.dtype), getattr(lib, fn)(a, 9)
    check(torch, f, f"{fn} {dtype}")


def test_gcd_lcm_signs_and_zeros(torch):
    def f(lib):
        a = t(lib, [0, 0, -4, 12, -18, 7, 2 ** 40], "int64")
        b = t(lib, [0, 5, 6, -8, -12, 0, 6], "int64")
        return lib.gcd(a, b), lib.lcm(a, b), a.gcd(b[3]), lib.gcd(a.to(lib.int8), b.to(lib.uint8))
    check(torch, f)


def test_heaviside_values_and_no_derivative(torch):
    check(torch, lambda lib: lib.heaviside(t(lib, [-1.0, 0.0, 2.0, NAN, -0.0]), t(lib, [5.0])))
    check(torch, lambda lib: t(lib, [1, 0, -1], "int64").heaviside(lib.tensor(7)))

    def backward(lib):
        x = t(lib, [1.0, 0.0], grad=True)
        out = lib.heaviside(x, t(lib, [0.5, 0.5]))
        name = type(out.grad_fn).__name__
        out.sum().backward()
        return name
    check(torch, backward)


# ---- lerp / addcmul / addcdiv --------------------------------------------------------------

def test_lerp_weights_and_ends(torch):
    def f(lib):
        a, b = t(lib, [1.0, -2.0, 3.0]), t(lib, [0.5, 2.0, -1.0])
        return (lib.lerp(a, b, 1), lib.lerp(a, b, True), lib.lerp(a, b, 0.5),
                lib.lerp(a, b, t(lib, 0.25, "float64")), lib.lerp(a, b, t(lib, [[0.25], [1.0]])),
                lib.lerp(a.double(), b.double(), -0.75))
    check(torch, f)


def test_addcmul_addcdiv_promotion_and_integer_values(torch):
    def f(lib):
        ia, ib = t(lib, [4, 6, -9], "int64"), t(lib, [6, 4, 3], "int64")
        a = t(lib, [1.5, -2.0, 3.0])
        return (lib.addcmul(ia, ia, ib), lib.addcmul(ia, ia, ib, value=2.5),
                lib.addcmul(ia, ia, ib, value=True), lib.addcmul(ia, a, ib),
                lib.addcmul(a.double(), a, a), lib.addcdiv(ia, a.double(), ib, value=2),
                lib.addcdiv(a, ia, a, value=-1), lib.addcmul(t(lib, 1.0), a, ib[:, None]),
                lib.addcdiv(a, a, t(lib, [0.0, 0.0, 1.0])))
    check(torch, f)


def test_ternary_gradients_with_promotion(torch):
    def f(lib):
        a = t(lib, [1.0, 2.0], "float64", grad=True)
        b = t(lib, [[0.5], [-1.0]], "float32", grad=True)
        c = t(lib, [3.0, -2.0], "float32", grad=True)
        out = lib.addcdiv(a, b, c, value=2) + lib.addcmul(a, b, c, value=-1)
        return (out.detach(),) + lib.autograd.grad(out.sum(), [a, b, c])
    check(torch, f)


# ---- comparisons and predicates ------------------------------------------------------------

def test_isclose_allclose(torch):
    def f(lib):
        a = t(lib, [1.0, NAN, INF, -INF, 1e10, 0.0, 1.0])
        b = t(lib, [1.0 + 1e-6, NAN, INF, INF, 1.00001e10, 1e-9, INF])
        ia, ib = t(lib, [4, 6, -9], "int64"), t(lib, [6, 4, 3], "int64")
        return (lib.isclose(a, b), lib.isclose(a, b, equal_nan=True), a.isclose(b, 0, 0),
                lib.isclose(a, b, rtol=0.1, atol=2.0), lib.isclose(ia, ib, rtol=0.6),
                lib.isclose(ia, ib, atol=2), lib.isclose(ia.to(lib.uint8), ib.to(lib.uint8), 0, 2),
                lib.isclose(t(lib, [True, False], "bool"), t(lib, [False, False], "bool")),
                lib.isclose(a[:, None], b[:3]),
                lib.allclose(a, b), lib.allclose(a[:1], b[:1]), a.allclose(a, equal_nan=True),
                lib.allclose(ia, ib, atol=5))
    check(torch, f)


def test_equal(torch):
    def f(lib):
        a = t(lib, [1.0, 2.0])
        return (lib.equal(a, a.clone()), lib.equal(a, a[:1]), lib.equal(a, a[None]),
                a.equal(t(lib, [1, 2], "int64")), lib.equal(t(lib, [NAN]), t(lib, [NAN])),
                lib.equal(t(lib, 1.0), t(lib, [1.0])), lib.equal(a, t(lib, [1.0, 3.0])))
    check(torch, f)


def test_isin(torch):
    def f(lib):
        ia, ib = t(lib, [[4, 6], [-9, 6]], "int64"), t(lib, [6, 4, 3, 3], "int64")
        return (lib.isin(ia, ib), lib.isin(ia, ib, invert=True),
                lib.isin(ia, ib[:3], assume_unique=True), lib.isin(3, ib), lib.isin(ia, 6),
                lib.isin(ia, t(lib, [6.0, 4.5])), lib.isin(t(lib, [2.5, 4.0]), ib),
                lib.isin(t(lib, [], "int64"), ib), lib.isin(ia, t(lib, [], "int64")))
    check(torch, f)


def test_isin_records_no_graph(torch):
    x = gradcore.tensor([1.0, 2.0], requires_grad=True)
    for out in (gradcore.isin(x, x), gradcore.isclose(x, x), x.isreal()):
        assert out.dtype is gradcore.bool and not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("values", [[1], [0.0], [[3]], [NAN], [False], [], [1, 2], [[0, 0]]])
def test_is_nonzero(torch, values):
    check(torch, lambda lib: (lib.is_nonzero(lib.tensor(values)),
                              lib.tensor(values).is_nonzero()))


def test_is_nonzero_0d(torch):
    check(torch, lambda lib: (lib.is_nonzero(lib.tensor(0)), lib.is_nonzero(lib.tensor(-2.5))))


@pytest.mark.parametrize("dtype", ALL)
def test_isreal_is_complex_is_floating_point(torch, dtype):
    def f(lib):
        x = t(lib, [[0, 1, 1]], dtype)
        return (lib.isreal(x), x.isreal(), lib.is_complex(x), x.is_complex(),
                lib.is_floating_point(x), x.is_floating_point())
    check(torch, f)


# ---- errors --------------------------------------------------------------------------------

def _f(lib, values=(1.5, -2.0, 3.0), dtype="float32"):
    return t(lib, list(values), dtype)


ERRORS = {
    "hypot_scalar": lambda lib: lib.hypot(_f(lib), 2.0),
    "hypot_scalar_input": lambda lib: lib.hypot(2.0, _f(lib)),
    "logaddexp_scalar": lambda lib: lib.logaddexp(_f(lib), 1),
    "nextafter_scalar": lambda lib: lib.nextafter(_f(lib), 1.0),
    "hypot_broadcast": lambda lib: lib.hypot(_f(lib), _f(lib, (1.0, 2.0))),
    "xlogy_scalars": lambda lib: lib.xlogy(2, 3),
    "copysign_scalar_input": lambda lib: lib.copysign(2, _f(lib)),
    "float_power_scalars": lambda lib: lib.float_power(2, 3),
    "heaviside_scalar": lambda lib: lib.heaviside(_f(lib), 1.0),
    "heaviside_dtypes_0d": lambda lib: lib.heaviside(_f(lib), t(lib, 1.0, "float64")),
    "gcd_scalar": lambda lib: lib.gcd(_f(lib, (4, 6), "int64"), 3),
    "gcd_scalar_input": lambda lib: lib.gcd(2, _f(lib, (4, 6), "int64")),
    "gcd_broadcast": lambda lib: lib.gcd(_f(lib, (4, 6, 2), "int64"), _f(lib, (1, 2), "int64")),
    "lshift_scalars": lambda lib: lib.bitwise_left_shift(2, 3),
    "lshift_float_scalar": lambda lib: _f(lib, (1, 2), "int64") << 2.0,
    "rlshift_float_scalar": lambda lib: 2.5 << _f(lib, (1, 2), "int64"),
    "lerp_scalar_end": lambda lib: lib.lerp(_f(lib), 2.0, 0.5),
    "lerp_end_dtype": lambda lib: lib.lerp(_f(lib), _f(lib, dtype="float64"), 0.5),
    "lerp_end_dtype_0d": lambda lib: lib.lerp(_f(lib), t(lib, 2.0, "float64"), 0.5),
    "lerp_end_int": lambda lib: lib.lerp(_f(lib), _f(lib, (1, 2, 3), "int8"), 0.5),
    "lerp_weight_dtype": lambda lib: lib.lerp(_f(lib), _f(lib), _f(lib, dtype="float16")),
    "lerp_int": lambda lib: lib.lerp(*[_f(lib, (1, 2, 3), "int64")] * 2, 0.5),
    "lerp_int_tensor_weight": lambda lib: lib.lerp(*[_f(lib, (1, 2, 3), "int64")] * 3),
    "lerp_broadcast": lambda lib: lib.lerp(_f(lib), _f(lib, (1.0, 2.0)), 0.5),
    "lerp_complex_weight": lambda lib: lib.lerp(_f(lib), _f(lib), 1j),
    "addcmul_scalar": lambda lib: lib.addcmul(_f(lib), _f(lib), 2.0),
    "addcmul_tensor_value": lambda lib: lib.addcmul(_f(lib), _f(lib), _f(lib), value=_f(lib)),
    "addcmul_bool": lambda lib: lib.addcmul(*[_f(lib, dtype="bool")] * 3),
    "addcmul_broadcast": lambda lib: lib.addcmul(_f(lib), _f(lib), _f(lib, (1.0, 2.0))),
    "addcdiv_integers": lambda lib: lib.addcdiv(_f(lib), *[_f(lib, (1, 2, 3), "int64")] * 2),
    "addcdiv_bools": lambda lib: lib.addcdiv(*[_f(lib, dtype="bool")] * 3),
    "isclose_dtypes": lambda lib: lib.isclose(_f(lib), _f(lib, dtype="int64")),
    "isclose_rtol": lambda lib: lib.isclose(_f(lib), _f(lib), rtol=-1),
    "isclose_atol": lambda lib: lib.isclose(_f(lib), _f(lib), atol=-0.5),
    "isclose_nan_rtol": lambda lib: lib.isclose(_f(lib), _f(lib), rtol=NAN),
    "isclose_scalar": lambda lib: lib.isclose(_f(lib), 2.0),
    "isclose_broadcast": lambda lib: lib.isclose(_f(lib), _f(lib, (1.0, 2.0))),
    "allclose_dtypes": lambda lib: lib.allclose(_f(lib, dtype="float64"), _f(lib)),
    "allclose_broadcast": lambda lib: lib.allclose(_f(lib), _f(lib, (1.0, 2.0))),
    "equal_scalar": lambda lib: lib.equal(_f(lib), 2),
    "isin_scalars": lambda lib: lib.isin(3, 3),
    "isin_bool": lambda lib: lib.isin(_f(lib, dtype="bool"), _f(lib)),
    "isin_bool_scalar": lambda lib: lib.isin(_f(lib, (1, 2), "int64"), True),
    "is_complex_number": lambda lib: lib.is_complex(3),
    "isreal_number": lambda lib: lib.isreal(3.0),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_as_torch(torch, name):
    check(torch, ERRORS[name], name)


def test_heaviside_backward_raises(torch):
    def f(lib):
        x = t(lib, [1.0, -1.0], grad=True)
        lib.heaviside(x, t(lib, [0.5])).sum().backward()
    check(torch, f)


# ---- in-place forms ------------------------------------------------------------------------

INPLACE = [
    ("hypot_", lambda lib: (_f(lib, (3.0, 5.0)), _f(lib, (4.0, 12.0))), {}),
    ("xlogy_", lambda lib: (_f(lib, (0.0, 5.0)), 2.0), {}),
    ("copysign_", lambda lib: (_f(lib, (3.0, -5.0)), _f(lib, (-1.0, 2.0))), {}),
    ("nextafter_", lambda lib: (_f(lib, (3.0, -5.0)), _f(lib, (4.0, -6.0))), {}),
    ("heaviside_", lambda lib: (_f(lib, (0.0, -5.0)), _f(lib, (0.5,))), {}),
    ("gcd_", lambda lib: (_f(lib, (12, -8), "int32"), _f(lib, (18, 6), "int64")), {}),
    ("lcm_", lambda lib: (_f(lib, (12, -8), "int8"), _f(lib, (18, 6), "int8")), {}),
    ("float_power_", lambda lib: (_f(lib, (3.0, 0.5), "float64"), _f(lib, (2.0, -1.0))), {}),
    ("float_power_", lambda lib: (_f(lib, (3.0, 0.5)), 2), {}),  # refused: not float64
    ("bitwise_left_shift_", lambda lib: (_f(lib, (4, 6, -9), "int8"),
                                         _f(lib, (4, 6, -9), "int64")), {}),
    ("bitwise_right_shift_", lambda lib: (_f(lib, (-128, 64), "int8"), 3), {}),
    ("__ilshift__", lambda lib: (_f(lib, (1, 3), "int16"), 3), {}),
    ("__irshift__", lambda lib: (_f(lib, (-7, 70), "int64"), _f(lib, (1, 2), "int64")), {}),
    ("lerp_", lambda lib: (_f(lib, (1.0, 2.0)), _f(lib, (3.0, -2.0)), 0.25), {}),
    ("lerp_", lambda lib: (_f(lib, (1.0, 2.0)), _f(lib, (3.0, -2.0)), _f(lib, (0.5, 2.0))), {}),
    ("addcmul_", lambda lib: (_f(lib, (1.0, 2.0)), _f(lib, (3.0, -2.0)), _f(lib, (0.5,))),
     {"value": 2}),
    ("addcdiv_", lambda lib: (_f(lib, (1.0, 2.0)), _f(lib, (3.0, -2.0)), _f(lib, (0.5,))), {}),
    ("addcmul_", lambda lib: (_f(lib, (1.0,)), _f(lib, (3.0, -2.0)), _f(lib, (0.5,))), {}),
]


@pytest.mark.parametrize("name,args,kwargs", INPLACE, ids=[f"{n}-{i}" for i, (n, _, _)
                                                          in enumerate(INPLACE)])
def test_inplace_forms(torch, name, args, kwargs):
    if not hasattr(gradcore.Tensor, name):
        pytest.skip(f"Tensor.{name}: ops/inplace.py does not make binary_math.INPLACE's "
                    "in-place forms yet")

    def f(lib):
        self, *rest = args(lib)
        out = getattr(self, name)(*rest, **kwargs)
        return out is self, self
    check(torch, f, name)


def test_inplace_forms_keep_the_graph(torch):
    if not hasattr(gradcore.Tensor, "lerp_"):
        pytest.skip("Tensor.lerp_: ops/inplace.py does not make binary_math.INPLACE's forms yet")

    def f(lib):
        a = t(lib, [1.0, 2.0], grad=True)
        b = t(lib, [3.0, -2.0], grad=True)
        x = a * 1
        x.lerp_(b, 0.25).addcmul_(b, b, value=0.5).hypot_(a)
        return (type(x.grad_fn).__name__, x.detach()) + lib.autograd.grad(x.sum(), [a, b])
    check(torch, f)


def test_inplace_table_names_the_out_of_place_ops():
    """ops/inplace.py names each form after its function: ``INPLACE[name].__name__ == name``."""
    for name, fn in binary_math.INPLACE.items():
        assert fn.__name__ == name and callable(getattr(gradcore, name))


def test_torch_namespace_bitwise_functions(torch):
    def f(lib):
        a, b = t(lib, [12, -3, 5], "int64"), t(lib, [10, 6, -1], "int8")
        return (lib.bitwise_and(a, b), lib.bitwise_or(a, 3), lib.bitwise_xor(True, b),
                lib.bitwise_not(b), lib.bitwise_not(t(lib, [True, False], "bool")))
    check(torch, f)
