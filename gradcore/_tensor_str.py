"""Tensor printing for gradcore: ``tensor_repr`` renders a host NumPy array the way
PyTorch's ``repr(tensor)`` does (same numbers, widths, wrapping, summarization and
suffixes), and ``set_printoptions`` / ``get_printoptions`` hold the global options.

Standalone on purpose: only NumPy and the standard library are imported.
"""
import math

import numpy as np

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions"]

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
_OPTS = dict(_PROFILES["default"], sci_mode=None)

_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
_DEFAULT_DTYPES = ("float32", "int64", "bool", "complex64")  # dtypes whose name isn't printed


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Set printing options (same semantics as ``torch.set_printoptions``).

    ``profile`` ("default", "short", "full") is applied first, explicit values then
    override it. As in PyTorch, ``sci_mode`` is always reset (to None unless given).
    """
    if profile in _PROFILES:
        _OPTS.update(_PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                 linewidth=linewidth)
    _OPTS.update({k: v for k, v in given.items() if v is not None})
    _OPTS["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """Current options, as keyword arguments accepted by ``set_printoptions``."""
    return dict(_OPTS)


class _Formatter:
    """Decides the display mode and the common element width from the shown values."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating, self.int_mode, self.sci_mode, self.width = floating, True, False, 1
        if not floating:
            self.width = max([1] + [len(str(v)) for v in values.ravel().tolist()])
            return
        vals = values.ravel()
        vals = vals[np.isfinite(vals) & (vals != 0)].astype(np.float64)
        if vals.size == 0:  # only zeros / nan / inf: keep the defaults
            return
        absv = np.abs(vals)
        lo, hi = absv.min(), absv.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        forced = _OPTS["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if forced is None else forced
        prec = _OPTS["precision"]
        if self.sci_mode:
            fmt, extra = f"{{:.{prec}e}}", 0
        elif self.int_mode:  # room for the trailing "." marking a float
            fmt, extra = "{:.0f}", 1
        else:
            fmt, extra = f"{{:.{prec}f}}", 0
        self.width = max(len(fmt.format(v)) + extra for v in vals.tolist())

    def format(self, value) -> str:
        prec = _OPTS["precision"]
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{prec}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{prec}f}"
        return text.rjust(self.width)


class _ComplexFormatter:
    """PyTorch's complex display: the real and the imaginary parts each with its own
    formatter, joined as ``re+imj``."""

    def __init__(self, values: np.ndarray):
        self.real, self.imag = _Formatter(values.real, True), _Formatter(values.imag, True)
        self.width = self.real.width + self.imag.width + 1

    def format(self, value) -> str:
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return self.real.format(value.real) + (imag if imag[0] in "+-" else "+" + imag)


def _summarized(a: np.ndarray, edge: int) -> np.ndarray:
    """The elements a summarized print shows (what PyTorch sizes the formatter on)."""
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate((a[:edge], a[-edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return np.empty((0,) * a.ndim, dtype=a.dtype)
    n = a.shape[0]
    rows = list(range(edge)) + list(range(n - edge, n)) if n > 2 * edge else range(n)
    return np.stack([_summarized(a[i], edge) for i in rows])


def _format_nested(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = _OPTS["edgeitems"]
    if a.ndim == 0:
        return fmt.format(a.item())
    n = a.shape[0]
    if a.ndim == 1:
        if summarize and not edge:
            items = ["..."]
        elif summarize and n > 2 * edge:
            items = ([fmt.format(v) for v in a[:edge].tolist()] + [" ..."]
                     + [fmt.format(v) for v in a[-edge:].tolist()])
        else:
            items = [fmt.format(v) for v in a.tolist()]
        per_line = max(1, math.floor((_OPTS["linewidth"] - indent) / (fmt.width + 2)))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and n > 2 * edge:
        blocks = ([_format_nested(a[i], indent + 1, summarize, fmt) for i in range(edge)]
                  + ["..."]
                  + [_format_nested(a[i], indent + 1, summarize, fmt) for i in range(n - edge, n)])
    else:
        blocks = [_format_nested(a[i], indent + 1, summarize, fmt) for i in range(n)]
    # one blank line per extra dimension between blocks (none between rows of a matrix)
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(blocks) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Append ", suffix" items, wrapping onto a new indented line past linewidth."""
    out = [text]
    # PyTorch's own measure of the last line (two more than its length if one line)
    last_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_len + len(suffix) + 2 > _OPTS["linewidth"]:
            out.append(",\n" + " " * indent + suffix)
            last_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_len += len(suffix) + 2
    return "".join(out) + ")"


def tensor_repr(arr, *, dtype_name: str, device: str = "cpu", grad_fn_name: str | None = None,
                requires_grad: bool = False, namespace: str = "gradcore") -> str:
    """``repr`` of a tensor holding ``arr`` (host NumPy data), as PyTorch prints it,
    with ``torch.`` replaced by ``namespace + "."`` in the dtype suffix (line breaks are
    placed as for ``torch.``, so the text is PyTorch's character for character)."""
    a = np.asarray(arr, dtype=np.dtype(dtype_name))
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if device != "cpu":
        suffixes.append(f"device='{'cuda:0' if device == 'cuda' else device}'")
    # wrap as PyTorch would with "torch.", then rename: the layout stays exactly PyTorch's
    dtype_suffix = f"dtype=torch.{dtype_name}"
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dtype_name != "float32":  # nothing to infer the dtype from: always shown
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        edge = _OPTS["edgeitems"]
        if not edge:
            suffixes.append(f"size={tuple(a.shape)}")
        if dtype_name not in _DEFAULT_DTYPES:
            suffixes.append(dtype_suffix)
        summarize = a.size > _OPTS["threshold"]
        shown = _summarized(a, edge) if summarize else a
        fmt = (_ComplexFormatter(shown) if a.dtype.kind == "c"
               else _Formatter(shown, dtype_name in _FLOAT_DTYPES))
        body = _format_nested(a, indent, summarize, fmt)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    text = _add_suffixes(prefix + body, suffixes, indent)
    return text.replace("dtype=torch.", f"dtype={namespace}.")
