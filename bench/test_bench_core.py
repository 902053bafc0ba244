"""pytest-benchmark: gradcore vs PyTorch CPU on the core workloads (same process).

Run: ``python -m pytest bench -q --benchmark-group-by=func`` (torch rows skip without torch).
"""

import pytest

from workloads import WORKLOADS


@pytest.fixture(params=["gradcore", "torch"])
def lib(request):
    mod = pytest.importorskip(request.param)
    if request.param == "torch":
        mod.set_num_threads(1)
    return mod


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_core(benchmark, lib, name):
    benchmark.group = name
    benchmark(WORKLOADS[name](lib))


