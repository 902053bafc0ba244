"""gradcore's ops, one module per family, each op's forward and backward side by side.

Ops declared with ops/declare.py are bound from their declarations; the other modules'
``METHODS`` are bound onto Tensor here and their ``FUNCTIONS`` exported at the top level of
``gradcore``.  Binding the functions themselves as methods keeps a method call as
cheap as a function call.
"""
from ..tensor import Tensor
from . import out as _out, toplevel
from . import (activation, conv, conversion, declare, elementwise, factories, indexing, inplace,
               join, linalg, loss, normalization, reduction, shape, softmax, special,
               unary_math, binary_math, sorting, scan, structure, contraction, random,
               complex_ops, rnn, attention, resample, distance, fractional_pool, ctc,
               windows_fn, conv_tbc)
from . import views_more, dlpack, foreach
from . import bias_act  # noqa: F401  (registers the bias + activation kernels)

MODULES = [shape, elementwise, conversion, reduction, inplace, factories, linalg, indexing, join,
           softmax, activation, normalization, conv, loss, special, unary_math, binary_math, sorting,
           scan, structure, contraction, random, complex_ops, rnn, attention,
           resample, distance, fractional_pool, ctc, windows_fn, conv_tbc, views_more, toplevel,
           dlpack, foreach]

for _mod in MODULES:
    for _attr, _fn in getattr(_mod, "METHODS", {}).items():
        setattr(Tensor, _attr, _fn)

FUNCTIONS = {}
for _mod in MODULES:
    FUNCTIONS.update(getattr(_mod, "FUNCTIONS", {}))
declare.bind(Tensor, FUNCTIONS)  # the declared ops (ops/declare.py), and their vocabulary
inplace.check_forms(declare.OPS)
_out.wrap_namespace(FUNCTIONS)  # out= on the functions PyTorch gives one (ops/out.py)
