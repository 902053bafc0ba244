"""Peak memory of a training step (the MLP's, and every training workload's), and whether a
long training loop's memory is flat.

Each library builds the model, takes one step (which makes the optimizer's state) and is
measured on its second step.  Two figures per backend:
- ``step_peak_bytes``: the step's peak above the state just before it (its transients:
  activations, saved tensors, gradients being made, the optimizer's temporaries);
- ``total_peak_bytes``: the step's absolute peak, everything live at that moment
  (parameters, optimizer state, gradients, activations, the batch), counted from before the
  model was built; ``steady_bytes`` is the state before the step on the same scale.
The goal (gradcore <= 1.2 x PyTorch on the same device) is judged on ``step_peak_bytes``
(``JUDGED_ON``), and the ratio of ``total_peak_bytes`` is given beside it, met or not.  The
absolute figure is dominated by what both libraries hold alike (parameters, momentum,
gradients: ~7.8 MiB for this MLP), so it hides the transients: a 1.5 MiB temporary left it
at 1.19x (batch 32) and 1.12x (batch 256), under the goal, while the step's own peak was
24x and 3x PyTorch's.

How each figure is taken (every figure says which in its ``method``):
- gradcore CPU: ``tracemalloc`` (NumPy reports its array buffers to it), started before the
  model is built.
- PyTorch CPU: its own allocator events (``torch.profiler`` with ``profile_memory=True``)
  recorded from before the model is built: the running sum of allocations and frees over
  build + two steps, read over the second step.
- PyTorch CPU where that profiler fails: resident memory, Linux ``VmHWM`` (reset through
  ``/proc/self/clear_refs``) minus ``VmRSS`` before the step (and before the build, for the
  absolute figure), glibc's mmap threshold pinned at 64 KiB so freed large buffers go back to
  the OS.  Coarse: the kernel updates VmHWM lazily.
- GPU: PyTorch's ``torch.cuda.max_memory_allocated`` above ``memory_allocated`` before the
  step / before the build; gradcore's CuPy memory pool (``total_bytes`` after the step, the
  pool emptied of free blocks before it: its high-water mark, rounded up to the pool's
  512-byte blocks) above ``used_bytes`` before the step / before the build.
"""
import ctypes
import gc
import sys
import tracemalloc

from .workloads import make_mlp_step, make_tutorial_iter, workload_plan

_M_MMAP_THRESHOLD = -3
GOAL = 1.2
STEP_GOAL = 1.1  # every training workload's step peak <= PyTorch's + 10% (issue 15)
JUDGED_ON = "step_peak_bytes"
MEASURES = {"total_peak_bytes": "absolute step peak (everything live, from before the build)",
            "step_peak_bytes": "step peak above the state before the step"}


def _status_kb(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _pin_mmap_threshold():
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, 64 * 1024))
    except (OSError, AttributeError):
        return False


def _rss_peaks(build):
    """Resident figures of the second call to ``build()``'s step: the high-water mark above
    the resident set before the step, and above the one before the build."""
    gc.collect()
    base = _status_kb("VmRSS")
    step = build()
    step()
    gc.collect()
    before = _status_kb("VmRSS")
    if base is None or before is None or not _reset_hwm():
        return None
    step()
    peak = _status_kb("VmHWM")
    if peak is None:
        return None
    return {"step_peak_bytes": max(0, peak - before), "total_peak_bytes": max(0, peak - base),
            "steady_bytes": before - base}


def _torch_profiler_peaks(build):
    """The step figures from PyTorch's CPU allocator events, recorded from before the model
    is built: the running sum of every allocation and free over build + two steps, read over
    the second step."""
    from torch.profiler import ProfilerActivity, profile, record_function
    gc.collect()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step = build()
        step()  # the first step makes the optimizer's state
        with record_function("gradcore_bench_step"):
            step()
    events = list(prof.profiler.kineto_results.events())
    mark = next(e for e in events if e.name() == "gradcore_bench_step")
    mem = sorted((e for e in events if e.name() == "[memory]"), key=lambda e: e.start_ns())
    cur, before, peak = 0, None, 0
    for e in mem:
        if e.start_ns() > mark.end_ns():
            break
        if before is None and e.start_ns() >= mark.start_ns():
            before = peak = cur
        cur += e.nbytes()
        if before is not None:
            peak = max(peak, cur)
    if before is None:  # nothing allocated in the step
        before = peak = cur
    return {"step_peak_bytes": peak - before, "total_peak_bytes": peak, "steady_bytes": before}


def _tracemalloc_peak(build):
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        step = build()
        step()  # the first step makes the optimizer's state
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"step_peak_bytes": peak - before, "total_peak_bytes": peak - base,
            "steady_bytes": before - base}


def mlp_step_peak(backend, batch=256):
    """Peak memory figures of one 784-512-512-10 MLP step on ``backend``."""
    return step_peak(backend, lambda lib, dev: make_mlp_step(lib, dev, batch),
                     f"mlp_784_512_512_10_step batch {batch}")


def step_peak(backend, factory, workload):
    """Peak memory figures of one step of ``factory(lib, device)`` (a training workload of
    workloads.py) on ``backend``, measured on its second step."""
    lib, dev = backend.lib, backend.device

    def build():
        return factory(lib, dev)
    out = {"backend": backend.name, "workload": workload}
    if backend.device_type == "cpu":
        if backend.lib_name == "gradcore":
            out.update(_tracemalloc_peak(build))
            out["method"] = "tracemalloc"
            return out
        try:
            out.update(_torch_profiler_peaks(build))
            out["method"] = ("torch.profiler allocator events (profile_memory=True), "
                             "recorded from before the build")
            return out
        except Exception as e:  # a torch without kineto results: resident memory instead
            out["profiler_error"] = repr(e)
        rss = _rss_peaks(build)
        if rss is not None:
            out.update(rss)
            out["method"] = ("RSS: VmHWM - VmRSS, glibc mmap threshold 64 KiB (coarse: the "
                             "kernel updates VmHWM lazily)")
        return out
    if backend.lib_name == "torch":
        import torch
        backend.sync()
        base = torch.cuda.memory_allocated()
    else:
        import cupy
        pool = cupy.get_default_memory_pool()
        backend.sync()
        base = pool.used_bytes()
    step = build()
    step()
    backend.sync()
    if backend.lib_name == "torch":
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        step()
        backend.sync()
        peak = torch.cuda.max_memory_allocated()
        method = "torch.cuda.max_memory_allocated"
    else:
        pool.free_all_blocks()
        before = pool.used_bytes()
        live = _CupyLivePeak.measure(step, backend.sync)
        peak = before + live
        method = ("CuPy pool allocations and frees (a memory hook: live bytes in 512-byte "
                  "blocks, as torch.cuda.max_memory_allocated counts)")
        out["pool_high_water_bytes"] = pool.total_bytes() - base  # incl. cached free blocks
    out.update(step_peak_bytes=peak - before, total_peak_bytes=peak - base,
               steady_bytes=before - base, method=method)
    return out


class _LivePeak:
    """Live bytes from an allocator's malloc/free callbacks, and their peak (above the start).
    Subclassed with cupy.cuda.MemoryHook at measuring time (CuPy calls the hook methods with
    keyword arguments; ``mem_size`` is the size rounded to the pool's blocks)."""
    name = "gradcore_bench_live_peak"

    def __init__(self):
        self.live = self.peak = 0

    def malloc_postprocess(self, **kw):
        self.live += kw["mem_size"]
        if self.live > self.peak:
            self.peak = self.live

    def free_postprocess(self, **kw):
        self.live -= kw["mem_size"]


class _CupyLivePeak:
    @staticmethod
    def measure(step, sync):
        import cupy
        hook_cls = type("_CupyLivePeakHook", (_LivePeak, cupy.cuda.MemoryHook), {})
        hook = hook_cls()
        with hook:
            step()
            sync()
        return hook.peak


def flat_loop(backend, steps=10_000, samples=10):
    """Run the tutorial's training loop ``steps`` times; sample memory ``samples`` times.
    Flat means the last sample is within 64 KiB of the one after the first tenth."""
    lib, dev = backend.lib, backend.device
    it = make_tutorial_iter(lib, dev)
    every = max(1, steps // samples)
    trace = []
    use_tm = backend.lib_name == "gradcore" and backend.device_type == "cpu"
    if use_tm:
        tracemalloc.start()
    try:
        for i in range(1, steps + 1):
            it()
            if i % every == 0:
                gc.collect()
                if use_tm:
                    trace.append(tracemalloc.get_traced_memory()[0])
                elif backend.device_type == "cuda" and backend.lib_name == "torch":
                    trace.append(lib.cuda.memory_allocated())
                elif backend.device_type == "cuda":
                    import cupy
                    trace.append(cupy.get_default_memory_pool().used_bytes())
                else:
                    trace.append(_status_kb("VmRSS") or 0)
    finally:
        if use_tm:
            tracemalloc.stop()
    method = ("tracemalloc current" if use_tm else "allocator in use" if
              backend.device_type == "cuda" else "VmRSS")
    growth = trace[-1] - trace[0] if trace else 0
    return {"backend": backend.name, "steps": steps, "method": method, "samples": trace,
            "growth_bytes": growth, "flat": abs(growth) <= 64 * 1024}


def measure(backends, quick=False, say=print):
    """All memory figures for the run's backends (measured after the timings: pinning glibc's
    mmap threshold would slow the timed code)."""
    pinned = _pin_mmap_threshold()
    if not pinned:
        say("note: glibc mallopt unavailable: resident-memory peaks may hide freed buffers")
    res = {"mlp_step_peak": [], "flat_loop": [], "mmap_threshold_pinned": pinned,
           "goal": f"gradcore's MLP step peak <= {GOAL} x PyTorch's on the same device, "
                   f"judged on the {MEASURES[JUDGED_ON]} ({JUDGED_ON}); the other measure "
                   "is compared too",
           "judged_on": JUDGED_ON}
    for b in backends:
        try:
            # the MLP (batch 256) in quick mode too: one step is ~10 ms, and a smaller
            # batch would judge the optimizer's 256 KiB update slices against 64 KiB activations
            res["mlp_step_peak"].append(mlp_step_peak(b, 256))
        except Exception as e:  # report, never crash the command
            res["mlp_step_peak"].append({"backend": b.name, "error": repr(e)})
        try:
            res["flat_loop"].append(flat_loop(b, 300 if quick else 10_000))
        except Exception as e:
            res["flat_loop"].append({"backend": b.name, "error": repr(e)})
    res["ratio_to_torch"] = _ratios(res["mlp_step_peak"])
    res["step_peaks"] = {}  # every training workload: {name: [per backend], ratio_to_torch}
    for name, group, _, factory in workload_plan("cpu", quick=True):
        if group != "training" or name.startswith("mlp_784"):
            continue
        peaks = []
        for b in backends:
            try:
                peaks.append(step_peak(b, factory, name))
            except Exception as e:
                peaks.append({"backend": b.name, "error": repr(e)})
        res["step_peaks"][name] = {"peaks": peaks, "ratio_to_torch": _ratios(peaks, STEP_GOAL)}
    return res


def _ratios(peaks, goal=GOAL):
    """gradcore's figures / PyTorch's on the same device (each library's allocator-level
    figures), per measure (``by_measure``); ``ratio`` and ``meets_goal`` are those of the
    measure the goal is judged on (None where that one is missing).  The goal: at most
    ``goal`` (the MLP's 1.2; every training step's 1.1, ``STEP_GOAL``)."""
    by = {p["backend"]: p for p in peaks}
    out = {}
    for dev in ("cpu", "cuda"):
        g, t = by.get(f"gradcore-{dev}", {}), by.get(f"torch-{dev}", {})
        measures = {}
        for key in MEASURES:
            if g.get(key) and t.get(key):
                measures[key] = {"gradcore_bytes": g[key], "torch_bytes": t[key],
                                 "ratio": g[key] / t[key], "meets_goal": g[key] <= goal * t[key]}
        if measures:
            judged = measures.get(JUDGED_ON, {})
            out[dev] = {"ratio": judged.get("ratio"), "goal": goal,
                        "meets_goal": judged.get("meets_goal"), "judged_on": JUDGED_ON,
                        "by_measure": measures}
    return out
