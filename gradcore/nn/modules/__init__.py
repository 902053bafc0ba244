"""Layer and loss modules, one file per family."""
from .linear import Linear, Identity, Flatten, Unflatten  # noqa: F401
from .activation import ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .sparse import Embedding  # noqa: F401
from .normalization import LayerNorm  # noqa: F401
from .batchnorm import BatchNorm1d, BatchNorm2d  # noqa: F401
from .conv import Conv2d  # noqa: F401
from .pooling import MaxPool2d, AvgPool2d, AdaptiveAvgPool2d  # noqa: F401
from .loss import (MSELoss, L1Loss, SmoothL1Loss, CrossEntropyLoss, NLLLoss,  # noqa: F401
                   BCELoss, BCEWithLogitsLoss)
