"""gradcore.profiler (torch.profiler, minimal): real per-op CPU timings by name, children's
time taken out of self time, record_function spans, schedule/step as PyTorch's, the table's
layout as PyTorch's, and every wrapped name put back afterwards."""
import time

import pytest

import gradcore
from gradcore.profiler import (ProfilerAction, ProfilerActivity, profile, record_function,
                               schedule)


def _rows(avgs):
    return {e.key: e for e in avgs}


def test_counts_names_and_restores_the_namespace():
    x = gradcore.randn(8, 8)
    lin = gradcore.nn.functional.linear
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(3):
            (gradcore.mm(x, x).relu() + 1).sum()
            gradcore.nn.functional.linear(x, x)  # looked up while recording
            lin(x, x)  # a reference taken before: not a row of its own
            x[0]
    rows = _rows(prof.key_averages())
    assert {k: rows[k].count for k in ("mm", "relu", "add", "sum", "linear", "getitem")} == \
        {"mm": 3, "relu": 3, "add": 3, "sum": 3, "linear": 3, "getitem": 3}
    shaped = _rows(prof.key_averages(group_by_input_shape=True))
    assert shaped["mm"].input_shapes == [[8, 8], [8, 8]]
    for fn in (gradcore.mm, gradcore.Tensor.relu, gradcore.Tensor.__add__,
               gradcore.nn.functional.linear):
        assert not hasattr(fn, "__gradcore_profiled__")
    assert gradcore.nn.functional.linear is lin


def test_timings_are_real():
    a = gradcore.randn(200, 200, dtype=gradcore.float64)
    with profile() as prof:  # the clock starts inside: entering the profile wraps every op
        t0 = time.perf_counter()
        for _ in range(10):
            gradcore.mm(a, a)
        wall_us = (time.perf_counter() - t0) * 1e6
    mm = _rows(prof.key_averages())["mm"]
    total = prof.key_averages().self_cpu_time_total
    assert mm.cpu_time_total <= total
    assert mm.cpu_time_total <= wall_us
    assert mm.cpu_time_total > 0.5 * wall_us  # the block's work is the matmuls
    assert abs(mm.cpu_time - mm.cpu_time_total / 10) < 1e-9


def test_record_function_is_a_parent_span():
    x = gradcore.randn(50, 50)
    with profile() as prof:
        with record_function("block"):
            gradcore.mm(x, x)
            x.sin()

        @record_function("decorated")
        def f():
            return x.cos()
        f()
    rows = _rows(prof.key_averages())
    block = rows["block"]
    inner = rows["mm"].cpu_time_total + rows["sin"].cpu_time_total
    assert block.cpu_time_total >= inner
    assert block.self_cpu_time_total == pytest.approx(block.cpu_time_total - inner, abs=1e-6)
    assert rows["decorated"].count == 1 and rows["cos"].count == 1
    with record_function("nothing recording"):  # harmless outside a profile
        pass


def test_an_error_inside_still_restores():
    with pytest.raises(ValueError):
        with profile():
            gradcore.ones(2).sum()
            raise ValueError("inside")
    assert not hasattr(gradcore.Tensor.sum, "__gradcore_profiled__")


def test_schedule_matches_torch(torch):
    for kw in (dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=2, active=1, repeat=2),
               dict(wait=2, warmup=1, active=3, skip_first=3),
               dict(wait=5, warmup=1, active=1, skip_first=2, skip_first_wait=1)):
        mine, theirs = schedule(**kw), torch.profiler.schedule(**kw)
        assert [mine(s).name for s in range(20)] == [theirs(s).name for s in range(20)]
    msgs = []
    for lib in (gradcore, torch):
        with pytest.raises(AssertionError) as info:
            lib.profiler.schedule(wait=0, warmup=1, active=0)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_step_records_the_scheduled_steps_and_calls_on_trace_ready():
    saved = []
    x = gradcore.ones(3)
    with profile(schedule=schedule(wait=1, warmup=1, active=2),
                 on_trace_ready=lambda p: saved.append(_rows(p.key_averages())["mul"].count)) \
            as prof:
        for i in range(8):
            for _ in range(i + 1):
                x * 2  # step i does i + 1 multiplications
            prof.step()
    # cycles of 4 steps: steps 2-3 and 6-7 recorded, (3 + 4) and (7 + 8) multiplications
    assert saved == [7, 15]
    assert ProfilerAction.RECORD_AND_SAVE.name == "RECORD_AND_SAVE"


def test_table_layout_matches_torch(torch):
    outs = []
    for lib in (gradcore, torch):
        x = lib.ones(4, 4)
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU]) as prof:
            for _ in range(2):
                lib.mm(x, x)
        table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=1)
        lines = table.splitlines()
        outs.append((lines[1].split(), len(lines), lines[-1].split(":")[0],
                     set(lines[0]) | set(lines[2]), lines[3].split()[-1]))
    assert outs[0] == outs[1]
