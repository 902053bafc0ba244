"""Both backends implement backend/protocol.py's Backend, with its signatures (the CUDA one
built without a GPU), and gradcore uses every member of it."""
import inspect

import numpy as np

from gradcore.backend import cpu_backend
from gradcore.backend.cupy_backend import CupyBackend
from gradcore.backend.protocol import Backend


def _methods():
    return [n for n, v in vars(Backend).items() if callable(v) and not n.startswith("_")]


def test_both_backends_implement_the_protocol():
    for be in (cpu_backend(), CupyBackend(0, xp=np)):
        assert isinstance(be, Backend), type(be).__name__
        for name in _methods():
            want = list(inspect.signature(getattr(Backend, name)).parameters)
            got = list(inspect.signature(getattr(type(be), name)).parameters)
            assert got[:len(want)] == want, (type(be).__name__, name, got, want)


def test_gradcore_uses_every_member_of_the_protocol():
    # nothing dead in the contract: each member is used outside the backends
    import os
    import gradcore
    root = os.path.dirname(gradcore.__file__)
    text = ""
    for folder, _, files in os.walk(root):
        if os.path.basename(folder) != "backend":
            text += "".join(open(os.path.join(folder, f)).read() for f in files
                            if f.endswith(".py"))
    unused = [n for n in _methods() + ["xp", "launches_kernels"] if f".{n}" not in text]
    assert unused == []
