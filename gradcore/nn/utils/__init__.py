"""gradcore.nn.utils: gradient clipping, parameter/vector conversion, weight and spectral norm,
parametrizations, fusion, pruning (clip_grad.py ...), and the packed sequences of recurrent
layers (rnn.py)."""
from . import rnn  # noqa: F401
from .clip_grad import *  # noqa: F401,F403
