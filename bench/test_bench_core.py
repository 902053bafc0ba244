"""pytest-benchmark: the workloads of ``python -m gradcore.bench`` (gradcore/bench/workloads.py)
for gradcore and PyTorch on the CPU, and on cuda:0 where a GPU answers (same process).

Run: ``python -m pytest bench -q --benchmark-group-by=group`` (torch rows skip without torch,
cuda rows without a GPU).  Add ``-k "not sweep"`` to skip the size sweep.
"""

import pytest

from gradcore.bench.workloads import WORKLOADS, workload_plan

PLAN = {name: (group, size, make) for name, group, size, make in workload_plan("cpu")}


def _lib(name):
    mod = pytest.importorskip(name)
    pytest.importorskip(name + ".nn")
    pytest.importorskip(name + ".optim")
    return mod


@pytest.fixture(params=["gradcore", "torch"])
def lib(request):
    return _lib(request.param)


@pytest.fixture(params=["cpu", "cuda"])
def device(request, lib):
    if request.param == "cuda" and not lib.cuda.is_available():
        pytest.skip("no CUDA device")
    return request.param if request.param == "cpu" else "cuda:0"


def _synced(fn, lib, device):
    if device == "cpu":
        return fn
    sync = lib.cuda.synchronize

    def run():
        fn()
        sync()
    return run


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_core(benchmark, lib, name):
    benchmark.group = name
    benchmark(WORKLOADS[name](lib))


@pytest.mark.parametrize("name", list(PLAN))
def test_workload(benchmark, lib, device, name):
    group, size, make = PLAN[name]
    benchmark.group = name
    fn = make(lib, device) if size is None else make(lib, device, size)
    benchmark(_synced(fn, lib, device))
