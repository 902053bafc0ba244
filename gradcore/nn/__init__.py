"""gradcore.nn: modules, parameters, layers, losses, functional, init (PyTorch's names)."""
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
from .module import Module  # noqa: F401
from .containers import (Sequential, ModuleList, ModuleDict, ParameterList,  # noqa: F401
                         ParameterDict)
from .modules import *  # noqa: F401,F403
from . import functional, init, utils  # noqa: F401
from . import parallel  # noqa: F401,E402  (DistributedDataParallel; imports gradcore.distributed)
