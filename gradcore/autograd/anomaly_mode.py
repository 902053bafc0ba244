"""Anomaly detection: detect_anomaly / set_detect_anomaly, as PyTorch's (process-wide).

While it is on, every node made records the traceback of the forward call that made it (a
``Node.__init__`` installed only then: with it off, making a node costs what it did), and the
engine runs every node through ``run_node``: a node whose backward raises, or returns NaN
(with check_nan), has its forward traceback shown as a warning, and NaN raises RuntimeError.
"""
import functools
import os
import sys
import traceback
import warnings

from .. import _dtype
from .function import Node
from ..sparse import CooArray
from ..tensor import Tensor


class _Mode:
    enabled = False
    check_nan = True


_mode = _Mode()
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _record_trace(self):
    """Node.__init__ in anomaly mode: keep the forward traceback, up to the user's call into
    gradcore (gradcore's own innermost frames are left out)."""
    frames = traceback.extract_stack(sys._getframe(1))
    while frames and frames[-1].filename.startswith(_PKG):
        frames.pop()
    self._anomaly_trace = "".join(traceback.format_list(frames))


def is_anomaly_enabled():
    """is_anomaly_enabled() -> bool

    True while anomaly detection (detect_anomaly / set_detect_anomaly) is on."""
    return _mode.enabled


def is_anomaly_check_nan_enabled():
    """is_anomaly_check_nan_enabled() -> bool

    True when anomaly detection also raises on NaN gradients (its check_nan)."""
    return _mode.check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """set_anomaly_enabled(enabled, check_nan=True) -> None

    Turn anomaly detection on or off for the whole process (see detect_anomaly)."""
    _mode.enabled, _mode.check_nan = bool(enabled), bool(check_nan)
    if _mode.enabled:
        Node.__init__ = _record_trace
    elif "__init__" in Node.__dict__:
        del Node.__init__


class detect_anomaly:
    """detect_anomaly(check_nan=True): a context manager (and decorator) that turns anomaly
    detection on inside it.

    Nodes made inside remember the traceback of their forward call; when one's backward
    fails, that traceback is shown as a warning; with check_nan a backward that returns NaN
    raises RuntimeError ("Function 'DivBackward0' returned nan values in its 1th output.").
    Slow: for debugging only (it warns so when made)."""

    def __init__(self, check_nan=True):
        self.prev = _mode.enabled
        self.check_nan = check_nan
        self.prev_check_nan = _mode.check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """set_detect_anomaly(mode, check_nan=True): turn anomaly detection on or off at once;
    as a context manager it restores the previous setting on exit (see detect_anomaly)."""

    def __init__(self, mode, check_nan=True):
        self.prev = _mode.enabled
        self.prev_check_nan = _mode.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False


def run_node(run, node, *args):
    """``run(node, *args)`` -- one node's backward, for the engine in anomaly mode: a failure
    shows the node's forward traceback; NaN in a gradient raises (with check_nan)."""
    try:
        gout = run(node, *args)
        if gout is not None and _mode.check_nan:
            for i, g in enumerate(gout):
                arr = g._arr if isinstance(g, Tensor) else g
                if type(arr) is CooArray:  # a sparse gradient: its values
                    arr = arr.values
                if arr is not None and _dtype.is_floating(arr.dtype) and bool((arr != arr).any()):
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its "
                                       f"{i}th output.")
    except Exception:
        trace = node.__dict__.get("_anomaly_trace")
        warnings.warn(f"Error detected in {node.name()}. " + (
            f"Traceback of forward call that caused the error:\n{trace}" if trace is not None
            else "No forward pass information available. Enable detect anomaly during "
                 "forward pass for more information."), stacklevel=2)
        raise
    return gout
