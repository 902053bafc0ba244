"""Backends to measure and the timer: warm-up, repeats, the median, device sync around clocks."""
import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Backend:
    lib_name: str            # "gradcore" or "torch"
    device: str              # "cpu" or "cuda:0"
    lib: object = field(repr=False)
    sync: Callable = field(repr=False)

    @property
    def name(self):
        return f"{self.lib_name}-{self.device.split(':')[0]}"

    @property
    def device_type(self):
        return self.device.split(":")[0]


def _nothing():
    return None


class DeviceUnavailable(RuntimeError):
    """``--device cuda`` was asked for and gradcore can't use a CUDA device (the message says
    why and what to install)."""


def find_backends(device="all", say=print):
    """The backends to run for ``--device`` (all, cpu, cuda), and a note for each one skipped.
    gradcore on the CPU always runs: every ratio is taken against it.  ``--device all`` without
    a GPU notes that cuda is skipped and runs the CPU backends; ``--device cuda`` without one
    raises DeviceUnavailable (the command exits 2 with its message)."""
    import gradcore
    import gradcore.nn  # noqa: F401
    import gradcore.optim  # noqa: F401
    import gradcore.cuda
    backends = [Backend("gradcore", "cpu", gradcore, _nothing)]
    want_cuda = device in ("all", "cuda")
    if want_cuda:
        why = cuda_problem()
        if why is None:
            backends.append(Backend("gradcore", "cuda:0", gradcore, gradcore.cuda.synchronize))
        elif device == "cuda":
            raise DeviceUnavailable(f"--device cuda, but gradcore can't use a CUDA device "
                                    f"here: {why}")
        else:
            say(f"note: no CUDA device for gradcore ({why}): gradcore-cuda skipped")
    try:
        import torch
        import torch.nn  # noqa: F401
        import torch.optim  # noqa: F401
    except Exception as e:  # ImportError, or a broken install
        say(f"note: PyTorch is not available ({type(e).__name__}: {e}): torch rows skipped "
            "(pip install torch to compare)")
        return backends
    if device in ("all", "cpu") or not any(b.device_type == "cuda" for b in backends):
        backends.append(Backend("torch", "cpu", torch, _nothing))
    if want_cuda:
        if torch.cuda.is_available():
            backends.append(Backend("torch", "cuda:0", torch, torch.cuda.synchronize))
        else:
            say(f"note: torch {torch.__version__} sees no CUDA device: torch-cuda skipped")
    return backends


def cuda_problem():
    """None when gradcore can use cuda:0, else why not (no CuPy / no driver / no device / a
    CUDA library missing, and what to install), on one line."""
    import gradcore.cuda
    return gradcore.cuda.why_unavailable("cuda:0")


def median_time(fn, sync=_nothing, repeat=7, warmup=3, target_s=0.05, max_number=10_000,
                warmup_s=0.0, clock=time.perf_counter):
    """Seconds per call of ``fn``: (median, per-batch times, calls per batch); see
    ``median_times``."""
    out = median_times([fn], [sync], repeat, warmup, target_s, max_number, warmup_s, clock)[0]
    if isinstance(out, Exception):
        raise out
    return out


def median_times(fns, syncs, repeat=7, warmup=3, target_s=0.05, max_number=10_000,
                 warmup_s=0.0, clock=time.perf_counter):
    """Seconds per call of each of ``fns`` (one workload on several backends), timed together.

    Each function gets a warm-up of at least ``warmup`` calls and ``warmup_s`` seconds (fresh
    memory is slow to fault in on some VMs: the first calls of a big step can take 20x
    longer) and a batch size ``number`` from its fastest warm-up call (a batch takes about
    ``target_s``).  Then ``repeat`` rounds each time one batch of every function in turn
    (A B A B ...), the device synchronised before each clock read: a slow minute of a shared
    machine lands on all of them alike, so the ratios between them -- what the benchmark
    reports -- hold even when the times move.  Returns one (median, per-batch times, number)
    per function, or the exception a function raised (the others go on without it).  GC is
    off while timing.  ``clock`` times the batches: ``time.process_time`` counts this
    process's CPU time only (steadier on a shared machine; meaningful with one thread)."""
    numbers, failed = [], {}
    for i, (fn, sync) in enumerate(zip(fns, syncs)):
        try:
            sync()
            start = time.perf_counter()
            durations = []
            while len(durations) < max(1, warmup) or time.perf_counter() - start < warmup_s:
                t0 = time.perf_counter()
                fn()
                sync()
                durations.append(time.perf_counter() - t0)
        except Exception as e:
            failed[i] = e
            numbers.append(0)
            continue
        once = min(durations[-3:])
        numbers.append(int(min(max_number, max(1, target_s / max(once, 1e-9)))))
    times = [[] for _ in fns]
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(max(1, repeat)):
            for i, (fn, sync, number) in enumerate(zip(fns, syncs, numbers)):
                if i in failed:
                    continue
                try:
                    sync()
                    t0 = clock()
                    for _ in range(number):
                        fn()
                    sync()
                except Exception as e:
                    failed[i] = e
                    continue
                times[i].append((clock() - t0) / number)
    finally:
        if was_enabled:
            gc.enable()
    return [failed[i] if i in failed else (statistics.median(t), t, n)
            for i, (t, n) in enumerate(zip(times, numbers))]
