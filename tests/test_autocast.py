"""torch.autocast against PyTorch's CPU autocast: the op-by-op dtype table (every op below, in
bfloat16 and float16 regions), values and gradients, the state API, custom_fwd/custom_bwd, and
a small MLP trained under autocast converging as in float32."""
import warnings

import numpy as np
import pytest

import gradcore


def _ops():
    """(name, fn(lib, F, t)) with ``t(*shape)`` making a float32 tensor (the same numbers in
    both libraries): the lower-precision list, the float32 list, promote, and ops off the
    lists (which keep their inputs' dtype)."""
    return [
        # lower precision
        ("linear", lambda lib, F, t, low: F.linear(t(3, 4), t(5, 4), t(5))),
        ("matmul", lambda lib, F, t, low: t(3, 4) @ t(4, 2)),
        ("mm", lambda lib, F, t, low: lib.mm(t(3, 4), t(4, 2))),
        ("bmm", lambda lib, F, t, low: lib.bmm(t(2, 3, 4), t(2, 4, 2))),
        ("addmm", lambda lib, F, t, low: lib.addmm(t(3, 2), t(3, 4), t(4, 2))),
        ("baddbmm", lambda lib, F, t, low: lib.baddbmm(t(2, 3, 2), t(2, 3, 4), t(2, 4, 2))),
        ("addbmm", lambda lib, F, t, low: lib.addbmm(t(3, 2), t(2, 3, 4), t(2, 4, 2))),
        ("einsum", lambda lib, F, t, low: lib.einsum("ij,jk->ik", t(3, 4), t(4, 2))),
        ("tensordot", lambda lib, F, t, low: lib.tensordot(t(3, 4), t(4, 2), 1)),
        ("multi_dot", lambda lib, F, t, low: lib.linalg.multi_dot([t(3, 4), t(4, 2), t(2, 2)])),
        ("vecdot", lambda lib, F, t, low: lib.linalg.vecdot(t(3, 4), t(3, 4))),
        ("conv1d", lambda lib, F, t, low: F.conv1d(t(2, 3, 8), t(4, 3, 3), t(4))),
        ("conv2d", lambda lib, F, t, low: F.conv2d(t(1, 2, 6, 6), t(3, 2, 3, 3), padding=1)),
        ("conv3d", lambda lib, F, t, low: F.conv3d(t(1, 2, 4, 4, 4), t(3, 2, 2, 2, 2))),
        ("conv_transpose1d", lambda lib, F, t, low: F.conv_transpose1d(t(2, 3, 8), t(3, 2, 3))),
        ("conv_transpose2d", lambda lib, F, t, low: F.conv_transpose2d(t(1, 2, 5, 5), t(2, 3, 3, 3))),
        ("conv_transpose3d", lambda lib, F, t, low: F.conv_transpose3d(t(1, 2, 3, 3, 3),
                                                                  t(2, 3, 2, 2, 2))),
        ("prelu", lambda lib, F, t, low: F.prelu(t(3, 4), t(1))),
        ("sdpa", lambda lib, F, t, low: F.scaled_dot_product_attention(t(2, 3, 4), t(2, 3, 4),
                                                                  t(2, 3, 4))),
        # float32
        ("mse_loss", lambda lib, F, t, low: F.mse_loss(t(3, 4), t(3, 4))),
        ("l1_loss", lambda lib, F, t, low: F.l1_loss(t(3, 4), t(3, 4))),
        ("smooth_l1_loss", lambda lib, F, t, low: F.smooth_l1_loss(t(3, 4), t(3, 4))),
        ("huber_loss", lambda lib, F, t, low: F.huber_loss(t(3, 4), t(3, 4))),
        ("cross_entropy", lambda lib, F, t, low: F.cross_entropy(t(3, 4), lib.tensor([0, 3, 1]))),
        ("nll_loss", lambda lib, F, t, low: F.nll_loss(t(3, 4), lib.tensor([0, 3, 1]))),
        ("kl_div", lambda lib, F, t, low: F.kl_div(t(3, 4), t(3, 4).abs(), reduction="batchmean")),
        ("bce_with_logits", lambda lib, F, t, low: F.binary_cross_entropy_with_logits(
            t(3, 4), t(3, 4).sigmoid())),
        ("cdist", lambda lib, F, t, low: lib.cdist(t(3, 4), t(2, 4))),
        ("prod", lambda lib, F, t, low: t(3, 4).prod()),
        ("trace", lambda lib, F, t, low: t(4, 4).trace()),
        ("inverse", lambda lib, F, t, low: lib.inverse(t(3, 3) + 3 * lib.eye(3))),
        ("linalg_solve", lambda lib, F, t, low: lib.linalg.solve(t(3, 3) + 3 * lib.eye(3), t(3, 2))),
        ("max_pool3d", lambda lib, F, t, low: F.max_pool3d(t(1, 2, 4, 4, 4), 2)),
        ("avg_pool3d", lambda lib, F, t, low: F.avg_pool3d(t(1, 2, 4, 4, 4), 2)),
        ("adaptive_avg_pool3d", lambda lib, F, t, low: F.adaptive_avg_pool3d(t(1, 2, 4, 4, 4), 2)),
        ("reflect_pad2d", lambda lib, F, t, low: F.pad(t(1, 2, 4, 4), (1, 1, 1, 1), mode="reflect")),
        ("replicate_pad2d", lambda lib, F, t, low: F.pad(t(1, 2, 4, 4), (1, 1, 1, 1),
                                                    mode="replicate")),
        # the float32 list upcasts low-precision inputs
        ("mse_loss_low_in", lambda lib, F, t, low: F.mse_loss(t(3, 4).to(low), t(3, 4).to(low))),
        # promote: mixed inputs go to the widest
        ("cat_mixed", lambda lib, F, t, low: lib.cat([t(2, 3).to(low), t(2, 3)])),
        ("stack_mixed", lambda lib, F, t, low: lib.stack([t(2, 3).to(low), t(2, 3)])),
        ("addcmul_mixed", lambda lib, F, t, low: lib.addcmul(t(2, 3), t(2, 3).to(low), t(2, 3))),
        # off the lists: the inputs' dtype
        ("relu", lambda lib, F, t, low: F.relu(t(3, 4))),
        ("softmax", lambda lib, F, t, low: F.softmax(t(3, 4), 1)),
        ("layer_norm", lambda lib, F, t, low: F.layer_norm(t(3, 4), (4,))),
        ("add", lambda lib, F, t, low: t(3, 4) + t(3, 4)),
        ("sum", lambda lib, F, t, low: t(3, 4).sum()),
        ("max_pool2d", lambda lib, F, t, low: F.max_pool2d(t(1, 2, 4, 4), 2)),
        ("softmax_low_in", lambda lib, F, t, low: F.softmax(t(3, 4).to(low), 1)),
        # on CUDA's lists only (tests/test_autocast_cuda.py): the CPU leaves them as they are
        ("exp_low_in", lambda lib, F, t, low: lib.exp(t(3, 4).to(low))),
        ("pow_low_in", lambda lib, F, t, low: t(3, 4).to(low) ** 2),
        ("rdiv_low_in", lambda lib, F, t, low: 1 / t(3, 4).to(low)),
        ("sum_low_in", lambda lib, F, t, low: t(3, 4).to(low).sum()),
        ("layer_norm_low_in", lambda lib, F, t, low: F.layer_norm(t(3, 4).to(low), (4,))),
        ("logsumexp_low_in", lambda lib, F, t, low: t(3, 4).to(low).logsumexp(1)),
        ("addcdiv_low_in", lambda lib, F, t, low: lib.addcdiv(
            t(2, 3).to(low), t(2, 3).to(low), t(2, 3).abs().to(low) + 1)),
        ("dot", lambda lib, F, t, low: lib.dot(t(4), t(4))),
        ("mv", lambda lib, F, t, low: lib.mv(t(3, 4), t(4))),
        ("gru_cell", lambda lib, F, t, low: lib.gru_cell(t(2, 3), t(2, 4), t(12, 3), t(12, 4))),
        ("interpolate_low_in", lambda lib, F, t, low: F.interpolate(
            t(1, 2, 3, 3).to(low), scale_factor=2, mode="bilinear")),
        ("linear_float64", lambda lib, F, t, low: F.linear(t(3, 4).double(), t(5, 4).double())),
    ]


OPS = _ops()


def _maker(lib, seed):
    rng = np.random.default_rng(seed)
    return lambda *shape: lib.tensor(rng.standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name,fn", OPS, ids=[o[0] for o in OPS])
def test_op_dtype_table_matches_torch(torch, name, fn, dtype):
    with torch.autocast("cpu", dtype=getattr(torch, dtype)):
        want = fn(torch, torch.nn.functional, _maker(torch, 1), getattr(torch, dtype))
    with gradcore.autocast("cpu", dtype=getattr(gradcore, dtype)):
        got = fn(gradcore, gradcore.nn.functional, _maker(gradcore, 1), getattr(gradcore, dtype))
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    tol = {"bfloat16": 3e-2, "float16": 3e-3}[dtype] if got.dtype != gradcore.float32 else 1e-5
    np.testing.assert_allclose(got.float().detach().numpy(), want.float().detach().numpy(),
                               rtol=tol, atol=tol * 4)
    assert not gradcore.is_autocast_enabled("cpu")


def test_promote_refuses_the_other_low_precision_dtype(torch):
    for lib in (gradcore, torch):
        with lib.autocast("cpu", dtype=lib.float16):
            with pytest.raises(RuntimeError, match="Unexpected floating ScalarType in "
                               "at::autocast::prioritize"):
                lib.cat([lib.ones(2, dtype=lib.bfloat16), lib.ones(2)])


def test_gradients_come_back_in_the_leaves_dtypes(torch):
    res = []
    for lib in (gradcore, torch):
        mk = _maker(lib, 2)
        x, w = mk(4, 3).requires_grad_(), mk(2, 3).requires_grad_()
        with lib.autocast("cpu"):
            y = lib.nn.functional.linear(x, w)
            loss = lib.nn.functional.mse_loss(y, lib.zeros(4, 2))
        assert y.dtype == lib.bfloat16 and loss.dtype == lib.float32
        loss.backward()
        assert x.grad.dtype == w.grad.dtype == lib.float32
        res.append((x.grad.numpy(), w.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=2e-2, atol=2e-2)


def test_state_api_matches_torch(torch):
    def state(lib):
        out = [lib.is_autocast_enabled(), lib.is_autocast_enabled("cpu"),
               lib.get_autocast_dtype("cpu"), lib.get_autocast_dtype("cuda")]
        with lib.autocast("cpu", dtype=lib.float16):
            out += [lib.is_autocast_enabled("cpu"), lib.get_autocast_dtype("cpu")]
            with lib.autocast("cpu", enabled=False):
                out.append(lib.is_autocast_enabled("cpu"))
            out.append(lib.is_autocast_enabled("cpu"))

        @lib.autocast("cpu")
        def f():
            return lib.is_autocast_enabled("cpu"), lib.get_autocast_dtype("cpu")
        out += [f(), lib.is_autocast_enabled("cpu"), lib.amp.is_autocast_available("cpu"),
                lib.amp.autocast is lib.autocast]
        return [str(v).split(".")[-1] for v in out]
    assert state(gradcore) == state(torch)


def _error(f):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = f()
        except Exception as e:
            return type(e).__name__, str(e)
    return [str(x.message) for x in w], getattr(r, "_enabled", None)


@pytest.mark.parametrize("call", [
    lambda lib: lib.autocast("foo"),
    lambda lib: lib.autocast(lib.device("cpu")),
    lambda lib: lib.autocast("cpu", dtype=lib.float64),
    lambda lib: lib.amp.custom_fwd(lambda ctx: 0),
])
def test_errors_and_warnings_match_torch(torch, call):
    def norm(r):  # gradcore's device class and its list of device types are its own
        text = str(r).replace("gradcore._device.device", "torch.device")
        return text.split("Expected one of")[0] + text.split(" device type at start")[-1]
    assert norm(_error(lambda: call(gradcore))) == norm(_error(lambda: call(torch)))


def test_cuda_autocast_without_a_gpu_warns_and_disables(torch):
    if gradcore.cuda.is_available():
        pytest.skip("a GPU answers here")
    assert _error(lambda: gradcore.autocast("cuda")) == _error(lambda: torch.autocast("cuda"))


def test_custom_fwd_casts_inputs_and_custom_bwd_restores(torch):
    seen = {}
    for lib in (gradcore, torch):
        class Square(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32)
            def forward(ctx, x):
                seen[lib.__name__, "fwd"] = (x.dtype, lib.is_autocast_enabled("cpu"))
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                seen[lib.__name__, "bwd"] = lib.is_autocast_enabled("cpu")
                x, = ctx.saved_tensors
                return 2 * x * g
        x = lib.ones(3, dtype=lib.bfloat16, requires_grad=True)
        with lib.autocast("cpu"):
            y = Square.apply(x)
        y.sum().backward()
        seen[lib.__name__, "grad"] = x.grad.dtype
    g = {k[1]: str(v) for k, v in seen.items() if k[0] == "gradcore"}
    t = {k[1]: str(v).replace("torch", "gradcore") for k, v in seen.items() if k[0] == "torch"}
    assert g == t


def _train(lib, region, steps=100):
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((64, 8)).astype(np.float32)
    x = lib.tensor(xa)
    y = lib.tensor((xa @ (rng.standard_normal((8, 1)) / 3)).astype(np.float32))
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(8, 16), lib.nn.ReLU(), lib.nn.Linear(16, 16),
                              lib.nn.ReLU(), lib.nn.Linear(16, 1))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        with region(lib):
            loss = lib.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_mlp_trained_under_autocast_converges_like_float32(torch, dtype):
    fp32 = _train(gradcore, lambda lib: lib.autocast("cpu", enabled=False))
    low = _train(gradcore, lambda lib: lib.autocast("cpu", dtype=getattr(lib, dtype)))
    ref = _train(torch, lambda lib: lib.autocast("cpu", dtype=getattr(lib, dtype)))
    assert fp32[-1] < 0.01 * fp32[0]
    assert low[-1] < 0.01 * low[0]
    assert abs(low[-1] - fp32[-1]) < 0.005 * fp32[0]
    np.testing.assert_allclose(low, ref, rtol=1e-3, atol=1e-4 * ref[0])


def _train_converted(lib, dtype, device="cpu", steps=100):
    """The MLP above converted whole (``model.half()``, or ``.to(bfloat16)``: gradcore's Module
    has no ``bfloat16()`` yet) with its data (``Tensor.half()`` / ``.bfloat16()``), no
    autocast: every op, gradient and SGD update in ``dtype``."""
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((64, 8)).astype(np.float32)
    ya = (xa @ (rng.standard_normal((8, 1)) / 3)).astype(np.float32)
    convert = (lambda t: t.half()) if dtype == "float16" else (lambda t: t.bfloat16())
    x, y = convert(lib.tensor(xa).to(device)), convert(lib.tensor(ya).to(device))
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(8, 16), lib.nn.ReLU(), lib.nn.Linear(16, 16),
                              lib.nn.ReLU(), lib.nn.Linear(16, 1))
    model = model.half() if dtype == "float16" else model.to(lib.bfloat16)
    model = model.to(device)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert loss.dtype == getattr(lib, dtype)
    assert all(p.grad.dtype == getattr(lib, dtype) for p in model.parameters())
    return losses


@pytest.mark.parametrize("dtype,tol", [("float16", 1e-3), ("bfloat16", 1.5e-2)])
def test_mlp_converted_to_half_or_bfloat16_trains_as_torch(torch, dtype, tol):
    """Tensor.half()/bfloat16() end to end: the converted MLP converges as float32 does, and
    its losses follow torch's (rounding differs step by step: ``tol`` of the first loss,
    float16's 11 bits and bfloat16's 8)."""
    fp32 = _train(gradcore, lambda lib: lib.autocast("cpu", enabled=False))
    got, want = _train_converted(gradcore, dtype), _train_converted(torch, dtype)
    assert got[-1] < 0.01 * got[0] and abs(got[-1] - fp32[-1]) < 0.005 * fp32[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=tol * want[0])
