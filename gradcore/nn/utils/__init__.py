"""gradcore.nn.utils: gradient clipping, parameter/vector conversion, weight and spectral norm,
parametrizations, fusion, pruning (clip_grad.py ...), and the packed sequences of recurrent
layers (rnn.py)."""
from . import rnn  # noqa: F401
from .clip_grad import *  # noqa: F401,F403
from . import convert_parameters, fusion, parametrizations, parametrize, prune  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa: F401
                     fuse_linear_bn_weights)
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401
