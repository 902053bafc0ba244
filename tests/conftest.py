"""Shared fixtures: the ``device`` fixture (cpu, and cuda when a device answers), the ``gpu``
marker (skips without CUDA), and ``torch`` (PyTorch for parity checks, skipped when absent)."""
import numpy as np
import pytest

import gradcore

HAS_CUDA = gradcore.cuda.is_available()
DEVICES = ["cpu"] + (["cuda"] if HAS_CUDA else [])


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords and not HAS_CUDA:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seeded_gradcore():
    """Every test starts from gradcore seeded with 0: an unseeded process draws fresh numbers
    each run (as PyTorch), so without this a test's random inputs would change run to run."""
    gradcore.manual_seed(0)


@pytest.fixture(params=DEVICES)
def device(request):
    return gradcore.device(request.param)


@pytest.fixture
def torch():
    """PyTorch (the test skips without it), its global generator seeded: modules a test builds
    with PyTorch's default init get the same weights on every run, so a tolerance is met or
    missed deterministically, never by chance."""
    t = pytest.importorskip("torch")
    t.manual_seed(0)
    return t


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
