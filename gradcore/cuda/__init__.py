"""gradcore.cuda: is a CUDA device usable?  Never raises: False/0 without CuPy, driver or GPU."""


def _runtime():
    try:
        import cupy
        return cupy.cuda.runtime
    except Exception:  # ImportError, or CuPy present but its CUDA libraries missing
        return None


def device_count():
    rt = _runtime()
    if rt is None:
        return 0
    try:
        return int(rt.getDeviceCount())
    except Exception:  # no driver, no device, driver too old
        return 0


def is_available():
    return device_count() > 0


def current_device():
    if not is_available():
        raise RuntimeError("No CUDA GPUs are available")
    return int(_runtime().getDevice())


def get_device_name(device=None):
    if not is_available():
        raise RuntimeError("No CUDA GPUs are available")
    from .._device import as_device
    index = as_device(device if device is not None else "cuda").index or 0
    name = _runtime().getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None):
    if not is_available():
        return
    try:
        import cupy
        cupy.cuda.Device().synchronize()
    except Exception:
        pass


def manual_seed(seed):
    from ..backend import get_backend
    if is_available():
        get_backend("cuda").manual_seed(seed)


manual_seed_all = manual_seed
