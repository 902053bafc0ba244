"""torch.types: the typing aliases PyTorch code annotates with (Number, Device, FileLike,
_size, _dtype, _device, _TensorOrTensors ...), for annotations only."""
import os
from builtins import (bool as _bool, bytes as _bytes, complex as _complex,  # noqa: F401
                      float as _float, int as _int, str as _str)
from typing import IO, Sequence, Union

from ._device import device as _device
from ._dtype import dtype as _dtype
from .sparse import layout as _layout
from .tensor import Size, Tensor

__all__ = ["Number", "Device", "FileLike"]

_TensorOrTensors = Union[Tensor, Sequence[Tensor]]
_TensorOrOptionalTensors = Union[Tensor, Sequence[Union[Tensor, None]]]
_size = Union[Size, list, tuple]
IntLikeType = int
FloatLikeType = float
BoolLikeType = bool
Number = Union[int, float, bool]
_Number = (int, float, bool)
FileLike = Union[str, os.PathLike, IO[bytes]]
Device = Union[_device, str, int, None]
