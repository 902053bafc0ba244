"""Review of issue 12/13's newest names against PyTorch: each test is a bug found by comparing
gradcore and torch on the same call (and fails without its fix)."""
import copy
import warnings

import numpy as np
import pytest

import gradcore


def _raises_like(torch, fn):
    """Run ``fn`` on torch and on gradcore: the same error type name and message."""
    with pytest.raises(Exception) as want, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn(torch)
    with pytest.raises(Exception) as got, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn(gradcore)
    assert type(got.value).__name__.lstrip("_") == type(want.value).__name__.lstrip("_")
    assert str(got.value) == str(want.value)


def test_device_is_a_context_manager_for_factories(torch):
    # `with torch.device(...):` sets the default device inside the block, restores it after
    with torch.device("cpu") as want:
        t_in = torch.zeros(1)
    with gradcore.device("cpu") as got:
        g_in = gradcore.zeros(1)
        assert gradcore.get_default_device() == gradcore.device("cpu")
    assert repr(got) == repr(want) and str(g_in.device) == str(t_in.device)
    gradcore.set_default_device("cpu")
    try:
        with gradcore.device("cpu"):
            with gradcore.device("cpu"):
                pass
            assert gradcore.get_default_device() == gradcore.device("cpu")
    finally:
        gradcore.set_default_device(None)
    from gradcore._device import _default
    assert _default["device"] is None


def test_unfold_of_0_dim_tensor_with_size_0(torch):
    for size in (0, 1):
        want = torch.tensor(3.0).unfold(0, size, 1)
        got = gradcore.tensor(3.0).unfold(0, size, 1)
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_legacy_cholesky_errors_name_cholesky(torch):
    spd = np.eye(3)
    _raises_like(torch, lambda m: m.cholesky(-m.tensor(spd)))
    _raises_like(torch, lambda m: m.cholesky(-m.tensor(spd), upper=True))
    _raises_like(torch, lambda m: m.cholesky(m.ones(2, 3)))
    _raises_like(torch, lambda m: m.cholesky(m.ones(2)))
    _raises_like(torch, lambda m: m.cholesky(m.tensor([[1, 0], [0, 1]])))
    # torch.linalg.cholesky keeps its own name
    _raises_like(torch, lambda m: m.linalg.cholesky(-m.tensor(spd)))


def test_legacy_cholesky_values_and_gradient(torch):
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    for upper in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = torch.cholesky(torch.tensor(a), upper=upper)
        got = gradcore.cholesky(gradcore.tensor(a), upper=upper)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
        x = gradcore.tensor(a, requires_grad=True)
        assert gradcore.autograd.gradcheck(
            lambda x: gradcore.cholesky((x + x.mT) / 2, upper=upper), (x,))


def test_lu_without_pivoting_error_names_lu_factor(torch):
    eye = np.eye(2)
    _raises_like(torch, lambda m: m.linalg.lu(m.tensor(eye), pivot=False))
    _raises_like(torch, lambda m: m.linalg.lu_factor(m.tensor(eye), pivot=False))
    _raises_like(torch, lambda m: m.linalg.lu_factor_ex(m.tensor(eye), pivot=False))


def test_bincount_refuses_bool(torch):
    _raises_like(torch, lambda m: m.bincount(m.tensor([True, False])))
    want = torch.bincount(torch.tensor([1, 2], dtype=torch.uint8))
    got = gradcore.bincount(gradcore.tensor([1, 2], dtype=gradcore.uint8))
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("data", [[1.0, float("inf")], [float("-inf"), 2.25],
                                  [1e20, float("inf")], [1e-7, float("inf")]])
def test_histc_not_finite_message_prints_numbers_as_cpp(torch, data):
    _raises_like(torch, lambda m: m.histc(m.tensor(data), bins=2))


def test_histc_not_finite_given_range(torch):
    _raises_like(torch, lambda m: m.histc(m.ones(2), bins=2, min=0.5, max=float("inf")))
    _raises_like(torch, lambda m: m.histc(m.ones(2), bins=2, min=3, max=float("nan")))


def test_lazy_load_uninitialized_into_uninitialized(torch):
    want = torch.nn.LazyLinear(3)
    want.load_state_dict(torch.nn.LazyLinear(3).state_dict())
    got = gradcore.nn.LazyLinear(3)
    got.load_state_dict(gradcore.nn.LazyLinear(3).state_dict())
    assert type(got).__name__ == type(want).__name__ == "LazyLinear"
    assert got.has_uninitialized_params() and want.has_uninitialized_params()
    # and it still materializes on the first call, then copies as a Linear
    got(gradcore.ones(2, 5))
    assert type(got).__name__ == "Linear" and tuple(got.weight.shape) == (3, 5)
    clone = copy.deepcopy(got)
    assert clone.weight is not got.weight
    np.testing.assert_array_equal(clone.weight.detach().numpy(), got.weight.detach().numpy())


def test_legacy_constructor_refuses_a_string(torch):
    _raises_like(torch, lambda m: m.FloatTensor("a"))
    _raises_like(torch, lambda m: m.ones(2).new("a"))


def test_tensor_of_a_tensor_is_an_alias_keeping_dtype(torch):
    for dt in ("int64", "float64"):
        src_t = torch.tensor([1, 2], dtype=getattr(torch, dt))
        src_g = gradcore.tensor([1, 2], dtype=getattr(gradcore, dt))
        want, got = torch.Tensor(src_t), gradcore.Tensor(src_g)
        assert got.dtype.name == str(want.dtype).split(".")[-1]
        want.add_(1)
        got.add_(1)
        np.testing.assert_array_equal(src_g.numpy(), src_t.numpy())
        assert src_g._version == src_t._version
    a_t = torch.ones(2, requires_grad=True)
    a_g = gradcore.ones(2, requires_grad=True)
    b_t, b_g = torch.Tensor(a_t), gradcore.Tensor(a_g)
    assert b_g.grad_fn.name() == b_t.grad_fn.name() == "AliasBackward0"
    (b_g * 3).sum().backward()
    (b_t * 3).sum().backward()
    np.testing.assert_array_equal(a_g.grad.numpy(), a_t.grad.numpy())


def test_tensor_with_no_arguments_is_empty(torch):
    want, got = torch.Tensor(), gradcore.Tensor()
    assert tuple(got.shape) == tuple(want.shape) == (0,)
    assert got.dtype.name == "float32"


def test_conv_tbc_casts_bias_to_input_dtype(torch):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 3, 4)), rng.standard_normal(4)
    for xd, bd in (("float64", "float32"), ("float32", "float64")):
        tx, tw = torch.tensor(x, dtype=getattr(torch, xd)), torch.tensor(w, dtype=getattr(torch, xd))
        tb = torch.tensor(b, dtype=getattr(torch, bd), requires_grad=True)
        gx = gradcore.tensor(x, dtype=getattr(gradcore, xd))
        gw = gradcore.tensor(w, dtype=getattr(gradcore, xd))
        gb = gradcore.tensor(b, dtype=getattr(gradcore, bd), requires_grad=True)
        want, got = torch.conv_tbc(tx, tw, tb, 1), gradcore.conv_tbc(gx, gw, gb, 1)
        assert got.dtype.name == xd == str(want.dtype).split(".")[-1]
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5)
        want.sum().backward()
        got.sum().backward()
        assert gb.grad.dtype.name == bd
        np.testing.assert_allclose(gb.grad.numpy(), tb.grad.numpy(), rtol=1e-6)
    _raises_like(torch, lambda m: m.conv_tbc(m.ones(4, 2, 3), m.ones(2, 3, 3, dtype=m.float64),
                                             m.ones(3), 1))


def test_compile_of_a_non_callable(torch):
    _raises_like(torch, lambda m: m.compile(3))
    _raises_like(torch, lambda m: m.compile("f"))
    f = gradcore.compile(lambda t: t * 2)
    np.testing.assert_array_equal(f(gradcore.ones(2)).numpy(), [2.0, 2.0])


@pytest.mark.parametrize("name,args", [("dropout", (0.3,)), ("dropout1d", (0.3,)),
                                       ("dropout2d", (0.3,)), ("alpha_dropout", (0.3, True)),
                                       ("feature_alpha_dropout", (0.3, True))])
@pytest.mark.parametrize("dt", ["int64", "int32", "bool"])
def test_dropout_of_integral_input_refused(torch, name, args, dt):
    shape = (2, 3, 4, 4) if name == "dropout2d" else (2, 3)
    _raises_like(torch, lambda m: getattr(m.nn.functional, name)(
        m.ones(shape, dtype=getattr(m, dt)), *args))
    # p = 0 leaves the input's values and dtype, as PyTorch
    want = getattr(torch.nn.functional, name)(torch.ones(shape, dtype=getattr(torch, dt)), 0.0,
                                              *args[1:])
    got = getattr(gradcore.nn.functional, name)(gradcore.ones(shape, dtype=getattr(gradcore, dt)),
                                                0.0, *args[1:])
    assert got.dtype.name == dt
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_index_reduce_float_index_error_type(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: index_reduce() is in beta
        _raises_like(torch, lambda m: m.ones(3).index_reduce(0, m.tensor([0.0]), m.ones(1),
                                                             "prod"))
