"""gradcore.backends (torch.backends): the flags PyTorch code sets, their defaults, checks and
messages against the installed torch, and allow_tf32 tied to the float32 matmul precision."""
import numpy as np
import pytest

import gradcore
from gradcore import backends


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (the type and text are what is compared)
        return type(e).__name__, str(e)
    return None


@pytest.fixture
def restore():
    """Put every flag a test changes back (the flags are process-wide, as PyTorch's)."""
    cudnn = dict(backends.cudnn._state)
    sdp = dict(backends.cuda._sdp)
    prec = gradcore.get_float32_matmul_precision()
    reduced = {k: list(v) for k, v in backends.cuda.cuBLASModule._reduced.items()}
    yield
    backends.cudnn._state.update(cudnn)
    backends.cuda._sdp.update(sdp)
    gradcore.set_float32_matmul_precision(prec)
    for k, v in reduced.items():
        backends.cuda.cuBLASModule._reduced[k][:] = v
    backends.mkldnn._state["enabled"] = True
    backends._flags._state["mutable"] = True
    backends.cuda.preferred_linalg_library("default")


def test_bound_on_the_package_and_unrelated_to_backend():
    assert gradcore.backends is backends
    assert "``gradcore.backend`` (singular)" in backends.__doc__
    for name in ("cudnn", "cuda", "mps", "mkldnn", "openmp", "mkl", "cpu"):
        assert hasattr(backends, name)


def test_defaults_match_torch(torch):
    tb = torch.backends
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(backends.cudnn, name) == getattr(tb.cudnn, name), name
    assert backends.cudnn.benchmark_limit is None  # no cuDNN, as PyTorch without one
    m, tm = backends.cuda.matmul, tb.cuda.matmul
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction",
                 "allow_bf16_reduced_precision_reduction",
                 "allow_fp16_reduced_precision_reduction_split_k", "allow_fp16_accumulation"):
        assert getattr(m, name) == getattr(tm, name), name
    for kind in ("flash", "mem_efficient", "math", "cudnn"):
        assert getattr(backends.cuda, f"{kind}_sdp_enabled")() == \
            getattr(tb.cuda, f"{kind}_sdp_enabled")()
    mine, theirs = backends.cuda.preferred_linalg_library(), tb.cuda.preferred_linalg_library()
    assert (repr(mine), str(mine)) == (repr(theirs), str(theirs))
    assert backends.mps.is_available() is tb.mps.is_available() is False
    assert backends.mps.is_built() is tb.mps.is_built() is False
    assert backends.mkldnn.enabled is tb.mkldnn.enabled is True
    assert backends.cudnn.is_available() is False and backends.cudnn.version() is None
    assert backends.mkldnn.is_available() is False  # gradcore uses no oneDNN
    assert backends.openmp.is_available() is False


def test_cpu_capability_matches_torch(torch):
    assert backends.cpu.get_cpu_capability() == torch.backends.cpu.get_cpu_capability()


def test_mkl_reports_numpys_blas():
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    assert backends.mkl.is_available() is ("mkl" in blas.lower())


def test_is_built_is_whether_cupy_is_installed():
    import importlib.util
    assert backends.cuda.is_built() is (importlib.util.find_spec("cupy") is not None)


def test_allow_tf32_is_the_matmul_precision(torch, restore):
    m = backends.cuda.matmul
    for lib, mm in ((gradcore, m), (torch, torch.backends.cuda.matmul)):
        lib.set_float32_matmul_precision("highest")
        assert mm.allow_tf32 is False
        mm.allow_tf32 = True
        assert lib.get_float32_matmul_precision() == "high"
        mm.allow_tf32 = False
        assert lib.get_float32_matmul_precision() == "highest"
        lib.set_float32_matmul_precision("medium")
        assert mm.allow_tf32 is True
        lib.set_float32_matmul_precision("high")
        assert mm.allow_tf32 is True
        lib.set_float32_matmul_precision("highest")


def test_setters_check_bools_with_torchs_messages(torch, restore):
    tb = torch.backends
    cases = [
        lambda b: setattr(b.cudnn, "enabled", 1),
        lambda b: setattr(b.cudnn, "benchmark", 1),
        lambda b: setattr(b.cudnn, "deterministic", "x"),
        lambda b: setattr(b.cudnn, "allow_tf32", 1),
        lambda b: setattr(b.cuda.matmul, "allow_tf32", 1),
        lambda b: setattr(b.cuda.matmul, "allow_fp16_accumulation", 1),
        lambda b: setattr(b.cuda.matmul, "allow_fp16_reduced_precision_reduction", 1),
        lambda b: setattr(b.cuda.matmul, "allow_bf16_reduced_precision_reduction", []),
        lambda b: setattr(b.cuda.matmul, "allow_fp16_reduced_precision_reduction",
                          [True, True, True]),
        lambda b: setattr(b.cuda.matmul, "allow_fp16_reduced_precision_reduction", [1]),
        lambda b: setattr(b.cuda.matmul, "allow_fp16_reduced_precision_reduction",
                          (True, 2)),
        lambda b: setattr(b.cuda.matmul, "no_such_flag", True),
        lambda b: b.cuda.matmul.no_such_flag,
        lambda b: b.cuda.enable_flash_sdp(1),
        lambda b: b.cuda.enable_mem_efficient_sdp(1),
        lambda b: b.cuda.enable_math_sdp(1),
        lambda b: b.cuda.enable_cudnn_sdp(1),
        lambda b: setattr(b.mkldnn, "enabled", 1),
        lambda b: b.cuda.preferred_linalg_library("x"),
        lambda b: b.cuda.preferred_linalg_library(3),
    ]
    for case in cases:
        got, want = _error(lambda: case(backends)), _error(lambda: case(tb))
        assert want is not None and got == want


def test_flags_are_recorded(torch, restore):
    c = backends.cudnn
    c.benchmark = True
    c.deterministic = True
    assert (c.benchmark, c.deterministic) == (True, True)
    m = backends.cuda.matmul
    m.allow_fp16_reduced_precision_reduction = (False,)
    tm = torch.backends.cuda.matmul
    tm.allow_fp16_reduced_precision_reduction = (False,)
    try:
        assert (m.allow_fp16_reduced_precision_reduction,
                m.allow_fp16_reduced_precision_reduction_split_k) == \
            (tm.allow_fp16_reduced_precision_reduction,
             tm.allow_fp16_reduced_precision_reduction_split_k) == (False, True)
    finally:
        tm.allow_fp16_reduced_precision_reduction = True
    m.allow_bf16_reduced_precision_reduction = [False, False]
    assert (m.allow_bf16_reduced_precision_reduction,
            m.allow_bf16_reduced_precision_reduction_split_k) == (False, False)
    backends.cuda.enable_flash_sdp(False)
    assert backends.cuda.flash_sdp_enabled() is False
    assert str(backends.cuda.preferred_linalg_library("cusolver")) == "_LinalgBackend.Cusolver"
    assert backends.cuda.preferred_linalg_library() is \
        backends.cuda._LinalgBackend.Cusolver


def test_cudnn_flags_context_sets_and_restores(torch, restore):
    for b in (backends, torch.backends):
        before = (b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic,
                  b.cudnn.allow_tf32)
        with b.cudnn.flags():
            inside = (b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic,
                      b.cudnn.allow_tf32)
        with b.cudnn.flags(enabled=True, benchmark=True, deterministic=True, allow_tf32=False):
            inside2 = (b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic,
                       b.cudnn.allow_tf32)
        after = (b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic,
                 b.cudnn.allow_tf32)
        if b is backends:
            mine = (before, inside, inside2, after)
        else:
            assert mine == (before, inside, inside2, after)
    assert mine[1] == (False, False, False, True) and mine[0] == mine[3]
    with pytest.raises(RuntimeError):
        with backends.cudnn.flags(benchmark=True):
            raise RuntimeError("inside")
    assert backends.cudnn.benchmark is False  # restored on error too
    with backends.mkldnn.flags(enabled=False):
        assert backends.mkldnn.enabled is False
    assert backends.mkldnn.enabled is True


def test_disable_global_flags_allows_only_flags_blocks(restore):
    backends.disable_global_flags()
    assert backends.flags_frozen()
    with pytest.raises(RuntimeError, match="not allowed to set gradcore.backends.cudnn flags "
                       "after disable_global_flags; please use flags"):
        backends.cudnn.benchmark = True
    with backends.cudnn.flags(benchmark=True):
        assert backends.cudnn.benchmark is True
    assert backends.cudnn.benchmark is False
