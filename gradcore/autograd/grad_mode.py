"""Grad mode: whether ops record the graph.  Thread-local, as in PyTorch."""
import functools
import threading


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled():
    return _state.enabled


class _GradModeContext:
    """Context manager that is also a decorator (a fresh context per call)."""
    _mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Disable graph recording: ``with gradcore.no_grad():`` or ``@gradcore.no_grad()``."""
    _mode = False

    def __new__(cls, orig_func=None):
        # Like PyTorch, allow the bare decorator form ``@no_grad`` as well as ``@no_grad()``.
        if orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        pass


class enable_grad(no_grad):
    """Enable graph recording inside a ``no_grad`` region."""
    _mode = True


class inference_mode(no_grad):
    """gradcore has no separate inference tensors: inference_mode(True) is no_grad."""

    def __new__(cls, mode=True):
        if callable(mode):
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        self._mode = not mode

    def clone(self):
        return self.__class__(not self._mode)

    def __call__(self, fn):
        mode = not self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches grad mode off at once (function form) and also works
    as a context manager that restores the previous mode on exit."""

    def __init__(self, mode):
        self._prev = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self._mode
        _state.enabled = self._prev  # used as a decorator: the call above must not leak

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return set_grad_enabled(self._mode)
