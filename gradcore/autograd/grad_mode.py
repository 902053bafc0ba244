"""Grad mode: whether ops record the graph; inference mode and its inference tensors.
Thread-local, as in PyTorch.

An inference tensor is one made in inference mode: its version counter is an
``_InferenceVersionCounter`` (``tensor._wrap`` asks for one while any thread is in inference
mode, so nothing is paid otherwise).  Outside inference mode reading that counter raises, and
every place that saves a tensor for backward reads it: so saving an inference tensor raises
PyTorch's error at no cost to the saving code.
"""
import functools
import sys
import threading

from .. import tensor as _tensor


class _State(threading.local):
    enabled = True
    inference = False


_state = _State()
_lock = threading.Lock()
_inference_users = 0  # inference_mode(True) contexts open, in all threads
_SAVING = set()  # code objects that save tensors for backward (function.py adds them)
_cannot_save = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`.")


class _InferenceVersionCounter(_tensor._VersionCounter):
    """The version counter of an inference tensor: outside inference mode it can't be read
    (PyTorch's inference tensors track no version); the error names what was tried."""
    __slots__ = ("_v",)

    def __init__(self):
        self._v = 0

    @property
    def v(self):
        if _state.inference:
            return self._v
        caller = sys._getframe(1).f_code
        if caller in _SAVING:
            raise RuntimeError(_cannot_save)
        if caller.co_name == "_version":
            raise RuntimeError("Inference tensors do not track version counter.")
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                           "allowed.You can make a clone to get a normal tensor before doing "
                           "inplace update.See https://github.com/pytorch/rfcs/pull/17 for more "
                           "details.")

    @v.setter
    def v(self, value):
        self._v = value

    inference = True

    def check_requires_grad(self):
        if not _state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")


def _inference_vc():
    """The version counter of a tensor made now: an inference one in inference mode."""
    return _InferenceVersionCounter() if _state.inference else None


def _set_inference(on):
    """Enter (on=True) or leave inference mode in this thread; returns the previous state."""
    global _inference_users
    prev = _state.enabled, _state.inference
    _state.enabled, _state.inference = not on, on
    if on:
        with _lock:
            _inference_users += 1
            _tensor._inference_vc = _inference_vc
    return prev


def _restore_inference(prev, was_on):
    global _inference_users
    _state.enabled, _state.inference = prev
    if was_on:
        with _lock:
            _inference_users -= 1
            if not _inference_users:
                _tensor._inference_vc = None


def is_inference_mode_enabled():
    """is_inference_mode_enabled() -> bool

    True inside inference_mode() (in this thread): tensors made there are inference tensors."""
    return _state.inference


def is_inference(self):
    """is_inference() -> bool

    True for an inference tensor: one made in inference mode (or a view of one).  Such a
    tensor can't be saved for backward or changed in place outside inference mode."""
    return type(self._vc) is _InferenceVersionCounter


def check_index_saveable(x, *indices):
    """PyTorch's error for an inference tensor used, outside inference mode, as the index of an
    op recorded on ``x`` (its node keeps the index for backward, as PyTorch saves it; gradcore's
    nodes keep it as a bare array, so the op asks here).  ``indices``: anything; the Tensors
    among them (one level into tuples and lists) are checked."""
    if _state.inference or not _state.enabled or not getattr(x, "requires_grad", False):
        return
    for t in indices:
        for u in (t if isinstance(t, (tuple, list)) else (t,)):
            if type(getattr(u, "_vc", None)) is _InferenceVersionCounter:
                raise RuntimeError(_cannot_save)


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

    Inside inference_mode(True) grad mode is off and every tensor made is an inference tensor
    (``is_inference()``): it can't be saved for backward or changed in place outside inference
    mode (clone() it to get a normal tensor).  inference_mode(False) leaves inference mode and
    turns grad mode on.  Example:

        with gradcore.inference_mode():
            pred = model(x)
    """

    def __new__(cls, mode=True):
        if callable(mode):
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        self._mode = not mode

    def __enter__(self):
        self._prev = _set_inference(not self._mode)

    def __exit__(self, *exc):
        _restore_inference(self._prev, not self._mode)
        return False

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
