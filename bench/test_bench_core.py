"""pytest-benchmark: gradcore vs PyTorch CPU on the core workloads (same process).

Run: ``python -m pytest bench -q --benchmark-group-by=func`` (torch rows skip without torch).
"""

import pytest

from workloads import TRAINING, WORKLOADS


@pytest.fixture(params=["gradcore", "torch"])
def lib(request):
    mod = pytest.importorskip(request.param)
    pytest.importorskip(request.param + ".nn")
    pytest.importorskip(request.param + ".optim")
    return mod


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_core(benchmark, lib, name):
    benchmark.group = name
    benchmark(WORKLOADS[name](lib))


@pytest.mark.parametrize("name", sorted(TRAINING))
def test_training(benchmark, lib, name):
    benchmark.group = name
    benchmark(TRAINING[name](lib))


