"""The machinery behind torch.backends' settable flags: a flag is a property on the module's
class (so ``gradcore.backends.cudnn.enabled = 1`` is checked as PyTorch checks it), and
``disable_global_flags`` freezes them outside a ``flags()`` block.

gradcore uses none of these libraries (cuDNN, cuBLAS's TF32 modes, oneDNN, flash attention):
the flags are recorded so code that sets and reads them runs, and change no computation.
"""
import contextlib
import sys
import types

_state = {"mutable": True}


def disable_global_flags():
    """disable_global_flags() -> None

    From now on a backend flag may only be changed inside its ``flags()`` context manager
    (setting ``gradcore.backends.cudnn.benchmark = True`` raises RuntimeError)."""
    _state["mutable"] = False


def flags_frozen():
    """flags_frozen() -> bool: whether disable_global_flags has been called."""
    return not _state["mutable"]


@contextlib.contextmanager
def allow_mutation():
    """Inside, flags may be set even after disable_global_flags (what flags() uses)."""
    old = _state["mutable"]
    _state["mutable"] = True
    try:
        yield
    finally:
        _state["mutable"] = old


def check_bool(value, setter_name):
    """PyTorch's check on a boolean flag: RuntimeError '<setter> expects a bool, but got T'."""
    if not isinstance(value, bool):
        raise RuntimeError(f"{setter_name} expects a bool, but got {type(value).__name__}")
    return value


def flag(store, key, setter_name, doc):
    """A property reading ``store[key]`` and setting it after PyTorch's bool check (refused
    while the flags are frozen, as torch.backends.ContextProp)."""
    def get(module):
        return store[key]

    def set_(module, value):
        if flags_frozen():
            raise RuntimeError(f"not allowed to set {module.__name__} flags after "
                               "disable_global_flags; please use flags() context manager "
                               "instead")
        store[key] = check_bool(value, setter_name)
    return property(get, set_, doc=doc)


def flag_module(name, class_name, **props):
    """Give the module ``name`` a class of its own, ``class_name``, holding ``props``
    (properties), so assigning to those module attributes goes through their setters."""
    module = sys.modules[name]
    module.__class__ = type(class_name, (types.ModuleType,), props)
    return module
