"""Grad mode: whether ops record the graph.  Thread-local, as in PyTorch."""
import functools
import threading


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled():
    """is_grad_enabled() -> bool

    True when grad mode is on (the default) in this thread: ops on tensors that require grad
    record the graph.  no_grad, enable_grad, set_grad_enabled and inference_mode change it."""
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
        """clone() -> a new, unentered context manager of the same kind."""
        return self.__class__()


class no_grad(_GradModeContext):
    """no_grad(): a context manager (and decorator) that turns grad mode off inside it.

    Results computed inside don't require grad and record no graph (use it for evaluation and
    for updating parameters by hand); the previous mode comes back on exit.  No arguments;
    ``@no_grad`` and ``@no_grad()`` both decorate a function.  Example:

        with gradcore.no_grad():
            w -= lr * w.grad              # not recorded
    """
    _mode = False

    def __new__(cls, orig_func=None):
        # Like PyTorch, allow the bare decorator form ``@no_grad`` as well as ``@no_grad()``.
        if orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        pass


class enable_grad(no_grad):
    """enable_grad(): a context manager (and decorator) that turns grad mode on inside it,
    e.g. within a no_grad region; the previous mode comes back on exit.  Example:

        with gradcore.no_grad():
            with gradcore.enable_grad(): y = x * 2   # recorded
    """
    _mode = True


class inference_mode(no_grad):
    """inference_mode(mode=True): a context manager (and decorator) for inference.

    gradcore has no separate inference tensors: inference_mode(True) is no_grad, and
    inference_mode(False) is enable_grad.  Example:

        with gradcore.inference_mode():
            pred = model(x)
    """

    def __new__(cls, mode=True):
        if callable(mode):
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        self._mode = not mode

    def clone(self):
        """clone() -> a new, unentered inference_mode with the same mode."""
        return self.__class__(not self._mode)

    def __call__(self, fn):
        mode = not self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(_GradModeContext):
    """set_grad_enabled(mode): set grad mode on (True) or off (False).

    Called as a function it switches at once; as a context manager (or decorator) it also
    restores the previous mode on exit.  Example:

        with gradcore.set_grad_enabled(is_train):
            loss = criterion(model(x), y)
    """

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
        """clone() -> a new set_grad_enabled with the same mode (which it applies now)."""
        return set_grad_enabled(self._mode)
