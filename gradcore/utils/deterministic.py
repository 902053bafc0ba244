"""torch.utils.deterministic: ``fill_uninitialized_memory`` (default True), whether empty,
empty_like, new_empty and empty_strided fill their result (NaN; an integer dtype's largest
value) while use_deterministic_algorithms(True) is on.  As PyTorch's, this module is an
instance of a ModuleType subclass, so the attribute reads and writes the global flag."""
import sys
import types

from .. import _deterministic


class _Deterministic(types.ModuleType):
    """The module's class: fill_uninitialized_memory as a property over the global flag."""

    @property
    def fill_uninitialized_memory(self):
        """Whether uninitialized memory is filled under deterministic algorithms (bool)."""
        return _deterministic.state["fill_uninitialized_memory"]

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode):
        if not isinstance(mode, bool):
            raise RuntimeError("expected a bool, but got " + type(mode).__name__)
        _deterministic.state["fill_uninitialized_memory"] = mode


sys.modules[__name__].__class__ = _Deterministic
