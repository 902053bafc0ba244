"""OpInfo entries for the activations declared in gradcore/ops/activation.py (registered into
op_db.OP_DB).  PyTorch has them only under nn.functional (logsigmoid for log_sigmoid)."""
from op_db import distinct, register, unary

MODULE = "activation"


def _functional(name):
    return lambda lib, x: getattr(lib.nn.functional, name)(x)


register("silu", _functional("silu"), unary, module=MODULE)
register("mish", _functional("mish"), unary, module=MODULE)
register("hardswish", _functional("hardswish"), unary, domain=distinct, module=MODULE)
register("hardsigmoid", _functional("hardsigmoid"), unary, domain=distinct, module=MODULE)
register("log_sigmoid", _functional("logsigmoid"), unary, module=MODULE)
