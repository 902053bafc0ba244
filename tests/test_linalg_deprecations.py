"""The legacy linalg names warn as PyTorch's do: its UserWarning text, once per process (the
torch.<name> function and the Tensor method share the once)."""
import json
import subprocess
import sys
import warnings

import pytest

import gradcore
from gradcore.linalg import _deprecated

CALLS = {
    "qr": "m.qr() if method else lib.qr(m)",
    "cholesky": "spd.cholesky() if method else lib.cholesky(spd)",
    "lu": "m.lu() if method else lib.lu(m)",
    "lu_solve": "m.lu_solve(*lib.linalg.lu_factor(m)) if method else "
                "lib.lu_solve(m, *lib.linalg.lu_factor(m))",
}

SCRIPT = """
import json, sys, warnings
lib = __import__(sys.argv[1])
calls = json.loads(sys.argv[2])
method = sys.argv[3] == "method"
m = lib.tensor([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
spd = m
out = {}
for name, call in calls.items():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(2):
            eval(call)
    out[name] = [(x.category.__name__, str(x.message).split(" (Triggered internally")[0])
                 for x in w]
print(json.dumps(out))
"""


def _warnings(lib, form):
    """Each name called twice in a fresh process (PyTorch's once-flags are per process)."""
    out = subprocess.run([sys.executable, "-c", SCRIPT, lib, json.dumps(CALLS), form],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("form", ["function", "method"])
def test_deprecation_warnings_are_torchs_and_given_once(torch, form):
    got = _warnings("gradcore", form)
    assert got == _warnings("torch", form)
    assert sorted(got) == sorted(CALLS)
    for name, ws in got.items():
        assert len(ws) == 1 and ws[0][0] == "UserWarning", name


def test_the_once_is_shared_by_function_and_method(monkeypatch):
    monkeypatch.setattr(_deprecated, "_SEEN", set())
    m = gradcore.tensor([[2.0, 0.0], [0.0, 3.0]])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        gradcore.qr(m)
        m.qr()
    assert [str(x.message) for x in w] == [_deprecated.MESSAGES["qr"]]
