"""help() is useful: every public callable a user reaches -- gradcore.*, Tensor.*, nn,
nn.functional, optim, lr_scheduler, autograd, utils.data, linalg, distributions, special --
has a docstring, and an op's starts with its signature."""
import inspect

import gradcore
import gradcore.nn.functional as F
import gradcore.optim.lr_scheduler as lr_scheduler
import gradcore.utils.data as data
from gradcore import autograd, nn, optim


def _documented(obj):
    doc = getattr(obj, "__doc__", None)
    return bool(doc and doc.strip()) and doc is not object.__doc__


def _undocumented():
    missing = []
    for ns, label in ((gradcore, "gradcore"), (F, "nn.functional"), (autograd, "autograd"),
                      (data, "utils.data"), (gradcore.linalg, "linalg"),
                      (gradcore.distributions, "distributions"),
                      (gradcore.special, "special")):
        for name in dir(ns):
            obj = getattr(ns, name)
            if name.startswith("_") or inspect.ismodule(obj) or not callable(obj):
                continue
            if not _documented(obj):
                missing.append(f"{label}.{name}")
    for name in dir(gradcore.Tensor):
        obj = getattr(gradcore.Tensor, name)
        if not name.startswith("_") and (callable(obj) or isinstance(obj, property)):
            if not _documented(obj):
                missing.append(f"Tensor.{name}")
    for ns, label in ((nn, "nn"), (optim, "optim"), (lr_scheduler, "lr_scheduler")):
        for name in dir(ns):
            obj = getattr(ns, name)
            if inspect.isclass(obj) and not _documented(obj):
                missing.append(f"{label}.{name}")
    return missing


def test_every_public_callable_has_a_docstring():
    assert _undocumented() == []


def test_op_docstrings_start_with_their_signature():
    from gradcore.ops import FUNCTIONS
    for name, fn in FUNCTIONS.items():
        if name.startswith("_"):
            continue
        first = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        # the function's own name or the name it is an alias of
        assert "(" in first and first.split("(")[0] in (name, fn.__name__), (name, first)
