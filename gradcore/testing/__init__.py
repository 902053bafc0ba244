"""gradcore.testing: torch.testing -- ``assert_close`` (PyTorch's semantics, default
tolerances and messages; _comparison.py), ``make_tensor`` (PyTorch's value ranges;
_creation.py) and the deprecated ``assert_allclose``."""
from ._comparison import assert_allclose, assert_close  # noqa: F401
from ._creation import make_tensor  # noqa: F401

__all__ = ["assert_close", "assert_allclose", "make_tensor"]
