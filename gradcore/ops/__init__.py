"""gradcore's ops, one module per family, each op's forward and backward side by side.

Every module exports ``METHODS`` (bound onto Tensor here) and ``FUNCTIONS`` (exported at the
top level of ``gradcore``).  Binding the functions themselves as methods keeps a method call as
cheap as a function call.
"""
from ..tensor import Tensor
from . import (activation, conv, conversion, elementwise, factories, indexing, inplace, join,
               linalg, loss, normalization, reduction, shape, softmax)

MODULES = [shape, elementwise, conversion, reduction, inplace, factories, linalg, indexing, join,
           softmax, activation, normalization, conv, loss]

for _mod in MODULES:
    for _attr, _fn in getattr(_mod, "METHODS", {}).items():
        setattr(Tensor, _attr, _fn)

FUNCTIONS = {}
for _mod in MODULES:
    FUNCTIONS.update(getattr(_mod, "FUNCTIONS", {}))
