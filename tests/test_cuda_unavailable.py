"""CUDA asked for where it can't run: the first use raises PyTorch's error type with a message
that says what is missing and what to install -- never a bare ``ModuleNotFoundError: No module
named 'cupy'`` -- and nothing broken is cached.  The queries (``is_available``,
``device_count``) stay never-raising.

Every case is simulated, so the file runs the same on any machine: ``sys.modules["cupy"] =
None`` makes ``import cupy`` fail as if CuPy weren't installed, and a fake ``cupy`` module
stands for CuPy without a driver, without a GPU, or without its CUDA libraries."""
import builtins
import sys
import types

import pytest

import gradcore
import gradcore.nn as nn
from gradcore import backend
from gradcore.backend import cupy_backend

INSTALL = ('pip install -e ".[cuda12]"', '".[cuda13]"', 'pip install "gradcore[cuda12]"')

FIRST_USES = {
    "factory device='cuda'": lambda: gradcore.zeros(2, device="cuda"),
    "factory device='cuda:1'": lambda: gradcore.randn(2, device="cuda:1"),
    "tensor(device=device('cuda'))": lambda: gradcore.tensor([1.0], device=gradcore.device("cuda")),
    ".to('cuda')": lambda: gradcore.ones(2).to("cuda"),
    ".to(device('cuda'))": lambda: gradcore.ones(2).to(gradcore.device("cuda")),
    ".cuda()": lambda: gradcore.ones(2).cuda(),
    "Module.to('cuda')": lambda: nn.Linear(2, 2).to("cuda"),
    "Module.cuda()": lambda: nn.Linear(2, 2).cuda(),
    "cuda.init()": lambda: gradcore.cuda.init(),
    "cuda.current_device()": lambda: gradcore.cuda.current_device(),
}


@pytest.fixture(autouse=True)
def no_cached_backends(monkeypatch):
    """Start from no CUDA backend (a GPU machine may hold a real one from other tests)."""
    monkeypatch.setattr(backend, "_built", {})


@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` raises ModuleNotFoundError


class FakeCUDARuntimeError(RuntimeError):
    """What cupy.cuda.runtime raises: the cudaError_t in .status, its name in the message."""
    NAMES = {3: "cudaErrorInitializationError: initialization error",
             35: "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA "
                 "runtime version",
             100: "cudaErrorNoDevice: no CUDA-capable device is detected"}

    def __init__(self, status):
        self.status = status
        super().__init__(self.NAMES[status])


def fake_cupy(monkeypatch, count=1, status=None, driver=0, nvrtc_error=None):
    """Install a fake ``cupy``: getDeviceCount returns ``count`` or raises ``status``."""
    def get_device_count():
        if status is not None:
            raise FakeCUDARuntimeError(status)
        return count

    def nvrtc_version():
        if nvrtc_error is not None:
            raise nvrtc_error
        return (12, 8)

    runtime = types.SimpleNamespace(getDeviceCount=get_device_count, getDevice=lambda: 0,
                                    driverGetVersion=lambda: driver,
                                    CUDARuntimeError=FakeCUDARuntimeError)
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=runtime,
                                      nvrtc=types.SimpleNamespace(getVersion=nvrtc_version))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    return cupy


def _raises(fn, exc_type):
    with pytest.raises(Exception) as info:
        fn()
    assert type(info.value) is exc_type, f"{type(info.value).__name__}: {info.value}"
    return str(info.value)


# ---- no CuPy -----------------------------------------------------------------------------

@pytest.mark.parametrize("use", list(FIRST_USES), ids=list(FIRST_USES))
def test_without_cupy_every_first_use_raises_assertion_error_saying_what_to_install(no_cupy,
                                                                                     use):
    msg = _raises(FIRST_USES[use], AssertionError)
    assert "without CuPy" in msg and "No module named" not in msg
    for hint in INSTALL:
        assert hint in msg


def test_without_cupy_the_error_is_raised_again_and_nothing_is_cached(no_cupy):
    first = _raises(lambda: gradcore.zeros(2, device="cuda"), AssertionError)
    assert backend._built == {}
    assert _raises(lambda: gradcore.zeros(2, device="cuda"), AssertionError) == first
    assert _raises(lambda: backend.get_backend("cuda:0"), AssertionError) == first
    assert backend._built == {}


def test_without_cupy_the_queries_never_raise(no_cupy):
    assert gradcore.cuda.is_available() is False
    assert gradcore.cuda.device_count() == 0
    gradcore.cuda.synchronize()
    gradcore.cuda.manual_seed(0)
    assert "without CuPy" in gradcore.cuda.why_unavailable()
    gradcore.device("cuda")  # naming a device is not a use of it (as in PyTorch)
    assert gradcore.zeros(2).device == gradcore.device("cpu")


def test_without_cupy_the_error_type_is_pytorchs(no_cupy):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() or torch.backends.cuda.is_built():
        pytest.skip("this PyTorch is built with CUDA: it raises differently")
    for g, t in [(lambda: gradcore.zeros(2, device="cuda"), lambda: torch.zeros(2, device="cuda")),
                 (lambda: gradcore.ones(2).to("cuda"), lambda: torch.ones(2).to("cuda")),
                 (lambda: nn.Linear(2, 2).to("cuda"), lambda: torch.nn.Linear(2, 2).to("cuda"))]:
        with pytest.raises(Exception) as tinfo:
            t()
        _raises(g, type(tinfo.value))


# ---- CuPy, but no driver / no GPU / not that GPU -----------------------------------------

def test_no_driver_raises_pytorchs_runtime_error(monkeypatch):
    fake_cupy(monkeypatch, status=35, driver=0)
    msg = _raises(lambda: gradcore.zeros(2, device="cuda"), RuntimeError)
    assert msg == ("Found no NVIDIA driver on your system. Please check that you have an "
                   "NVIDIA GPU and installed a driver from "
                   "http://www.nvidia.com/Download/index.aspx")
    assert gradcore.cuda.is_available() is False and gradcore.cuda.device_count() == 0
    assert backend._built == {}


def test_driver_too_old_says_its_version(monkeypatch):
    fake_cupy(monkeypatch, status=35, driver=11040)
    msg = _raises(lambda: gradcore.ones(2).to("cuda"), RuntimeError)
    assert msg.startswith("The NVIDIA driver on your system is too old (found version 11040)")
    assert 'pip install "gradcore[cuda12]"' in msg


@pytest.mark.parametrize("how", ["cudaErrorNoDevice", "zero devices"])
def test_no_gpu_raises_no_cuda_gpus_are_available(monkeypatch, how):
    if how == "zero devices":
        fake_cupy(monkeypatch, count=0)
    else:
        fake_cupy(monkeypatch, status=100)
    assert _raises(lambda: nn.Linear(2, 2).to("cuda"), RuntimeError) == \
        "No CUDA GPUs are available"
    assert _raises(lambda: gradcore.cuda.current_device(), RuntimeError) == \
        "No CUDA GPUs are available"
    assert gradcore.cuda.is_available() is False


def test_driver_initialization_failure(monkeypatch):
    fake_cupy(monkeypatch, status=3)
    assert _raises(lambda: gradcore.zeros(1, device="cuda"), RuntimeError) == \
        "CUDA driver initialization failed, you might not have a CUDA gpu."


def test_device_index_past_the_count_is_an_invalid_device_ordinal(monkeypatch):
    fake_cupy(monkeypatch, count=2)
    msg = _raises(lambda: gradcore.zeros(2, device="cuda:2"), RuntimeError)
    assert msg.startswith("CUDA error: invalid device ordinal\n"
                          "GPU device may be out of range, do you have enough GPUs?")
    assert "cuda:2" in msg and "cuda:0 to cuda:1" in msg
    assert _raises(lambda: gradcore.ones(1).cuda(5), RuntimeError).startswith(
        "CUDA error: invalid device ordinal")
    assert backend._built == {}


# ---- CuPy, but a CUDA library it loads at run time is missing ---------------------------

class DynamicLibNotFoundError(RuntimeError):
    """cuda-pathfinder's error, through which CuPy 14 loads NVRTC, cuBLAS, ... (the message is
    what cupy-cuda12x 14.2.0 raises on a machine without the CUDA libraries)."""


def _pathfinder_error(cls, lib):
    spec = f"lib{lib}.so.13 or lib{lib}.so.12"
    return cls(f'Failure finding "{spec}": No such file: {spec}, No such file: {spec}\n')


def test_missing_nvrtc_is_named_with_the_extra_that_installs_it(monkeypatch):
    fake_cupy(monkeypatch, nvrtc_error=_pathfinder_error(DynamicLibNotFoundError, "nvrtc"))
    msg = _raises(lambda: gradcore.zeros(2, device="cuda"), RuntimeError)
    assert "NVRTC" in msg and "libnvrtc.so.13 or libnvrtc.so.12 not found" in msg
    assert "cuda12/cuda13 extras install it" in msg and 'pip install -e ".[cuda12]"' in msg
    assert _raises(lambda: gradcore.zeros(2, device="cuda"), RuntimeError) == msg  # again
    assert backend._built == {}


def test_missing_cublas_is_named(monkeypatch):
    cupy = fake_cupy(monkeypatch)

    class Cuda(types.SimpleNamespace):
        @property
        def cublas(self):  # CuPy 14 loads libcublas(Lt) on first access of cupy.cuda.cublas
            raise _pathfinder_error(ImportError, "cublasLt")

    cupy.cuda = Cuda(**vars(cupy.cuda))
    msg = _raises(lambda: gradcore.ones(2).to("cuda"), RuntimeError)
    assert "cuBLASLt" in msg and "libcublasLt.so.13 or libcublasLt.so.12" in msg
    assert "cuda12/cuda13 extras" in msg


def test_missing_nvrtc_cupy13_wording(monkeypatch):
    fake_cupy(monkeypatch, nvrtc_error=RuntimeError(
        "CuPy failed to load libnvrtc.so.12: OSError: libnvrtc.so.12: cannot open shared "
        "object file: No such file or directory"))
    msg = _raises(lambda: gradcore.cuda.init(), RuntimeError)
    assert "NVRTC" in msg and "libnvrtc.so.12" in msg and "cuda12/cuda13" in msg


def test_cupy_that_fails_to_import_for_a_missing_library(monkeypatch):
    real_import = builtins.__import__

    def broken_cupy(name, *args, **kwargs):
        if name == "cupy":
            raise ImportError("\n====\nFailed to import CuPy.\n\nOriginal error:\n  ImportError: "
                              "libcudart.so.12: cannot open shared object file: No such file "
                              "or directory\n====")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken_cupy)
    msg = _raises(lambda: gradcore.zeros(2, device="cuda"), RuntimeError)
    assert "CUDA runtime (cudart)" in msg and "libcudart.so.12" in msg
    assert "cuda12/cuda13 extras" in msg
    assert gradcore.cuda.is_available() is False


def test_missing_library_while_building_the_backend(monkeypatch):
    fake_cupy(monkeypatch)

    def no_curand(*args, **kwargs):
        raise ImportError("libcurand.so.10: cannot open shared object file: No such file or "
                          "directory")

    monkeypatch.setattr(cupy_backend, "CupyBackend", no_curand)
    msg = _raises(lambda: gradcore.zeros(2, device="cuda"), RuntimeError)
    assert "cuRAND" in msg and "cuda12/cuda13 extras" in msg
    assert backend._built == {}


# ---- not cached into a broken state --------------------------------------------------------

def test_a_fixed_environment_works_after_a_failure(monkeypatch):
    """The failure caches nothing: once CuPy and a device answer, the same call succeeds."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(AssertionError):
        backend.get_backend("cuda")
    fake_cupy(monkeypatch, count=1)
    built = []

    class StubBackend:
        def __init__(self, index, seed):
            built.append(index)

    monkeypatch.setattr(cupy_backend, "CupyBackend", StubBackend)
    be = backend.get_backend("cuda")
    assert isinstance(be, StubBackend) and built == [0]
    assert backend.get_backend("cuda:0") is be and built == [0]  # now cached


def test_why_unavailable_is_one_line_and_never_raises(monkeypatch):
    fake_cupy(monkeypatch, count=1)
    assert gradcore.cuda.why_unavailable("cuda:0") is None
    why = gradcore.cuda.why_unavailable("cuda:3")
    assert "invalid device ordinal" in why and "\n" not in why
    fake_cupy(monkeypatch, status=35)
    assert gradcore.cuda.why_unavailable().startswith("Found no NVIDIA driver")
