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


def test_a_registered_device_type_is_built_once_per_index_and_cached_only_when_built(
        monkeypatch):
    from gradcore import backend
    monkeypatch.setattr(backend, "_built", {})
    monkeypatch.setattr(backend, "_factories", {})
    made = []

    def factory(index, seed):
        made.append((index, seed))
        if len(made) == 1:
            raise RuntimeError("not yet")
        return CupyBackend(index, seed, xp=np)

    backend.register_backend("cuda", factory)
    try:
        backend.get_backend("cuda:1")
    except RuntimeError as e:
        assert str(e) == "not yet"
    else:
        raise AssertionError("the factory's error was swallowed")
    assert backend._built == {}
    be = backend.get_backend("cuda:1")
    assert backend.get_backend("cuda:1") is be and be.index == 1
    assert [i for i, _ in made] == [1, 1]
    monkeypatch.setattr(backend, "_factories", {})
    monkeypatch.setattr(backend, "_built", {})
    try:
        backend.get_backend("cuda:0")
    except RuntimeError as e:
        assert "no backend for device type 'cuda'" in str(e)
    else:
        raise AssertionError("a device type without a backend was served")
