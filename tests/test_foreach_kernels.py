"""The optimizers' multi-tensor route (kernels/multi_tensor.cu, backend/multi_tensor.py).

The tables' packing is checked as a pure function; the routing on an emulated ``cuda:0`` (the
CUDA-on-CPU emulator running the real kernels through ``CupyBackend(0, xp=numpy)``): one
launch per (device, dtype) group and table for foreach=None/True and fused=True, one per
parameter for foreach=False, the CPU's parameters on their own per-parameter update, and every
result bit for bit the CPU optimizer's (float32/float64: the same arithmetic) or, for
float16, the float32 update rounded once.  The kernels against the reference in every dtype,
thread order and launch shape: tests/test_emulator_kernels.py.
"""
import numpy as np
import pytest

import gradcore
from gradcore.backend import cupy_backend as cb
from gradcore.backend import multi_tensor as mt

from cuda_emu.loader import EmuLoader, have_compiler


# ---- the tables ------------------------------------------------------------------------------

def _covered(launches, sizes, chunk=mt.CHUNK):
    """Every chunk of every tensor exactly once, each launch within a table's limits."""
    seen = []
    for tensors, slot, chunk_index in launches:
        assert 0 < len(tensors) <= mt.TENSORS and 0 < len(slot) <= mt.BLOCKS
        assert len(slot) == len(chunk_index)
        assert sorted(set(slot.tolist())) == list(range(len(tensors)))
        seen += [(int(tensors[s]), int(c)) for s, c in zip(slot, chunk_index)]
    want = [(t, c) for t, n in enumerate(sizes) for c in range(-(-n // chunk))]
    assert seen == want


def _shape(launches):
    return [(t.tolist(), len(s)) for t, s, _ in launches]


def test_plan_packs_tensors_and_chunks_as_pytorch():
    # 6 parameters of the 784-512-512-10 MLP: 15 chunks, one launch
    mlp = [784 * 512, 512, 512 * 512, 512, 512 * 10, 10]
    launches = mt.plan(mlp)
    assert _shape(launches) == [([0, 1, 2, 3, 4, 5], 7 + 1 + 4 + 1 + 1 + 1)]
    _covered(launches, mlp)
    # 33 small tensors: a second table for the 33rd
    small = [5] * 33
    launches = mt.plan(small)
    assert _shape(launches) == [(list(range(32)), 32), ([32], 1)]
    _covered(launches, small)
    # 400 chunks of one tensor: it continues in the next launch (slot 0 again)
    big = [3, 400 * mt.CHUNK - 1, 7]
    launches = mt.plan(big)
    assert _shape(launches) == [([0, 1], 320), ([1, 2], 82)]
    assert (launches[1][1][0], launches[1][2][0]) == (0, 319)
    _covered(launches, big)
    # both limits at once, and empty tensors (no slot), in random mixes
    rng = np.random.default_rng(0)
    for _ in range(50):
        sizes = rng.choice([0, 1, 100, 5000, 70000], size=int(rng.integers(1, 90))).tolist()
        for chunk in (4096, 65536):
            _covered(mt.plan(sizes, chunk), sizes, chunk)
    assert _shape(mt.plan([0, 4, 0])) == [([1], 1)]
    assert mt.plan([0]) == [] and mt.plan([]) == []


def test_chunk_size_spreads_a_small_model_over_the_gpu():
    mlp = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    assert mt.chunk_size(mlp, 132) == 4096             # H100: 167 blocks, one launch
    launches = mt.plan([784 * 512, 512, 512 * 512, 512, 5120, 10], 4096)
    assert len(launches) == 1 and len(launches[0][1]) == 98 + 1 + 64 + 1 + 2 + 1
    assert mt.chunk_size(25_557_032, 132) == mt.CHUNK   # ResNet-50: PyTorch's chunks
    assert mt.chunk_size(10, 132) == mt.MIN_CHUNK
    for total in (1, 5000, 70_000, 10 ** 6, 10 ** 8):
        c = mt.chunk_size(total, 4)
        assert mt.MIN_CHUNK <= c <= mt.CHUNK and c & (c - 1) == 0
        assert c == mt.CHUNK or -(-total // c) <= 8
        assert c == mt.MIN_CHUNK or -(-total // (c // 2)) > 8


def test_table_layout():
    a, b = np.arange(10.0), np.arange(10.0, 20.0)
    addresses = np.array([[mt.address(a)], [mt.address(b)]] + [[mt.address(a)]] * 3)
    tl = mt.table(addresses, np.array([10]), np.array([0]), np.array([0]), np.array([0]),
                  steps=np.array([[-0.5, 0.75]]))
    t = tl[0]
    assert t["addr"][0, 0] == a.__array_interface__["data"][0]
    assert t["addr"][1, 0] == b.__array_interface__["data"][0]
    assert (t["addr"][2:, 0] == t["addr"][0, 0]).all()
    assert t["numel"][0] == 10 and t["neg_step_size"][0] == -0.5
    assert t["bias_correction2_sqrt"][0] == 0.75 and t["block_tensor"][0] == 0
    assert not t["addr"][:, 1:].any() and not t["numel"][1:].any()


# ---- the optimizers on an emulated cuda:0 ----------------------------------------------------

needs_emulator = pytest.mark.skipif(not have_compiler(), reason="needs a host C++ compiler")


@pytest.fixture
def emulated_cuda(monkeypatch):
    from gradcore import backend
    loader = EmuLoader(order="random", seed=3)
    prev = cb.set_loader(loader)
    be = cb.CupyBackend(0, xp=np, sm_count=2)
    be.loader = loader
    monkeypatch.setitem(backend._built, ("cuda", 0), be)
    yield be
    cb.set_loader(prev)


SIZES = [(37, 19), (19,), (70001,), (3, 5, 7), (1,)]


def _params(device, dtypes, seed=0):
    rng = np.random.default_rng(seed)
    return [gradcore.tensor(rng.standard_normal(s), dtype=dt, device=device,
                            requires_grad=True)
            for s, dt in zip(SIZES, dtypes)]


def _grads(params, step, skip=()):
    rng = np.random.default_rng(100 + step)
    for i, p in enumerate(params):
        g = rng.standard_normal(tuple(p.shape))
        p.grad = None if i in skip else gradcore.tensor(g, dtype=p.dtype, device=p.device)


def _launches(be, start):
    return [n for n, _, _ in be.loader.launches[start:]]


OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, maximize=True)),
    ("SGD", dict(lr=0.1)),
    ("Adam", dict(lr=1e-2, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=1e-2, betas=(0.2, 0.9), maximize=True)),
    ("AdamW", dict(lr=1e-2, amsgrad=True)),
]


@needs_emulator
@pytest.mark.parametrize("option", [{}, {"foreach": True}, {"fused": True}, {"foreach": False}],
                         ids=str)
@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=lambda x: str(x))
@pytest.mark.parametrize("dtype", [gradcore.float32, gradcore.float64], ids=str)
def test_steps_on_cuda_match_the_cpu_with_one_launch_per_group(emulated_cuda, name, kwargs,
                                                               option, dtype):
    """Three steps (the second without a gradient for one parameter: its momentum buffer
    starts later, its Adam step count lags) on cuda against the same optimizer on the CPU,
    bit for bit, and the launches: one per step for the group (two for SGD's momentum at the
    step where one buffer starts and the others continue), or one per parameter."""
    be = emulated_cuda
    cls = getattr(gradcore.optim, name)
    cpu, gpu = _params("cpu", [dtype] * 5), _params("cuda", [dtype] * 5)
    opt_c, opt_g = cls(cpu, **kwargs, **option), cls(gpu, **kwargs, **option)
    per_param = option.get("foreach") is False
    kernel = ("sgd_step" if name == "SGD" else "adam_step") if per_param else \
        ("multi_tensor_sgd" if name == "SGD" else "multi_tensor_adam")
    for step in range(3):
        skip = (1,) if step == 0 else ()
        _grads(cpu, step, skip)
        _grads(gpu, step, skip)
        start = len(be.loader.launches)
        opt_c.step()
        opt_g.step()
        names = [n.split("<")[0] for n in _launches(be, start)]
        want = 5 - len(skip) if per_param else (
            2 if name == "SGD" and kwargs.get("momentum") and step == 1 else 1)
        assert names == [kernel] * want
        for c, g in zip(cpu, gpu):
            np.testing.assert_array_equal(g.detach().cpu().numpy(), c.detach().numpy())
    for (kc, vc), (kg, vg) in zip(opt_c.state_dict()["state"].items(),
                                  opt_g.state_dict()["state"].items()):
        assert kc == kg and vc.keys() == vg.keys()
        for k in vc:
            np.testing.assert_array_equal(vg[k].cpu().numpy(), vc[k].numpy())


@needs_emulator
def test_groups_by_device_and_dtype(emulated_cuda):
    """One group of float32, float64 and float16 parameters on cuda and two on the CPU: a
    launch per CUDA dtype; the CPU's parameters take their own update (no launch)."""
    be = emulated_cuda
    dts = [gradcore.float32, gradcore.float64, gradcore.float16, gradcore.float32,
           gradcore.float64]
    gpu = _params("cuda", dts)
    cpu = _params("cpu", [gradcore.float32, gradcore.float64], seed=1)
    mixed = gpu + cpu
    kept = [p for p in mixed if p.dtype != gradcore.float16]  # float16: the test below
    ref = [p.detach().cpu().clone().requires_grad_() for p in kept]
    for opt_name in ("SGD", "Adam"):
        cls = getattr(gradcore.optim, opt_name)
        opt, opt_ref = cls(mixed, lr=0.1), cls(ref, lr=0.1)
        _grads(mixed, 0)
        for p, r in zip(kept, ref):
            r.grad = p.grad.cpu()
        start = len(be.loader.launches)
        opt.step()
        opt_ref.step()
        kind = "multi_tensor_sgd" if opt_name == "SGD" else "multi_tensor_adam"
        assert sorted(_launches(be, start)) == sorted(
            f"{kind}<{t}>" for t in ("float", "double", "gc_half"))
        for p, r in zip(kept, ref):
            np.testing.assert_array_equal(p.detach().cpu().numpy(), r.detach().numpy())


@needs_emulator
def test_half_parameters_update_in_float32(emulated_cuda, torch):
    """float16 parameters on cuda: SGD with momentum and Adam compute in float32 and round once
    per step, as PyTorch's foreach kernels: one step is gradcore's CPU update of the same
    values in float32, rounded to float16, bit for bit; and PyTorch's float32 update, rounded,
    to within one float16 ulp (PyTorch's CPU ``add(x, alpha=a)`` is one fused multiply-add,
    gradcore's reference two roundings: their float32 results differ in the last bit now and
    then, which a rounding to float16 can expose)."""
    gpu = _params("cuda", [gradcore.float16] * 5)
    for opt_name, kwargs in (("SGD", dict(lr=0.1, momentum=0.9, weight_decay=1e-2)),
                             ("Adam", dict(lr=1e-2, weight_decay=1e-2))):
        ps = [p.detach().clone().requires_grad_() for p in gpu]
        _grads(ps, 0)
        wide = [gradcore.tensor(p.detach().cpu().numpy().astype(np.float32), requires_grad=True)
                for p in ps]
        ref = [torch.tensor(p.detach().cpu().numpy().astype(np.float32), requires_grad=True)
               for p in ps]
        for p, w, r in zip(ps, wide, ref):
            g = p.grad.cpu().numpy().astype(np.float32)
            w.grad, r.grad = gradcore.tensor(g), torch.tensor(g)
        getattr(gradcore.optim, opt_name)(ps, **kwargs).step()
        getattr(gradcore.optim, opt_name)(wide, **kwargs).step()
        getattr(torch.optim, opt_name)(ref, **kwargs, foreach=False).step()
        for p, w, r in zip(ps, wide, ref):
            got = p.detach().cpu().numpy()
            np.testing.assert_array_equal(got, w.detach().numpy().astype(np.float16))
            np.testing.assert_allclose(got, r.detach().numpy().astype(np.float16),
                                       rtol=2.0 ** -10, atol=0)


@needs_emulator
def test_non_contiguous_and_sparse_take_the_per_parameter_update(emulated_cuda):
    be = emulated_cuda
    base = gradcore.zeros(6, 4, device="cuda")
    w = base.t()          # a non-contiguous leaf is still a leaf of the view's history
    w = w.detach().requires_grad_()
    v = gradcore.ones(5, device="cuda", requires_grad=True)
    w.grad, v.grad = gradcore.ones(4, 6, device="cuda"), gradcore.ones(5, device="cuda")
    start = len(be.loader.launches)
    gradcore.optim.SGD([w, v], lr=0.5).step()
    names = _launches(be, start)
    assert names == ["multi_tensor_sgd<float>"]   # v only; w by the per-parameter route
    np.testing.assert_array_equal(w.detach().cpu().numpy(), np.full((4, 6), -0.5, np.float32))
    np.testing.assert_array_equal(v.detach().cpu().numpy(), np.full(5, 0.5, np.float32))


# ---- on a real GPU ---------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "bfloat16"])
def test_multi_tensor_kernels_on_the_gpu(dtype):
    """The CUDA arithmetic itself: multi_tensor_sgd/adam on cuda:0 against the reference on
    the host, bit for bit (correctly rounded, never-contracted operations), 40 tensors."""
    import cupy
    from gradcore.backend import get_backend
    from gradcore.backend.numpy_backend import NumpyBackend
    be, ref = get_backend("cuda"), NumpyBackend()
    dt = getattr(gradcore, dtype).np
    rng = np.random.default_rng(0)
    sizes = [300_001, 1, 347, 65536] + [3 + i for i in range(36)]
    host = [[rng.standard_normal(s).astype(dt) for s in sizes] for _ in range(5)]
    for k in (2, 3, 4):
        host[k] = [np.abs(a) if k > 2 else a for a in host[k]]
    dev = [[cupy.asarray(a) for a in lst] for lst in host]
    steps = [float(1 + i % 4) for i in range(len(sizes))]
    be.multi_tensor_adam(*dev, steps, 1e-2, 0.9, 0.999, 1e-8, 0.1, True, False, True)
    ref.multi_tensor_adam(*host, steps, 1e-2, 0.9, 0.999, 1e-8, 0.1, True, False, True)
    be.multi_tensor_sgd(dev[0], dev[1], dev[2], 0.1, 0.9, 0.1, False, 1e-2, False, False)
    ref.multi_tensor_sgd(host[0], host[1], host[2], 0.1, 0.9, 0.1, False, 1e-2, False, False)
    for dl, hl in zip(dev, host):
        for d, h in zip(dl, hl):
            np.testing.assert_array_equal(cupy.asnumpy(d).view(np.uint8), h.view(np.uint8))
