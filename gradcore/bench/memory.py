"""Peak memory of one MLP training step, and whether a long training loop's memory is flat.

How each figure is taken (every figure says which in its ``method``):
- gradcore CPU: ``tracemalloc`` (NumPy reports its array buffers to it): the peak traced bytes
  during one step above the traced bytes just before it (``step_peak_bytes``), and the peak
  above the bytes traced before the model was built (``total_peak_bytes``).
- PyTorch CPU: its own allocator events (``torch.profiler`` with ``profile_memory=True``):
  the running sum of allocations and frees over one step (the second of two profiled, so
  every buffer freed in it was allocated under the profiler), its peak above its start.
- PyTorch CPU where that profiler fails: resident memory, Linux ``VmHWM`` (reset through
  ``/proc/self/clear_refs``) minus ``VmRSS`` before the step, glibc's mmap threshold pinned at
  64 KiB so freed large buffers go back to the OS.  Coarse: the kernel updates VmHWM lazily.
- GPU: PyTorch's ``torch.cuda.max_memory_allocated``; gradcore's CuPy memory pool
  (``total_bytes`` after the step, the pool emptied of free blocks before it: its high-water
  mark, rounded up to the pool's 512-byte blocks).
"""
import ctypes
import gc
import sys
import tracemalloc

from .workloads import make_mlp_step, make_tutorial_iter

_M_MMAP_THRESHOLD = -3


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


def _rss_step_peak(step):
    """Resident high-water mark of one call to ``step`` above the resident set before it."""
    gc.collect()
    before = _status_kb("VmRSS")
    if before is None or not _reset_hwm():
        return None
    step()
    peak = _status_kb("VmHWM")
    return None if peak is None else max(0, peak - before)


def _torch_profiler_peak(step):
    """Peak bytes above the start of one ``step`` from PyTorch's CPU allocator events."""
    from torch.profiler import ProfilerActivity, profile, record_function
    step()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
        with record_function("gradcore_bench_step"):
            step()
    events = list(prof.profiler.kineto_results.events())
    mark = next(e for e in events if e.name() == "gradcore_bench_step")
    mem = sorted((e for e in events if e.name() == "[memory]"), key=lambda e: e.start_ns())
    cur, base, peak = 0, None, 0
    for e in mem:
        if e.start_ns() > mark.end_ns():
            break
        if base is None and e.start_ns() >= mark.start_ns():
            base = peak = cur
        cur += e.nbytes()
        if base is not None:
            peak = max(peak, cur)
    return 0 if base is None else peak - base


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
    lib, dev = backend.lib, backend.device

    def build():
        return make_mlp_step(lib, dev, batch)
    out = {"backend": backend.name, "workload": f"mlp_784_512_512_10_step batch {batch}"}
    if backend.device_type == "cpu":
        if backend.lib_name == "gradcore":
            out.update(_tracemalloc_peak(build))
            out["method"] = "tracemalloc"
            return out
        step = build()
        try:
            out["step_peak_bytes"] = _torch_profiler_peak(step)
            out["method"] = "torch.profiler allocator events (profile_memory=True)"
            return out
        except Exception as e:  # a torch without kineto results: resident memory instead
            out["profiler_error"] = repr(e)
        step()
        rss = _rss_step_peak(step)
        if rss is not None:
            out["step_peak_bytes"] = rss
            out["method"] = ("RSS: VmHWM - VmRSS, glibc mmap threshold 64 KiB (coarse: the "
                             "kernel updates VmHWM lazily)")
        return out
    step = build()
    step()
    backend.sync()
    if backend.lib_name == "torch":
        import torch
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        out.update(step_peak_bytes=torch.cuda.max_memory_allocated() - before,
                   method="torch.cuda.max_memory_allocated")
    else:
        import cupy
        pool = cupy.get_default_memory_pool()
        pool.free_all_blocks()
        before = pool.used_bytes()
        step()
        backend.sync()
        out.update(step_peak_bytes=pool.total_bytes() - before,
                   method="cupy memory pool high-water (total_bytes after free_all_blocks)")
    return out


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
           "goal": "gradcore's MLP step peak <= 1.2 x PyTorch's on the same device"}
    for b in backends:
        try:
            res["mlp_step_peak"].append(mlp_step_peak(b, 32 if quick else 256))
        except Exception as e:  # report, never crash the command
            res["mlp_step_peak"].append({"backend": b.name, "error": repr(e)})
        try:
            res["flat_loop"].append(flat_loop(b, 300 if quick else 10_000))
        except Exception as e:
            res["flat_loop"].append({"backend": b.name, "error": repr(e)})
    res["ratio_to_torch"] = _ratios(res["mlp_step_peak"])
    return res


def _ratios(peaks):
    """gradcore's step peak / PyTorch's on the same device (each library's allocator-level
    figure).  The goal: at most 1.2."""
    by = {p["backend"]: p for p in peaks}
    out = {}
    for dev in ("cpu", "cuda"):
        g = by.get(f"gradcore-{dev}", {}).get("step_peak_bytes")
        t = by.get(f"torch-{dev}", {}).get("step_peak_bytes")
        if g and t:
            out[dev] = {"ratio": g / t, "goal": 1.2, "meets_goal": g <= 1.2 * t}
    return out
