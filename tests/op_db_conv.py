"""OpInfo entries for gradcore/ops/conv.py (registered into op_db.OP_DB): the convolutions
through each of their routes (the input gradient through the forward kernel at stride 1, the
column scatter when strided or when the output has more than twice the input's channels; the
batch-innermost layout for a batch at least the output plane) and the pools (max pool's small
and large tap searches, adaptive pools whose windows tile the input and whose do not).  The
generic tests run them: PyTorch parity, gradcheck / gradgradcheck, and each node's
array_backward against its Tensor backward bit for bit."""
from op_db import S, distinct, register


def _F(lib):
    return lib.nn.functional


def conv2d_samples(make):
    yield S(make(1, 2, 4, 4), make(3, 2, 2, 2, i=1), make(3, i=2), padding=1)
    yield S(make(1, 2, 4, 3), make(2, 2, 3, 2, i=1), stride=2, padding=(1, 0))
    yield S(make(1, 2, 4, 4), make(2, 1, 3, 3, i=1), make(2, i=2), groups=2, dilation=2,
            padding=2)
    yield S(make(1, 1, 4, 5), make(2, 1, 2, 3, i=1), padding="same")
    yield S(make(1, 1, 4, 4), make(5, 1, 2, 2, i=1), make(5, i=2))  # O > 2C: the scatter
    yield S(make(9, 1, 2, 1), make(2, 1, 2, 1, i=1), make(2, i=2), padding=1)  # batch last
    yield S(make(1, 2, 4, 4), make(2, 1, 3, 3, i=1), groups=2, padding=1)  # depthwise


def conv1d_samples(make):
    yield S(make(2, 3, 5), make(4, 3, 2, i=1), make(4, i=2), padding=1)
    yield S(make(1, 2, 9), make(3, 2, 2, i=1), stride=3, dilation=2)


def conv3d_samples(make):
    yield S(make(1, 1, 3, 3, 3), make(2, 1, 2, 2, 2, i=1), make(2, i=2), padding=(0, 1, 1))


def conv_transpose2d_samples(make):
    yield S(make(1, 2, 3, 3), make(2, 2, 2, 3, i=1), make(2, i=2), padding=1)
    yield S(make(1, 2, 3, 3), make(2, 2, 3, 2, i=1), stride=2, padding=1, output_padding=1)
    yield S(make(1, 2, 3, 4), make(2, 2, 2, 2, i=1), make(4, i=2), groups=2, dilation=2,
            output_padding=1)


def conv_transpose1d_samples(make):
    yield S(make(2, 3, 5), make(3, 2, 3, i=1), make(2, i=2))
    yield S(make(1, 2, 4), make(2, 3, 3, i=1), stride=2, output_padding=1)


def _conv(name):
    return lambda lib, x, w, b=None, **k: getattr(_F(lib), name)(x, w, b, **k)


for _name, _samples in (("conv2d", conv2d_samples), ("conv1d", conv1d_samples),
                        ("conv3d", conv3d_samples),
                        ("conv_transpose2d", conv_transpose2d_samples),
                        ("conv_transpose1d", conv_transpose1d_samples)):
    register(_name, _conv(_name), _samples, module="conv")

def max_pool2d_samples(make):
    yield S(make(1, 2, 4, 4), args=(2,))  # tiles exactly
    yield S(make(1, 1, 5, 5), args=(3, 2, 1))  # padded, overlapping
    yield S(make(1, 1, 5, 6), args=((2, 3),), stride=(1, 2), dilation=(2, 1), ceil_mode=True)


register("max_pool2d", lambda lib, x, *a, **k: _F(lib).max_pool2d(x, *a, **k),
         max_pool2d_samples, domain=distinct, module="conv")
register("max_pool2d_with_indices",
         lambda lib, x, *a: _F(lib).max_pool2d(x, *a, return_indices=True),
         lambda make: [S(make(1, 2, 4, 4), args=(2,))], domain=distinct, module="conv")
register("max_pool1d", lambda lib, x, *a, **k: _F(lib).max_pool1d(x, *a, **k),
         lambda make: [S(make(2, 2, 8), args=(2,)), S(make(1, 2, 7), args=(3, 2, 1))],
         domain=distinct, module="conv")
register("avg_pool2d", lambda lib, x, *a, **k: _F(lib).avg_pool2d(x, *a, **k),
         lambda make: [S(make(1, 2, 4, 4), args=(2,)),
                       S(make(1, 1, 5, 5), args=(3, 2, 1), count_include_pad=False),
                       S(make(1, 1, 5, 4), args=(2,), ceil_mode=True, divisor_override=3)],
         module="conv")
register("adaptive_avg_pool2d", lambda lib, x, o: _F(lib).adaptive_avg_pool2d(x, o),
         lambda make: [S(make(1, 1, 4, 6), args=((2, 3),)), S(make(1, 1, 5, 6), args=(3,))],
         module="conv")
register("adaptive_max_pool2d", lambda lib, x, o: _F(lib).adaptive_max_pool2d(x, o),
         lambda make: [S(make(1, 1, 4, 6), args=((2, 3),)), S(make(1, 1, 5, 6), args=(3,))],
         domain=distinct, module="conv")
