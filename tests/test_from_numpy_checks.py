"""from_numpy / as_tensor / asarray on arrays PyTorch cannot share: negative strides (ValueError,
PyTorch's message) and read-only arrays (PyTorch's UserWarning, once per process)."""
import warnings

import numpy as np
import pytest

import gradcore
from gradcore.ops import factories


SHARERS = ("from_numpy", "as_tensor", "asarray")


def _error(lib, name, arr):
    with pytest.raises(Exception) as info:
        getattr(lib, name)(arr)
    return info.type, str(info.value)


@pytest.mark.parametrize("name", SHARERS)
@pytest.mark.parametrize("make", [lambda: np.arange(6.0)[::-1],
                                  lambda: np.arange(12, dtype=np.int64).reshape(3, 4)[:, ::-2],
                                  lambda: np.zeros((2, 3), np.float32)[::-1]])
def test_negative_strides_refused_as_pytorch(torch, name, make):
    got = _error(gradcore, name, make())
    assert got == _error(torch, name, make())
    assert got[0] is ValueError and "negative" in got[1]


def test_positive_strided_view_still_shared():
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    t = gradcore.from_numpy(a)
    assert t.stride() == (4, 2)
    a[0, 0] = 7.0
    assert t[0, 0].item() == 7.0


def test_read_only_array_warns_once(monkeypatch, torch):
    monkeypatch.setattr(factories, "_WARNED_NOT_WRITABLE", [])
    r = np.zeros(3)
    r.flags.writeable = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = gradcore.from_numpy(r)
        gradcore.as_tensor(r)
    msgs = [str(w.message) for w in caught if w.category is UserWarning]
    assert len(msgs) == 1 and msgs[0].startswith("The given NumPy array is not writable")
    assert t.shape == (3,)
    with warnings.catch_warnings(record=True) as tcaught:   # torch's own text, first words
        warnings.simplefilter("always")
        torch.as_tensor(np.broadcast_to(np.zeros(1), (4,)))
    tmsgs = [str(w.message) for w in tcaught]
    if tmsgs:   # torch suppresses it after its first time in this process
        assert tmsgs[0].split(" This type")[0] == msgs[0].split(" This type")[0]


def test_writable_array_no_warning(monkeypatch):
    monkeypatch.setattr(factories, "_WARNED_NOT_WRITABLE", [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcore.from_numpy(np.zeros(3))
