"""gradcore's ops, one module per family, each op's forward and backward side by side.

Every module exports ``METHODS`` (bound onto Tensor here) and ``FUNCTIONS`` (exported at the
top level of ``gradcore``).  Binding the functions themselves as methods keeps a method call as
cheap as a function call.
"""
from ..tensor import Tensor
from . import elementwise, factories, inplace, reduction, shape

MODULES = [shape, elementwise, reduction, inplace, factories]


def _optional(name):
    """Families written in parallel: bound when present."""
    import importlib
    try:
        MODULES.append(importlib.import_module(f"{__name__}.{name}"))
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{name}":
            raise


for _name in ("linalg", "indexing", "join", "softmax"):
    _optional(_name)

for _mod in MODULES:
    for _attr, _fn in getattr(_mod, "METHODS", {}).items():
        setattr(Tensor, _attr, _fn)

FUNCTIONS = {}
for _mod in MODULES:
    FUNCTIONS.update(getattr(_mod, "FUNCTIONS", {}))
