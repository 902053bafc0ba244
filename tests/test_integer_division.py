"""Rounded division, remainder and fmod (``//``, ``%``, floor_divide, remainder, fmod,
div(rounding_mode=...)) against PyTorch: exact integer arithmetic for every integer dtype,
PyTorch's floating algorithms (Python's ``//`` and ``%``, signed zeros, inf and nan), type
promotion, division by zero, in-place forms and autograd nodes.  Torch parity tests are
skipped without torch; the regression tests at the top need no torch.
"""
import numpy as np
import pytest

import gradcore

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8"]

# every op, written once for both libraries; the fmod ones take no scalar dividend
OPS = {
    "floordiv_op": lambda L, a, b: a // b,
    "floor_divide": lambda L, a, b: L.floor_divide(a, b),
    "mod_op": lambda L, a, b: a % b,
    "remainder": lambda L, a, b: L.remainder(a, b),
    "fmod": lambda L, a, b: L.fmod(a, b),
    "fmod_method": lambda L, a, b: a.fmod(b),
    "div_floor": lambda L, a, b: L.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
}
REFLECTABLE = [k for k in OPS if not k.startswith("fmod")]
INPLACE = {
    "ifloordiv": lambda a, b: a.__ifloordiv__(b),
    "imod": lambda a, b: a.__imod__(b),
    "floor_divide_": lambda a, b: a.floor_divide_(b),
    "remainder_": lambda a, b: a.remainder_(b),
    "fmod_": lambda a, b: a.fmod_(b),
    "div_floor_": lambda a, b: a.div_(b, rounding_mode="floor"),
    "divide_trunc_": lambda a, b: a.divide_(b, rounding_mode="trunc"),
}


def _np(t):
    return t.detach().cpu().numpy()


# ---- regressions: these went through float32 before -----------------------------------------

def test_floor_divide_of_int64_is_exact():
    assert (gradcore.tensor([16777217]) // 1).tolist() == [16777217]  # was 16777216


def test_remainder_of_int64_is_exact():
    assert (gradcore.tensor([33554431]) % 2).tolist() == [1]  # was -1
    assert (gradcore.tensor([2 ** 53 + 1]) % 7).tolist() == [(2 ** 53 + 1) % 7]  # was negative


def test_integer_division_by_zero_raises():
    for op in OPS.values():  # floor_divide by zero gave INT64_MIN
        with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
            op(gradcore, gradcore.tensor([5, 6]), gradcore.tensor([1, 0]))


def test_float_floor_divide_is_pythons():
    assert (gradcore.tensor(1.0) // 0.1).item() == 9.0 == 1.0 // 0.1  # was 10
    r = (gradcore.tensor(-4.0) % 2).item()
    assert r == 0 and np.signbit(r)  # PyTorch keeps fmod's -0. (NumPy's remainder gives 0.)


def test_min_by_minus_one_wraps():
    """INT_MIN // -1 is undefined in PyTorch for int32 / int64 (its trunc division dies with
    SIGFPE); gradcore wraps as PyTorch does for int8 / int16."""
    for dt in ("int8", "int16", "int32", "int64"):
        m = int(np.iinfo(dt).min)
        a = gradcore.tensor([m], dtype=getattr(gradcore, dt))
        for name, want in [("floor_divide", m), ("div_trunc", m), ("remainder", 0), ("fmod", 0)]:
            assert OPS[name](gradcore, a, -1).tolist() == [want], (dt, name)


# ---- integer parity ------------------------------------------------------------------------

def _int_values(dt, rng, n=24):
    """Extremes, values around 2**24, 2**31, 2**53, small ones, and random ones of the dtype."""
    info = np.iinfo(dt)
    special = [0, 1, -1, 2, -2, 3, -3, 7, -7, 10, -10, 127, -128, 255,
               2 ** 24 + 1, -(2 ** 24 + 1), 33554431, 2 ** 31 - 1, -2 ** 31, 2 ** 31 - 7,
               -(2 ** 31) + 1, 2 ** 53 + 1, -(2 ** 53 + 1), 2 ** 53 - 1, 3 * 2 ** 60 + 5]
    special += [int(info.max), int(info.min), int(info.max) - 1, int(info.min) + 1]
    vals = [v for v in special if info.min <= v <= info.max]
    rand = rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
    small = rng.integers(max(int(info.min), -40), 40, n).astype(dt)
    return np.unique(np.concatenate([np.array(vals, dtype=dt), rand, small]))


def _valid(a, b, dt):
    """Pairs PyTorch defines: no zero divisor, no INT_MIN / -1 for int32 and int64."""
    ok = b != 0
    if dt in ("int32", "int64"):
        ok &= ~((a == np.iinfo(dt).min) & (b == -1))
    return ok


def _check(torch, name, ta, tb, ga, gb):
    want = OPS[name](torch, ta, tb)
    got = OPS[name](gradcore, ga, gb)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], name
    assert tuple(got.shape) == tuple(want.shape), name
    np.testing.assert_array_equal(_np(got), _np(want), err_msg=name)


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dt", INT_DTYPES)
def test_integer_tensors_match_torch(torch, device, name, dt, rng):
    vals = _int_values(dt, rng)
    a, b = (x.ravel() for x in np.meshgrid(vals, vals))
    keep = _valid(a, b, dt)
    a, b = a[keep], b[keep]
    _check(torch, name, torch.from_numpy(a), torch.from_numpy(b),
           gradcore.tensor(a, device=device), gradcore.tensor(b, device=device))


# Python ints wrap to the tensor's dtype in PyTorch (an int8 tensor // 300 divides by 44)
SCALARS = [1, -1, 2, -3, 7, -10, 300, -129, 2 ** 31 + 5, -(2 ** 33) - 1, 2 ** 53 + 1, True]


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dt", INT_DTYPES)
def test_integer_scalar_operands_match_torch(torch, device, name, dt, rng):
    vals = _int_values(dt, rng)
    tv = torch.from_numpy(vals)
    gv = gradcore.tensor(vals, device=device)
    for s in SCALARS:
        wrapped = np.array(s).astype(dt)
        keep = _valid(vals, np.full_like(vals, wrapped), dt)
        if keep.any():  # tensor op scalar
            _check(torch, name, tv[torch.from_numpy(keep)], s, gradcore.tensor(vals[keep],
                   device=device), s)
        if name in REFLECTABLE:  # scalar op tensor
            keep = _valid(np.full_like(vals, wrapped), vals, dt)
            _check(torch, name, s, tv[torch.from_numpy(keep)],
                   s, gradcore.tensor(vals[keep], device=device))
    for s in (2.5, -0.75):  # a float scalar makes the result float
        _check(torch, name, tv, s, gv, s)


@pytest.mark.parametrize("name", OPS)
def test_broadcasting_and_promotion_match_torch(torch, device, name, rng):
    def pair(dta, sa, dtb, sb, lo=-50, hi=50):
        a = rng.integers(lo, hi, sa).astype(dta)
        b = rng.integers(lo, hi, sb).astype(dtb)
        b[b == 0] = 3
        return a, b

    cases = [pair("int64", (3, 1), "int64", (1, 4)), pair("int32", (2, 3), "int32", (3,)),
             pair("int8", (), "int8", (4,)), pair("int16", (2, 1, 3), "int16", (2, 1)),
             pair("int8", (2, 3), "int16", (2, 3)), pair("uint8", (4,), "int8", (4,), 1),
             pair("int8", (4,), "int64", ()), pair("uint8", (3,), "uint8", (2, 1), 1, 255),
             pair("int32", (4,), "float64", ()), pair("int64", (4,), "float32", (4,)),
             pair("bool", (5,), "int8", (5,), 0, 2), pair("int16", (5,), "bool", (5,), 0, 2)]
    for a, b in cases:
        if b.dtype == np.bool_:
            b[:] = True
        _check(torch, name, torch.from_numpy(a), torch.from_numpy(b),
               gradcore.tensor(a, device=device), gradcore.tensor(b, device=device))
    _check(torch, name, torch.tensor([True, False]), 2,
           gradcore.tensor([True, False], device=device), 2)


@pytest.mark.parametrize("name", INPLACE)
@pytest.mark.parametrize("dt", INT_DTYPES)
def test_inplace_forms_match_torch(torch, device, name, dt, rng):
    vals = _int_values(dt, rng)
    rolled = np.roll(vals, 3)
    rolled = np.where(_valid(vals, rolled, dt), rolled, 1).astype(dt)
    for d in [rolled, np.array([-3 if dt != "uint8" else 3], dtype=dt), 3, -7]:
        ta, ga = torch.from_numpy(vals.copy()), gradcore.tensor(vals, device=device)
        tb, gb = (torch.from_numpy(d), gradcore.tensor(d, device=device)) \
            if isinstance(d, np.ndarray) else (d, d)
        assert INPLACE[name](ga, gb) is ga
        INPLACE[name](ta, tb)
        assert ga.dtype == getattr(gradcore, dt)
        np.testing.assert_array_equal(_np(ga), ta.numpy(), err_msg=f"{name} {dt} by {d}")


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_errors_match_torch(torch, name):
    for lib in (torch, gradcore):
        a = lib.tensor([7, -7], dtype=lib.int8)
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the "
                                               "desired output type Char"):
            INPLACE[name](a, 2.5)
        with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
            INPLACE[name](a, lib.tensor([3, 0], dtype=lib.int8))
    # gradcore writes nothing (PyTorch's kernel has written the elements before the zero)
    assert a.tolist() == [7, -7]


# ---- division by zero and bool -------------------------------------------------------------

@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dt", INT_DTYPES)
def test_division_by_zero_raises_like_torch_cpu(torch, name, dt):
    a = np.array([5, 0, 3], dtype=dt)
    b = np.array([1, 2, 0], dtype=dt)
    cases = [(a, b), (a, 0), (a, False), (a, 256 if dt in ("int8", "uint8") else 0)]
    if name in REFLECTABLE:
        cases.append((4, b))
    for x, y in cases:
        msgs = []
        for lib in (torch, gradcore):
            args = [lib.tensor(v) if isinstance(v, np.ndarray) else v for v in (x, y)]
            with pytest.raises(RuntimeError) as info:
                OPS[name](lib, *args)
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1] == "ZeroDivisionError"
    # nothing is divided, nothing raises (as in PyTorch)
    empty = np.zeros((0, 2), dtype=dt)
    for x, y in [(empty, 0), (empty, np.zeros(2, dtype=dt))]:
        _check(torch, name, torch.from_numpy(x), y if np.isscalar(y) else torch.from_numpy(y),
               gradcore.tensor(x), y if np.isscalar(y) else gradcore.tensor(y))


@pytest.mark.gpu
@pytest.mark.parametrize("name", OPS)
def test_division_by_zero_on_cuda_does_not_sync_or_raise(name):
    """PyTorch's CUDA kernels don't check divisors (it would need a device sync): neither
    does gradcore on CuPy; the values there are unspecified."""
    a = gradcore.tensor([5, 6], device="cuda")
    OPS[name](gradcore, a, gradcore.tensor([1, 0], device="cuda"))
    OPS[name](gradcore, a, 0)


@pytest.mark.parametrize("name", OPS)
def test_bool_operands_raise_like_torch(torch, name):
    msgs = []
    for lib in (torch, gradcore):
        t = lib.tensor([True, True])
        for other in (lib.tensor([True, False]), True, False):
            with pytest.raises(NotImplementedError) as info:
                OPS[name](lib, t, other)
            msgs.append(str(info.value))
    assert msgs[:3] == msgs[3:], msgs
    assert "not implemented for 'Bool'" in msgs[0]


def test_fmod_has_no_scalar_dividend(torch):
    for lib in (torch, gradcore):
        with pytest.raises(TypeError, match=r"fmod\(\) received an invalid combination of "
                                            r"arguments - got \(float, Tensor\)"):
            lib.fmod(2.0, lib.tensor([1.0]))


def test_bad_operand_types_raise_type_error(torch):
    for lib in (torch, gradcore):
        t = lib.tensor([3, 4])
        for op in (lambda: t // "a", lambda: t % "a", lambda: t // None):
            with pytest.raises(TypeError, match="unsupported operand type"):
                op()
        with pytest.raises(RuntimeError, match="div expected rounding_mode to be one of None, "
                                               "'trunc', or 'floor' but found 'round'"):
            lib.div(t, 2, rounding_mode="round")


# ---- floating point ------------------------------------------------------------------------

FLOAT_SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 0.1, -0.1, 0.3, 1.0, -1.0, 3.0, -3.0, 1.5,
                 -2.5, 7.0, 1e-4, -1e-4, 1e4, -1e4, 6e-8, 65504.0]


def _float_values(dt, rng, n=40):
    # (float32: no |a / b| beyond FLT_MAX -- there PyTorch's vectorized fmod gives nan, its
    # scalar path and C's fmod the exact result)
    vals = np.concatenate([FLOAT_SPECIAL, rng.standard_normal(n) * 10,
                           rng.integers(-20, 20, n), rng.integers(-30, 30, n) * 0.1])
    return vals.astype(dt)


def _same_bits(got, want, what):
    """Equal values, zeros of the same sign, nan where nan."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, what
    both_nan = np.isnan(got) & np.isnan(want)
    ok = both_nan | ((got == want) & (np.signbit(got) == np.signbit(want)))
    bad = np.flatnonzero(~ok.ravel())
    assert not bad.size, f"{what}: {bad.size} differ, e.g. got {got.ravel()[bad[:5]]}, " \
                         f"torch {want.ravel()[bad[:5]]}"


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dt", ["float32", "float64", "float16"])
def test_floats_match_torch_bit_for_bit(torch, device, name, dt, rng):
    vals = _float_values(dt, rng)
    a, b = (x.ravel() for x in np.meshgrid(vals, vals))
    got = OPS[name](gradcore, gradcore.tensor(a, device=device),
                    gradcore.tensor(b, device=device))
    _same_bits(_np(got), OPS[name](torch, torch.from_numpy(a), torch.from_numpy(b)).numpy(),
               f"{name} {dt}")
    if dt == "float16":
        # PyTorch divides a Half tensor by a scalar (or a one-element divisor) in float32, the
        # scalar unrounded; gradcore rounds the scalar to the tensor's dtype, as for `/`
        return
    tv, gv = torch.from_numpy(vals), gradcore.tensor(vals, device=device)
    for s in [0.1, -0.3, 2.5, 3, -7, 0.0, -0.0, float("inf"), float("-inf"), float("nan")]:
        _same_bits(_np(OPS[name](gradcore, gv, s)), OPS[name](torch, tv, s).numpy(),
                   f"{name} {dt} tensor, {s}")
        if name in REFLECTABLE:
            _same_bits(_np(OPS[name](gradcore, s, gv)), OPS[name](torch, s, tv).numpy(),
                       f"{name} {dt} {s}, tensor")


@pytest.mark.parametrize("name", INPLACE)
def test_float_inplace_forms_match_torch(torch, name, rng):
    vals = _float_values("float32", rng)
    other = np.roll(vals, 5)
    ta, ga = torch.from_numpy(vals.copy()), gradcore.tensor(vals)
    INPLACE[name](ta, torch.from_numpy(other))
    INPLACE[name](ga, gradcore.tensor(other))
    _same_bits(_np(ga), ta.numpy(), name)


# ---- autograd ------------------------------------------------------------------------------

def _grad_fn_names(fn):
    return None if fn is None else (type(fn).__name__, fn.name())


# (op, whether the tensors are (x, y) or (x,)); op_db covers the differentiable ones' values
NODES = {
    "floordiv_tensor": lambda L, x, y: x // y,
    "floordiv_scalar": lambda L, x, y: x // 2,
    "rfloordiv": lambda L, x, y: 2 // y,
    "floor_divide": lambda L, x, y: L.floor_divide(x, y),
    "remainder": lambda L, x, y: L.remainder(x, y),
    "mod_scalar": lambda L, x, y: x % 2.5,
    "rmod": lambda L, x, y: 2 % y,
    "remainder_scalar_tensor": lambda L, x, y: L.remainder(3.5, y),
    "fmod": lambda L, x, y: L.fmod(x, y),
    "fmod_scalar": lambda L, x, y: x.fmod(2),
    "div_floor": lambda L, x, y: L.div(x, y, rounding_mode="floor"),
    "div_trunc_scalar": lambda L, x, y: x.div(-1.5, rounding_mode="trunc"),
    "rdiv_floor": lambda L, x, y: L.div(2, y, rounding_mode="floor"),
    "int_tensor_divisor": lambda L, x, y: L.remainder(x, L.tensor([2, -3])),
}


@pytest.mark.parametrize("name", NODES)
def test_nodes_and_gradients_match_torch(torch, name):
    out = {}
    for lib in (torch, gradcore):
        x = lib.tensor([5.5, -7.25], requires_grad=True)
        y = lib.tensor([2.0, 3.0], requires_grad=True)
        r = NODES[name](lib, x, y)
        res = {"value": _np(r), "requires_grad": r.requires_grad,
               "node": _grad_fn_names(r.grad_fn)}
        try:
            grads = lib.autograd.grad(r.sum(), [x, y], allow_unused=True)
            res["grads"] = [None if g is None else _np(g).tolist() for g in grads]
        except RuntimeError as e:
            res["grads"] = str(e)
        out[lib] = res
    t, g = out[torch], out[gradcore]
    np.testing.assert_array_equal(g.pop("value"), t.pop("value"))
    assert g == t


def test_integer_results_do_not_require_grad():
    r = gradcore.tensor([7, -7]) // gradcore.tensor([2, 2])
    assert not r.requires_grad and r.grad_fn is None


def test_repr_names_the_not_implemented_node_as_pytorch(torch):
    for lib in (gradcore, torch):
        a = lib.tensor([5.0, 7.0], requires_grad=True)
        assert repr(a // 2).endswith("grad_fn=<NotImplemented>)")
