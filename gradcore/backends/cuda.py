"""torch.backends.cuda: cuBLAS's matmul flags (``matmul.allow_tf32`` ...), the
scaled-dot-product-attention backend toggles and ``preferred_linalg_library``.

gradcore's CUDA backend is CuPy: float32 GEMMs run in float32 and attention is the math
implementation, whatever is set; the flags are recorded, with PyTorch's checks and messages.
``matmul.allow_tf32`` is the float32 matmul precision, as PyTorch ties them: True sets
``get_float32_matmul_precision()`` to 'high', False to 'highest', and it reads True whenever
the precision is not 'highest'.
"""
import importlib.util

from .. import _settings
from ._flags import check_bool

__all__ = ["is_built", "matmul", "flash_sdp_enabled", "enable_flash_sdp",
           "mem_efficient_sdp_enabled", "enable_mem_efficient_sdp", "math_sdp_enabled",
           "enable_math_sdp", "cudnn_sdp_enabled", "enable_cudnn_sdp",
           "preferred_linalg_library"]


def is_built():
    """is_built() -> bool: whether gradcore can use CUDA on a machine with a GPU, i.e.
    whether CuPy is installed (it is not imported here; CUDA may still be unavailable)."""
    return importlib.util.find_spec("cupy") is not None


class cuBLASModule:
    """``gradcore.backends.cuda.matmul``: allow_tf32 (the float32 matmul precision),
    allow_fp16_reduced_precision_reduction and allow_bf16_reduced_precision_reduction (a bool,
    or a tuple/list (allow_reduced_precision, allow_splitk)), allow_fp16_accumulation; other
    names raise AttributeError('Unknown attribute ...') as PyTorch's."""

    _reduced = {"fp16": [True, True], "bf16": [True, True]}
    _fp16_accumulation = [False]

    @staticmethod
    def _parse_reduction_setting(value, attr_name):
        def as_bool(obj, which):
            if isinstance(obj, bool):
                return obj
            raise TypeError(f"{attr_name} expects a bool for {which}, but got {type(obj)!r}")
        if isinstance(value, bool):
            return [value, True]
        if isinstance(value, (list, tuple)):
            if not value:
                raise TypeError(f"{attr_name} expects at least one boolean argument")
            if len(value) > 2:
                raise TypeError(f"{attr_name} expects at most two boolean arguments")
            splitk = as_bool(value[1], "allow_splitk") if len(value) == 2 else True
            return [as_bool(value[0], "allow_reduced_precision"), splitk]
        raise TypeError(f"{attr_name} expects a bool or a tuple/list of bools, but got "
                        f"{type(value)!r}")

    def __getattr__(self, name):
        if name == "allow_tf32":
            return _settings.get_float32_matmul_precision() != "highest"
        for kind in ("fp16", "bf16"):
            if name == f"allow_{kind}_reduced_precision_reduction":
                return self._reduced[kind][0]
            if name == f"allow_{kind}_reduced_precision_reduction_split_k":
                return self._reduced[kind][1]
        if name == "allow_fp16_accumulation":
            return self._fp16_accumulation[0]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            check_bool(value, "set_allow_tf32_cublas")
            _settings.set_float32_matmul_precision("high" if value else "highest")
            return
        for kind in ("fp16", "bf16"):
            if name == f"allow_{kind}_reduced_precision_reduction":
                self._reduced[kind][:] = self._parse_reduction_setting(value, name)
                return
        if name == "allow_fp16_accumulation":
            self._fp16_accumulation[0] = check_bool(value, "set_allow_fp16_accumulation_cublas")
            return
        raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()

# ---- scaled_dot_product_attention's backends (gradcore always computes the math one) -------
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def flash_sdp_enabled():
    """flash_sdp_enabled() -> bool: whether flash attention is enabled (recorded only)."""
    return _sdp["flash"]


def enable_flash_sdp(enabled):
    """enable_flash_sdp(enabled) -> None: record whether flash attention may be used."""
    _sdp["flash"] = check_bool(enabled, "set_sdp_use_math")  # PyTorch's message, verbatim


def mem_efficient_sdp_enabled():
    """mem_efficient_sdp_enabled() -> bool: whether memory-efficient attention is enabled."""
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled):
    """enable_mem_efficient_sdp(enabled) -> None: record whether it may be used."""
    _sdp["mem_efficient"] = check_bool(enabled, "set_sdp_use_math")


def math_sdp_enabled():
    """math_sdp_enabled() -> bool: whether the math attention is enabled (the one gradcore
    computes, whatever this says)."""
    return _sdp["math"]


def enable_math_sdp(enabled):
    """enable_math_sdp(enabled) -> None: record whether the math attention may be used."""
    _sdp["math"] = check_bool(enabled, "set_sdp_use_math")


def cudnn_sdp_enabled():
    """cudnn_sdp_enabled() -> bool: whether cuDNN attention is enabled (recorded only)."""
    return _sdp["cudnn"]


def enable_cudnn_sdp(enabled):
    """enable_cudnn_sdp(enabled) -> None: record whether cuDNN attention may be used."""
    if not isinstance(enabled, bool):  # PyTorch's message, its stray %s included
        raise RuntimeError("set_sdp_use_cudnn expects a bool, but got %s"
                           + type(enabled).__name__)
    _sdp["cudnn"] = enabled


class _LinalgBackend:
    """The value preferred_linalg_library returns (PyTorch's torch._C._LinalgBackend)."""

    def __init__(self, name, value):
        self.name, self.value = name, value

    def __repr__(self):
        return f"<_LinalgBackend.{self.name}: {self.value}>"

    def __str__(self):
        return f"_LinalgBackend.{self.name}"


_LinalgBackend.Default, _LinalgBackend.Cusolver, _LinalgBackend.Magma = (
    _LinalgBackend("Default", 0), _LinalgBackend("Cusolver", 1), _LinalgBackend("Magma", 2))
_LINALG = {"default": _LinalgBackend.Default, "cusolver": _LinalgBackend.Cusolver,
           "magma": _LinalgBackend.Magma}
_linalg = [_LinalgBackend.Default]


def preferred_linalg_library(backend=None):
    """preferred_linalg_library(backend=None) -> _LinalgBackend

    Record the library CUDA linear algebra should prefer ('default', 'cusolver', 'magma' or a
    _LinalgBackend) and return the one preferred now; gradcore's CUDA linalg is CuPy's
    (cuSOLVER) whatever is set."""
    if backend is None:
        pass
    elif isinstance(backend, str):
        if backend not in _LINALG:
            raise RuntimeError("Unknown input value. Choose from: " + ", ".join(_LINALG) + ".")
        _linalg[0] = _LINALG[backend]
    elif isinstance(backend, _LinalgBackend):
        _linalg[0] = backend
    else:
        raise RuntimeError("Unknown input value type.")
    return _linalg[0]
