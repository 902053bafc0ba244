"""CUDA autocast (PyTorch's CUDA op lists) on the emulated CUDA backend, against torch's own CUDA
autocast; the cast cache; and a 3-layer MLP trained in float16 on "cuda".

torch's CPU build cannot run CUDA, but its AutocastCUDA kernels are compiled in: on
``FakeTensorMode`` tensors of device "cuda" (no data, no CUDA calls) with CUDA autocast switched
on through ``torch.set_autocast_enabled("cuda", True)`` they give the output dtypes of a real
GPU.  gradcore's side runs on ``CupyBackend(0, xp=numpy)`` (the CUDA backend over NumPy, its
kernels through the CUDA-on-CPU emulator, docs/emulator.md) registered as "cuda".  The few ops
whose fake CUDA run needs a CUDA build (upsampling) carry the dtype transcribed from PyTorch's
autocast_mode.h (commit d70fe7f33910bbe8bc8b6027388a84bb102a453d: AT_FORALL_FP32).
"""
import os
import sys

import numpy as np
import pytest

import gradcore
from gradcore import _autocast

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def cuda(monkeypatch):
    """gradcore's "cuda" is the CuPy backend over NumPy with the emulator as its kernel
    loader, and autocast("cuda") accepts it (``cuda.is_available()``)."""
    from gradcore import backend
    from gradcore.backend import cupy_backend as cb
    from cuda_emu.loader import EmuLoader, have_compiler
    if not have_compiler():
        pytest.skip("the CUDA emulator needs g++")
    monkeypatch.setattr(backend, "_built", {})
    monkeypatch.setattr(backend, "_factories", {})
    backend.register_backend("cuda", lambda index, seed: cb.CupyBackend(index, seed, xp=np))
    monkeypatch.setattr(gradcore.cuda, "is_available", lambda: True)
    from gradcore.backend.numpy_backend import NumpyBackend  # cupyx.scatter_add wants CuPy
    monkeypatch.setattr(cb.CupyBackend, "index_add_", NumpyBackend.index_add_)  # arrays
    prev = cb.set_loader(EmuLoader())
    yield
    cb.set_loader(prev)


def _torch_fake():
    torch = pytest.importorskip("torch")
    fake = pytest.importorskip("torch._subclasses.fake_tensor")  # (a private module)
    return torch, fake.FakeTensorMode


# (name, fn(lib, F, t, ix, low), transcribed dtype or None): ``t(*shape)`` a float32 tensor
# on "cuda", ``ix(list)`` an int64 one, ``low`` the region's dtype (transcribed "low": it)
def _ops():
    return [
        # lower precision (AT_FORALL_LOWER_PRECISION_FP)
        ("linear", lambda lib, F, t, ix, low: F.linear(t(3, 4), t(5, 4), t(5)), None),
        ("matmul", lambda lib, F, t, ix, low: t(3, 4) @ t(4, 2), None),
        ("mm", lambda lib, F, t, ix, low: lib.mm(t(3, 4), t(4, 2)), None),
        ("mv", lambda lib, F, t, ix, low: lib.mv(t(3, 4), t(4)), None),
        ("bmm", lambda lib, F, t, ix, low: lib.bmm(t(2, 3, 4), t(2, 4, 2)), None),
        ("addmm", lambda lib, F, t, ix, low: lib.addmm(t(3, 2), t(3, 4), t(4, 2)), None),
        ("addmv", lambda lib, F, t, ix, low: lib.addmv(t(3), t(3, 4), t(4)), None),
        ("addr", lambda lib, F, t, ix, low: lib.addr(t(3, 4), t(3), t(4)), None),
        ("baddbmm", lambda lib, F, t, ix, low: lib.baddbmm(t(2, 3, 2), t(2, 3, 4), t(2, 4, 2)),
         None),
        ("addbmm", lambda lib, F, t, ix, low: lib.addbmm(t(3, 2), t(2, 3, 4), t(2, 4, 2)), None),
        ("einsum", lambda lib, F, t, ix, low: lib.einsum("ij,jk->ik", t(3, 4), t(4, 2)), None),
        ("chain_matmul", lambda lib, F, t, ix, low: lib.chain_matmul(t(3, 4), t(4, 2), t(2, 2)),
         None),
        ("multi_dot", lambda lib, F, t, ix, low: lib.linalg.multi_dot([t(3, 4), t(4, 2),
                                                                       t(2, 2)]), None),
        ("vecdot", lambda lib, F, t, ix, low: lib.linalg.vecdot(t(3, 4), t(3, 4)), None),
        ("conv1d", lambda lib, F, t, ix, low: F.conv1d(t(2, 3, 8), t(4, 3, 3), t(4)), None),
        ("conv2d", lambda lib, F, t, ix, low: F.conv2d(t(1, 2, 6, 6), t(3, 2, 3, 3), padding=1),
         None),
        ("conv_transpose2d", lambda lib, F, t, ix, low: F.conv_transpose2d(t(1, 2, 5, 5),
                                                                           t(2, 3, 3, 3)), None),
        ("prelu", lambda lib, F, t, ix, low: F.prelu(t(3, 4), t(1)), None),
        ("lstm_cell", lambda lib, F, t, ix, low: lib.lstm_cell(
            t(2, 3), (t(2, 4), t(2, 4)), t(16, 3), t(16, 4), t(16), t(16))[0], None),
        ("gru_cell", lambda lib, F, t, ix, low: lib.gru_cell(t(2, 3), t(2, 4), t(12, 3),
                                                             t(12, 4)), "low"),
        ("rnn_tanh_cell", lambda lib, F, t, ix, low: lib.rnn_tanh_cell(t(2, 3), t(2, 4),
                                                                       t(4, 3), t(4, 4)), None),
        # nn.LSTM/GRU/RNN: PyTorch's _cudnn_rnn under CUDA autocast runs in float16, also in
        # a bfloat16 region (aten/src/ATen/cudnn/AutocastRNN.cpp, commit 319164cc716d0badb0855
        # 8832fce49417bf060af: cached_cast(at::kHalf, ...)); the CPU build has no cuDNN
        ("lstm", lambda lib, F, t, ix, low: _rnn(lib, "LSTM", t), "float16"),
        ("gru", lambda lib, F, t, ix, low: _rnn(lib, "GRU", t), "float16"),
        ("rnn", lambda lib, F, t, ix, low: _rnn(lib, "RNN", t), "float16"),
        ("sdpa", lambda lib, F, t, ix, low: F.scaled_dot_product_attention(
            t(2, 3, 4), t(2, 3, 4), t(2, 3, 4)), None),
        # float32 (AT_FORALL_FP32)
        ("exp", lambda lib, F, t, ix, low: lib.exp(t(3, 4)), None),
        ("log_method", lambda lib, F, t, ix, low: t(3, 4).abs().log(), None),
        ("log1p", lambda lib, F, t, ix, low: lib.log1p(t(3, 4).abs()), None),
        ("expm1", lambda lib, F, t, ix, low: lib.expm1(t(3, 4)), None),
        ("log2", lambda lib, F, t, ix, low: lib.log2(t(3, 4).abs()), None),
        ("log10", lambda lib, F, t, ix, low: lib.log10(t(3, 4).abs()), None),
        ("reciprocal", lambda lib, F, t, ix, low: lib.reciprocal(t(3, 4)), None),
        ("rsqrt", lambda lib, F, t, ix, low: lib.rsqrt(t(3, 4).abs()), None),
        ("tan", lambda lib, F, t, ix, low: lib.tan(t(3, 4)), None),
        ("sinh_cosh", lambda lib, F, t, ix, low: lib.sinh(t(3, 4)) + lib.cosh(t(3, 4)), None),
        ("asin_acos", lambda lib, F, t, ix, low: lib.asin(t(3, 4).tanh()) + lib.acos(
            t(3, 4).tanh()), None),
        ("erfinv", lambda lib, F, t, ix, low: lib.erfinv(t(3, 4).tanh()), None),
        ("exp_low_in", lambda lib, F, t, ix, low: lib.exp(t(3, 4).to(low)), None),
        ("pow", lambda lib, F, t, ix, low: t(3, 4).to(low) ** 2, None),
        ("pow_tensor", lambda lib, F, t, ix, low: lib.pow(t(3, 4).abs().to(low), t(3, 4)), None),
        ("square", lambda lib, F, t, ix, low: lib.square(t(3, 4).to(low)), None),
        ("softplus", lambda lib, F, t, ix, low: F.softplus(t(3, 4).to(low)), None),
        ("layer_norm", lambda lib, F, t, ix, low: F.layer_norm(t(3, 4).to(low), (4,)), None),
        ("group_norm", lambda lib, F, t, ix, low: F.group_norm(t(2, 4, 3).to(low), 2), None),
        ("rms_norm", lambda lib, F, t, ix, low: F.rms_norm(t(3, 4).to(low), (4,)), None),
        ("cosine_similarity", lambda lib, F, t, ix, low: F.cosine_similarity(
            t(3, 4).to(low), t(3, 4).to(low)), None),
        ("pdist", lambda lib, F, t, ix, low: F.pdist(t(4, 3).to(low)), None),
        ("cdist", lambda lib, F, t, ix, low: lib.cdist(t(3, 4).to(low), t(2, 4).to(low)), None),
        ("dist", lambda lib, F, t, ix, low: lib.dist(t(3, 4).to(low), t(3, 4).to(low)), None),
        ("renorm", lambda lib, F, t, ix, low: lib.renorm(t(3, 4).to(low), 2, 0, 1.0), None),
        ("logsumexp", lambda lib, F, t, ix, low: lib.logsumexp(t(3, 4).to(low), 1), None),
        ("mse_loss", lambda lib, F, t, ix, low: F.mse_loss(t(3, 4).to(low), t(3, 4).to(low)),
         None),
        ("l1_loss", lambda lib, F, t, ix, low: F.l1_loss(t(3, 4), t(3, 4)), None),
        ("smooth_l1_loss", lambda lib, F, t, ix, low: F.smooth_l1_loss(t(3, 4), t(3, 4)), None),
        ("huber_loss", lambda lib, F, t, ix, low: F.huber_loss(t(3, 4), t(3, 4)), None),
        ("nll_loss", lambda lib, F, t, ix, low: F.nll_loss(t(3, 4).to(low), ix([0, 3, 1])),
         None),
        ("cross_entropy", lambda lib, F, t, ix, low: F.cross_entropy(t(3, 4).to(low),
                                                                     ix([0, 3, 1])), None),
        ("kl_div", lambda lib, F, t, ix, low: F.kl_div(t(3, 4), t(3, 4).abs(),
                                                       reduction="batchmean"), None),
        ("bce_with_logits", lambda lib, F, t, ix, low: F.binary_cross_entropy_with_logits(
            t(3, 4).to(low), t(3, 4).sigmoid()), None),
        ("soft_margin_loss", lambda lib, F, t, ix, low: F.soft_margin_loss(t(3, 4), t(3, 4)),
         None),
        ("margin_ranking_loss", lambda lib, F, t, ix, low: F.margin_ranking_loss(
            t(3), t(3), t(3)), None),
        ("hinge_embedding_loss", lambda lib, F, t, ix, low: F.hinge_embedding_loss(
            t(3, 4), t(3, 4)), None),
        ("triplet_margin_loss", lambda lib, F, t, ix, low: F.triplet_margin_loss(
            t(3, 4), t(3, 4), t(3, 4)), None),
        ("poisson_nll_loss", lambda lib, F, t, ix, low: F.poisson_nll_loss(t(3, 4), t(3, 4).abs()),
         None),
        ("interpolate_nearest", lambda lib, F, t, ix, low: F.interpolate(
            t(1, 2, 3, 3).to(low), scale_factor=2), None),
        ("interpolate_linear", lambda lib, F, t, ix, low: F.interpolate(
            t(1, 2, 3).to(low), scale_factor=2, mode="linear"), None),
        ("interpolate_area", lambda lib, F, t, ix, low: F.interpolate(
            t(1, 2, 4, 4).to(low), scale_factor=0.5, mode="area"), None),
        ("rdiv", lambda lib, F, t, ix, low: 1 / t(3, 4).to(low), None),
        ("normalize", lambda lib, F, t, ix, low: F.normalize(t(3, 4).to(low)), None),
        ("softmin", lambda lib, F, t, ix, low: F.softmin(t(3, 4).to(low), 1), None),
        ("logsigmoid", lambda lib, F, t, ix, low: F.logsigmoid(t(3, 4).to(low)), None),
        ("mish", lambda lib, F, t, ix, low: F.mish(t(3, 4).to(low)), None),
        ("elu", lambda lib, F, t, ix, low: F.elu(t(3, 4).to(low)), None),
        ("div", lambda lib, F, t, ix, low: t(3, 4).to(low) / 2, None),
        ("std", lambda lib, F, t, ix, low: t(3, 4).to(low).std(), None),
        ("interpolate_bilinear", lambda lib, F, t, ix, low: F.interpolate(
            t(1, 2, 3, 3).to(low), scale_factor=2, mode="bilinear"), None),
        # float32 unless dtype= is given (AT_FORALL_FP32_SET_OPT_DTYPE), and norm
        ("softmax", lambda lib, F, t, ix, low: F.softmax(t(3, 4).to(low), 1), None),
        ("log_softmax", lambda lib, F, t, ix, low: t(3, 4).to(low).log_softmax(1), None),
        ("softmax_dtype", lambda lib, F, t, ix, low: lib.softmax(t(3, 4), 1, dtype=low), None),
        ("softmax_dtype_positional", lambda lib, F, t, ix, low: lib.softmax(t(3, 4), 1, low),
         None),
        ("sum", lambda lib, F, t, ix, low: t(3, 4).to(low).sum(), None),
        ("sum_dim", lambda lib, F, t, ix, low: lib.sum(t(3, 4).to(low), 1), None),
        ("sum_dtype", lambda lib, F, t, ix, low: t(3, 4).sum(dtype=low), None),
        ("sum_int", lambda lib, F, t, ix, low: ix([1, 2, 3]).sum(), None),
        ("prod", lambda lib, F, t, ix, low: t(3, 4).to(low).prod(1), None),
        ("cumsum", lambda lib, F, t, ix, low: t(3, 4).to(low).cumsum(1), None),
        ("cumprod", lambda lib, F, t, ix, low: lib.cumprod(t(3, 4).to(low), 0), None),
        ("norm", lambda lib, F, t, ix, low: t(3, 4).to(low).norm(), None),
        ("vector_norm", lambda lib, F, t, ix, low: lib.linalg.vector_norm(t(3, 4).to(low)), None),
        # promote (AT_FORALL_PROMOTE): the widest floating input
        ("addcmul", lambda lib, F, t, ix, low: lib.addcmul(t(2, 3), t(2, 3).to(low), t(2, 3)),
         None),
        ("addcdiv_low", lambda lib, F, t, ix, low: lib.addcdiv(
            t(2, 3).to(low), t(2, 3).to(low), t(2, 3).abs().to(low) + 1), None),
        ("atan2", lambda lib, F, t, ix, low: lib.atan2(t(2, 3).to(low), t(2, 3)), None),
        ("cross", lambda lib, F, t, ix, low: lib.cross(t(2, 3).to(low), t(2, 3), dim=1), None),
        ("dot", lambda lib, F, t, ix, low: lib.dot(t(4), t(4).to(low)), None),
        ("vdot", lambda lib, F, t, ix, low: lib.vdot(t(4).to(low), t(4).to(low)), None),
        ("tensordot", lambda lib, F, t, ix, low: lib.tensordot(t(3, 4), t(4, 2), 1), None),
        ("bilinear", lambda lib, F, t, ix, low: F.bilinear(t(2, 3), t(2, 4).to(low),
                                                           t(5, 3, 4)), None),
        ("scatter_add", lambda lib, F, t, ix, low: t(3, 4).to(low).scatter_add(
            0, ix([[0, 1, 2, 0]]), t(1, 4)), None),
        ("index_put", lambda lib, F, t, ix, low: t(3, 4).to(low).index_put(
            (ix([0, 2]),), t(2, 4)), None),
        # off CUDA's lists (CPU's float32 / promote lists): the inputs' dtypes
        ("cat", lambda lib, F, t, ix, low: lib.cat([t(2, 3).to(low), t(2, 3).to(low)]), None),
        ("stack_mixed", lambda lib, F, t, ix, low: lib.stack([t(2, 3).to(low), t(2, 3)]), None),
        ("trace", lambda lib, F, t, ix, low: t(4, 4).to(low).trace(), None),
        ("max_pool3d", lambda lib, F, t, ix, low: F.max_pool3d(t(1, 2, 4, 4, 4).to(low), 2),
         None),
        ("reflect_pad", lambda lib, F, t, ix, low: F.pad(t(1, 2, 4, 4).to(low), (1, 1, 1, 1),
                                                         mode="reflect"), None),
        ("relu", lambda lib, F, t, ix, low: F.relu(t(3, 4).to(low)), None),
        ("gelu", lambda lib, F, t, ix, low: F.gelu(t(3, 4).to(low)), None),
        ("silu", lambda lib, F, t, ix, low: F.silu(t(3, 4).to(low)), None),
        ("sigmoid", lambda lib, F, t, ix, low: t(3, 4).to(low).sigmoid(), None),
        ("tanh", lambda lib, F, t, ix, low: t(3, 4).to(low).tanh(), None),
        ("mean", lambda lib, F, t, ix, low: t(3, 4).to(low).mean(), None),
        ("var", lambda lib, F, t, ix, low: t(3, 4).to(low).var(1), None),
        ("add", lambda lib, F, t, ix, low: t(3, 4).to(low) + t(3, 4).to(low), None),
        ("sqrt", lambda lib, F, t, ix, low: t(3, 4).to(low).abs().sqrt(), None),
        ("batch_norm", lambda lib, F, t, ix, low: F.batch_norm(
            t(3, 4).to(low), None, None, training=True), None),
        ("dropout_eval", lambda lib, F, t, ix, low: F.dropout(t(3, 4).to(low), training=False),
         None),
        ("linear_float64", lambda lib, F, t, ix, low: F.linear(t(3, 4).double(),
                                                               t(5, 4).double()), None),
        ("mm_int", lambda lib, F, t, ix, low: lib.mm(ix([[1, 2]]), ix([[3], [4]])), None),
    ]


def _rnn(lib, kind, t):
    """A 2-layer bidirectional ``kind`` on t's device with its weights from ``t``: its
    output."""
    x = t(5, 2, 3)
    m = getattr(lib.nn, kind)(3, 4, num_layers=2, bidirectional=True).to(x.device)
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(t(*p.shape) / 2)
    return m(x)[0]


OPS = _ops()


def _gmaker(seed, device="cuda"):
    rng = np.random.default_rng(seed)
    t = (lambda *shape: gradcore.tensor(rng.standard_normal(shape).astype(np.float32),
                                        device=device))
    return t, lambda v: gradcore.tensor(v, device=device)


def _torch_dtype(torch, fake, fn, dtype):
    """The output dtype of ``fn`` under torch's own CUDA autocast, on fake CUDA tensors."""
    with fake():
        t = lambda *shape: torch.empty(shape, device="cuda")  # noqa: E731
        ix = lambda v: torch.zeros(np.shape(v), dtype=torch.long, device="cuda")  # noqa: E731
        prev = torch.get_autocast_dtype("cuda")
        torch.set_autocast_enabled("cuda", True)
        torch.set_autocast_dtype("cuda", getattr(torch, dtype))
        try:
            return str(fn(torch, torch.nn.functional, t, ix, getattr(torch, dtype)).dtype)
        finally:
            torch.set_autocast_enabled("cuda", False)
            torch.set_autocast_dtype("cuda", prev)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name,fn,transcribed", OPS, ids=[o[0] for o in OPS])
def test_cuda_op_dtype_table_matches_torch(cuda, name, fn, transcribed, dtype):
    torch, fake = _torch_fake()
    if transcribed is None:
        want = _torch_dtype(torch, fake, fn, dtype).split(".")[1]
    else:  # torch's CPU build cannot run these on fake CUDA tensors (or not as a GPU would)
        want = dtype if transcribed == "low" else transcribed
    low = getattr(gradcore, dtype)
    t, ix = _gmaker(3)
    with gradcore.autocast("cuda", dtype=low):
        got = fn(gradcore, gradcore.nn.functional, t, ix, low)
    assert got.device.type == "cuda"
    assert str(got.dtype).split(".")[1] == want
    assert not gradcore.is_autocast_enabled("cuda")
    # the values: the same numbers through the op on the CPU in float32, without autocast
    t, ix = _gmaker(3, "cpu")
    ref = fn(gradcore, gradcore.nn.functional, t, ix, gradcore.float32)
    if not got.dtype.is_floating_point:
        np.testing.assert_array_equal(got.cpu().numpy(), ref.numpy())
        return
    tol = 1e-12 if want == "float64" else {"float16": 1e-2, "bfloat16": 6e-2}[dtype]
    g, r = got.cpu().double().detach().numpy(), ref.double().detach().numpy()
    np.testing.assert_allclose(g, r, rtol=tol, atol=tol * max(1.0, float(np.abs(r).max())))


def test_the_cuda_table_covers_torchs_cuda_registrations():
    """Every op torch 2.13 registers for AutocastCUDA is either decorated in gradcore (by its
    gradcore name) or said here to be missing from gradcore's API."""
    torch = pytest.importorskip("torch")
    C = torch._C
    if not hasattr(C, "_dispatch_has_kernel_for_dispatch_key"):
        pytest.skip("this torch does not show its dispatcher's registrations")
    registered = {n.split("::")[1].split(".")[0] for n in C._dispatch_get_all_op_names()
                  if n.startswith("aten::")
                  and C._dispatch_has_kernel_for_dispatch_key(n, "AutocastCUDA")}
    aliases = {"linalg_vecdot": "vecdot", "linalg_multi_dot": "multi_dot",
               "grid_sampler": "grid_sample", "scaled_dot_product_attention":
               "scaled_dot_product_attention", "linalg_vector_norm": "norm",
               "linalg_matrix_norm": "norm", "native_layer_norm": "layer_norm",
               "binary_cross_entropy": "binary_cross_entropy", "frobenius_norm": "norm"}
    # internal or backend-specific aten ops gradcore has no public counterpart of (convs and
    # upsampling go through the public conv*/interpolate; the fused cells through *_cell)
    internal = {"_convolution", "convolution", "cudnn_convolution", "cudnn_convolution_transpose",
                "_thnn_fused_lstm_cell", "_thnn_fused_gru_cell",
                "_scaled_dot_product_flash_attention", "nll_loss2d", "nuclear_norm",
                "conv3d", "conv_transpose1d", "conv_transpose3d", "conv_tbc"} | {
                    n for n in registered if "upsample" in n}
    decorated = {}
    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith("gradcore"):
            for v in list(vars(mod).values()):
                pol = getattr(v, "autocast_policy", None)
                if isinstance(pol, dict) and pol.get("cuda"):
                    decorated[v.__name__] = pol["cuda"]
    from gradcore.ops.declare import OPS as declared
    for name, op in declared.items():
        pol = getattr(op.function, "autocast_policy", None)
        if pol and pol.get("cuda"):
            decorated[name] = pol["cuda"]
    missing = sorted(n for n in registered - internal if aliases.get(n, n) not in decorated)
    assert missing == []
    # and nothing gradcore puts on its CUDA list is off torch's (up to the composites)
    composites = {"cross_entropy", "norm", "grid_sample", "vecdot", "multi_dot", "square",
                  "_rnn"}  # _rnn: aten::_cudnn_rnn, on the Autocast key (AutocastRNN.cpp)
    extra = sorted(n for n in decorated if n not in registered and n not in composites
                   and n not in aliases.values())
    assert extra == []


def test_binary_cross_entropy_is_banned_under_cuda_autocast(cuda):
    torch, fake = _torch_fake()
    with pytest.raises(RuntimeError) as want:
        _torch_dtype(torch, fake, lambda lib, F, t, ix, low: F.binary_cross_entropy(
            t(3).sigmoid(), t(3).sigmoid()), "float16")
    t, ix = _gmaker(0)
    with gradcore.autocast("cuda"):
        with pytest.raises(RuntimeError) as got:
            gradcore.nn.BCELoss()(t(3).sigmoid(), t(3).sigmoid())
    assert str(got.value) == str(want.value)
    # outside the region, and under CPU autocast (its float32 list), it runs
    assert gradcore.nn.functional.binary_cross_entropy(t(3).sigmoid(), t(3).sigmoid()).dtype \
        == gradcore.float32
    x = gradcore.rand(3)
    with gradcore.autocast("cpu"):
        assert gradcore.nn.functional.binary_cross_entropy(x.bfloat16(), x).dtype == \
            gradcore.float32


def test_cpu_region_leaves_cuda_tensors_alone_and_back(cuda):
    t, _ = _gmaker(1)
    a, b = t(3, 4), t(4, 2)
    with gradcore.autocast("cpu"):
        assert (a @ b).dtype == gradcore.float32
        assert gradcore.exp(a.half()).dtype == gradcore.float16
    with gradcore.autocast("cuda"):
        x = gradcore.rand(3, 4)
        assert (x @ x.T).dtype == gradcore.float32
        assert gradcore.exp(x.half()).dtype == gradcore.float16  # exp: CUDA's list only


def test_gradients_through_cuda_policies_match_torch(cuda, torch):
    """Backward through LOWER (linear), FP32_SET_OPT_DTYPE (softmax) and FP32 (exp) on "cuda":
    the gradients arrive in the leaves' dtypes with the values of torch's same computation
    (the casts written out, on the CPU)."""
    rng = np.random.default_rng(5)
    xa, wa = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    x = gradcore.tensor(xa, dtype=gradcore.float16, device="cuda", requires_grad=True)
    w = gradcore.tensor(wa, dtype=gradcore.float32, device="cuda", requires_grad=True)
    with gradcore.autocast("cuda"):
        y = gradcore.nn.functional.linear(x, w)
        p = gradcore.softmax(y, 1)
        loss = (p * gradcore.exp(y)).sum()
    assert (y.dtype, p.dtype, loss.dtype) == (gradcore.float16, gradcore.float32,
                                              gradcore.float32)
    loss.backward()
    tx = torch.tensor(xa, dtype=torch.float16, requires_grad=True)
    tw = torch.tensor(wa, dtype=torch.float32, requires_grad=True)
    ty = torch.nn.functional.linear(tx.float(), tw.half().float()).half()  # fp16 GEMM
    tloss = (torch.softmax(ty, 1, dtype=torch.float32) * torch.exp(ty.float())).sum()
    tloss.backward()
    assert x.grad.dtype == gradcore.float16 and w.grad.dtype == gradcore.float32
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.cpu().float().numpy(), tx.grad.float().numpy(),
                               rtol=2e-3)  # two float16 ulps
    np.testing.assert_allclose(w.grad.cpu().numpy(), tw.grad.numpy(), rtol=1e-5)


# ---- the cast cache --------------------------------------------------------------------------

def _count_casts(fn):
    before = _autocast.stats["casts"]
    out = fn()
    return _autocast.stats["casts"] - before, out


@pytest.mark.parametrize("device_type", ["cpu", "cuda"])
def test_a_weight_used_twice_is_cast_once(request, device_type):
    if device_type == "cuda":
        request.getfixturevalue("cuda")
    gradcore.manual_seed(0)
    w = gradcore.randn(4, 4, device=device_type, requires_grad=True)
    x = gradcore.randn(2, 4, device=device_type)
    F = gradcore.nn.functional
    with gradcore.autocast(device_type, dtype=gradcore.float16):
        n, (y1, y2) = _count_casts(lambda: (F.linear(x, w), F.linear(x, w)))
        assert n == 3  # x twice (not a weight), w once
        assert _autocast.cache_size() == 1
        with gradcore.autocast(device_type, dtype=gradcore.float16):  # nested: same cache
            n3, y3 = _count_casts(lambda: F.linear(x, w))
        assert n3 == 1 and _autocast.cache_size() == 1  # the inner exit keeps it
        loss = (y1.float() * 2 + y2.float() + y3.float()).sum()
    assert _autocast.cache_size() == 0  # the outermost exit drops it
    loss.backward()
    assert w.grad.dtype == gradcore.float32
    want = x.double().sum(0).expand(4, 4) * 4  # d/dw of sum(x @ w.T) * (2 + 1 + 1)
    np.testing.assert_allclose(w.grad.cpu().numpy(), want.cpu().numpy(), rtol=2e-3)


def test_cache_disabled_or_cleared_casts_again():
    w = gradcore.randn(4, 4, requires_grad=True)
    x = gradcore.randn(2, 4)
    F = gradcore.nn.functional
    with gradcore.autocast("cpu", cache_enabled=False):
        assert not gradcore.is_autocast_cache_enabled()
        n, _ = _count_casts(lambda: (F.linear(x, w), F.linear(x, w)))
        assert n == 4 and _autocast.cache_size() == 0
    assert gradcore.is_autocast_cache_enabled()
    with gradcore.autocast("cpu"):
        n, _ = _count_casts(lambda: (F.linear(x, w), gradcore.clear_autocast_cache(),
                                     F.linear(x, w)))
        assert n == 4
        # not cached: a non-leaf, a float32 tensor that needs no grad, a view, float16 casts
        # to bfloat16 of a weight that is not float32
        for v in (w * 1, w.detach(), w[:2], w.detach().half().requires_grad_()):
            n, _ = _count_casts(lambda: (F.linear(x, v), F.linear(x, v)))
            assert n == 4, v
        n, _ = _count_casts(lambda: F.mse_loss(w, w))  # float32 casts are not cached
        assert n == 0


def test_cache_entry_made_under_no_grad_still_carries_the_graph(torch):
    """As torch: a weight first cast inside no_grad in the region gets its gradient later."""
    grads = []
    for lib in (gradcore, torch):
        w = lib.ones(3, 4, requires_grad=True)
        x = lib.ones(2, 4)
        with lib.autocast("cpu"):
            with lib.no_grad():
                a = lib.nn.functional.linear(x, w)
            y = lib.nn.functional.linear(x, w)
        assert not a.requires_grad and y.requires_grad
        y.float().sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(*grads)


def test_cache_matches_torchs_cast_count(torch):
    """torch's own count of casts (aten._to_copy under a dispatch mode) for the same region."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        n = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.n += func is torch.ops.aten._to_copy.default
            return func(*args, **(kwargs or {}))

    def region(lib):
        model = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.ReLU(), lib.nn.Linear(4, 4))
        x = lib.ones(2, 4)
        with lib.autocast("cpu"):
            for _ in range(3):
                model(x)
            shared = model[0].weight
            lib.nn.functional.linear(x, shared)
    with Count():
        region(torch)
    n, _ = _count_casts(lambda: region(gradcore))
    assert n == Count.n


# ---- an MLP trained in float16 on "cuda" -----------------------------------------------------

def _train(device, region, steps=60):
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((64, 8)).astype(np.float32)
    x = gradcore.tensor(xa, device=device)
    y = gradcore.tensor((xa @ (rng.standard_normal((8, 1)) / 3)).astype(np.float32),
                        device=device)
    gradcore.manual_seed(0)
    nn = gradcore.nn
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                          nn.Linear(16, 1)).to(device)
    opt = gradcore.optim.SGD(model.parameters(), lr=0.1)
    scaler = gradcore.amp.GradScaler(device, init_scale=2.0 ** 10)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        with region():
            out = model(x)
            loss = gradcore.nn.functional.mse_loss(out, y)
        assert loss.dtype == gradcore.float32
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    return losses, out.dtype


def test_mlp_trained_in_float16_on_cuda_converges_like_float32(cuda):
    fp32, d32 = _train("cuda", lambda: gradcore.autocast("cuda", enabled=False))
    low, d16 = _train("cuda", lambda: gradcore.autocast("cuda", dtype=gradcore.float16))
    cpu, _ = _train("cpu", lambda: gradcore.autocast("cpu", enabled=False))
    assert d32 == gradcore.float32 and d16 == gradcore.float16
    np.testing.assert_allclose(fp32, cpu, rtol=1e-4)  # the emulated backend is the CPU's math
    assert fp32[-1] < 0.02 * fp32[0] and low[-1] < 0.02 * low[0]
    assert abs(low[-1] - fp32[-1]) < 0.005 * fp32[0]  # float16 ends where float32 does


def test_mlp_converted_to_half_on_cuda_trains_as_on_the_cpu(cuda):
    """``model.half()`` and ``Tensor.half()`` on "cuda" (the backward through the emulated
    float16 kernels): the losses of the same run on the CPU."""
    from test_autocast import _train_converted
    got = _train_converted(gradcore, "float16", "cuda", steps=60)
    want = _train_converted(gradcore, "float16", "cpu", steps=60)
    assert got[-1] < 0.02 * got[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3 * want[0])


@pytest.mark.gpu
def test_mlp_trained_in_float16_on_a_real_gpu_converges_like_float32():
    if not gradcore.cuda.is_available():
        pytest.skip("no GPU")
    fp32, _ = _train("cuda", lambda: gradcore.autocast("cuda", enabled=False))
    low, d16 = _train("cuda", lambda: gradcore.autocast("cuda", dtype=gradcore.float16))
    assert d16 == gradcore.float16
    assert low[-1] < 0.02 * low[0] and abs(low[-1] - fp32[-1]) < 0.005 * fp32[0]
