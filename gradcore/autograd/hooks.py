"""Hook registration: a handle whose ``remove()`` takes the hook out again."""
import itertools

_ids = itertools.count()


class RemovableHandle:
    __slots__ = ("_hooks", "id")

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(_ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, fn):
    """Insert fn into the ordered dict ``hooks`` and return its handle."""
    if not callable(fn):
        raise TypeError(f"hook must be callable, got {type(fn).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle
