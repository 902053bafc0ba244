"""torch.nn.modules.module's path: Module and the global module hooks (gradcore/nn/module.py)."""
from ..module import *  # noqa: F401,F403
from ..module import Module  # noqa: F401
