"""Can CuPy serve a CUDA device, and if not, why not: the checks ``gradcore.cuda`` and
``get_backend`` make at the first CUDA use, raising what PyTorch raises there (see
gradcore/cuda/__init__.py), with a line on what to install.  Imports nothing of gradcore."""
import re

INSTALL_HINT = ("install the CuPy extra for your driver's CUDA major version (nvidia-smi shows "
                'it): pip install "gradcore[cuda12]" (or "gradcore[cuda13]"); from a checkout, '
                'pip install -e ".[cuda12]" (or ".[cuda13]")')

NO_CUPY = ("gradcore was installed without CuPy, so CUDA is not available: " + INSTALL_HINT)

# PyTorch's texts (c10/cuda/CUDAFunctions.cpp, c10/cuda/CUDAMiscFunctions.cpp).
NO_DRIVER = ("Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU "
             "and installed a driver from http://www.nvidia.com/Download/index.aspx")
OLD_DRIVER = ("The NVIDIA driver on your system is too old (found version {version}). Please "
              "update your GPU driver by downloading and installing a new version from the "
              "URL: http://www.nvidia.com/Download/index.aspx Alternatively, " + INSTALL_HINT + ".")
INIT_FAILED = "CUDA driver initialization failed, you might not have a CUDA gpu."
NO_GPUS = "No CUDA GPUs are available"
BAD_ORDINAL = ("CUDA error: invalid device ordinal\n"
               "GPU device may be out of range, do you have enough GPUs?")

# cudaError_t values CuPy's CUDARuntimeError carries in .status (and names in its message).
_INIT_ERROR, _INSUFFICIENT_DRIVER, _NO_DEVICE = 3, 35, 100
_STATUS_NAMES = {"cudaErrorInitializationError": _INIT_ERROR,
                 "cudaErrorInsufficientDriver": _INSUFFICIENT_DRIVER,
                 "cudaErrorNoDevice": _NO_DEVICE}

# The CUDA libraries CuPy loads at run time (the cuda12/cuda13 extras install them all through
# CuPy's ctk extra: cuda-toolkit[cublas,cudart,cufft,curand,cusolver,cusparse,nvrtc]).
_LIBRARIES = {"nvrtc": "NVRTC, the runtime compiler that builds gradcore's kernels",
              "cudart": "the CUDA runtime (cudart)", "cublasLt": "cuBLASLt",
              "cublas": "cuBLAS", "curand": "cuRAND", "cufft": "cuFFT",
              "cusolver": "cuSOLVER", "cusparse": "cuSPARSE", "nvJitLink": "nvJitLink"}
_LIBRARY_RE = re.compile(r"[\w.\-*]*?(?:lib)?(" + "|".join(_LIBRARIES) + r")[\w.\-*]*",
                         re.IGNORECASE)


def _missing_library(exc):
    """The clear error for ``exc`` when it says a CUDA library failed to load, else None."""
    text = f"{type(exc).__name__}: {exc}"
    loading = re.search(r"cannot open shared object|failed to load|failure finding|"
                        r"could not find module|no such file|not found|DynamicLibNotFound",
                        text, re.IGNORECASE)
    m = _LIBRARY_RE.search(text)
    if not (loading and m):
        return None
    key = next(k for k in _LIBRARIES if k.lower() == m.group(1).lower())
    line = text[text.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0].strip()
    searched = re.search(r'Failure finding "([^"]+)"', text)  # cuda-pathfinder (CuPy 14)
    name = searched.group(1) if searched else m.group(0).strip(".")
    return RuntimeError(
        f"CuPy is installed but can't load {_LIBRARIES[key]} ({name} not "
        f"found). The cuda12/cuda13 extras install it with the other CUDA libraries CuPy loads "
        f"at run time (CuPy's ctk extra): {INSTALL_HINT}.  [{line[:300]}]")


def _import_cupy():
    """CuPy, or the clear error of why it can't be imported."""
    try:
        import cupy
        return cupy
    except ModuleNotFoundError as e:
        if e.name == "cupy":  # not installed (or blocked with sys.modules["cupy"] = None)
            raise AssertionError(NO_CUPY) from None
        err = _missing_library(e)
        raise (err or RuntimeError(f"CuPy is installed but can't be imported "
                                   f"({type(e).__name__}: {e}); {INSTALL_HINT}")) from e
    except Exception as e:  # ImportError from inside CuPy: a library of its own missing
        err = _missing_library(e)
        raise (err or RuntimeError(f"CuPy is installed but can't be imported "
                                   f"({type(e).__name__}: {e}); reinstall it: "
                                   f"{INSTALL_HINT}")) from e


def _status(exc):
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return status
    for name, value in _STATUS_NAMES.items():
        if name in str(exc):
            return value
    return None


def _count_devices(rt):
    """cudaGetDeviceCount as PyTorch reports it (device_count_impl(fail_if_no_driver=true))."""
    try:
        return int(rt.getDeviceCount())
    except Exception as e:
        err = _missing_library(e)
        if err is not None:
            raise err from e
        status = _status(e)
        if status == _NO_DEVICE:
            return 0
        if status == _INSUFFICIENT_DRIVER:
            try:
                version = int(rt.driverGetVersion())
            except Exception:
                version = 0
            if version <= 0:
                raise RuntimeError(NO_DRIVER) from e
            raise RuntimeError(OLD_DRIVER.format(version=version)) from e
        if status == _INIT_ERROR:
            raise RuntimeError(INIT_FAILED) from e
        raise RuntimeError(f"Unexpected error from cudaGetDeviceCount(): "
                           f"{type(e).__name__}: {e}") from e


def _probe_libraries(cupy):
    """Load the run-time libraries every gradcore CUDA backend uses -- NVRTC (each RawKernel
    is compiled by it, and so are CuPy's own elementwise kernels) and cuBLAS -- so that a
    missing one is reported here, at the first CUDA use, not deep inside the first kernel
    launch.  Errors that don't say a library is missing are left for the real use."""
    probes = (lambda: cupy.cuda.nvrtc.getVersion(), lambda: cupy.cuda.cublas)
    for probe in probes:
        try:
            probe()
        except Exception as e:
            err = _missing_library(e)
            if err is not None:
                raise err from e


def _lazy_init(index=None):
    """CuPy, checked to serve ``cuda:index`` (None: the first device); or the error PyTorch
    raises at that point (see the module docstring).  Not cached: safe to call again."""
    cupy = _import_cupy()
    try:
        rt = cupy.cuda.runtime
    except Exception as e:
        err = _missing_library(e)
        raise (err or RuntimeError(f"CuPy is installed but its CUDA runtime is unusable "
                                   f"({type(e).__name__}: {e}); {INSTALL_HINT}")) from e
    count = _count_devices(rt)
    if count <= 0:
        raise RuntimeError(NO_GPUS)
    index = 0 if index is None else int(index)
    if index >= count:
        visible = "cuda:0" if count == 1 else f"cuda:0 to cuda:{count - 1}"
        raise RuntimeError(f"{BAD_ORDINAL}\n(asked for cuda:{index}; {count} CUDA device"
                           f"{'' if count == 1 else 's'} visible: {visible})")
    _probe_libraries(cupy)
    return cupy
