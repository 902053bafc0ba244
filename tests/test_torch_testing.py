"""gradcore.testing (torch.testing): assert_close message-for-message against PyTorch's on
many cases (tensors of each dtype, numbers, NumPy, None, bools, nested sequences and mappings,
every check_* flag, msg), make_tensor's ranges and checks, assert_allclose."""
import collections
import warnings

import numpy as np
import pytest

import gradcore
from gradcore.testing import assert_allclose, assert_close, make_tensor


def _cases(t):
    """{name: (actual, expected, kwargs)} built with the library ``t`` (torch or gradcore)."""
    T = t.tensor
    return {
        "equal": (T([1., 2., 3.]), T([1., 2., 3.]), {}),
        "one_off": (T([1., 2., 3.]), T([1., 2.5, 3.]), {}),
        "two_off_2d": (T([[1., 2.], [3., 4.]]), T([[1., 2.1], [3.3, 4.]]), {}),
        "f64": (T([1., 2.], dtype=t.float64), T([1., 2.0000001], dtype=t.float64), {}),
        "f16": (T([1., 2.], dtype=t.float16), T([1., 2.01], dtype=t.float16), {}),
        "bf16": (T([1., 2.], dtype=t.bfloat16), T([1., 2.1], dtype=t.bfloat16), {}),
        "int": (T([1, 2, 3]), T([1, 2, 4]), {}),
        "int_zero_expected": (T([1, 2, 3]), T([1, 0, 3]), {}),
        "uint8": (T([1, 200], dtype=t.uint8), T([3, 2], dtype=t.uint8), {}),
        "bool": (T([True, False]), T([True, True]), {}),
        "scalar0d": (T(1.5), T(1.), {}),
        "nan": (T(float("nan")), T(float("nan")), {}),
        "nan_equal": (T([float("nan"), 1.]), T([float("nan"), 1.]), {"equal_nan": True}),
        "nan_vs_num": (T([float("nan"), 1.]), T([0., 1.]), {}),
        "inf": (T([float("inf"), 1.]), T([float("inf"), 1.]), {}),
        "inf_sign": (T([float("inf"), 1.]), T([-float("inf"), 1.]), {}),
        "dtype": (T([1., 2.]), T([1., 2.], dtype=t.float64), {}),
        "dtype_off": (T([1., 2.]), T([1., 2.5], dtype=t.float64), {"check_dtype": False}),
        "shape": (T([1., 2.]), T([1., 2., 3.]), {}),
        "stride": (T([[1., 2.], [3., 4.]]).t(), T([[1., 3.], [2., 4.]]), {"check_stride": True}),
        "stride_ok": (T([[1., 2.], [3., 4.]]).t(), T([[1., 3.], [2., 4.]]), {}),
        "tol_given": (T([1., 2.]), T([1., 2.5]), {"rtol": 0.0, "atol": 0.6}),
        "tol_equal": (T([1., 2.]), T([1., 2.5]), {"rtol": 0, "atol": 0}),
        "only_rtol": (T([1., 2.]), T([1., 2.]), {"rtol": 0.1}),
        "only_atol": (T([1., 2.]), T([1., 2.]), {"atol": 0.1}),
        "msg_str": (T([1., 2.]), T([1., 3.]), {"msg": "Argh!"}),
        "msg_callable": (T([1., 2.]), T([1., 3.]), {"msg": lambda m: f"Header\n\n{m}\n\nFooter"}),
        "list": ([T(1.), T([1., 2.])], [T(1.), T([1., 3.])], {}),
        "list_len": ([T(1.)], [T(1.), T(2.)], {}),
        "tuple_nested": ((1, [2.0, T([3.])]), (1, [2.0, T([3.5])]), {}),
        "dict": ({"a": T([1.]), "b": T([2.])}, {"b": T([2.5]), "a": T([1.])}, {}),
        "dict_keys": ({"a": 1, "c": 2}, {"a": 1, "b": 2}, {}),
        "ordered": (collections.OrderedDict(x=1.0), {"x": 1.0}, {}),
        "numbers": (1.0, 1.1, {}),
        "number_int": (1, 2, {}),
        "number_mixed": (1.0, 1, {}),
        "number_mixed_dtype": (1.0, 1, {"check_dtype": True}),
        "number_complex": (1 + 1j, 1 + 2j, {}),
        "number_zero": (0.5, 0.0, {}),
        "number_nan": (float("nan"), float("nan"), {"equal_nan": True}),
        "np_scalar": (np.float32(1.0), np.float32(1.5), {}),
        "bools": (True, False, {}),
        "np_bool": (np.bool_(True), True, {}),
        "none": (None, None, {}),
        "none_mismatch": (None, 1, {}),
        "tensor_vs_number": (T(1.), 1.0, {}),
        "numpy": (np.array([1., 2.]), np.array([1., 2.5]), {}),
        "numpy_vs_tensor": (np.array([1., 2.]), T([1., 2.]), {}),
        "string": ("a", "a", {}),
        "complex_tensor": (T([1 + 1j, 2.]), T([1 + 1j, 2 + 1j]), {}),
        "big": (t.arange(24.).reshape(2, 3, 4), t.arange(24.).reshape(2, 3, 4) * 1.0001, {}),
        "subclass": (t.nn.Parameter(T([1., 2.])), T([1., 2.]), {}),
        "subclass_strict": (t.nn.Parameter(T([1., 2.])), T([1., 2.]), {"allow_subclasses": False}),
        "requires_grad": (T([1., 2.], requires_grad=True), T([1., 3.]), {}),
        "empty": (t.zeros(0), t.zeros(0), {}),
        "f32_small_diffs": (T([1e-6, 2e-6, 1.0]), T([1.5e-6, 2e-6, 1.00001]), {}),
        "int_vs_float_off": (T([1, 2]), T([1., 2.5]), {"check_dtype": False}),
    }


def _outcome(lib, actual, expected, kwargs):
    """(exception type name, message) of lib.testing.assert_close, or None when it passes;
    gradcore's names (gradcore.float32, gradcore.tensor.Tensor) read as torch's."""
    try:
        lib.testing.assert_close(actual, expected, **kwargs)
        return None
    except Exception as e:  # noqa: BLE001  (the type and text are what is compared)
        text = str(e)
        for mine, theirs in (("gradcore.tensor.Tensor", "torch.Tensor"),
                             ("gradcore.nn.parameter.Parameter", "torch.nn.parameter.Parameter"),
                             ("gradcore.", "torch.")):
            text = text.replace(mine, theirs)
        return type(e).__name__, text


CASE_NAMES = sorted(_cases(gradcore))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_assert_close_matches_torch(torch, name):
    want = _outcome(torch, *_cases(torch)[name])
    got = _outcome(gradcore, *_cases(gradcore)[name])
    assert got == want


def test_the_cases_cover_passes_and_each_failure_kind(torch):
    outcomes = [_outcome(torch, *case) for case in _cases(torch).values()]
    kinds = {o[0] if o else None for o in outcomes}
    assert kinds == {None, "AssertionError", "TypeError", "ValueError"}
    texts = "\n".join(o[1] for o in outcomes if o)
    for phrase in ("Tensor-likes are not close!", "Tensor-likes are not equal!",
                   "Scalars are not close!", "The failure occurred for item [1][1]",
                   "The values for attribute 'dtype'", "The length of the sequences",
                   "The keys of the mappings", "Booleans mismatch", "None mismatch",
                   "No comparison pair", "Header\n\n"):
        assert phrase in texts, phrase


def test_default_tolerances_table():
    from gradcore.testing._comparison import default_tolerances
    g = gradcore
    assert default_tolerances(g.float16) == (0.001, 1e-5)
    assert default_tolerances(g.bfloat16) == (0.016, 1e-5)
    assert default_tolerances(g.float32) == (1.3e-6, 1e-5)
    assert default_tolerances(g.float64) == (1e-7, 1e-7)
    assert default_tolerances(g.complex64, g.int64) == (1.3e-6, 1e-5)
    assert default_tolerances(g.int32, g.bool) == (0.0, 0.0)
    assert default_tolerances(g.float64, g.float16) == (0.001, 1e-5)  # the loosest


def test_just_inside_and_outside_the_default_tolerance():
    e = gradcore.tensor([100.0], dtype=gradcore.float64)
    inside = e + (1e-7 + 1e-7 * 100) * 0.99
    outside = e + (1e-7 + 1e-7 * 100) * 1.01
    assert_close(inside, e)
    with pytest.raises(AssertionError):
        assert_close(outside, e)


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")
def test_sparse_and_layout(torch):
    def coo(lib, values):
        return lib.sparse_coo_tensor([[0, 1], [1, 0]], values, (2, 2))
    outcomes = []
    for lib in (torch, gradcore):
        dense = lib.tensor([[0., 1.], [2., 0.]])
        got = [_outcome(lib, coo(lib, [1., 2.]), dense, {}),
               _outcome(lib, coo(lib, [1., 2.]), dense, {"check_layout": False}),
               _outcome(lib, coo(lib, [1., 2.]), coo(lib, [1., 2.]), {}),
               _outcome(lib, coo(lib, [1., 2.]), coo(lib, [1., 3.]), {}),
               _outcome(lib, coo(lib, [1., 2.]), dense * 1.5, {"check_layout": False})]
        outcomes.append(got)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1] is None and "Sparse COO values are not close" in outcomes[0][3][1]


def test_isclose_compares_complex_tensors(torch):
    a, b = [1 + 1j, 2.0, 3 + 1e-7j], [1 + 1j, 2 + 1j, 3.0]
    got = gradcore.isclose(gradcore.tensor(a), gradcore.tensor(b)).tolist()
    assert got == torch.isclose(torch.tensor(a), torch.tensor(b)).tolist() == [True, False, True]


def test_assert_allclose_is_deprecated_and_lenient(torch):
    with pytest.warns(FutureWarning, match="assert_allclose"):
        assert_allclose(gradcore.tensor([1.0, float("nan")]), [1.00001, float("nan")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for lib in (torch, gradcore):
            with pytest.raises(AssertionError, match="Tensor-likes are not close"):
                lib.testing.assert_allclose(lib.tensor([1.0, 2.0]), [1.0, 2.1])


@pytest.mark.parametrize("dtype, low, high", [
    ("bool", 0, 2), ("uint8", 0, 10), ("int8", -9, 10), ("int64", -9, 10),
    ("float16", -9, 9), ("bfloat16", -9, 9), ("float32", -9, 9), ("float64", -9, 9)])
def test_make_tensor_default_ranges(dtype, low, high):
    t = make_tensor(40, 50, dtype=getattr(gradcore, dtype), device="cpu")
    assert t.shape == (40, 50) and t.dtype is getattr(gradcore, dtype)
    v = t.to(gradcore.float64)
    assert low <= v.min().item() and v.max().item() < high
    assert v.max().item() - v.min().item() >= (high - low) * 0.5  # it spreads over the range


def test_make_tensor_options():
    t = make_tensor((3, 4), dtype=gradcore.float32, device="cpu", low=-1, high=1,
                    requires_grad=True, noncontiguous=True)
    assert t.shape == (3, 4) and not t.is_contiguous() and t.requires_grad
    assert -1 <= t.min().item() and t.max().item() < 1
    z = make_tensor(1000, dtype=gradcore.int8, device="cpu", low=-1, high=2,
                    exclude_zero=True)
    assert 0 not in z.tolist() and set(z.tolist()) <= {-1, 1, 2}
    c = make_tensor(200, dtype=gradcore.complex64, device="cpu")
    assert c.dtype is gradcore.complex64 and -9 <= c.real.min().item()
    assert c.imag.max().item() < 9
    wide = make_tensor(100, dtype=gradcore.float64, device="cpu", low=-1e308, high=1e308)
    assert bool(gradcore.isfinite(wide).all()) and wide.abs().max().item() > 1e306
    assert make_tensor(5, dtype=gradcore.uint8, device="cpu", low=-5, high=3).min().item() >= 0


def test_make_tensor_errors_match_torch(torch):
    cases = [
        dict(dtype="int64", requires_grad=True),
        dict(dtype="float32", low=2, high=1),
        dict(dtype="float32", low=float("nan")),
        dict(dtype="uint8", low=300, high=400),
    ]
    for kw in cases:
        outcomes = []
        for lib in (torch, gradcore):
            kwl = dict(kw, dtype=getattr(lib, kw["dtype"]))
            with pytest.raises(ValueError) as info:
                lib.testing.make_tensor(3, device="cpu", **kwl)
            outcomes.append(str(info.value).replace("gradcore.", "torch."))
        assert outcomes[0] == outcomes[1]
