"""gradcore-bench: how much does the GPU buy, and how does gradcore compare with PyTorch?

    python -m gradcore.bench [--device all|cpu|cuda] [--quick] [--repeat N] [--out DIR]

Times every workload (gradcore/bench/workloads.py) on every backend found (gradcore on the
CPU, gradcore on cuda:0, PyTorch on the CPU and CUDA), measures the MLP step's peak memory
and a long loop's memory growth, then prints a table and writes DIR/bench.json,
DIR/bench.md and DIR/bench.png.

``--device all`` (the default) on a machine without a usable GPU notes that cuda was skipped
and times the CPU; ``--device cuda`` there exits 2 with one line on stderr saying why (no
CuPy, no driver, no device) and what to install.
"""
import argparse
import datetime
import os
import platform
import re
import sys

from . import report
from .runner import DeviceUnavailable, find_backends, median_times
from .workloads import sweep_flops, workload_plan


def _progress(total):
    try:
        from tqdm import tqdm
    except Exception:
        print("note: tqdm is not installed: no progress bar (pip install tqdm)")
        return None
    return tqdm(total=total, desc="gradcore bench", unit="run", file=sys.stderr,
                dynamic_ncols=True)


def _machine(backends):
    import numpy as np
    m = {"python": platform.python_version(), "numpy": np.__version__,
         "loadavg_1min_at_start": _loadavg(),
         "cpu": _cpu_name(), "cores": os.cpu_count(), "gpu": None}
    for b in backends:
        if b.lib_name == "torch":
            m["torch"] = b.lib.__version__
        if b.lib_name == "gradcore" and b.device_type == "cuda":
            import cupy
            m["cupy"] = cupy.__version__
            m["gpu"] = b.lib.cuda.get_device_name(0)
    return m


def _set_threads(n, backends, note):
    """Pin both libraries to ``n`` CPU threads (None: leave them); returns what each uses."""
    used = {}
    torch = next((b.lib for b in backends if b.lib_name == "torch"), None)
    if n is not None and torch is not None:
        torch.set_num_threads(n)
    if torch is not None:
        used["torch"] = torch.get_num_threads()
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except Exception:
        if n is not None:
            note("note: threadpoolctl is not installed: NumPy's BLAS keeps its own thread "
                 "count (pip install threadpoolctl)")
        return used
    if n is not None:
        _set_threads.limits = threadpool_limits(n)  # held for the life of the process
    used["numpy_blas"] = [p.get("num_threads") for p in threadpool_info()
                          if p.get("user_api") == "blas"]
    return used


def _loadavg():
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse(argv):
    p = argparse.ArgumentParser(prog="gradcore-bench", description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                   help="which devices to run (gradcore-cpu always runs: ratios use it)")
    p.add_argument("--quick", action="store_true", help="small sizes, short timings")
    p.add_argument("--repeat", type=int, default=None, help="timed batches per run "
                   "(default 7, --quick 3); the median is reported")
    p.add_argument("--out", default=None, help="output folder (default bench/out/<date>)")
    p.add_argument("--only", default=None, metavar="REGEX",
                   help="run only the workloads whose name matches REGEX (re.search)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for both libraries (torch.set_num_threads; NumPy's BLAS "
                   "through threadpoolctl when installed); default: each library's own")
    p.add_argument("--no-memory", action="store_true", help="skip the memory measurements")
    return p.parse_args(argv)


def run(args, say=print):
    notes = []

    def note(line):
        notes.append(line.removeprefix("note: "))
        say(line)
    backends = find_backends(args.device, say=note)
    machine = _machine(backends)
    machine["threads"] = _set_threads(args.threads, backends, note)
    repeat = args.repeat or (3 if args.quick else 7)
    target = 0.01 if args.quick else 0.1
    jobs = [(b, w) for b in backends for w in workload_plan(b.device_type, args.quick)
            if not args.only or re.search(args.only, w[0])]
    by_workload = {}  # each workload with the backends that run it, in plan order
    for b, w in jobs:
        by_workload.setdefault((w[0], w[2]), []).append((b, w))
    bar = _progress(len(jobs))
    results = []
    for runs in by_workload.values():
        ready = []
        for b, (name, group, size, make) in runs:
            try:
                fn = make(b.lib, b.device) if size is None else make(b.lib, b.device, size)
                ready.append((b, name, group, size, fn))
            except Exception as e:  # one failing workload must not lose the others
                note(f"note: {b.name} {name} failed: {type(e).__name__}: {e}")
        if bar is not None:
            bar.set_postfix_str(runs[0][1][0], refresh=False)
        timed = median_times([r[4] for r in ready], [r[0].sync for r in ready], repeat=repeat,
                             warmup=1 if args.quick else 3, target_s=target,
                             warmup_s=0.02 if args.quick else 0.5)
        for (b, name, group, size, _), out in zip(ready, timed):
            if isinstance(out, Exception):
                note(f"note: {b.name} {name} failed: {type(out).__name__}: {out}")
                continue
            med, times, number = out
            results.append({"workload": name, "group": group, "size": size,
                            "backend": b.name, "lib": b.lib_name, "device": b.device,
                            "median_s": med, "times_s": times, "calls_per_repeat": number})
        if bar is not None:
            bar.update(len(runs))
    if bar is not None:
        bar.close()
    report.add_ratios(results)
    doc = {"schema": 1, "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "command": "python -m gradcore.bench " + " ".join(args.argv),
           "options": {"device": args.device, "quick": args.quick, "repeat": repeat,
                       "threads": args.threads,
                       "only": args.only, "warmup_s": 0.02 if args.quick else 0.5,
                       "target_s_per_repeat": target},
           "machine": machine,
           "backends": [{"name": b.name, "lib": b.lib_name, "device": b.device}
                        for b in backends],
           "results": results, "crossover": report.crossover(results),
           "scaling": report.scaling([r for r in results if r["device"] == "cpu"], sweep_flops),
           "notes": notes}
    if not args.no_memory:
        from . import memory
        say("measuring memory (MLP step peak, long training loop)...")
        doc["memory"] = memory.measure(backends, args.quick, say=note)
    machine["loadavg_1min_at_end"] = _loadavg()
    return doc


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(argv)
    args.argv = argv
    out = args.out or os.path.join("bench", "out", datetime.date.today().isoformat())
    try:
        doc = run(args)
    except DeviceUnavailable as e:  # asked for a device that isn't there: a usage error
        print(f"gradcore-bench: {e}", file=sys.stderr)
        return 2
    print()
    print(report.table(doc["results"]))
    if doc.get("memory"):
        print()
        print(report.memory_table(doc["memory"]))
    cross = doc["crossover"]
    if cross:
        for lib, c in cross.items():
            print(f"{lib}: GPU faster than CPU from sweep width {c['width']}"
                  if c["width"] else f"{lib}: GPU never faster than CPU on the sweep")
    else:
        print("no CPU/GPU crossover: no GPU backend ran")
    paths = report.write_all(doc, out)
    print("wrote " + ", ".join(paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
