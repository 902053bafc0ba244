"""gradcore.multiprocessing (torch.multiprocessing): Python's multiprocessing re-exported,
spawn / start_processes with ProcessContext and PyTorch's exceptions (a child's traceback
raised in the parent), the sharing-strategy settings, and tensors crossing a Queue."""
import multiprocessing
import os
import sys

import pytest

import gradcore
import gradcore.multiprocessing as gmp

sys.path.insert(0, os.path.dirname(__file__))
import _mp_workers as W  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork used for speed")


def test_reexports_multiprocessing():
    for name in ("Process", "Queue", "get_context", "Pool", "cpu_count", "Event"):
        assert getattr(gmp, name) is getattr(multiprocessing, name)
    assert set(multiprocessing.__all__) <= set(gmp.__all__)


def test_sharing_strategy(torch):
    assert gmp.get_all_sharing_strategies() == torch.multiprocessing.get_all_sharing_strategies()
    assert gmp.get_sharing_strategy() == torch.multiprocessing.get_sharing_strategy()
    gmp.set_sharing_strategy("file_system")
    try:
        assert gmp.get_sharing_strategy() == "file_system"
    finally:
        gmp.set_sharing_strategy("file_descriptor")
    msgs = []
    for lib in (gmp, torch.multiprocessing):
        with pytest.raises(AssertionError) as info:
            lib.set_sharing_strategy("nope")
        msgs.append(str(info.value).split(", expected")[0])
    assert msgs[0] == msgs[1] == "invalid sharing strategy 'nope'"


def test_tensors_cross_a_queue():
    ctx = gmp.get_context("fork")
    q = ctx.Queue()
    context = gmp.start_processes(W.put_tensor, args=(q,), nprocs=2, join=False,
                                  start_method="fork")
    got = sorted((q.get(timeout=60) for _ in range(2)), key=lambda r: r[0])
    while not context.join(timeout=60):
        pass
    assert [r[0] for r in got] == [0, 1]
    for rank, a, b, p in got:
        assert isinstance(a, gradcore.Tensor) and a.tolist() == [0.0, rank + 1, 2 * (rank + 1)]
        assert b.dtype is gradcore.int32 and b.tolist() == [rank]
        assert type(p) is gradcore.nn.Parameter and p.requires_grad and p.tolist() == [1.0, 1.0]


def test_queue_sends_a_copy_and_refuses_non_leaves():
    from multiprocessing.reduction import ForkingPickler
    import pickle
    t = gradcore.arange(4.0, dtype=gradcore.float64).reshape(2, 2).t()
    back = pickle.loads(ForkingPickler.dumps(t))
    assert back.tolist() == t.tolist() and back.dtype is gradcore.float64
    back[0, 0] = 9.0
    assert t[0, 0].item() == 0.0  # a copy
    y = gradcore.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(y)
    assert pickle.loads(ForkingPickler.dumps(y.detach())).tolist() == [2.0, 2.0]


def test_start_processes_runs_fn_with_its_index(tmp_path):
    assert gmp.start_processes(W.write_rank, args=(str(tmp_path),), nprocs=3,
                               start_method="fork") is None
    assert sorted(os.listdir(tmp_path)) == ["rank0", "rank1", "rank2"]


def test_child_exception_raised_in_parent_with_its_traceback():
    with pytest.raises(gmp.ProcessRaisedException) as info:
        gmp.start_processes(W.fail_on_one, nprocs=2, start_method="fork")
    e = info.value
    assert e.error_index == 1 and isinstance(e.error_pid, int)
    text = str(e)
    assert text.startswith("\n\n-- Process 1 terminated with the following error:\nTraceback")
    assert "ValueError: rank 1 is broken" in text and "fail_on_one" in text


def test_exit_code_raised_as_process_exited():
    with pytest.raises(gmp.ProcessExitedException,
                       match="process 0 terminated with exit code 3") as info:
        gmp.start_processes(W.exit_with_three, nprocs=1, start_method="fork")
    assert info.value.exit_code == 3


def test_spawn_uses_spawn_and_warns_for_another_method(tmp_path, torch):
    with pytest.warns(FutureWarning, match="This method only supports start_method=spawn"):
        context = gmp.spawn(W.write_rank, args=(str(tmp_path),), nprocs=1, join=False,
                            start_method="fork")
    assert isinstance(context, gmp.ProcessContext) and len(context.pids()) == 1
    while not context.join(timeout=120):
        pass
    assert os.listdir(tmp_path) == ["rank0"]


def test_exceptions_pickle():
    import pickle
    e = pickle.loads(pickle.dumps(gmp.ProcessExitedException("m", 1, 2, exit_code=3,
                                                              signal_name="SIGKILL")))
    assert (e.msg, e.error_index, e.error_pid, e.exit_code, e.signal_name) == \
        ("m", 1, 2, 3, "SIGKILL")
